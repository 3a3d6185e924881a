"""Members' preferences over Postgres: only the choices they made (everything else is on)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_kit.sql import Statements
from adly_notifications.domain.preferences import Choice, Preferences


class PreferenceRepository:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def of(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID) -> Preferences:
        rows = await tx.execute(self.sql("""SELECT kind, channel, enabled FROM {s}.preferences
            WHERE workspace_id = :w AND user_id = :u"""), {"w": workspace_id, "u": user_id})
        return Preferences({(kind, channel): enabled for kind, channel, enabled in rows})

    async def choose(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID, choices: Sequence[Choice]) -> None:
        if not choices:
            return
        await tx.execute(self.sql("""INSERT INTO {s}.preferences (workspace_id, user_id, kind, channel, enabled)
            SELECT :w, :u, k, c, e FROM unnest(CAST(:kinds AS text[]), CAST(:channels AS text[]),
                                              CAST(:enabled AS boolean[])) AS x(k, c, e)
            ON CONFLICT (workspace_id, user_id, kind, channel)
            DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = now()"""),
            {"w": workspace_id, "u": user_id, "kinds": [k for k, _, _ in choices],
             "channels": [c for _, c, _ in choices], "enabled": [on for _, _, on in choices]})

    async def turned_off(self, tx: AsyncConnection, workspace_id: UUID, kind: str, channel: str) -> set[UUID]:
        rows = await tx.execute(self.sql("""SELECT user_id FROM {s}.preferences
            WHERE workspace_id = :w AND kind = :k AND channel = :c AND NOT enabled"""),
            {"w": workspace_id, "k": kind, "c": channel})
        return {user for (user,) in rows}

    async def forget_member(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID) -> None:
        await tx.execute(self.sql("DELETE FROM {s}.preferences WHERE workspace_id = :w AND user_id = :u"),
                         {"w": workspace_id, "u": user_id})

    async def forget_workspace(self, tx: AsyncConnection, workspace_id: UUID) -> None:
        await tx.execute(self.sql("DELETE FROM {s}.preferences WHERE workspace_id = :w"), {"w": workspace_id})
