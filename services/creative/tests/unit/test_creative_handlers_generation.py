"""Running a job step by step, driven through adly_creative.handlers on in-memory ports:
each call below is what the runner (entrypoints/runners.py) does in one transaction, or
between two with no transaction open (the providers' work)."""

from __future__ import annotations

import io
import uuid
from decimal import Decimal

import pytest
from PIL import Image

from adly_creative.adapters.offline import PillowImageMaker
from adly_creative.domain.assets import Photo
from adly_creative.domain.configuration import WorkspaceSettings
from adly_creative.domain.plan import JobSpec, Modalities
from adly_creative.domain.ports import CopyResult, CopyVariant, ImageFormat, Money, Usage
from adly_creative.domain.routing import Modality
from adly_creative.handlers import context, generation, jobs
from adly_creative.handlers.router import ProviderRouter
from adly_creative.handlers.steps import StepFailed, StepRunner
from adly_events.contracts.common import AdPlatform
from adly_events.contracts.creative import CreativeGenerated, CreativeGenerationFailed, CreativeJobProgressed
from adly_kit.eventstore import ConcurrencyConflict
from adly_kit.testing.doubles import NO_DATABASE

from .doubles import Studio, studio

PHOTO_URL = "https://cdn.shop.example/oud.jpg"


def jpeg(size: tuple[int, int] = (400, 400)) -> Photo:
    buffer = io.BytesIO()
    Image.new("RGB", size, (180, 90, 30)).save(buffer, format="JPEG")
    return Photo(buffer.getvalue(), "image/jpeg", *size)


class FreeShippingCopy:
    """A keyed copywriter that promises what the product data does not say, and charges for it."""

    name = "openai"

    async def write_copy(self, request):
        variant = CopyVariant("Oud perfume", "Free shipping on our oud today!", None, "SHOP_NOW")
        return CopyResult([variant], Usage(provider="openai", model="fake", cost=Money(Decimal("0.0015"), "USD")))


async def accepted(s: Studio, **modalities) -> uuid.UUID:
    ws = uuid.uuid4()
    product = s.product(ws, image_urls=(PHOTO_URL,))
    spec = JobSpec(workspace_id=ws, request_id=uuid.uuid4(), product_ids=(product.id,), platforms=(AdPlatform.META,),
                   language="en", variants=2, modalities=Modalities(**modalities))
    job = await jobs.accept(NO_DATABASE, s.adapters, spec, record_refusal=False)
    return job.id


async def run(s: Studio, job_id: uuid.UUID, worker: str = "worker-1") -> None:
    """What the runner does with a claimed job: read, gather, start, then step after step."""
    a = s.adapters
    job = await generation.open_job(NO_DATABASE, a, job_id)
    if job is None or job.spec is None:
        return
    inputs = await context.read_inputs(NO_DATABASE, a, job.spec)
    if isinstance(inputs, context.MissingProducts):
        await generation.products_missing(NO_DATABASE, a, job_id, inputs, worker)
        return
    ctx, fetched = await context.gather(a, inputs)
    await context.record_photos(NO_DATABASE, a, job.workspace, fetched)
    started = await generation.start(NO_DATABASE, a, job_id, ctx)
    steps = StepRunner(a, ProviderRouter(a.retry, timeout=30))
    while started is not None and (step := started.next_step()) is not None:
        try:
            outcome, made = await steps.run(started, step, ctx)
        except StepFailed as failed:
            await generation.step_failed(NO_DATABASE, a, job_id, step, failed)
            return
        if not await generation.record_step(NO_DATABASE, a, started, step, outcome, made, ctx):
            return


async def test_a_job_runs_each_step_with_the_offline_providers_to_creative_generated():
    s = studio()
    s.photos.photos[PHOTO_URL] = jpeg()
    job_id = await accepted(s, images=(ImageFormat.SQUARE, ImageFormat.STORY), voice_over=True)

    await run(s, job_id)

    assert s.jobs.types(job_id) == ["CreativeJobAccepted", "CreativeJobStarted", *["CreativeJobProgressed"] * 4,
                                    "CreativeGenerated"]
    generated = s.jobs.last(job_id)
    assert isinstance(generated, CreativeGenerated) and generated.providers == ["offline"]
    assert {a.format for a in generated.assets} == {"1:1", "9:16"} and len(generated.copies) == 2
    assert "no voice-over: espeak-ng is not installed" in generated.notes
    assert {a.asset_id for a in generated.assets} <= set(s.assets.rows)
    assert {a.sha256 for a in generated.assets} <= set(s.assets.blobs)
    assert [step for _, _, step, _ in s.usage.records] == ["p0/copy/meta", "p0/image/1:1", "p0/image/9:16"]
    assert s.queue.rows[job_id].state == "finished" and s.queue.rows[job_id].attempts == 1
    assert s.photos.fetched == [PHOTO_URL] and len(s.assets.photo_cache) == 1


async def test_a_second_job_uses_the_cached_photo_instead_of_fetching_it_again():
    s = studio()
    s.photos.photos[PHOTO_URL] = jpeg()
    first = await accepted(s, copy_text=False, images=(ImageFormat.SQUARE,))
    await run(s, first)
    ws = s.jobs.events[first][0].workspace_id
    assert ws is not None
    product = next(iter(s.products.rows.values()))[1]
    assert product is not None
    spec = JobSpec(workspace_id=ws, request_id=uuid.uuid4(), product_ids=(product.id,), platforms=(AdPlatform.META,),
                   language="en", modalities=Modalities(copy_text=False, images=(ImageFormat.PORTRAIT,)))
    second = await jobs.accept(NO_DATABASE, s.adapters, spec, record_refusal=False)

    await run(s, second.id)

    assert s.jobs.types(second.id)[-1] == "CreativeGenerated"
    assert s.photos.fetched == [PHOTO_URL]


