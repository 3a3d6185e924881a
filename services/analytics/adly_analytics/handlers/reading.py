"""What the dashboard asks: the overview of a period beside the one before, a time series by day
or hour, breakdowns, and a day for the daily digest mail. All read from the cells (never the raw facts); the domain rolls them up
and recomputes the ratios. Days are the workspace's."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_analytics.adapters.container import Adapters
from adly_analytics.domain.digest import TOP_CAMPAIGNS, Digest
from adly_analytics.domain.figures import Change, Figures, Key, Totals, compare, previous_period
from adly_analytics.handlers.ports import Grain
from adly_events.contracts.common import AdPlatform
from adly_kit.errors import InvalidInput

MAX_DAYS = 366


class By(StrEnum):
    PLATFORM = "platform"
    CAMPAIGN = "campaign"
    AD_SET = "ad_set"
    AD = "ad"
    PRODUCT = "product"


DIMENSIONS: dict[By, tuple[str, ...]] = {
    By.PLATFORM: ("platform",),
    By.CAMPAIGN: ("campaign_id",),
    By.AD_SET: ("platform", "campaign_id", "ad_set_id"),
    By.AD: ("platform", "campaign_id", "ad_set_id", "ad_id"),
    By.PRODUCT: ("product",),
}


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @classmethod
    def of(cls, since: date, until: date) -> Period:
        if since > until:
            raise InvalidInput("`since` is after `until`.", field="query/since")
        if (until - since).days + 1 > MAX_DAYS:
            raise InvalidInput(f"A period is at most {MAX_DAYS} days.", field="query/until")
        return cls(since, until)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class Overview:
    period: Period
    previous: Period
    figures: Figures
    before: Figures
    changes: dict[str, Change]
    reach: int | None


@dataclass(frozen=True)
class Point:
    day: date
    hour: int | None
    figures: Figures


@dataclass(frozen=True)
class Page:
    rows: list[tuple[Key, Figures]]
    next_cursor: str | None


async def overview(tx: AsyncConnection, a: Adapters, workspace_id: UUID, period: Period) -> Overview:
    before = Period(*previous_period(period.start, period.end))
    now, then = [await period_figures(tx, a, workspace_id, p) for p in (period, before)]
    reach = await a.cells.reach(tx, workspace_id, period.start, period.end) if now.totals.reach_rows == 1 else None
    return Overview(period, before, now, then, compare(now, then), reach)


async def period_figures(tx: AsyncConnection, a: Adapters, workspace_id: UUID, period: Period) -> Figures:
    """The whole workspace over the period (the overview's `current`)."""
    sums = await a.cells.sums(tx, workspace_id, "workspace", (), period.start, period.end)
    return Figures(next(iter(sums.values()), Totals()))


async def digest(tx: AsyncConnection, a: Adapters, workspace_id: UUID, day: date) -> Digest:
    """One day for the daily digest mail: the overview's figures and the by-campaign breakdown's top."""
    period = Period(day, day)
    # One more than shown: the group of orders credited to no campaign may be among them.
    top = await breakdown(tx, a, workspace_id, period, By.CAMPAIGN, limit=TOP_CAMPAIGNS + 1)
    return Digest.of(workspace_id, day, await period_figures(tx, a, workspace_id, period),
                     [(key.campaign_id, figures) for key, figures in top.rows])


async def daily(tx: AsyncConnection, a: Adapters, workspace_id: UUID, period: Period, *,
                platform: AdPlatform | None = None, campaign_id: UUID | None = None) -> list[Point]:
    """Every day of the period, a day with nothing in it as zeros."""
    whole = platform is None and campaign_id is None
    sums = await a.cells.sums(tx, workspace_id, "workspace" if whole else "ad", ("day",), period.start, period.end,
                              platform=platform, campaign_id=campaign_id)
    days = {key.day: Figures(totals) for key, totals in sums.items()}
    return [Point(day, None, days.get(day, Figures(Totals()))) for day in period.days()]


async def hourly(tx: AsyncConnection, a: Adapters, workspace_id: UUID, period: Period, *,
                 platform: AdPlatform | None = None, campaign_id: UUID | None = None) -> list[Point]:
    """The hours the platforms reported (today's, from hourly campaign rows), in order."""
    hours = await a.cells.hours(tx, workspace_id, period.start, period.end, platform=platform, campaign_id=campaign_id)
    return [Point(day, hour, Figures(totals)) for (day, hour), totals in sorted(hours.items())]


async def breakdown(tx: AsyncConnection, a: Adapters, workspace_id: UUID, period: Period, by: By, *,
                    platform: AdPlatform | None = None, campaign_id: UUID | None = None,
                    limit: int = 50, cursor: str | None = None) -> Page:
    """Groups by attributed revenue, then spend, largest first (ties by key); `cursor` continues."""
    grain: Grain = "product" if by is By.PRODUCT else "ad"
    if by is By.PRODUCT and (platform is not None or campaign_id is not None):
        raise InvalidInput("Products are broken down over the whole workspace.", field="query/by")
    start = _offset(cursor)
    groups, more = await a.cells.ranked(tx, workspace_id, grain, DIMENSIONS[by], period.start, period.end,
                                        offset=start, limit=limit, platform=platform, campaign_id=campaign_id)
    return Page([(key, Figures(totals)) for key, totals in groups], _cursor(start + limit) if more else None)


def largest(item: tuple[Key, Figures]) -> tuple[Decimal, Decimal, str]:
    """The breakdown's order (the cells' `ranked` sorts by it in SQL): attributed revenue, then spend,
    largest first (a figure in several currencies as 0), then the key."""
    key, figures = item
    revenue, spend = figures.revenue, figures.spend
    return (-(revenue.amount if revenue else Decimal(0)), -(spend.amount if spend else Decimal(0)),
            "|".join("" if v is None else str(v) for v in (key.platform, key.campaign_id, key.ad_set_id, key.ad_id,
                                                             key.product)))


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if text.startswith("o:") and int(text[2:]) >= 0:
            return int(text[2:])
    except (ValueError, UnicodeDecodeError):
        pass
    raise InvalidInput("This cursor is not one a page gave.", field="query/cursor")
