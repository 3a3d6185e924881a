"""One-click unsubscribe tokens: what we signed comes back; anything else is refused."""

from __future__ import annotations

import uuid

import pytest

from adly_kit.errors import InvalidInput
from adly_notifications.domain.unsubscribe import read_unsubscribe_token, unsubscribe_token

KEY = b"k" * 32
WORKSPACE, USER = uuid.uuid4(), uuid.uuid4()


@pytest.mark.parametrize("kind", ["sync.failed", "creative.ready", "digest.daily"])
def test_a_token_names_the_workspace_member_and_kind_it_was_made_for(kind):
    assert read_unsubscribe_token(KEY, unsubscribe_token(KEY, WORKSPACE, USER, kind)) == (WORKSPACE, USER, kind)


def test_a_token_fits_in_a_url_unescaped():
    token = unsubscribe_token(KEY, WORKSPACE, USER, "campaign.published")
    assert all(c.isalnum() or c in "-_." for c in token)


def refused(token: str, key: bytes = KEY) -> InvalidInput:
    with pytest.raises(InvalidInput) as raised:
        read_unsubscribe_token(key, token)
    return raised.value


def test_a_token_signed_with_another_key_is_refused():
    error = refused(unsubscribe_token(b"other" * 8, WORKSPACE, USER, "sync.failed"))
    assert (error.code, error.path) == ("invalid-token", "query/token")


def test_a_token_with_another_kind_or_member_swapped_in_is_refused():
    token = unsubscribe_token(KEY, WORKSPACE, USER, "sync.failed")
    other = unsubscribe_token(KEY, WORKSPACE, uuid.uuid4(), "creative.ready")
    refused(other.split(".")[0] + "." + token.split(".")[1])


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1], lambda t: t[:10], lambda t: t.split(".")[0], lambda t: t + "A",
    lambda t: "", lambda t: ".", lambda t: "garbage", lambda t: "ü.ü", lambda t: t.replace(".", ".."),
])
def test_a_truncated_or_garbled_token_is_refused(mangle):
    assert refused(mangle(unsubscribe_token(KEY, WORKSPACE, USER, "sync.failed"))).code == "invalid-token"
