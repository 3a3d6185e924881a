"""Email normalisation, password rules, secrets and TOTP windows."""

from datetime import UTC, datetime, timedelta

import pytest

from adly_auth.domain import totp
from adly_auth.domain.credentials import check_password, normalise_email
from adly_auth.domain.secrets import (
    api_key_id,
    looks_like_refresh_token,
    new_api_key,
    new_recovery_codes,
    new_refresh_token,
)
from adly_kit.errors import InvalidInput

NOW = datetime(2026, 1, 1, 12, 0, 15, tzinfo=UTC)


def test_emails_are_compared_in_one_spelling():
    assert normalise_email("  Ada.Lovelace@Example.COM ") == "ada.lovelace@example.com"


def test_a_malformed_email_is_refused_with_its_field():
    with pytest.raises(InvalidInput) as refused:
        normalise_email("not-an-email")
    assert refused.value.field == "email"


def test_a_password_needs_twelve_characters():
    with pytest.raises(InvalidInput):
        check_password("short-pass", "a@example.com")


def test_a_password_may_not_be_the_email():
    with pytest.raises(InvalidInput):
        check_password("Someone@Example.com", "someone@example.com")


def test_refresh_tokens_and_api_keys_have_their_documented_formats():
    assert looks_like_refresh_token(new_refresh_token())
    from uuid import uuid4

    key_id = uuid4()
    assert api_key_id(new_api_key(key_id)) == key_id
    assert api_key_id("adly_sk_nothex_x") is None


def test_ten_distinct_recovery_codes():
    codes = new_recovery_codes()
    assert len(set(codes)) == 10


def test_totp_accepts_one_step_either_side_and_not_two():
    secret = totp.new_secret()
    now_step = totp.step_at(NOW)
    for offset in (-1, 0, 1):
        assert totp.matching_step(secret, totp.code_at_step(secret, now_step + offset), NOW, None) == now_step + offset
    for offset in (-2, 2):
        assert totp.matching_step(secret, totp.code_at_step(secret, now_step + offset), NOW, None) is None


def test_a_totp_step_works_once_and_earlier_steps_never_again():
    secret = totp.new_secret()
    step = totp.step_at(NOW)
    assert totp.matching_step(secret, totp.code_at_step(secret, step), NOW, last_step=step) is None
    assert totp.matching_step(secret, totp.code_at_step(secret, step - 1), NOW, last_step=step) is None
    assert totp.matching_step(secret, totp.code_at_step(secret, step + 1), NOW, last_step=step) == step + 1


def test_five_failures_in_a_row_lock_for_fifteen_minutes():
    state = totp.TotpState()
    for _ in range(5):
        state = totp.after_failure(state, NOW, 5, timedelta(minutes=15))
    assert state.locked(NOW) and not state.locked(NOW + timedelta(minutes=15))
