"""Running jobs: cancellation, resuming after a crash, copy checks that fall back, the
spend cap between steps, products that never arrive. Providers here are in-test doubles
of the ports (domain/ports.py), so each test scripts exactly the trouble it needs.

Where the order of events matters (a cancel while a step is in flight, a worker dying
mid-step), the test runs the job itself instead of the background runner: the gated
provider says when a step is in flight, the test says when the heartbeat beats, and it
ends a lease by ending it, not by waiting for the clock."""

import asyncio
import uuid
from decimal import Decimal
from functools import partial

from adly_creative.adapters.container import open_adapters
from adly_creative.adapters.offline import EspeakSpeaker, FfmpegVideoMaker, OfflineCopywriter, PillowImageMaker
from adly_creative.adapters.provider_registry import ProviderRegistry
from adly_creative.domain.plan import JobSpec, Modalities
from adly_creative.domain.ports import CopyResult, CopyVariant, ImageFormat, Money, Usage
from adly_creative.domain.routing import Modality
from adly_creative.entrypoints.runners import JobRunner
from adly_creative.handlers import jobs
from adly_events.contracts.common import AdPlatform

LONG_LEASE = 120.0   # never runs out during a test: leases end when the test says so


class GatedImages:
    """The offline renderer, held at the gate for the formats in `hold` until it opens."""

    name = "offline"

    def __init__(self, hold: set[ImageFormat]) -> None:
        self.real, self.hold, self.gate = PillowImageMaker(), hold, asyncio.Event()
        self.calls: list[ImageFormat] = []
        self.entered, self.interrupted = asyncio.Event(), 0

    async def make_image(self, request):
        self.calls.append(request.format)
        if request.format in self.hold:
            self.entered.set()
            try:
                await self.gate.wait()
            except asyncio.CancelledError:
                self.interrupted += 1
                raise
        return await self.real.make_image(request)


class CountingCopy(OfflineCopywriter):
    def __init__(self) -> None:
        self.calls = 0

    async def write_copy(self, request):
        self.calls += 1
        return await super().write_copy(request)


class FreeShippingCopy:
    """A copywriter that promises what the product data does not say, at a price."""

    name = "openai"

    async def write_copy(self, request):
        variant = CopyVariant("Oud perfume", "Free shipping on our oud today!", None, "SHOP_NOW")
        return CopyResult([variant, variant], Usage(provider="openai", model="fake", input_tokens=100,
                                                    output_tokens=50, cost=Money(Decimal("0.0015"), "USD")))


def with_providers(text=None, image=None, factories=None):
    offline = {Modality.TEXT: text or OfflineCopywriter(), Modality.IMAGE: image or PillowImageMaker(),
               Modality.SPEECH: EspeakSpeaker(), Modality.VIDEO: FfmpegVideoMaker()}
    return partial(open_adapters, providers=ProviderRegistry(offline, factories or {}))


class Heartbeats:
    """The runner's pause between lease renewals, held until the test lets one beat through."""

    def __init__(self) -> None:
        self.allowed: asyncio.Queue[None] = asyncio.Queue()

    async def pause(self, _seconds: float) -> None:
        await self.allowed.get()

    def beat(self) -> None:
        self.allowed.put_nowait(None)


async def claim(creative, worker: str) -> list[uuid.UUID]:
    async with creative.adapters.engine.begin() as tx:
        return await creative.adapters.worklist.claim(tx, worker)


async def events_of(creative, job_id) -> list[str]:
    return [row[0] for row in await creative.rows(
        "SELECT event_type FROM {s}.events WHERE aggregate_id = :id ORDER BY aggregate_version", id=job_id)]


