"""The audit trail of mutating calls: append-only, no bodies, tokens or emails; IPs keyed-hashed."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from adly_kit.db import safe_schema


@dataclass(frozen=True)
class AuditEntry:
    actor: str | None
    actor_kind: str | None
    workspace_id: UUID | None
    method: str
    route: str
    status: int
    request_id: str | None
    ip_hash: str | None


def ip_hash(ip: str | None, key: bytes) -> str | None:
    """HMAC-SHA256 with the identity key: equal IPs compare equal, nobody can enumerate them back."""
    if not ip:
        return None
    return hmac.new(key, b"ip:" + ip.encode(), hashlib.sha256).hexdigest()[:32]


class AuditLog:
    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self.pool = pool
        s = safe_schema(schema)
        self._insert = (
            f"INSERT INTO {s}.audit_log (actor, actor_kind, workspace_id, method, route, status, request_id, ip_hash) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )
        self._page = (
            f"SELECT id, at, actor, actor_kind, method, route, status, request_id, ip_hash FROM {s}.audit_log "
            "WHERE workspace_id = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3"
        )

    async def record(self, entry: AuditEntry) -> None:
        await self.pool.execute(
            self._insert,
            entry.actor,
            entry.actor_kind,
            entry.workspace_id,
            entry.method,
            entry.route,
            entry.status,
            entry.request_id,
            entry.ip_hash,
        )

    async def page(self, workspace_id: UUID, before: int | None, limit: int) -> list[dict]:
        rows = await self.pool.fetch(self._page, workspace_id, before, limit)
        return [dict(row) | {"at": _iso(row["at"])} for row in rows]


def _iso(value: datetime) -> str:
    return value.isoformat()
