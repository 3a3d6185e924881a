"""The event log port over the kit's event store: envelopes and outbox rows in one statement."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_events.contracts.common import Contract
from adly_kit.eventstore import EventStore
from adly_kit.recording import record


class StoredEvents:
    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def record(self, tx: AsyncConnection, payloads: Sequence[Contract], *, aggregate_id: UUID,
                     expected_version: int, workspace_id: UUID | None = None) -> None:
        await record(tx, self.store, payloads, aggregate_id=aggregate_id, expected_version=expected_version,
                     workspace_id=workspace_id)
