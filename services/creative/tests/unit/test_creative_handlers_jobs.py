"""Accepting, refusing and cancelling jobs, and a campaign's request starting one, driven
through adly_creative.handlers on in-memory ports (no Postgres, no broker)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from adly_creative.domain.configuration import WorkspaceSettings
from adly_creative.domain.plan import JobSpec, Modalities, job_id_for
from adly_creative.domain.ports import ImageFormat
from adly_creative.handlers import jobs
from adly_events import CATALOG
from adly_events.contracts.campaigns import CreativesRequested
from adly_events.contracts.common import AdPlatform
from adly_events.contracts.creative import CreativeGenerationFailed, CreativeJobAccepted
from adly_kit.errors import Conflict, InvalidInput, LimitReached, NotFound
from adly_kit.testing.doubles import NO_DATABASE

from .doubles import Studio, studio


def spec(workspace_id: uuid.UUID, products: tuple[uuid.UUID, ...] | None = None, **changes) -> JobSpec:
    values = dict(workspace_id=workspace_id, request_id=uuid.uuid4(), product_ids=products or (uuid.uuid4(),),
                  platforms=(AdPlatform.META,), language="en", modalities=Modalities(images=(ImageFormat.SQUARE,)))
    return JobSpec(**(values | changes))


def limited(s: Studio, workspace_id: uuid.UUID, *, quota: int | None = None, cap: str | None = None) -> None:
    s.settings.settings[workspace_id] = WorkspaceSettings({}, quota, Decimal(cap) if cap is not None else None)


async def test_a_job_within_quota_is_accepted_and_queued():
    s, ws = studio(), uuid.uuid4()

    job = await jobs.accept(NO_DATABASE, s.adapters, spec(ws), record_refusal=False)

    assert s.jobs.types(job.id) == ["CreativeJobAccepted"]
    assert s.queue.rows[job.id].state == "queued" and s.usage.locked == [ws]
    accepted = s.jobs.events[job.id][0]
    assert accepted.correlation_id == job.request_id and accepted.causation_id is None


async def test_the_same_request_twice_is_one_job():
    s, ws = studio(), uuid.uuid4()
    request = spec(ws)

    first = await jobs.accept(NO_DATABASE, s.adapters, request, record_refusal=False)
    again = await jobs.accept(NO_DATABASE, s.adapters, request, record_refusal=False)

    assert first.id == again.id == job_id_for(ws, request.request_id)
    assert s.jobs.types(first.id) == ["CreativeJobAccepted"] and len(s.queue.rows) == 1


async def test_the_api_is_refused_with_402_once_the_monthly_quota_is_used_up():
    s, ws = studio(), uuid.uuid4()
    limited(s, ws, quota=1)
    await jobs.accept(NO_DATABASE, s.adapters, spec(ws), record_refusal=False)

    with pytest.raises(LimitReached) as refused:
        await jobs.accept(NO_DATABASE, s.adapters, spec(ws), record_refusal=False)

    assert refused.value.status == 402 and refused.value.code == "quota-exhausted"
    assert str(refused.value).startswith("Monthly quota of 1 creative jobs used up; it renews on 1 ")
    assert len(s.jobs.events) == 1 and len(s.queue.rows) == 1


async def test_an_event_past_the_spend_cap_records_the_refusal_and_queues_nothing():
    s, ws = studio(), uuid.uuid4()
    limited(s, ws, cap="5.00")
    s.usage.spent_before[ws] = Decimal("5.00")

    job = await jobs.accept(NO_DATABASE, s.adapters, spec(ws, source="event"), record_refusal=True)

    failed = s.jobs.last(job.id)
    assert isinstance(failed, CreativeGenerationFailed) and failed.code == "spend_cap_reached"
    assert failed.reason == "Monthly spend cap of $5.00 reached; raise it in Settings > Billing"
    assert s.queue.rows == {}


async def test_an_invalid_request_from_the_api_names_the_field():
    s, ws = studio(), uuid.uuid4()
    product = uuid.uuid4()

    with pytest.raises(InvalidInput) as refused:
        await jobs.accept(NO_DATABASE, s.adapters, spec(ws, (product, product)), record_refusal=False)

    assert refused.value.path == "body/product_ids" and s.jobs.events == {}


async def test_a_cancelled_job_leaves_the_queue_and_cannot_be_cancelled_twice():
    s, ws = studio(), uuid.uuid4()
    job = await jobs.accept(NO_DATABASE, s.adapters, spec(ws), record_refusal=False)

    await jobs.cancel(NO_DATABASE, s.adapters, ws, job.id, "user-1")

    assert s.jobs.types(job.id) == ["CreativeJobAccepted", "CreativeJobCancelled"]
    assert s.queue.rows[job.id].state == "finished"
    with pytest.raises(Conflict, match="cancelled already"):
        await jobs.cancel(NO_DATABASE, s.adapters, ws, job.id, "user-1")


async def test_another_workspaces_job_is_not_found():
    s, ws = studio(), uuid.uuid4()
    job = await jobs.accept(NO_DATABASE, s.adapters, spec(ws), record_refusal=False)

    with pytest.raises(NotFound):
        await jobs.cancel(NO_DATABASE, s.adapters, uuid.uuid4(), job.id, "user-1")

    assert s.jobs.types(job.id) == ["CreativeJobAccepted"]


async def test_a_campaigns_request_starts_a_job_caused_by_the_event_with_the_workspaces_outputs():
    s, ws, campaign = studio(campaign_voice_over=False), uuid.uuid4(), uuid.uuid4()
    s.settings.settings[ws] = WorkspaceSettings({}, None, None, {"copy": True, "images": ["9:16"], "video": True})
    request = CreativesRequested(request_id=uuid.uuid4(), product_ids=[uuid.uuid4()], platforms=[AdPlatform.TIKTOK],
                                 language="ar", variants_per_platform=2)
    envelope = CATALOG.envelope(request, aggregate_id=campaign, aggregate_version=3, workspace_id=ws)

    job = await jobs.creatives_requested(NO_DATABASE, s.adapters, request, envelope)

    assert job is not None and job.id == job_id_for(ws, request.request_id)
    recorded = s.jobs.events[job.id][0]
    assert recorded.causation_id == envelope.event_id and recorded.correlation_id == request.request_id
    accepted = recorded.payload
    assert isinstance(accepted, CreativeJobAccepted)
    assert (accepted.campaign_id, accepted.source, accepted.language) == (campaign, "event", "ar")
    assert accepted.image_formats == ["9:16"] and accepted.video is True
    assert accepted.voice_over is False  # the workspace did not say: the platform's setting
    assert s.queue.rows[job.id].state == "queued"


async def test_a_request_without_a_workspace_is_passed_over():
    s = studio()
    request = CreativesRequested(request_id=uuid.uuid4(), product_ids=[uuid.uuid4()], platforms=[AdPlatform.META],
                                 language="en", variants_per_platform=1)
    envelope = CATALOG.envelope(request, aggregate_id=uuid.uuid4(), aggregate_version=1, workspace_id=None)

    assert await jobs.creatives_requested(NO_DATABASE, s.adapters, request, envelope) is None
    assert s.jobs.events == {} and s.queue.rows == {}
