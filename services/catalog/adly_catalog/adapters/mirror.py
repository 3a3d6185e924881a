"""The store's products and orders as ADLY last read them, and their events.

A page of items is written in one go: the current versions and fingerprints of the
page's aggregates in one query, the events of those that changed in one append
(`EventStore.append_many`), the rows in one upsert. Unchanged items cost no event, so a
resumed or repeated sync duplicates nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_catalog.domain.identity import fingerprint_of, order_id, product_id
from adly_events.contracts.catalog import (
    CatalogOrder,
    CatalogProduct,
    OrderPlaced,
    OrderUpdated,
    ProductRemoved,
    ProductUpserted,
    StorePlatform,
)
from adly_kit.eventstore import EventStore
from adly_kit.recording import envelopes_for
from adly_kit.sql import Statements
from adly_kit.telemetry import current_trace


@dataclass(frozen=True)
class StoreRef:
    id: UUID
    workspace_id: UUID
    platform: StorePlatform


def _last_of_each(items: Sequence) -> list:
    """A page that lists an item twice (a platform's list moving under a paging reader) keeps
    its last state: one change, and one event per aggregate in the page's single append."""
    return list({item.external_id: item for item in items}.values())


class Mirror:
    def __init__(self, store: EventStore) -> None:
        self.events = store
        self.sql = Statements(store.schema)

    async def products(self, tx: AsyncConnection, store: StoreRef, items: Sequence[CatalogProduct]) -> int:
        """Upsert a page of products; returns how many were new or changed."""
        items = _last_of_each(items)
        ids = [product_id(store.id, p.external_id) for p in items]
        known = await self._known(tx, "products", ids)
        batches, rows = [], []
        for aggregate, product in zip(ids, items, strict=True):
            data = product.model_dump_json()
            print_ = fingerprint_of(data)
            version, previous = known.get(aggregate, (0, None))
            if previous == print_:
                continue
            event = ProductUpserted(store_id=store.id, platform=store.platform, product=product)
            batches.append((self._envelopes(event, aggregate, version, store), version))
            rows.append((aggregate, product.external_id, version + 1, print_, data, None))
        await self.events.append_many(tx, batches)
        await self.write_rows(tx, "products", store, rows)
        return len(rows)

    async def remove_product(self, tx: AsyncConnection, store: StoreRef, external_id: str) -> bool:
        aggregate = product_id(store.id, external_id)
        row = (await tx.execute(self.sql("SELECT version, removed FROM {s}.products WHERE id = :id FOR UPDATE"),
                                {"id": aggregate})).first()
        if row is None or row[1]:
            return False
        event = ProductRemoved(store_id=store.id, platform=store.platform, external_id=external_id)
        await self.events.append_many(tx, [(self._envelopes(event, aggregate, row[0], store), row[0])])
        await tx.execute(self.sql("UPDATE {s}.products SET removed = true, version = :v, fingerprint = '', synced_at = now() WHERE id = :id"),
                         {"id": aggregate, "v": row[0] + 1})
        return True

    async def orders(self, tx: AsyncConnection, store: StoreRef, items: Sequence[CatalogOrder]) -> int:
        items = _last_of_each(items)
        ids = [order_id(store.id, o.external_id) for o in items]
        known = await self._known(tx, "orders", ids)
        batches, rows = [], []
        for aggregate, order in zip(ids, items, strict=True):
            data = order.model_dump_json()
            print_ = fingerprint_of(data)
            version, previous = known.get(aggregate, (0, None))
            if previous == print_:
                continue
            kind = OrderPlaced if version == 0 else OrderUpdated
            event = kind(store_id=store.id, platform=store.platform, order=order)
            batches.append((self._envelopes(event, aggregate, version, store), version))
            rows.append((aggregate, order.external_id, version + 1, print_, data, order.placed_at))
        await self.events.append_many(tx, batches)
        await self.write_rows(tx, "orders", store, rows)
        return len(rows)

    def _envelopes(self, event, aggregate: UUID, version: int, store: StoreRef) -> list:
        return envelopes_for([event], aggregate_id=aggregate, expected_version=version,
                             workspace_id=store.workspace_id, trace=current_trace())

    async def _known(self, tx: AsyncConnection, table: str, ids: list[UUID]) -> dict[UUID, tuple[int, str]]:
        rows = await tx.execute(self.sql(f"SELECT id, version, fingerprint FROM {{s}}.{table} WHERE id = ANY(:ids)"), {"ids": ids})
        return {row[0]: (row[1], row[2]) for row in rows}

    async def write_rows(self, tx: AsyncConnection, table: str, store: StoreRef, rows: list[tuple]) -> None:
        """Upsert (id, external_id, version, fingerprint, json, placed_at) rows, as the events say."""
        if not rows:
            return
        ids, external, versions, prints, data, placed = (list(column) for column in zip(*rows, strict=True))
        if table == "products":
            await tx.execute(self.sql("""
                INSERT INTO {s}.products (id, store_id, workspace_id, external_id, version, fingerprint, data)
                SELECT r.id, :store, :w, r.external_id, r.version, r.fingerprint, r.data::json
                FROM unnest(CAST(:ids AS uuid[]), CAST(:external AS text[]), CAST(:versions AS integer[]),
                            CAST(:prints AS text[]), CAST(:data AS text[])) AS r(id, external_id, version, fingerprint, data)
                ON CONFLICT (id) DO UPDATE SET version = excluded.version, fingerprint = excluded.fingerprint,
                    data = excluded.data, removed = false, synced_at = now()"""),
                {"store": store.id, "w": store.workspace_id, "ids": ids, "external": external, "versions": versions,
                 "prints": prints, "data": data})
        else:
            await tx.execute(self.sql("""
                INSERT INTO {s}.orders (id, store_id, workspace_id, external_id, version, fingerprint, placed_at, data)
                SELECT r.id, :store, :w, r.external_id, r.version, r.fingerprint, r.placed_at, r.data::json
                FROM unnest(CAST(:ids AS uuid[]), CAST(:external AS text[]), CAST(:versions AS integer[]),
                            CAST(:prints AS text[]), CAST(:placed AS timestamptz[]), CAST(:data AS text[]))
                     AS r(id, external_id, version, fingerprint, placed_at, data)
                ON CONFLICT (id) DO UPDATE SET version = excluded.version, fingerprint = excluded.fingerprint,
                    data = excluded.data, placed_at = excluded.placed_at, synced_at = now()"""),
                {"store": store.id, "w": store.workspace_id, "ids": ids, "external": external, "versions": versions,
                 "prints": prints, "placed": placed, "data": data})

    async def page_of(self, conn: AsyncConnection, table: str, store_id: UUID, *, after: str | None, limit: int) -> list[dict]:
        """Rows for the API, by platform id order (keyset pagination on external_id)."""
        where = "AND external_id > :after" if after else ""
        removed = "AND NOT removed" if table == "products" else ""
        rows = await conn.execute(self.sql(f"""
            SELECT id, external_id, data, synced_at FROM {{s}}.{table}
            WHERE store_id = :store {removed} {where} ORDER BY external_id LIMIT :limit"""),
            {"store": store_id, "after": after, "limit": limit})
        return [_item(r) for r in rows]

    async def one(self, conn: AsyncConnection, table: str, store_id: UUID, item_id: UUID) -> dict | None:
        row = (await conn.execute(self.sql(f"SELECT id, external_id, data, synced_at FROM {{s}}.{table} WHERE store_id = :store AND id = :id"),
                                  {"store": store_id, "id": item_id})).first()
        return None if row is None else _item(row)


def _item(row) -> dict:
    return {"id": row[0], "external_id": row[1], "data": json.loads(row[2]) if isinstance(row[2], str) else row[2],
            "synced_at": row[3]}
