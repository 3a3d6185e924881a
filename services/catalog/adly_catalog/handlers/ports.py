"""The ports handlers write through, each handed the edge's transaction.

Postgres implements them (`adapters/`); `tests/unit/doubles.py` implements them in memory.
`StoreAccess` alone takes no transaction: it keeps its own short one around a refresh
(see its docstring).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_catalog.domain.changes import Change, Known, Removal
from adly_catalog.domain.platform import Credentials
from adly_catalog.domain.ports import PendingConnection
from adly_catalog.domain.store import Store, StoreRef
from adly_catalog.domain.sync import Sync, SyncPosition
from adly_events.contracts.catalog import StoreConnected, StoreDisconnected, StorePlatform, SyncKind
from adly_events.contracts.common import Contract


class Stores(Protocol):
    async def get(self, conn: AsyncConnection, store_id: UUID, *, for_update: bool = False) -> Store | None: ...

    async def of_workspace(self, conn: AsyncConnection, workspace_id: UUID) -> list[Store]: ...

    async def by_domain(self, conn: AsyncConnection, platform: StorePlatform, domain: str) -> Store | None:
        """The live connection of a platform store, else its newest past one."""
        ...

    async def connected(self, conn: AsyncConnection) -> list[Store]: ...

    async def record_connected(self, tx: AsyncConnection, store_id: UUID, workspace_id: UUID, version: int,
                               event: StoreConnected) -> None: ...

    async def record_disconnected(self, tx: AsyncConnection, store: Store, event: StoreDisconnected, *,
                                  causation_id: UUID | None = None, correlation_id: UUID | None = None) -> None:
        """Disconnected means the credentials are gone, in the same transaction as the event."""
        ...

    async def set_webhooks(self, tx: AsyncConnection, store_id: UUID, ids: list[str], token_hash: str | None) -> None: ...

    async def mark_synced(self, tx: AsyncConnection, store_id: UUID, as_of: datetime | None) -> None: ...


class Syncs(Protocol):
    async def queue(self, tx: AsyncConnection, store_id: UUID, workspace_id: UUID, kind: SyncKind,
                    updated_since: datetime | None, requested_by: UUID | None) -> tuple[UUID, bool]:
        """A new sync, unless one is queued or running for the store: then that one (False)."""
        ...

    async def get(self, conn: AsyncConnection, sync_id: UUID) -> Sync | None: ...

    async def of_store(self, conn: AsyncConnection, store_id: UUID, limit: int) -> list[Sync]: ...

    async def record(self, tx: AsyncConnection, sync: Sync, events: Sequence[Contract]) -> int:
        """Append the sync's new events; returns its new version."""
        ...

    async def save(self, tx: AsyncConnection, sync: Sync, position: SyncPosition, version: int, *,
                   state: str | None = None, error: str | None = None) -> None: ...

    async def postpone(self, tx: AsyncConnection, sync_id: UUID, seconds: float, error: str) -> None: ...

    async def cancel_of_store(self, tx: AsyncConnection, store_id: UUID) -> None: ...

    async def lock_scheduling(self, tx: AsyncConnection) -> bool:
        """One scheduler at a time across processes, for this transaction; False if another has it."""
        ...


class Mirror(Protocol):
    """The store's products and orders as ADLY last read them, and their events."""

    async def known(self, tx: AsyncConnection, table: str, ids: list[UUID]) -> dict[UUID, Known]: ...

    async def save(self, tx: AsyncConnection, table: str, store: StoreRef, changes: Sequence[Change]) -> None:
        """The changes' events in one append, their rows in one upsert."""
        ...

    async def removal_state(self, tx: AsyncConnection, aggregate_id: UUID) -> tuple[Known, bool] | None:
        """The product's row, locked: (what is known, whether it is removed)."""
        ...

    async def save_removal(self, tx: AsyncConnection, store: StoreRef, removal: Removal) -> None: ...

    async def page_of(self, conn: AsyncConnection, table: str, store_id: UUID, *, after: str | None,
                      limit: int) -> list[dict[str, Any]]: ...

    async def one(self, conn: AsyncConnection, table: str, store_id: UUID, item_id: UUID) -> dict[str, Any] | None: ...


class Vault(Protocol):
    async def save(self, tx: AsyncConnection, workspace_id: UUID, store_id: UUID, credentials: Credentials) -> None: ...

    async def load(self, conn: AsyncConnection, workspace_id: UUID, store_id: UUID, *,
                   for_update: bool = False) -> Credentials | None: ...

    @property
    def current_key(self) -> str: ...

    async def rewrap_all(self, tx: AsyncConnection) -> int:
        """Wrap every data key still under an older key-encryption key with the current one."""
        ...


class PendingConnections(Protocol):
    async def add(self, tx: AsyncConnection, state_hash: str, pending: PendingConnection, ttl_seconds: int) -> None: ...

    async def take(self, tx: AsyncConnection, state_hash: str, platform: StorePlatform) -> PendingConnection | None:
        """Single use: the first callback with this state spends it; expired or spent -> None."""
        ...


class Deliveries(Protocol):
    async def first_time(self, tx: AsyncConnection, platform: StorePlatform, delivery_id: str, store_id: UUID | None,
                         topic: str | None) -> bool:
        """Record the delivery; False when it was seen already (a platform retry or duplicate)."""
        ...


class StoreAccess(Protocol):
    """A connected store's credentials, fresh.

    A refresh happens under the credentials row's lock (SELECT ... FOR UPDATE) held across
    the platform's answer, in a transaction of its own: two workers never spend the same
    single-use refresh token (Salla revokes both tokens when one is replayed); the second
    finds the successor saved and uses it."""

    async def current(self, store: Store) -> Credentials:
        """The stored credentials, refreshed first when they are about to expire."""
        ...

    async def refreshed(self, store: Store, used: Credentials) -> Credentials:
        """New credentials, unless another worker refreshed since `used` was read: then theirs."""
        ...
