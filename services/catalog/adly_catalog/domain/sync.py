"""A sync's plan and progress: which resources, where it stands, what it counted.

Pure state: the runner (entrypoints/runners.py) loads it, reads pages at the saved cursor,
and saves the pages' writes and the new position in one transaction; so a sync killed
anywhere resumes at the first page whose writes did not commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from adly_events.contracts.catalog import SyncKind, SyncResource

ALL_RESOURCES = (SyncResource.PRODUCTS, SyncResource.ORDERS)
ACTIVE = ("queued", "running")  # a worker may (still) run it
MAX_ATTEMPTS = 5
# Platforms stamp changes to the second and filter "updated after" strictly, and clocks
# differ: an incremental sync re-reads a margin before the last sync's start. Unchanged
# items re-read cost no event.
OVERLAP = timedelta(minutes=5)


def changes_since(last_synced_at: datetime | None) -> datetime | None:
    """Where an incremental sync starts reading; None (read everything) before a first sync."""
    return last_synced_at - OVERLAP if last_synced_at is not None else None


@dataclass(frozen=True)
class Counts:
    pages: int = 0
    seen: int = 0
    changed: int = 0

    def plus(self, seen: int, changed: int) -> Counts:
        return Counts(self.pages + 1, self.seen + seen, self.changed + changed)


@dataclass(frozen=True)
class SyncPosition:
    kind: SyncKind
    resources: tuple[SyncResource, ...]
    resource_index: int = 0
    cursor: str | None = None
    updated_since: datetime | None = None
    counts: dict[SyncResource, Counts] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.resource_index >= len(self.resources)

    @property
    def resource(self) -> SyncResource:
        return self.resources[self.resource_index]

    def after_page(self, seen: int, changed: int, next_cursor: str | None) -> SyncPosition:
        """The position after a page: the next cursor, or the next resource after the last page."""
        counts = dict(self.counts)
        counts[self.resource] = counts.get(self.resource, Counts()).plus(seen, changed)
        if next_cursor is None:
            return replace(self, resource_index=self.resource_index + 1, cursor=None, counts=counts)
        return replace(self, cursor=next_cursor, counts=counts)

    def of(self, resource: SyncResource) -> Counts:
        return self.counts.get(resource, Counts())


def reports_progress(counts: Counts, finished_resource: bool, every_pages: int) -> bool:
    """SyncProgressed every `every_pages` pages of a resource and at its end, not per page:
    a 100,000-product sync says so 40 times, not 400."""
    return finished_resource or counts.pages % every_pages == 0


def should_retry(attempts: int, retryable: bool) -> bool:
    return retryable and attempts < MAX_ATTEMPTS


def retry_delay_seconds(attempts: int, retry_after: float | None = None) -> float:
    return max(retry_after or 0.0, min(300.0, 5.0 * 2.0 ** (attempts - 1)))


@dataclass(frozen=True)
class Sync:
    """A sync as the catalog keeps it: its plan, where it stands, what became of it."""

    id: UUID
    store_id: UUID
    workspace_id: UUID
    kind: str
    state: str
    version: int
    resources: list[str]
    resource_index: int
    cursor: str | None
    updated_since: datetime | None
    progress: dict[str, Any]
    attempts: int
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def position(self) -> SyncPosition:
        counts = {SyncResource(k): Counts(**v) for k, v in self.progress.items()}
        return SyncPosition(SyncKind(self.kind), tuple(SyncResource(r) for r in self.resources), self.resource_index,
                            self.cursor, self.updated_since, counts)
