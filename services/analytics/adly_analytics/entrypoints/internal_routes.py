"""Service-to-service routes: the notifications service reads a workspace's day for its daily digest
mail. Only its own signed service identity for that workspace gets it
(`adly_kit.identity.service_identity("notifications", workspace_id, key)`); the gateway never routes
`/internal/**`."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from adly_analytics.entrypoints.deps import AdaptersDep, NotificationsService
from adly_analytics.entrypoints.schemas import DigestOut
from adly_analytics.handlers import reading

router = APIRouter(prefix="/internal/analytics", tags=["internal"], include_in_schema=False)


Day = Annotated[date, Query(description="The workspace's day.", examples=["2026-12-05"])]


@router.get("/workspaces/{workspace_id}/digest", response_model=DigestOut)
async def get_digest(workspace_id: UUID, day: Day, _: NotificationsService, a: AdaptersDep) -> DigestOut:
    """The day's figures (as the overview of that day) and its top 5 campaigns; a day without data is zeros."""
    async with a.engine.connect() as tx:
        return DigestOut.of(await reading.digest(tx, a, workspace_id, day))
