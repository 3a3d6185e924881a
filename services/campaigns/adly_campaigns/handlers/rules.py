"""Analytics' automated rules carried out: a `RuleFired` (not a dry run) becomes the campaign's own
pause or budget change, recorded as done by `rule:<rule id>`, or a `RuleActionAwaitingApproval` when a
person must decide (docs/campaigns.md, "Automated rules").

It runs in the consumer's transaction, whose inbox row makes a redelivered firing act once. Unlike a
route, the platform is asked while that transaction is open (a consumer has one transaction per event):
the platform calls are set-to-value, so a firing redelivered after a crash between the platform's
answer and the commit sets the same value again and records it once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_campaigns.adapters.container import Adapters
from adly_campaigns.domain.campaign import Campaign
from adly_campaigns.domain.policies import BudgetPolicy
from adly_campaigns.domain.rule_actions import Plan, as_list, plan_for
from adly_campaigns.handlers import steering
from adly_campaigns.handlers.campaigns import load
from adly_events import EventEnvelope
from adly_events.contracts.analytics import RuleFired
from adly_events.contracts.campaigns import Budget, RuleActionAwaitingApproval
from adly_events.contracts.common import AdPlatform, Contract
from adly_kit.errors import DomainError

log = logging.getLogger(__name__)


async def rule_fired(tx: AsyncConnection, a: Adapters, fired: RuleFired, envelope: EventEnvelope) -> str:
    """Answers what was done: `paused`, `budget_changed`, `awaiting_approval` or `nothing`."""
    workspace_id, actor = envelope.workspace_id, f"rule:{envelope.aggregate_id}"
    if fired.dry_run or workspace_id is None:
        return "nothing"
    try:
        campaign = await load(tx, a, workspace_id, fired.target.campaign_id)
        _, policy = await a.policies.of(tx, workspace_id)
        plan = plan_for(campaign, fired, policy)
        if plan.approval is not None:
            await _ask(tx, a, workspace_id, campaign, fired, envelope, plan)
            return "awaiting_approval"
        if plan.pause:
            await _carry_out(tx, a, workspace_id, campaign.id, lambda c: c.pause(actor), steering.switch(False),
                             envelope)
            return "paused"
        if plan.budgets:
            await _carry_out(tx, a, workspace_id, campaign.id, _budget_command(plan.budgets, actor, policy),
                             _budget_operation(plan.budgets), envelope)
            return "budget_changed"
    except DomainError as refused:  # paused already, ended, another workspace's, a platform's refusal
        log.info("rule %s: nothing done on campaign %s: %s", envelope.aggregate_id, fired.target.campaign_id, refused)
    return "nothing"


async def _carry_out(tx: AsyncConnection, a: Adapters, workspace_id: UUID, campaign_id: UUID,
                     command: Callable[[Campaign], list[Contract]],
                     operation: Callable[[Campaign, AdPlatform], steering.Operation | None],
                     envelope: EventEnvelope) -> None:
    change = await steering.decide(tx, a, workspace_id, campaign_id, command, operation)
    try:
        await steering.steer(a, change)
    except steering.Refused as refusal:
        raise await steering.refused(tx, a, change, refusal) from None
    await a.campaigns.save(tx, workspace_id, change.campaign, change.events, causation_id=envelope.event_id,
                           correlation_id=envelope.correlation_id)


def _budget_command(budgets: dict[AdPlatform, Budget], actor: str, policy: BudgetPolicy
                    ) -> Callable[[Campaign], list[Contract]]:
    def command(c: Campaign) -> list[Contract]:
        # Decreases first: a move between platforms never has the campaign above its total.
        ordered = sorted(budgets.items(), key=lambda item: item[1].amount.amount - c.budget_of(item[0]).amount.amount)
        return [e for p, b in ordered for e in c.change_budget(p, b, actor, policy, two_factor=False)]
    return command


def _budget_operation(budgets: dict[AdPlatform, Budget]) -> Callable[[Campaign, AdPlatform], steering.Operation | None]:
    def operation(campaign: Campaign, platform: AdPlatform) -> steering.Operation | None:
        return steering.budget_to(budgets[platform], platform)(campaign, platform) if platform in budgets else None
    return operation


async def _ask(tx: AsyncConnection, a: Adapters, workspace_id: UUID, campaign: Campaign, fired: RuleFired,
               envelope: EventEnvelope, plan: Plan) -> None:
    event = RuleActionAwaitingApproval(
        rule_id=envelope.aggregate_id, rule_event_id=envelope.event_id, action=fired.action.kind.value,
        budgets=as_list(plan.budgets), previous=as_list({p: campaign.budget_of(p) for p in plan.budgets}),
        target_platform_ad_set_id=fired.target.platform_ad_set_id, target_ad_id=fired.target.ad_id,
        reason=plan.approval or "", reasoning=fired.reasoning)
    campaign.apply(event)
    await a.campaigns.save(tx, workspace_id, campaign, [event], causation_id=envelope.event_id,
                           correlation_id=envelope.correlation_id)
