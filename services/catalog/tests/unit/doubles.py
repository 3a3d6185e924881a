"""In-memory implementations of the catalog's ports, for handler tests without Postgres or a broker.

Each keeps what it holds in plain dicts and records the events it is asked to append in one
`EventLog`, with the versions the real event store would check. `FakePlatform`
(`fake_platform.py`) plays a store platform behind the three platform ports.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adly_catalog.adapters.container import Adapters
from adly_catalog.domain.changes import Change, Known, Removal
from adly_catalog.domain.platform import (
    Credentials,
)
from adly_catalog.domain.ports import PendingConnection, Platform
from adly_catalog.domain.store import Store, StoreRef
from adly_catalog.domain.sync import ACTIVE, Sync, SyncPosition
from adly_catalog.settings import CatalogSettings
from adly_events.contracts.catalog import (
    StoreConnected,
    StoreDisconnected,
    StorePlatform,
    SyncKind,
)
from adly_events.contracts.common import Contract
from adly_kit.eventstore import ConcurrencyConflict
from adly_kit.testing.doubles import NO_DATABASE
from adly_kit.worklist import Worklist

from .fake_platform import FakePlatform

Tx = AsyncConnection


@dataclass(frozen=True)
class Recorded:
    aggregate_id: UUID
    version: int
    payload: Contract
    causation_id: UUID | None = None
    correlation_id: UUID | None = None


class EventLog(list[Recorded]):
    def append_checked(self, aggregate_id: UUID, expected: int, payloads: Sequence[Contract], **ids: UUID | None) -> None:
        if max((e.version for e in self if e.aggregate_id == aggregate_id), default=0) != expected:
            raise ConcurrencyConflict(aggregate_id, expected)
        self += [Recorded(aggregate_id, expected + n, p, **ids) for n, p in enumerate(payloads, start=1)]

    def of(self, kind: type[Contract]) -> list[Contract]:
        return [e.payload for e in self if isinstance(e.payload, kind)]


class InMemoryVault:
    current_key = "test-key"

    def __init__(self) -> None:
        self.sealed = dict[UUID, Credentials]()

    async def save(self, tx: Tx, workspace_id: UUID, store_id: UUID, credentials: Credentials) -> None:
        self.sealed[store_id] = credentials

    async def load(self, conn: Tx, workspace_id: UUID, store_id: UUID, *, for_update: bool = False) -> Credentials | None:
        return self.sealed.get(store_id)

    async def rewrap_all(self, tx: Tx) -> int:
        return 0


class InMemoryStores:
    def __init__(self, log: EventLog, vault: InMemoryVault) -> None:
        self.log, self.vault, self.rows = log, vault, dict[UUID, Store]()

    async def get(self, conn: Tx, store_id: UUID, *, for_update: bool = False) -> Store | None:
        return self.rows.get(store_id)

    async def of_workspace(self, conn: Tx, workspace_id: UUID) -> list[Store]:
        return [s for s in self.rows.values() if s.workspace_id == workspace_id]

    async def by_domain(self, conn: Tx, platform: StorePlatform, domain: str) -> Store | None:
        found = [s for s in self.rows.values() if (s.platform, s.domain) == (platform, domain)]
        return max(found, key=lambda s: (s.connected, s.connected_at), default=None)

    async def connected(self, conn: Tx) -> list[Store]:
        return [s for s in self.rows.values() if s.connected]

    async def record_connected(self, tx: Tx, store_id: UUID, workspace_id: UUID, version: int, event: StoreConnected) -> None:
        self.log.append_checked(store_id, version, [event])
        self.rows[store_id] = Store(store_id, workspace_id, event.platform, event.domain, event.name, event.currency,
                                    "connected", version + 1, datetime.now(UTC), None, None, [], None, None)

    async def record_disconnected(self, tx: Tx, store: Store, event: StoreDisconnected, *,
                                  causation_id: UUID | None = None, correlation_id: UUID | None = None) -> None:
        self.log.append_checked(store.id, store.version, [event], causation_id=causation_id, correlation_id=correlation_id)
        self.vault.sealed.pop(store.id, None)
        self.rows[store.id] = replace(store, status="disconnected", version=store.version + 1, webhook_ids=[],
                                      webhook_token_hash=None, disconnect_reason=event.reason.value)

    async def set_webhooks(self, tx: Tx, store_id: UUID, ids: list[str], token_hash: str | None) -> None:
        self.rows[store_id] = replace(self.rows[store_id], webhook_ids=ids, webhook_token_hash=token_hash)

    async def mark_synced(self, tx: Tx, store_id: UUID, as_of: datetime | None) -> None:
        self.rows[store_id] = replace(self.rows[store_id], last_synced_at=as_of or datetime.now(UTC))


class InMemorySyncs:
    def __init__(self, log: EventLog) -> None:
        self.log, self.rows, self.postponed = log, dict[UUID, Sync](), dict[UUID, float]()
        self.scheduling_taken = False

    async def queue(self, tx: Tx, store_id: UUID, workspace_id: UUID, kind: SyncKind, updated_since: datetime | None,
                    requested_by: UUID | None) -> tuple[UUID, bool]:
        if running := [s for s in self.rows.values() if s.store_id == store_id and s.active]:
            return running[0].id, False
        sync = Sync(uuid.uuid4(), store_id, workspace_id, kind.value, "queued", 0, ["products", "orders"], 0, None,
                    updated_since, {}, 0, None, datetime.now(UTC), None, None)
        self.rows[sync.id] = sync
        return sync.id, True

    async def get(self, conn: Tx, sync_id: UUID) -> Sync | None:
        return self.rows.get(sync_id)

    async def of_store(self, conn: Tx, store_id: UUID, limit: int) -> list[Sync]:
        return [s for s in self.rows.values() if s.store_id == store_id][:limit]

    async def record(self, tx: Tx, sync: Sync, events: Sequence[Contract]) -> int:
        self.log.append_checked(sync.id, sync.version, events)
        return sync.version + len(events)

    async def save(self, tx: Tx, sync: Sync, position: SyncPosition, version: int, *, state: str | None = None,
                   error: str | None = None) -> None:
        progress = {r.value: c.__dict__ for r, c in position.counts.items()}
        self.rows[sync.id] = replace(sync, resource_index=position.resource_index, cursor=position.cursor,
                                     progress=progress, version=version, state=state or sync.state,
                                     error=error or sync.error, started_at=sync.started_at or datetime.now(UTC))

    async def postpone(self, tx: Tx, sync_id: UUID, seconds: float, error: str) -> None:
        sync = self.rows[sync_id]
        self.rows[sync_id], self.postponed[sync_id] = replace(sync, attempts=sync.attempts + 1, error=error), seconds

    async def cancel_of_store(self, tx: Tx, store_id: UUID) -> None:
        for sync in [s for s in self.rows.values() if s.store_id == store_id and s.state in ACTIVE]:
            self.rows[sync.id] = replace(sync, state="cancelled")

    async def lock_scheduling(self, tx: Tx) -> bool:
        return not self.scheduling_taken


@dataclass
class Row:
    known: Known
    data: dict[str, Any]
    removed: bool = False


class InMemoryMirror:
    def __init__(self, log: EventLog) -> None:
        self.log, self.tables = log, {"products": dict[UUID, Row](), "orders": dict[UUID, Row]()}

    async def known(self, tx: Tx, table: str, ids: list[UUID]) -> dict[UUID, Known]:
        return {i: self.tables[table][i].known for i in ids if i in self.tables[table]}

    async def save(self, tx: Tx, table: str, store: StoreRef, changes: Sequence[Change]) -> None:
        for change in changes:
            # What a consumer reads: the event decoded from the payload the real mirror appends.
            self.log.append_checked(change.aggregate_id, change.version, [change.event_type.model_validate_json(change.payload)])
            self.tables[table][change.aggregate_id] = Row(Known(change.new_version, change.fingerprint),
                                                          {"external_id": change.external_id, **json.loads(change.data)})

    async def removal_state(self, tx: Tx, aggregate_id: UUID) -> tuple[Known, bool] | None:
        row = self.tables["products"].get(aggregate_id)
        return None if row is None else (row.known, row.removed)

    async def save_removal(self, tx: Tx, store: StoreRef, removal: Removal) -> None:
        self.log.append_checked(removal.aggregate_id, removal.version, [removal.event])
        row = self.tables["products"][removal.aggregate_id]
        row.known, row.removed = Known(removal.version + 1, ""), True

    async def page_of(self, conn: Tx, table: str, store_id: UUID, *, after: str | None, limit: int) -> list[dict[str, Any]]:
        return [{"id": i, **r.data} for i, r in self.tables[table].items() if not r.removed][:limit]

    async def one(self, conn: Tx, table: str, store_id: UUID, item_id: UUID) -> dict[str, Any] | None:
        row = self.tables[table].get(item_id)
        return None if row is None else {"id": item_id, "data": row.data}


class InMemoryPending:
    def __init__(self) -> None:
        self.held = dict[tuple[str, StorePlatform], PendingConnection]()

    async def add(self, tx: Tx, state_hash: str, pending: PendingConnection, ttl_seconds: int) -> None:
        self.held[(state_hash, pending.platform)] = pending

    async def take(self, tx: Tx, state_hash: str, platform: StorePlatform) -> PendingConnection | None:
        return self.held.pop((state_hash, platform), None)


class InMemoryDeliveries:
    def __init__(self) -> None:
        self.seen = set[tuple[StorePlatform, str]]()

    async def first_time(self, tx: Tx, platform: StorePlatform, delivery_id: str, store_id: UUID | None,
                         topic: str | None) -> bool:
        new = (platform, delivery_id) not in self.seen
        self.seen.add((platform, delivery_id))
        return new


class InMemoryLeases(Worklist):
    """Every lease is ours until the test says another worker took it."""

    def __init__(self) -> None:
        self.lost, self.released = set[UUID](), list[UUID]()

    async def still_mine(self, conn: Tx, item: UUID, worker: str) -> bool:
        return item not in self.lost

    async def release(self, conn: Tx, item: UUID, worker: str) -> None:
        self.released.append(item)


class VaultAccess:
    def __init__(self, vault: InMemoryVault, platforms: Mapping[StorePlatform, Platform]) -> None:
        self.vault, self.platforms = vault, platforms

    async def current(self, store: Store) -> Credentials:
        return self.vault.sealed[store.id]

    async def refreshed(self, store: Store, used: Credentials) -> Credentials:
        fresh = await self.platforms[store.platform].connecting.refresh(store.address, used)
        self.vault.sealed[store.id] = fresh
        return fresh


@dataclass
class World:
    """The adapters a handler gets, and the doubles behind them for the test to look into."""

    a: Adapters
    log: EventLog
    platform: FakePlatform
    stores: InMemoryStores
    syncs: InMemorySyncs
    mirror: InMemoryMirror
    vault: InMemoryVault
    leases: InMemoryLeases
    pending: InMemoryPending
    deliveries: InMemoryDeliveries


def world(**settings: Any) -> World:
    log, platform = EventLog(), FakePlatform(own_webhook_secret=settings.pop("own_webhook_secret", False))
    values = {"database_url": "postgresql://unit@nowhere/none", "kafka_bootstrap_servers": "nowhere:9092",
              "public_api_url": "https://api.adly.test"} | settings
    platforms = {p: Platform(platform, platform, platform) for p in StorePlatform}
    vault = InMemoryVault()
    stores, syncs, mirror, leases = InMemoryStores(log, vault), InMemorySyncs(log), InMemoryMirror(log), InMemoryLeases()
    pending, deliveries = InMemoryPending(), InMemoryDeliveries()
    a = Adapters(settings=CatalogSettings(**values), engine=cast(AsyncEngine, None), stores=stores, syncs=syncs,
                 mirror=mirror, vault=vault, pending=pending, deliveries=deliveries, worklist=leases,
                 access=VaultAccess(vault, platforms), platforms=platforms)
    return World(a, log, platform, stores, syncs, mirror, vault, leases, pending, deliveries)


async def connected_store(w: World, workspace_id: UUID | None = None, domain: str = "ada.example") -> Store:
    """A store connected through the port, with credentials in the vault."""
    store_id, connected = uuid.uuid4(), StoreConnected(platform=StorePlatform.SHOPIFY, domain=domain, currency="SAR")
    await w.stores.record_connected(NO_DATABASE, store_id, workspace_id or uuid.uuid4(), 0, connected)
    await w.stores.set_webhooks(NO_DATABASE, store_id, ["hook-1"], None)
    w.vault.sealed[store_id] = Credentials("token", refresh_token="refresh")
    return w.stores.rows[store_id]

