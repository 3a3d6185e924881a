"""Job commands: accept a request (from the API or a CreativesRequested event), cancel a job."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_creative.adapters.container import Adapters
from adly_creative.domain.job import GenerationJob
from adly_creative.domain.limits import Refusal, month_start, refusal_at_acceptance
from adly_creative.domain.plan import JobSpec, Modalities
from adly_creative.domain.ports import ImageFormat
from adly_events import EventEnvelope
from adly_events.contracts.campaigns import CreativesRequested
from adly_events.contracts.common import AdPlatform
from adly_kit.errors import InvalidInput, LimitReached, NotFound

log = logging.getLogger(__name__)
INVALID_REQUEST = "invalid_request"


async def accept(tx: AsyncConnection, a: Adapters, spec: JobSpec, *, record_refusal: bool,
                 causation_id: UUID | None = None) -> GenerationJob:
    """Accept a job within the workspace's quota and cap. A refusal is recorded as the
    job's CreativeGenerationFailed (`record_refusal`, for events: the requester learns it
    from the bus) or raised as LimitReached (for the API: the caller learns it now)."""
    job = await a.jobs.load(tx, spec.job_id)
    if job.exists:
        return job
    job.workspace_id = spec.workspace_id
    refusal = _invalid(spec) or await _over_limits(tx, a, spec.workspace_id)
    if refusal is not None and not record_refusal:
        if refusal.code == INVALID_REQUEST:
            spec.validate()
        raise LimitReached(refusal.reason, code=refusal.code.replace("_", "-"))
    await a.jobs.save(tx, job, job.accept(spec, refusal), causation_id=causation_id)
    if refusal is None:
        await a.queue.enqueue(tx, job.id, spec.workspace_id)
    return job


def _invalid(spec: JobSpec) -> Refusal | None:
    try:
        spec.validate()
    except InvalidInput as error:
        return Refusal(INVALID_REQUEST, str(error))
    return None


async def _over_limits(tx: AsyncConnection, a: Adapters, workspace_id: UUID) -> Refusal | None:
    await a.usage.lock_workspace(tx, workspace_id)
    settings = await a.workspace_settings.get(tx, workspace_id)
    limits = settings.limits(a.settings.default_monthly_job_quota, a.settings.default_monthly_spend_cap_usd)
    now = datetime.now(UTC)
    usage = await a.usage.month_usage(tx, workspace_id, month_start(now))
    return refusal_at_acceptance(limits, usage, now)


async def cancel(tx: AsyncConnection, a: Adapters, workspace_id: UUID, job_id: UUID, by: str | None) -> GenerationJob:
    job = await a.jobs.load(tx, job_id)
    if not job.exists or job.workspace_id != workspace_id:
        raise NotFound("No such job.")
    await a.jobs.save(tx, job, job.cancel(by))
    # Finishing the queue row takes the lease away from a worker running the job: its
    # heartbeat notices and stops it at once, not only at the next step.
    await a.queue.finish(tx, job_id)
    return job


async def creatives_requested(tx: AsyncConnection, a: Adapters, event: CreativesRequested,
                              envelope: EventEnvelope) -> GenerationJob | None:
    """Accept the job a campaign asks for. Its first event names the event that caused it; every
    event of the job carries the request id as its correlation id, the one id both sides know."""
    if envelope.workspace_id is None:
        log.warning("CreativesRequested without a workspace ignored", extra={"event_id": str(envelope.event_id)})
        return None
    settings = await a.workspace_settings.get(tx, envelope.workspace_id)
    spec = JobSpec(
        workspace_id=envelope.workspace_id, request_id=event.request_id, product_ids=tuple(event.product_ids),
        platforms=tuple(AdPlatform(p) for p in event.platforms), language=event.language,
        variants=event.variants_per_platform, campaign_id=envelope.aggregate_id, source="event",
        modalities=campaign_outputs(settings.campaign_outputs, a))
    return await accept(tx, a, spec, record_refusal=True, causation_id=envelope.event_id)


def campaign_outputs(configured: Mapping[str, Any] | None, a: Adapters) -> Modalities:
    """What a campaign's request gets: the workspace's choice, else every format, with the
    voice-over and video as the platform settings say."""
    configured = configured or {}
    formats = configured.get("images")
    return Modalities(
        copy_text=configured.get("copy", True),
        images=tuple(ImageFormat(f) for f in formats) if formats is not None else tuple(ImageFormat),
        voice_over=configured.get("voice_over", a.settings.campaign_voice_over),
        video=configured.get("video", a.settings.campaign_video))
