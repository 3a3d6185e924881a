"""Automated rules (docs/analytics.md, "Rules"): a condition on a metric over a window of days, for
a scope (an ad, an ad set, a campaign, or each ad set of a campaign), and an action (pause, change a
budget within a floor and a ceiling, notify, or move a campaign's budget between its platforms toward
the better attributed ROAS). Evaluation reads the day cells of figures.py and answers the firings:
deterministic, no I/O. Cooldowns and daily limits are judged on the rule's earlier firings (`History`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from adly_analytics.domain.figures import Figures, Key, Totals, rollup
from adly_events.contracts.analytics import RuleAction, RuleActionKind, RuleFired, RuleMetric, RuleTarget
from adly_events.contracts.common import AdPlatform, Money
from adly_kit.errors import InvalidInput

MONEY_METRICS = {RuleMetric.CPA, RuleMetric.SPEND_WITHOUT_PURCHASE}


class Scope(StrEnum):
    AD = "ad"
    AD_SET = "ad_set"
    CAMPAIGN = "campaign"
    AD_SETS_OF_CAMPAIGN = "ad_sets_of_campaign"


class Condition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    metric: RuleMetric
    threshold: Decimal = Field(ge=0, description="An amount (cpa, spend), a multiple (roas, roas_gap) or a percent (ctr_drop).")
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", description="For cpa and spend.")
    days: int = Field(default=3, ge=1, le=90, description="The window: the last N days with figures.")


class ScopeOf(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Scope
    campaign_id: UUID
    platform: AdPlatform | None = None
    platform_ad_set_id: str | None = None
    ad_id: UUID | None = None


class ActionOf(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: RuleActionKind
    percent: Decimal | None = Field(default=None, ge=-90, le=100, description="change_budget, move_budget.")
    floor: Money | None = None
    ceiling: Money | None = None
    floors: dict[AdPlatform, Money] = Field(default_factory=dict, description="move_budget: per platform.")


class RuleSpec(BaseModel):
    """A rule as the merchant writes it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    condition: Condition
    scope: ScopeOf
    action: ActionOf
    dry_run: bool = False
    enabled: bool = True
    cooldown_hours: int = Field(default=24, ge=0, le=24 * 90)
    daily_limit: Money | None = Field(default=None, description="How much budget the rule may move a day.")

    def checked(self) -> RuleSpec:
        """The rule, once the combinations make sense; else InvalidInput naming the field."""
        _check_scope(self.scope)
        _check_condition(self.condition)
        _check_action(self)
        return self


def _check_scope(scope: ScopeOf) -> None:
    if scope.kind == Scope.AD and scope.ad_id is None:
        raise InvalidInput("An ad rule names its ad.", field="scope.ad_id")
    if scope.kind == Scope.AD_SET and (scope.platform is None or not scope.platform_ad_set_id):
        raise InvalidInput("An ad set rule names its platform and the platform's ad set id.",
                           field="scope.platform_ad_set_id")


def _check_condition(condition: Condition) -> None:
    if condition.metric in MONEY_METRICS and condition.currency is None:
        raise InvalidInput("An amount needs its currency.", field="condition.currency")


