"""Each ingest that changes figures appends one `FiguresUpdated` (per workspace and batch, not per
row) to the event store and its outbox in the same transaction; the gateway's live socket forwards
it to the workspace. Nothing is appended when nothing changed."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

from adly_analytics.handlers import ingest
from adly_events import CATALOG

from ..unit.builders import CAMPAIGN, OTHER_AD, order, performance, published, tagged
from .test_analytics_read_models import placed, series_id


async def updates(h) -> list[dict]:
    rows = await h.rows("SELECT e.envelope, e.workspace_id, o.topic FROM {s}.events e JOIN {s}.outbox o "
                        "USING (event_id) WHERE e.event_type = 'FiguresUpdated' ORDER BY e.position")
    return [{**(r.envelope if isinstance(r.envelope, dict) else json.loads(r.envelope)), "_topic": r.topic,
             "_workspace": r.workspace_id} for r in rows]


async def test_analytics_a_consumed_performance_report_appends_figures_updated_with_its_outbox_row(analytics):
    h = analytics
    report = h.envelope(performance(date(2026, 6, 10), "120.50"), series_id())
    await h.deliver(h.envelope(published(), CAMPAIGN, 5), report)

    (update,) = await updates(h)
    assert update["_topic"] == CATALOG.get("FiguresUpdated", 1).topic
    assert update["_topic"].startswith("adly.")
    assert update["_workspace"] == h.workspace_id and update["workspace_id"] == str(h.workspace_id)
    assert update["payload"] == {"days": ["2026-06-10"], "campaign_ids": [str(CAMPAIGN)], "platforms": ["meta"],
                                 "cause": "performance"}
    assert update["causation_id"] == str(report.event_id)


async def test_analytics_a_batch_of_300_rows_appends_one_update_naming_its_days_and_campaigns(analytics):
    h = analytics
    campaigns = [uuid.UUID(int=n + 1) for n in range(10)]
    reports = [(h.workspace_id, performance(date(2026, 6, 1 + n % 30), "10", campaign=campaigns[n // 30]))
               for n in range(300)]
    async with h.runtime.engine.begin() as tx:
        assert await ingest.performance_reported(tx, h.runtime.adapters, reports) == 300

    (update,) = await updates(h)
    assert update["payload"]["days"] == [date(2026, 6, d).isoformat() for d in range(1, 31)]
    assert update["payload"]["campaign_ids"] == [str(c) for c in campaigns]


async def test_analytics_a_batch_over_two_workspaces_appends_one_update_for_each(analytics):
    h = analytics
    other = uuid.uuid4()
    reports = [(h.workspace_id, performance(date(2026, 6, 3), "10")),
               (other, performance(date(2026, 6, 4), "10", campaign=uuid.UUID(int=7)))]
    async with h.runtime.engine.begin() as tx:
        await ingest.performance_reported(tx, h.runtime.adapters, reports)

    found = {u["_workspace"]: u["payload"]["days"] for u in await updates(h)}
    assert found == {h.workspace_id: ["2026-06-03"], other: ["2026-06-04"]}


async def test_analytics_a_redelivery_or_an_older_revision_appends_no_update(analytics):
    h = analytics
    day = series_id()
    newest = h.envelope(performance(date(2026, 6, 10), "95", revision=2), day, 2)
    await h.deliver(h.envelope(published(), CAMPAIGN, 5), newest)
    assert len(await updates(h)) == 1

    assert await h.deliver(newest) == ["duplicate"]
    assert await h.deliver(h.envelope(performance(date(2026, 6, 10), "120", revision=1), day, 1)) == ["applied"]
    assert len(await updates(h)) == 1


async def test_analytics_an_attributed_order_appends_an_update_for_its_day_and_campaign(analytics):
    h = analytics
    await h.deliver(h.envelope(published(), CAMPAIGN, 5),
                    placed(h, order(datetime(2026, 6, 11, 9, tzinfo=UTC), "249.90", attribution=tagged(OTHER_AD))))

    (update,) = await updates(h)
    assert update["payload"]["cause"] == "order"
    assert update["payload"]["days"] == ["2026-06-11"] and update["payload"]["campaign_ids"] == [str(CAMPAIGN)]


async def test_analytics_an_ingest_rolled_back_leaves_neither_figures_nor_update(analytics):
    h = analytics
    async with h.runtime.engine.connect() as conn:
        tx = await conn.begin()
        await ingest.performance_reported(conn, h.runtime.adapters, [(h.workspace_id,
                                                                      performance(date(2026, 6, 3), "10"))])
        await tx.rollback()

    assert await updates(h) == [] and await h.cells() == []


async def test_analytics_a_consumed_batch_of_reports_is_written_together_and_announced_once(analytics):
    h = analytics
    campaigns = [uuid.UUID(int=n + 1) for n in range(10)]
    reports = [h.envelope(performance(date(2026, 6, 1 + n % 20), "10", campaign=campaigns[n // 20]), series_id())
               for n in range(200)]
    assert await h.deliver(*reports) == ["applied"] * 200

    (update,) = await updates(h)  # one live update for the consumer's batch, not one per report
    assert update["causation_id"] == str(reports[-1].event_id)
    assert update["payload"]["days"] == [date(2026, 6, d).isoformat() for d in range(1, 21)]
    (spend,) = await h.rows("SELECT sum(spend) FROM {s}.cells WHERE grain = 'workspace'")
    assert spend[0] == 2000
