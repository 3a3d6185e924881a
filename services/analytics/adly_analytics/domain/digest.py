"""A workspace's day as its daily digest mail tells it (docs/analytics.md, "The daily digest"): the
day's figures and its top campaigns, all money in the one currency of the day. Nothing is converted
(no rates yet): an amount in another currency than the day's, or in several, is None."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from adly_analytics.domain.figures import Amounts, Figures

TOP_CAMPAIGNS = 5


@dataclass(frozen=True)
class CampaignLine:
    campaign_id: UUID
    name: str | None        # analytics keeps no campaign names yet
    spend: Decimal | None
    revenue: Decimal | None
    orders: int
    roas: Decimal | None


@dataclass(frozen=True)
class Digest:
    workspace_id: UUID
    day: date
    currency: str | None    # None on a day with no money, or with money in several currencies
    spend: Decimal | None
    revenue: Decimal | None
    orders: int
    roas: Decimal | None
    impressions: int
    clicks: int
    campaigns: tuple[CampaignLine, ...]

    @classmethod
    def of(cls, workspace_id: UUID, day: date, figures: Figures,
           campaigns: list[tuple[UUID | None, Figures]]) -> Digest:
        """`campaigns` in the breakdown's order (largest attributed revenue, then spend); the group of
        orders credited to no campaign (id None) is not a campaign and is left out."""
        t, currency = figures.totals, currency_of(figures)
        lines = tuple(_line(c, f, currency) for c, f in campaigns if c is not None)[:TOP_CAMPAIGNS]
        return cls(workspace_id, day, currency, amount_in(t.spend, currency), amount_in(t.revenue, currency),
                   t.orders, figures.roas, t.impressions, t.clicks, lines)


def currency_of(figures: Figures) -> str | None:
    """The one currency the day's spend and attributed revenue are in."""
    t = figures.totals
    found = {c for c, _ in t.spend.by_currency} | {c for c, _ in t.revenue.nonzero().by_currency}
    return next(iter(found)) if len(found) == 1 else None


def amount_in(amounts: Amounts, currency: str | None) -> Decimal | None:
    """Nothing is 0; one amount in `currency` is that amount; anything else is None."""
    found = amounts.nonzero().by_currency
    if not found:
        return Decimal(0)
    return found[0][1] if len(found) == 1 and found[0][0] == currency else None


def _line(campaign_id: UUID, figures: Figures, currency: str | None) -> CampaignLine:
    t = figures.totals
    return CampaignLine(campaign_id, None, amount_in(t.spend, currency), amount_in(t.revenue, currency), t.orders,
                        figures.roas)
