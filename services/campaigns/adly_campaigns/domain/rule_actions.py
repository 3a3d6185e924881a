"""What an automated rule's firing (analytics' `RuleFired`) asks of a campaign, decided against the
campaign as it stands: a pause, new budgets, or a request for a person's approval instead (an increase
above the workspace's threshold; a pause of less than the whole campaign, which ADLY cannot do alone).
Analytics decides that a rule fires and which way a budget should go; the amounts are decided here,
where the budgets are known."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from adly_campaigns.domain.campaign import Campaign
from adly_campaigns.domain.policies import BudgetPolicy
from adly_events.contracts.analytics import RuleAction, RuleActionKind, RuleFired
from adly_events.contracts.campaigns import Budget, BudgetKind, PlatformBudget
from adly_events.contracts.common import AdPlatform, Money

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Plan:
    """`pause` or `budgets` to carry out; else `approval` says why a person must decide; all empty: nothing to do."""

    pause: bool = False
    budgets: dict[AdPlatform, Budget] = field(default_factory=dict)
    approval: str | None = None
    why_nothing: str = ""


def plan_for(campaign: Campaign, fired: RuleFired, policy: BudgetPolicy) -> Plan:
    kind = fired.action.kind
    if fired.dry_run or kind == RuleActionKind.NOTIFY:
        return Plan(why_nothing="A dry run or a notification acts on nothing.")
    if kind == RuleActionKind.PAUSE:
        return _pause(campaign, fired)
    budgets = _budgets(campaign, fired)
    if not budgets:
        return Plan(why_nothing="No budget this rule can change.")
    schedule = campaign.current_plan.schedule
    if any(policy.above_threshold(campaign.budget_of(p), b, schedule) for p, b in budgets.items()):
        return Plan(budgets=budgets, approval="An increase above the workspace's threshold needs a person's 2FA.")
    return Plan(budgets=budgets)


def _pause(campaign: Campaign, fired: RuleFired) -> Plan:
    """ADLY pauses whole campaigns: a rule on the campaign's only ad set (or only ad) pauses it."""
    target, live = fired.target, campaign.published_platforms()
    ads = [ad for p in live for ad in campaign.platforms[p].ads.values()]
    whole = (target.level == "campaign"
             or (target.level == "ad_set" and live == [target.platform]
                 and {ad.platform_ad_set_id for ad in ads} == {target.platform_ad_set_id})
             or (target.level == "ad" and [ad.ad_id for ad in ads] == [target.ad_id]))
    if whole:
        return Plan(pause=True)
    return Plan(approval="ADLY pauses whole campaigns; this is one part of the campaign.")


def _budgets(campaign: Campaign, fired: RuleFired) -> dict[AdPlatform, Budget]:
    action, live = fired.action, campaign.published_platforms()
    if action.kind == RuleActionKind.CHANGE_BUDGET:
        platform = fired.target.platform
        if platform not in live:
            return {}
        previous = campaign.budget_of(platform)
        return {platform: Budget(kind=previous.kind, amount=changed_budget(previous.amount, action))}
    daily = {p: campaign.budget_of(p) for p in live if campaign.budget_of(p).kind == BudgetKind.DAILY}
    moved = shift({p: b.amount for p, b in daily.items()}, action)
    return {p: Budget(kind=BudgetKind.DAILY, amount=m) for p, m in moved.items() if m != daily[p].amount}


def changed_budget(budget: Money, action: RuleAction) -> Money:
    """The budget changed by `percent`, within the floor and the ceiling, by at most `max_change`."""
    wanted = budget.amount * (1 + (action.percent or Decimal(0)) / 100)
    if action.floor is not None:
        wanted = max(wanted, action.floor.amount)
    if action.ceiling is not None:
        wanted = min(wanted, action.ceiling.amount)
    if action.max_change is not None:
        limit = action.max_change.amount
        wanted = min(max(wanted, budget.amount - limit), budget.amount + limit)
    return Money(amount=wanted.quantize(CENT, rounding=ROUND_DOWN), currency=budget.currency)


def shift(budgets: dict[AdPlatform, Money], action: RuleAction) -> dict[AdPlatform, Money]:
    """The budgets after a move: the amount leaves `from_platform` (never below its floor, never more than
    `max_change`) and lands on `to_platform`, so the total never grows; unchanged when nothing can move."""
    source, sink = action.from_platform, action.to_platform
    if source is None or sink is None or source not in budgets or sink not in budgets or action.percent is None:
        return dict(budgets)
    have, floor = budgets[source], action.floors.get(source.value)
    amount = have.amount * action.percent / 100
    if floor is not None and floor.currency == have.currency:
        amount = min(amount, have.amount - floor.amount)
    if action.max_change is not None:
        amount = min(amount, action.max_change.amount)
    amount = max(amount.quantize(CENT, rounding=ROUND_DOWN), Decimal(0))
    if amount == 0 or budgets[sink].currency != have.currency:
        return dict(budgets)
    return dict(budgets) | {source: Money(amount=have.amount - amount, currency=have.currency),
                            sink: Money(amount=budgets[sink].amount + amount, currency=have.currency)}


def as_list(budgets: dict[AdPlatform, Budget]) -> list[PlatformBudget]:
    return [PlatformBudget(platform=p, budget=b) for p, b in sorted(budgets.items())]
