"""Automated rules, on day cells built by hand: what fires, on what, and what stays quiet."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from adly_analytics.domain.figures import Amounts, Key, Totals
from adly_analytics.domain.rules import History, RuleSpec, evaluate, target_key
from adly_events.contracts.common import AdPlatform, Money
from adly_kit.errors import InvalidInput

from .builders import CAMPAIGN, WORKSPACE

RULE = UUID("7e57c0de-0000-4000-8000-000000000001")
DAY_3 = date(2026, 6, 12)
NOW = datetime(2026, 6, 12, 23, tzinfo=UTC)
META, TIKTOK = AdPlatform.META, AdPlatform.TIKTOK


def sar(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="SAR")


def cell(day: date, spend: str, orders: int = 0, revenue: str = "0", *, ad_set: str = "set-1",
         platform: AdPlatform = META, impressions: int = 1000, clicks: int = 20) -> tuple[Key, Totals]:
    key = Key(WORKSPACE, platform, CAMPAIGN, ad_set, None, None, day)
    return key, Totals(impressions, clicks, Amounts.of(sar(spend)), orders=orders,
                       revenue=Amounts.of(sar(revenue)), reach_rows=1)


def days(n: int, spend: str, orders: int = 0, **kw) -> dict[Key, Totals]:
    return dict(cell(DAY_3 - timedelta(days=i), spend, orders, **kw) for i in range(n))


def rule(**overrides) -> RuleSpec:
    spec = {"name": "CPA above 40", "condition": {"metric": "cpa", "threshold": "40", "currency": "SAR", "days": 3},
            "scope": {"kind": "ad_set", "campaign_id": str(CAMPAIGN), "platform": "meta",
                      "platform_ad_set_id": "set-1"},
            "action": {"kind": "pause"}} | overrides
    return RuleSpec.model_validate(spec).checked()


def test_an_ad_set_whose_cpa_stays_above_target_for_three_days_fires_a_pause_with_its_figures():
    fired = evaluate(RULE, rule(), days(3, "100", orders=2), today=DAY_3, now=NOW)

    (event,) = fired
    assert (event.target.level, event.target.platform_ad_set_id, event.action.kind) == ("ad_set", "set-1", "pause")
    assert (event.figures["spend"], event.figures["orders"], event.figures["cpa"]) == ("300.00 SAR", "6", "50.00 SAR")
    assert (event.since, event.until, event.dry_run) == (date(2026, 6, 10), DAY_3, False)
    assert "CPA 50.0000 SAR over 3 days" in event.reasoning


def test_two_days_of_high_cpa_are_not_yet_three():
    assert evaluate(RULE, rule(), days(2, "100", orders=1), today=DAY_3, now=NOW) == []


def test_a_cpa_below_target_does_not_fire():
    assert evaluate(RULE, rule(), days(3, "100", orders=3), today=DAY_3, now=NOW) == []


def test_spend_with_no_order_at_all_is_a_cpa_above_any_target_it_passes():
    assert evaluate(RULE, rule(), days(3, "20"), today=DAY_3, now=NOW) != []
    assert evaluate(RULE, rule(), days(3, "10"), today=DAY_3, now=NOW) == []


def test_a_target_in_its_cooldown_stays_quiet_and_fires_again_after_it():
    spec = rule(cooldown_hours=48)
    first = evaluate(RULE, spec, days(3, "100"), today=DAY_3, now=NOW)[0]
    history = History({target_key(first.target): NOW})

    assert evaluate(RULE, spec, days(3, "100"), today=DAY_3, now=NOW + timedelta(hours=47), history=history) == []
    assert evaluate(RULE, spec, days(3, "100"), today=DAY_3, now=NOW + timedelta(hours=48), history=history) != []


def test_a_dry_run_rule_fires_marked_dry_run():
    (event,) = evaluate(RULE, rule(dry_run=True), days(3, "100"), today=DAY_3, now=NOW)
    assert event.dry_run


def test_roas_below_target_over_the_window_fires():
    spec = rule(condition={"metric": "roas", "threshold": "2", "days": 3})
    assert evaluate(RULE, spec, days(3, "100", 1, revenue="150"), today=DAY_3, now=NOW)[0].figures["roas"] == "1.5000"
    assert evaluate(RULE, spec, days(3, "100", 1, revenue="250"), today=DAY_3, now=NOW) == []


def test_spend_above_a_limit_with_no_purchase_fires_and_one_purchase_stops_it():
    spec = rule(condition={"metric": "spend_without_purchase", "threshold": "200", "currency": "SAR", "days": 3})
    assert evaluate(RULE, spec, days(3, "100"), today=DAY_3, now=NOW) != []
    assert evaluate(RULE, spec, days(3, "100", orders=1), today=DAY_3, now=NOW) == []


def test_a_ctr_falling_by_half_against_the_previous_window_fires():
    spec = rule(condition={"metric": "ctr_drop", "threshold": "50", "days": 3})
    cells = days(3, "10", clicks=10) | dict(cell(DAY_3 - timedelta(days=3 + i), "10", clicks=30) for i in range(3))
    (event,) = evaluate(RULE, spec, cells, today=DAY_3, now=NOW)
    assert (event.figures["ctr"], event.figures["previous_ctr"]) == ("0.0100", "0.0300")
    assert evaluate(RULE, rule(condition={"metric": "ctr_drop", "threshold": "70", "days": 3}), cells,
                    today=DAY_3, now=NOW) == []


def test_a_rule_over_every_ad_set_of_a_campaign_fires_for_each_ad_set_that_meets_it():
    spec = rule(scope={"kind": "ad_sets_of_campaign", "campaign_id": str(CAMPAIGN)})
    cells = days(3, "100") | days(3, "100", orders=5, ad_set="set-2")
    fired = evaluate(RULE, spec, cells, today=DAY_3, now=NOW)
    assert [e.target.platform_ad_set_id for e in fired] == ["set-1"]


def test_a_budget_rule_carries_what_its_daily_limit_still_allows_and_stops_at_the_limit():
    spec = rule(condition={"metric": "roas", "threshold": "5", "days": 3},
                action={"kind": "change_budget", "percent": "-20", "floor": sar("50"), "ceiling": sar("500")},
                daily_limit=sar("30"))
    cells = days(3, "100", 1, revenue="150")
    (event,) = evaluate(RULE, spec, cells, today=DAY_3, now=NOW, history=History(moved={DAY_3: Decimal(10)}))
    assert event.action.max_change == sar("20")
    assert evaluate(RULE, spec, cells, today=DAY_3, now=NOW, history=History(moved={DAY_3: Decimal(30)})) == []


def test_rules_that_make_no_sense_are_refused_naming_the_field():
    with pytest.raises(InvalidInput) as refused:
        rule(condition={"metric": "cpa", "threshold": "40", "days": 3})
    assert refused.value.field == "condition.currency"
    with pytest.raises(InvalidInput):
        rule(action={"kind": "change_budget", "percent": "10"})
    with pytest.raises(InvalidInput):
        rule(action={"kind": "move_budget", "percent": "10"})


# -- the cross-platform move ------------------------------------------------------------------------

def move_rule(**overrides) -> RuleSpec:
    return rule(**{"name": "Budget toward the better ROAS", "condition": {"metric": "roas_gap", "threshold": "1", "days": 3},
                   "scope": {"kind": "campaign", "campaign_id": str(CAMPAIGN)},
                   "action": {"kind": "move_budget", "percent": "20", "floors": {"meta": sar("80"),
                                                                                "tiktok": sar("50")}}} | overrides)


def two_platforms(meta_revenue: str, tiktok_revenue: str) -> dict[Key, Totals]:
    return days(3, "100", 1, revenue=meta_revenue) | days(3, "100", 1, revenue=tiktok_revenue, platform=TIKTOK)


def test_the_campaigns_budget_moves_toward_the_platform_with_the_better_attributed_roas_with_its_reasoning():
    (event,) = evaluate(RULE, move_rule(), two_platforms("50", "150"), today=DAY_3, now=NOW)
    assert (event.action.from_platform, event.action.to_platform, event.target.level) == (META, TIKTOK, "campaign")
    assert (event.figures["roas_meta"], event.figures["roas_tiktok"]) == ("0.5000", "1.5000")
    assert "tiktok returned 1.5000" in event.reasoning and "total unchanged" in event.reasoning


def test_no_move_when_the_gap_is_below_the_threshold():
    assert evaluate(RULE, move_rule(), two_platforms("100", "150"), today=DAY_3, now=NOW) == []


def test_the_move_happens_at_most_once_a_day():
    spec = move_rule()
    (event,) = evaluate(RULE, spec, two_platforms("50", "150"), today=DAY_3, now=NOW)
    history = History({target_key(event.target): NOW})
    assert evaluate(RULE, spec, two_platforms("50", "150"), today=DAY_3, now=NOW + timedelta(hours=5),
                    history=history) == []