def _check_action(spec: RuleSpec) -> None:
    action, kind = spec.action, spec.action.kind
    if kind == RuleActionKind.PAUSE and spec.scope.kind == Scope.CAMPAIGN:
        raise InvalidInput("A rule pauses an ad or an ad set; scope it to them.", field="action.kind")
    if kind in (RuleActionKind.CHANGE_BUDGET, RuleActionKind.MOVE_BUDGET) and not action.percent:
        raise InvalidInput("Say by what percent.", field="action.percent")
    if kind == RuleActionKind.CHANGE_BUDGET and spec.scope.kind in (Scope.AD, Scope.CAMPAIGN):
        raise InvalidInput("A budget is an ad set's: scope the rule to an ad set.", field="scope.kind")
    if kind == RuleActionKind.CHANGE_BUDGET and (action.floor is None or action.ceiling is None):
        raise InvalidInput("A budget change stays within a floor and a ceiling.", field="action.floor")
    if action.floor and action.ceiling and (action.floor.currency != action.ceiling.currency
                                            or action.floor.amount > action.ceiling.amount):
        raise InvalidInput("The floor is at most the ceiling, in the same currency.", field="action.ceiling")
    moves = kind == RuleActionKind.MOVE_BUDGET
    if moves != (spec.condition.metric == RuleMetric.ROAS_GAP):
        raise InvalidInput("A budget moves between platforms on a ROAS gap, and only then.", field="condition.metric")
    if moves and (spec.scope.kind != Scope.CAMPAIGN or action.percent is None or action.percent <= 0):
        raise InvalidInput("A move takes a positive percent of a campaign's budget.", field="action.percent")


# -- what a rule remembers of its firings ---------------------------------------------------------

@dataclass(frozen=True)
class History:
    """The rule's earlier firings: when each target last fired, and what it was allowed to move on a day."""

    last_fired: Mapping[str, datetime] = field(default_factory=dict)   # target key -> time
    moved: Mapping[date, Decimal] = field(default_factory=dict)        # day -> amount allowed that day


def target_key(target: RuleTarget) -> str:
    return "/".join(str(v or "") for v in (target.campaign_id, target.platform, target.platform_ad_set_id,
                                           target.ad_id))


@dataclass(frozen=True)
class Decision:
    fired: bool
    figures: dict[str, str]
    reasoning: str
    action: RuleAction | None = None


# -- evaluation -------------------------------------------------------------------------------------

def window(spec: RuleSpec, today: date) -> tuple[date, date]:
    return today - timedelta(days=spec.condition.days - 1), today


def cells_needed(spec: RuleSpec, today: date) -> tuple[date, date]:
    """The days whose cells an evaluation reads: the window, and the one before it for a CTR drop."""
    since, until = window(spec, today)
    return since - timedelta(days=spec.condition.days), until


def evaluate(rule_id: UUID, spec: RuleSpec, cells: Mapping[Key, Totals], *, today: date, now: datetime,
             history: History = History()) -> list[RuleFired]:
    """The firings of one rule over the ad cells of its workspace, its window ending `today` (the
    latest day with figures); a target in its cooldown, or a budget rule over its daily limit, stays quiet."""
    if not spec.enabled:
        return []
    since, until = window(spec, today)
    fired: list[RuleFired] = []
    for target, decision in _decisions(spec, cells, since, until):
        last = history.last_fired.get(target_key(target))
        if not decision.fired or (last is not None and now < last + timedelta(hours=spec.cooldown_hours)):
            continue
        moved = history.moved.get(today, Decimal(0)) + sum((allowance(f) for f in fired), Decimal(0))
        action = _limited(spec, decision.action or RuleAction(kind=spec.action.kind), moved)
        if action is None:
            continue
        fired.append(RuleFired(rule_name=spec.name, metric=spec.condition.metric, threshold=spec.condition.threshold,
                               since=since, until=until, figures=decision.figures, target=target, action=action,
                               dry_run=spec.dry_run, reasoning=decision.reasoning, fired_at=now))
    return fired


def _decisions(spec: RuleSpec, cells: Mapping[Key, Totals], since: date, until: date
               ) -> list[tuple[RuleTarget, Decision]]:
    if spec.action.kind == RuleActionKind.MOVE_BUDGET:
        target = RuleTarget(level="campaign", campaign_id=spec.scope.campaign_id)
        return [(target, rebalance(spec, _platform_figures(spec, cells, since, until)))]
    return [(target, _judge(spec, cells, target, since, until)) for target in _targets(spec, cells, since, until)]


