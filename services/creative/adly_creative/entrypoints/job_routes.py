"""Generation jobs and the month's usage: /v1/workspaces/{workspace_id}/creatives/..."""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse

from adly_creative.adapters.container import Adapters
from adly_creative.adapters.jobs import JobView, decode_cursor, encode_cursor
from adly_creative.domain.asset_urls import AssetUrlSigner
from adly_creative.domain.costs import usd
from adly_creative.domain.limits import month_start, next_month_start
from adly_creative.domain.plan import JobSpec, Modalities
from adly_creative.entrypoints.deps import AdaptersDep, CreativesGenerate, CreativesRead
from adly_creative.entrypoints.schemas import AssetOut, CopyOut, Failure, JobOut, JobPage, NewJob, StepOut, UsageOut
from adly_creative.handlers import jobs
from adly_events.contracts.common import Money
from adly_kit.db import unit_of_work
from adly_kit.errors import InvalidInput, NotFound
from adly_kit.eventstore import ConcurrencyConflict

router = APIRouter(prefix="/v1/workspaces/{workspace_id}/creatives", tags=["creatives"])
MAX_PAGE = 100
_KEYED_REQUESTS = UUID("5b0c8f6e-2d0a-4a57-9a53-6f1f3c1b7e21")  # uuid5 namespace of requests named by a key

IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=255,
    description="Names this request: sent again with the same key and body, it is the same job (docs/identity.md).")]


def request_id_of(actor: str, key: str | None, body: NewJob) -> UUID:
    """A job's id follows from (workspace, request id). A request named by the caller's
    Idempotency-Key always has the same request id, so a retry after an unknown outcome (the
    first answer lost when the service died after its commit) is the job the first one made;
    the body is part of it, so a key reused for another request is another job. Without a key,
    every request is new."""
    if key is None:
        return uuid.uuid4()
    body_hash = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    return uuid.uuid5(_KEYED_REQUESTS, f"{actor}\n{key}\n{body_hash}")


def asset_out(asset: dict, signer: AssetUrlSigner, now: float) -> AssetOut:
    url, expires = signer.url(UUID(asset["asset_id"]), now)
    return AssetOut(id=asset["asset_id"], kind=asset["kind"], format=asset["format"], media_type=asset.get("media_type"),
                    width=asset.get("width"), height=asset.get("height"), duration_seconds=asset.get("duration_seconds"),
                    bytes=asset.get("bytes"), sha256=asset["sha256"], product_id=asset.get("product_id"), url=url,
                    url_expires_at=datetime.fromtimestamp(expires, UTC))


def job_out(view: JobView, signer: AssetUrlSigner) -> JobOut:
    now, spec = time.time(), view.spec or {}
    steps = [StepOut(key=key, status="done" if i < view.steps_done else "pending") for i, key in enumerate(view.steps)]
    failure = Failure(reason=view.failure_reason, code=view.failure_code) if view.failure_reason else None
    return JobOut(
        id=view.id, status=view.status, request_id=view.request_id, campaign_id=view.campaign_id, source=view.source,
        product_ids=spec.get("product_ids", []), platforms=spec.get("platforms", []), language=spec.get("language"),
        variants=spec.get("variants_per_platform"),
        modalities={"copy": spec.get("copy_text", False), "images": spec.get("image_formats", []),
                    "voice_over": spec.get("voice_over", False), "video": spec.get("video", False)},
        steps=steps, steps_done=view.steps_done, steps_total=view.steps_total, providers=view.providers,
        cost=Money(amount=usd(view.cost_usd), currency="USD"), copies=[CopyOut(**c) for c in view.copies],
        assets=[asset_out(a, signer, now) for a in view.assets], notes=view.notes, rejected=view.rejected,
        failure=failure, created_at=view.created_at, started_at=view.started_at, finished_at=view.finished_at)


async def _view(a: Adapters, workspace_id: UUID, job_id: UUID) -> JobOut:
    async with a.engine.connect() as conn:
        view = await a.job_queries.get(conn, workspace_id, job_id)
    if view is None:
        raise NotFound("No such job.")
    return job_out(view, a.signer)