async def test_a_running_job_cancelled_stops_and_makes_nothing_more(start_creative):
    images, heartbeats = GatedImages(hold={ImageFormat.SQUARE}), Heartbeats()
    async with start_creative(adapters=with_providers(image=images), roles=("api", "relay"),
                              job_lease_seconds=LONG_LEASE) as creative:
        ws = uuid.uuid4()
        product = await creative.product(ws)
        started = await creative.start_job(ws, [product], modalities={"copy": True, "images": ["1:1", "9:16"]})
        job_id = uuid.UUID(started.json()["id"])
        assert await claim(creative, "worker-1") == [job_id]
        working = asyncio.create_task(JobRunner(creative.adapters, pause=heartbeats.pause).work(job_id, "worker-1"))
        await asyncio.wait_for(images.entered.wait(), 20)   # the copy is recorded, the square image in flight

        cancelled = await creative.client.post(f"/v1/workspaces/{ws}/creatives/jobs/{job_id}/cancel",
                                               headers=creative.identity(ws, "marketer"))
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        heartbeats.beat()   # the first renewal after the cancel finds the lease gone and stops the step in flight
        await asyncio.wait_for(working, 20)
        images.gate.set()

        assert images.interrupted == 1 and images.calls == [ImageFormat.SQUARE]
        assert (await events_of(creative, job_id))[-2:] == ["CreativeJobProgressed", "CreativeJobCancelled"]
        job = await creative.job(ws, job_id)
        assert job["status"] == "cancelled" and job["assets"] == [] and len(job["copies"]) == 3
        again = await creative.client.post(f"/v1/workspaces/{ws}/creatives/jobs/{job_id}/cancel",
                                           headers=creative.identity(ws))
        assert again.status_code == 409 and "cancelled already" in again.json()["detail"]


async def test_a_job_whose_worker_died_resumes_from_its_last_finished_step_without_duplicates(start_creative):
    copywriter, images = CountingCopy(), GatedImages(hold={ImageFormat.STORY})
    async with start_creative(adapters=with_providers(text=copywriter, image=images), roles=("api", "relay"),
                              job_lease_seconds=LONG_LEASE) as creative:
        a = creative.adapters
        ws = uuid.uuid4()
        product = await creative.product(ws)
        started = await creative.start_job(ws, [product], modalities={"copy": True, "images": ["1:1", "9:16", "4:5"]})
        job_id = uuid.UUID(started.json()["id"])

        assert await claim(creative, "worker-1") == [job_id]
        dying = asyncio.create_task(JobRunner(a, pause=Heartbeats().pause).work(job_id, "worker-1"))
        await asyncio.wait_for(images.entered.wait(), 20)
        dying.cancel()  # the process is gone: no release, the lease has to run out
        await asyncio.gather(dying, return_exceptions=True)
        assert await claim(creative, "worker-2") == []  # still leased to the dead worker
        await creative.execute("UPDATE {s}.job_queue SET leased_until = now() - interval '1 second' WHERE id = :id",
                               id=job_id)   # ... until the lease runs out
        images.gate.set()
        assert await claim(creative, "worker-2") == [job_id]
        await JobRunner(a).work(job_id, "worker-2")

        assert await events_of(creative, job_id) == [
            "CreativeJobAccepted", "CreativeJobStarted", "CreativeJobProgressed", "CreativeJobProgressed",
            "CreativeJobProgressed", "CreativeJobProgressed", "CreativeGenerated"]
        assert copywriter.calls == 1 and images.calls.count(ImageFormat.SQUARE) == 1
        assert images.calls.count(ImageFormat.STORY) == 2  # the step in flight when it died ran again
        assert await creative.scalar("SELECT count(*) FROM {s}.assets WHERE workspace_id = :w", w=ws) == 3
        job = await creative.job(ws, job_id)
        assert job["status"] == "succeeded" and len(job["assets"]) == 3


