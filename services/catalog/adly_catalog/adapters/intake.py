"""Pending connections (the OAuth `state` between redirect and callback) and webhook deliveries."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_catalog.domain.ports import PendingConnection
from adly_events.contracts.catalog import StorePlatform
from adly_kit.sql import Statements, utc_now


class PendingConnections:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def add(self, tx: AsyncConnection, state_hash: str, pending: PendingConnection, ttl_seconds: int) -> None:
        await tx.execute(self.sql("""
            INSERT INTO {s}.pending_connections (state_hash, workspace_id, platform, domain, requested_by, redirect_uri, expires_at)
            VALUES (:h, :w, :p, :d, :by, :uri, :exp)"""),
            {"h": state_hash, "w": pending.workspace_id, "p": pending.platform.value, "d": pending.domain,
             "by": pending.requested_by, "uri": pending.redirect_uri, "exp": utc_now() + timedelta(seconds=ttl_seconds)})

    async def take(self, tx: AsyncConnection, state_hash: str, platform: StorePlatform) -> PendingConnection | None:
        """Single use: the first callback with this state spends it; expired or spent -> None."""
        row = (await tx.execute(self.sql("""
            UPDATE {s}.pending_connections SET used_at = now()
            WHERE state_hash = :h AND platform = :p AND used_at IS NULL AND expires_at > now()
            RETURNING workspace_id, platform, domain, requested_by, redirect_uri"""),
            {"h": state_hash, "p": platform.value})).first()
        return PendingConnection(row[0], StorePlatform(row[1]), row[2], row[3], row[4]) if row else None


class Deliveries:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def first_time(self, tx: AsyncConnection, platform: StorePlatform, delivery_id: str, store_id: UUID | None,
                         topic: str | None) -> bool:
        """Record the delivery; False when it was seen already (a platform retry or duplicate)."""
        result = await tx.execute(self.sql("""
            INSERT INTO {s}.webhook_deliveries (platform, delivery_id, store_id, topic) VALUES (:p, :d, :store, :t)
            ON CONFLICT DO NOTHING"""), {"p": platform.value, "d": delivery_id[:200], "store": store_id, "t": topic})
        return result.rowcount == 1
