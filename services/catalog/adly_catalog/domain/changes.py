"""Whether an item read from a store is new, changed or unchanged, and what that records.

"Changed" is decided by the fingerprint of the normalised item, not the platform's
timestamp: an item read twice (a resumed or repeated sync, a webhook and a sync crossing)
is unchanged the second time and records nothing. A new or changed item is one event at
the aggregate's next version, and the mirror row that version describes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, TypeAlias, TypeVar
from uuid import UUID

import orjson

from adly_catalog.domain.identity import fingerprint_of, order_ids, product_id, product_ids
from adly_catalog.domain.store import StoreRef
from adly_events.contracts.catalog import (
    CatalogOrder,
    CatalogProduct,
    OrderPlaced,
    OrderUpdated,
    ProductRemoved,
    ProductUpserted,
)

Item = TypeVar("Item", CatalogProduct, CatalogOrder)
ItemEvent: TypeAlias = ProductUpserted | OrderPlaced | OrderUpdated


class Known(NamedTuple):
    """What the mirror holds of an item: its version and the fingerprint of that version."""

    version: int
    fingerprint: str


class Change(NamedTuple):
    """A new or changed item: its event at `version + 1`, and the row of that version.
    (Tuples: a sync makes one per item read, and they cost less to build than dataclasses.)"""

    aggregate_id: UUID
    external_id: str
    version: int          # the aggregate's version before the change (0: new)
    fingerprint: str
    data: str             # the normalised item as JSON: fingerprinted, and the mirror's row
    placed_at: datetime | None
    event_type: type[ItemEvent]
    payload: str          # the event as JSON: the store's fields and `data`, spliced (see `payload_of`)

    @property
    def new_version(self) -> int:
        return self.version + 1


def keyed(items: Sequence[Item], id_of: Callable[[str], UUID]) -> list[tuple[UUID, Item]]:
    """The page's items with their aggregate ids. A page that lists an item twice (a
    platform's list moving under a paging reader) keeps its last state: one change, and
    one event per aggregate in the page's single append."""
    last = {item.external_id: item for item in items}
    return [(id_of(external_id), item) for external_id, item in last.items()]


def products_keyed(store_id: UUID, items: Sequence[CatalogProduct]) -> list[tuple[UUID, CatalogProduct]]:
    return keyed(items, product_ids(store_id))


def orders_keyed(store_id: UUID, items: Sequence[CatalogOrder]) -> list[tuple[UUID, CatalogOrder]]:
    return keyed(items, order_ids(store_id))


def product_changes(store: StoreRef, page: Sequence[tuple[UUID, CatalogProduct]],
                    known: Mapping[UUID, Known]) -> list[Change]:
    changes, head = [], event_head(store)
    for aggregate, product in page:
        data = product.model_dump_json()
        print_ = fingerprint_of(data)
        found = known.get(aggregate)
        if found is not None and found.fingerprint == print_:
            continue  # unchanged
        changes.append(Change(aggregate, product.external_id, found.version if found else 0, print_, data, None,
                              ProductUpserted, payload_of(head, "product", data)))
    return changes


def order_changes(store: StoreRef, page: Sequence[tuple[UUID, CatalogOrder]],
                  known: Mapping[UUID, Known]) -> list[Change]:
    changes, head = [], event_head(store)
    for aggregate, order in page:
        data = order.model_dump_json()
        print_ = fingerprint_of(data)
        found = known.get(aggregate)
        if found is not None and found.fingerprint == print_:
            continue  # unchanged
        changes.append(Change(aggregate, order.external_id, found.version if found else 0, print_, data,
                              order.placed_at, OrderUpdated if found else OrderPlaced, payload_of(head, "order", data)))
    return changes


def event_head(store: StoreRef) -> str:
    """The fields every item event has besides its item (`store_id`, `platform`), as the
    start of a JSON object: made once per page."""
    return orjson.dumps({"store_id": str(store.id), "platform": store.platform.value}).decode()[:-1] + ","


def payload_of(head: str, item: str, item_json: str) -> str:
    """The event's `model_dump_json()`, spliced from the page's head and the item's JSON made
    for its fingerprint and row: the item is nearly all of the event, and parsing it back
    into a dict to serialise it again was two fifths of the catalog's work per product."""
    return f'{head}"{item}":{item_json}}}'


@dataclass(frozen=True)
class Removal:
    aggregate_id: UUID
    version: int          # before the removal
    event: ProductRemoved


def removal(store: StoreRef, external_id: str, current: Known | None, removed: bool) -> Removal | None:
    """A product the mirror holds and has not marked removed is removed once; else nothing."""
    if current is None or removed:
        return None
    event = ProductRemoved(store_id=store.id, platform=store.platform, external_id=external_id)
    return Removal(product_id(store.id, external_id), current.version, event)
