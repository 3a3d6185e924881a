"""Sign-up, login, email verification and password reset."""

from __future__ import annotations

import uuid
from urllib.parse import quote
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_auth.adapters.container import Adapters
from adly_auth.domain.credentials import check_password, normalise_email
from adly_auth.domain.errors import InvalidCredentials
from adly_auth.domain.locale import DEFAULT_LANGUAGE, DEFAULT_TIME_ZONE, Language, check_time_zone
from adly_auth.domain.records import Mail, PendingSignup
from adly_auth.handlers.outcomes import Tokens, TwoFactorChallenge
from adly_auth.handlers.sessions import revoke_all_sessions, start_session
from adly_auth.handlers.two_factor import challenge
from adly_auth.handlers.user_events import known_user, record_user_event
from adly_events.contracts.auth import EmailVerified, UserRegistered
from adly_kit.errors import Conflict, InvalidInput
from adly_kit.sql import utc_now

VERIFY_EMAIL, RESET_PASSWORD = "verify_email", "reset_password"


async def signup(tx: AsyncConnection, a: Adapters, email: str, password: str,
                 language: Language = DEFAULT_LANGUAGE, time_zone: str = DEFAULT_TIME_ZONE) -> None:
    """Mail the address a link that finishes the sign-up, or, if it has an account already,
    a note to its owner. The caller's answer is the same, and so is the work behind it: the
    password is hashed and one mail is queued either way, and nothing else is written, so a
    sign-up tells no one who is a customer (docs/identity.md, "Sign-up"). The link carries the
    language and time zone to the account it creates."""
    email = normalise_email(email)
    check_password(password, email)
    check_time_zone(time_zone)
    password_hash = await a.passwords.hash(password)  # also when it is thrown away: the same work
    existing = await a.users.by_email(tx, email)
    if existing is None:
        expires_at = utc_now() + a.seconds("email_verification_ttl")
        pending = PendingSignup(email, password_hash, expires_at, language, time_zone)
        await a.mail.enqueue(tx, _signup_link(a, pending))
    else:
        await a.mail.enqueue(tx, _signup_attempt(a, existing.email))


async def confirm_signup(tx: AsyncConnection, a: Adapters, token: str) -> Tokens:
    """Create the account a sign-up link carries, its address verified by the link, and sign in.
    A link works once: the account it creates takes the address."""
    pending = a.signup_tokens.open(token)
    user_id = uuid.uuid4()
    if (pending is None or pending.expires_at <= utc_now()
            or not await a.users.add(tx, user_id, pending.email, pending.password_hash, verified=True,
                                     language=pending.language, time_zone=pending.time_zone)):
        raise InvalidInput("The link is invalid, used or expired; if you finished signing up, sign in.", field="token")
    await record_user_event(tx, a, user_id, UserRegistered(method="password"))
    await record_user_event(tx, a, user_id, EmailVerified())
    return await start_session(tx, a, user_id)


def _signup_link(a: Adapters, pending: PendingSignup) -> Mail:
    link = f"{a.settings.public_base_url}/confirm-signup?token={quote(a.signup_tokens.seal(pending))}"
    return Mail(pending.email, "Finish signing up for ADLY",
                f"Follow this link to create your ADLY account and sign in:\n\n{link}\n\n"
                "The link works once, for 24 hours. If you did not sign up, ignore this mail: no account is made.")


def _signup_attempt(a: Adapters, email: str) -> Mail:
    base = a.settings.public_base_url
    return Mail(email, "Someone tried to sign up with your email address",
                "Someone, maybe you, tried to create an ADLY account with this email address. It has one already,\n"
                "so nothing was created and nothing changed.\n\n"
                f"Sign in: {base}/login\n"
                f"Forgot your password? Reset it: {base}/forgot-password\n\n"
                "If it was not you, you can ignore this mail.")


async def register_external(tx: AsyncConnection, a: Adapters, email: str, method: str) -> UUID | None:
    """A user who signs in with an identity provider that verified the address; None if the email is taken."""
    user_id = uuid.uuid4()
    if not await a.users.add(tx, user_id, email, None, verified=True):
        return None
    await record_user_event(tx, a, user_id, UserRegistered(method=method))
    await record_user_event(tx, a, user_id, EmailVerified())
    return user_id


