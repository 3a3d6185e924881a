"""The sync runner on real Postgres and the real broker, against the fake Shopify: a sync
killed mid-way resumes from its saved cursor and duplicates nothing; outages are retried
later, refusals end in SyncFailed with a reason; the scheduler queues incremental syncs."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text

from adly_catalog.bootstrap import MIGRATIONS, build
from adly_catalog.domain.platform import Credentials, StoreInfo
from adly_catalog.domain.ports import Grant
from adly_catalog.entrypoints.connections import connect_store
from adly_catalog.handlers.scheduling import queue_due_syncs
from adly_events.contracts.catalog import StorePlatform
from adly_kit import migrations
from adly_kit.app import create_app
from adly_kit.db import unit_of_work
from adly_kit.service import Runtime
from adly_kit.testing.plugin import drop_schema
from tests.fakes.shopify import ShopifyFake, iso

from .conftest import CatalogHarness, catalog_settings

PRODUCTS = 60


@pytest.fixture
def shopify(request):
    knobs = getattr(request, "param", {})  # a test may ask for another Shopify (indirect parametrize)
    with ShopifyFake(max_query_cost=100_000, bucket_size=1_000_000, restore_rate=1_000_000, **knobs) as fake:
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
    grant = Grant(Credentials(fake.issue_token()), StoreInfo(fake.shop, "Fake shop", fake.currency))
    return await connect_store(catalog.adapters, catalog.workspace_id, StorePlatform.SHOPIFY, grant, catalog.user_id)


async def wait_for(check, timeout: float = 60.0):
    """Until `check` holds; for states that are certain to come (the timeout is a safety net)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (result := await check()):
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)
    return result


async def test_a_sync_killed_mid_way_resumes_at_its_cursor_and_duplicates_nothing(schema, shopify):
    # The sync cannot get past two pages before the test says so, not even when its lease
    # runs out and the same process takes it over again.
    third = shopify.hold_products_pages(3)
    async with Catalog(schema) as first:
        store = await connect_shop(first, shopify)
        assert await asyncio.to_thread(third.asked.wait, 60), "the runner never asked for the third page"

        async def two_pages_written():
            # Pages 1 and 2 were read before page 3 was asked for, and page 3 is held: their
            # writes are bound to commit, and nothing after them can.
            (progress, cursor), = await first.rows("SELECT progress, cursor FROM {s}.syncs")
            return progress.get("products", {}).get("pages") == 2 and cursor

        await wait_for(two_pages_written)
    third.release()  # the process that asked for it is gone
    # The process is gone with its sync claimed and half done; its lease runs out.
    (state, cursor, progress), = await first.rows("SELECT state, cursor, progress FROM {s}.syncs")
    assert state == "running" and cursor is not None
    assert progress["products"] == {"pages": 2, "seen": 10, "changed": 10}
    calls_before = len(shopify.calls)

    async with Catalog(schema) as second:
        second.workspace_id = first.workspace_id
        done = await second.sync_done((await second.rows("SELECT id FROM {s}.syncs"))[0][0], timeout=60)
        assert done["state"] == "completed", done
        upserts = await second.events("ProductUpserted")
        assert len(upserts) == PRODUCTS
        assert len({p["product"]["external_id"] for _, p in upserts}) == PRODUCTS
        versions = await second.rows("SELECT DISTINCT version FROM {s}.products")
        assert versions == [(1,)]
        resumed = [c["variables"] for c in list(shopify.calls)[calls_before:] if "variants" in c["variables"]]
        assert resumed[0]["after"] == cursor, "the second process did not start at the saved cursor"
        assert len(await second.events("SyncStarted")) == 1
        assert len(await second.events("SyncCompleted")) == 1
        (synced,), = await second.rows("SELECT last_synced_at FROM {s}.stores WHERE id = :id", id=store.id)
        assert synced is not None


