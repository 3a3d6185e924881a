"""The sync runner on real Postgres and the real broker, against the fake Shopify: a sync
killed mid-way resumes from its saved cursor and duplicates nothing; outages are retried
later, refusals end in SyncFailed with a reason; the scheduler queues incremental syncs."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text

from adly_catalog.bootstrap import MIGRATIONS, build
from adly_catalog.domain.platform import Credentials, StoreInfo
from adly_catalog.handlers import connecting
from adly_catalog.handlers.scheduling import queue_due_syncs
from adly_events.contracts.catalog import StorePlatform
from adly_kit import migrations
from adly_kit.app import create_app
from adly_kit.service import Runtime
from adly_kit.testing.plugin import drop_schema
from tests.fakes.shopify import ShopifyFake

from .conftest import CatalogHarness, catalog_settings

PRODUCTS = 60


@pytest.fixture
def shopify():
    with ShopifyFake(max_query_cost=100_000, bucket_size=1_000_000, restore_rate=1_000_000) as fake:
        fake.seed(products=PRODUCTS, variants=2, orders=3)
        yield fake


def settings_for(service_settings, fake: ShopifyFake):
    return catalog_settings(service_settings, shopify_base_url=fake.url, shopify_client_id=fake.client_id,
                            shopify_client_secret=fake.client_secret, shopify_page_size=5, sync_lease_seconds=1.0,
                            platform_timeout_seconds=1.0)


class Catalog:
    """One catalog process: started, and stopped (or, as far as the database can tell, killed)."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.runtime = Runtime(build(settings.schema), settings)
        self.app = create_app(self.runtime, ("api", "worker"))
        self._lifespan = None

    async def __aenter__(self) -> CatalogHarness:
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="https://catalog.adly.test")
        return CatalogHarness(client, self.settings, self.runtime, uuid.uuid4(), uuid.uuid4())

    async def __aexit__(self, *_) -> None:
        await self._lifespan.__aexit__(None, None, None)


@pytest.fixture
async def schema(service_settings, shopify):
    settings = settings_for(service_settings, shopify)
    await asyncio.to_thread(migrations.upgrade, settings, str(MIGRATIONS))
    try:
        yield settings
    finally:
        await drop_schema(settings)


async def connect_shop(catalog: CatalogHarness, fake: ShopifyFake):
    credentials = Credentials(fake.issue_token())
    info = StoreInfo(fake.shop, "Fake shop", fake.currency)
    return await connecting.connect(catalog.adapters, catalog.workspace_id, StorePlatform.SHOPIFY, info, credentials,
                                    catalog.user_id)


async def wait_for(check, timeout: float = 30.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not (result := await check()):
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)
    return result


async def test_a_sync_killed_mid_way_resumes_at_its_cursor_and_duplicates_nothing(schema, shopify):
    async with Catalog(schema) as first:
        store = await connect_shop(first, shopify)

        async def two_pages_in():
            rows = await first.rows("SELECT progress, cursor FROM {s}.syncs")
            return rows and rows[0][0].get("products", {}).get("pages", 0) >= 2 and rows[0][1]

        await wait_for(two_pages_in)
        shopify.stall_next(10)  # the next page never arrives before the process dies
        shopify.stall_next(10)
    # The process is gone with its sync claimed and half done; its lease runs out.
    (state, cursor, progress), = await first.rows("SELECT state, cursor, progress FROM {s}.syncs")
    assert state == "running" and cursor is not None
    assert progress["products"]["seen"] < PRODUCTS

    async with Catalog(schema) as second:
        second.workspace_id = first.workspace_id
        done = await second.sync_done((await second.rows("SELECT id FROM {s}.syncs"))[0][0], timeout=30)
        assert done["state"] == "completed", done
        upserts = await second.events("ProductUpserted")
        assert len(upserts) == PRODUCTS
        assert len({p["product"]["external_id"] for _, p in upserts}) == PRODUCTS
        versions = await second.rows("SELECT DISTINCT version FROM {s}.products")
        assert versions == [(1,)]
        resumed = [c["variables"] for c in shopify.calls if c["variables"].get("first") and c["variables"].get("after")]
        assert any(v["after"] == cursor for v in resumed), "the second process did not start at the saved cursor"
        assert len(await second.events("SyncStarted")) == 1
        assert len(await second.events("SyncCompleted")) == 1
        (synced,), = await second.rows("SELECT last_synced_at FROM {s}.stores WHERE id = :id", id=store.id)
        assert synced is not None


async def test_an_outage_is_retried_later_and_a_refused_token_fails_the_sync_with_a_reason(schema, shopify):
    async with Catalog(schema) as catalog:
        shopify.fail_next(503, times=40)  # every try of the first page, and the retries inside the client
        store = await connect_shop(catalog, shopify)

        async def postponed():
            rows = await catalog.rows("SELECT attempts, not_before, error FROM {s}.syncs")
            return rows if rows and rows[0][0] >= 1 else None

        (attempts, not_before, error), = await wait_for(postponed)
        assert not_before > datetime.now(UTC) and "503" in error
        assert not await catalog.events("SyncFailed")

        shopify.uninstall()  # every token revoked: the store refuses ADLY now
        async with catalog.runtime.engine.begin() as tx:  # its retry is due now
            await tx.execute(text(f"UPDATE {catalog.settings.schema}.syncs SET not_before = now()"))
        shopify._faults.clear()
        (sync_id,), = await catalog.rows("SELECT id FROM {s}.syncs")
        done = await catalog.sync_done(sync_id, timeout=30)
        assert done["state"] == "failed"
        assert "reconnect the store" in done["error"]
        (_, failed), = await catalog.events("SyncFailed")
        assert failed["retryable"] is False and failed["store_id"] == str(store.id)


async def test_the_scheduler_queues_an_incremental_sync_for_stores_synced_long_enough_ago(schema, shopify):
    async with Catalog(schema) as catalog:
        store = await connect_shop(catalog, shopify)
        (sync_id,), = await catalog.rows("SELECT id FROM {s}.syncs")
        assert (await catalog.sync_done(sync_id))["state"] == "completed"
        assert await queue_due_syncs(catalog.adapters) == 0  # synced just now
        later = datetime.now(UTC) + timedelta(seconds=catalog.settings.incremental_sync_every_seconds + 60)
        assert await queue_due_syncs(catalog.adapters, now=later) == 1
        assert await queue_due_syncs(catalog.adapters, now=later) == 0  # one is queued already
        (kind, since), = await catalog.rows(
            "SELECT kind, updated_since FROM {s}.syncs WHERE kind = 'incremental' AND store_id = :id", id=store.id)
        assert kind == "incremental" and since is not None
