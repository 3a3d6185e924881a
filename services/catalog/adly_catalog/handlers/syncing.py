"""Running a sync: page by page, each page's writes and the new cursor in one transaction.

A worker claims the sync under a lease (adly_kit.worklist); pages stream from the
platform into the mirror and are never accumulated, so memory stays flat whatever the
catalog's size. Killed anywhere, the sync resumes at the saved cursor; an item read twice
is unchanged the second time and produces no second event.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from uuid import UUID

from adly_catalog.adapters.container import Adapters
from adly_catalog.adapters.mirror import StoreRef
from adly_catalog.adapters.stores import StoreRow
from adly_catalog.adapters.syncs import ACTIVE, SyncRow
from adly_catalog.domain.platform import CredentialsRejected, PlatformError, RateLimited
from adly_catalog.domain.sync import SyncPosition, reports_progress, retry_delay_seconds, should_retry
from adly_catalog.handlers.credentials import current, refresh
from adly_events.contracts.catalog import SyncCompleted, SyncFailed, SyncProgressed, SyncResource, SyncStarted
from adly_kit.eventstore import ConcurrencyConflict
from adly_kit.outbound import OutboundError

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another worker owns the sync now (ours ran out); stop without writing."""


async def run_sync(a: Adapters, sync_id: UUID, worker: str) -> None:
    sync, store = await _begin(a, sync_id, worker)
    if sync is None:
        return
    try:
        await _pages(a, sync, store, worker)
    except LeaseLost:
        log.warning("sync lease lost; another worker continues", extra={"sync": str(sync_id)})
    except (PlatformError, OutboundError) as error:
        await _failed(a, sync_id, worker, error, retryable=getattr(error, "retryable", False))
    except Exception as error:  # noqa: BLE001 - our fault or the database's: try again later, a bounded number of times
        log.exception("sync stopped by an unexpected error", extra={"sync": str(sync_id)})
        await _failed(a, sync_id, worker, error, retryable=True)


async def _begin(a: Adapters, sync_id: UUID, worker: str) -> tuple[SyncRow | None, StoreRow | None]:
    """Load the sync and its store; the first run records SyncStarted."""
    async with a.engine.begin() as tx:
        sync = await a.syncs.get(tx, sync_id)
        store = await a.stores.get(tx, sync.store_id) if sync else None
        if sync is None or sync.state not in ACTIVE or store is None or store.status != "connected":
            if sync is not None and sync.state in ACTIVE:
                await a.syncs.save(tx, sync, sync.position, sync.version, state="cancelled")
            await a.worklist.release(tx, sync_id, worker)
            return None, None
        if sync.state == "queued":
            position = sync.position
            version = await a.syncs.record(tx, sync, [SyncStarted(
                store_id=store.id, kind=position.kind, resources=list(position.resources), updated_since=position.updated_since)])
            await a.syncs.save(tx, sync, position, version, state="running")
            sync = await a.syncs.get(tx, sync_id)
    return sync, store


READ_AHEAD = 4  # pages fetched and parsed before they are written; bounds memory
CONFLICT_RETRIES = 3


async def _pages(a: Adapters, sync: SyncRow, store: StoreRow, worker: str) -> None:
    """Pages are read ahead (at most READ_AHEAD) while earlier ones are written, so the
    platform's time to answer, our parsing and the database's commit overlap instead of
    adding up. Writes stay in order; the pages waiting when a write begins go into the same
    transaction with the cursor after the last of them (fewer commits when the database is
    the slower side, one page at a time when the platform is)."""
    ref = StoreRef(store.id, store.workspace_id, store.platform)
    position, version = sync.position, sync.version
    pages: asyncio.Queue = asyncio.Queue(maxsize=READ_AHEAD)
    reader = asyncio.create_task(_read(a, store, position, pages))
    failure: BaseException | None = None
    try:
        while not position.done and failure is None:
            batch, failure = _waiting(await pages.get(), pages)
            if not batch:
                break
            written = await _write(a, sync, store, worker, ref, batch, position, version)
            if written is None:
                return
            position, version = written
        if failure is not None:
            raise failure
    finally:
        reader.cancel()


