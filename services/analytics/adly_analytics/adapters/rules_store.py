"""The workspace's rules and their firings, in the analytics schema (migrations/versions/0003_rules.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from adly_analytics.domain.rules import History, RuleSpec, allowance, target_key
from adly_analytics.handlers.ports import StoredRule
from adly_events.contracts.analytics import RuleFired


class RuleRepository:
    def __init__(self, schema: str) -> None:
        self.s = schema

    async def list(self, tx: AsyncConnection, workspace_id: UUID) -> list[StoredRule]:
        rows = await tx.execute(text(f"SELECT rule_id, spec, version FROM {self.s}.rules WHERE workspace_id = :w "
                                     "ORDER BY created_at, rule_id"), {"w": workspace_id})
        return [StoredRule(r.rule_id, workspace_id, RuleSpec.model_validate(r.spec), r.version) for r in rows]

    async def get(self, tx: AsyncConnection, workspace_id: UUID, rule_id: UUID, *, lock: bool = False
                  ) -> StoredRule | None:
        found = (await tx.execute(text(f"SELECT spec, version FROM {self.s}.rules WHERE rule_id = :r AND "
                                       f"workspace_id = :w{' FOR UPDATE' if lock else ''}"),
                                  {"r": rule_id, "w": workspace_id})).first()
        return None if found is None else StoredRule(rule_id, workspace_id, RuleSpec.model_validate(found.spec),
                                                     found.version)

    async def put(self, tx: AsyncConnection, rule: StoredRule) -> None:
        await tx.execute(text(
            f"INSERT INTO {self.s}.rules (rule_id, workspace_id, spec) VALUES (:r, :w, CAST(:spec AS jsonb)) "
            "ON CONFLICT (rule_id) DO UPDATE SET spec = excluded.spec, updated_at = now()"),
            {"r": rule.rule_id, "w": rule.workspace_id, "spec": rule.spec.model_dump_json()})

    async def delete(self, tx: AsyncConnection, workspace_id: UUID, rule_id: UUID) -> bool:
        done = await tx.execute(text(f"DELETE FROM {self.s}.rules WHERE rule_id = :r AND workspace_id = :w"),
                                {"r": rule_id, "w": workspace_id})
        return bool(done.rowcount)

    async def history(self, tx: AsyncConnection, rule_id: UUID) -> History:
        last = await tx.execute(text(f"SELECT target, max(fired_at) AS at FROM {self.s}.rule_firings "
                                     "WHERE rule_id = :r GROUP BY target"), {"r": rule_id})
        moved = await tx.execute(text(f"SELECT day, sum(allowed) AS allowed FROM {self.s}.rule_firings "
                                      "WHERE rule_id = :r GROUP BY day"), {"r": rule_id})
        return History({r.target: r.at for r in last}, {r.day: Decimal(r.allowed) for r in moved})

    async def fired(self, tx: AsyncConnection, rule_id: UUID, version: int, event_id: UUID, event: RuleFired) -> None:
        await tx.execute(text(
            f"INSERT INTO {self.s}.rule_firings (rule_id, version, target, fired_at, day, allowed, dry_run, event_id) "
            "VALUES (:r, :v, :t, :at, :d, :a, :dry, :e)"),
            {"r": rule_id, "v": version, "t": target_key(event.target), "at": event.fired_at, "d": event.until,
             "a": allowance(event), "dry": event.dry_run, "e": event_id})
        await tx.execute(text(f"UPDATE {self.s}.rules SET version = :v WHERE rule_id = :r"), {"r": rule_id, "v": version})

    async def latest_day(self, tx: AsyncConnection, workspace_id: UUID) -> date | None:
        """The last day the workspace's rollups have performance for (never the raw facts)."""
        return (await tx.execute(text(f"SELECT max(day) FROM {self.s}.cells WHERE workspace_id = :w "
                                      "AND grain = 'workspace' AND rows > 0"), {"w": workspace_id})).scalar()
