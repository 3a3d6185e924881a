"""Performance reporting on the in-memory doubles: a pull records what is news, a restated day
becomes the next revision of the same series, the same figures read again record nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from adly_campaigns.domain.performance import Figures, news
from adly_campaigns.domain.ports import ObjectKind, PerformanceRow
from adly_campaigns.handlers import performance
from adly_events.contracts.campaigns import PerformanceLevel
from adly_kit.testing.doubles import NO_DATABASE

from .flows import META, Shop, created_ids, live, shop

NOW = datetime(2031, 2, 10, 9, 0, tzinfo=UTC)       # noon in Riyadh, the accounts' time zone
TODAY = date(2031, 2, 10)


def row(campaign: str, day: date, spend: str = "12.50", *, level: PerformanceLevel = PerformanceLevel.CAMPAIGN,
        object_id: str | None = None, hour: int | None = None, value: str = "99") -> PerformanceRow:
    return PerformanceRow(level=level, platform_campaign_id=campaign, platform_object_id=object_id or campaign,
                          day=day, hour=hour, impressions=1000, clicks=40, spend=Decimal(spend),
                          conversions=Decimal("2"), conversion_value=Decimal(value))


async def pull(s: Shop) -> int:
    made = 0
    for account in await performance.accounts(NO_DATABASE, s.a, NOW):
        account, rows = await performance.read(s.a, account, NOW)
        made += await performance.record(NO_DATABASE, s.a, account, rows, NOW)
    return made


def test_the_same_figures_in_another_spelling_are_not_news():
    assert Figures.of(row("c1", TODAY, "12.5")) == Figures.of(row("c1", TODAY, "12.50"))


def test_amounts_are_plain_decimals_never_exponents():
    assert str(Figures.of(row("c1", TODAY, "80.00")).spend) == "80"
    assert str(Figures.of(row("c1", TODAY, "0.10")).spend) == "0.1"


def test_a_day_seen_twice_in_one_pull_counts_once_with_the_last_figures():
    made = news(uuid.uuid4(), META, [row("c1", TODAY, "10"), row("c1", TODAY, "11")], {})
    assert len(made) == 1 and made[0].figures.spend == Decimal("11") and made[0].revision == 1


async def test_a_first_pull_reports_each_day_and_level_once():
    s = shop()
    await live(s, META)
    (platform_campaign,) = created_ids(s, META, ObjectKind.CAMPAIGN)
    (platform_ad,) = created_ids(s, META, ObjectKind.AD)
    s.w.publishers[META].report = [
        row(platform_campaign, TODAY - timedelta(days=1)), row(platform_campaign, TODAY),
        row(platform_campaign, TODAY, level=PerformanceLevel.AD, object_id=platform_ad),
        row(platform_campaign, TODAY, hour=11, spend="1.25")]
    assert await pull(s) == 4
    reports = s.w.performance.reports
    assert {(r.level, r.day, r.hour, r.revision) for r in reports} == {
        (PerformanceLevel.CAMPAIGN, TODAY - timedelta(days=1), None, 1), (PerformanceLevel.CAMPAIGN, TODAY, None, 1),
        (PerformanceLevel.AD, TODAY, None, 1), (PerformanceLevel.CAMPAIGN, TODAY, 11, 1)}
    ad_report = next(r for r in reports if r.level == PerformanceLevel.AD)
    campaign = await s.campaign(next(iter(s.w.campaigns.workspaces)))
    assert ad_report.ad_id == campaign.ads[0].ad_id and ad_report.spend.currency == "SAR"


async def test_pulling_the_same_figures_again_records_nothing():
    s = shop()
    await live(s, META)
    (platform_campaign,) = created_ids(s, META, ObjectKind.CAMPAIGN)
    s.w.publishers[META].report = [row(platform_campaign, TODAY)]
    assert await pull(s) == 1
    assert await pull(s) == 0
    assert len(s.w.performance.reports) == 1


async def test_a_restated_day_is_the_next_revision_of_the_same_series_not_a_second_day():
    s = shop()
    await live(s, META)
    (platform_campaign,) = created_ids(s, META, ObjectKind.CAMPAIGN)
    yesterday = TODAY - timedelta(days=1)
    s.w.publishers[META].report = [row(platform_campaign, yesterday, "40.00", value="100")]
    await pull(s)
    s.w.publishers[META].report = [row(platform_campaign, yesterday, "38.20", value="160")]  # refunds, late sales
    assert await pull(s) == 1
    first, second = s.w.performance.reports
    assert (first.day, first.revision) == (second.day, 1) and second.revision == 2
    assert second.spend.amount == Decimal("38.2") and second.conversion_value.amount == Decimal("160")


async def test_days_before_the_restatement_window_are_not_asked_for_nor_recorded():
    s = shop(performance_restate_days=3)
    await live(s, META)
    (platform_campaign,) = created_ids(s, META, ObjectKind.CAMPAIGN)
    s.w.publishers[META].report = [row(platform_campaign, TODAY - timedelta(days=10)), row(platform_campaign, TODAY)]
    assert await pull(s) == 1
    (asked,) = [c for c in s.w.publishers[META].calls if c.method == "performance"]
    assert asked.args[1:] == (TODAY - timedelta(days=3), TODAY, TODAY)


async def test_an_account_that_lost_its_access_is_not_asked():
    s = shop()
    await live(s, META)
    await s.w.accounts.set_status(NO_DATABASE, s.accounts[META], "access_lost", "Token revoked")
    assert await performance.accounts(NO_DATABASE, s.a, NOW) == []
