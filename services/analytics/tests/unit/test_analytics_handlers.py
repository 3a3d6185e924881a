"""Events in, dashboard figures out, driven through adly_analytics.handlers (ingest.py, reading.py)
on in-memory ports: the expected figures are computed here from the same inputs."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from adly_analytics.domain.attribution import OrderSeen
from adly_analytics.handlers import ingest, reading
from adly_analytics.handlers.reading import By, Period
from adly_events import CATALOG, EventEnvelope
from adly_events.contracts.campaigns import PerformanceLevel
from adly_events.contracts.catalog import CatalogOrder, OrderAttribution, OrderStatus
from adly_events.contracts.common import AdPlatform, Money
from adly_kit.errors import InvalidInput
from adly_kit.testing.doubles import NO_DATABASE

from .builders import AD, CAMPAIGN, OTHER_AD, WORKSPACE, order, performance, published, tagged
from .doubles import memory_adapters

JUNE = Period(date(2026, 6, 1), date(2026, 6, 30))


@pytest.fixture
async def a():
    adapters = memory_adapters()
    await ingest.campaign_published(NO_DATABASE, adapters, WORKSPACE, CAMPAIGN, published())
    return adapters


async def report(a, *events):
    return await ingest.performance_reported(NO_DATABASE, a, [(WORKSPACE, e) for e in events])


async def sell(a, placed_order: CatalogOrder, *, order_id=None, version: int = 1, received: datetime | None = None):
    seen = OrderSeen(WORKSPACE, order_id or uuid.uuid4(), version, placed_order, received or placed_order.placed_at)
    return await ingest.order_seen(NO_DATABASE, a, seen)


def sar(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="SAR")


async def test_analytics_performance_and_an_ads_orders_give_the_overviews_spend_revenue_and_roas(a):
    await report(a, performance(date(2026, 6, 10), "120.50", value="300"),
                 performance(date(2026, 6, 11), "80.25", ad=OTHER_AD, value="90"))
    await sell(a, order(datetime(2026, 6, 11, 9, tzinfo=UTC), "249.90", attribution=tagged()))
    await sell(a, order(datetime(2026, 6, 12, 9, tzinfo=UTC), "99.10", attribution=tagged(OTHER_AD)))

    figures = (await reading.overview(NO_DATABASE, a, WORKSPACE, JUNE)).figures
    spend, revenue = Decimal("120.50") + Decimal("80.25"), Decimal("249.90") + Decimal("99.10")
    assert (figures.spend, figures.revenue, figures.roas) == (sar(str(spend)), sar(str(revenue)), revenue / spend)
    assert (figures.totals.orders, figures.totals.impressions, figures.totals.clicks) == (2, 2000, 80)
    assert figures.platform_roas == Decimal(390) / spend
    assert figures.cpa == Money(amount=spend / 2, currency="SAR")


async def test_analytics_a_restated_day_replaces_its_figures(a):
    await report(a, performance(date(2026, 6, 10), "120.00"))
    await report(a, performance(date(2026, 6, 10), "95.00", revision=2, impressions=900))

    figures = (await reading.overview(NO_DATABASE, a, WORKSPACE, JUNE)).figures
    assert (figures.spend, figures.totals.impressions) == (sar("95.00"), 900)


async def test_analytics_a_replayed_or_older_revision_changes_nothing(a):
    await report(a, performance(date(2026, 6, 10), "95.00", revision=2))
    assert await report(a, performance(date(2026, 6, 10), "120.00", revision=1)) == 0
    assert await report(a, performance(date(2026, 6, 10), "95.00", revision=2)) == 0

    assert (await reading.overview(NO_DATABASE, a, WORKSPACE, JUNE)).figures.spend == sar("95.00")
    assert a.performance.saves == 1


async def test_analytics_two_revisions_in_one_batch_keep_the_higher(a):
    await report(a, performance(date(2026, 6, 10), "50.00", revision=3), performance(date(2026, 6, 10), "70", revision=2))
    assert (await reading.overview(NO_DATABASE, a, WORKSPACE, JUNE)).figures.spend == sar("50.00")


async def test_analytics_an_order_with_no_adly_signal_is_counted_as_unattributed(a):
    await report(a, performance(date(2026, 6, 10), "100"))
    await sell(a, order(datetime(2026, 6, 10, 9, tzinfo=UTC), "60", attribution=OrderAttribution(source_name="web")))

    figures = (await reading.overview(NO_DATABASE, a, WORKSPACE, JUNE)).figures
    assert (figures.totals.orders, figures.revenue) == (1, sar("60"))
    page = await reading.breakdown(NO_DATABASE, a, WORKSPACE, JUNE, By.CAMPAIGN)
    nobody = [f for key, f in page.rows if key.campaign_id is None]
    assert [(f.totals.orders, f.revenue) for f in nobody] == [(1, sar("60"))]


async def test_analytics_a_refund_lowers_revenue_on_its_own_day_for_the_same_ad(a):
    order_id, placed = uuid.uuid4(), datetime(2026, 6, 10, 9, tzinfo=UTC)
    await sell(a, order(placed, "200", attribution=tagged()), order_id=order_id)
    refunded = order(placed, "0", attribution=tagged(), status=OrderStatus.REFUNDED,
                     updated=datetime(2026, 7, 2, 9, tzinfo=UTC))
    await sell(a, refunded, order_id=order_id, version=2)

    june = (await reading.overview(NO_DATABASE, a, WORKSPACE, JUNE)).figures
    july = (await reading.overview(NO_DATABASE, a, WORKSPACE, Period(date(2026, 7, 1), date(2026, 7, 31)))).figures
    assert (june.totals.orders, june.revenue, july.totals.orders, july.revenue) == (1, sar("200"), -1, sar("-200"))


async def test_analytics_an_older_order_version_arriving_late_changes_nothing(a):
    order_id, placed = uuid.uuid4(), datetime(2026, 6, 10, 9, tzinfo=UTC)
    await sell(a, order(placed, "150", attribution=tagged()), order_id=order_id, version=2)
    assert await sell(a, order(placed, "999", attribution=tagged()), order_id=order_id, version=1) == ()
    assert (await reading.overview(NO_DATABASE, a, WORKSPACE, JUNE)).figures.revenue == sar("150")


async def test_analytics_the_overview_compares_with_the_period_just_before(a):
    await report(a, performance(date(2026, 5, 20), "100"), performance(date(2026, 6, 10), "150"))
    o = await reading.overview(NO_DATABASE, a, WORKSPACE, JUNE)
    assert (o.previous.start, o.previous.end) == (date(2026, 5, 2), date(2026, 5, 31))
    assert o.before.spend == sar("100")
    assert (o.changes["spend"].change, o.changes["spend"].percent) == (Decimal(50), Decimal(50))


async def test_analytics_ad_rows_take_the_ad_set_their_publication_names_so_ad_sets_join_spend_and_revenue(a):
    await report(a, performance(date(2026, 6, 10), "100"))
    await sell(a, order(datetime(2026, 6, 10, 9, tzinfo=UTC), "250", attribution=tagged()))
    page = await reading.breakdown(NO_DATABASE, a, WORKSPACE, JUNE, By.AD_SET)
    assert [(k.ad_set_id, f.spend, f.revenue, f.roas) for k, f in page.rows] == [
        ("set-1", sar("100"), sar("250"), Decimal("2.5"))]


async def test_analytics_a_breakdown_pages_with_its_cursor(a):
    await report(a, performance(date(2026, 6, 10), "100"), performance(date(2026, 6, 10), "40", ad=OTHER_AD))
    first = await reading.breakdown(NO_DATABASE, a, WORKSPACE, JUNE, By.AD, limit=1)
    second = await reading.breakdown(NO_DATABASE, a, WORKSPACE, JUNE, By.AD, limit=1, cursor=first.next_cursor)
    assert [k.ad_id for k, _ in first.rows + second.rows] == [AD, OTHER_AD]
    assert second.next_cursor is None
    with pytest.raises(InvalidInput) as refused:
        await reading.breakdown(NO_DATABASE, a, WORKSPACE, JUNE, By.AD, cursor="nonsense!")
    assert refused.value.path == "query/cursor"


async def test_analytics_products_count_their_share_of_attributed_revenue(a):
    await sell(a, order(datetime(2026, 6, 10, 9, tzinfo=UTC), "300", attribution=tagged(),
                        lines=(("p-1", "200"), ("p-2", "100"))))
    page = await reading.breakdown(NO_DATABASE, a, WORKSPACE, JUNE, By.PRODUCT)
    assert [(k.product, f.revenue) for k, f in page.rows] == [("p-1", sar("200.00")), ("p-2", sar("100.00"))]


async def test_analytics_spend_in_two_currencies_is_listed_apart_never_added(a):
    await report(a, performance(date(2026, 6, 10), "100"), performance(date(2026, 6, 10), "30", ad=OTHER_AD,
                                                                        currency="USD"))
    figures = (await reading.overview(NO_DATABASE, a, WORKSPACE, JUNE)).figures
    assert figures.spend is None and figures.roas is None
    assert figures.totals.spend.by_currency == (("SAR", Decimal(100)), ("USD", Decimal(30)))


async def test_analytics_the_time_series_has_every_day_and_todays_hours(a):
    await report(a, performance(date(2026, 6, 2), "10"),
                 performance(date(2026, 6, 3), "4", level=PerformanceLevel.CAMPAIGN, hour=9))
    days = await reading.daily(NO_DATABASE, a, WORKSPACE, Period(date(2026, 6, 1), date(2026, 6, 3)))
    assert [(p.day, p.figures.spend) for p in days] == [(date(2026, 6, 1), None), (date(2026, 6, 2), sar("10")),
                                                        (date(2026, 6, 3), None)]
    hours = await reading.hourly(NO_DATABASE, a, WORKSPACE, Period(date(2026, 6, 3), date(2026, 6, 3)))
    assert [(p.hour, p.figures.spend) for p in hours] == [(9, sar("4"))]
    by_campaign = await reading.daily(NO_DATABASE, a, WORKSPACE, JUNE, campaign_id=uuid.uuid4())
    assert all(p.figures.spend is None for p in by_campaign)


@pytest.mark.parametrize(("since", "until", "path"), [
    (date(2026, 6, 2), date(2026, 6, 1), "query/since"),
    (date(2025, 6, 1), date(2026, 6, 2), "query/until"),
])
def test_analytics_a_period_backwards_or_over_366_days_is_refused_with_its_field(since, until, path):
    with pytest.raises(InvalidInput) as refused:
        Period.of(since, until)
    assert refused.value.path == path


async def test_analytics_a_platform_filter_keeps_its_platform_only(a):
    await report(a, performance(date(2026, 6, 10), "100"))
    page = await reading.breakdown(NO_DATABASE, a, WORKSPACE, JUNE, By.CAMPAIGN, platform=AdPlatform.TIKTOK)
    assert page.rows == []


async def test_analytics_a_drafted_campaign_is_owned_and_another_workspaces_ids_credit_nothing():
    a = memory_adapters()
    drafted, stranger = uuid.uuid4(), uuid.uuid4()
    await ingest.campaign_owned(NO_DATABASE, a, WORKSPACE, drafted)
    await ingest.campaign_owned(NO_DATABASE, a, uuid.uuid4(), stranger)
    when = datetime(2026, 6, 10, 9, tzinfo=UTC)
    (ours,) = await sell(a, order(when, "80", attribution=tagged(AD, drafted)))
    (theirs,) = await sell(a, order(when, "40", attribution=tagged(AD, stranger)))
    assert (ours.credit.campaign_id, theirs.credit.campaign_id) == (drafted, None)


async def test_analytics_orders_fall_on_the_day_of_the_first_ad_accounts_time_zone(a):
    await ingest.ad_account_connected(NO_DATABASE, a, WORKSPACE, "Asia/Riyadh")
    await ingest.ad_account_connected(NO_DATABASE, a, WORKSPACE, "America/New_York")
    (entry,) = await sell(a, order(datetime(2026, 6, 10, 22, tzinfo=UTC), "80", attribution=tagged()))
    assert entry.day == date(2026, 6, 11)


async def test_analytics_performance_that_came_before_its_publication_moves_into_its_ad_set():
    a = memory_adapters()
    await report(a, performance(date(2026, 6, 10), "100"))
    await ingest.campaign_published(NO_DATABASE, a, WORKSPACE, CAMPAIGN, published())
    page = await reading.breakdown(NO_DATABASE, a, WORKSPACE, JUNE, By.AD_SET)
    assert [(k.ad_set_id, f.spend) for k, f in page.rows] == [("set-1", sar("100"))]


def news_at(when: datetime, payload=None) -> EventEnvelope:
    """The envelope of campaigns' news (a draft, a publication), as it happened at `when`."""
    sent = CATALOG.envelope(payload or published(), aggregate_id=CAMPAIGN, aggregate_version=1, workspace_id=WORKSPACE)
    return sent.model_copy(update={"occurred_at": when})


