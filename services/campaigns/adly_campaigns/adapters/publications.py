"""The publishing work table (adly_kit.worklist) and the objects each publication created."""

from __future__ import annotations

import uuid
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_campaigns.handlers.ports import Publication
from adly_events.contracts.common import AdPlatform
from adly_kit.sql import Statements


def publications_channel(schema: str) -> str:
    return f"{schema}_publications"


class PublicationRepository:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def enqueue(self, tx: AsyncConnection, workspace_id: UUID, campaign_id: UUID, platform: AdPlatform,
                      ad_account_id: UUID) -> None:
        await tx.execute(self.sql("""INSERT INTO {s}.publications (id, campaign_id, workspace_id, platform,
            ad_account_id, state, approved_at) VALUES (:id, :c, :w, :p, :a, 'queued', now())
            ON CONFLICT (campaign_id, platform) WHERE state = 'queued' DO NOTHING"""),
            {"id": uuid.uuid4(), "c": campaign_id, "w": workspace_id, "p": platform.value, "a": ad_account_id})

    async def get(self, tx: AsyncConnection, publication_id: UUID) -> Publication | None:
        row = (await tx.execute(self.sql("""SELECT id, campaign_id, workspace_id, platform, ad_account_id, attempts,
            approved_at FROM {s}.publications WHERE id = :id AND state = 'queued'"""), {"id": publication_id})).first()
        if row is None:
            return None
        return Publication(row[0], row[1], row[2], AdPlatform(row[3]), row[4], row[5], row[6])

    async def begin_attempt(self, tx: AsyncConnection, publication_id: UUID) -> int:
        row = (await tx.execute(self.sql("""UPDATE {s}.publications SET attempts = attempts + 1 WHERE id = :id
            RETURNING attempts"""), {"id": publication_id})).first()
        return int(row[0]) if row else 0

    async def objects(self, tx: AsyncConnection, campaign_id: UUID, platform: AdPlatform) -> dict[str, str | None]:
        rows = await tx.execute(self.sql("""SELECT step, platform_id FROM {s}.platform_objects
            WHERE campaign_id = :c AND platform = :p"""), {"c": campaign_id, "p": platform.value})
        return {r[0]: r[1] for r in rows}

    async def attempting(self, tx: AsyncConnection, campaign_id: UUID, platform: AdPlatform, step: str) -> None:
        await tx.execute(self.sql("""INSERT INTO {s}.platform_objects (campaign_id, platform, step)
            VALUES (:c, :p, :step) ON CONFLICT DO NOTHING"""), {"c": campaign_id, "p": platform.value, "step": step})

    async def created(self, tx: AsyncConnection, campaign_id: UUID, platform: AdPlatform, step: str,
                      platform_id: str) -> None:
        await tx.execute(self.sql("""INSERT INTO {s}.platform_objects (campaign_id, platform, step, platform_id,
            created_at) VALUES (:c, :p, :step, :id, now())
            ON CONFLICT (campaign_id, platform, step) DO UPDATE SET platform_id = EXCLUDED.platform_id,
                created_at = EXCLUDED.created_at"""),
            {"c": campaign_id, "p": platform.value, "step": step, "id": platform_id})

    async def finish(self, tx: AsyncConnection, publication_id: UUID, state: str, error: str | None) -> None:
        await tx.execute(self.sql("""UPDATE {s}.publications SET state = :state,
            last_error = COALESCE(:error, last_error), finished_at = now(), leased_by = NULL, leased_until = NULL
            WHERE id = :id"""),
            {"id": publication_id, "state": state, "error": error})

    async def retry_later(self, tx: AsyncConnection, publication_id: UUID, seconds: float, error: str) -> None:
        await tx.execute(self.sql("""UPDATE {s}.publications SET not_before = now() + make_interval(secs => :secs),
            last_error = :error, leased_by = NULL, leased_until = NULL WHERE id = :id"""),
            {"id": publication_id, "secs": seconds, "error": error})
