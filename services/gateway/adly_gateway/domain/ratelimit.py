"""Rate-limit policies and the GCRA arithmetic (Generic Cell Rate Algorithm).

A policy admits `quota` requests per `window` seconds. GCRA keeps one number per key, the
theoretical arrival time (TAT): each admitted request moves it `window / quota` seconds
into the future, and a request is admitted while TAT stays within `window` of now. That is
a token bucket of capacity `quota` refilled continuously, with no per-window reset burst.
The store applies `decide` atomically (one upsert per key, see adapters.rate_limits); the
Python version here is the specification its tests compare against.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class Quota:
    quota: int
    window: float

    @classmethod
    def parse(cls, spec: str) -> Quota:
        """`"<requests>/<seconds>"`, e.g. `"600/60"`."""
        match = _SPEC.match(spec)
        if not match or int(match.group(1)) < 1 or float(match.group(2)) <= 0:
            raise ValueError(f"not a rate-limit quota (requests/seconds): {spec!r}")
        return cls(int(match.group(1)), float(match.group(2)))

    @property
    def interval(self) -> float:
        """Emission interval: the cost of one request in seconds."""
        return self.window / self.quota


@dataclass(frozen=True)
class Limit:
    """One policy applied to one subject (a client, an IP, an account)."""

    policy: str
    key: str
    quota: Quota


@dataclass(frozen=True)
class Decision:
    policy: str
    quota: Quota
    allowed: bool
    tat: float
    now: float

    @property
    def remaining(self) -> int:
        used = max(self.tat - self.now, 0.0)
        return max(int(math.floor((self.quota.window - used) / self.quota.interval + 1e-9)), 0)

    @property
    def reset(self) -> int:
        """Seconds until the full quota is available again."""
        return max(int(math.ceil(self.tat - self.now - 1e-9)), 0)

    @property
    def retry_after(self) -> int:
        """Seconds until one more request would be admitted (denied decisions)."""
        wait = self.tat + self.quota.interval - self.quota.window - self.now
        return max(int(math.ceil(wait - 1e-9)), 1)


def decide(tat: float | None, now: float, quota: Quota) -> tuple[bool, float]:
    """GCRA: (admitted, new TAT) for a request at `now` given the stored TAT."""
    start = max(tat if tat is not None else now, now)
    candidate = start + quota.interval
    if candidate - now <= quota.window + 1e-9:
        return True, candidate
    return False, tat if tat is not None else now


def policy_header(decisions: list[Decision]) -> str:
    """`RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers-09): a list of named policies."""
    return ", ".join(f'"{d.policy}";q={d.quota.quota};w={_seconds(d.quota.window)}' for d in decisions)


def limit_header(decisions: list[Decision]) -> str:
    """`RateLimit` (draft-09): remaining quota `r` and seconds to reset `t` per policy."""
    return ", ".join(f'"{d.policy}";r={d.remaining};t={d.reset}' for d in decisions)


def _seconds(value: float) -> int:
    return max(int(math.ceil(value)), 1)
