"""The catalog's long-running runners: the sync runner and the scheduler of periodic syncs.

A runner is the third kind of edge (docs/ARCHITECTURE-SHAPE.md): it owns its transactions,
one per step it commits. A sync is claimed under a lease (`adly_kit.worklist`); its pages
are read from the platform between transactions, never inside one, and each batch of
pages commits with the cursor after it, so a killed runner resumes at the last committed
cursor and the lease hands the sync to another worker once this one stops renewing it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from uuid import UUID

from adly_catalog.adapters.container import Adapters
from adly_catalog.domain.platform import PlatformError
from adly_catalog.domain.store import Store
from adly_catalog.domain.sync import SyncPosition
from adly_catalog.handlers import scheduling, syncing
from adly_catalog.handlers.syncing import AnyPage, Claimed, LeaseLost
from adly_kit.db import unit_of_work
from adly_kit.eventstore import ConcurrencyConflict
from adly_kit.outbound import OutboundError
from adly_kit.worklist import run_worklist

log = logging.getLogger(__name__)
SYNC_CONCURRENCY = 4
READ_AHEAD = 4  # pages fetched and parsed before they are written; bounds memory
CONFLICT_RETRIES = 3
Handed = AnyPage | BaseException  # what the reader hands the writer: a page, or why it stopped


async def run_syncs(a: Adapters) -> None:
    await run_worklist(a.engine, a.worklist, lambda item, worker: run_sync(a, item, worker),
                       concurrency=SYNC_CONCURRENCY, poll_seconds=a.settings.sync_poll_seconds)


async def run_scheduler(a: Adapters) -> None:
    while True:
        try:
            async with unit_of_work(a.engine) as tx:
                await scheduling.queue_due_syncs(tx, a, datetime.now(UTC))
        except Exception:  # noqa: BLE001 - a failed round is retried at the next one
            log.exception("scheduling syncs failed")
        await asyncio.sleep(min(60.0, a.settings.incremental_sync_every_seconds))


async def run_sync(a: Adapters, sync_id: UUID, worker: str) -> None:
    async with unit_of_work(a.engine) as tx:
        claimed = await syncing.begin(tx, a, sync_id, worker)
    if claimed is None:
        return
    try:
        await _pages(a, claimed, worker)
    except LeaseLost:
        log.warning("sync lease lost; another worker continues", extra={"sync": str(sync_id)})
    except (PlatformError, OutboundError) as error:
        await _failed(a, sync_id, worker, error, retryable=getattr(error, "retryable", False))
    except Exception as error:  # noqa: BLE001 - our fault or the database's: try again later, a bounded number of times
        log.exception("sync stopped by an unexpected error", extra={"sync": str(sync_id)})
        await _failed(a, sync_id, worker, error, retryable=True)


async def _failed(a: Adapters, sync_id: UUID, worker: str, error: Exception, *, retryable: bool) -> None:
    async with unit_of_work(a.engine) as tx:
        await syncing.fail(tx, a, sync_id, worker, error, retryable=retryable)


async def _pages(a: Adapters, claimed: Claimed, worker: str) -> None:
    """Pages are read ahead (at most READ_AHEAD) while earlier ones are written, so the
    platform's time to answer, our parsing and the database's commit overlap instead of
    adding up. Writes stay in order; the pages waiting when a write begins go into the same
    transaction with the cursor after the last of them (fewer commits when the database is
    the slower side, one page at a time when the platform is)."""
    position, version = claimed.sync.position, claimed.sync.version
    pages: asyncio.Queue[Handed] = asyncio.Queue(maxsize=READ_AHEAD)
    reader = asyncio.create_task(_read(a, claimed.store, position, pages))
    failure: BaseException | None = None
    try:
        while not position.done and failure is None:
            batch, failure = _waiting(await pages.get(), pages)
            if not batch:
                break
            written = await _write(a, claimed, worker, batch, position, version)
            if written is None:
                return
            position, version = written
        if failure is not None:
            raise failure
    finally:
        reader.cancel()


async def _write(a: Adapters, claimed: Claimed, worker: str, batch: list[AnyPage], position: SyncPosition,
                 version: int) -> tuple[SyncPosition, int] | None:
    """The batch's writes and the cursor after it, in one transaction; again from the current
    versions when a webhook changed one of its items in the meantime (a version conflict)."""
    for attempt in range(1, CONFLICT_RETRIES + 1):
        try:
            async with unit_of_work(a.engine) as tx:
                return await syncing.write(tx, a, claimed, worker, batch, position, version)
        except ConcurrencyConflict:
            if attempt == CONFLICT_RETRIES:
                raise
    raise AssertionError("unreachable")


def _waiting(first: Handed, pages: asyncio.Queue[Handed]) -> tuple[list[AnyPage], BaseException | None]:
    """The first page and those already waiting behind it, up to a failure (returned apart)."""
    batch: list[AnyPage] = []
    item = first
    while True:
        if isinstance(item, BaseException):
            return batch, item
        batch.append(item)
        if pages.empty():
            return batch, None
        item = pages.get_nowait()


async def _read(a: Adapters, store: Store, position: SyncPosition, pages: asyncio.Queue[Handed]) -> None:
    """Follow the platform's cursors from `position` to the end, handing pages over in order;
    a failure is handed over too, for the writer to raise where it stands. Credentials are
    opened once and refreshed when they near expiry or are refused, not read per page."""
    try:
        credentials = await a.access.current(store)
        while not position.done:
            page, credentials = await syncing.read_page(a, store, position, credentials)
            await pages.put(page)
            position = position.after_page(len(page.items), 0, page.next_cursor)
    except (PlatformError, OutboundError) as error:
        await pages.put(error)
