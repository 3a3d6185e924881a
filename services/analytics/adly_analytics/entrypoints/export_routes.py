"""Exports of a workspace's figures as streamed CSV (data.export: owner or admin with a fresh
two-factor proof; the gateway checks it and so does this route)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from adly_analytics.adapters.container import Adapters
from adly_analytics.entrypoints.analytics_routes import Since, Until
from adly_analytics.entrypoints.deps import AdaptersDep, DataExport
from adly_analytics.handlers import exports
from adly_analytics.handlers.exports import ExportBy
from adly_analytics.handlers.reading import Period

router = APIRouter(prefix="/v1/workspaces/{workspace_id}/analytics", tags=["analytics"])

CSV_EXAMPLE = ("\ufeffcampaign_id,currency,spend,impressions,clicks,ctr,cpc,cpm,conversions,conversion_value,"
               "platform_roas,orders,revenue,roas,cpa\r\n0b7e6a52-3f0c-4d55-9d0e-6f1f3c2b8a11,SAR,1250.00,84000,2100,"
               "0.0250,0.60,14.88,41,5330.00,4.2640,35,4480.00,3.5840,35.71\r\n")


@router.get("/exports", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {"example": CSV_EXAMPLE}},
                             "description": "UTF-8 CSV with a BOM, one row per group and currency."}})
async def export_figures(workspace_id: UUID, since: Since, until: Until, _: DataExport, a: AdaptersDep,
                         by: ExportBy = ExportBy.DAY) -> StreamingResponse:
    """The period's figures per day, campaign, ad set, ad or product as CSV, streamed as it is read."""
    period = Period.of(since, until)
    name = exports.filename(workspace_id, period, by)
    return StreamingResponse(_streamed(a, workspace_id, period, by), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def _streamed(a: Adapters, workspace_id: UUID, period: Period, by: ExportBy) -> AsyncIterator[bytes]:
    async with a.engine.connect() as tx:
        async for chunk in exports.csv_chunks(tx, a, workspace_id, period, by):
            yield chunk
