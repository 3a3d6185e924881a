"""A user's language and time zone: which names count as time zones, Arabic from the browser,
the sign-up link carrying both to the account, and changing them later."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from uuid import UUID

import pytest

from adly_auth.adapters.signup_tokens import AAD, SealedSignupTokens
from adly_auth.domain.locale import check_time_zone, is_time_zone, language_of
from adly_auth.domain.records import PendingSignup
from adly_auth.handlers import accounts, profile
from adly_kit.crypto import Keyring
from adly_kit.errors import InvalidInput
from adly_kit.settings import DEV_ENCRYPTION_KEYS
from adly_kit.testing.doubles import NO_DATABASE

from .doubles import World, claims_of, world

PASSWORD = "correct horse battery staple"


@pytest.mark.parametrize("name", ["Asia/Riyadh", "Asia/Dubai", "Europe/London", "America/Argentina/Buenos_Aires", "UTC"])
def test_an_iana_place_name_or_utc_is_a_time_zone(name):
    assert is_time_zone(name) and check_time_zone(name) == name


@pytest.mark.parametrize("name", ["EST", "GMT", "Etc/GMT-3", "+03:00", "EST5EDT", "Asia", "Asia/Atlantis",
                                  "../../etc/passwd", "/etc/localtime", "", "asia/riyadh ", "right/Asia/Riyadh",
                                  "posix/Asia/Riyadh", "Asia/Riyadh\x00"])
def test_fixed_offsets_abbreviations_unknown_names_and_paths_are_not_time_zones(name):
    assert not is_time_zone(name)
    with pytest.raises(InvalidInput) as refused:
        check_time_zone(name)
    assert refused.value.path == "body/time_zone"


@pytest.mark.parametrize(("header", "language"), [
    ("ar", "ar"), ("ar-SA,en;q=0.8", "ar"), ("AR-ae", "ar"), ("en-US,ar;q=0.9", "en"), ("fr", "en"), ("", "en"),
    (None, "en"), ("arn", "en"),
])
def test_a_browser_whose_first_choice_is_arabic_gets_arabic_and_every_other_english(header, language):
    assert language_of(header) == language


def test_a_sign_up_link_carries_language_and_time_zone_and_an_older_link_opens_with_the_defaults():
    keyring = Keyring.from_setting(DEV_ENCRYPTION_KEYS)
    tokens = SealedSignupTokens(keyring)
    pending = PendingSignup("ada@example.com", "h", datetime(2030, 1, 1, tzinfo=UTC), "ar", "Asia/Dubai")
    assert tokens.open(tokens.seal(pending)) == pending
    older = keyring.encrypt(b'{"email":"ada@example.com","hash":"h","exp":1893456000}', aad=AAD)
    token = ".".join(_b64(part) for part in (older.kek_id.encode(), older.wrapped_key, older.ciphertext))
    opened = tokens.open(token)
    assert opened is not None and (opened.language, opened.time_zone) == ("en", "Asia/Riyadh")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def signed_up(w: World, **locale: str) -> UUID:
    await accounts.signup(NO_DATABASE, w.a, "ada@example.com", PASSWORD, **locale)
    tokens = await accounts.confirm_signup(NO_DATABASE, w.a, w.outbox.link_token("ada@example.com", "confirm-signup"))
    return UUID(claims_of(tokens.access_token)["sub"])


async def test_the_account_a_sign_up_creates_has_the_language_and_time_zone_it_asked_for():
    w = world()
    user_id = await signed_up(w, language="ar", time_zone="Asia/Kuwait")
    user = w.users.rows[user_id]
    assert (user.language, user.time_zone) == ("ar", "Asia/Kuwait")


async def test_an_account_signed_up_without_them_is_in_english_on_riyadh_time():
    w = world()
    user = w.users.rows[await signed_up(w)]
    assert (user.language, user.time_zone) == ("en", "Asia/Riyadh")


async def test_a_sign_up_with_a_bad_time_zone_is_refused_before_any_mail():
    w = world()
    with pytest.raises(InvalidInput) as refused:
        await accounts.signup(NO_DATABASE, w.a, "ada@example.com", PASSWORD, time_zone="EST")
    assert refused.value.path == "body/time_zone" and w.outbox.mails == []


async def test_changing_the_language_keeps_the_time_zone_and_the_other_way_round():
    w = world()
    user_id = await signed_up(w)
    arabic = await profile.change_locale(NO_DATABASE, w.a, user_id, "ar", None)
    assert (arabic.language, arabic.time_zone) == ("ar", "Asia/Riyadh")
    moved = await profile.change_locale(NO_DATABASE, w.a, user_id, None, "Europe/London")
    assert (moved.language, moved.time_zone) == ("ar", "Europe/London") == (w.users.rows[user_id].language,
                                                                           w.users.rows[user_id].time_zone)


async def test_a_bad_time_zone_changes_nothing():
    w = world()
    user_id = await signed_up(w)
    with pytest.raises(InvalidInput):
        await profile.change_locale(NO_DATABASE, w.a, user_id, "ar", "Mars/Olympus")
    assert w.users.rows[user_id].language == "en"


async def test_an_account_an_identity_provider_creates_is_in_english_on_riyadh_time():
    w = world()
    user_id = await accounts.register_external(NO_DATABASE, w.a, "ada@example.com", "google")
    assert user_id is not None
    assert (w.users.rows[user_id].language, w.users.rows[user_id].time_zone) == ("en", "Asia/Riyadh")
