"""Event handlers that keep the gateway's identity read model in step with auth.

Each runs inside the consumer's transaction, next to the inbox row of the event, so an
event is applied exactly once. Workspace events of one workspace share a partition and
arrive in order; API-key and session events come on their own topics.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

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
from adly_gateway.handlers.ports import IdentityRecords


async def workspace_created(tx: AsyncConnection, records: IdentityRecords, workspace_id: UUID,
                            event: WorkspaceCreated) -> None:
    await records.workspace_created(tx, workspace_id)
    await records.set_member(tx, workspace_id, event.owner_id, WorkspaceRole.OWNER.value)


async def member_added(tx: AsyncConnection, records: IdentityRecords, workspace_id: UUID, event: MemberAdded) -> None:
    await records.set_member(tx, workspace_id, event.user_id, event.role.value)


async def member_role_changed(tx: AsyncConnection, records: IdentityRecords, workspace_id: UUID,
                              event: MemberRoleChanged) -> None:
    await records.set_member(tx, workspace_id, event.user_id, event.new_role.value)


async def member_removed(tx: AsyncConnection, records: IdentityRecords, workspace_id: UUID,
                         event: MemberRemoved) -> None:
    await records.remove_member(tx, workspace_id, event.user_id)


async def ownership_transferred(tx: AsyncConnection, records: IdentityRecords, workspace_id: UUID,
                                event: OwnershipTransferred) -> None:
    """The previous owner stays, as an admin (docs/identity.md: transfer, then leave)."""
    await records.set_member(tx, workspace_id, event.previous_owner_id, WorkspaceRole.ADMIN.value)
    await records.set_member(tx, workspace_id, event.new_owner_id, WorkspaceRole.OWNER.value)


async def workspace_deleted(tx: AsyncConnection, records: IdentityRecords, workspace_id: UUID,
                            event: WorkspaceDeleted) -> None:
    await records.workspace_deleted(tx, workspace_id)


async def api_key_created(tx: AsyncConnection, records: IdentityRecords, key_id: UUID, workspace_id: UUID | None,
                          event: ApiKeyCreated) -> None:
    if workspace_id is None:  # a key belongs to exactly one workspace: an event without one is broken
        raise ValueError("ApiKeyCreated without a workspace id")
    await records.api_key_created(tx, key_id, workspace_id, event.role.value, event.secret_sha256)


async def api_key_revoked(tx: AsyncConnection, records: IdentityRecords, key_id: UUID, event: ApiKeyRevoked) -> None:
    await records.api_key_revoked(tx, key_id)


async def session_revoked(tx: AsyncConnection, records: IdentityRecords, sid: UUID, at: datetime,
                          event: SessionRevoked) -> None:
    """`sid` is the session family, the event's aggregate: access tokens carry it."""
    await records.session_revoked(tx, str(sid), event.user_id, at)
