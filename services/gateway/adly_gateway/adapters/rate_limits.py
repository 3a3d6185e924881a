"""GCRA rate limits in an UNLOGGED Postgres table, exact across gateway processes.

Every decision for a request is one statement: an `INSERT … ON CONFLICT DO UPDATE …
RETURNING` over the request's keys (sorted, so two requests lock rows in the same order
and cannot deadlock). The row lock serialises concurrent decisions on one key, whichever
gateway process makes them, and the clock is the database's, so processes need no
synchronised clocks. `allowed` is computed in the same SET from the old row, so the
statement both decides and records.
"""

from __future__ import annotations

import asyncpg

from adly_gateway.domain.ratelimit import Decision, Limit
from adly_kit.db import safe_schema


class RateLimiter:
    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self.pool = pool
        s = safe_schema(schema)
        # $1 keys, $2 emission intervals, $3 windows: one element per limit. `seen` is the
        # database's now; `allowed` and `tat` are both computed from the row as it was.
        admitted = "GREATEST(r.tat, EXCLUDED.seen) + EXCLUDED.emission - EXCLUDED.seen <= EXCLUDED.win + 1e-9"
        self._decide = f"""
            INSERT INTO {s}.rate_limits AS r (key, tat, allowed, seen, emission, win)
            SELECT t.k, n.now + t.i, t.i <= t.w + 1e-9, n.now, t.i, t.w
            FROM unnest($1::text[], $2::float8[], $3::float8[]) AS t(k, i, w),
                 (SELECT extract(epoch FROM clock_timestamp())::float8 AS now) AS n
            ORDER BY t.k
            ON CONFLICT (key) DO UPDATE SET
                allowed = {admitted},
                tat = CASE WHEN {admitted} THEN GREATEST(r.tat, EXCLUDED.seen) + EXCLUDED.emission ELSE r.tat END,
                seen = EXCLUDED.seen, emission = EXCLUDED.emission, win = EXCLUDED.win
            RETURNING r.key, r.tat, r.allowed, r.seen
        """
        self._cleanup = f"DELETE FROM {s}.rate_limits WHERE tat < extract(epoch FROM clock_timestamp()) - $1"

    async def check(self, limits: list[Limit]) -> list[Decision]:
        """Decide every limit of one request in one statement; order of `limits` is kept."""
        if not limits:
            return []
        rows = await self.pool.fetch(
            self._decide,
            [l.key for l in limits],
            [l.quota.interval for l in limits],
            [l.quota.window for l in limits],
        )
        by_key = {row["key"]: row for row in rows}
        return [
            Decision(l.policy, l.quota, bool(by_key[l.key]["allowed"]), float(by_key[l.key]["tat"]), float(by_key[l.key]["seen"]))
            for l in limits
        ]

    async def cleanup(self, idle_seconds: float = 60.0) -> int:
        """Rows whose TAT is in the past carry no state (a fresh row behaves the same)."""
        result = await self.pool.execute(self._cleanup, idle_seconds)
        return int(result.split()[-1])
