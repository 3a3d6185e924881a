"""End to end on the real broker and real Postgres: a CreativesRequested published to
adly.campaigns.campaign -> the job runs -> assets stored -> CreativeGenerated (or
CreativeGenerationFailed) read back from adly.creative.generation_job.

One service for the module (joining consumer groups costs seconds per start), with the
real provider clients pointed at the local fakes of OpenAI and Anthropic; each test has
its own workspace, so they do not see each other's jobs.
"""

import hashlib
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from adly_creative.domain.plan import job_id_for
from adly_events.contracts.campaigns import CreativesRequested
from adly_events.contracts.common import AdPlatform
from adly_kit.testing.plugin import eventually
from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.openai import FakeOpenAI
from tests.fakes.server import FakeServer

from .conftest import Starter, base_settings, photo_bytes

pytestmark = pytest.mark.asyncio(loop_scope="module")
PHOTO = photo_bytes((180, 90, 30))


class PhotoServer(FakeServer):
    """A store's CDN on 127.0.0.1 (the service runs with photo_allow_loopback, as tests only may)."""

    def __init__(self) -> None:
        super().__init__()
        self.hits = 0

        async def photo(request):
            self.hits += 1
            return Response(PHOTO, media_type="image/jpeg")

        self.app = Starlette(routes=[Route("/oud.jpg", photo)])


@pytest.fixture(scope="module")
def fakes():
    with FakeOpenAI() as openai, FakeAnthropic() as anthropic, PhotoServer() as photos:
        yield openai, anthropic, photos


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bus(postgres_url, kafka, tmp_path_factory, fakes):
    openai, anthropic, _ = fakes
    starter = Starter(base_settings(postgres_url, kafka), kafka, tmp_path_factory.mktemp("creative"))
    async with starter(consume=True, openai_base_url=f"{openai.url}/v1", anthropic_base_url=anthropic.url) as running:
        yield running


def request_for(product_ids, language="en", variants=2) -> CreativesRequested:
    return CreativesRequested(request_id=uuid.uuid4(), product_ids=product_ids, platforms=[AdPlatform.META],
                              language=language, variants_per_platform=variants)


async def configure(bus, ws, **settings):
    response = await bus.client.put(f"/v1/workspaces/{ws}/creatives/settings", json=settings, headers=bus.identity(ws))
    assert response.status_code == 200, response.text


async def test_a_campaigns_request_on_the_bus_yields_stored_assets_and_creative_generated_on_the_bus(bus, fakes):
    _, _, photos = fakes
    ws, campaign = uuid.uuid4(), uuid.uuid4()
    product = await bus.product(ws, name="Oud perfume", price="149.00", images=[f"{photos.url}/oud.jpg"], via_broker=True)
    request = request_for([product], language="ar")
    await bus.publish(request, aggregate_id=campaign, version=1, workspace_id=ws)

    job_id = job_id_for(ws, request.request_id)
    events = await bus.job_events(job_id, until="CreativeGenerated", timeout=45)
    assert [e.event_type for e in events] == ["CreativeJobAccepted", "CreativeJobStarted", *["CreativeJobProgressed"] * 5,
                                              "CreativeGenerated"]
    generated = events[-1].payload
    assert generated["request_id"] == str(request.request_id) and generated["campaign_id"] == str(campaign)
    assert generated["provider"] == "offline" and generated["providers"] == ["offline"]
    assert {a["format"] for a in generated["assets"]} == {"1:1", "4:5", "9:16", "1.91:1"}
    assert len(generated["copies"]) == 2 and all(c["language"] == "ar" for c in generated["copies"])
    assert photos.hits == 1  # fetched once, then served from the asset cache

    store = Path(bus.settings.asset_dir)
    for asset in generated["assets"]:
        stored = store / asset["sha256"][:2] / asset["sha256"][2:4] / asset["sha256"]
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == asset["sha256"]
        assert asset["media_type"] == "image/jpeg"  # an ad with the product's photo is a JPEG