@router.post("/jobs", status_code=202, response_model=JobOut)
async def start_job(workspace_id: UUID, body: NewJob, member: CreativesGenerate, a: AdaptersDep,
                    idempotency_key: IdempotencyKey = None):
    """Start a generation job; follow it with GET .../jobs/{id} (or the workspace's live feed)."""
    async with a.engine.connect() as conn:
        missing = await a.products.missing(conn, workspace_id, body.product_ids)
    if missing:
        index = body.product_ids.index(missing[0])
        raise InvalidInput("ADLY does not know this product; sync your store first.", field=f"product_ids/{index}")
    m = body.modalities
    spec = JobSpec(
        workspace_id=workspace_id, request_id=request_id_of(member.actor, idempotency_key, body),
        product_ids=tuple(body.product_ids),
        platforms=tuple(body.platforms), language=body.language, variants=body.variants, campaign_id=body.campaign_id,
        modalities=Modalities(copy_text=m.copy_text, images=tuple(m.images), voice_over=m.voice_over, video=m.video),
        source="api", requested_by=member.actor)
    try:
        async with unit_of_work(a.engine) as tx:
            job = await jobs.accept(tx, a, spec, record_refusal=False)
    except ConcurrencyConflict:
        # The same keyed request at once (a retry racing the request it repeats): the other
        # one committed the job first, and accepting it again finds that job.
        async with unit_of_work(a.engine) as tx:
            job = await jobs.accept(tx, a, spec, record_refusal=False)
    out = await _view(a, workspace_id, job.id)
    location = f"/v1/workspaces/{workspace_id}/creatives/jobs/{job.id}"
    return JSONResponse(out.model_dump(mode="json"), 202, headers={"Location": location})


@router.get("/jobs", response_model=JobPage)
async def list_jobs(workspace_id: UUID, member: CreativesRead, a: AdaptersDep,
                    limit: Annotated[int, Query(description=f"Clamped to 1..{MAX_PAGE}.")] = 20,
                    after: Annotated[str | None, Query(max_length=200)] = None,
                    status: Literal["queued", "running", "succeeded", "failed", "cancelled"] | None = None) -> JobPage:
    """The workspace's jobs, newest first."""
    limit = min(max(limit, 1), MAX_PAGE)
    cursor = decode_cursor(after) if after else None
    if after and cursor is None:
        raise InvalidInput("Not a cursor from a previous page.", field="after")
    async with a.engine.connect() as conn:
        views = await a.job_queries.page(conn, workspace_id, limit, cursor, status)
    items = [job_out(v, a.signer) for v in views]
    return JobPage(items=items, next=encode_cursor(views[-1]) if len(views) == limit else None)


@router.get("/jobs/{job_id}", response_model=JobOut)
async def get_job(workspace_id: UUID, job_id: UUID, member: CreativesRead, a: AdaptersDep) -> JobOut:
    """Status, steps, results (copies, assets with signed URLs), providers, cost, failure reason."""
    return await _view(a, workspace_id, job_id)


@router.post("/jobs/{job_id}/cancel", response_model=JobOut)
async def cancel_job(workspace_id: UUID, job_id: UUID, member: CreativesGenerate, a: AdaptersDep) -> JobOut:
    """Cancel a queued or running job; a running one stops before its next step."""
    async with unit_of_work(a.engine) as tx:
        await jobs.cancel(tx, a, workspace_id, job_id, member.actor)
    return await _view(a, workspace_id, job_id)


@router.get("/usage", response_model=UsageOut)
async def usage(workspace_id: UUID, member: CreativesRead, a: AdaptersDep) -> UsageOut:
    """This month's jobs and spend against the workspace's quota and spend cap (UTC months)."""
    now = datetime.now(UTC)
    async with a.engine.connect() as conn:
        settings = await a.workspace_settings.get(conn, workspace_id)
        used = await a.usage.month_usage(conn, workspace_id, month_start(now))
    limits = settings.limits(a.settings.default_monthly_job_quota, a.settings.default_monthly_spend_cap_usd)
    return UsageOut(month=f"{now:%Y-%m}", jobs=used.jobs, quota=limits.monthly_jobs,
                    jobs_left=max(limits.monthly_jobs - used.jobs, 0), spend=Money(amount=usd(used.spend_usd), currency="USD"),
                    cap=Money(amount=limits.monthly_spend_cap_usd, currency="USD"), renews_at=next_month_start(now))