async def login(tx: AsyncConnection, a: Adapters, email: str, password: str) -> Tokens | TwoFactorChallenge:
    try:
        email = normalise_email(email)
    except InvalidInput:
        email = ""
    user = await a.users.by_email(tx, email) if email else None
    stored = user.password_hash if user is not None else None
    # An unknown email costs one hash verification too (against a dummy), like a known one.
    matches = await a.passwords.verify(stored, password)
    if user is None or stored is None or not matches:
        raise InvalidCredentials("The email or password is wrong.")
    if a.passwords.needs_rehash(stored):
        await a.users.set_password_hash(tx, user.id, await a.passwords.hash(password))
    if user.two_factor_enabled:
        return TwoFactorChallenge(await challenge(tx, a, user.id))
    return await start_session(tx, a, user.id)


async def send_verification(tx: AsyncConnection, a: Adapters, user_id: UUID, email: str) -> None:
    token = await a.links.issue(tx, VERIFY_EMAIL, user_id, a.seconds("email_verification_ttl"))
    link = f"{a.settings.public_base_url}/verify-email?token={quote(token)}"
    await a.mail.enqueue(tx, Mail(email, "Confirm your email address",
                                  f"Confirm your email address for ADLY:\n\n{link}\n\nThe link works once, for 24 hours."))


async def resend_verification(tx: AsyncConnection, a: Adapters, user_id: UUID) -> None:
    user = await known_user(tx, a, user_id)
    if user.email_verified_at is not None:
        raise Conflict("The email address is verified already.")
    await a.links.spend_all(tx, user_id, VERIFY_EMAIL)
    await send_verification(tx, a, user_id, user.email)


async def verify_email(tx: AsyncConnection, a: Adapters, token: str) -> None:
    user_id = await a.links.consume(tx, VERIFY_EMAIL, token)
    if user_id is None:
        raise InvalidInput("The link is invalid, used or expired.", field="token")
    if await a.users.mark_verified(tx, user_id):
        await record_user_event(tx, a, user_id, EmailVerified())


async def forgot_password(tx: AsyncConnection, a: Adapters, email: str) -> None:
    """Mail a reset link to an account's address, or a note that the address has none: the
    answer is the same either way, and so is the work (a mail is queued and committed)."""
    try:
        email = normalise_email(email)
    except InvalidInput:
        return  # not an address: no account can have it, and nothing can be mailed to it
    user = await a.users.by_email(tx, email)
    if user is None:
        await a.mail.enqueue(tx, _no_account(a, email))
        return
    token = await a.links.issue(tx, RESET_PASSWORD, user.id, a.seconds("password_reset_ttl"))
    link = f"{a.settings.public_base_url}/reset-password?token={quote(token)}"
    await a.mail.enqueue(tx, Mail(user.email, "Reset your password",
                                  f"Someone asked to reset your ADLY password. If it was you:\n\n{link}\n\n"
                                  "The link works once, for one hour. If it was not you, ignore this mail."))


def _no_account(a: Adapters, email: str) -> Mail:
    return Mail(email, "Reset your ADLY password",
                "Someone, maybe you, asked to reset the ADLY password of this email address, but no ADLY\n"
                "account uses it. If you have one, try the address you signed up with; to make one:\n\n"
                f"{a.settings.public_base_url}/signup\n\nIf it was not you, you can ignore this mail.")


async def reset_password(tx: AsyncConnection, a: Adapters, token: str, password: str) -> None:
    user_id = await a.links.consume(tx, RESET_PASSWORD, token)
    if user_id is None:
        raise InvalidInput("The link is invalid, used or expired.", field="token")
    user = await known_user(tx, a, user_id, lock=True)
    check_password(password, user.email)
    await a.users.set_password_hash(tx, user_id, await a.passwords.hash(password))
    await a.links.spend_all(tx, user_id, RESET_PASSWORD)
    await revoke_all_sessions(tx, a, user_id, "password_reset")
    if await a.users.mark_verified(tx, user_id):  # the reset link proved the mailbox
        await record_user_event(tx, a, user_id, EmailVerified())
