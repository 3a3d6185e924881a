"""Recording events of the creative context: envelopes in the store, outbox in the same statement."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_events import CATALOG, EventEnvelope
from adly_events.contracts.common import Contract
from adly_kit.eventstore import EventStore
from adly_kit.telemetry import current_trace


async def record(
    tx: AsyncConnection,
    store: EventStore,
    payloads: Sequence[Contract],
    *,
    aggregate_id: UUID,
    expected_version: int,
    workspace_id: UUID | None,
    causation_id: UUID | None = None,
    correlation_id: UUID | None = None,
) -> list[EventEnvelope]:
    trace = current_trace()
    envelopes = [
        CATALOG.envelope(
            payload, aggregate_id=aggregate_id, aggregate_version=expected_version + offset,
            workspace_id=workspace_id, trace=trace, causation_id=causation_id, correlation_id=correlation_id,
        )
        for offset, payload in enumerate(payloads, start=1)
    ]
    await store.append(tx, envelopes, expected_version=expected_version)
    return envelopes
