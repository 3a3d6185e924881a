"""GCRA rate limits in an UNLOGGED Postgres table, exact across gateway processes.

Every decision for a request is one statement: an `INSERT … ON CONFLICT DO UPDATE …
RETURNING` over the request's keys (sorted, so two requests lock rows in the same order
and cannot deadlock). The row lock serialises concurrent decisions on one key, whichever
gateway process makes them, and the clock is the database's, so processes need no
synchronised clocks. `allowed` is computed in the same SET from the old row, so the
statement both decides and records.

A signed-in user's request also needs the read model (role, session revoked) before its
limits are charged: `MemberAdmission` asks both in the same statement, so the edge's hot
path is one round trip to Postgres.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from uuid import UUID

import asyncpg

from adly_gateway.adapters.read_model import member_query
from adly_gateway.domain.ratelimit import Decision, Limit
from adly_kit.db import safe_schema

# `allowed` and `tat` are both computed from the row as it was; `seen` is the database's now.
_ADMITTED = "GREATEST(r.tat, EXCLUDED.seen) + EXCLUDED.emission - EXCLUDED.seen <= EXCLUDED.win + 1e-9"
_NOW = "(SELECT extract(epoch FROM clock_timestamp())::float8 AS now) AS n"


def _upsert(s: str, source: str, where: str = "true") -> str:
    """Decide and record one limit per row of `source` (columns k key, i emission interval, w window)."""
    return f"""
        INSERT INTO {s}.rate_limits AS r (key, tat, allowed, seen, emission, win)
        SELECT t.k, n.now + t.i, t.i <= t.w + 1e-9, n.now, t.i, t.w
        FROM {source}
        WHERE {where}
        ORDER BY t.k
        ON CONFLICT (key) DO UPDATE SET
            allowed = {_ADMITTED},
            tat = CASE WHEN {_ADMITTED} THEN GREATEST(r.tat, EXCLUDED.seen) + EXCLUDED.emission ELSE r.tat END,
            seen = EXCLUDED.seen, emission = EXCLUDED.emission, win = EXCLUDED.win
        RETURNING r.key, r.tat, r.allowed, r.seen
    """


def _decisions(limits: Sequence[Limit], rows: Sequence[asyncpg.Record]) -> list[Decision]:
    """One decision per limit that was charged, in the order of `limits`."""
    by_key = {row["key"]: row for row in rows if row["key"] is not None}
    return [
        Decision(l.policy, l.quota, bool(by_key[l.key]["allowed"]), float(by_key[l.key]["tat"]), float(by_key[l.key]["seen"]))
        for l in limits if l.key in by_key
    ]


def _arrays(limits: Sequence[Limit]) -> tuple[list[str], list[float], list[float]]:
    return [l.key for l in limits], [l.quota.interval for l in limits], [l.quota.window for l in limits]


class RateLimiter:
    """The `Limiter` port."""

    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self.pool = pool
        s = safe_schema(schema)
        self._decide = _upsert(s, f"unnest($1::text[], $2::float8[], $3::float8[]) AS t(k, i, w), {_NOW}")
        self._cleanup = f"DELETE FROM {s}.rate_limits WHERE tat < extract(epoch FROM clock_timestamp()) - $1"

    async def check(self, limits: list[Limit]) -> list[Decision]:
        """Decide every limit of one request in one statement; order of `limits` is kept."""
        if not limits:
            return []
        return _decisions(limits, await self.pool.fetch(self._decide, *_arrays(limits)))

    async def cleanup(self, idle_seconds: float = 60.0) -> int:
        """Rows whose TAT is in the past carry no state (a fresh row behaves the same)."""
        result = await self.pool.execute(self._cleanup, idle_seconds)
        return int(result.split()[-1])


class MemberAdmission:
    """The `MemberLimiter` port: a user's role and session, and the request's limits, in one statement.

    The read model is read and the limits are charged in one snapshot; the limits named in
    `unless_revoked` are charged only when the session is not revoked, as the two statements
    one after the other would do."""

    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self.pool = pool
        s = safe_schema(schema)
        decide = _upsert(
            s, f"unnest($4::text[], $5::float8[], $6::float8[], $7::bool[]) AS t(k, i, w, u), {_NOW}, member m",
            where="NOT (t.u AND m.revoked)",
        )
        self._admit = f"""
            WITH member AS ({member_query(s)}), decided AS ({decide})
            SELECT m.role, m.revoked, d.key, d.tat, d.allowed, d.seen FROM member m LEFT JOIN decided d ON true
        """

    async def member_and_check(
        self, user_id: UUID, workspace_id: UUID | None, sid: str | None, limits: list[Limit],
        unless_revoked: Collection[str],
    ) -> tuple[str | None, bool, list[Decision]]:
        rows = await self.pool.fetch(self._admit, workspace_id, user_id, sid, *_arrays(limits),
                                     [l.key in unless_revoked for l in limits])
        return rows[0]["role"], bool(rows[0]["revoked"]), _decisions(limits, rows)
