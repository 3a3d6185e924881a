"""The figures a merchant reads: ratios, restated days, rollups, currencies, comparisons."""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from adly_analytics.domain.attribution import (
    UNATTRIBUTED,
    Adjustment,
    Attribution,
    Credit,
    Level,
    ProductAmount,
    Reason,
)
from adly_analytics.domain.figures import (
    Amounts,
    Change,
    Figures,
    Key,
    PerformanceRow,
    Rates,
    Totals,
    compare,
    facts,
    merge,
    previous_period,
    restatement,
    rollup,
    total,
)
from adly_events.contracts.campaigns import PerformanceLevel, PerformanceReported
from adly_events.contracts.common import AdPlatform, Money
from adly_kit.errors import InvalidInput

WORKSPACE = UUID("0b6f3a52-1c2d-4e5f-8a9b-0c1d2e3f4a5b")
CAMPAIGN = UUID("3f2b8c1e-5d4a-4e6f-9a7b-0c1d2e3f4a5b")
AD = UUID("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d")
OTHER_AD = UUID("5b1e0c52-7f0e-4d2a-9c4b-6a8d3e2f1b09")
TIKTOK_CAMPAIGN = UUID("11111111-2222-4333-8444-555555555555")
ORDER = UUID("7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
JUNE_1, JUNE_2 = date(2026, 6, 1), date(2026, 6, 2)
AD_CREDIT = Credit(Level.AD, AdPlatform.META, CAMPAIGN, "ad-set-1", AD)


def money(amount: str, currency: str = "SAR") -> Money:
    return Money(amount=Decimal(amount), currency=currency)


def row(day: date = JUNE_1, *, revision: int = 1, spend: str = "100.00", currency: str = "SAR",
        impressions: int = 10_000, clicks: int = 200, reach: int | None = 8_000, ad: UUID = AD,
        platform: AdPlatform = AdPlatform.META, campaign: UUID = CAMPAIGN, conversions: str = "4",
        value: str = "600.00", level: PerformanceLevel = PerformanceLevel.AD) -> PerformanceRow:
    return PerformanceRow(WORKSPACE, campaign, platform, level, f"platform-{ad}", day, revision, impressions, clicks,
                          money(spend, currency), Decimal(conversions), money(value, currency), reach,
                          "ad-set-1", ad if level == PerformanceLevel.AD else None)


def sold(amount: str, day: date = JUNE_1, *, credit: Credit = AD_CREDIT, currency: str = "SAR",
         products: tuple[ProductAmount, ...] = ()) -> Attribution:
    return Attribution(ORDER, WORKSPACE, credit, None, money(amount, currency), 1, day, products)


def refunded(amount: str, day: date, *, orders: int = 0) -> Adjustment:
    return Adjustment(ORDER, WORKSPACE, AD_CREDIT, Reason.REFUND, money(f"-{amount}"), orders, day)


def figures(rows: list[PerformanceRow], entries: list[Attribution | Adjustment] | None = None, *,
            start: date = JUNE_1, end: date = JUNE_1, rates: Rates | None = None) -> Figures:
    return total(facts(rows, entries or []), start=start, end=end, rates=rates)


# -- ratios -----------------------------------------------------------------------------------------

def test_ctr_cpc_and_cpm_come_from_the_days_totals() -> None:
    day = figures([row(spend="50.00", impressions=1_000, clicks=25)])
    assert (day.ctr, day.cpc, day.cpm) == (Decimal("0.025"), money("2"), money("50"))


def test_ratios_over_zero_are_none_not_zero_or_an_error() -> None:
    day = figures([row(spend="0.00", impressions=0, clicks=0, value="0.00", conversions="0")])
    assert (day.ctr, day.cpc, day.cpm, day.cpa, day.roas, day.platform_roas) == (None,) * 6
    assert day.spend == money("0.00")


def test_a_day_with_spend_and_no_attributed_order_has_a_roas_of_zero_and_no_cpa() -> None:
    day = figures([row(spend="80.00")])
    assert (day.roas, day.cpa, day.revenue) == (Decimal(0), None, money("0"))


def test_platform_and_attributed_roas_are_kept_apart() -> None:
    day = figures([row(spend="100.00", value="600.00", conversions="4")], [sold("250.00")])
    assert (day.platform_roas, day.roas) == (Decimal(6), Decimal("2.5"))
    assert (day.totals.conversions, day.totals.orders, day.cpa) == (Decimal(4), 1, money("100"))


def test_orders_alone_with_no_spend_have_revenue_but_no_roas() -> None:
    day = figures([], [sold("250.00")])
    assert (day.revenue, day.spend, day.roas, day.cpa) == (money("250.00"), None, None, None)


# -- restated days --------------------------------------------------------------------------------

def test_a_restated_day_lowering_spend_replaces_its_earlier_figures() -> None:
    rows = merge(merge({}, [row(spend="100.00", revision=1)]), [row(spend="80.00", clicks=160, revision=2)])
    day = figures(list(rows.values()))
    assert (day.spend, day.totals.clicks, day.cpc) == (money("80.00"), 160, money("0.5"))


def test_both_revisions_given_together_count_only_the_latest() -> None:
    day = figures([row(spend="80.00", revision=2), row(spend="100.00", revision=1)])
    assert day.spend == money("80.00")


def test_a_replayed_or_older_revision_changes_nothing() -> None:
    rows = merge({}, [row(spend="80.00", revision=2)])
    assert merge(rows, [row(spend="100.00", revision=1), row(spend="999.00", revision=2)]) == rows


def test_a_restatement_gives_the_difference_a_rollup_adds() -> None:
    before, after = row(spend="100.00", clicks=200, revision=1), row(spend="80.00", clicks=150, revision=2)
    delta = restatement(before, after)
    assert delta is not None and (delta.spend, delta.clicks) == (Amounts.of(money("-20.00")), -50)
    assert restatement(after, before) is None and restatement(after, after) is None
    assert restatement(None, before) == Totals(10_000, 200, Amounts.of(money("100.00")), Decimal(4),
                                               Amounts.of(money("600.00")))


def test_a_rollup_kept_by_restatements_equals_one_recomputed_from_the_latest_rows() -> None:
    delta = restatement(row(spend="100.00"), row(spend="80.00", revision=2))
    assert delta is not None
    kept = row(spend="100.00").totals() + delta
    assert Figures(kept).spend == figures([row(spend="80.00", revision=2)]).spend


def test_a_performance_event_becomes_a_row() -> None:
    event = PerformanceReported(
        campaign_id=CAMPAIGN, platform=AdPlatform.META, level=PerformanceLevel.AD_SET, platform_campaign_id="c1",
        platform_object_id="ad-set-9", day=JUNE_1, time_zone="Asia/Riyadh", revision=3, impressions=5, reach=4,
        clicks=1, spend=money("1.50"), conversions=Decimal("0.5"), conversion_value=money("10.00"),
        pulled_at=datetime(2026, 6, 2, tzinfo=UTC))
    made = PerformanceRow.of(WORKSPACE, event)
    assert (made.ad_set_id, made.series, made.revision) == (
        "ad-set-9", (CAMPAIGN, AdPlatform.META, PerformanceLevel.AD_SET, "ad-set-9", JUNE_1, None), 3)


def test_todays_hourly_rows_are_their_own_series_and_not_added_to_the_day() -> None:
    hourly = [replace(row(spend="4.00"), hour=h) for h in (9, 10)]
    rows = merge({}, [row(spend="100.00"), *hourly])
    assert len(rows) == 3 and figures(list(rows.values())).spend == money("100.00")


def test_rows_of_two_levels_are_not_counted_twice() -> None:
    rows = [row(spend="100.00", level=PerformanceLevel.CAMPAIGN), row(spend="60.00"), row(spend="40.00", ad=OTHER_AD)]
    assert figures(rows).spend == money("100.00")
    assert total(facts(rows, [], level=PerformanceLevel.CAMPAIGN), start=JUNE_1, end=JUNE_1).spend == money("100.00")


# -- rollups --------------------------------------------------------------------------------------

def test_a_rollup_sums_measures_and_recomputes_ratios_never_averaging_them() -> None:
    rows = [row(JUNE_1, impressions=100, clicks=10, spend="10.00"), row(JUNE_2, impressions=9_900, clicks=90,
                                                                          spend="190.00")]
    period = figures(rows, start=JUNE_1, end=JUNE_2)
    assert (period.totals.impressions, period.totals.clicks, period.spend) == (10_000, 100, money("200.00"))
    assert period.ctr == Decimal("0.01")                     # averaging the days' CTRs would say 5.45%
    assert period.cpc == money("2")                          # the days' CPCs are 1.00 and 2.11


def test_reach_is_kept_for_one_row_and_never_summed() -> None:
    assert figures([row(reach=8_000)]).totals.reach == 8_000
    assert figures([row(JUNE_1), row(JUNE_2)], start=JUNE_1, end=JUNE_2).totals.reach is None
    assert figures([row(reach=8_000)], [sold("10.00")]).totals.reach == 8_000


def test_a_rollup_by_platform_and_campaign_keeps_those_dimensions_only() -> None:
    rows = [row(spend="60.00"), row(spend="40.00", ad=OTHER_AD),
            row(spend="75.00", platform=AdPlatform.TIKTOK, campaign=TIKTOK_CAMPAIGN)]
    cells = rollup(facts(rows, [sold("300.00")]), by=("platform", "campaign_id"), start=JUNE_1, end=JUNE_1)
    meta = cells[Key(WORKSPACE, AdPlatform.META, CAMPAIGN)]
    assert (meta.spend, meta.revenue, meta.roas) == (money("100.00"), money("300.00"), Decimal(3))
    assert cells[Key(WORKSPACE, AdPlatform.TIKTOK, TIKTOK_CAMPAIGN)].roas == Decimal(0)


def test_a_time_series_keeps_one_cell_per_day() -> None:
    cells = rollup(facts([row(JUNE_1), row(JUNE_2, spend="50.00")], []), by=("day",), start=JUNE_1, end=JUNE_2)
    assert [(key.day, f.spend) for key, f in cells.items()] == [(JUNE_1, money("100.00")), (JUNE_2, money("50.00"))]


def test_days_outside_the_period_are_left_out() -> None:
    assert figures([row(JUNE_1), row(JUNE_2, spend="50.00")], start=JUNE_2, end=JUNE_2).spend == money("50.00")


def test_an_unknown_breakdown_is_refused() -> None:
    with pytest.raises(InvalidInput):
        rollup(facts([row()], []), by=("country",), start=JUNE_1, end=JUNE_1)


def test_unattributed_orders_count_in_the_workspaces_totals_but_no_campaigns() -> None:
    cells = facts([row(spend="100.00")], [sold("200.00"), sold("50.00", credit=UNATTRIBUTED)])
    assert total(cells, start=JUNE_1, end=JUNE_1).totals.orders == 2
    by_campaign = rollup(cells, by=("campaign_id",), start=JUNE_1, end=JUNE_1)
    assert by_campaign[Key(WORKSPACE, campaign_id=CAMPAIGN)].revenue == money("200.00")
    assert by_campaign[Key(WORKSPACE)].revenue == money("50.00")


def test_a_refund_in_the_next_month_lowers_that_months_revenue_not_the_orders_month() -> None:
    july_3 = date(2026, 7, 3)
    cells = facts([row(JUNE_1, spend="100.00"), row(july_3, spend="100.00")], [sold("200.00"), refunded("50.00", july_3)])
    june = total(cells, start=JUNE_1, end=date(2026, 6, 30))
    july = total(cells, start=date(2026, 7, 1), end=date(2026, 7, 31))
    assert (june.revenue, june.roas) == (money("200.00"), Decimal(2))
    assert (july.revenue, july.roas, july.totals.orders) == (money("-50.00"), Decimal("-0.5"), 0)


def test_an_order_of_two_products_counts_once_for_each_product() -> None:
    parts = (ProductAmount("abaya", money("150.00")), ProductAmount("scarf", money("50.00")))
    cells = facts([], [sold("200.00", products=parts), sold("80.00")], by_product=True)
    by_product = rollup(cells, by=("product",), start=JUNE_1, end=JUNE_1)
    assert by_product[Key(WORKSPACE, product="abaya")].totals.orders == 1
    assert by_product[Key(WORKSPACE, product="scarf")].revenue == money("50.00")
    assert by_product[Key(WORKSPACE)].revenue == money("80.00")      # an order without lines


# -- currencies -----------------------------------------------------------------------------------

def test_spend_in_two_currencies_is_never_added_without_a_rate() -> None:
    rows = [row(spend="100.00"), row(spend="20.00", currency="USD", platform=AdPlatform.TIKTOK, ad=OTHER_AD)]
    workspace = figures(rows)
    assert (workspace.spend, workspace.cpc, workspace.cpm, workspace.roas) == (None, None, None, None)
    assert workspace.totals.spend == Amounts((("SAR", Decimal("100.00")), ("USD", Decimal("20.00"))))
    by_platform = rollup(facts(rows, []), by=("platform",), start=JUNE_1, end=JUNE_1)
    assert by_platform[Key(WORKSPACE, AdPlatform.TIKTOK)].spend == money("20.00", "USD")


def test_revenue_in_another_currency_than_spend_gives_no_roas_without_a_rate() -> None:
    day = figures([row(spend="100.00")], [sold("50.00", currency="USD")])
    assert (day.roas, day.revenue) == (None, money("50.00", "USD"))


def test_a_rate_for_the_day_converts_before_adding() -> None:
    rows = [row(spend="100.00"), row(spend="20.00", currency="USD", value="0.00", ad=OTHER_AD)]
    rates = Rates("SAR", {(JUNE_1, "USD"): Decimal("3.75")})
    day = figures(rows, [sold("50.00", currency="USD")], rates=rates)
    assert (day.spend, day.revenue) == (money("175.0000"), money("187.5000"))
    assert day.roas == Decimal("187.5") / Decimal("175")


def test_a_rate_given_for_another_day_does_not_convert() -> None:
    rows = [row(JUNE_2, spend="100.00"), row(JUNE_2, spend="20.00", currency="USD", ad=OTHER_AD)]
    day = figures(rows, start=JUNE_2, end=JUNE_2, rates=Rates("SAR", {(JUNE_1, "USD"): Decimal("3.75")}))
    assert day.spend is None


# -- comparisons ----------------------------------------------------------------------------------

def test_the_previous_period_has_the_same_length_just_before() -> None:
    assert previous_period(date(2026, 6, 1), date(2026, 6, 30)) == (date(2026, 5, 2), date(2026, 5, 31))
    assert previous_period(JUNE_2, JUNE_2) == (JUNE_1, JUNE_1)


def test_a_comparison_gives_the_change_and_the_percent_change() -> None:
    now, before = figures([row(JUNE_2, spend="150.00")], start=JUNE_2, end=JUNE_2), figures([row(spend="100.00")])
    change = compare(now, before)["spend"]
    assert (change.change, change.percent) == (Decimal("50.00"), Decimal(50))
    assert compare(now, before)["cpc"].percent == Decimal(50)


def test_the_percent_change_is_none_when_the_previous_period_was_zero() -> None:
    now = figures([row(JUNE_2, spend="150.00")], [sold("90.00", JUNE_2)], start=JUNE_2, end=JUNE_2)
    before = figures([row(spend="100.00")])
    orders = compare(now, before)["orders"]
    assert (orders.change, orders.percent) == (Decimal(1), None)
    assert compare(now, before)["cpa"] == Change(money("150"), None, None, None)   # no order before: no CPA


def test_figures_in_another_currency_than_last_period_are_not_compared() -> None:
    now = figures([row(JUNE_2, spend="20.00", currency="USD")], start=JUNE_2, end=JUNE_2)
    assert compare(now, figures([row(spend="100.00")]))["spend"].change is None


def test_a_fully_refunded_order_in_another_currency_does_not_block_roas() -> None:
    refund = Adjustment(ORDER, WORKSPACE, AD_CREDIT, Reason.REFUND, money("-50.00", "USD"), -1, JUNE_1)
    day = figures([row(spend="100.00")], [sold("50.00", currency="USD"), refund, sold("300.00")])
    assert (day.revenue, day.roas) == (money("300.00"), Decimal(3))
