"""A small event vocabulary for backbone tests and benchmarks, in a catalog of its own."""

from __future__ import annotations

from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict

from adly_events import EventCatalog, EventEnvelope


class ItemCounted(BaseModel):
    """A counter moved; `note` pads the payload to a realistic size."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount: int
    note: str = ""


def sample_catalog(context: str) -> EventCatalog:
    """A catalog whose only event lives on `adly.<context>.counter`; one context per test keeps topics apart."""
    catalog = EventCatalog(title=f"sample {context}")
    catalog.event("ItemCounted", version=1, context=context, aggregate="counter")(ItemCounted)
    return catalog


def counted(
    catalog: EventCatalog, aggregate_id: UUID, versions: range, *, workspace_id: UUID | None = None, note: str = ""
) -> list[EventEnvelope]:
    return [
        catalog.envelope(ItemCounted(amount=v, note=note), aggregate_id=aggregate_id, aggregate_version=v, workspace_id=workspace_id)
        for v in versions
    ]


def new_aggregate() -> UUID:
    return uuid4()
