"""Syncs: the work table the sync runner claims from, and the sync aggregate's events."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_catalog.domain.sync import ACTIVE, Sync, SyncPosition
from adly_events.contracts.catalog import SyncKind, SyncResource
from adly_events.contracts.common import Contract
from adly_kit.eventstore import EventStore
from adly_kit.recording import record
from adly_kit.sql import Statements

_SCHEDULER_LOCK = 0x63617461  # "cata": one scheduler at a time across catalog processes
_COLUMNS = """id, store_id, workspace_id, kind, state, version, resources, resource_index, cursor, updated_since,
              progress, attempts, error, created_at, started_at, finished_at"""


def _progress(position: SyncPosition) -> str:
    return json.dumps({r.value: c.__dict__ for r, c in position.counts.items()})


class SyncRepository:
    def __init__(self, store: EventStore) -> None:
        self.events = store
        self.sql = Statements(store.schema)

    async def queue(self, tx: AsyncConnection, store_id: UUID, workspace_id: UUID, kind: SyncKind,
                    updated_since: datetime | None, requested_by: UUID | None) -> tuple[UUID, bool]:
        """A new sync, unless one is queued or running for the store: then that one (False)."""
        running = (await tx.execute(self.sql("""SELECT id FROM {s}.syncs WHERE store_id = :store AND state = ANY(:active)
                                                ORDER BY created_at LIMIT 1"""), {"store": store_id, "active": list(ACTIVE)})).first()
        if running:
            return running[0], False
        sync_id = uuid.uuid4()
        await tx.execute(self.sql("""
            INSERT INTO {s}.syncs (id, store_id, workspace_id, kind, state, version, resources, updated_since, requested_by)
            VALUES (:id, :store, :w, :kind, 'queued', 0, :resources, :since, :by)"""),
            {"id": sync_id, "store": store_id, "w": workspace_id, "kind": kind.value,
             "resources": [r.value for r in (SyncResource.PRODUCTS, SyncResource.ORDERS)], "since": updated_since, "by": requested_by})
        return sync_id, True

    async def get(self, conn: AsyncConnection, sync_id: UUID) -> Sync | None:
        row = (await conn.execute(self.sql(f"SELECT {_COLUMNS} FROM {{s}}.syncs WHERE id = :id"), {"id": sync_id})).first()
        return Sync(*row) if row else None

    async def of_store(self, conn: AsyncConnection, store_id: UUID, limit: int) -> list[Sync]:
        rows = await conn.execute(self.sql(f"""SELECT {_COLUMNS} FROM {{s}}.syncs WHERE store_id = :store
                                               ORDER BY created_at DESC LIMIT :limit"""), {"store": store_id, "limit": limit})
        return [Sync(*r) for r in rows]

    async def record(self, tx: AsyncConnection, sync: Sync, events: Sequence[Contract]) -> int:
        """Append the sync's new events; returns its new version."""
        await record(tx, self.events, events, aggregate_id=sync.id, expected_version=sync.version, workspace_id=sync.workspace_id)
        return sync.version + len(events)

    async def save(self, tx: AsyncConnection, sync: Sync, position: SyncPosition, version: int, *,
                   state: str | None = None, error: str | None = None) -> None:
        await tx.execute(self.sql("""
            UPDATE {s}.syncs SET resource_index = :i, cursor = :cursor, progress = CAST(:progress AS jsonb), version = :v,
                   state = COALESCE(:state, state), error = COALESCE(:error, error),
                   started_at = COALESCE(started_at, now()),
                   finished_at = CASE WHEN :state IN ('completed', 'failed', 'cancelled') THEN now() ELSE finished_at END
            WHERE id = :id"""),
            {"id": sync.id, "i": position.resource_index, "cursor": position.cursor, "progress": _progress(position),
             "v": version, "state": state, "error": error})

    async def postpone(self, tx: AsyncConnection, sync_id: UUID, seconds: float, error: str) -> None:
        await tx.execute(self.sql("""
            UPDATE {s}.syncs SET attempts = attempts + 1, error = :error, leased_by = NULL, leased_until = NULL,
                   not_before = now() + make_interval(secs => :secs) WHERE id = :id"""),
            {"id": sync_id, "secs": seconds, "error": error})

    async def cancel_of_store(self, tx: AsyncConnection, store_id: UUID) -> None:
        """Stop the store's syncs: a running one notices at its next page."""
        await tx.execute(self.sql("""UPDATE {s}.syncs SET state = 'cancelled', finished_at = now()
                                     WHERE store_id = :store AND state = ANY(:active)"""),
                         {"store": store_id, "active": list(ACTIVE)})

    async def lock_scheduling(self, tx: AsyncConnection) -> bool:
        return bool((await tx.execute(self.sql("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _SCHEDULER_LOCK})).scalar())