async def campaign_revenue(a) -> dict[object, Money | None]:
    page = await reading.breakdown(NO_DATABASE, a, WORKSPACE, JUNE, By.CAMPAIGN)
    return {k.campaign_id: f.revenue for k, f in page.rows}


async def test_analytics_an_order_read_before_its_campaign_is_credited_to_it_when_the_campaign_arrives():
    a = memory_adapters()
    placed = datetime(2026, 6, 11, 9, tzinfo=UTC)
    (first,) = await sell(a, order(placed, "249.90", attribution=tagged()))
    assert first.credit.campaign_id is None  # the campaign's news had not been read yet

    await ingest.campaign_published(NO_DATABASE, a, WORKSPACE, CAMPAIGN, published(),
                                    caused_by=news_at(placed + timedelta(minutes=5)))

    assert await campaign_revenue(a) == {CAMPAIGN: sar("249.90")}
    figures = (await reading.overview(NO_DATABASE, a, WORKSPACE, JUNE)).figures
    assert (figures.revenue, figures.totals.orders) == (sar("249.90"), 1)  # moved, not counted twice
    # The same news read again (a redelivery, a second platform) moves nothing more.
    await ingest.campaign_published(NO_DATABASE, a, WORKSPACE, CAMPAIGN, published(),
                                    caused_by=news_at(placed + timedelta(minutes=6)))
    assert await campaign_revenue(a) == {CAMPAIGN: sar("249.90")}
    assert (await reading.overview(NO_DATABASE, a, WORKSPACE, JUNE)).figures.totals.orders == 1


