"""Sign-up, verification, login with and without a second factor, and its lockout, driven
through adly_auth.handlers on in-memory ports."""

from __future__ import annotations

import uuid
from uuid import UUID

import pytest

from adly_auth.domain import totp
from adly_auth.domain.credentials import normalise_email
from adly_auth.domain.errors import InvalidCredentials, LockedOut
from adly_auth.handlers import accounts, two_factor
from adly_auth.handlers.outcomes import Tokens, TwoFactorChallenge
from adly_events.contracts.auth import EmailVerified, SessionRevoked, TwoFactorEnabled, UserRegistered
from adly_kit.errors import Conflict, InvalidInput
from adly_kit.testing.doubles import NO_DATABASE

from .doubles import World, claims_of, world

PASSWORD = "correct horse battery staple"


async def signed_up(w: World, email: str = "ada@example.com") -> UUID:
    """Sign up and follow the mailed link, as a person does; the new user's id."""
    await accounts.signup(NO_DATABASE, w.a, email, PASSWORD)
    link = w.outbox.link_token(normalise_email(email), "confirm-signup")
    tokens = await accounts.confirm_signup(NO_DATABASE, w.a, link)
    return UUID(claims_of(tokens.access_token)["sub"])


async def with_two_factor(w: World, user_id: UUID) -> str:
    """Turn two-factor on; the authenticator's secret."""
    enrolment = await two_factor.enroll(NO_DATABASE, w.a, user_id)
    first_code = totp.code_at_step(enrolment.secret, totp.step_at_now() - 1)
    assert await two_factor.confirm(NO_DATABASE, w.a, user_id, first_code) is None
    return enrolment.secret


def wrong_code(secret: str) -> str:
    """A code no step near now has, so it cannot be right by chance."""
    near = {totp.code_at_step(secret, totp.step_at_now() + offset) for offset in range(-2, 3)}
    return next(code for code in (f"{digit}" * 6 for digit in range(10)) if code not in near)


async def test_signing_up_mails_a_link_and_keeps_nothing_until_it_is_followed():
    w = world()
    await accounts.signup(NO_DATABASE, w.a, "ada@example.com", PASSWORD)
    (mail,) = w.outbox.to("ada@example.com")
    assert mail.subject == "Finish signing up for ADLY" and "https://app.adly.test/confirm-signup?token=" in mail.body
    assert w.users.rows == {} and w.log == [] and w.sessions.sessions == {}


async def test_following_the_link_records_the_user_verified_and_starts_a_session():
    w = world()
    await accounts.signup(NO_DATABASE, w.a, "ada@example.com", PASSWORD)
    tokens = await accounts.confirm_signup(NO_DATABASE, w.a, w.outbox.link_token("ada@example.com", "confirm-signup"))
    user_id = UUID(claims_of(tokens.access_token)["sub"])
    assert w.log.of(user_id) == [UserRegistered(method="password"), EmailVerified()]
    assert w.users.rows[user_id].email_verified_at is not None
    assert tokens.refresh_token is not None and tokens.expires_in == w.a.settings.access_token_ttl_seconds
    assert [s.user_id for s in w.sessions.sessions.values()] == [user_id]
    assert isinstance(await accounts.login(NO_DATABASE, w.a, "ada@example.com", PASSWORD), Tokens)


async def test_an_email_address_is_kept_in_one_spelling():
    w = world()
    user_id = await signed_up(w, "  Ada@Example.COM ")
    assert (await w.users.by_email(NO_DATABASE, "ada@example.com")).id == user_id


async def test_signing_up_with_an_address_that_has_an_account_mails_its_owner_and_changes_nothing():
    w = world()
    user_id = await signed_up(w)
    before = (dict(w.users.rows), list(w.log), dict(w.sessions.sessions))
    await accounts.signup(NO_DATABASE, w.a, "ADA@example.com", "another long passphrase")
    assert (dict(w.users.rows), list(w.log), dict(w.sessions.sessions)) == before
    attempt = w.outbox.to("ada@example.com")[-1]
    assert attempt.subject == "Someone tried to sign up with your email address"
    assert "https://app.adly.test/forgot-password" in attempt.body and "token" not in attempt.body
    assert isinstance(await accounts.login(NO_DATABASE, w.a, "ada@example.com", PASSWORD), Tokens)
    with pytest.raises(InvalidCredentials):
        await accounts.login(NO_DATABASE, w.a, "ada@example.com", "another long passphrase")
    assert w.users.rows[user_id].password_hash == "plain:" + PASSWORD


