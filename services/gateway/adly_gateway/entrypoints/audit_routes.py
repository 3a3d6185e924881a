"""`GET /v1/workspaces/{id}/audit-log`: the mutating calls the gateway recorded, for owners and admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from adly_gateway.entrypoints.deps import EdgeDep, caller_of

router = APIRouter()


class AuditRecord(BaseModel):
    id: int
    at: str
    actor: str | None
    actor_kind: str | None
    method: str
    route: str
    status: int
    request_id: str | None
    ip_hash: str | None


class AuditPage(BaseModel):
    items: list[AuditRecord]
    next_before: int | None = None


@router.get(
    "/v1/workspaces/{workspace_id}/audit-log",
    response_model=AuditPage,
    tags=["gateway"],
    summary="Mutating calls in the workspace, newest first (owners and admins)",
    responses={401: {"description": "Not signed in"}, 403: {"description": "Not an owner or admin"},
               404: {"description": "No such workspace, or not a member"}, 429: {"description": "Rate limited"}},
)
async def audit_log(
    request: Request,
    workspace_id: str,
    edge: EdgeDep,
    limit: Annotated[int, Query(ge=1, description="Page size; values above 100 are clamped to 100.")] = 50,
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="`next_before` of the previous page.")] = None,
) -> JSONResponse:
    admission = await edge.admitter.admit(caller_of(request))
    assert admission.workspace_id is not None, "admission settles the workspace of a workspace route"
    page_size = min(limit, edge.settings.audit_page_max)
    rows = await edge.audit.page(admission.workspace_id, before, page_size)
    next_before = rows[-1]["id"] if len(rows) == page_size and rows else None
    return JSONResponse(
        AuditPage(items=[AuditRecord(**r) for r in rows], next_before=next_before).model_dump(mode="json"),
        headers=admission.rate_headers(),
    )
