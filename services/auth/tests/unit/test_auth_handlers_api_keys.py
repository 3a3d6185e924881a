"""API keys: created for a workspace and a role, shown once, revoked once, driven through
adly_auth.handlers on in-memory ports."""

from __future__ import annotations

import uuid

import pytest

from adly_auth.domain.secrets import sha256
from adly_auth.domain.workspace import Role
from adly_auth.handlers import api_keys, sessions
from adly_auth.handlers.outcomes import OAuthError, Tokens
from adly_events.contracts.auth import ApiKeyCreated, ApiKeyRevoked
from adly_kit.errors import InvalidInput, NotAllowed, NotFound
from adly_kit.testing.doubles import NO_DATABASE

from .doubles import claims_of, world

WORKSPACE, ADMIN = uuid.uuid4(), uuid.uuid4()


async def test_a_new_key_is_shown_once_and_only_its_hash_is_kept_and_published():
    w = world()
    key, secret = await api_keys.create(NO_DATABASE, w.a, WORKSPACE, "  shop   sync ", Role.MARKETER, ADMIN, Role.ADMIN)
    assert secret.startswith("adly_sk_") and secret not in repr(w.api_keys.rows)
    assert (key.name, key.role, key.secret_sha256) == ("shop sync", Role.MARKETER, sha256(secret))
    (created,) = w.log
    assert (created.aggregate_id, created.workspace_id) == (key.id, WORKSPACE)
    assert created.payload == ApiKeyCreated(name="shop sync", role=Role.MARKETER, secret_sha256=sha256(secret),
                                            created_by=ADMIN)


async def test_a_key_never_outranks_the_member_who_creates_it():
    w = world()
    with pytest.raises(NotAllowed) as refused:
        await api_keys.create(NO_DATABASE, w.a, WORKSPACE, "too strong", Role.ADMIN, ADMIN, Role.MARKETER)
    assert (refused.value.status, refused.value.path) == (403, "body/role")
    assert w.api_keys.rows == {} and list(w.log) == []


async def test_no_key_is_an_owner_even_when_the_owner_creates_it():
    w = world()
    with pytest.raises(NotAllowed):
        await api_keys.create(NO_DATABASE, w.a, WORKSPACE, "all powerful", Role.OWNER, ADMIN, Role.OWNER)


async def test_a_key_needs_a_name():
    w = world()
    with pytest.raises(InvalidInput) as refused:
        await api_keys.create(NO_DATABASE, w.a, WORKSPACE, "   ", Role.ANALYST, ADMIN, Role.ADMIN)
    assert refused.value.path == "body/name"


async def test_a_key_signs_its_client_in_until_it_is_revoked_and_revoking_again_changes_nothing():
    w = world()
    key, secret = await api_keys.create(NO_DATABASE, w.a, WORKSPACE, "reporting", Role.ANALYST, ADMIN, Role.ADMIN)
    granted = await sessions.client_credentials(NO_DATABASE, w.a, str(key.id), secret)
    assert isinstance(granted, Tokens) and granted.refresh_token is None
    claims = claims_of(granted.access_token)
    assert (claims["sub"], claims["ws"], claims["role"]) == (f"apikey:{key.id}", str(WORKSPACE), "analyst")

    await api_keys.revoke(NO_DATABASE, w.a, WORKSPACE, key.id, ADMIN)
    await api_keys.revoke(NO_DATABASE, w.a, WORKSPACE, key.id, ADMIN)
    assert w.log.of(key.id)[1:] == [ApiKeyRevoked(revoked_by=ADMIN)]
    refused = await sessions.client_credentials(NO_DATABASE, w.a, str(key.id), secret)
    assert isinstance(refused, OAuthError) and (refused.error, refused.status) == ("invalid_client", 401)


async def test_a_key_is_not_found_from_another_workspace():
    w = world()
    key, _ = await api_keys.create(NO_DATABASE, w.a, WORKSPACE, "reporting", Role.ANALYST, ADMIN, Role.ADMIN)
    with pytest.raises(NotFound):
        await api_keys.revoke(NO_DATABASE, w.a, uuid.uuid4(), key.id, ADMIN)
    assert w.api_keys.rows[key.id].revoked_at is None
