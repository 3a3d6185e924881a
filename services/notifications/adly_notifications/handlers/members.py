"""Who holds which role, from auth's workspace events: the audience of every notice.

Auth's events of one workspace arrive in order (one aggregate, one partition); each is
applied only if newer than the last one applied, so an old event fed back from a dead-letter
topic cannot bring a removed member back. A removed member is told nothing more and their
feed, preferences and unsent mail go with them; a deleted workspace keeps nothing.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_events import EventEnvelope
from adly_events.contracts.auth import (
    MemberAdded,
    MemberRemoved,
    MemberRoleChanged,
    OwnershipTransferred,
    WorkspaceCreated,
    WorkspaceDeleted,
)
from adly_events.contracts.auth import WorkspaceRole as Role
from adly_notifications.adapters.container import Adapters


async def _newer(tx: AsyncConnection, a: Adapters, envelope: EventEnvelope) -> UUID | None:
    """The workspace, if this event is the next news of it."""
    workspace_id = envelope.workspace_id or envelope.aggregate_id
    return workspace_id if await a.members.advance(tx, workspace_id, envelope.aggregate_version) else None


async def workspace_created(tx: AsyncConnection, a: Adapters, event: WorkspaceCreated, envelope: EventEnvelope) -> None:
    if workspace_id := await _newer(tx, a, envelope):
        await a.members.put(tx, workspace_id, event.owner_id, Role.OWNER)


async def member_added(tx: AsyncConnection, a: Adapters, event: MemberAdded, envelope: EventEnvelope) -> bool:
    if workspace_id := await _newer(tx, a, envelope):
        await a.members.put(tx, workspace_id, event.user_id, event.role)
        return True
    return False


async def role_changed(tx: AsyncConnection, a: Adapters, event: MemberRoleChanged, envelope: EventEnvelope) -> None:
    if workspace_id := await _newer(tx, a, envelope):
        await a.members.put(tx, workspace_id, event.user_id, event.new_role)


async def ownership_transferred(tx: AsyncConnection, a: Adapters, event: OwnershipTransferred,
                                envelope: EventEnvelope) -> None:
    if workspace_id := await _newer(tx, a, envelope):
        await a.members.put(tx, workspace_id, event.previous_owner_id, Role.ADMIN)
        await a.members.put(tx, workspace_id, event.new_owner_id, Role.OWNER)


async def member_removed(tx: AsyncConnection, a: Adapters, event: MemberRemoved, envelope: EventEnvelope) -> bool:
    if workspace_id := await _newer(tx, a, envelope):
        await a.members.remove(tx, workspace_id, event.user_id)
        await a.feed.forget_member(tx, workspace_id, event.user_id)
        await a.preferences.forget_member(tx, workspace_id, event.user_id)
        await a.mails.forget_member(tx, workspace_id, event.user_id)
        return True
    return False


async def workspace_deleted(tx: AsyncConnection, a: Adapters, event: WorkspaceDeleted, envelope: EventEnvelope) -> None:
    if workspace_id := await _newer(tx, a, envelope):
        await a.members.remove_workspace(tx, workspace_id)
        await a.feed.forget_workspace(tx, workspace_id)
        await a.preferences.forget_workspace(tx, workspace_id)
        await a.mails.forget_workspace(tx, workspace_id)
