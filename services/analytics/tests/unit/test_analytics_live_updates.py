"""FiguresUpdated from the handlers, on in-memory ports: one per workspace and batch."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from adly_analytics.handlers import ingest
from adly_kit.testing.doubles import NO_DATABASE

from .builders import CAMPAIGN, WORKSPACE, performance, published
from .doubles import memory_adapters


async def test_analytics_a_batch_of_rows_announces_its_figures_once():
    a = memory_adapters()
    await ingest.campaign_published(NO_DATABASE, a, WORKSPACE, CAMPAIGN, published())
    other = UUID(int=9)
    reports = [(WORKSPACE, performance(date(2026, 6, d), "10")) for d in (3, 1, 2)]
    reports.append((WORKSPACE, performance(date(2026, 6, 1), "5", campaign=other)))
    assert await ingest.performance_reported(NO_DATABASE, a, reports) == 4

    (workspace, update), = a.updates.appended  # type: ignore[attr-defined]
    assert workspace == WORKSPACE and update.cause == "performance"
    assert update.days == [date(2026, 6, 1), date(2026, 6, 2), date(2026, 6, 3)]
    assert update.campaign_ids == sorted([CAMPAIGN, other])


async def test_analytics_a_batch_that_changes_nothing_announces_nothing():
    a = memory_adapters()
    reports = [(WORKSPACE, performance(date(2026, 6, 3), "10", revision=2))]
    await ingest.performance_reported(NO_DATABASE, a, reports)
    await ingest.performance_reported(NO_DATABASE, a, reports)
    assert len(a.updates.appended) == 1  # type: ignore[attr-defined]
