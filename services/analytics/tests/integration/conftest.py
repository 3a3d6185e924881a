"""The analytics service in-process on a freshly migrated schema of real Postgres: events go in
through the service's own idempotent consumers (inbox and handlers in one transaction), figures
come out of its HTTP app, with X-Adly-Identity signed like the gateway signs it."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx
import pytest
from pydantic import BaseModel
from sqlalchemy import text

from adly_analytics.bootstrap import MIGRATIONS, build
from adly_events import CATALOG, EventEnvelope
from adly_kit import migrations
from adly_kit.app import create_app
from adly_kit.consumer import Record
from adly_kit.identity import sign
from adly_kit.service import Runtime
from adly_kit.testing.plugin import drop_schema


@dataclass
class AnalyticsHarness:
    client: httpx.AsyncClient
    runtime: Runtime
    workspace_id: UUID
    offsets: itertools.count = field(default_factory=itertools.count)

    @property
    def schema(self) -> str:
        return self.runtime.settings.schema

    def identity(self, *, role: str = "analyst", ws: UUID | None = None) -> dict[str, str]:
        claims = {"sub": str(uuid.uuid4()), "kind": "user", "sid": str(uuid.uuid4()), "mfa": False,
                  "ws": str(ws or self.workspace_id), "role": role, "rid": "test"}
        key = self.runtime.settings.internal_identity_key.get_secret_value().encode()
        return {"X-Adly-Identity": sign(claims, key)}

    async def get(self, tail: str, **params: Any) -> httpx.Response:
        return await self.client.get(f"/v1/workspaces/{self.workspace_id}/analytics{tail}", params=params,
                                     headers=self.identity())

    def envelope(self, payload: BaseModel, aggregate_id: UUID, version: int = 1) -> EventEnvelope:
        return CATALOG.envelope(payload, aggregate_id=aggregate_id, aggregate_version=version,
                                workspace_id=self.workspace_id)

    async def deliver(self, *envelopes: EventEnvelope) -> list[str]:
        """One batch, in this order, through the consumer of each event's subscription."""
        outcomes: list[str] = []
        for consumer, batch in self._batches(envelopes):
            outcomes += await consumer.process_batch(batch)
        return outcomes

    def _batches(self, envelopes: tuple[EventEnvelope, ...]) -> list[tuple[Any, list[Record]]]:
        batches: list[tuple[Any, list[Record]]] = []
        for envelope in envelopes:
            topic = CATALOG.get(envelope.event_type, envelope.schema_version).topic
            consumer = next(c for c, s in zip(self.runtime.consumers, self.runtime.service.subscriptions, strict=True)
                            if topic in s.topics)
            record = Record(topic, 0, next(self.offsets), envelope.key, envelope.to_json())
            if batches and batches[-1][0] is consumer:
                batches[-1][1].append(record)
            else:
                batches.append((consumer, [record]))
        return batches

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.runtime.engine.connect() as conn:
            return list((await conn.execute(text(sql.replace("{s}", self.schema)), params)).all())

    async def cells(self) -> list[Any]:
        return await self.rows("SELECT * FROM {s}.cells ORDER BY workspace_id, grain, day, hour, platform, "
                               "campaign_id, ad_set_id, ad_id, product, currency")


@pytest.fixture
async def analytics(service_settings):
    await asyncio.to_thread(migrations.upgrade, service_settings, str(MIGRATIONS))
    runtime = Runtime(build(), service_settings)
    app = create_app(runtime, ("api",))
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="https://analytics.adly.test") as client:
                yield AnalyticsHarness(client, runtime, uuid.uuid4())
    finally:
        await drop_schema(service_settings)
