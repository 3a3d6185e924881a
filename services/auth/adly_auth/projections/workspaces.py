"""The workspace read model (`workspaces`, `workspace_members`), fed from the event store.

Each workspace row carries the version of the last event applied to it; an event is
applied only if it is the next one. The repository applies new events in the writing
transaction (reads see writes at once) and the projection runner replays the store
behind it, so the same event arriving twice changes nothing, and `rebuild` works.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from adly_events import CATALOG, EventEnvelope
from adly_events.contracts.auth import (
    MemberAdded,
    MemberRemoved,
    MemberRoleChanged,
    OwnershipTransferred,
    WorkspaceCreated,
    WorkspaceDeleted,
    WorkspaceRenamed,
)
from adly_kit.db import safe_schema


class WorkspaceProjection:
    name = "workspaces"

    def __init__(self, schema: str) -> None:
        self.s = safe_schema(schema)

    async def apply(self, tx: AsyncConnection, event: EventEnvelope) -> None:
        if event.aggregate_type != "workspace":
            return
        if not await self._advance(tx, event):
            return
        payload = CATALOG.decode(event)
        ws, at = event.aggregate_id, event.occurred_at
        match payload:
            case WorkspaceCreated(owner_id=owner):
                await self._member(tx, ws, owner, "owner", at)
            case WorkspaceRenamed(name=name):
                await self._run(tx, "UPDATE {s}.workspaces SET name = :n WHERE id = :w", w=ws, n=name)
            case MemberAdded(user_id=user, role=role):
                await self._member(tx, ws, user, str(role), at)
            case MemberRoleChanged(user_id=user, new_role=role):
                await self._set_role(tx, ws, user, str(role))
            case MemberRemoved(user_id=user):
                await self._run(tx, "DELETE FROM {s}.workspace_members WHERE workspace_id = :w AND user_id = :u", w=ws, u=user)
            case OwnershipTransferred(previous_owner_id=previous, new_owner_id=new):
                await self._set_role(tx, ws, previous, "admin")
                await self._set_role(tx, ws, new, "owner")
            case WorkspaceDeleted():
                await self._run(tx, "DELETE FROM {s}.workspace_members WHERE workspace_id = :w", w=ws)
                await self._run(tx, "UPDATE {s}.workspaces SET deleted_at = :at WHERE id = :w", w=ws, at=at)

    async def reset(self, tx: AsyncConnection) -> None:
        await tx.execute(text(f"TRUNCATE {self.s}.workspace_members, {self.s}.workspaces"))

    async def _advance(self, tx: AsyncConnection, event: EventEnvelope) -> bool:
        """Move the row to this event's version if it is the next one; False if applied already."""
        if event.event_type == "WorkspaceCreated":
            result = await self._run(
                tx, """INSERT INTO {s}.workspaces (id, name, version, created_at) VALUES (:w, :n, 1, :at)
                       ON CONFLICT (id) DO NOTHING""",
                w=event.aggregate_id, n=event.payload["name"], at=event.occurred_at)
        else:
            result = await self._run(tx, "UPDATE {s}.workspaces SET version = :v WHERE id = :w AND version = :v - 1",
                                     w=event.aggregate_id, v=event.aggregate_version)
        return result.rowcount == 1

    async def _member(self, tx, ws, user, role, at) -> None:
        await self._run(tx, """INSERT INTO {s}.workspace_members (workspace_id, user_id, role, joined_at)
                               VALUES (:w, :u, :r, :at) ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = :r""",
                        w=ws, u=user, r=role, at=at)

    async def _set_role(self, tx, ws, user, role) -> None:
        await self._run(tx, "UPDATE {s}.workspace_members SET role = :r WHERE workspace_id = :w AND user_id = :u",
                        w=ws, u=user, r=role)

    async def _run(self, tx: AsyncConnection, sql: str, **params):
        return await tx.execute(text(sql.replace("{s}", self.s)), params)


