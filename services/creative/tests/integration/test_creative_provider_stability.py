"""The Stability AI client, over `adly_kit.outbound` and real HTTP, against the fake Stable Image API."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from adly_creative.adapters.providers.stability import StabilityImageMaker, image_bytes
from adly_creative.domain.ports import (
    BrandKit,
    ContentRefused,
    ImageFormat,
    ImageRequest,
    Money,
    ProductFacts,
    ProviderError,
    ProviderQuotaExhausted,
)
from adly_kit.outbound import Reply
from tests.fakes.stability import FakeStability

BRAND = BrandKit(name="Sahara Sport", tone="bold", primary_colour="#0B6E4F", accent_colour="#FFB400")
PRODUCT = ProductFacts(product_id="p-3", name="Trail Runner Shoes", price=Money(Decimal("289"), "SAR"))


def request(image_format=ImageFormat.SQUARE) -> ImageRequest:
    return ImageRequest(PRODUCT, BRAND, image_format, "en", "Run further", "Shop now")


@pytest.fixture(scope="module")
def server():
    with FakeStability(api_key="sk-stab-right") as fake:
        yield fake


@pytest.fixture
def fake(server):
    server.reset()
    return server


async def make(fake, image_format=ImageFormat.SQUARE, *, key="sk-stab-right", retries=0, timeout=5.0, **options):
    async with StabilityImageMaker(key, base_url=fake.url, timeout=timeout, max_retries=retries, **options) as maker:
        return await maker.make_image(request(image_format))


@pytest.mark.parametrize(("image_format", "ratio", "size"), [
    (ImageFormat.SQUARE, "1:1", (1024, 1024)), (ImageFormat.PORTRAIT, "4:5", (896, 1120)),
    (ImageFormat.STORY, "9:16", (768, 1344)), (ImageFormat.LANDSCAPE, "16:9", (1344, 768)),
])
async def test_each_format_is_asked_as_its_ratio_and_reported_in_the_real_size(fake, image_format, ratio, size):
    result = await make(fake, image_format)

    form = fake.requests[0].form
    assert form["aspect_ratio"] == ratio and form["output_format"] == "png"
    assert (result.media_type, result.width, result.height) == ("image/png", *size)


async def test_the_request_is_multipart_with_the_brand_and_credits_are_billed(fake):
    result = await make(fake)

    sent = fake.requests[0]
    assert sent.headers["authorization"] == "Bearer sk-stab-right" and sent.headers["accept"] == "image/*"
    assert sent.headers["content-type"].startswith("multipart/form-data")
    assert "#0B6E4F" in sent.form["prompt"] and "Sahara Sport" in sent.form["prompt"]
    assert sent.form["style_preset"] == "enhance" and "text" in sent.form["negative_prompt"]
    assert result.usage.credits == Decimal("3") and result.usage.cost == Money(Decimal("0.03"), "USD")
    assert result.usage.provider == "stability" and result.usage.images == 1


async def test_sd3_sends_its_model_and_bills_its_credits(fake):
    result = await make(fake, endpoint="sd3", model="sd3.5-large")

    assert fake.requests[0].path.endswith("/generate/sd3") and fake.requests[0].form["model"] == "sd3.5-large"
    assert result.usage.credits == Decimal("6.5")


async def test_the_fake_refuses_json_bodies_like_the_real_api():
    with FakeStability(api_key="k") as fake:
        async with httpx.AsyncClient() as client:
            reply = await client.post(f"{fake.url}/v2beta/stable-image/generate/core", json={"prompt": "x"},
                                      headers={"authorization": "Bearer k", "accept": "image/*"})
    assert reply.status_code == 400 and reply.json()["name"] == "bad_request"


async def test_a_429_is_waited_out_for_its_retry_after_then_retried(fake):
    fake.rate_limit_next(retry_after=0.4)

    result = await make(fake, retries=1)

    assert result.width == 1024 and fake.calls("/core") == 2
    assert fake.requests[1].at - fake.requests[0].at >= 0.35   # waited (at least) what it was asked to


async def test_a_429_without_retry_after_means_the_documented_minute_and_goes_back_to_the_router(fake):
    fake.rate_limit_next(retry_after=None)

    with pytest.raises(ProviderError) as raised:
        await make(fake, retries=2)

    assert raised.value.retryable and raised.value.retry_after == 60 and fake.calls("/core") == 1


async def test_5xx_is_retried_then_succeeds(fake):
    fake.fail_next(500, times=1)
    fake.fail_next(503, headers={"retry-after": "0.05"})

    result = await make(fake, retries=2)

    assert result.width == 1024 and fake.calls("/core") == 3


async def test_bytes_that_are_no_image_are_a_retryable_error(fake):
    fake.malformed_next("content")

    with pytest.raises(ProviderError) as raised:
        await make(fake)

    assert raised.value.retryable and "malformed" in raised.value.message


async def test_a_stalled_request_times_out_as_retryable(fake):
    fake.stall_next(60)

    with pytest.raises(ProviderError) as raised:
        await make(fake, timeout=0.25, retries=2)

    assert raised.value.retryable
    assert fake.calls("/core") == 1   # a timed-out generation may have been made: the router decides
    assert await fake.wait_for_hang_up(), "the client gave up while the fake still held the answer"


async def test_content_moderation_403_is_content_refused(fake):
    fake.refuse_next()

    with pytest.raises(ContentRefused):
        await make(fake)


async def test_a_filtered_image_is_content_refused(fake):
    fake.filter_next()

    with pytest.raises(ContentRefused):
        await make(fake)


async def test_402_is_quota_exhausted(fake):
    fake.quota_next()

    with pytest.raises(ProviderQuotaExhausted) as raised:
        await make(fake, retries=2)

    assert raised.value.status == 402 and fake.calls("/core") == 1


async def test_a_wrong_key_is_a_non_retryable_error(fake):
    with pytest.raises(ProviderError) as raised:
        await make(fake, key="sk-stab-wrong", retries=2)

    assert not raised.value.retryable and raised.value.message == "the API key was refused"


async def test_a_json_answer_is_read_as_well_as_raw_bytes(fake):
    async with httpx.AsyncClient() as client:
        reply = await client.post(f"{fake.url}/v2beta/stable-image/generate/core", files={"prompt": (None, "#112233")},
                                  headers={"authorization": "Bearer sk-stab-right", "accept": "application/json"})
    body = reply.json()
    assert body["finish_reason"] == "SUCCESS" and isinstance(body["seed"], int)

    content = image_bytes(Reply(200, httpx.Headers({"content-type": "application/json"}), reply.content, fake.url))
    assert content.startswith(b"\x89PNG")
    filtered = Reply(200, httpx.Headers({"content-type": "application/json"}),
                     b'{"image": "", "finish_reason": "CONTENT_FILTERED", "seed": 1}', fake.url)
    with pytest.raises(ContentRefused):
        image_bytes(filtered)
