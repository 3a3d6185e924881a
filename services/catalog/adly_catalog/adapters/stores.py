"""Store connections: the store aggregate's events and its row, written together."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_catalog.domain.store import Store
from adly_events.contracts.catalog import StoreConnected, StoreDisconnected, StorePlatform
from adly_kit.eventstore import EventStore
from adly_kit.recording import record
from adly_kit.sql import Statements, utc_now

_COLUMNS = """id, workspace_id, platform, domain, name, currency, status, version, connected_at,
              disconnected_at, disconnect_reason, webhook_ids, webhook_token_hash, last_synced_at"""


def _row(values: Sequence[Any]) -> Store:
    row = Store(*values)
    return Store(**{**row.__dict__, "platform": StorePlatform(row.platform)})


class StoreRepository:
    def __init__(self, store: EventStore) -> None:
        self.events = store
        self.sql = Statements(store.schema)

    async def get(self, conn: AsyncConnection, store_id: UUID, *, for_update: bool = False) -> Store | None:
        lock = " FOR UPDATE" if for_update else ""
        row = (await conn.execute(self.sql(f"SELECT {_COLUMNS} FROM {{s}}.stores WHERE id = :id{lock}"), {"id": store_id})).first()
        return _row(row) if row else None

    async def of_workspace(self, conn: AsyncConnection, workspace_id: UUID) -> list[Store]:
        rows = await conn.execute(self.sql(f"""SELECT {_COLUMNS} FROM {{s}}.stores WHERE workspace_id = :w
                                               ORDER BY connected_at"""), {"w": workspace_id})
        return [_row(r) for r in rows]

    async def by_domain(self, conn: AsyncConnection, platform: StorePlatform, domain: str) -> Store | None:
        """The live connection of a platform store, else its newest past one."""
        row = (await conn.execute(self.sql(f"""SELECT {_COLUMNS} FROM {{s}}.stores WHERE platform = :p AND domain = :d
                                               ORDER BY status = 'connected' DESC, connected_at DESC LIMIT 1"""),
                                  {"p": platform.value, "d": domain})).first()
        return _row(row) if row else None

    async def connected(self, conn: AsyncConnection) -> list[Store]:
        rows = await conn.execute(self.sql(f"SELECT {_COLUMNS} FROM {{s}}.stores WHERE status = 'connected'"))
        return [_row(r) for r in rows]

    async def record_connected(self, tx: AsyncConnection, store_id: UUID, workspace_id: UUID, version: int,
                               event: StoreConnected) -> None:
        await record(tx, self.events, [event], aggregate_id=store_id, expected_version=version, workspace_id=workspace_id)
        await tx.execute(self.sql("""
            INSERT INTO {s}.stores (id, workspace_id, platform, domain, name, currency, status, version, connected_by, connected_at)
            VALUES (:id, :w, :p, :d, :n, :c, 'connected', :v, :by, now())
            ON CONFLICT (id) DO UPDATE SET status = 'connected', version = :v, name = :n, currency = :c,
                connected_by = :by, connected_at = now(), disconnected_at = NULL, disconnect_reason = NULL"""),
            {"id": store_id, "w": workspace_id, "p": event.platform.value, "d": event.domain, "n": event.name,
             "c": event.currency, "v": version + 1, "by": event.connected_by})

    async def record_disconnected(self, tx: AsyncConnection, row: Store, event: StoreDisconnected, *,
                                  causation_id: UUID | None = None, correlation_id: UUID | None = None) -> None:
        """Disconnected means the credentials are gone, in the same transaction as the event."""
        await tx.execute(self.sql("DELETE FROM {s}.store_credentials WHERE store_id = :id"), {"id": row.id})
        await record(tx, self.events, [event], aggregate_id=row.id, expected_version=row.version, workspace_id=row.workspace_id,
                     causation_id=causation_id, correlation_id=correlation_id)
        await tx.execute(self.sql("""
            UPDATE {s}.stores SET status = 'disconnected', version = :v, disconnected_at = now(), disconnect_reason = :r,
                   webhook_ids = '[]', webhook_token_hash = NULL WHERE id = :id"""),
            {"id": row.id, "v": row.version + 1, "r": event.reason.value})

    async def set_webhooks(self, tx: AsyncConnection, store_id: UUID, ids: list[str], token_hash: str | None) -> None:
        await tx.execute(self.sql("UPDATE {s}.stores SET webhook_ids = CAST(:ids AS jsonb), webhook_token_hash = :t WHERE id = :id"),
                         {"id": store_id, "ids": json.dumps(ids), "t": token_hash})

    async def mark_synced(self, tx: AsyncConnection, store_id: UUID, as_of: datetime | None) -> None:
        """`as_of`: when the finished sync started; the next incremental one reads changes since."""
        await tx.execute(self.sql("UPDATE {s}.stores SET last_synced_at = :at WHERE id = :id"),
                         {"id": store_id, "at": as_of or utc_now()})
