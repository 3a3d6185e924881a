"""Recording a service's new events: envelopes in the store, outbox rows in the same statement."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_events import CATALOG
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
) -> list:
    envelopes = envelopes_for(payloads, aggregate_id=aggregate_id, expected_version=expected_version,
                              workspace_id=workspace_id, trace=current_trace())
    await store.append(tx, envelopes, expected_version=expected_version)
    return envelopes


def envelopes_for(
    payloads: Sequence[Contract], *, aggregate_id: UUID, expected_version: int, workspace_id: UUID | None, trace=None
) -> list:
    """Envelopes of one aggregate's new events, numbered from `expected_version + 1`."""
    return [
        CATALOG.envelope(payload, aggregate_id=aggregate_id, aggregate_version=expected_version + offset,
                         workspace_id=workspace_id, trace=trace)
        for offset, payload in enumerate(payloads, start=1)
    ]
