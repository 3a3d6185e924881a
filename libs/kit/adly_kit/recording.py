"""Recording a service's new events: envelopes in the store, outbox rows in the same statement."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_events import CATALOG, EventEnvelope, TraceContext
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
    workspace_id: UUID | None = None,
    causation_id: UUID | None = None,
    correlation_id: UUID | None = None,
) -> list[EventEnvelope]:
    """`causation_id`: the event or command that caused these; `correlation_id`: the request
    or saga they belong to (a consumer passes the envelope's, so a chain stays traceable)."""
    envelopes = envelopes_for(payloads, aggregate_id=aggregate_id, expected_version=expected_version,
                              workspace_id=workspace_id, trace=current_trace(),
                              causation_id=causation_id, correlation_id=correlation_id)
    await store.append(tx, envelopes, expected_version=expected_version)
    return envelopes


def envelopes_for(
    payloads: Sequence[Contract], *, aggregate_id: UUID, expected_version: int, workspace_id: UUID | None,
    trace: TraceContext | None = None, causation_id: UUID | None = None, correlation_id: UUID | None = None,
) -> list[EventEnvelope]:
    """Envelopes of one aggregate's new events, numbered from `expected_version + 1`."""
    return [
        CATALOG.envelope(payload, aggregate_id=aggregate_id, aggregate_version=expected_version + offset,
                         workspace_id=workspace_id, trace=trace, causation_id=causation_id,
                         correlation_id=correlation_id)
        for offset, payload in enumerate(payloads, start=1)
    ]
