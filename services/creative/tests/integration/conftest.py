"""The creative service in-process: migrated schema, real Postgres and broker, assets in a
temporary directory; requests carry an X-Adly-Identity signed like the gateway signs it.

`creative` runs the service with the real offline providers; `start_creative(...)` runs it
with other settings, or adapters opened with another provider registry or asset store
(in-test doubles of the ports).
"""

from __future__ import annotations

import asyncio
import io
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from PIL import Image
from sqlalchemy import text

from adly_creative.adapters.container import Adapters, open_adapters
from adly_creative.bootstrap import MIGRATIONS, build
from adly_creative.settings import CreativeSettings
from adly_events import CATALOG, EventEnvelope
from adly_events.contracts.catalog import CatalogProduct, ProductImage, ProductStatus, ProductUpserted, ProductVariant
from adly_events.contracts.common import Money
from adly_kit import migrations
from adly_kit.app import create_app
from adly_kit.identity import sign
from adly_kit.service import Runtime
from adly_kit.settings import ServiceSettings
from adly_kit.testing.plugin import drop_schema, eventually

JOB_TOPIC = "adly.creative.generation_job"


def photo_bytes(colour=(200, 120, 40), size=(600, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG")
    return buffer.getvalue()


class Creative:
    def __init__(self, client: httpx.AsyncClient, settings: CreativeSettings, runtime: Runtime, adapters: Adapters,
                 bootstrap: str) -> None:
        self.client, self.settings, self.runtime, self.adapters, self.bootstrap = client, settings, runtime, adapters, bootstrap

    @property
    def schema(self) -> str:
        return self.settings.schema

    def identity(self, workspace_id: uuid.UUID | None, role: str | None = "owner", *, sub: str | None = None,
                 kind: str = "user") -> dict[str, str]:
        claims = {"sub": sub or str(uuid.uuid4()), "kind": kind, "ws": str(workspace_id) if workspace_id else None,
                  "role": role, "sid": str(uuid.uuid4()), "mfa": False, "rid": "test"}
        return {"X-Adly-Identity": sign(claims, self.settings.internal_identity_key.get_secret_value().encode())}

    # -- events on the real broker ------------------------------------------------------

    async def publish(self, payload, *, aggregate_id: uuid.UUID, version: int, workspace_id: uuid.UUID | None
                      ) -> EventEnvelope:
        envelope = CATALOG.envelope(payload, aggregate_id=aggregate_id, aggregate_version=version, workspace_id=workspace_id)
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(CATALOG.type_of(payload).topic, envelope.to_json(), key=envelope.key)
        finally:
            await producer.stop()
        return envelope

    async def job_events(self, job_id: uuid.UUID, until: str, timeout: float = 30.0) -> list[EventEnvelope]:
        """The job's events as read back from its topic, once one of type `until` arrived."""
        reader = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await reader.start()
        try:
            partitions = reader.partitions_for_topic(JOB_TOPIC) or await _partitions(reader)
            reader.assign([TopicPartition(JOB_TOPIC, p) for p in partitions])
            await reader.seek_to_beginning()
            found: list[EventEnvelope] = []
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                for batch in (await reader.getmany(timeout_ms=200)).values():
                    found += [e for e in (EventEnvelope.from_json(r.value) for r in batch) if e.aggregate_id == job_id]
                if any(e.event_type == until for e in found):
                    return sorted(found, key=lambda e: e.aggregate_version)
            raise AssertionError(f"no {until} for job {job_id} on {JOB_TOPIC}; saw {[e.event_type for e in found]}")
        finally:
            await reader.stop()

    # -- state -----------------------------------------------------------------------

    async def product(self, workspace_id: uuid.UUID, *, name="Oud perfume", names=None, price="149.00", was=None,
                      images=(), via_broker=False, description="A warm oud for every evening.") -> uuid.UUID:
        product_id = uuid.uuid4()
        product = CatalogProduct(
            external_id=str(product_id.int % 10**9), name=name, names=names or {"en": name, "ar": "عطر عود"},
            description=description, status=ProductStatus.ACTIVE, url="https://shop.example/oud",
            variants=[ProductVariant(external_id="v1", price=Money(amount=Decimal(price), currency="SAR"),
                                     compare_at_price=Money(amount=Decimal(was), currency="SAR") if was else None)],
            images=[ProductImage(url=url, position=i) for i, url in enumerate(images)])
        payload = ProductUpserted(store_id=uuid.uuid4(), platform="salla", product=product)
        if via_broker:
            await self.publish(payload, aggregate_id=product_id, version=1, workspace_id=workspace_id)
            assert await eventually(lambda: self._has_product(product_id), timeout=30), "the product never arrived"
        else:
            envelope = CATALOG.envelope(payload, aggregate_id=product_id, aggregate_version=1, workspace_id=workspace_id)
            async with self.runtime.engine.begin() as tx:
                await self.adapters.products.upsert(tx, envelope, payload)
        return product_id

    async def _has_product(self, product_id: uuid.UUID) -> bool:
        return bool(await self.scalar("SELECT count(*) FROM {s}.products WHERE id = :id", id=product_id))

    async def scalar(self, sql: str, **params) -> Any:
        async with self.runtime.engine.connect() as conn:
            return (await conn.execute(text(sql.replace("{s}", self.schema)), params)).scalar()

    async def execute(self, sql: str, **params) -> None:
        async with self.runtime.engine.begin() as tx:
            await tx.execute(text(sql.replace("{s}", self.schema)), params)

    async def rows(self, sql: str, **params) -> list:
        async with self.runtime.engine.connect() as conn:
            return list(await conn.execute(text(sql.replace("{s}", self.schema)), params))

    async def start_job(self, workspace_id: uuid.UUID, product_ids: list[uuid.UUID], **body) -> httpx.Response:
        body = {"product_ids": [str(p) for p in product_ids], "platforms": ["meta"], "language": "en"} | body
        return await self.client.post(f"/v1/workspaces/{workspace_id}/creatives/jobs", json=body,
                                      headers=self.identity(workspace_id))

    async def job(self, workspace_id: uuid.UUID, job_id) -> dict:
        response = await self.client.get(f"/v1/workspaces/{workspace_id}/creatives/jobs/{job_id}",
                                         headers=self.identity(workspace_id, "analyst"))
        assert response.status_code == 200, response.text
        return response.json()

    async def finished(self, workspace_id: uuid.UUID, job_id, timeout: float = 40.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            job = await self.job(workspace_id, job_id)
            if job["status"] in ("succeeded", "failed", "cancelled") or time.monotonic() > deadline:
                return job
            await asyncio.sleep(0.1)


async def _partitions(reader) -> set[int]:
    for _ in range(300):  # the topic exists once the service started; its metadata may take a moment
        await reader._client.force_metadata_update()
        if partitions := reader.partitions_for_topic(JOB_TOPIC):
            return partitions
        await asyncio.sleep(0.1)
    raise AssertionError(f"{JOB_TOPIC} has no partitions")


def creative_settings(service_settings, tmp_path, **overrides) -> CreativeSettings:
    values = service_settings.model_dump(exclude={"service_name"}) | dict(
        service_name=service_settings.service_name, environment="test", asset_dir=tmp_path / "assets",
        photo_allow_loopback=True, job_poll_seconds=0.2, job_lease_seconds=6.0, provider_retry_base_seconds=0.01,
        product_wait_seconds=3.0, campaign_voice_over=False, campaign_video=False)
    return CreativeSettings(**(values | overrides))


def base_settings(postgres_url: str, kafka) -> ServiceSettings:
    """What the kit's `service_settings` fixture gives, for fixtures wider than one test."""
    return ServiceSettings(
        service_name=f"t{uuid.uuid4().hex[:12]}", database_url=postgres_url, kafka_bootstrap_servers=kafka.bootstrap_servers,
        kafka_broker_kind=kafka.kind, topic_partitions=3, topic_replication_factor=1, topic_min_insync_replicas=1,
        consumer_retry_backoff_seconds=0.05)


@dataclass
class Starter:
    service_settings: Any
    kafka: Any
    tmp_path: Any

    @asynccontextmanager
    async def __call__(self, *, adapters: Callable[[Runtime], AbstractAsyncContextManager[Adapters]] = open_adapters,
                       consume: bool = False, roles: tuple[str, ...] = ("api", "worker", "relay"),
                       **overrides) -> AsyncIterator[Creative]:
        """`consume`: run the subscriptions too. Joining a consumer group takes the broker
        seconds per group, so only the tests of the event path pay for it."""
        settings = creative_settings(self.service_settings, self.tmp_path, **overrides)
        await asyncio.to_thread(migrations.upgrade, settings, str(MIGRATIONS))
        service = build(settings.schema, adapters)
        if not consume:
            service.subscriptions = []
        runtime = Runtime(service, settings)
        app = create_app(runtime, roles)
        try:
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="https://creative.adly.test") as client:
                    yield Creative(client, settings, runtime, runtime.adapters, self.kafka.bootstrap_servers)
        finally:
            await drop_schema(settings)


@pytest.fixture
def start_creative(service_settings, kafka, tmp_path) -> Starter:
    return Starter(service_settings, kafka, tmp_path)


@pytest.fixture
async def creative(start_creative) -> AsyncIterator[Creative]:
    async with start_creative() as running:
        yield running
