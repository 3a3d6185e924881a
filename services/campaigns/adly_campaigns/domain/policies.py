"""A workspace's campaign policies: who approves before publishing, and which budget
increases need a fresh two-factor proof (`budget.increase_above_threshold`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from adly_events.contracts.campaigns import Budget, BudgetKind, Schedule
from adly_events.contracts.common import Money
from adly_kit.errors import NotAllowed
from adly_kit.permissions import RANK, Role


class TwoFactorRequired(NotAllowed):
    code = "two-factor-required"


@dataclass(frozen=True)
class ApprovalPolicy:
    """`required`: a campaign is approved by someone holding at least `approver_role` before it
    publishes, and by someone other than its author when `not_author`. Not required: whoever may
    write campaigns approves, the author included (approving is then the merchant's own go)."""

    required: bool = False
    approver_role: Role = Role.ADMIN
    not_author: bool = False

    def check_reviewer(self, by: str, role: str | None, author: str | None) -> None:
        if not self.required:
            return
        if role is None or RANK[Role(role)] < RANK[self.approver_role]:
            raise NotAllowed(f"This workspace requires campaigns to be approved by an {self.approver_role.value} "
                             "or above.", code="approver-required")
        if self.not_author and author is not None and by == author:
            raise NotAllowed("This workspace requires someone other than the campaign's author to approve it.",
                             code="approver-required")


@dataclass(frozen=True)
class BudgetPolicy:
    """Raising a budget to more than `threshold` a day (daily budgets, or a lifetime budget spread
    over its days) needs a fresh 2FA proof. Without a threshold, or with one in another currency,
    every increase does: the safe reading of the permission table (docs/campaigns.md)."""

    thresholds: dict[str, Decimal] = field(default_factory=dict)   # currency -> daily amount

    def daily(self, budget: Budget, schedule: Schedule) -> Decimal:
        if budget.kind == BudgetKind.DAILY or schedule.starts_on is None or schedule.ends_on is None:
            return budget.amount.amount
        days = (schedule.ends_on - schedule.starts_on).days + 1
        return budget.amount.amount / max(days, 1)

    def above_threshold(self, previous: Budget, budget: Budget, schedule: Schedule) -> bool:
        if budget.amount.amount <= previous.amount.amount:
            return False
        threshold = self.thresholds.get(budget.amount.currency)
        return threshold is None or self.daily(budget, schedule) > threshold

    def check_increase(self, previous: Budget, budget: Budget, schedule: Schedule, *, two_factor: bool) -> None:
        if self.above_threshold(previous, budget, schedule) and not two_factor:
            limit = self.thresholds.get(budget.amount.currency)
            above = f"above {Money(amount=limit, currency=budget.amount.currency).amount} " \
                    f"{budget.amount.currency} a day" if limit is not None else "without a threshold set"
            raise TwoFactorRequired(f"Raising a budget {above} needs a fresh two-factor proof (X-2FA-Token).")
