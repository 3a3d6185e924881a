"""Events of the analytics context (topics `adly.analytics.<aggregate>`: campaign_performance, figures, rule)."""

from datetime import date
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime, Field

from adly_events.catalog import CATALOG
from adly_events.contracts.common import AdPlatform, Contract, Money


@CATALOG.event("MetricsReported", version=1, context="analytics", aggregate="campaign_performance")
class MetricsReported(Contract):
    """An ad platform reported a campaign's performance for one day."""

    campaign_id: UUID
    platform: AdPlatform
    day: date
    impressions: int = Field(ge=0)
    clicks: int = Field(ge=0)
    spend: Money
    platform_conversions: int = Field(ge=0)


@CATALOG.event("FiguresUpdated", version=1, context="analytics", aggregate="figures")
class FiguresUpdated(Contract):
    """A workspace's figures changed (new or restated performance, an attributed order, a refund):
    what the live socket pushes so a dashboard refreshes what it shows. The aggregate id is the
    update's own (one event per ingested batch); the figures themselves are read through the API."""

    days: list[date] = Field(description="The workspace's days whose figures changed.")
    campaign_ids: list[UUID] = Field(default_factory=list, description="ADLY campaigns whose figures changed.")
    platforms: list[AdPlatform] = Field(default_factory=list)
    cause: str = Field(description="`performance`, `order` or `rebuild`.")


class RuleMetric(StrEnum):
    CPA = "cpa"                                        # spend per ADLY-attributed order, above the threshold
    ROAS = "roas"                                      # ADLY-attributed revenue over spend, below the threshold
    SPEND_WITHOUT_PURCHASE = "spend_without_purchase"  # spend above the threshold and no attributed order
    CTR_DROP = "ctr_drop"                              # CTR fell by at least the threshold, in percent
    ROAS_GAP = "roas_gap"                              # between a campaign's platforms (budget moves)


class RuleActionKind(StrEnum):
    PAUSE = "pause"
    CHANGE_BUDGET = "change_budget"
    NOTIFY = "notify"
    MOVE_BUDGET = "move_budget"                        # between a campaign's platforms, toward the better ROAS


class RuleTarget(Contract):
    """What a firing acts on: an ad (ADLY's id), an ad set (the platform's id), or a whole campaign."""

    level: str = Field(pattern="^(ad|ad_set|campaign)$")
    campaign_id: UUID
    platform: AdPlatform | None = None
    platform_ad_set_id: str | None = None
    ad_id: UUID | None = None


class RuleAction(Contract):
    """`change_budget`: `percent` of the platform's daily budget (negative lowers it), kept within
    `floor` and `ceiling`. `move_budget`: `percent` of `from_platform`'s daily budget to `to_platform`,
    never taking a platform below its `floors` entry; the campaign's total never grows. `max_change`:
    what the rule may still move today (its daily limit less what its earlier firings were allowed)."""

    kind: RuleActionKind
    percent: Decimal | None = None
    floor: Money | None = None
    ceiling: Money | None = None
    max_change: Money | None = None
    from_platform: AdPlatform | None = None
    to_platform: AdPlatform | None = None
    floors: dict[str, Money] = Field(default_factory=dict, description="Per platform (move_budget).")


@CATALOG.event("RuleFired", version=1, context="analytics", aggregate="rule")
class RuleFired(Contract):
    """An automated rule's condition held over its window after a performance update. The aggregate
    id is the rule's; each firing is its next version. Campaigns carries the action out unless
    `dry_run` (then nothing is acted on: the firing is shown, not done)."""

    rule_name: str
    metric: RuleMetric
    threshold: Decimal
    since: date = Field(description="First day of the window the figures cover.")
    until: date
    figures: dict[str, str] = Field(description="The figures that triggered it (decimal strings; money with its currency).")
    target: RuleTarget
    action: RuleAction
    dry_run: bool
    reasoning: str
    fired_at: AwareDatetime
