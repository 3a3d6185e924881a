"""`FiguresUpdated` into the service's event store and outbox, in the transaction of the write it
announces: the relay publishes it once that commits, and the gateway's live socket forwards it."""

from __future__ import annotations

from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_events.contracts.analytics import FiguresUpdated
from adly_kit.eventstore import EventStore
from adly_kit.recording import record


class FiguresUpdates:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def updated(self, tx: AsyncConnection, workspace_id: UUID, update: FiguresUpdated, *,
                      causation_id: UUID | None = None, correlation_id: UUID | None = None) -> None:
        # Each update is its own aggregate (version 1): concurrent batches never contend for a version.
        await record(tx, self.store, [update], aggregate_id=uuid4(), expected_version=0, workspace_id=workspace_id,
                     causation_id=causation_id, correlation_id=correlation_id)
