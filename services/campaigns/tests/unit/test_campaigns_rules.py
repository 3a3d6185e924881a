"""Analytics' rule firings carried out by campaigns (handlers/rules.py) on in-memory ports: a pause or a
budget change recorded as done by `rule:<id>`, an approval request where a person must decide, and
nothing at all for a dry run."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from adly_campaigns.domain.lifecycle import State
from adly_campaigns.domain.policies import ApprovalPolicy, BudgetPolicy
from adly_campaigns.domain.ports import ObjectKind
from adly_campaigns.domain.rule_actions import changed_budget, shift
from adly_campaigns.handlers import rules
from adly_events import CATALOG, EventEnvelope
from adly_events.contracts.analytics import RuleAction, RuleActionKind, RuleFired, RuleMetric, RuleTarget
from adly_events.contracts.campaigns import (
    CampaignBudgetChanged,
    CampaignPaused,
    PlatformBudget,
    RuleActionAwaitingApproval,
)
from adly_events.contracts.common import AdPlatform, Money
from adly_kit.testing.doubles import NO_DATABASE

from .flows import META, TIKTOK, Shop, created_ids, live, shop
from .journeys import budget

RULE = UUID("7e57c0de-0000-4000-8000-000000000002")
ACTOR = f"rule:{RULE}"


def sar(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="SAR")


async def ad_set_of(s: Shop, campaign_id: UUID, platform: AdPlatform = META) -> str:
    campaign = await s.campaign(campaign_id)
    return next(iter(campaign.platforms[platform].ads.values())).platform_ad_set_id


def firing(s: Shop, campaign_id: UUID, action: RuleAction, *, ad_set: str | None = None,
           platform: AdPlatform | None = META, dry_run: bool = False, version: int = 1) -> EventEnvelope:
    level = "ad_set" if ad_set else "campaign"
    fired = RuleFired(rule_name="test", metric=RuleMetric.CPA, threshold=Decimal(40), since=date(2031, 3, 1),
                      until=date(2031, 3, 3), figures={"cpa": "50.00 SAR"},
                      target=RuleTarget(level=level, campaign_id=campaign_id, platform=platform if ad_set else None,
                                        platform_ad_set_id=ad_set),
                      action=action, dry_run=dry_run, reasoning="CPA 50 over 3 days, target 40.",
                      fired_at=datetime(2031, 3, 3, 23, tzinfo=UTC))
    return CATALOG.envelope(fired, aggregate_id=RULE, aggregate_version=version, workspace_id=s.workspace_id,
                            correlation_id=uuid.uuid4())


async def deliver(s: Shop, envelope: EventEnvelope) -> str:
    return await rules.rule_fired(NO_DATABASE, s.a, RuleFired.model_validate(envelope.payload), envelope)


PAUSE = RuleAction(kind=RuleActionKind.PAUSE)


def change(percent: str, floor: str = "50", ceiling: str = "500") -> RuleAction:
    return RuleAction(kind=RuleActionKind.CHANGE_BUDGET, percent=Decimal(percent), floor=sar(floor),
                      ceiling=sar(ceiling))


async def test_a_rule_pausing_the_campaigns_only_ad_set_pauses_it_on_the_platform_as_the_rule():
    s = shop()
    campaign_id = await live(s)
    (meta_campaign,) = created_ids(s, META, ObjectKind.CAMPAIGN)

    assert await deliver(s, firing(s, campaign_id, PAUSE, ad_set=await ad_set_of(s, campaign_id))) == "paused"
    assert s.w.campaigns.last(campaign_id) == CampaignPaused(paused_by=ACTOR)
    assert s.w.publishers[META].active[meta_campaign] is False


async def test_the_same_pause_fired_again_acts_once():
    s = shop()
    campaign_id = await live(s)
    envelope = firing(s, campaign_id, PAUSE, ad_set=await ad_set_of(s, campaign_id))
    await deliver(s, envelope)
    events, calls = s.w.campaigns.types(campaign_id), len(s.w.publishers[META].calls)

    assert await deliver(s, firing(s, campaign_id, PAUSE, ad_set=await ad_set_of(s, campaign_id),
                                   version=2)) == "nothing"
    assert s.w.campaigns.types(campaign_id) == events and len(s.w.publishers[META].calls) == calls


async def test_a_dry_run_firing_changes_nothing():
    s = shop()
    campaign_id = await live(s)
    events, calls = s.w.campaigns.types(campaign_id), len(s.w.publishers[META].calls)

    envelope = firing(s, campaign_id, PAUSE, ad_set=await ad_set_of(s, campaign_id), dry_run=True)
    assert await deliver(s, envelope) == "nothing"
    assert s.w.campaigns.types(campaign_id) == events and len(s.w.publishers[META].calls) == calls
    assert (await s.campaign(campaign_id)).state == State.LIVE


async def test_a_rule_lowering_a_budget_changes_it_on_the_platform_within_its_floor():
    s = shop()
    campaign_id = await live(s)
    ad_set = await ad_set_of(s, campaign_id)

    assert await deliver(s, firing(s, campaign_id, change("-60", floor="70"), ad_set=ad_set)) == "budget_changed"
    assert s.w.campaigns.last(campaign_id) == CampaignBudgetChanged(platform=META, budget=budget("70.00"),
                                                                    previous=budget("100"), changed_by=ACTOR)
    assert s.w.publishers[META].budgets[ad_set] == budget("70.00")


async def test_a_budget_increase_above_the_threshold_asks_for_approval_instead_of_acting():
    s = shop()
    campaign_id = await live(s)
    await s.w.policies.save(NO_DATABASE, s.workspace_id, ApprovalPolicy(), BudgetPolicy({"SAR": Decimal(120)}), "x")
    ad_set, calls = await ad_set_of(s, campaign_id), len(s.w.publishers[META].calls)

    envelope = firing(s, campaign_id, change("50"), ad_set=ad_set)
    assert await deliver(s, envelope) == "awaiting_approval"
    asked = s.w.campaigns.last(campaign_id)
    assert isinstance(asked, RuleActionAwaitingApproval)
    assert (asked.rule_id, asked.rule_event_id, asked.action) == (RULE, envelope.event_id, "change_budget")
    assert asked.budgets == [PlatformBudget(platform=META, budget=budget("150.00"))]
    assert "threshold" in asked.reason and asked.reasoning == "CPA 50 over 3 days, target 40."
    assert len(s.w.publishers[META].calls) == calls
    assert (await s.campaign(campaign_id)).budget_of(META) == budget("100")


async def test_a_budget_increase_within_the_threshold_is_carried_out():
    s = shop()
    campaign_id = await live(s)
    await s.w.policies.save(NO_DATABASE, s.workspace_id, ApprovalPolicy(), BudgetPolicy({"SAR": Decimal(200)}), "x")

    assert await deliver(s, firing(s, campaign_id, change("20"), ad_set=await ad_set_of(s, campaign_id))) \
        == "budget_changed"
    assert (await s.campaign(campaign_id)).budget_of(META) == budget("120.00")


async def test_a_move_between_platforms_keeps_the_total_and_the_floor():
    s = shop(META, TIKTOK)
    campaign_id = await live(s)
    await s.w.policies.save(NO_DATABASE, s.workspace_id, ApprovalPolicy(), BudgetPolicy({"SAR": Decimal(500)}), "x")
    move = RuleAction(kind=RuleActionKind.MOVE_BUDGET, percent=Decimal(30), from_platform=META, to_platform=TIKTOK,
                      floors={"meta": sar("80")})

    assert await deliver(s, firing(s, campaign_id, move)) == "budget_changed"
    campaign = await s.campaign(campaign_id)
    assert (campaign.budget_of(META), campaign.budget_of(TIKTOK)) == (budget("80.00"), budget("120.00"))
    changed = [e for e in s.w.campaigns.of(campaign_id) if isinstance(e, CampaignBudgetChanged)]
    assert [(e.platform, e.changed_by) for e in changed] == [(META, ACTOR), (TIKTOK, ACTOR)]  # the decrease first


async def test_a_pause_of_one_platforms_ad_set_asks_a_person_since_adly_pauses_whole_campaigns():
    s = shop(META, TIKTOK)
    campaign_id = await live(s)

    assert await deliver(s, firing(s, campaign_id, PAUSE, ad_set=await ad_set_of(s, campaign_id))) \
        == "awaiting_approval"
    assert (await s.campaign(campaign_id)).state == State.LIVE


# -- the amounts, decided where the budgets are known ---------------------------------------------

def test_a_rules_budget_change_stays_within_its_floor_its_ceiling_and_its_daily_limit():
    assert changed_budget(sar("100"), change("-50", floor="80")) == sar("80.00")
    assert changed_budget(sar("100"), change("50", ceiling="130")) == sar("130.00")
    limited = change("50", ceiling="500").model_copy(update={"max_change": sar("20")})
    assert changed_budget(sar("100"), limited) == sar("120.00")


def test_a_move_between_platforms_never_grows_the_total_and_never_goes_below_a_floor():
    move = RuleAction(kind=RuleActionKind.MOVE_BUDGET, percent=Decimal(20), from_platform=META, to_platform=TIKTOK,
                      floors={"meta": sar("80")})
    for meta_budget in ("100", "90", "80", "75", "33.33"):
        before = {META: sar(meta_budget), TIKTOK: sar("60")}
        after = shift(before, move)
        assert after[META].amount + after[TIKTOK].amount == before[META].amount + before[TIKTOK].amount
        assert after[META].amount >= min(Decimal(80), before[META].amount)
        assert after[TIKTOK].amount >= before[TIKTOK].amount
    assert shift({META: sar("100"), TIKTOK: sar("60")}, move) == {META: sar("80.00"), TIKTOK: sar("80.00")}
    assert shift({META: sar("90"), TIKTOK: sar("60")}, move) == {META: sar("80.00"), TIKTOK: sar("70.00")}
    limited = move.model_copy(update={"max_change": sar("5")})
    assert shift({META: sar("100"), TIKTOK: sar("60")}, limited) == {META: sar("95.00"), TIKTOK: sar("65.00")}