async def test_a_sign_up_does_the_same_work_whether_or_not_the_address_has_an_account():
    w = world()
    await signed_up(w, "taken@example.com")
    work = []
    for email in ("taken@example.com", "free@example.com"):
        hashes, verifications, mails = w.passwords.hashes, w.passwords.verifications, len(w.outbox.mails)
        users, events = dict(w.users.rows), list(w.log)
        assert await accounts.signup(NO_DATABASE, w.a, email, PASSWORD) is None
        work.append((w.passwords.hashes - hashes, w.passwords.verifications - verifications,
                     len(w.outbox.mails) - mails, w.users.rows == users, w.log == events))
    assert work[0] == work[1] == (1, 0, 1, True, True)


async def test_two_sign_ups_of_one_address_make_one_account_and_the_other_link_is_refused():
    w = world()
    await accounts.signup(NO_DATABASE, w.a, "ada@example.com", PASSWORD)
    first = w.outbox.link_token("ada@example.com", "confirm-signup")
    await accounts.signup(NO_DATABASE, w.a, "ada@example.com", "someone else's passphrase")
    second = w.outbox.link_token("ada@example.com", "confirm-signup")
    assert first != second
    await accounts.confirm_signup(NO_DATABASE, w.a, first)
    for used in (first, second):
        with pytest.raises(InvalidInput) as refused:
            await accounts.confirm_signup(NO_DATABASE, w.a, used)
        assert refused.value.path == "body/token"
    assert len(w.users.rows) == 1 and len(w.log.of_type(UserRegistered)) == 1
    with pytest.raises(InvalidCredentials):
        await accounts.login(NO_DATABASE, w.a, "ada@example.com", "someone else's passphrase")


async def test_an_expired_or_altered_sign_up_link_is_refused():
    w = world(email_verification_ttl_seconds=0)
    await accounts.signup(NO_DATABASE, w.a, "ada@example.com", PASSWORD)
    expired = w.outbox.link_token("ada@example.com", "confirm-signup")
    fresh = world()
    await accounts.signup(NO_DATABASE, fresh.a, "ada@example.com", PASSWORD)
    token = fresh.outbox.link_token("ada@example.com", "confirm-signup")
    altered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    for a, bad in ((w.a, expired), (fresh.a, altered), (fresh.a, "not a token"), (fresh.a, "")):
        with pytest.raises(InvalidInput):
            await accounts.confirm_signup(NO_DATABASE, a, bad)
    assert w.users.rows == {} and fresh.users.rows == {}


async def test_a_short_password_is_refused_with_the_password_field_named():
    w = world()
    with pytest.raises(InvalidInput) as refused:
        await accounts.signup(NO_DATABASE, w.a, "ada@example.com", "short")
    assert (refused.value.status, refused.value.code, refused.value.path) == (422, "invalid-input", "body/password")
    assert w.users.rows == {} and w.outbox.mails == []


async def test_the_verification_link_of_an_unverified_account_verifies_the_address_once():
    w = world()
    user_id = uuid.uuid4()  # accounts from before sign-up links, or from a provider, may be unverified
    await w.users.add(NO_DATABASE, user_id, "ada@example.com", "plain:" + PASSWORD, verified=False)
    await accounts.resend_verification(NO_DATABASE, w.a, user_id)
    token = w.outbox.link_token("ada@example.com", "verify-email")
    await accounts.verify_email(NO_DATABASE, w.a, token)
    with pytest.raises(InvalidInput) as refused:
        await accounts.verify_email(NO_DATABASE, w.a, token)
    assert refused.value.path == "body/token"
    assert w.log.of(user_id) == [EmailVerified()]
    with pytest.raises(Conflict):
        await accounts.resend_verification(NO_DATABASE, w.a, user_id)


async def test_logging_in_with_the_right_password_starts_another_session():
    w = world()
    user_id = await signed_up(w)
    outcome = await accounts.login(NO_DATABASE, w.a, "Ada@example.com", PASSWORD)
    assert isinstance(outcome, Tokens) and claims_of(outcome.access_token)["sub"] == str(user_id)
    assert len(w.sessions.sessions) == 2


