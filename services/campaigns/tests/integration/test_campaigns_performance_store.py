"""Performance pulls recorded on a real Postgres schema: the series rows and their
`PerformanceReported` events, each revision once, restatements as the next version.

The campaign goes live on the fake Meta through the real publisher; the report the platform
answers is scripted here (`ScriptedReports`) so these tests are about what ADLY records, not
about a platform's report format (each platform's client tests cover that)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from adly_campaigns.adapters.container import Adapters
from adly_campaigns.domain.ports import AccountAccess, PerformanceRow
from adly_campaigns.entrypoints.runners import publish_campaigns, pull_performance_once
from adly_events.contracts.campaigns import PerformanceLevel
from adly_events.contracts.common import AdPlatform
from adly_kit.settings import DEV_IDENTITY_KEY
from adly_kit.sql import utc_now
from tests.fakes.meta import FakeMeta

from .publishing_world import (
    CreativeAssets,
    approved_campaign,
    campaigns_service,
    campaigns_settings,
    open_shop,
    publish,
    rows,
    settled,
)


class ScriptedReports:
    platform = AdPlatform.META

    def __init__(self) -> None:
        self.rows: list[PerformanceRow] = []
        self.asked: list[tuple[str, ...]] = []

    async def performance(self, account: AccountAccess, platform_campaign_ids: Sequence[str], since: date,
                          until: date, *, hourly_day: date | None = None) -> list[PerformanceRow]:
        self.asked.append(tuple(platform_campaign_ids))
        return [r for r in self.rows if r.platform_campaign_id in platform_campaign_ids]


@pytest.fixture
def meta():
    with FakeMeta() as server:
        yield server


@pytest.fixture
def assets():
    with CreativeAssets(DEV_IDENTITY_KEY) as server:
        yield server


@pytest.fixture
async def service(postgres_url: str, kafka: Any, meta: FakeMeta, assets: CreativeAssets) -> AsyncIterator[Adapters]:
    settings = campaigns_settings(postgres_url, kafka.bootstrap_servers, kafka.kind, meta.graph_url, assets.url,
                                  publish_poll_seconds=0.1)
    async with campaigns_service(settings) as a:
        runner = asyncio.create_task(publish_campaigns(a))
        try:
            yield a
        finally:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)


def day_row(campaign: str, day: date, spend: str, *, level: PerformanceLevel = PerformanceLevel.CAMPAIGN,
            object_id: str | None = None) -> PerformanceRow:
    return PerformanceRow(level=level, platform_campaign_id=campaign, platform_object_id=object_id or campaign,
                          day=day, hour=None, impressions=1200, clicks=48, spend=Decimal(spend),
                          conversions=Decimal("3"), conversion_value=Decimal("450.00"))


async def test_a_pull_records_each_series_once_and_a_restated_day_as_its_next_revision(
        service: Adapters, meta: FakeMeta, assets: CreativeAssets) -> None:
    shop = await open_shop(service, meta)
    campaign_id = await approved_campaign(service, shop, assets)
    await publish(service, shop, campaign_id)
    assert await settled(service, campaign_id) == "live"
    ((runs,),) = await rows(service, "SELECT runs FROM {s}.campaigns WHERE id = :id", id=campaign_id)
    platform_campaign = runs["meta"]["platform_campaign_id"]
    platform_ad = runs["meta"]["ads"][0]["platform_ad_id"]
    reports = ScriptedReports()
    service.reports = {AdPlatform.META: reports}
    today = utc_now().date()
    reports.rows = [day_row(platform_campaign, today - timedelta(days=1), "80.00"),
                    day_row(platform_campaign, today - timedelta(days=1), "80.00", level=PerformanceLevel.AD,
                            object_id=platform_ad)]

    assert await pull_performance_once(service) == 2
    assert await pull_performance_once(service) == 0            # the same figures again: nothing new
    reports.rows[0] = day_row(platform_campaign, today - timedelta(days=1), "76.40")   # Meta restated the day
    assert await pull_performance_once(service) == 1

    stored = await rows(service, """SELECT level, revision, spend, currency FROM {s}.performance
        WHERE campaign_id = :c ORDER BY level""", c=campaign_id)
    assert [(level, revision, Decimal(spend), currency) for level, revision, spend, currency in stored] == [
        ("ad", 1, Decimal("80"), "SAR"), ("campaign", 2, Decimal("76.4"), "SAR")]
    reported = [payload for (payload,) in await rows(service, """SELECT envelope->'payload' FROM {s}.events
        WHERE event_type = 'PerformanceReported' ORDER BY position""") if payload["campaign_id"] == str(campaign_id)]
    assert sorted((e["level"], e["revision"], e["spend"]["amount"]) for e in reported) == [
        ("ad", 1, "80"), ("campaign", 1, "80"), ("campaign", 2, "76.4")]
    ad_report = next(e for e in reported if e["level"] == "ad")
    (ad_id,) = [ad["ad_id"] for ad in runs["meta"]["ads"]]
    assert ad_report["ad_id"] == ad_id and ad_report["time_zone"] and ad_report["platform_campaign_id"] == platform_campaign

    async with service.engine.connect() as conn:
        shown = await service.queries.performance(conn, campaign_id, "campaign", today - timedelta(days=7), today)
    assert [(r["day"], r["revision"], r["spend"], r["currency"]) for r in shown] == [
        (today - timedelta(days=1), 2, Decimal("76.4"), "SAR")]
