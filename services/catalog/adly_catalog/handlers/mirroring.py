"""Writing what was read from a store into the mirror: a page of a sync or one webhook's item.

The domain decides what is new, changed or unchanged (`domain/changes.py`); the mirror
port reads what it holds and writes the changes' events and rows, all in the caller's
transaction, in a fixed number of statements whatever the page's size.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_catalog.adapters.container import Adapters
from adly_catalog.domain import changes
from adly_catalog.domain.identity import product_id
from adly_catalog.domain.store import StoreRef
from adly_events.contracts.catalog import CatalogOrder, CatalogProduct


async def products(tx: AsyncConnection, a: Adapters, store: StoreRef, items: Sequence[CatalogProduct]) -> int:
    """Upsert products; returns how many were new or changed."""
    page = changes.products_keyed(store.id, items)
    known = await a.mirror.known(tx, "products", [aggregate for aggregate, _ in page])
    found = changes.product_changes(store, page, known)
    await a.mirror.save(tx, "products", store, found)
    return len(found)


async def orders(tx: AsyncConnection, a: Adapters, store: StoreRef, items: Sequence[CatalogOrder]) -> int:
    page = changes.orders_keyed(store.id, items)
    known = await a.mirror.known(tx, "orders", [aggregate for aggregate, _ in page])
    found = changes.order_changes(store, page, known)
    await a.mirror.save(tx, "orders", store, found)
    return len(found)


async def remove_product(tx: AsyncConnection, a: Adapters, store: StoreRef, external_id: str) -> bool:
    current = await a.mirror.removal_state(tx, product_id(store.id, external_id))
    known, removed = current if current is not None else (None, False)
    removal = changes.removal(store, external_id, known, removed)
    if removal is not None:
        await a.mirror.save_removal(tx, store, removal)
    return removal is not None