async def test_an_outage_is_retried_later_and_a_refused_token_fails_the_sync_with_a_reason(schema, shopify):
    async with Catalog(schema) as catalog:
        shopify.fail_next(503, times=40)  # every try of the first page, and the retries inside the client
        before = datetime.now(UTC)
        store = await connect_shop(catalog, shopify)

        async def postponed():
            rows = await catalog.rows("SELECT attempts, not_before, error FROM {s}.syncs")
            return rows if rows and rows[0][0] >= 1 else None

        (attempts, not_before, error), = await wait_for(postponed)
        assert not_before >= before + timedelta(seconds=5) and "503" in error  # put off by the first backoff
        assert not await catalog.events("SyncFailed")

        shopify.clear_faults()  # the outage is over...
        shopify.uninstall()  # ...but every token is revoked: the store refuses ADLY now
        async with catalog.runtime.engine.begin() as tx:  # its retry is due now
            await tx.execute(text(f"UPDATE {catalog.settings.schema}.syncs SET not_before = now()"))
        (sync_id,), = await catalog.rows("SELECT id FROM {s}.syncs")
        done = await catalog.sync_done(sync_id, timeout=60)
        assert done["state"] == "failed"
        assert "reconnect the store" in done["error"]
        (_, failed), = await catalog.events("SyncFailed")
        assert failed["retryable"] is False and failed["store_id"] == str(store.id)


async def queue_due(catalog: CatalogHarness, now: datetime) -> int:
    async with unit_of_work(catalog.runtime.engine) as tx:
        return await queue_due_syncs(tx, catalog.adapters, now)


async def test_the_scheduler_queues_an_incremental_sync_for_stores_synced_long_enough_ago(schema, shopify):
    async with Catalog(schema) as catalog:
        store = await connect_shop(catalog, shopify)
        (sync_id,), = await catalog.rows("SELECT id FROM {s}.syncs")
        assert (await catalog.sync_done(sync_id))["state"] == "completed"
        assert await queue_due(catalog, datetime.now(UTC)) == 0  # synced just now
        later = datetime.now(UTC) + timedelta(seconds=catalog.settings.incremental_sync_every_seconds + 60)
        assert await queue_due(catalog, later) == 1
        assert await queue_due(catalog, later) == 0  # one is queued already
        (kind, since), = await catalog.rows(
            "SELECT kind, updated_since FROM {s}.syncs WHERE kind = 'incremental' AND store_id = :id", id=store.id)
        assert kind == "incremental" and since is not None


@pytest.mark.parametrize("shopify", [{"customer_data": "denied"}], indirect=True)
async def test_a_full_sync_without_customer_data_approval_or_read_all_orders_keeps_the_last_60_days(schema, shopify):
    """Orders come back with their customer fields refused (field errors) and older ones not
    at all: the sync completes, the orders are mirrored without a customer, and asks only the
    60 days Shopify would return."""
    old = shopify.add_order(createdAt=iso(time.time() - 61 * 86400))["id"].rsplit("/", 1)[1]
    async with Catalog(schema) as catalog:
        grant = Grant(Credentials(shopify.issue_token(), scope="read_products,read_orders,read_inventory"),
                      StoreInfo(shopify.shop, "Fake shop", shopify.currency))
        store = await connect_store(catalog.adapters, catalog.workspace_id, StorePlatform.SHOPIFY, grant,
                                    catalog.user_id)
        (sync_id,), = await catalog.rows("SELECT id FROM {s}.syncs")
        assert (await catalog.sync_done(sync_id))["state"] == "completed"
        orders = await catalog.rows("SELECT external_id, data FROM {s}.orders WHERE store_id = :id", id=store.id)
        assert len(orders) == 3 and old not in {external_id for external_id, _ in orders}
        assert all(data["customer_ref"] is None for _, data in orders) and shopify.denied_fields >= 6
        (_, completed), = await catalog.events("SyncCompleted")
        assert completed["orders_seen"] == 3
        searches = {c["variables"]["query"] for c in shopify.calls if "lines" in c["variables"]}
        assert len(searches) == 1 and searches.pop().startswith("created_at:>='")
