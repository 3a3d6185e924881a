"""The identity read model in the gateway schema: written by event handlers, read per request."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from adly_gateway.handlers.ports import ApiKeyRecord
from adly_kit.db import safe_schema


class ReadModelWriter:
    """The `IdentityRecords` port: upserts of the read model, in the consumer's transaction."""

    def __init__(self, schema: str) -> None:
        self.s = safe_schema(schema)

    async def workspace_created(self, tx: AsyncConnection, workspace_id: UUID) -> None:
        await tx.execute(
            text(f"INSERT INTO {self.s}.workspaces (id) VALUES (:ws) ON CONFLICT (id) DO NOTHING"), {"ws": workspace_id}
        )

    async def workspace_deleted(self, tx: AsyncConnection, workspace_id: UUID) -> None:
        await tx.execute(
            text(
                f"INSERT INTO {self.s}.workspaces (id, deleted, deleted_at) VALUES (:ws, true, now()) "
                "ON CONFLICT (id) DO UPDATE SET deleted = true, deleted_at = now()"
            ),
            {"ws": workspace_id},
        )
        await tx.execute(text(f"DELETE FROM {self.s}.memberships WHERE workspace_id = :ws"), {"ws": workspace_id})
        await tx.execute(
            text(f"UPDATE {self.s}.api_keys SET revoked = true, revoked_at = now() WHERE workspace_id = :ws AND NOT revoked"),
            {"ws": workspace_id},
        )

    async def set_member(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID, role: str) -> None:
        await tx.execute(
            text(
                f"INSERT INTO {self.s}.memberships (workspace_id, user_id, role) VALUES (:ws, :user, :role) "
                "ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = EXCLUDED.role, updated_at = now()"
            ),
            {"ws": workspace_id, "user": user_id, "role": role},
        )

    async def remove_member(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID) -> None:
        await tx.execute(
            text(f"DELETE FROM {self.s}.memberships WHERE workspace_id = :ws AND user_id = :user"),
            {"ws": workspace_id, "user": user_id},
        )

    async def api_key_created(self, tx: AsyncConnection, key_id: UUID, workspace_id: UUID, role: str, secret_sha256: str) -> None:
        await tx.execute(
            text(
                f"INSERT INTO {self.s}.api_keys (id, workspace_id, role, secret_sha256) VALUES (:id, :ws, :role, :hash) "
                "ON CONFLICT (id) DO NOTHING"
            ),
            {"id": key_id, "ws": workspace_id, "role": role, "hash": secret_sha256},
        )

    async def api_key_revoked(self, tx: AsyncConnection, key_id: UUID) -> None:
        # A revocation may overtake its creation only across a replay; the row stays revoked either way.
        await tx.execute(
            text(f"UPDATE {self.s}.api_keys SET revoked = true, revoked_at = now() WHERE id = :id"), {"id": key_id}
        )

    async def session_revoked(self, tx: AsyncConnection, sid: str, user_id: UUID, at: datetime) -> None:
        await tx.execute(
            text(
                f"INSERT INTO {self.s}.revoked_sessions (sid, user_id, at) VALUES (:sid, :user, :at) "
                "ON CONFLICT (sid) DO NOTHING"
            ),
            {"sid": sid, "user": user_id, "at": at},
        )


def member_query(s: str) -> str:
    """One row: the user's role in the workspace (or NULL) and whether the session is revoked.

    Parameters $1 workspace id, $2 user id, $3 session id; `s` a checked schema name."""
    return (
        f"SELECT (SELECT role FROM {s}.memberships WHERE workspace_id = $1 AND user_id = $2) AS role, "
        f"EXISTS (SELECT 1 FROM {s}.revoked_sessions WHERE sid = $3) AS revoked"
    )


class ReadModel:
    """The `Directory` port: per-request lookups on the edge's asyncpg pool (one round trip each)."""

    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self.pool = pool
        s = safe_schema(schema)
        self._user = member_query(s)
        self._key = (
            f"SELECT k.workspace_id, k.role, k.secret_sha256, "
            f"NOT k.revoked AND NOT EXISTS (SELECT 1 FROM {s}.workspaces w WHERE w.id = k.workspace_id AND w.deleted) AS usable "
            f"FROM {s}.api_keys k WHERE k.id = $1"
        )

    async def user(self, user_id: UUID, workspace_id: UUID | None, sid: str | None) -> tuple[str | None, bool]:
        """(role in `workspace_id` or None, session revoked)."""
        row = await self.pool.fetchrow(self._user, workspace_id, user_id, sid)
        return row["role"], bool(row["revoked"])

    async def api_key(self, key_id: UUID) -> ApiKeyRecord | None:
        row = await self.pool.fetchrow(self._key, key_id)
        if row is None:
            return None
        return ApiKeyRecord(row["workspace_id"], row["role"], row["secret_sha256"], bool(row["usable"]))
