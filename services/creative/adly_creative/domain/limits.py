"""Per-workspace monthly limits: a number of jobs and a spend cap in US dollars.

A job is refused when it is accepted if the month's quota is used up or the spend cap is
reached; a running job stops before a step whose estimated cost would take the month's
spend over the cap. Months are calendar months in UTC. The cap is checked against
estimates (domain/costs.py) because a provider's real cost is known only after the call,
so the month's spend can end a little above the cap, by at most one step's cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

QUOTA_EXHAUSTED = "quota_exhausted"
SPEND_CAP_REACHED = "spend_cap_reached"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Limits:
    monthly_jobs: int
    monthly_spend_cap_usd: Decimal


@dataclass(frozen=True)
class MonthUsage:
    jobs: int
    spend_usd: Decimal


@dataclass(frozen=True)
class Refusal:
    code: str
    reason: str


def month_start(now: datetime) -> datetime:
    now = now.astimezone(UTC)
    return datetime(now.year, now.month, 1, tzinfo=UTC)


def next_month_start(now: datetime) -> datetime:
    start = month_start(now)
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


def dollars(amount: Decimal) -> str:
    return f"${amount.quantize(CENT):,}"


def spend_cap_reason(limits: Limits) -> str:
    return f"Monthly spend cap of {dollars(limits.monthly_spend_cap_usd)} reached; raise it in Settings > Billing"


def refusal_at_acceptance(limits: Limits, usage: MonthUsage, now: datetime) -> Refusal | None:
    """Why a new job may not start this month, or None when it may."""
    if usage.jobs >= limits.monthly_jobs:
        renews = next_month_start(now)
        return Refusal(QUOTA_EXHAUSTED, f"Monthly quota of {limits.monthly_jobs} creative jobs used up; "
                                        f"it renews on {renews.day} {renews:%B}, or raise it in Settings > Billing")
    if usage.spend_usd >= limits.monthly_spend_cap_usd:
        return Refusal(SPEND_CAP_REACHED, spend_cap_reason(limits))
    return None


def refusal_before_step(limits: Limits, spend_usd: Decimal, estimate_usd: Decimal) -> Refusal | None:
    """A step that costs nothing always runs; one that would go over the cap does not."""
    if estimate_usd > 0 and spend_usd + estimate_usd > limits.monthly_spend_cap_usd:
        return Refusal(SPEND_CAP_REACHED, spend_cap_reason(limits))
    return None
