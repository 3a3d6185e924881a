"""Automated rules of a workspace (docs/analytics.md, "Rules"). Reading needs `analytics.read`;
writing, `campaigns.write` too (owner, admin, marketer): a rule acts on campaigns. The gateway routes
only GET and POST under /analytics, so a replacement and a deletion are POSTs."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel

from adly_analytics.domain.rules import RuleSpec
from adly_analytics.entrypoints.deps import AdaptersDep, AnalyticsRead, RulesWrite
from adly_analytics.handlers import rules
from adly_analytics.handlers.ports import StoredRule
from adly_kit.db import unit_of_work

router = APIRouter(prefix="/v1/workspaces/{workspace_id}/analytics/rules", tags=["analytics rules"])

EXAMPLE = {"name": "Pause ad sets whose CPA stays above 40 SAR for 3 days",
           "condition": {"metric": "cpa", "threshold": "40", "currency": "SAR", "days": 3},
           "scope": {"kind": "ad_sets_of_campaign", "campaign_id": "0b7e6a52-3f0c-4d55-9d0e-6f1f3c2b8a11"},
           "action": {"kind": "pause"}, "dry_run": False, "cooldown_hours": 24}


class RuleOut(RuleSpec):
    rule_id: UUID
    firings: int

    @classmethod
    def of(cls, rule: StoredRule) -> RuleOut:
        return cls(rule_id=rule.rule_id, firings=rule.version, **dict(rule.spec))


class RulesOut(BaseModel):
    rules: list[RuleOut]


@router.get("", response_model=RulesOut)
async def list_rules(workspace_id: UUID, _: AnalyticsRead, a: AdaptersDep) -> RulesOut:
    async with a.engine.connect() as tx:
        return RulesOut(rules=[RuleOut.of(r) for r in await rules.listed(tx, a, workspace_id)])


@router.post("", response_model=RuleOut, status_code=201,
             openapi_extra={"requestBody": {"content": {"application/json": {"example": EXAMPLE}}}})
async def create_rule(workspace_id: UUID, body: RuleSpec, _: RulesWrite, a: AdaptersDep) -> RuleOut:
    """A new rule; it is evaluated after the workspace's next performance update."""
    async with unit_of_work(a.engine) as tx:
        return RuleOut.of(await rules.create(tx, a, workspace_id, body))


@router.get("/{rule_id}", response_model=RuleOut)
async def get_rule(workspace_id: UUID, rule_id: UUID, _: AnalyticsRead, a: AdaptersDep) -> RuleOut:
    async with a.engine.connect() as tx:
        return RuleOut.of(await rules.one(tx, a, workspace_id, rule_id))


@router.post("/{rule_id}", response_model=RuleOut)
async def replace_rule(workspace_id: UUID, rule_id: UUID, body: RuleSpec, _: RulesWrite, a: AdaptersDep) -> RuleOut:
    """The rule as sent, in place of the one kept (its firings, cooldowns and limits stay)."""
    async with unit_of_work(a.engine) as tx:
        return RuleOut.of(await rules.replace(tx, a, workspace_id, rule_id, body))


@router.post("/{rule_id}/delete", status_code=204)
async def delete_rule(workspace_id: UUID, rule_id: UUID, _: RulesWrite, a: AdaptersDep) -> Response:
    async with unit_of_work(a.engine) as tx:
        await rules.delete(tx, a, workspace_id, rule_id)
    return Response(status_code=204)
