"""The dashboard's reads sum the cells in Postgres (per group and currency, top N sorted and cut in
SQL); the previous path read every cell and rolled them up in Python. On a mixed case (two
currencies, a restated day, products, refunds, a cancellation, unattributed orders, ties, another
workspace's figures) both give the very same figures and the very same JSON."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_analytics.adapters.container import Adapters
from adly_analytics.domain.figures import Figures, Key, Totals, compare, previous_period, rollup, total
from adly_analytics.entrypoints.schemas import BreakdownOut, OverviewOut, TimeseriesOut
from adly_analytics.handlers import reading
from adly_analytics.handlers.reading import DIMENSIONS, By, Overview, Page, Period, Point
from adly_events import CATALOG
from adly_events.contracts.campaigns import PerformanceLevel
from adly_events.contracts.catalog import OrderAttribution, OrderPlaced, OrderStatus, OrderUpdated, StorePlatform
from adly_events.contracts.common import AdPlatform

from ..unit.builders import CAMPAIGN, OTHER_AD, order, performance, published, tagged

STORE = uuid.UUID("5d0c7f3e-8a1b-4c2d-9e3f-4a5b6c7d8e9f")
UNPUBLISHED = uuid.UUID("7e1d2c3b-4a59-4687-9a6b-5c4d3e2f1a0b")
PERIODS = [Period(date(2026, 6, 1), date(2026, 6, 30)), Period(date(2026, 6, 10), date(2026, 6, 11)),
           Period(date(2026, 6, 14), date(2026, 6, 14)), Period(date(2026, 5, 20), date(2026, 6, 12)),
           Period(date(2026, 1, 1), date(2026, 1, 5))]


# -- the previous path: every cell read, rolled up and sorted in Python ------------------------------

async def python_overview(tx: AsyncConnection, a: Adapters, workspace_id: UUID, period: Period) -> Overview:
    before = Period(*previous_period(period.start, period.end))
    cells = await a.cells.cells(tx, workspace_id, "workspace", before.start, period.end)
    now = total(cells, start=period.start, end=period.end)
    then = total(cells, start=before.start, end=before.end)
    reach = await a.cells.reach(tx, workspace_id, period.start, period.end) if now.totals.reach_rows == 1 else None
    return Overview(period, before, now, then, compare(now, then), reach)


async def python_daily(tx: AsyncConnection, a: Adapters, workspace_id: UUID, period: Period, *,
                       platform: AdPlatform | None = None, campaign_id: UUID | None = None) -> list[Point]:
    whole = platform is None and campaign_id is None
    cells = await a.cells.cells(tx, workspace_id, "workspace" if whole else "ad", period.start, period.end,
                                platform=platform, campaign_id=campaign_id)
    days = {key.day: figures for key, figures in rollup(cells, by=("day",), start=period.start, end=period.end).items()}
    return [Point(day, None, days.get(day, Figures(Totals()))) for day in period.days()]


def python_largest(item: tuple[Key, Figures]) -> tuple[Decimal, Decimal, str]:
    key, figures = item
    revenue, spend = figures.revenue, figures.spend
    return (-(revenue.amount if revenue else Decimal(0)), -(spend.amount if spend else Decimal(0)),
            "|".join("" if v is None else str(v) for v in (key.platform, key.campaign_id, key.ad_set_id, key.ad_id,
                                                             key.product)))


async def python_breakdown(tx: AsyncConnection, a: Adapters, workspace_id: UUID, period: Period, by: By, *,
                           platform: AdPlatform | None = None, campaign_id: UUID | None = None,
                           limit: int = 50, cursor: str | None = None) -> Page:
    grain = "product" if by is By.PRODUCT else "ad"
    cells = await a.cells.cells(tx, workspace_id, grain, period.start, period.end, platform=platform,
                                campaign_id=campaign_id)
    rows = sorted(rollup(cells, by=DIMENSIONS[by], start=period.start, end=period.end).items(), key=python_largest)
    start = reading._offset(cursor)
    more = start + limit < len(rows)
    return Page(rows[start:start + limit], reading._cursor(start + limit) if more else None)


# -- the mixed case ----------------------------------------------------------------------------------

def placed(h, o, order_id=None, version: int = 1):
    event = (OrderPlaced if version == 1 else OrderUpdated)(store_id=STORE, platform=StorePlatform.SHOPIFY, order=o)
    return h.envelope(event, order_id or uuid.uuid4(), version)


async def mixed_case(h) -> None:
    at = datetime(2026, 6, 10, 9, tzinfo=UTC)
    refunded, cancelled, restated = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await h.deliver(
        h.envelope(published(), CAMPAIGN, 5),
        h.envelope(performance(date(2026, 6, 10), "120", reach=700, value="300"), restated),
        h.envelope(performance(date(2026, 6, 10), "30", ad=OTHER_AD, currency="USD", value="12"), uuid.uuid4()),
        h.envelope(performance(date(2026, 6, 11), "80.255", value="90.5", impressions=3000, clicks=7), uuid.uuid4()),
        h.envelope(performance(date(2026, 6, 14), "0", ad=OTHER_AD, impressions=10, clicks=0), uuid.uuid4()),
        h.envelope(performance(date(2026, 5, 25), "44.4", value="10"), uuid.uuid4()),
        h.envelope(performance(date(2026, 6, 12), "15", campaign=UNPUBLISHED, currency="USD"), uuid.uuid4()),
        h.envelope(performance(date(2026, 6, 11), "9", level=PerformanceLevel.CAMPAIGN, hour=14), uuid.uuid4()),
        h.envelope(performance(date(2026, 6, 10), "5", level=PerformanceLevel.AD_SET), uuid.uuid4()),
        placed(h, order(at, "300", attribution=tagged(), lines=(("p-1", "200"), ("p-2", "100"))), refunded),
        placed(h, order(at, "100", attribution=tagged(OTHER_AD), lines=(("p-2", "60"), ("p-3", "40")))),
        placed(h, order(at, "50", attribution=tagged(), lines=(("p-4", "50"),)), cancelled),
        placed(h, order(datetime(2026, 6, 11, 9, tzinfo=UTC), "60", attribution=tagged(OTHER_AD),
                        lines=(("p-3", "60"),))),                       # p-3: 100, as p-2 once refunded
        placed(h, order(at, "70", attribution=OrderAttribution(referrer="https://l.facebook.com/"))),  # as p-5
        placed(h, order(at, "70", attribution=OrderAttribution(source_name="web"), lines=(("p-5", "70"),))),
        placed(h, order(at, "20", currency="USD", attribution=tagged(), lines=(("p-1", "20"),))),
        placed(h, order(datetime(2026, 5, 28, 9, tzinfo=UTC), "33", attribution=tagged())))
    await h.deliver(
        h.envelope(performance(date(2026, 6, 10), "110.5", revision=2, reach=650, value="280"), restated, 2),
        placed(h, order(at, "120", attribution=tagged(), status=OrderStatus.PARTIALLY_REFUNDED,
                        updated=datetime(2026, 6, 14, 8, tzinfo=UTC), lines=(("p-1", "200"), ("p-2", "100"))),
               refunded, 2),
        placed(h, order(at, "0", attribution=tagged(), status=OrderStatus.CANCELLED,
                        updated=datetime(2026, 6, 15, 8, tzinfo=UTC), lines=(("p-4", "50"),)), cancelled, 2))
    other = uuid.uuid4()   # another workspace's figures beside them
    await h.deliver(CATALOG.envelope(performance(date(2026, 6, 10), "999"), aggregate_id=uuid.uuid4(),
                                     aggregate_version=1, workspace_id=other))


async def test_analytics_dashboard_sql_sums_equal_the_python_rollup_of_the_cells(analytics):
    h = analytics
    await mixed_case(h)
    a, w = h.runtime.adapters, h.workspace_id
    currencies = await h.rows("SELECT DISTINCT currency FROM {s}.cells WHERE workspace_id = :w", w=w)
    assert sorted(c for c, in currencies) == ["SAR", "USD"]
    compared = 0
    async with a.engine.connect() as tx:
        for period in PERIODS:
            ours, theirs = await reading.overview(tx, a, w, period), await python_overview(tx, a, w, period)
            assert ours == theirs
            assert OverviewOut.of(ours).model_dump_json() == OverviewOut.of(theirs).model_dump_json()
            for filters in ({}, {"campaign_id": CAMPAIGN}, {"campaign_id": UNPUBLISHED}, {"platform": AdPlatform.META},
                            {"platform": AdPlatform.TIKTOK}, {"campaign_id": uuid.uuid4()}):
                points = await reading.daily(tx, a, w, period, **filters)
                assert points == await python_daily(tx, a, w, period, **filters)
                assert (TimeseriesOut.of("day", points).model_dump_json()
                        == TimeseriesOut.of("day", await python_daily(tx, a, w, period, **filters)).model_dump_json())
            for by in By:
                filtered = [{}] if by is By.PRODUCT else [{}, {"campaign_id": CAMPAIGN}, {"platform": AdPlatform.META}]
                for filters in filtered:
                    for limit in (1, 2, 3, 10, 50):
                        cursor: str | None = None
                        while True:
                            page = await reading.breakdown(tx, a, w, period, by, limit=limit, cursor=cursor, **filters)
                            expected = await python_breakdown(tx, a, w, period, by, limit=limit, cursor=cursor,
                                                              **filters)
                            assert page == expected, (period, by, filters, limit, cursor)
                            assert (BreakdownOut.of(by.value, page).model_dump_json()
                                    == BreakdownOut.of(by.value, expected).model_dump_json())
                            compared += len(page.rows)
                            if page.next_cursor is None:
                                break
                            cursor = page.next_cursor
                        beyond = reading._cursor(1000)
                        assert await reading.breakdown(tx, a, w, period, by, limit=limit, cursor=beyond,
                                                       **filters) == Page([], None)
    assert compared > 500


async def test_analytics_dashboard_top_products_come_in_revenue_order_ties_by_product_and_refunds_taken_back(
        analytics):
    h = analytics
    await mixed_case(h)
    answer = (await h.get("/breakdown", by="product", since="2026-06-01", until="2026-06-30", limit=10)).json()
    rows = [(r["product"], r["figures"]["revenue"] and r["figures"]["revenue"]["amount"],
             [(m["amount"], m["currency"]) for m in r["figures"]["revenue_by_currency"]]) for r in answer["rows"]]
    # Largest attributed revenue first; equal revenue by product id (no product first); p-1 is in two
    # currencies (200 SAR refunded by 3/5 to 80 SAR, and 20 USD), so it has no single revenue and
    # ranks as 0, beside p-4 (cancelled: 0).
    assert rows == [("p-2", "100.00", [("100.00", "SAR")]), ("p-3", "100.00", [("100.00", "SAR")]),
                    (None, "70.00", [("70.00", "SAR")]), ("p-5", "70.00", [("70.00", "SAR")]),
                    ("p-1", None, [("80.00", "SAR"), ("20.00", "USD")]), ("p-4", "0.00", [])]
    assert answer["next_cursor"] is None
    first = (await h.get("/breakdown", by="product", since="2026-06-01", until="2026-06-30", limit=3)).json()
    rest = (await h.get("/breakdown", by="product", since="2026-06-01", until="2026-06-30", limit=3,
                        cursor=first["next_cursor"])).json()
    assert [r["product"] for r in first["rows"] + rest["rows"]] == [p for p, _, _ in rows]
    assert rest["next_cursor"] is None
