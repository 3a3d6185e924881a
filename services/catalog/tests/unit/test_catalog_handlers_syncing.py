"""A sync's steps through adly_catalog.handlers on in-memory ports: each page's items are
new, changed or unchanged; the last page completes it; failures are retried or explained."""

from __future__ import annotations

import uuid

import pytest

from adly_catalog.domain import store as store_rules
from adly_catalog.domain.errors import StoreDisconnected, StoreNotFound
from adly_catalog.domain.platform import CredentialsRejected, Page, PlatformError, RateLimited
from adly_catalog.domain.sync import Counts
from adly_catalog.handlers import mirroring, syncing
from adly_events.contracts.catalog import (
    DisconnectReason,
    OrderPlaced,
    OrderStatus,
    OrderUpdated,
    ProductUpserted,
    SyncCompleted,
    SyncFailed,
    SyncKind,
    SyncResource,
    SyncStarted,
)
from adly_kit.testing.doubles import NO_DATABASE

from .doubles import World, connected_store, world
from .fake_platform import order, product

WORKER = "worker-1"
MERCHANT = DisconnectReason.MERCHANT


async def claimed_sync(w: World) -> syncing.Claimed:
    store = await connected_store(w)
    sync = await syncing.request(NO_DATABASE, w.a, store.workspace_id, store.id, SyncKind.INCREMENTAL, None)
    claimed = await syncing.begin(NO_DATABASE, w.a, sync.id, WORKER)
    assert claimed is not None
    return claimed


async def test_a_sync_asked_for_before_any_sync_reads_everything_and_a_second_ask_gets_the_same_sync():
    w = world()
    store = await connected_store(w)
    first = await syncing.request(NO_DATABASE, w.a, store.workspace_id, store.id, SyncKind.INCREMENTAL, None)
    again = await syncing.request(NO_DATABASE, w.a, store.workspace_id, store.id, SyncKind.FULL, None)
    assert (first.kind, first.state, again.id) == (SyncKind.FULL.value, "queued", first.id)


async def test_only_a_connected_store_of_the_workspace_can_be_synced():
    w = world()
    store = await connected_store(w)
    with pytest.raises(StoreNotFound):
        await syncing.request(NO_DATABASE, w.a, uuid.uuid4(), store.id, SyncKind.FULL, None)
    await w.stores.record_disconnected(NO_DATABASE, store, store_rules.disconnect_store(store.state, MERCHANT))
    with pytest.raises(StoreDisconnected, match="connect it again first") as refused:
        await syncing.request(NO_DATABASE, w.a, store.workspace_id, store.id, SyncKind.FULL, None)
    assert refused.value.status == 409


async def test_a_page_records_new_and_changed_items_once_and_unchanged_ones_not_at_all():
    w = world()
    claimed = await claimed_sync(w)
    ref = claimed.store.ref
    await mirroring.products(NO_DATABASE, w.a, ref, [product("1"), product("2", "10.00")])  # known before the sync
    page = Page([product("1"), product("2", "12.00"), product("3")], "after-3")
    written = await syncing.write(NO_DATABASE, w.a, claimed, WORKER, [page], claimed.sync.position, claimed.sync.version)
    assert written is not None
    position, version = written
    assert position.of(SyncResource.PRODUCTS) == Counts(pages=1, seen=3, changed=2)
    assert position.cursor == "after-3" and version == claimed.sync.version
    upserts = [(e.aggregate_id, e.version) for e in w.log if isinstance(e.payload, ProductUpserted)]
    assert len(upserts) == 4 and upserts[-2][1] == 2 and upserts[-1][1] == 1  # product 2 moved on, product 3 is new
    assert w.syncs.rows[claimed.sync.id].cursor == "after-3"


async def test_an_order_read_again_with_a_new_status_is_updated_and_the_last_page_completes_the_sync():
    w = world()
    claimed = await claimed_sync(w)
    position = claimed.sync.position.after_page(0, 0, None)  # no products
    written = await syncing.write(NO_DATABASE, w.a, claimed, WORKER, [Page([order("9", OrderStatus.PENDING)], "p2"),
                                                                       Page([order("9", OrderStatus.PAID)], None)],
                                  position, claimed.sync.version)
    assert written is not None and written[0].done
    assert [type(p) for p in (e.payload for e in w.log) if isinstance(p, (OrderPlaced, OrderUpdated))] == [
        OrderPlaced, OrderUpdated]
    (completed,) = w.log.of(SyncCompleted)
    assert (completed.orders_seen, completed.orders_changed) == (2, 2)
    assert w.syncs.rows[claimed.sync.id].state == "completed"
    assert w.stores.rows[claimed.store.id].last_synced_at is not None and claimed.sync.id in w.leases.released


async def test_the_first_run_records_that_the_sync_started():
    w = world()
    claimed = await claimed_sync(w)
    assert claimed.sync.state == "running" and len(w.log.of(SyncStarted)) == 1
    assert await syncing.begin(NO_DATABASE, w.a, claimed.sync.id, WORKER) is not None
    assert len(w.log.of(SyncStarted)) == 1


async def test_a_sync_cancelled_meanwhile_writes_nothing_and_one_taken_over_stops():
    w = world()
    claimed = await claimed_sync(w)
    page = Page([product("1")], None)
    w.leases.lost.add(claimed.sync.id)
    with pytest.raises(syncing.LeaseLost):
        await syncing.write(NO_DATABASE, w.a, claimed, WORKER, [page], claimed.sync.position, claimed.sync.version)
    w.leases.lost.clear()
    await w.syncs.cancel_of_store(NO_DATABASE, claimed.store.id)
    assert await syncing.write(NO_DATABASE, w.a, claimed, WORKER, [page], claimed.sync.position, 1) is None
    assert w.log.of(ProductUpserted) == []


async def test_a_refused_token_is_refreshed_once_and_the_page_read_again():
    w = world()
    claimed = await claimed_sync(w)
    w.platform.products[None] = Page([product("1")], None)
    w.platform.refusals = 1
    page, credentials = await syncing.read_page(w.a, claimed.store, claimed.sync.position, w.vault.sealed[claimed.store.id])
    assert len(page.items) == 1 and credentials.access_token == "token+"
    assert w.vault.sealed[claimed.store.id] == credentials


async def test_a_throttled_or_failing_platform_postpones_the_sync_and_a_refusal_fails_it_with_a_reason():
    w = world()
    claimed = await claimed_sync(w)
    sync_id = claimed.sync.id
    await syncing.fail(NO_DATABASE, w.a, sync_id, WORKER, RateLimited("slow down", retry_after=42), retryable=True)
    assert w.syncs.postponed[sync_id] == 42
    await syncing.fail(NO_DATABASE, w.a, sync_id, WORKER, PlatformError("503", retryable=True), retryable=True)
    assert w.syncs.rows[sync_id].attempts == 2 and w.log.of(SyncFailed) == []
    await syncing.fail(NO_DATABASE, w.a, sync_id, WORKER, CredentialsRejected("revoked"), retryable=False)
    (failed,) = w.log.of(SyncFailed)
    assert "reconnect the store" in failed.reason and not failed.retryable
    assert w.syncs.rows[sync_id].state == "failed"

