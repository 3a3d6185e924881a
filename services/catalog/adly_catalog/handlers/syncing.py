"""Syncing a store, step by step; the runner (`entrypoints/runners.py`) owns the loop and the
transactions: one to begin, one per batch of pages (their writes with the cursor after
them), one to fail. Reading a page calls the platform and takes no transaction.

Killed anywhere, a sync resumes at the saved cursor; an item read twice is unchanged the
second time and produces no second event.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_catalog.adapters.container import Adapters
from adly_catalog.domain.errors import StoreDisconnected, SyncNotFound
from adly_catalog.domain.platform import Credentials, CredentialsRejected, Page, PlatformError, RateLimited
from adly_catalog.domain.ports import CatalogReading
from adly_catalog.domain.store import Store, StoreRef
from adly_catalog.domain.sync import (
    Sync,
    SyncPosition,
    changes_since,
    reports_progress,
    retry_delay_seconds,
    should_retry,
)
from adly_catalog.handlers import mirroring, queries
from adly_events.contracts.catalog import (
    CatalogOrder,
    CatalogProduct,
    SyncCompleted,
    SyncFailed,
    SyncKind,
    SyncProgressed,
    SyncResource,
    SyncStarted,
)
from adly_events.contracts.common import Contract
from adly_kit.outbound import OutboundError

log = logging.getLogger(__name__)
AnyPage = Page[CatalogProduct] | Page[CatalogOrder]


class LeaseLost(Exception):
    """Another worker owns the sync now (ours ran out); stop without writing."""


@dataclass(frozen=True)
class Claimed:
    sync: Sync
    store: Store


async def request(tx: AsyncConnection, a: Adapters, workspace_id: UUID, store_id: UUID, kind: SyncKind,
                  user_id: UUID | None) -> Sync:
    """Sync now; a sync already queued or running is returned instead of starting a second."""
    store = await queries.store(tx, a, workspace_id, store_id)
    if not store.connected:
        raise StoreDisconnected("The store is disconnected; connect it again first.")
    since = changes_since(store.last_synced_at) if kind is SyncKind.INCREMENTAL else None
    sync_id, _ = await a.syncs.queue(tx, store.id, workspace_id, SyncKind.INCREMENTAL if since is not None else SyncKind.FULL,
                                     since, user_id)
    return await _sync(tx, a, sync_id)


async def begin(tx: AsyncConnection, a: Adapters, sync_id: UUID, worker: str) -> Claimed | None:
    """The sync and its store; the first run records SyncStarted. None: nothing to run."""
    sync = await a.syncs.get(tx, sync_id)
    store = await a.stores.get(tx, sync.store_id) if sync else None
    if sync is None or not sync.active or store is None or not store.connected:
        if sync is not None and sync.active:
            await a.syncs.save(tx, sync, sync.position, sync.version, state="cancelled")
        await a.worklist.release(tx, sync_id, worker)
        return None
    if sync.state == "queued":
        position = sync.position
        version = await a.syncs.record(tx, sync, [SyncStarted(
            store_id=store.id, kind=position.kind, resources=list(position.resources), updated_since=position.updated_since)])
        await a.syncs.save(tx, sync, position, version, state="running")
        sync = await _sync(tx, a, sync_id)
    return Claimed(sync, store)


async def read_page(a: Adapters, store: Store, position: SyncPosition, credentials: Credentials) -> tuple[AnyPage, Credentials]:
    """The page at `position`, and the credentials to read the next one with: refreshed when
    they near expiry or are refused (once; a second refusal ends the sync)."""
    reading = a.platforms[store.platform].reading
    if credentials.expiring(datetime.now(UTC)):
        credentials = await a.access.refreshed(store, credentials)
    try:
        return await _fetch(reading, store, credentials, position), credentials
    except CredentialsRejected:
        if credentials.refresh_token is None:
            raise
        credentials = await a.access.refreshed(store, credentials)
        return await _fetch(reading, store, credentials, position), credentials


async def _fetch(reading: CatalogReading, store: Store, credentials: Credentials, position: SyncPosition) -> AnyPage:
    if position.resource is SyncResource.PRODUCTS:
        return await reading.fetch_products(store.address, credentials, cursor=position.cursor,
                                            updated_since=position.updated_since)
    return await reading.fetch_orders(store.address, credentials, cursor=position.cursor,
                                      updated_since=position.updated_since)


async def write(tx: AsyncConnection, a: Adapters, claimed: Claimed, worker: str, batch: Sequence[AnyPage],
                position: SyncPosition, version: int) -> tuple[SyncPosition, int] | None:
    """A batch of pages and the position after it; None when the sync was cancelled meanwhile.
    Raises LeaseLost when another worker owns the sync now."""
    current = await _still_ours(tx, a, claimed.sync.id, worker)
    if current is None:
        return None
    store, events = claimed.store, list[Contract]()
    for page in batch:
        resource = position.resource
        changed = await _write_page(tx, a, store.ref, resource, page)
        position = position.after_page(len(page.items), changed, page.next_cursor)
        events += _progress_events(a, store.id, position, resource, finished=page.next_cursor is None)
    version = await a.syncs.record(tx, current, events) if events else version
    await a.syncs.save(tx, current, position, version, state="completed" if position.done else None)
    if position.done:
        await a.stores.mark_synced(tx, store.id, current.started_at)
        await a.worklist.release(tx, current.id, worker)
    return position, version


async def _write_page(tx: AsyncConnection, a: Adapters, store: StoreRef, resource: SyncResource, page: AnyPage) -> int:
    items: Sequence[Any] = page.items  # the resource says which
    if resource is SyncResource.PRODUCTS:
        return await mirroring.products(tx, a, store, items)
    return await mirroring.orders(tx, a, store, items)


def _progress_events(a: Adapters, store_id: UUID, position: SyncPosition, resource: SyncResource, *,
                     finished: bool) -> list[Contract]:
    counts = position.of(resource)
    events: list[Contract] = []
    if reports_progress(counts, finished, a.settings.sync_progress_every_pages):
        events.append(SyncProgressed(store_id=store_id, resource=resource, pages=counts.pages, seen=counts.seen,
                                     changed=counts.changed))
    if position.done:
        products, orders = position.of(SyncResource.PRODUCTS), position.of(SyncResource.ORDERS)
        events.append(SyncCompleted(store_id=store_id, products_seen=products.seen, products_changed=products.changed,
                                    orders_seen=orders.seen, orders_changed=orders.changed))
    return events


async def _still_ours(tx: AsyncConnection, a: Adapters, sync_id: UUID, worker: str) -> Sync | None:
    """The sync row, locked by the lease extension; None if it was cancelled meanwhile."""
    if not await a.worklist.still_mine(tx, sync_id, worker):
        raise LeaseLost(str(sync_id))
    current = await a.syncs.get(tx, sync_id)
    if current is None or not current.active:
        await a.worklist.release(tx, sync_id, worker)
        return None
    return current


async def fail(tx: AsyncConnection, a: Adapters, sync_id: UUID, worker: str, error: Exception, *,
               retryable: bool) -> None:
    """Retry later what may pass (throttling, outages), else record SyncFailed with a reason."""
    sync = await a.syncs.get(tx, sync_id)
    if sync is None or not sync.active:
        return
    if isinstance(error, RateLimited):
        await a.syncs.postpone(tx, sync_id, error.retry_after, str(error))
        return
    if should_retry(sync.attempts + 1, retryable):
        await a.syncs.postpone(tx, sync_id, retry_delay_seconds(sync.attempts + 1), str(error))
        return
    reason = _reason(error)
    version = await a.syncs.record(tx, sync, [SyncFailed(store_id=sync.store_id, reason=reason, retryable=retryable)])
    await a.syncs.save(tx, sync, sync.position, version, state="failed", error=reason)
    await a.worklist.release(tx, sync_id, worker)
    log.warning("sync failed", extra={"sync": str(sync_id), "reason": type(error).__name__})


def _reason(error: Exception) -> str:
    if isinstance(error, CredentialsRejected):
        return "The store refused ADLY's access (the app was removed or its access revoked); reconnect the store."
    if isinstance(error, PlatformError):
        return f"The store platform answered with an error: {error.message}"
    if isinstance(error, OutboundError):
        return f"The store platform could not be reached: {error}"
    return "The sync stopped on an internal error and gave up after several tries; ADLY's team is told."


async def _sync(tx: AsyncConnection, a: Adapters, sync_id: UUID) -> Sync:
    found = await a.syncs.get(tx, sync_id)
    if found is None:
        raise SyncNotFound("No such sync.")
    return found
