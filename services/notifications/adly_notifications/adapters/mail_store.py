"""The mails work table over Postgres (docs/notifications.md#email): queued in the consumed
event's transaction, claimed by the mail runner under a lease, settled one by one."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_kit.sql import Statements
from adly_notifications.domain.mailing import DIGEST
from adly_notifications.handlers.ports import DueMail, NewMail


def mails_channel(schema: str) -> str:
    return f"{schema}_mails"


class MailRepository:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def enqueue(self, tx: AsyncConnection, mails: Sequence[NewMail]) -> int:
        if not mails:
            return 0
        result = await tx.execute(self.sql("""
            INSERT INTO {s}.mails (id, workspace_id, user_id, kind, notification_id, params, link, day, state)
            SELECT id, w, u, k, n, CAST(p AS jsonb), l, d, 'pending'
            FROM unnest(CAST(:ids AS uuid[]), CAST(:ws AS uuid[]), CAST(:us AS uuid[]), CAST(:ks AS text[]),
                        CAST(:ns AS uuid[]), CAST(:ps AS text[]), CAST(:ls AS text[]), CAST(:ds AS date[]))
                 AS x(id, w, u, k, n, p, l, d)
            ON CONFLICT (id) DO NOTHING"""), {
            "ids": [m.id for m in mails], "ws": [m.workspace_id for m in mails], "us": [m.user_id for m in mails],
            "ks": [m.kind for m in mails], "ns": [m.notification_id for m in mails],
            "ps": [json.dumps(m.params) for m in mails], "ls": [m.link for m in mails], "ds": [m.day for m in mails]})
        return result.rowcount or 0

    async def due(self, tx: AsyncConnection, mail_ids: Sequence[UUID], worker: str) -> list[DueMail]:
        """The claimed mails this worker holds. One whose last attempt reached DATA and was never
        settled (its worker died) may have gone out: it becomes `unconfirmed`, not sent again."""
        await tx.execute(self.sql("""UPDATE {s}.mails SET state = 'unconfirmed', finished_at = now(),
            leased_by = NULL, leased_until = NULL,
            last_error = 'the worker stopped after handing the mail to the server; not sent again'
            WHERE id = ANY(:ids) AND leased_by = :worker AND data_started_at IS NOT NULL"""),
            {"ids": list(mail_ids), "worker": worker})
        rows = await tx.execute(self.sql("""SELECT id, workspace_id, user_id, kind, notification_id, params, link,
            day, tries FROM {s}.mails WHERE id = ANY(:ids) AND leased_by = :worker AND state = 'pending'
            ORDER BY created_at"""), {"ids": list(mail_ids), "worker": worker})
        return [DueMail(*row) for row in rows]

    async def handing_over(self, tx: AsyncConnection, mail_id: UUID, worker: str) -> bool:
        """Note that the message is about to reach the server; False if the lease was lost."""
        found = await tx.execute(self.sql("""UPDATE {s}.mails SET data_started_at = now(), tries = tries + 1
            WHERE id = :id AND leased_by = :worker AND state = 'pending' RETURNING 1"""),
            {"id": mail_id, "worker": worker})
        return found.first() is not None

    async def finish(self, tx: AsyncConnection, mail_id: UUID, state: str, error: str | None) -> None:
        await tx.execute(self.sql("""UPDATE {s}.mails SET state = :state, finished_at = now(), last_error = :e,
            leased_by = NULL, leased_until = NULL WHERE id = :id"""), {"id": mail_id, "state": state, "e": error})

    async def retry(self, tx: AsyncConnection, mail_id: UUID, in_seconds: float, error: str,
                    handed_over: bool) -> None:
        """Due again later. `handed_over`: the attempt reached DATA and the server refused it for now."""
        await tx.execute(self.sql("""UPDATE {s}.mails SET not_before = now() + make_interval(secs => :after),
            last_error = :e, leased_by = NULL, leased_until = NULL, data_started_at = NULL,
            tries = tries + CASE WHEN :handed_over THEN 0 ELSE 1 END WHERE id = :id"""),
            {"id": mail_id, "after": in_seconds, "e": error, "handed_over": handed_over})

    async def awaiting_digest(self, tx: AsyncConnection, day: date, after: tuple[UUID, UUID] | None,
                              limit: int) -> list[tuple[UUID, UUID]]:
        """Members (workspace, user), in that order after `after`, with the digest on by email and no
        digest row for `day` yet."""
        rows = await tx.execute(self.sql("""
            SELECT m.workspace_id, m.user_id FROM {s}.members m
            WHERE (CAST(:aw AS uuid) IS NULL OR (m.workspace_id, m.user_id) > (CAST(:aw AS uuid), CAST(:au AS uuid)))
              AND NOT EXISTS (SELECT 1 FROM {s}.preferences p WHERE p.workspace_id = m.workspace_id
                              AND p.user_id = m.user_id AND p.kind = :kind AND p.channel = 'email' AND NOT p.enabled)
              AND NOT EXISTS (SELECT 1 FROM {s}.mails d WHERE d.kind = :kind AND d.day = :day
                              AND d.workspace_id = m.workspace_id AND d.user_id = m.user_id)
            ORDER BY m.workspace_id, m.user_id LIMIT :limit"""),
            {"kind": DIGEST, "day": day, "limit": limit, "aw": after[0] if after else None,
             "au": after[1] if after else None})
        return [(workspace_id, user_id) for workspace_id, user_id in rows]

    async def forget_member(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID) -> None:
        await tx.execute(self.sql("""UPDATE {s}.mails SET state = 'dropped', finished_at = now(),
            last_error = 'no longer a member' WHERE workspace_id = :w AND user_id = :u AND state = 'pending'"""),
            {"w": workspace_id, "u": user_id})

    async def forget_workspace(self, tx: AsyncConnection, workspace_id: UUID) -> None:
        await tx.execute(self.sql("DELETE FROM {s}.mails WHERE workspace_id = :w"), {"w": workspace_id})