async def test_copy_that_fails_the_checks_is_rejected_with_the_reason_and_the_next_provider_writes(start_creative):
    factories = {Modality.TEXT: {"openai": lambda key, url, timeout: FreeShippingCopy()}}
    async with start_creative(adapters=with_providers(factories=factories)) as creative:
        ws = uuid.uuid4()
        response = await creative.client.put(f"/v1/workspaces/{ws}/creatives/provider-keys/openai",
                                             json={"api_key": "sk-test-0000"}, headers=creative.identity(ws))
        assert response.status_code == 204
        product = await creative.product(ws)
        started = await creative.start_job(ws, [product], modalities={"copy": True, "images": []})
        job = await creative.finished(ws, started.json()["id"])
        assert job["status"] == "succeeded" and job["providers"] == ["offline"]
        assert job["rejected"][0].startswith("p0/copy/meta: openai variant 1: claims free shipping")
        assert Decimal(job["cost"]["amount"]) == Decimal("0.0015")  # the refused copy was paid for all the same


async def test_a_job_stops_before_a_step_that_would_go_over_the_spend_cap(start_creative):
    factories = {Modality.IMAGE: {"openai": lambda key, url, timeout: PillowImageMaker()}}
    async with start_creative(adapters=with_providers(factories=factories)) as creative:
        ws = uuid.uuid4()
        headers = creative.identity(ws)
        await creative.client.put(f"/v1/workspaces/{ws}/creatives/provider-keys/openai", json={"api_key": "sk-test-0000"},
                                  headers=headers)
        await creative.client.put(f"/v1/workspaces/{ws}/creatives/settings", json={"monthly_spend_cap_usd": "0.10"},
                                  headers=headers)
        product = await creative.product(ws)
        started = await creative.start_job(ws, [product], modalities={"copy": True, "images": ["1:1"]})
        job = await creative.finished(ws, started.json()["id"])
        assert job["status"] == "failed" and job["failure"]["code"] == "spend_cap_reached"
        assert job["failure"]["reason"] == "Monthly spend cap of $0.10 reached; raise it in Settings > Billing"
        assert [s["status"] for s in job["steps"]] == ["done", "pending"] and job["assets"] == []


async def test_a_request_for_a_product_the_catalog_never_sends_fails_saying_so(start_creative):
    async with start_creative(product_wait_seconds=0.5) as creative:
        ws, missing = uuid.uuid4(), uuid.uuid4()
        spec = JobSpec(workspace_id=ws, request_id=uuid.uuid4(), product_ids=(missing,), platforms=(AdPlatform.META,),
                       language="en", modalities=Modalities(images=()), source="event")
        async with creative.adapters.engine.begin() as tx:
            job = await jobs.accept(tx, creative.adapters, spec, record_refusal=True)
        finished = await creative.finished(ws, job.id)
        assert finished["status"] == "failed" and finished["failure"]["code"] == "product_unknown"
        assert str(missing) in finished["failure"]["reason"] and "sync your store" in finished["failure"]["reason"]


class BrokenStore:
    """An asset store that is down: the step's bytes cannot be kept."""

    name = "broken"

    async def put(self, sha256, content, media_type):
        raise ConnectionError("storage is down")

    async def get(self, sha256):
        raise ConnectionError("storage is down")

    async def exists(self, sha256):
        return False


async def test_a_job_that_keeps_crashing_its_worker_fails_after_its_attempts_with_a_reference(start_creative):
    # The lease is short on purpose: each crashed attempt waits for it to run out.
    async with start_creative(adapters=partial(open_adapters, asset_store=BrokenStore()), job_lease_seconds=0.6,
                              job_max_attempts=2) as creative:
        ws = uuid.uuid4()
        product = await creative.product(ws)
        started = await creative.start_job(ws, [product], modalities={"copy": False, "images": ["1:1"]})
        job = await creative.finished(ws, started.json()["id"])
        assert job["status"] == "failed" and job["failure"]["code"] == "internal_error"
        assert started.json()["id"] in job["failure"]["reason"]
        assert await creative.scalar("SELECT attempts FROM {s}.job_queue WHERE id = :id", id=uuid.UUID(job["id"])) == 3
