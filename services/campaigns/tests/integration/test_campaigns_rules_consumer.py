"""Analytics' `RuleFired` through campaigns' own idempotent consumer (`rule_firings`, inbox and handler in
one transaction) on real Postgres, against a campaign live on the fake Meta: the rule's pause is made on
Meta and recorded as done by the rule, once, however often the firing is delivered; an increase above
the workspace's threshold is asked for, not made."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from adly_campaigns.bootstrap import MIGRATIONS, build
from adly_campaigns.domain.policies import ApprovalPolicy, BudgetPolicy
from adly_campaigns.entrypoints.runners import publish_campaigns
from adly_events import CATALOG, EventEnvelope
from adly_events.contracts.analytics import RuleAction, RuleActionKind, RuleFired, RuleMetric, RuleTarget
from adly_events.contracts.common import Money
from adly_kit import migrations
from adly_kit.consumer import Record
from adly_kit.db import unit_of_work
from adly_kit.service import Runtime
from adly_kit.settings import DEV_IDENTITY_KEY
from adly_kit.testing.plugin import drop_schema
from tests.fakes.meta import FakeMeta

from .publishing_world import (
    CreativeAssets,
    approved_campaign,
    campaigns_settings,
    events_of,
    objects_on,
    open_shop,
    publish,
    settled,
    state_of,
)

RULE = uuid.UUID("7e57c0de-0000-4000-8000-000000000003")
PAUSE = RuleAction(kind=RuleActionKind.PAUSE)


@pytest.fixture
def meta():
    with FakeMeta() as server:
        yield server


@pytest.fixture
def assets():
    with CreativeAssets(DEV_IDENTITY_KEY) as server:
        yield server


@pytest.fixture
async def runtime(postgres_url: str, kafka: Any, meta: FakeMeta, assets: CreativeAssets) -> AsyncIterator[Runtime]:
    settings = campaigns_settings(postgres_url, kafka.bootstrap_servers, kafka.kind, meta.graph_url, assets.url,
                                  publish_poll_seconds=0.1, publish_lease_seconds=10.0)
    await asyncio.to_thread(migrations.upgrade, settings, str(MIGRATIONS))
    runtime = Runtime(build(), settings)
    try:
        a = await runtime.open(("worker",))
        runner = asyncio.create_task(publish_campaigns(a))
        try:
            yield runtime
        finally:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
    finally:
        await runtime.close()
        await drop_schema(settings)


def a_firing(workspace_id: uuid.UUID, campaign_id: uuid.UUID, ad_set: str,
                 action: RuleAction = PAUSE) -> EventEnvelope:
    fired = RuleFired(rule_name="CPA above 40", metric=RuleMetric.CPA, threshold=Decimal(40), since=date(2026, 6, 10),
                      until=date(2026, 6, 12), figures={"cpa": "", "spend": "300.00 SAR", "orders": "0"},
                      target=RuleTarget(level="ad_set", campaign_id=campaign_id, platform="meta",
                                        platform_ad_set_id=ad_set),
                      action=action, dry_run=False,
                      reasoning="CPA over 3 days (0 orders), target 40.", fired_at=datetime(2026, 6, 12, tzinfo=UTC))
    return CATALOG.envelope(fired, aggregate_id=RULE, aggregate_version=1, workspace_id=workspace_id)


async def deliver(runtime: Runtime, envelope: EventEnvelope, offset: int) -> list[str]:
    topic = CATALOG.get("RuleFired", 1).topic
    consumer = next(c for c, s in zip(runtime.consumers, runtime.service.subscriptions, strict=True)
                    if topic in s.topics)
    return await consumer.process_batch([Record(topic, 0, offset, envelope.key, envelope.to_json())])


async def test_campaigns_a_rule_pausing_an_ad_set_pauses_it_on_meta_once_as_the_rule(runtime, meta, assets):
    a = runtime.adapters
    shop = await open_shop(a, meta)
    campaign_id = await approved_campaign(a, shop, assets)
    await publish(a, shop, campaign_id)
    assert await settled(a, campaign_id) == "live"
    (ad_set,) = objects_on(meta, shop.meta_account)["ad_set"]
    (meta_campaign,) = objects_on(meta, shop.meta_account)["campaign"]

    firing = a_firing(shop.workspace_id, campaign_id, ad_set["id"])
    assert await deliver(runtime, firing, 0) == ["applied"]
    assert await deliver(runtime, firing, 1) == ["duplicate"]

    assert await state_of(a, campaign_id) == "paused"
    (campaign_now,) = objects_on(meta, shop.meta_account)["campaign"]
    assert (campaign_now["id"], campaign_now["status"]) == (meta_campaign["id"], "PAUSED")
    assert await events_of(a, campaign_id, "CampaignPaused") == [{"paused_by": f"rule:{RULE}"}]


async def test_campaigns_a_rules_increase_above_the_threshold_asks_for_approval_and_leaves_meta_alone(
        runtime, meta, assets):
    a = runtime.adapters
    shop = await open_shop(a, meta)
    campaign_id = await approved_campaign(a, shop, assets)
    await publish(a, shop, campaign_id)
    assert await settled(a, campaign_id) == "live"
    async with unit_of_work(a.engine) as tx:
        await a.policies.save(tx, shop.workspace_id, ApprovalPolicy(), BudgetPolicy({"SAR": Decimal(200)}), "admin")
    (ad_set,) = objects_on(meta, shop.meta_account)["ad_set"]

    raise_half = RuleAction(kind=RuleActionKind.CHANGE_BUDGET, percent=Decimal(50),
                            floor=Money(amount=Decimal(50), currency="SAR"),
                            ceiling=Money(amount=Decimal(1000), currency="SAR"))
    firing = a_firing(shop.workspace_id, campaign_id, ad_set["id"], raise_half)
    assert await deliver(runtime, firing, 0) == ["applied"]

    (asked,) = await events_of(a, campaign_id, "RuleActionAwaitingApproval")
    assert (asked["rule_id"], asked["rule_event_id"], asked["action"]) == (str(RULE), str(firing.event_id),
                                                                           "change_budget")
    assert asked["budgets"][0]["budget"]["amount"] == {"amount": "225.00", "currency": "SAR"}   # 150 + 50%
    assert await events_of(a, campaign_id, "CampaignBudgetChanged") == []
    (ad_set_now,) = objects_on(meta, shop.meta_account)["ad_set"]
    assert ad_set_now["daily_budget"] == ad_set["daily_budget"] == "15000"
    assert await state_of(a, campaign_id) == "live"
