"""Members of each workspace and their roles, over Postgres, kept from auth's events."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_events.contracts.auth import WorkspaceRole
from adly_kit.sql import Statements
from adly_notifications.domain.audience import Member


class MemberRepository:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def advance(self, tx: AsyncConnection, workspace_id: UUID, version: int) -> bool:
        row = (await tx.execute(self.sql("""INSERT INTO {s}.member_lists AS l (workspace_id, version)
            VALUES (:w, :v) ON CONFLICT (workspace_id) DO UPDATE SET version = EXCLUDED.version
            WHERE l.version < EXCLUDED.version AND NOT l.deleted RETURNING 1"""),
            {"w": workspace_id, "v": version})).first()
        return row is not None

    async def put(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID, role: WorkspaceRole) -> None:
        await tx.execute(self.sql("""INSERT INTO {s}.members (workspace_id, user_id, role) VALUES (:w, :u, :r)
            ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = EXCLUDED.role"""),
            {"w": workspace_id, "u": user_id, "r": WorkspaceRole(role).value})

    async def remove(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID) -> None:
        await tx.execute(self.sql("DELETE FROM {s}.members WHERE workspace_id = :w AND user_id = :u"),
                         {"w": workspace_id, "u": user_id})

    async def remove_workspace(self, tx: AsyncConnection, workspace_id: UUID) -> None:
        await tx.execute(self.sql("DELETE FROM {s}.members WHERE workspace_id = :w"), {"w": workspace_id})
        await tx.execute(self.sql("UPDATE {s}.member_lists SET deleted = true WHERE workspace_id = :w"),
                         {"w": workspace_id})

    async def of_workspace(self, tx: AsyncConnection, workspace_id: UUID) -> list[Member]:
        rows = await tx.execute(self.sql("SELECT user_id, role FROM {s}.members WHERE workspace_id = :w ORDER BY user_id"),
                                {"w": workspace_id})
        return [Member(user, WorkspaceRole(role)) for user, role in rows]
