"""The consumer path on the real broker: campaigns' and the catalog's events published to their
topics reach the analytics figures. The test decides the order: each event is published only once
the one before it is in the inbox (different topics keep no order between them)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
from aiokafka import AIOKafkaProducer
from sqlalchemy import text

from adly_analytics.bootstrap import MIGRATIONS, build
from adly_events import CATALOG, EventEnvelope
from adly_events.contracts.catalog import OrderPlaced, StorePlatform
from adly_kit import migrations
from adly_kit.app import create_app
from adly_kit.service import Runtime
from adly_kit.testing.plugin import drop_schema, eventually

from ..unit.builders import CAMPAIGN, order, performance, published, tagged
from .conftest import AnalyticsHarness


async def test_analytics_events_published_on_the_bus_become_the_overviews_figures(service_settings, kafka):
    await asyncio.to_thread(migrations.upgrade, service_settings, str(MIGRATIONS))
    runtime = Runtime(build(), service_settings)
    app = create_app(runtime, ("api", "worker"))
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="https://analytics.adly.test") as client:
                h = AnalyticsHarness(client, runtime, uuid.uuid4())
                await producer.start()
                sale = order(datetime(2026, 6, 10, 9, tzinfo=UTC), "250", attribution=tagged())
                for envelope in (h.envelope(published(), CAMPAIGN, 5),
                                 h.envelope(performance(date(2026, 6, 10), "100"), uuid.uuid4()),
                                 h.envelope(OrderPlaced(store_id=uuid.uuid4(), platform=StorePlatform.SALLA,
                                                        order=sale), uuid.uuid4())):
                    await publish(producer, envelope)
                    assert await eventually(lambda e=envelope: applied(h, e), timeout=60), envelope.event_type

                current = (await h.get("/overview", since="2026-06-01", until="2026-06-30")).json()["current"]
                assert (current["spend"]["amount"], current["revenue"]["amount"]) == ("100.00", "250.00")
                assert current["roas"] == str((Decimal(250) / Decimal(100)).quantize(Decimal("0.0001")))
    finally:
        await producer.stop()
        await drop_schema(service_settings)


async def publish(producer: AIOKafkaProducer, envelope: EventEnvelope) -> None:
    topic = CATALOG.get(envelope.event_type, envelope.schema_version).topic
    await producer.send_and_wait(topic, envelope.to_json(), key=envelope.key)


async def applied(h: AnalyticsHarness, envelope: EventEnvelope) -> bool:
    async with h.runtime.engine.connect() as conn:
        found = await conn.scalar(text(f"SELECT count(*) FROM {h.schema}.inbox WHERE event_id = :e"),
                                  {"e": envelope.event_id})
    return bool(found)
