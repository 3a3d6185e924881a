"""Idempotency keys (Stripe semantics) in the gateway schema.

`begin` claims (principal, key) with one `INSERT … ON CONFLICT DO UPDATE … WHERE expired`:
exactly one of any number of concurrent requests, on any gateway process, gets the row
and runs; the others see it running (409), finished (replay, or 422 if the body differs).
A claim whose owner died is taken over once `locked_until` passes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import asyncpg

from adly_kit.db import safe_schema

Outcome = Literal["claimed", "running", "mismatch", "replay"]


@dataclass(frozen=True)
class Stored:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Claim:
    outcome: Outcome
    stored: Stored | None = None


class IdempotencyStore:
    def __init__(self, pool: asyncpg.Pool, schema: str, *, retention_seconds: int, lock_seconds: float) -> None:
        self.pool = pool
        self.retention = float(retention_seconds)
        self.lock = float(lock_seconds)
        s = safe_schema(schema)
        self._claim = f"""
            INSERT INTO {s}.idempotency_keys AS i (principal, key, fingerprint, state, locked_until, expires_at)
            VALUES ($1, $2, $3, 'running', now() + make_interval(secs => $4), now() + make_interval(secs => $5))
            ON CONFLICT (principal, key) DO UPDATE SET
                fingerprint = EXCLUDED.fingerprint, state = 'running', status = NULL, headers = NULL, body = NULL,
                locked_until = EXCLUDED.locked_until, created_at = now(), expires_at = EXCLUDED.expires_at
            WHERE i.expires_at < now() OR (i.state = 'running' AND i.locked_until < now())
            RETURNING true AS claimed
        """
        self._read = f"SELECT fingerprint, state, status, headers::text AS headers, body FROM {s}.idempotency_keys WHERE principal = $1 AND key = $2"
        self._finish = f"""
            UPDATE {s}.idempotency_keys SET state = 'done', status = $4, headers = $5::jsonb, body = $6
            WHERE principal = $1 AND key = $2 AND fingerprint = $3 AND state = 'running'
        """
        self._release = f"DELETE FROM {s}.idempotency_keys WHERE principal = $1 AND key = $2 AND fingerprint = $3 AND state = 'running'"
        self._cleanup = f"DELETE FROM {s}.idempotency_keys WHERE expires_at < now()"

    async def begin(self, principal: str, key: str, fingerprint: str) -> Claim:
        claimed = await self.pool.fetchval(self._claim, principal, key, fingerprint, self.lock, self.retention)
        if claimed:
            return Claim("claimed")
        row = await self.pool.fetchrow(self._read, principal, key)
        if row is None:  # expired and cleaned up between the two statements: try once more
            return await self.begin(principal, key, fingerprint)
        if row["fingerprint"] != fingerprint:
            return Claim("mismatch")
        if row["state"] == "running":
            return Claim("running")
        return Claim("replay", Stored(row["status"], json.loads(row["headers"] or "{}"), bytes(row["body"] or b"")))

    async def finish(self, principal: str, key: str, fingerprint: str, response: Stored) -> None:
        await self.pool.execute(
            self._finish, principal, key, fingerprint, response.status, json.dumps(response.headers), response.body
        )

    async def release(self, principal: str, key: str, fingerprint: str) -> None:
        """Forget a claim whose request never reached the upstream, so a retry may run."""
        await self.pool.execute(self._release, principal, key, fingerprint)

    async def cleanup(self) -> int:
        result = await self.pool.execute(self._cleanup)
        return int(result.split()[-1])