async def test_a_photo_the_store_refuses_is_noted_and_the_job_goes_on():
    s = studio()
    job_id = await accepted(s, copy_text=False, images=(ImageFormat.SQUARE,))

    await run(s, job_id)

    generated = s.jobs.last(job_id)
    assert isinstance(generated, CreativeGenerated)
    assert generated.notes == ["a product photo was not used: the store answered 404"]
    assert s.assets.photo_cache == {}


async def test_copy_every_provider_fails_fails_the_job_with_the_reason_and_keeps_what_it_cost():
    s = studio(factories={Modality.TEXT: {"openai": lambda key, url, timeout: FreeShippingCopy()}})
    job_id = await accepted(s, images=())
    ws = s.jobs.events[job_id][0].workspace_id
    assert ws is not None
    s.keys.keys[ws, "openai"] = "sk-test"
    s.settings.settings[ws] = WorkspaceSettings({"text": ["openai"]}, None, None)

    await run(s, job_id)

    failed = s.jobs.last(job_id)
    assert isinstance(failed, CreativeGenerationFailed) and failed.code == "providers_failed"
    assert failed.reason.startswith("OpenAI's copy failed our checks (every variant failed the checks: ")
    assert failed.provider == "openai" and failed.cost.amount == Decimal("0.0015")
    assert [(step, u.cost.amount) for _, _, step, u in s.usage.records] == [("p0/copy/meta", Decimal("0.0015"))]
    assert s.queue.rows[job_id].state == "finished"


async def test_the_spend_cap_stops_a_job_before_a_step_it_cannot_afford():
    s = studio(factories={Modality.IMAGE: {"openai": lambda key, url, timeout: PillowImageMaker()}})
    job_id = await accepted(s, images=(ImageFormat.SQUARE,))
    ws = s.jobs.events[job_id][0].workspace_id
    assert ws is not None
    s.keys.keys[ws, "openai"] = "sk-test"
    s.settings.settings[ws] = WorkspaceSettings({}, None, Decimal("0.10"))

    await run(s, job_id)

    assert s.jobs.types(job_id) == ["CreativeJobAccepted", "CreativeJobStarted", "CreativeJobProgressed",
                                    "CreativeGenerationFailed"]
    failed = s.jobs.last(job_id)
    assert isinstance(failed, CreativeGenerationFailed) and failed.code == "spend_cap_reached"
    assert s.assets.rows == {} and s.queue.rows[job_id].state == "finished"


async def test_a_product_not_there_yet_is_waited_for_then_the_job_fails_saying_so():
    s = studio(product_wait_seconds=30)
    ws, missing = uuid.uuid4(), uuid.uuid4()
    spec = JobSpec(workspace_id=ws, request_id=uuid.uuid4(), product_ids=(missing,), platforms=(AdPlatform.META,),
                   language="en", source="event")
    job_id = (await jobs.accept(NO_DATABASE, s.adapters, spec, record_refusal=True)).id

    await run(s, job_id)
    assert s.queue.rows[job_id].postponed == [generation.PRODUCT_RETRY_SECONDS]
    assert s.jobs.types(job_id) == ["CreativeJobAccepted"]

    s.queue.rows[job_id].age_seconds = 31
    await run(s, job_id)
    failed = s.jobs.last(job_id)
    assert isinstance(failed, CreativeGenerationFailed) and failed.code == "product_unknown"
    assert str(missing) in failed.reason and "sync your store" in failed.reason


async def test_a_job_that_keeps_crashing_its_workers_fails_with_a_reference():
    s = studio(job_max_attempts=2)
    job_id = await accepted(s, images=(ImageFormat.SQUARE,))
    s.queue.rows[job_id].attempts = 2   # two workers took it and died

    await run(s, job_id)

    failed = s.jobs.last(job_id)
    assert isinstance(failed, CreativeGenerationFailed) and failed.code == "internal_error"
    assert str(job_id) in failed.reason and s.queue.rows[job_id].attempts == 3


async def test_a_step_finished_after_a_cancel_cannot_be_recorded():
    s = studio()
    job_id = await accepted(s, images=(ImageFormat.SQUARE,))
    a = s.adapters
    job = await generation.open_job(NO_DATABASE, a, job_id)
    assert job is not None and job.spec is not None
    inputs = await context.read_inputs(NO_DATABASE, a, job.spec)
    assert not isinstance(inputs, context.MissingProducts)
    ctx, _ = await context.gather(a, inputs)
    started = await generation.start(NO_DATABASE, a, job_id, ctx)
    assert started is not None
    step = started.next_step()
    assert step is not None
    outcome, made = await StepRunner(a, ProviderRouter(a.retry, timeout=30)).run(started, step, ctx)

    await jobs.cancel(NO_DATABASE, a, job.workspace, job_id, "user-1")

    with pytest.raises(ConcurrencyConflict):
        await generation.record_step(NO_DATABASE, a, started, step, outcome, made, ctx)
    assert s.jobs.types(job_id)[-1] == "CreativeJobCancelled"
    assert await generation.open_job(NO_DATABASE, a, job_id) is None
    assert not any(isinstance(r.payload, CreativeJobProgressed) for r in s.jobs.events[job_id])
