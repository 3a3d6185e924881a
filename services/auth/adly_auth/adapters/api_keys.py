"""API keys: workspace- and role-scoped machine credentials, stored as SHA-256."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_auth.domain.records import ApiKey
from adly_kit.sql import Statements

_COLUMNS = "id, workspace_id, name, role, secret_sha256, created_by, created_at, revoked_at, event_version"


class ApiKeys:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def add(self, tx: AsyncConnection, key: ApiKey) -> None:
        await tx.execute(self.sql("""
            INSERT INTO {s}.api_keys (id, workspace_id, name, role, secret_sha256, created_by, event_version)
            VALUES (:id, :w, :n, :r, :h, :by, :v)"""),
            {"id": key.id, "w": key.workspace_id, "n": key.name, "r": key.role, "h": key.secret_sha256,
             "by": key.created_by, "v": key.event_version})

    async def get(self, tx: AsyncConnection, key_id: UUID, *, lock: bool = False) -> ApiKey | None:
        suffix = " FOR UPDATE" if lock else ""
        row = (await tx.execute(self.sql(f"SELECT {_COLUMNS} FROM {{s}}.api_keys WHERE id = :id{suffix}"), {"id": key_id})).first()
        return ApiKey(*row) if row else None

    async def of_workspace(self, tx: AsyncConnection, workspace_id: UUID, *, live_only: bool = False) -> list[ApiKey]:
        live = " AND revoked_at IS NULL" if live_only else ""
        rows = await tx.execute(self.sql(f"SELECT {_COLUMNS} FROM {{s}}.api_keys WHERE workspace_id = :w{live} ORDER BY created_at"),
                                {"w": workspace_id})
        return [ApiKey(*row) for row in rows]

    async def mark_revoked(self, tx: AsyncConnection, key_id: UUID, version: int) -> None:
        await tx.execute(self.sql("UPDATE {s}.api_keys SET revoked_at = now(), event_version = :v WHERE id = :id"),
                         {"id": key_id, "v": version})
