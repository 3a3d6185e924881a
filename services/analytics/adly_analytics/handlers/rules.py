"""Automated rules: the workspace's rules kept and changed, and evaluated after each performance
update in the consumer's transaction, over the cells (never the raw facts). Each firing is a
`RuleFired` appended to the event store, so the outbox publishes it with everything else."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_analytics.adapters.container import Adapters
from adly_analytics.domain.figures import Key, Totals
from adly_analytics.domain.rules import RuleSpec, cells_needed, evaluate
from adly_analytics.handlers.ports import StoredRule
from adly_events.contracts.analytics import RuleFired
from adly_kit.errors import NotFound
from adly_kit.recording import record


async def listed(tx: AsyncConnection, a: Adapters, workspace_id: UUID) -> list[StoredRule]:
    return await a.rules.list(tx, workspace_id)


async def one(tx: AsyncConnection, a: Adapters, workspace_id: UUID, rule_id: UUID) -> StoredRule:
    found = await a.rules.get(tx, workspace_id, rule_id)
    if found is None:
        raise NotFound("No such rule.")
    return found


async def create(tx: AsyncConnection, a: Adapters, workspace_id: UUID, spec: RuleSpec) -> StoredRule:
    rule = StoredRule(uuid.uuid4(), workspace_id, spec.checked())
    await a.rules.put(tx, rule)
    return rule


async def replace(tx: AsyncConnection, a: Adapters, workspace_id: UUID, rule_id: UUID, spec: RuleSpec) -> StoredRule:
    rule = await one(tx, a, workspace_id, rule_id)
    changed = StoredRule(rule.rule_id, workspace_id, spec.checked(), rule.version)
    await a.rules.put(tx, changed)
    return changed


async def delete(tx: AsyncConnection, a: Adapters, workspace_id: UUID, rule_id: UUID) -> None:
    if not await a.rules.delete(tx, workspace_id, rule_id):
        raise NotFound("No such rule.")


async def performance_updated(tx: AsyncConnection, a: Adapters, workspace_id: UUID, *, now: datetime,
                              causation_id: UUID | None = None, correlation_id: UUID | None = None
                              ) -> list[RuleFired]:
    """Evaluate the workspace's enabled rules over windows ending on its latest day with figures."""
    rules = [rule for rule in await a.rules.list(tx, workspace_id) if rule.spec.enabled]
    today = await a.rules.latest_day(tx, workspace_id) if rules else None
    if today is None:
        return []
    since = min(cells_needed(rule.spec, today)[0] for rule in rules)
    cells = await a.cells.cells(tx, workspace_id, "ad", since, today)
    fired: list[RuleFired] = []
    for rule in rules:
        fired += await _fire(tx, a, rule.rule_id, workspace_id, cells, today, now, causation_id, correlation_id)
    return fired


async def _fire(tx: AsyncConnection, a: Adapters, rule_id: UUID, workspace_id: UUID, cells: dict[Key, Totals],
                today: date, now: datetime, causation_id: UUID | None,
                correlation_id: UUID | None) -> list[RuleFired]:
    # The rule's row is locked first: two updates evaluating it at once take turns, so the second
    # sees the first's firings (cooldown, daily limit) and appends at the next version.
    rule = await a.rules.get(tx, workspace_id, rule_id, lock=True)
    if rule is None:
        return []
    events = evaluate(rule_id, rule.spec, cells, today=today, now=now,
                      history=await a.rules.history(tx, rule_id))
    if not events:
        return []
    envelopes = await record(tx, a.store, events, aggregate_id=rule_id, expected_version=rule.version,
                             workspace_id=workspace_id, causation_id=causation_id, correlation_id=correlation_id)
    for envelope, event in zip(envelopes, events, strict=True):
        await a.rules.fired(tx, rule_id, envelope.aggregate_version, envelope.event_id, event)
    return events
