"""The benchmark's own event: one pydantic payload model carrying about 1 KB of text.

Each benchmark gets its own catalog (and so its own topic, `adly.bench.<aggregate>`),
so one benchmark's records never reach another's consumers.
"""

from __future__ import annotations

import random
import string
from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from adly_events import EventCatalog, EventEnvelope

EVENT_NAME = "BenchRecorded"
TEXT_BYTES = 1000


class BenchRecorded(BaseModel):
    """A benchmark event carrying about 1 KB of text."""

    seq: int
    text: str


def bench_catalog(aggregate: str) -> EventCatalog:
    catalog = EventCatalog(title=f"ADLY benchmark ({aggregate})")
    catalog.event(EVENT_NAME, version=1, context="bench", aggregate=aggregate)(BenchRecorded)
    return catalog


_rng = random.Random(2)
# Not compressible into nothing, and a fresh string per event would only cost the generator.
TEXTS = ["".join(_rng.choices(string.ascii_letters + string.digits + " ", k=TEXT_BYTES)) for _ in range(16)]


def envelope(
    catalog: EventCatalog, seq: int, aggregate_id: UUID, version: int, workspace_id: UUID,
    occurred_at: datetime | None = None,
) -> EventEnvelope:  # fmt: skip
    """A new envelope of a ~1 KB payload (`occurred_at` defaults to now)."""
    event = catalog.envelope(
        BenchRecorded(seq=seq, text=TEXTS[seq % len(TEXTS)]),
        aggregate_id=aggregate_id,
        aggregate_version=version,
        workspace_id=workspace_id,
    )
    return event if occurred_at is None else event.model_copy(update={"occurred_at": occurred_at})