def _targets(spec: RuleSpec, cells: Mapping[Key, Totals], since: date, until: date) -> list[RuleTarget]:
    s = spec.scope
    if s.kind == Scope.AD:
        return [RuleTarget(level="ad", campaign_id=s.campaign_id, ad_id=s.ad_id)]
    if s.kind == Scope.AD_SET:
        return [RuleTarget(level="ad_set", campaign_id=s.campaign_id, platform=s.platform,
                           platform_ad_set_id=s.platform_ad_set_id)]
    if s.kind == Scope.CAMPAIGN:
        return [RuleTarget(level="campaign", campaign_id=s.campaign_id)]
    sets = sorted({(k.platform, k.ad_set_id) for k in cells if k.campaign_id == s.campaign_id
                   and k.platform is not None and k.ad_set_id and k.day is not None and since <= k.day <= until})
    return [RuleTarget(level="ad_set", campaign_id=s.campaign_id, platform=p, platform_ad_set_id=a) for p, a in sets]


def _matches(target: RuleTarget, key: Key) -> bool:
    return (key.campaign_id == target.campaign_id
            and (target.ad_id is None or key.ad_id == target.ad_id)
            and (target.platform is None or key.platform == target.platform)
            and (target.platform_ad_set_id is None or key.ad_set_id == target.platform_ad_set_id))


def _of(cells: Mapping[Key, Totals], target: RuleTarget, since: date, until: date) -> tuple[Figures, int]:
    """The target's figures over the days, and on how many of those days it had figures at all."""
    mine = {k: t for k, t in cells.items() if _matches(target, k)}
    days = {k.day for k, t in mine.items() if k.day is not None and since <= k.day <= until and t.reach_rows > 0}
    found = rollup(mine, by=(), start=since, end=until)
    return next(iter(found.values()), Figures(Totals())), len(days)


def _judge(spec: RuleSpec, cells: Mapping[Key, Totals], target: RuleTarget, since: date, until: date) -> Decision:
    figures, days = _of(cells, target, since, until)
    shown = _shown(figures)
    shown.update(since=since.isoformat(), until=until.isoformat(), days_with_figures=str(days))
    if days < spec.condition.days:
        return Decision(False, shown, f"Figures on {days} of the window's {spec.condition.days} days.")
    if spec.condition.metric == RuleMetric.CTR_DROP:
        before, _ = _of(cells, target, since - timedelta(days=spec.condition.days), since - timedelta(days=1))
        shown["previous_ctr"] = _text(before.ctr)
        return _ctr_drop(spec.condition, figures, before, shown)
    fired, why = _holds(spec.condition, figures)
    return Decision(fired, shown, why, _action(spec))


def _holds(c: Condition, f: Figures) -> tuple[bool, str]:
    spend, t = f.spend, c.threshold
    if c.metric == RuleMetric.ROAS:
        fired = f.roas is not None and spend is not None and spend.amount > 0 and f.roas < t
        return fired, f"ROAS {_text(f.roas)} over {c.days} days, below {t}."
    if spend is None or spend.currency != c.currency:
        return False, f"No spend in {c.currency} over {c.days} days."
    if c.metric == RuleMetric.SPEND_WITHOUT_PURCHASE:
        fired = f.totals.orders <= 0 and spend.amount > t
        return fired, f"Spent {spend.amount} {spend.currency} over {c.days} days with {f.totals.orders} orders."
    # CPA: spend with no order at all is a CPA above any target once the spend alone passes it.
    cpa = f.cpa.amount if f.cpa is not None else None
    fired = cpa > t if cpa is not None else spend.amount > t
    return fired, f"CPA {_text(cpa)} {spend.currency} over {c.days} days ({f.totals.orders} orders), target {t}."


def _ctr_drop(c: Condition, now: Figures, before: Figures, shown: dict[str, str]) -> Decision:
    if now.ctr is None or not before.ctr:
        return Decision(False, shown, "No CTR to compare with the window before.")
    fell = (before.ctr - now.ctr) * 100 / before.ctr
    shown["ctr_change_percent"] = _text(-fell)
    return Decision(fell >= c.threshold, shown, f"CTR fell by {_text(fell)}% against the {c.days} days before.")


