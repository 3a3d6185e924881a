"""The feed over Postgres: each notice once (`notifications`), an item per recipient
(`feed_items`, unique per notice and member, so a replay adds nothing)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_kit.sql import Statements
from adly_notifications.domain.notices import Notice
from adly_notifications.handlers.ports import FeedItem


class FeedRepository:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def add(self, tx: AsyncConnection, notice: Notice, recipients: Sequence[UUID]) -> bool:
        new = (await tx.execute(self.sql("""INSERT INTO {s}.notifications (id, workspace_id, kind, params, link,
            source_event_id, occurred_at) VALUES (:id, :w, :kind, CAST(:params AS jsonb), :link, :source, :at)
            ON CONFLICT (id) DO NOTHING RETURNING id"""),
            {"id": notice.id, "w": notice.workspace_id, "kind": notice.kind, "params": json.dumps(notice.params),
             "link": notice.link, "source": notice.source_event_id, "at": notice.occurred_at})).first()
        if new is None:
            return False
        if recipients:
            await tx.execute(self.sql("""INSERT INTO {s}.feed_items (notification_id, user_id, workspace_id, created_at)
                SELECT :id, u, :w, :at FROM unnest(CAST(:users AS uuid[])) AS u ON CONFLICT DO NOTHING"""),
                {"id": notice.id, "w": notice.workspace_id, "at": notice.occurred_at, "users": list(recipients)})
        return True

    async def page(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID, *, limit: int,
                   before: tuple[datetime, UUID] | None, only_unread: bool) -> list[FeedItem]:
        where = ["f.workspace_id = :w", "f.user_id = :u"]
        params: dict[str, Any] = {"w": workspace_id, "u": user_id, "limit": limit}
        if before is not None:
            where.append("(f.created_at, f.notification_id) < (:c_at, :c_id)")
            params["c_at"], params["c_id"] = before
        if only_unread:
            where.append("f.read_at IS NULL")
        rows = await tx.execute(self.sql(f"""SELECT f.notification_id, n.kind, n.params, n.link, f.created_at, f.read_at
            FROM {{s}}.feed_items f JOIN {{s}}.notifications n ON n.id = f.notification_id
            WHERE {' AND '.join(where)} ORDER BY f.created_at DESC, f.notification_id DESC LIMIT :limit"""), params)
        return [FeedItem(*row) for row in rows]

    async def unread(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID) -> int:
        return int((await tx.execute(self.sql("""SELECT count(*) FROM {s}.feed_items
            WHERE workspace_id = :w AND user_id = :u AND read_at IS NULL"""), {"w": workspace_id, "u": user_id})).scalar_one())

    async def mark_read(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID, notification_id: UUID) -> bool:
        row = (await tx.execute(self.sql("""UPDATE {s}.feed_items SET read_at = COALESCE(read_at, now())
            WHERE workspace_id = :w AND user_id = :u AND notification_id = :n RETURNING 1"""),
            {"w": workspace_id, "u": user_id, "n": notification_id})).first()
        return row is not None

    async def mark_all_read(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID) -> int:
        result = await tx.execute(self.sql("""UPDATE {s}.feed_items SET read_at = now()
            WHERE workspace_id = :w AND user_id = :u AND read_at IS NULL"""), {"w": workspace_id, "u": user_id})
        return int(result.rowcount)

    async def forget_member(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID) -> None:
        await tx.execute(self.sql("DELETE FROM {s}.feed_items WHERE workspace_id = :w AND user_id = :u"),
                         {"w": workspace_id, "u": user_id})

    async def forget_workspace(self, tx: AsyncConnection, workspace_id: UUID) -> None:
        # The notices stay (their ids keep a replay from telling anyone again); the feeds go.
        await tx.execute(self.sql("DELETE FROM {s}.feed_items WHERE workspace_id = :w"), {"w": workspace_id})
