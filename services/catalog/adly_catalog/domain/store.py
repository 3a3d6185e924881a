"""The store connection: what connecting and disconnecting decide, and the store as kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from adly_catalog.domain.errors import ConnectionRefused
from adly_catalog.domain.platform import StoreAddress
from adly_events.contracts.catalog import DisconnectReason, StoreConnected, StoreDisconnected, StorePlatform


class StoreTakenElsewhere(ConnectionRefused):
    """The platform store is connected to another workspace already."""


class StoreNotConnected(Exception):
    pass


@dataclass(frozen=True)
class StoreState:
    id: UUID
    workspace_id: UUID
    platform: StorePlatform
    domain: str
    connected: bool
    version: int


@dataclass(frozen=True)
class StoreRef:
    """What the mirror's events name: the store, its workspace and platform."""

    id: UUID
    workspace_id: UUID
    platform: StorePlatform


@dataclass(frozen=True)
class Store:
    """A store connection as the catalog keeps it."""

    id: UUID
    workspace_id: UUID
    platform: StorePlatform
    domain: str
    name: str | None
    currency: str | None
    status: str
    version: int
    connected_at: datetime
    disconnected_at: datetime | None
    disconnect_reason: str | None
    webhook_ids: list[str]
    webhook_token_hash: str | None
    last_synced_at: datetime | None

    @property
    def connected(self) -> bool:
        return self.status == "connected"

    @property
    def address(self) -> StoreAddress:
        return StoreAddress(self.platform, self.domain)

    @property
    def ref(self) -> StoreRef:
        return StoreRef(self.id, self.workspace_id, self.platform)

    @property
    def state(self) -> StoreState:
        return StoreState(self.id, self.workspace_id, self.platform, self.domain, self.connected, self.version)


def connect_store(existing: StoreState | None, workspace_id: UUID, event: StoreConnected) -> StoreConnected | None:
    """A new connection, a reconnection after a disconnect, or (already connected here)
    nothing new to record: fresh credentials alone are not an event."""
    if existing is None:
        return event
    if existing.workspace_id != workspace_id and existing.connected:
        raise StoreTakenElsewhere("This store is connected to another ADLY workspace; disconnect it there first.")
    return None if existing.connected else event


def disconnect_store(existing: StoreState | None, reason: DisconnectReason) -> StoreDisconnected:
    if existing is None or not existing.connected:
        raise StoreNotConnected("the store is not connected")
    return StoreDisconnected(platform=existing.platform, reason=reason)
