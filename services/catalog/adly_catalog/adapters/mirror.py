"""The store's products and orders as ADLY last read them, and their events.

A page of items is written in one go: the current versions and fingerprints of the
page's aggregates in one query (`known`), the events of those the domain found new or
changed in one append (`EventStore.append_many`, their envelopes' JSON
spliced around the rows' JSON), the rows in one upsert (`save`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_catalog.domain.changes import Change, Known, Removal
from adly_catalog.domain.store import StoreRef
from adly_events import CATALOG, EventEnvelope
from adly_events.contracts.common import Contract
from adly_kit.eventstore import EventStore
from adly_kit.recording import envelopes_for
from adly_kit.sql import Statements
from adly_kit.telemetry import current_trace

Row = tuple[UUID, str, int, str, str, Any]  # id, external id, version, fingerprint, json, placed_at


class Mirror:
    def __init__(self, store: EventStore) -> None:
        self.events = store
        self.sql = Statements(store.schema)

    async def known(self, tx: AsyncConnection, table: str, ids: list[UUID]) -> dict[UUID, Known]:
        rows = await tx.execute(self.sql(f"SELECT id, version, fingerprint FROM {{s}}.{table} WHERE id = ANY(:ids)"), {"ids": ids})
        return {row[0]: Known(row[1], row[2]) for row in rows}

    async def save(self, tx: AsyncConnection, table: str, store: StoreRef, changes: Sequence[Change]) -> None:
        events = CATALOG.encoded([(c.event_type, c.aggregate_id, c.new_version, c.payload) for c in changes],
                                 workspace_id=store.workspace_id, trace=current_trace())
        await self.events.append_many(tx, [([event], c.version) for event, c in zip(events, changes, strict=True)])
        await self.write_rows(tx, table, store, [(c.aggregate_id, c.external_id, c.new_version, c.fingerprint, c.data,
                                                  c.placed_at) for c in changes])

    async def removal_state(self, tx: AsyncConnection, aggregate_id: UUID) -> tuple[Known, bool] | None:
        row = (await tx.execute(self.sql("SELECT version, fingerprint, removed FROM {s}.products WHERE id = :id FOR UPDATE"),
                                {"id": aggregate_id})).first()
        return None if row is None else (Known(row[0], row[1]), row[2])

    async def save_removal(self, tx: AsyncConnection, store: StoreRef, removal: Removal) -> None:
        envelopes = self.envelopes(removal.event, removal.aggregate_id, removal.version, store)
        await self.events.append_many(tx, [(envelopes, removal.version)])
        await tx.execute(self.sql("UPDATE {s}.products SET removed = true, version = :v, fingerprint = '', synced_at = now() WHERE id = :id"),
                         {"id": removal.aggregate_id, "v": removal.version + 1})

    def envelopes(self, event: Contract, aggregate: UUID, version: int, store: StoreRef,
                  trace: Any = None) -> list[EventEnvelope]:
        return envelopes_for([event], aggregate_id=aggregate, expected_version=version,
                             workspace_id=store.workspace_id, trace=trace or current_trace())

    async def write_rows(self, tx: AsyncConnection, table: str, store: StoreRef, rows: list[Row]) -> None:
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

    async def page_of(self, conn: AsyncConnection, table: str, store_id: UUID, *, after: str | None,
                      limit: int) -> list[dict[str, Any]]:
        """Rows for the API, by platform id order (keyset pagination on external_id)."""
        where = "AND external_id > :after" if after else ""
        removed = "AND NOT removed" if table == "products" else ""
        rows = await conn.execute(self.sql(f"""
            SELECT id, external_id, data, synced_at FROM {{s}}.{table}
            WHERE store_id = :store {removed} {where} ORDER BY external_id LIMIT :limit"""),
            {"store": store_id, "after": after, "limit": limit})
        return [_item(r) for r in rows]

    async def one(self, conn: AsyncConnection, table: str, store_id: UUID, item_id: UUID) -> dict[str, Any] | None:
        row = (await conn.execute(self.sql(f"SELECT id, external_id, data, synced_at FROM {{s}}.{table} WHERE store_id = :store AND id = :id"),
                                  {"store": store_id, "id": item_id})).first()
        return None if row is None else _item(row)


def _item(row: Any) -> dict[str, Any]:
    return {"id": row[0], "external_id": row[1], "data": json.loads(row[2]) if isinstance(row[2], str) else row[2],
            "synced_at": row[3]}
