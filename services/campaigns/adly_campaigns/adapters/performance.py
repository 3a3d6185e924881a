"""The latest revision of each performance series, and its events: rows with events beside them,
all of one pull's news appended in one statement (adly_kit.eventstore.append_many)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_campaigns.domain.performance import Figures, Revision, plain
from adly_events.contracts.campaigns import PerformanceReported
from adly_events.contracts.common import AdPlatform, Money
from adly_kit.eventstore import EventStore
from adly_kit.recording import envelopes_for
from adly_kit.sql import Statements


class PerformanceStore:
    def __init__(self, schema: str, store: EventStore) -> None:
        self.sql = Statements(schema)
        self.store = store

    async def reported(self, tx: AsyncConnection, campaign_ids: Sequence[UUID], platform: AdPlatform, since: date
                       ) -> dict[UUID, tuple[int, Figures]]:
        rows = await tx.execute(self.sql("""SELECT series_id, revision, impressions, clicks, spend, conversions,
            conversion_value, reach FROM {s}.performance
            WHERE campaign_id = ANY(:campaigns) AND platform = :platform AND day >= :since"""),
            {"campaigns": list(campaign_ids), "platform": platform.value, "since": since})
        return {r[0]: (r[1], Figures(int(r[2]), int(r[3]), plain(Decimal(r[4])), plain(Decimal(r[5])),
                                     plain(Decimal(r[6])), None if r[7] is None else int(r[7])))
                for r in rows}

    async def save(self, tx: AsyncConnection, workspace_id: UUID, revisions: Sequence[Revision], *,
                   currency: str, time_zone: str, ad_ids: dict[str, UUID], campaign_refs: dict[UUID, str],
                   pulled_at: datetime) -> None:
        if not revisions:
            return
        batches = []
        params = []
        for made in revisions:
            series, figures = made.series, made.figures
            event = PerformanceReported(
                campaign_id=series.campaign_id, platform=series.platform, level=series.level,
                ad_id=ad_ids.get(series.platform_object_id) if series.level.value == "ad" else None,
                platform_campaign_id=campaign_refs[series.campaign_id], platform_object_id=series.platform_object_id,
                day=series.day, hour=series.hour, time_zone=time_zone, revision=made.revision,
                impressions=figures.impressions, reach=figures.reach, clicks=figures.clicks,
                spend=Money(amount=figures.spend, currency=currency), conversions=figures.conversions,
                conversion_value=Money(amount=figures.conversion_value, currency=currency), pulled_at=pulled_at)
            batches.append((envelopes_for([event], aggregate_id=series.id, expected_version=made.revision - 1,
                                          workspace_id=workspace_id), made.revision - 1))
            params.append({
                "id": series.id, "w": workspace_id, "c": series.campaign_id, "p": series.platform.value,
                "level": series.level.value, "object": series.platform_object_id, "day": series.day,
                "hour": series.hour, "rev": made.revision, "imp": figures.impressions, "reach": figures.reach,
                "clicks": figures.clicks, "spend": figures.spend, "conv": figures.conversions,
                "value": figures.conversion_value, "currency": currency, "at": pulled_at})
        await self.store.append_many(tx, batches)
        await tx.execute(self.sql("""
            INSERT INTO {s}.performance (series_id, workspace_id, campaign_id, platform, level, platform_object_id,
                day, hour, revision, impressions, reach, clicks, spend, conversions, conversion_value, currency,
                pulled_at)
            VALUES (:id, :w, :c, :p, :level, :object, :day, :hour, :rev, :imp, :reach, :clicks, :spend, :conv,
                :value, :currency, :at)
            ON CONFLICT (series_id) DO UPDATE SET revision = EXCLUDED.revision, impressions = EXCLUDED.impressions,
                reach = EXCLUDED.reach, clicks = EXCLUDED.clicks, spend = EXCLUDED.spend,
                conversions = EXCLUDED.conversions, conversion_value = EXCLUDED.conversion_value,
                pulled_at = EXCLUDED.pulled_at
            WHERE {s}.performance.revision < EXCLUDED.revision"""), params)