async def test_analytics_an_order_with_no_adly_signal_stays_unattributed_when_a_campaign_arrives():
    a = memory_adapters()
    placed = datetime(2026, 6, 11, 9, tzinfo=UTC)
    await sell(a, order(placed, "80"))
    await ingest.campaign_published(NO_DATABASE, a, WORKSPACE, CAMPAIGN, published(), caused_by=news_at(placed))
    assert await campaign_revenue(a) == {None: sar("80")}


async def test_analytics_an_order_placed_before_the_click_window_of_the_news_is_not_decided_again():
    a = memory_adapters()
    placed = datetime(2026, 6, 1, 9, tzinfo=UTC)
    await sell(a, order(placed, "80", attribution=tagged()))
    await ingest.campaign_owned(NO_DATABASE, a, WORKSPACE, CAMPAIGN, caused_by=news_at(placed + timedelta(days=8)))
    assert await campaign_revenue(a) == {None: sar("80")}
    await ingest.campaign_owned(NO_DATABASE, a, WORKSPACE, CAMPAIGN, caused_by=news_at(placed + timedelta(days=6)))
    assert await campaign_revenue(a) == {CAMPAIGN: sar("80")}


async def test_analytics_an_order_whose_only_signal_is_a_click_id_goes_to_the_campaign_its_performance_shows():
    a = memory_adapters()
    await ingest.campaign_published(NO_DATABASE, a, WORKSPACE, CAMPAIGN, published())
    placed = datetime(2026, 6, 11, 9, tzinfo=UTC)
    (first,) = await sell(a, order(placed, "249.90", attribution=OrderAttribution(click_ids={"fbclid": "IwAR0"})))
    assert (first.credit.platform, first.credit.campaign_id) == (AdPlatform.META, None)  # no delivery known yet

    await report(a, performance(date(2026, 6, 10), "100"))  # the campaign delivered on Meta the day before

    assert await campaign_revenue(a) == {CAMPAIGN: sar("249.90")}
    figures = (await reading.overview(NO_DATABASE, a, WORKSPACE, JUNE)).figures
    assert (figures.revenue, figures.totals.orders) == (sar("249.90"), 1)  # moved, not counted twice
    await report(a, performance(date(2026, 6, 10), "120", revision=2))  # a restatement moves nothing more
    assert await campaign_revenue(a) == {CAMPAIGN: sar("249.90")}
    assert (await reading.overview(NO_DATABASE, a, WORKSPACE, JUNE)).figures.totals.orders == 1


async def test_analytics_performance_without_impressions_credits_no_click_id_order():
    a = memory_adapters()
    await ingest.campaign_published(NO_DATABASE, a, WORKSPACE, CAMPAIGN, published())
    await sell(a, order(datetime(2026, 6, 11, 9, tzinfo=UTC), "80", attribution=OrderAttribution(click_ids={"fbclid": "x"})))
    await report(a, performance(date(2026, 6, 10), "0", impressions=0, clicks=0))
    page = await reading.breakdown(NO_DATABASE, a, WORKSPACE, JUNE, By.PLATFORM)
    assert [(k.platform, k.campaign_id, f.revenue) for k, f in page.rows if f.revenue] == [
        (AdPlatform.META, None, sar("80"))]
