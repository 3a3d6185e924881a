"""API keys: created for a workspace and a role no higher than the creator's, never owner."""

from __future__ import annotations

import uuid
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_auth.adapters.container import Adapters
from adly_auth.domain.records import ApiKey
from adly_auth.domain.secrets import new_api_key, sha256
from adly_auth.domain.workspace import RANK, Role
from adly_events.contracts.auth import ApiKeyCreated, ApiKeyRevoked
from adly_kit.errors import InvalidInput, NotAllowed, NotFound
from adly_kit.sql import utc_now


async def create(tx: AsyncConnection, a: Adapters, workspace_id: UUID, name: str, role: Role, by: UUID,
                 by_role: Role) -> tuple[ApiKey, str]:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 100:
        raise InvalidInput("A key name has 1 to 100 characters.", field="name")
    if role == Role.OWNER or RANK[role] > RANK[by_role]:
        raise NotAllowed("An API key's role is at most yours, and never owner.", field="role")
    key_id = uuid.uuid4()
    secret = new_api_key(key_id)
    key = ApiKey(key_id, workspace_id, name, role, sha256(secret), by, utc_now(), None, 1)
    await a.api_keys.add(tx, key)
    event = ApiKeyCreated(name=name, role=role, secret_sha256=key.secret_sha256, created_by=by)
    await a.events.record(tx, [event], aggregate_id=key_id, expected_version=0, workspace_id=workspace_id)
    return key, secret


async def revoke(tx: AsyncConnection, a: Adapters, workspace_id: UUID, key_id: UUID, by: UUID | None) -> None:
    key = await a.api_keys.get(tx, key_id, lock=True)
    if key is None or key.workspace_id != workspace_id:
        raise NotFound("No such API key.")
    if key.revoked_at is None:
        await _revoke(tx, a, key, by)


async def revoke_all_keys(tx: AsyncConnection, a: Adapters, workspace_id: UUID, by: UUID | None) -> None:
    for key in await a.api_keys.of_workspace(tx, workspace_id, live_only=True):
        await _revoke(tx, a, key, by)


async def _revoke(tx: AsyncConnection, a: Adapters, key: ApiKey, by: UUID | None) -> None:
    await a.events.record(tx, [ApiKeyRevoked(revoked_by=by)], aggregate_id=key.id,
                          expected_version=key.event_version, workspace_id=key.workspace_id)
    await a.api_keys.mark_revoked(tx, key.id, key.event_version + 1)