async def test_the_same_request_delivered_twice_is_one_job(bus):
    ws = uuid.uuid4()
    product = await bus.product(ws)
    await configure(bus, ws, campaign_outputs={"copy": True, "images": []})
    request = request_for([product])
    # A producer resending: a new event id each time, the same request id.
    sent = [await bus.publish(request, aggregate_id=uuid.uuid4(), version=1, workspace_id=ws) for _ in range(2)]
    events = await bus.job_events(job_id_for(ws, request.request_id), until="CreativeGenerated")

    # Both deliveries applied (their ids are in the inbox, committed with their effects): the count is final.
    ids = [e.event_id for e in sent]
    assert await eventually(lambda: bus.scalar("SELECT count(*) = 2 FROM {s}.inbox WHERE event_id = ANY(:ids)", ids=ids),
                            timeout=30)
    assert await bus.scalar("SELECT count(*) FROM {s}.jobs WHERE workspace_id = :w", w=ws) == 1
    assert [e.event_type for e in events].count("CreativeJobAccepted") == 1
    assert events[0].causation_id in ids


async def test_openai_retried_then_refused_falls_back_to_anthropic_and_the_cost_is_the_workspaces(bus, fakes):
    openai, anthropic, _ = fakes
    openai.reset()
    ws = uuid.uuid4()
    for provider in ("openai", "anthropic"):
        response = await bus.client.put(f"/v1/workspaces/{ws}/creatives/provider-keys/{provider}",
                                        json={"api_key": "test-key"}, headers=bus.identity(ws))
        assert response.status_code == 204, response.text
    await configure(bus, ws, campaign_outputs={"copy": True, "images": ["1:1"]})
    product = await bus.product(ws, price="149.00")
    openai.rate_limit_next(retry_after=0.05, times=2)
    openai.refuse_next()
    request = request_for([product])
    await bus.publish(request, aggregate_id=uuid.uuid4(), version=1, workspace_id=ws)

    events = await bus.job_events(job_id_for(ws, request.request_id), until="CreativeGenerated")
    copy_step = next(e.payload for e in events if e.payload.get("step") == "p0/copy/meta")
    assert copy_step["provider"] == "anthropic"
    assert openai.calls("/responses") == 3  # two 429s honoured, then the refusal: no fourth try
    assert any("OpenAI" in note and "refused" in note for note in copy_step["notes"])
    generated = events[-1].payload
    # The OpenAI key also makes OpenAI the first image provider (before offline): the image came from it.
    assert generated["provider"] == "anthropic" and generated["providers"] == ["anthropic", "openai"]
    cost = Decimal(generated["cost"]["amount"])
    assert cost > 0
    recorded = await bus.scalar("SELECT sum(cost_usd) FROM {s}.usage_records WHERE workspace_id = :w", w=ws)
    assert recorded == cost
    usage = (await bus.client.get(f"/v1/workspaces/{ws}/creatives/usage", headers=bus.identity(ws))).json()
    assert Decimal(usage["spend"]["amount"]) == cost and usage["jobs"] == 1


async def test_a_request_beyond_the_monthly_quota_fails_at_once_with_the_reason_and_makes_nothing(bus):
    ws = uuid.uuid4()
    product = await bus.product(ws)
    await configure(bus, ws, monthly_job_quota=0)
    request = request_for([product])
    await bus.publish(request, aggregate_id=uuid.uuid4(), version=1, workspace_id=ws)

    events = await bus.job_events(job_id_for(ws, request.request_id), until="CreativeGenerationFailed")
    assert [e.event_type for e in events] == ["CreativeGenerationFailed"]
    failed = events[0].payload
    assert failed["code"] == "quota_exhausted" and failed["request_id"] == str(request.request_id)
    assert failed["reason"].startswith("Monthly quota of 0 creative jobs used up; it renews on 1 ")
    assert await bus.scalar("SELECT count(*) FROM {s}.assets WHERE workspace_id = :w", w=ws) == 0
    assert await bus.scalar("SELECT count(*) FROM {s}.job_queue WHERE workspace_id = :w", w=ws) == 0


async def test_a_request_once_the_spend_cap_is_reached_fails_with_the_cap_in_the_reason(bus):
    ws = uuid.uuid4()
    product = await bus.product(ws)
    await configure(bus, ws, monthly_spend_cap_usd="0.00")
    request = request_for([product])
    await bus.publish(request, aggregate_id=uuid.uuid4(), version=1, workspace_id=ws)

    events = await bus.job_events(job_id_for(ws, request.request_id), until="CreativeGenerationFailed")
    assert events[-1].payload["reason"] == "Monthly spend cap of $0.00 reached; raise it in Settings > Billing"
    job = await bus.job(ws, job_id_for(ws, request.request_id))
    assert job["status"] == "failed" and job["failure"]["code"] == "spend_cap_reached" and job["assets"] == []
