"""TOTP (RFC 6238): 30-second steps, 6 digits, ±1 step, every step usable once, lockout."""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp

STEP_SECONDS = 30
DIGITS = 6
ISSUER = "ADLY"


def new_secret() -> str:
    return pyotp.random_base32(length=32)  # 160 bits, RFC 4226 §4 R6


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(name=account, issuer_name=ISSUER)


def step_at(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def step_at_now() -> int:
    return int(time.time()) // STEP_SECONDS


def code_at_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).at(step * STEP_SECONDS)


@dataclass(frozen=True)
class TotpState:
    """What we keep between attempts: the last accepted step, failures in a row, lockout."""

    last_step: int | None = None
    failures: int = 0
    locked_until: datetime | None = None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def retry_after(self, now: datetime) -> int:
        return max(1, int((self.locked_until - now).total_seconds())) if self.locked_until else 0


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The step T-1, T or T+1 whose code this is, if that step is later than the last accepted one."""
    if not (len(code) == DIGITS and code.isdigit()):
        return None
    current = step_at(now)
    for step in (current - 1, current, current + 1):
        if (last_step is None or step > last_step) and hmac.compare_digest(code_at_step(secret, step), code):
            return step
    return None


def after_success(state: TotpState, step: int | None) -> TotpState:
    return TotpState(last_step=step if step is not None else state.last_step)


def after_failure(state: TotpState, now: datetime, max_failures: int, lockout: timedelta) -> TotpState:
    failures = state.failures + 1
    if failures >= max_failures:
        return TotpState(state.last_step, 0, now + lockout)
    return TotpState(state.last_step, failures, None)
