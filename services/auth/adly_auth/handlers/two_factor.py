"""TOTP two-factor: enrolment, confirmation, the login challenge and the 2FA proof token."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_auth.adapters.container import Adapters
from adly_auth.domain import totp
from adly_auth.domain.errors import InvalidCredentials, LockedOut
from adly_auth.domain.records import User
from adly_auth.domain.secrets import new_recovery_codes, normalise_recovery_code
from adly_auth.handlers.outcomes import Tokens
from adly_auth.handlers.ports import InvalidToken
from adly_auth.handlers.sessions import start_session
from adly_auth.handlers.user_events import known_user, record_user_event
from adly_events.contracts.auth import TwoFactorEnabled
from adly_kit.crypto import Sealed
from adly_kit.errors import Conflict, DomainError
from adly_kit.sql import utc_now

CHALLENGE = ("2fa-challenge+jwt", "adly-2fa-challenge")
PROOF = ("2fa+jwt", "adly-2fa")


@dataclass(frozen=True)
class Enrolment:
    otpauth_uri: str
    secret: str
    recovery_codes: list[str]


async def enroll(tx: AsyncConnection, a: Adapters, user_id: UUID) -> Enrolment:
    user = await known_user(tx, a, user_id, lock=True)
    if user.two_factor_enabled:
        raise Conflict("Two-factor authentication is on already.")
    secret = totp.new_secret()
    await a.users.set_pending_totp(tx, user_id, a.keyring.encrypt(secret.encode(), aad=_aad(user_id)).to_text())
    codes = new_recovery_codes()
    await a.recovery_codes.replace(tx, user_id, [normalise_recovery_code(c) for c in codes])
    return Enrolment(totp.provisioning_uri(secret, user.email), secret, codes)


async def confirm(tx: AsyncConnection, a: Adapters, user_id: UUID, code: str) -> DomainError | None:
    user = await known_user(tx, a, user_id, lock=True)
    if user.two_factor_enabled or user.totp_secret is None:
        raise Conflict("Start an enrolment first." if user.totp_secret is None else "Two-factor authentication is on already.")
    failure = await second_factor(tx, a, user, code=code, recovery_code=None)
    if failure is None:
        await a.users.enable_totp(tx, user_id)
        await record_user_event(tx, a, user_id, TwoFactorEnabled())
    return failure


async def challenge(tx: AsyncConnection, a: Adapters, user_id: UUID) -> str:
    typ, audience = CHALLENGE
    return await a.keys.sign(tx, {"sub": str(user_id)}, typ=typ, audience=audience, ttl=a.seconds("two_factor_token_ttl"))


async def complete_login(tx: AsyncConnection, a: Adapters, challenge_token: str, code: str | None,
                         recovery_code: str | None) -> Tokens | DomainError:
    typ, audience = CHALLENGE
    try:
        claims = await a.keys.verify(tx, challenge_token, typ=typ, audience=audience)
    except InvalidToken:
        return InvalidCredentials("The sign-in challenge is invalid or expired; sign in again.")
    user = await a.users.get(tx, UUID(claims["sub"]), lock=True)
    if user is None or not user.two_factor_enabled:
        return InvalidCredentials("The sign-in challenge is invalid or expired; sign in again.")
    failure = await second_factor(tx, a, user, code=code, recovery_code=recovery_code)
    return failure or await start_session(tx, a, user.id)


async def proof(tx: AsyncConnection, a: Adapters, user_id: UUID, code: str | None, recovery_code: str | None
                ) -> tuple[str, int] | DomainError:
    """A 2FA proof token for `X-2FA-Token`, for a fresh code."""
    user = await known_user(tx, a, user_id, lock=True)
    if not user.two_factor_enabled:
        raise Conflict("Turn on two-factor authentication first.")
    failure = await second_factor(tx, a, user, code=code, recovery_code=recovery_code)
    if failure is not None:
        return failure
    typ, audience = PROOF
    token = await a.keys.sign(tx, {"sub": str(user_id)}, typ=typ, audience=audience, ttl=a.seconds("two_factor_token_ttl"))
    return token, a.settings.two_factor_token_ttl_seconds


async def second_factor(tx: AsyncConnection, a: Adapters, user: User, *, code: str | None,
                        recovery_code: str | None) -> DomainError | None:
    """None if the code (or an unused recovery code) is good. Failures are counted and
    lock the account's second factor after too many in a row; the caller commits them."""
    now, state = utc_now(), user.totp_state
    if state.locked(now):
        return LockedOut("Too many wrong codes; try again later.", retry_after=state.retry_after(now))
    if code is not None and user.totp_secret is not None:
        secret = a.keyring.decrypt(Sealed.from_text(user.totp_secret), aad=_aad(user.id)).decode()
        step = totp.matching_step(secret, code.strip(), now, state.last_step)
        if step is not None:
            await a.users.save_totp_state(tx, user.id, totp.after_success(state, step))
            return None
    elif recovery_code is not None and await a.recovery_codes.use(tx, user.id, normalise_recovery_code(recovery_code)):
        await a.users.save_totp_state(tx, user.id, totp.after_success(state, None))
        return None
    state = totp.after_failure(state, now, a.settings.totp_max_failures, a.seconds("totp_lockout"))
    await a.users.save_totp_state(tx, user.id, state)
    if state.locked(now):
        return LockedOut("Too many wrong codes; try again later.", retry_after=state.retry_after(now))
    return InvalidCredentials("The code is wrong or was used already.")


def _aad(user_id: UUID) -> bytes:
    return b"totp|" + user_id.bytes