async def test_a_wrong_password_and_an_unknown_email_get_the_same_refusal_for_the_same_work():
    w = world()
    await signed_up(w)
    refusals = []
    for email, password in [("ada@example.com", "not the password!"), ("nobody@example.com", PASSWORD)]:
        before = w.passwords.verifications
        with pytest.raises(InvalidCredentials) as refused:
            await accounts.login(NO_DATABASE, w.a, email, password)
        assert w.passwords.verifications == before + 1
        refusals.append((refused.value.status, refused.value.code, str(refused.value)))
    assert refusals[0] == refusals[1] == (401, "invalid-credentials", "The email or password is wrong.")


async def test_with_two_factor_on_a_login_answers_a_challenge_and_the_code_completes_it():
    w = world()
    user_id = await signed_up(w)
    secret = await with_two_factor(w, user_id)
    assert w.log.of(user_id)[-1] == TwoFactorEnabled()
    sessions_before = len(w.sessions.sessions)

    challenge = await accounts.login(NO_DATABASE, w.a, "ada@example.com", PASSWORD)
    assert isinstance(challenge, TwoFactorChallenge) and len(w.sessions.sessions) == sessions_before
    code = totp.code_at_step(secret, totp.step_at_now())
    outcome = await two_factor.complete_login(NO_DATABASE, w.a, challenge.challenge_token, code, None)
    assert isinstance(outcome, Tokens) and claims_of(outcome.access_token)["sub"] == str(user_id)


async def test_five_wrong_codes_in_a_row_lock_the_second_factor_and_say_when_to_try_again():
    w = world()
    user_id = await signed_up(w)
    secret = await with_two_factor(w, user_id)
    challenge = await accounts.login(NO_DATABASE, w.a, "ada@example.com", PASSWORD)
    assert isinstance(challenge, TwoFactorChallenge)

    async def attempt(code: str) -> object:
        return await two_factor.complete_login(NO_DATABASE, w.a, challenge.challenge_token, code, None)

    answers = [await attempt(wrong_code(secret)) for _ in range(w.a.settings.totp_max_failures)]
    assert all(type(a) is InvalidCredentials for a in answers[:-1])
    locked = answers[-1]
    assert isinstance(locked, LockedOut)
    assert (locked.status, locked.code) == (429, "locked-out")
    assert 800 < int(locked.headers()["Retry-After"]) <= w.a.settings.totp_lockout_seconds

    right_now = await attempt(totp.code_at_step(secret, totp.step_at_now() + 1))
    assert isinstance(right_now, LockedOut), "even the right code waits for the lockout to end"


async def test_a_password_reset_sets_the_new_password_and_ends_every_session():
    w = world()
    user_id = await signed_up(w)
    await accounts.login(NO_DATABASE, w.a, "ada@example.com", PASSWORD)
    await accounts.forgot_password(NO_DATABASE, w.a, "ada@example.com")
    token = w.outbox.link_token("ada@example.com", "reset-password")

    await accounts.reset_password(NO_DATABASE, w.a, token, "a brand new passphrase")
    assert [e.reason for e in w.log.of_type(SessionRevoked)] == ["password_reset", "password_reset"]
    assert all(s.revoked_at is not None for s in w.sessions.sessions.values())
    assert isinstance(await accounts.login(NO_DATABASE, w.a, "ada@example.com", "a brand new passphrase"), Tokens)
    with pytest.raises(InvalidCredentials):
        await accounts.login(NO_DATABASE, w.a, "ada@example.com", PASSWORD)
    assert w.log.of(user_id)[-1] == EmailVerified(), "the reset link proved the mailbox"


async def test_asking_to_reset_the_password_of_an_unknown_address_mails_a_note_without_a_link():
    w = world()
    await accounts.forgot_password(NO_DATABASE, w.a, "Nobody@example.com")
    (note,) = w.outbox.mails
    assert note.to == "nobody@example.com" and "no ADLY" in note.body and "token" not in note.body


async def test_asking_to_reset_the_password_of_something_that_is_not_an_address_mails_nothing():
    w = world()
    await accounts.forgot_password(NO_DATABASE, w.a, "not an address")
    assert w.outbox.mails == []
