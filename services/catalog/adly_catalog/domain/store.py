"""The store connection: what connecting and disconnecting decide."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from adly_events.contracts.catalog import DisconnectReason, StoreConnected, StoreDisconnected, StorePlatform


class StoreTakenElsewhere(Exception):
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


def connect(existing: StoreState | None, workspace_id: UUID, event: StoreConnected) -> StoreConnected | None:
    """A new connection, a reconnection after a disconnect, or (already connected here)
    nothing new to record: fresh credentials alone are not an event."""
    if existing is None:
        return event
    if existing.workspace_id != workspace_id and existing.connected:
        raise StoreTakenElsewhere(f"{existing.domain} is connected to another workspace")
    return None if existing.connected else event


def disconnect(existing: StoreState | None, reason: DisconnectReason) -> StoreDisconnected:
    if existing is None or not existing.connected:
        raise StoreNotConnected("the store is not connected")
    return StoreDisconnected(platform=existing.platform, reason=reason)
