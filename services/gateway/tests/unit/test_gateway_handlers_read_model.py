"""The read-model handlers (adly_gateway.handlers.read_model) apply auth's events, on an in-memory read model."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

import pytest

from adly_events.contracts.auth import (
    ApiKeyCreated,
    ApiKeyRevoked,
    MemberAdded,
    MemberRemoved,
    MemberRoleChanged,
    OwnershipTransferred,
    SessionRevoked,
    WorkspaceCreated,
    WorkspaceDeleted,
    WorkspaceRole,
)
from adly_gateway.handlers import read_model
from adly_kit.testing.doubles import NO_DATABASE

from .doubles import ReadModelInMemory

MARKETER, ANALYST = WorkspaceRole.MARKETER, WorkspaceRole.ANALYST


async def created(model: ReadModelInMemory) -> tuple[uuid.UUID, uuid.UUID]:
    ws, owner = uuid.uuid4(), uuid.uuid4()
    await read_model.workspace_created(NO_DATABASE, model, ws, WorkspaceCreated(name="Acme", owner_id=owner))
    return ws, owner


async def test_a_new_workspace_has_its_creator_as_owner():
    model = ReadModelInMemory()
    ws, owner = await created(model)
    assert await model.user(owner, ws, "s") == ("owner", False)
    assert await model.user(uuid.uuid4(), ws, "s") == (None, False)


async def test_members_join_change_role_and_leave():
    model = ReadModelInMemory()
    ws, owner = await created(model)
    member = uuid.uuid4()
    await read_model.member_added(NO_DATABASE, model, ws, MemberAdded(user_id=member, role=MARKETER, invited_by=owner))
    assert (await model.user(member, ws, None))[0] == "marketer"
    changed = MemberRoleChanged(user_id=member, old_role=MARKETER, new_role=ANALYST, changed_by=owner)
    await read_model.member_role_changed(NO_DATABASE, model, ws, changed)
    assert (await model.user(member, ws, None))[0] == "analyst"
    await read_model.member_removed(NO_DATABASE, model, ws, MemberRemoved(user_id=member, removed_by=owner))
    assert (await model.user(member, ws, None))[0] is None


async def test_a_transfer_makes_the_previous_owner_an_admin():
    model = ReadModelInMemory()
    ws, owner = await created(model)
    heir = uuid.uuid4()
    await read_model.member_added(NO_DATABASE, model, ws, MemberAdded(user_id=heir, role=MARKETER))
    await read_model.ownership_transferred(NO_DATABASE, model, ws, OwnershipTransferred(previous_owner_id=owner, new_owner_id=heir))
    assert [(await model.user(u, ws, None))[0] for u in (owner, heir)] == ["admin", "owner"]


def key_created(role: WorkspaceRole = MARKETER) -> ApiKeyCreated:
    return ApiKeyCreated(name="ci", role=role, secret_sha256=hashlib.sha256(b"key").hexdigest(), created_by=uuid.uuid4())


async def test_api_keys_work_until_revoked():
    model = ReadModelInMemory()
    ws, _ = await created(model)
    key_id = uuid.uuid4()
    await read_model.api_key_created(NO_DATABASE, model, key_id, ws, key_created())
    record = await model.api_key(key_id)
    assert record is not None and (record.workspace_id, record.role, record.usable) == (ws, "marketer", True)
    assert record.secret_sha256 == hashlib.sha256(b"key").hexdigest()
    await read_model.api_key_revoked(NO_DATABASE, model, key_id, ApiKeyRevoked(revoked_by=None))
    revoked = await model.api_key(key_id)
    assert revoked is not None and not revoked.usable


async def test_an_api_key_without_a_workspace_is_refused_rather_than_stored():
    model = ReadModelInMemory()
    with pytest.raises(ValueError, match="workspace"):
        await read_model.api_key_created(NO_DATABASE, model, uuid.uuid4(), None, key_created())
    assert model.keys == {}


async def test_a_deleted_workspace_loses_its_members_and_its_keys():
    model = ReadModelInMemory()
    ws, owner = await created(model)
    key_id = uuid.uuid4()
    await read_model.api_key_created(NO_DATABASE, model, key_id, ws, key_created(ANALYST))
    await read_model.workspace_deleted(NO_DATABASE, model, ws, WorkspaceDeleted(deleted_by=owner))
    assert (await model.user(owner, ws, None))[0] is None
    record = await model.api_key(key_id)
    assert record is not None and not record.usable


async def test_a_revoked_session_is_known_by_its_family_id():
    model = ReadModelInMemory()
    user, sid = uuid.uuid4(), uuid.uuid4()
    at = datetime(2026, 1, 2, tzinfo=UTC)
    await read_model.session_revoked(NO_DATABASE, model, sid, at, SessionRevoked(user_id=user, reason="refresh_token_reuse"))
    assert model.revoked_sessions == {str(sid): (user, at)}
    assert await model.user(user, None, str(sid)) == (None, True)
    assert await model.user(user, None, str(uuid.uuid4())) == (None, False)
