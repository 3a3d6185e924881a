"""What analytics knows of each workspace's campaigns: the ids it owns, where each is published
(ADLY ad -> the platform's ad set), the days each delivered, and the workspace's time zone."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from adly_analytics.domain.attribution import Campaigns, Publication
from adly_events.contracts.common import AdPlatform


class CampaignDirectoryRepository:
    def __init__(self, schema: str) -> None:
        self.s = schema

    async def drafted(self, tx: AsyncConnection, workspace_id: UUID, campaign_id: UUID) -> None:
        await tx.execute(text(f"INSERT INTO {self.s}.campaigns (campaign_id, workspace_id) VALUES (:c, :w) "
                              "ON CONFLICT DO NOTHING"), {"c": campaign_id, "w": workspace_id})

    async def published(self, tx: AsyncConnection, workspace_id: UUID, campaign_id: UUID, platform: AdPlatform,
                        ad_sets: Mapping[UUID, str]) -> None:
        await tx.execute(text(
            f"INSERT INTO {self.s}.publications (campaign_id, platform, workspace_id, ad_sets) "
            "VALUES (:c, :p, :w, CAST(:ads AS jsonb)) ON CONFLICT (campaign_id, platform) "
            "DO UPDATE SET ad_sets = publications.ad_sets || excluded.ad_sets"),
            {"c": campaign_id, "p": platform.value, "w": workspace_id,
             "ads": json.dumps({str(ad): ad_set for ad, ad_set in ad_sets.items()})})

    async def ad_sets(self, tx: AsyncConnection, campaign_ids: Sequence[UUID]) -> dict[UUID, str]:
        rows = await tx.execute(text(f"SELECT ad_sets FROM {self.s}.publications WHERE campaign_id = ANY(:ids)"),
                                {"ids": list(campaign_ids)})
        return {UUID(ad): ad_set for (found,) in rows for ad, ad_set in found.items()}

    async def campaigns(self, tx: AsyncConnection, workspace_id: UUID, since: date) -> Campaigns:
        owned = await tx.execute(text(f"SELECT campaign_id FROM {self.s}.campaigns WHERE workspace_id = :w"),
                                 {"w": workspace_id})
        delivering: dict[tuple[UUID, str], set[date]] = {}
        for campaign_id, platform, day in await tx.execute(text(
                f"SELECT DISTINCT campaign_id, platform, day FROM {self.s}.performance "
                "WHERE workspace_id = :w AND day >= :since AND impressions > 0"), {"w": workspace_id, "since": since}):
            delivering.setdefault((campaign_id, platform), set()).add(day)
        publications = await tx.execute(text(
            f"SELECT campaign_id, platform, ad_sets FROM {self.s}.publications WHERE workspace_id = :w "
            "ORDER BY campaign_id, platform"), {"w": workspace_id})
        return Campaigns(frozenset(c for (c,) in owned), tuple(
            Publication(c, AdPlatform(p), {UUID(ad): ad_set for ad, ad_set in ads.items()},
                        frozenset(delivering.get((c, p), ()))) for c, p, ads in publications))

    async def time_zone(self, tx: AsyncConnection, workspace_id: UUID) -> str:
        found = await tx.scalar(text(f"SELECT time_zone FROM {self.s}.workspaces WHERE workspace_id = :w"),
                                {"w": workspace_id})
        return found or "UTC"

    async def first_time_zone(self, tx: AsyncConnection, workspace_id: UUID, time_zone: str) -> None:
        await tx.execute(text(f"INSERT INTO {self.s}.workspaces (workspace_id, time_zone) VALUES (:w, :tz) "
                              "ON CONFLICT DO NOTHING"), {"w": workspace_id, "tz": time_zone})
