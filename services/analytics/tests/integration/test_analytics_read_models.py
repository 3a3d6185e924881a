"""Events through the analytics consumers on real Postgres, figures out of its HTTP API: the
expected figures are computed here from the same inputs, never read back from the service."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from adly_analytics.bootstrap import build
from adly_analytics.entrypoints.commands import rebuild_cells
from adly_analytics.handlers import ingest
from adly_events.contracts.campaigns import PerformanceLevel
from adly_events.contracts.catalog import OrderAttribution, OrderPlaced, OrderStatus, OrderUpdated, StorePlatform
from adly_events.envelope import EventEnvelope

from ..unit.builders import AD, CAMPAIGN, OTHER_AD, order, performance, published, tagged

STORE = uuid.UUID("5d0c7f3e-8a1b-4c2d-9e3f-4a5b6c7d8e9f")
SINCE, UNTIL = "2026-06-01", "2026-06-30"


def ratio(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.0001")))


def money(value: str) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


def series_id() -> uuid.UUID:
    return uuid.uuid4()


def placed(h, o, order_id=None, version: int = 1) -> EventEnvelope:
    event = (OrderPlaced if version == 1 else OrderUpdated)(store_id=STORE, platform=StorePlatform.SHOPIFY, order=o)
    return h.envelope(event, order_id or uuid.uuid4(), version)


async def test_analytics_performance_and_orders_in_give_the_overviews_spend_attributed_revenue_and_roas(analytics):
    h = analytics
    day_10, day_11 = series_id(), series_id()
    await h.deliver(h.envelope(published(), CAMPAIGN, 5),
                    h.envelope(performance(date(2026, 6, 10), "120.50", value="300"), day_10),
                    h.envelope(performance(date(2026, 6, 11), "80.25", ad=OTHER_AD, value="90"), day_11),
                    placed(h, order(datetime(2026, 6, 11, 9, tzinfo=UTC), "249.90", attribution=tagged())),
                    placed(h, order(datetime(2026, 6, 12, 9, tzinfo=UTC), "99.10", attribution=tagged(OTHER_AD))))

    answer = await h.get("/overview", since=SINCE, until=UNTIL)
    assert answer.status_code == 200, answer.text
    current = answer.json()["current"]
    spend, revenue = Decimal("120.50") + Decimal("80.25"), Decimal("249.90") + Decimal("99.10")
    assert current["spend"] == {"amount": money(str(spend)), "currency": "SAR"}
    assert current["revenue"] == {"amount": money(str(revenue)), "currency": "SAR"}
    assert current["roas"] == ratio(revenue / spend)
    assert current["platform_roas"] == ratio(Decimal(390) / spend)
    assert (current["orders"], current["impressions"], current["clicks"]) == (2, 2000, 80)


async def test_analytics_a_restated_day_replaces_its_figures(analytics):
    h = analytics
    day = series_id()
    await h.deliver(h.envelope(published(), CAMPAIGN, 5), h.envelope(performance(date(2026, 6, 10), "120"), day))
    await h.deliver(h.envelope(performance(date(2026, 6, 10), "95.40", revision=2, impressions=900), day, 2))

    current = (await h.get("/overview", since=SINCE, until=UNTIL)).json()["current"]
    assert (current["spend"]["amount"], current["impressions"]) == ("95.40", 900)
    (revision, spend), = await h.rows("SELECT revision, spend FROM {s}.performance")
    assert (revision, spend) == (2, Decimal("95.40"))


async def test_analytics_a_redelivered_event_and_a_replayed_older_revision_change_nothing(analytics):
    h = analytics
    day, order_id = series_id(), uuid.uuid4()
    newest = h.envelope(performance(date(2026, 6, 10), "95", revision=2), day, 2)
    sale = placed(h, order(datetime(2026, 6, 10, 9, tzinfo=UTC), "150", attribution=tagged()), order_id)
    assert await h.deliver(h.envelope(published(), CAMPAIGN, 5), newest, sale) == ["applied"] * 3
    before = await h.cells()

    assert await h.deliver(newest, sale) == ["duplicate", "duplicate"]
    older = h.envelope(performance(date(2026, 6, 10), "120", revision=1), day, 1)   # a new event id, an old revision
    assert await h.deliver(older) == ["applied"]
    assert await h.cells() == before
    assert (await h.get("/overview", since=SINCE, until=UNTIL)).json()["current"]["spend"]["amount"] == "95.00"


async def test_analytics_an_order_with_no_adly_signal_is_counted_as_unattributed(analytics):
    h = analytics
    await h.deliver(h.envelope(published(), CAMPAIGN, 5), h.envelope(performance(date(2026, 6, 10), "100"), series_id()),
                    placed(h, order(datetime(2026, 6, 10, 9, tzinfo=UTC), "60",
                                    attribution=OrderAttribution(source_name="web"))))

    current = (await h.get("/overview", since=SINCE, until=UNTIL)).json()["current"]
    assert (current["orders"], current["revenue"]["amount"], current["roas"]) == (1, "60.00", ratio(Decimal("0.6")))
    rows = (await h.get("/breakdown", by="campaign", since=SINCE, until=UNTIL)).json()["rows"]
    assert [(r["campaign_id"], r["figures"]["orders"], r["figures"]["spend"]) for r in rows] == [
        (None, 1, None), (str(CAMPAIGN), 0, {"amount": "100.00", "currency": "SAR"})]


async def test_analytics_rebuilding_the_cells_from_the_facts_gives_identical_rows(analytics):
    h = analytics
    order_id, day = uuid.uuid4(), series_id()
    when = datetime(2026, 6, 10, 9, tzinfo=UTC)
    await h.deliver(h.envelope(published(), CAMPAIGN, 5),
                    h.envelope(performance(date(2026, 6, 10), "120", reach=700), day),
                    h.envelope(performance(date(2026, 6, 10), "30", ad=OTHER_AD, currency="USD", value="12"),
                               series_id()),
                    h.envelope(performance(date(2026, 6, 11), "9", level=PerformanceLevel.CAMPAIGN, hour=14),
                               series_id()),
                    h.envelope(performance(date(2026, 6, 10), "0", level=PerformanceLevel.AD_SET), series_id()),
                    placed(h, order(when, "300", attribution=tagged(), lines=(("p-1", "200"), ("p-2", "100"))),
                           order_id),
                    placed(h, order(when, "45", attribution=OrderAttribution(referrer="https://l.facebook.com/")),
                           uuid.uuid4()),
                    placed(h, order(when, "20", currency="USD"), uuid.uuid4()))
    await h.deliver(h.envelope(performance(date(2026, 6, 10), "110.5", revision=2, reach=650), day, 2),
                    placed(h, order(when, "120", attribution=tagged(), status=OrderStatus.PARTIALLY_REFUNDED,
                                    updated=datetime(2026, 6, 14, 8, tzinfo=UTC),
                                    lines=(("p-1", "200"), ("p-2", "100"))), order_id, 2),
                    placed(h, order(when, "0", attribution=tagged(), status=OrderStatus.CANCELLED,
                                    updated=datetime(2026, 6, 15, 8, tzinfo=UTC),
                                    lines=(("p-1", "200"), ("p-2", "100"))), order_id, 3))
    kept = await h.cells()
    assert len(kept) > 10

    await rebuild_cells(h.runtime.adapters, [])
    assert await h.cells() == kept
    assert "rebuild-cells" in build().commands


async def test_analytics_bad_periods_and_an_unknown_breakdown_are_refused_with_field_paths(analytics):
    h = analytics
    cases = [("/overview", {"since": "2026-06-02", "until": "2026-06-01"}, "query/since"),
             ("/overview", {"since": "2025-01-01", "until": "2026-06-01"}, "query/until"),
             ("/breakdown", {"by": "colour", "since": SINCE, "until": UNTIL}, "query/by"),
             ("/timeseries", {"since": SINCE, "until": UNTIL, "granularity": "week"}, "query/granularity")]
    for tail, params, path in cases:
        answer = await h.get(tail, **params)
        assert answer.status_code == 422, (tail, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert path in [e["path"] for e in answer.json()["errors"]], answer.json()


async def test_analytics_another_workspaces_member_finds_no_figures(analytics):
    h = analytics
    answer = await h.client.get(f"/v1/workspaces/{h.workspace_id}/analytics/overview",
                                params={"since": SINCE, "until": UNTIL}, headers=h.identity(ws=uuid.uuid4()))
    assert answer.status_code == 404


async def test_analytics_a_time_series_and_a_paged_breakdown_read_the_cells(analytics):
    h = analytics
    await h.deliver(h.envelope(published(), CAMPAIGN, 5),
                    h.envelope(performance(date(2026, 6, 2), "10"), series_id()),
                    h.envelope(performance(date(2026, 6, 2), "7", ad=OTHER_AD), series_id()))
    points = (await h.get("/timeseries", since="2026-06-01", until="2026-06-03",
                          campaign_id=str(CAMPAIGN))).json()["points"]
    assert [(p["day"], p["figures"]["spend"]) for p in points] == [
        ("2026-06-01", None), ("2026-06-02", {"amount": "17.00", "currency": "SAR"}), ("2026-06-03", None)]
    first = (await h.get("/breakdown", by="ad", since=SINCE, until=UNTIL, limit=1)).json()
    second = (await h.get("/breakdown", by="ad", since=SINCE, until=UNTIL, limit=1, cursor=first["next_cursor"])).json()
    assert [r["ad_id"] for r in first["rows"] + second["rows"]] == [str(AD), str(OTHER_AD)]
    assert second["next_cursor"] is None


async def test_analytics_a_batch_of_rows_is_copied_in_and_its_cells_equal_the_inputs_and_a_rebuild(analytics):
    h = analytics
    reports, spend = [], Decimal(0)
    for n in range(300):
        day = date(2026, 6, 1 + n % 30)
        amount = Decimal(n) + Decimal("0.37")
        reports.append((h.workspace_id, performance(day, str(amount), ad=AD if n % 2 else OTHER_AD,
                                                    campaign=uuid.UUID(int=n // 30 + 1))))
        spend += amount
    async with h.runtime.engine.begin() as tx:
        assert await ingest.performance_reported(tx, h.runtime.adapters, reports) == 300
    current = (await h.get("/overview", since=SINCE, until=UNTIL)).json()["current"]
    assert (current["spend"]["amount"], current["impressions"]) == (money(str(spend)), 300 * 1000)
    kept = await h.cells()
    await rebuild_cells(h.runtime.adapters, [])
    assert await h.cells() == kept


async def test_analytics_the_openapi_document_carries_the_examples(analytics):
    document = (await analytics.client.get("/openapi.json")).json()
    assert "/v1/workspaces/{workspace_id}/analytics/overview" in document["paths"]
    assert document["components"]["schemas"]["OverviewOut"]["examples"][0]["current"]["roas"] == "3.5840"


async def test_analytics_performance_consumed_before_its_publication_moves_into_its_ad_set(analytics):
    h = analytics
    await h.deliver(h.envelope(performance(date(2026, 6, 10), "100"), series_id()))
    await h.deliver(h.envelope(published(), CAMPAIGN, 5))
    rows = (await h.get("/breakdown", by="ad_set", since=SINCE, until=UNTIL)).json()["rows"]
    assert [(r["ad_set_id"], r["figures"]["spend"]["amount"]) for r in rows] == [("set-1", "100.00")]
    kept = await h.cells()
    await rebuild_cells(h.runtime.adapters, [])
    assert await h.cells() == kept


async def test_analytics_an_order_consumed_before_its_campaigns_publication_is_credited_when_it_arrives(analytics):
    h = analytics
    # Orders and publications come on different topics: this order is read first, as
    # unattributed, and moves to its campaign when the publication is read (minutes later).
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    await h.deliver(placed(h, order(when, "249.90", attribution=tagged(), lines=(("p-1", "249.90"),))))
    period = {"since": (when - timedelta(days=2)).date().isoformat(),
              "until": (when + timedelta(days=2)).date().isoformat()}

    def by_campaign(rows):
        return {r["campaign_id"]: (r["figures"]["revenue"]["amount"], r["figures"]["orders"]) for r in rows}

    before = (await h.get("/breakdown", by="campaign", **period)).json()["rows"]
    assert by_campaign(before) == {None: ("249.90", 1)}
    await h.deliver(h.envelope(published(), CAMPAIGN, 5))
    after = (await h.get("/breakdown", by="campaign", **period)).json()["rows"]
    assert by_campaign(after) == {str(CAMPAIGN): ("249.90", 1)}
    overview = (await h.get("/overview", **period)).json()["current"]
    assert overview["orders"] == 1 and overview["revenue"]["amount"] == "249.90"
    kept = await h.cells()
    await rebuild_cells(h.runtime.adapters, [])
    assert await h.cells() == kept


async def test_analytics_a_click_id_order_read_before_its_campaigns_performance_is_credited_when_it_arrives(analytics):
    h = analytics
    # The order's one signal is Meta's click id: Meta, but which campaign? The performance
    # consumed after it shows the one campaign delivering there that day, and the order moves to it.
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    clicked = OrderAttribution(click_ids={"fbclid": "IwAR0xyz"})
    await h.deliver(h.envelope(published(), CAMPAIGN, 5),
                    placed(h, order(when, "180.00", attribution=clicked, lines=(("p-1", "180.00"),))))
    period = {"since": (when - timedelta(days=2)).date().isoformat(),
              "until": (when + timedelta(days=2)).date().isoformat()}

    async def by_campaign():
        rows = (await h.get("/breakdown", by="campaign", **period)).json()["rows"]
        return {r["campaign_id"]: (r["figures"]["revenue"] or {}).get("amount") for r in rows}

    assert await by_campaign() == {None: "180.00"}
    await h.deliver(h.envelope(performance(when.date(), "40.00"), series_id()))
    assert await by_campaign() == {str(CAMPAIGN): "180.00"}
    overview = (await h.get("/overview", **period)).json()["current"]
    assert overview["orders"] == 1 and overview["revenue"]["amount"] == "180.00"
    kept = await h.cells()
    await rebuild_cells(h.runtime.adapters, [])
    assert await h.cells() == kept
