"""The dashboard's figures: overview, time series and breakdowns of one workspace (analytics.read).
Dates are the workspace's days; a period is at most 366 days."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query

from adly_analytics.entrypoints.deps import AdaptersDep, AnalyticsRead
from adly_analytics.entrypoints.schemas import BreakdownOut, OverviewOut, TimeseriesOut
from adly_analytics.handlers import reading
from adly_analytics.handlers.reading import By, Period
from adly_events.contracts.common import AdPlatform

router = APIRouter(prefix="/v1/workspaces/{workspace_id}/analytics", tags=["analytics"])

Since = Annotated[date, Query(description="First day, in the workspace's days.", examples=["2026-11-01"])]
Until = Annotated[date, Query(description="Last day (included).", examples=["2026-11-30"])]
CampaignFilter = Annotated[UUID | None, Query(description="Only this ADLY campaign.")]
PlatformFilter = Annotated[AdPlatform | None, Query(description="Only this ad platform.")]


@router.get("/overview", response_model=OverviewOut)
async def get_overview(workspace_id: UUID, since: Since, until: Until, _: AnalyticsRead, a: AdaptersDep) -> OverviewOut:
    """Totals of the period, beside the period of the same length just before it."""
    period = Period.of(since, until)
    async with a.engine.connect() as tx:
        return OverviewOut.of(await reading.overview(tx, a, workspace_id, period))


@router.get("/timeseries", response_model=TimeseriesOut)
async def get_timeseries(workspace_id: UUID, since: Since, until: Until, _: AnalyticsRead, a: AdaptersDep,
                         granularity: Literal["day", "hour"] = "day", campaign_id: CampaignFilter = None,
                         platform: PlatformFilter = None) -> TimeseriesOut:
    """Each day of the period (zeros included), or the hours the platforms reported (today's)."""
    period = Period.of(since, until)
    read = reading.daily if granularity == "day" else reading.hourly
    async with a.engine.connect() as tx:
        points = await read(tx, a, workspace_id, period, platform=platform, campaign_id=campaign_id)
    return TimeseriesOut.of(granularity, points)


@router.get("/breakdown", response_model=BreakdownOut)
async def get_breakdown(workspace_id: UUID, by: By, since: Since, until: Until, _: AnalyticsRead, a: AdaptersDep,
                        campaign_id: CampaignFilter = None, platform: PlatformFilter = None,
                        limit: Annotated[int, Query(ge=1, le=200)] = 50,
                        cursor: Annotated[str | None, Query(description="`next_cursor` of the page before.")] = None,
                        ) -> BreakdownOut:
    """Figures per platform, campaign, ad set, ad or product, largest attributed revenue first.
    Orders credited to no ad come as a group whose platform and campaign are null."""
    period = Period.of(since, until)
    async with a.engine.connect() as tx:
        page = await reading.breakdown(tx, a, workspace_id, period, by, platform=platform, campaign_id=campaign_id,
                                       limit=limit, cursor=cursor)
    return BreakdownOut.of(by.value, page)