async def _write(a: Adapters, sync: SyncRow, store: StoreRow, worker: str, ref: StoreRef, batch: list,
                 position: SyncPosition, version: int) -> tuple[SyncPosition, int] | None:
    """The batch's writes and the cursor after it, in one transaction; again from the current
    versions when a webhook changed one of its items in the meantime (a version conflict)."""
    for attempt in range(1, CONFLICT_RETRIES + 1):
        try:
            return await _write_once(a, sync, store, worker, ref, batch, position, version)
        except ConcurrencyConflict:
            if attempt == CONFLICT_RETRIES:
                raise
    raise AssertionError("unreachable")


async def _write_once(a: Adapters, sync: SyncRow, store: StoreRow, worker: str, ref: StoreRef, batch: list,
                      position: SyncPosition, version: int) -> tuple[SyncPosition, int] | None:
    async with a.engine.begin() as tx:
        current = await _still_ours(a, tx, sync.id, worker)
        if current is None:
            return None
        events = []
        for page in batch:
            resource = position.resource
            write = a.mirror.products if resource is SyncResource.PRODUCTS else a.mirror.orders
            position = position.after_page(len(page.items), await write(tx, ref, page.items), page.next_cursor)
            events += _progress_events(a, store.id, position, resource, finished=page.next_cursor is None)
        version = await a.syncs.record(tx, current, events) if events else version
        await a.syncs.save(tx, current, position, version, state="completed" if position.done else None)
        if position.done:
            await a.stores.mark_synced(tx, store.id, current.started_at)
            await a.worklist.release(tx, sync.id, worker)
    return position, version


def _waiting(first, pages: asyncio.Queue) -> tuple[list, BaseException | None]:
    """The first page and those already waiting behind it, up to a failure (returned apart)."""
    batch, item = [], first
    while True:
        if isinstance(item, BaseException):
            return batch, item
        batch.append(item)
        if pages.empty():
            return batch, None
        item = pages.get_nowait()


async def _read(a: Adapters, store: StoreRow, position: SyncPosition, pages: asyncio.Queue) -> None:
    """Follow the platform's cursors from `position` to the end, handing pages over in order;
    a failure is handed over too, for the writer to raise where it stands. Credentials are
    opened once and refreshed when they near expiry or are refused, not read per page."""
    client = a.platforms[store.platform]
    try:
        credentials = await current(a, store)
        while not position.done:
            fetch = client.fetch_products if position.resource is SyncResource.PRODUCTS else client.fetch_orders
            if credentials.expiring(datetime.now(UTC)):
                credentials = await refresh(a, store, used=credentials)
            try:
                page = await fetch(store.address, credentials, cursor=position.cursor, updated_since=position.updated_since)
            except CredentialsRejected:
                if credentials.refresh_token is None:
                    raise
                credentials = await refresh(a, store, used=credentials)
                page = await fetch(store.address, credentials, cursor=position.cursor, updated_since=position.updated_since)
            await pages.put(page)
            position = position.after_page(len(page.items), 0, page.next_cursor)
    except (PlatformError, OutboundError) as error:
        await pages.put(error)


def _progress_events(a: Adapters, store_id: UUID, position: SyncPosition, resource: SyncResource, *,
                     finished: bool) -> list:
    counts = position.of(resource)
    events = []
    if reports_progress(counts, finished, a.settings.sync_progress_every_pages):
        events.append(SyncProgressed(store_id=store_id, resource=resource, pages=counts.pages, seen=counts.seen,
                                     changed=counts.changed))
    if position.done:
        events.append(_completed(store_id, position))
    return events


def _completed(store_id: UUID, position: SyncPosition) -> SyncCompleted:
    products, orders = position.of(SyncResource.PRODUCTS), position.of(SyncResource.ORDERS)
    return SyncCompleted(store_id=store_id, products_seen=products.seen, products_changed=products.changed,
                         orders_seen=orders.seen, orders_changed=orders.changed)


async def _still_ours(a: Adapters, tx, sync_id: UUID, worker: str) -> SyncRow | None:
    """The sync row, locked by the lease extension; None if it was cancelled meanwhile."""
    if not await a.worklist.still_mine(tx, sync_id, worker):
        raise LeaseLost(str(sync_id))
    current = await a.syncs.get(tx, sync_id)
    if current is None or current.state not in ACTIVE:
        await a.worklist.release(tx, sync_id, worker)
        return None
    return current


async def _failed(a: Adapters, sync_id: UUID, worker: str, error: Exception, *, retryable: bool) -> None:
    """Retry later what may pass (throttling, outages), else record SyncFailed with a reason."""
    async with a.engine.begin() as tx:
        sync = await a.syncs.get(tx, sync_id)
        if sync is None or sync.state not in ACTIVE:
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
