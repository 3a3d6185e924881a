"""Idempotency keys (Stripe semantics) in the gateway schema.

`begin` claims (principal, key) with one `INSERT … ON CONFLICT DO UPDATE … WHERE …`:
exactly one of any number of concurrent requests, on any gateway process, gets the row
and runs; the others see it running (409), finished (replay, or 422 if the body differs).

A key whose request went out and got no answer (`unknown`: the upstream may have acted)
is never released as if the request had not arrived. On a route whose upstream honours the
key itself (`retry_unknown`), a retry with the same body claims it again and is forwarded
again: the upstream answers with what the first request did. Elsewhere the retry gets the
answer stored with the unknown outcome (a 502 or 504). A claim whose owner died (the gateway
was killed mid-request, so its `locked_until` passed while `running`) is just as unknown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import asyncpg

from adly_kit.db import safe_schema

Outcome = Literal["claimed", "running", "mismatch", "replay", "unknown"]


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
        # A new key, or an expired one: a new request. With $6 (the upstream honours keys), also
        # the same request again after an unknown outcome; it keeps its first expiry.
        self._claim = f"""
            INSERT INTO {s}.idempotency_keys AS i (principal, key, fingerprint, state, locked_until, expires_at)
            VALUES ($1, $2, $3, 'running', now() + make_interval(secs => $4), now() + make_interval(secs => $5))
            ON CONFLICT (principal, key) DO UPDATE SET
                fingerprint = EXCLUDED.fingerprint, state = 'running', status = NULL, headers = NULL, body = NULL,
                locked_until = EXCLUDED.locked_until,
                created_at = CASE WHEN i.expires_at < now() THEN now() ELSE i.created_at END,
                expires_at = CASE WHEN i.expires_at < now() THEN EXCLUDED.expires_at ELSE i.expires_at END
            WHERE i.expires_at < now()
               OR ($6 AND i.fingerprint = EXCLUDED.fingerprint
                   AND (i.state = 'unknown' OR (i.state = 'running' AND i.locked_until < now())))
            RETURNING true AS claimed
        """
        self._read = f"""
            SELECT fingerprint, state, status, headers::text AS headers, body, locked_until < now() AS abandoned
            FROM {s}.idempotency_keys WHERE principal = $1 AND key = $2
        """
        self._settle = f"""
            UPDATE {s}.idempotency_keys SET state = $4, status = $5, headers = $6::jsonb, body = $7
            WHERE principal = $1 AND key = $2 AND fingerprint = $3 AND state = 'running'
        """
        self._release = f"DELETE FROM {s}.idempotency_keys WHERE principal = $1 AND key = $2 AND fingerprint = $3 AND state = 'running'"
        self._cleanup = f"DELETE FROM {s}.idempotency_keys WHERE expires_at < now()"

    async def begin(self, principal: str, key: str, fingerprint: str, *, retry_unknown: bool = False) -> Claim:
        claimed = await self.pool.fetchval(self._claim, principal, key, fingerprint, self.lock, self.retention,
                                           retry_unknown)
        if claimed:
            return Claim("claimed")
        row = await self.pool.fetchrow(self._read, principal, key)
        if row is None:  # expired and cleaned up between the two statements: try once more
            return await self.begin(principal, key, fingerprint, retry_unknown=retry_unknown)
        if row["fingerprint"] != fingerprint:
            return Claim("mismatch")
        if row["state"] == "running":
            return Claim("unknown" if row["abandoned"] else "running")
        return Claim("replay", Stored(row["status"], json.loads(row["headers"] or "{}"), bytes(row["body"] or b"")))

    async def finish(self, principal: str, key: str, fingerprint: str, response: Stored) -> None:
        """The upstream answered: every retry gets this answer."""
        await self._store("done", principal, key, fingerprint, response)

    async def unknown(self, principal: str, key: str, fingerprint: str, response: Stored) -> None:
        """The request went out and no answer came back; `response` is what the client was told."""
        await self._store("unknown", principal, key, fingerprint, response)

    async def release(self, principal: str, key: str, fingerprint: str) -> None:
        """Forget a claim whose request never reached the upstream, so a retry may run."""
        await self.pool.execute(self._release, principal, key, fingerprint)

    async def cleanup(self) -> int:
        result = await self.pool.execute(self._cleanup)
        return int(result.split()[-1])

    async def _store(self, state: str, principal: str, key: str, fingerprint: str, response: Stored) -> None:
        await self.pool.execute(self._settle, principal, key, fingerprint, state, response.status,
                                json.dumps(response.headers), response.body)