def _action(spec: RuleSpec) -> RuleAction:
    a = spec.action
    return RuleAction(kind=a.kind, percent=a.percent, floor=a.floor, ceiling=a.ceiling)


def _limited(spec: RuleSpec, action: RuleAction, moved: Decimal) -> RuleAction | None:
    """A budget action carries what the rule may still move today; nothing left, no firing."""
    if action.kind not in (RuleActionKind.CHANGE_BUDGET, RuleActionKind.MOVE_BUDGET) or spec.daily_limit is None:
        return action
    left = spec.daily_limit.amount - moved
    if left <= 0:
        return None
    return action.model_copy(update={"max_change": Money(amount=left, currency=spec.daily_limit.currency)})


def allowance(event: RuleFired) -> Decimal:
    """What a firing may move (counted against the daily limit); 0 for actions that move no budget
    and for dry runs, which act on nothing."""
    limit = event.action.max_change
    return Decimal(0) if event.dry_run or limit is None else limit.amount


# -- moving a campaign's budget between its platforms ----------------------------------------------

def _platform_figures(spec: RuleSpec, cells: Mapping[Key, Totals], since: date, until: date
                      ) -> dict[AdPlatform, Figures]:
    mine = {k: t for k, t in cells.items() if k.campaign_id == spec.scope.campaign_id and k.platform is not None}
    found = rollup(mine, by=("platform",), start=since, end=until)
    return {k.platform: f for k, f in sorted(found.items(), key=lambda i: str(i[0].platform))
            if k.platform is not None}


def rebalance(spec: RuleSpec, by_platform: Mapping[AdPlatform, Figures]) -> Decision:
    """Toward the better attributed ROAS: when the best platform's ROAS beats the worst's by at least
    the threshold, `percent` of the worst's daily budget goes to the best. Campaigns, which knows the
    budgets, applies it (its `domain/rule_actions.py: shift`): never below the floor, never more than
    `max_change`, the total unchanged."""
    roas = {p: f.roas for p, f in by_platform.items() if f.roas is not None}
    shown = {f"roas_{p.value}": _text(r) for p, r in roas.items()}
    shown.update({f"spend_{p.value}": _money(f.spend) for p, f in by_platform.items()})
    shown.update({f"revenue_{p.value}": _money(f.revenue) for p, f in by_platform.items()})
    if len(roas) < 2:
        return Decision(False, shown, "Fewer than two platforms with an attributed ROAS.")
    ranked = sorted(roas, key=lambda p: (roas[p], p.value))
    worst, best = ranked[0], ranked[-1]
    gap = roas[best] - roas[worst]
    why = (f"{best.value} returned {_text(roas[best])} per unit spent, {worst.value} {_text(roas[worst])} "
           f"(gap {_text(gap)}, threshold {spec.condition.threshold}): {spec.action.percent}% of "
           f"{worst.value}'s daily budget moves to {best.value}, {worst.value} kept at or above its floor, "
           "the campaign's total unchanged.")
    action = RuleAction(kind=RuleActionKind.MOVE_BUDGET, percent=spec.action.percent, from_platform=worst,
                        to_platform=best, floors={p.value: m for p, m in spec.action.floors.items()})
    return Decision(gap >= spec.condition.threshold, shown, why, action)


def _shown(f: Figures) -> dict[str, str]:
    return {"spend": _money(f.spend), "orders": str(f.totals.orders), "revenue": _money(f.revenue),
            "cpa": _money(f.cpa), "roas": _text(f.roas), "ctr": _text(f.ctr),
            "impressions": str(f.totals.impressions), "clicks": str(f.totals.clicks)}


def _money(m: Money | None) -> str:
    return "" if m is None else f"{m.amount.quantize(Decimal('0.01'))} {m.currency}"


def _text(value: Decimal | None) -> str:
    return "" if value is None else str(value.quantize(Decimal("0.0001")))
