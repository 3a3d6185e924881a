"""The OpenAI clients, through the official SDK over real HTTP, against the fake OpenAI API."""

from __future__ import annotations

import asyncio
import io
from decimal import Decimal

import httpx
import pytest
from PIL import Image

from adly_creative.adapters.providers.openai import (
    IMAGE_PRICES,
    TEXT_PRICES,
    OpenAICopywriter,
    OpenAIImageMaker,
    image_size_problem,
)
from adly_creative.domain.ports import (
    BrandKit,
    ContentRefused,
    CopyRequest,
    ImageFormat,
    ImageRequest,
    Money,
    ProductFacts,
    ProviderError,
    ProviderQuotaExhausted,
)
from adly_events.contracts.common import AdPlatform
from tests.fakes.openai import PLANNING_TOKENS, FakeOpenAI, size_refusal
from tests.fakes.scripted import fake_png

BRAND = BrandKit(name="Nakheel Dates", tone="luxurious", words_to_use=("premium", "Qassim"),
                 words_to_avoid=("cheap",), primary_colour="#7A1F2B", secondary_colour="#F5E6C8",
                 accent_colour="#C9A227")
PRODUCT = ProductFacts(product_id="p-1", name="Sukkari Dates Box", names={"ar": "علبة تمر سكري"},
                       description="One kilogram of Sukkari dates.", price=Money(Decimal("149.00"), "SAR"))
COPY = CopyRequest(PRODUCT, BRAND, AdPlatform.META, "en", variants=3)
IMAGE = ImageRequest(PRODUCT, BRAND, ImageFormat.STORY, "en", "Sukkari, freshly packed", "Shop now")


@pytest.fixture(scope="module")
def server():
    with FakeOpenAI(api_key="sk-test-right") as fake:
        yield fake


@pytest.fixture
def fake(server):
    server.reset()
    return server


def writer(fake, *, key="sk-test-right", retries=0, timeout=5.0) -> OpenAICopywriter:
    return OpenAICopywriter(key, base_url=f"{fake.url}/v1", timeout=timeout, max_retries=retries)


def painter(fake, *, retries=0, **options) -> OpenAIImageMaker:
    return OpenAIImageMaker("sk-test-right", base_url=f"{fake.url}/v1", timeout=5.0, max_retries=retries, **options)


async def write(fake, request=COPY, **options):
    async with writer(fake, **options) as client:
        return await client.write_copy(request)


async def paint(fake, request=IMAGE, **options):
    async with painter(fake, **options) as client:
        return await client.make_image(request)


async def test_copy_variants_come_back_with_the_providers_usage_and_its_cost(fake):
    result = await write(fake)

    assert len(result.variants) == 3
    assert all(v.call_to_action in ("SHOP_NOW", "LEARN_MORE", "ORDER_NOW") for v in result.variants)
    sent = fake.requests[0]
    assert sent.headers["authorization"] == "Bearer sk-test-right"
    assert sent.json["model"] == "gpt-5.4-mini"
    assert sent.json["text"]["format"]["type"] == "json_schema" and sent.json["text"]["format"]["strict"] is True
    assert "premium" in sent.json["instructions"] and "cheap" in sent.json["instructions"]
    assert "149 SAR" in sent.json["input"]
    usage = result.usage
    assert usage.provider == "openai" and usage.model.startswith("gpt-5.4-mini")
    assert usage.input_tokens > 0 and usage.output_tokens > 0
    per_in, per_out = TEXT_PRICES["gpt-5.4-mini"]
    assert usage.cost == Money((usage.input_tokens * per_in + usage.output_tokens * per_out) / 1_000_000, "USD")


async def test_a_rate_limit_is_waited_out_for_as_long_as_retry_after_says(fake):
    fake.rate_limit_next(retry_after=0.4)

    result = await write(fake, retries=1)

    assert result.variants and fake.calls("/responses") == 2
    assert fake.requests[1].at - fake.requests[0].at >= 0.35   # waited (at least) what it was asked to


async def test_a_rate_limit_longer_than_we_hold_a_worker_goes_back_to_the_router_at_once(fake):
    fake.rate_limit_next(retry_after=30)

    with pytest.raises(ProviderError) as raised:
        await write(fake, retries=2)

    assert raised.value.retryable and raised.value.retry_after == 30 and raised.value.status == 429
    assert not isinstance(raised.value, ProviderQuotaExhausted)
    assert fake.calls("/responses") == 1   # no second call: the SDK did not wait the 30 s out


async def test_server_errors_are_retried_until_the_answer_comes(fake):
    fake.fail_next(503, headers={"retry-after": "0.05"}, times=2)

    result = await write(fake, retries=2)

    assert result.variants and fake.calls("/responses") == 3


async def test_a_server_error_that_persists_is_retryable(fake):
    fake.fail_next(500)

    with pytest.raises(ProviderError) as raised:
        await write(fake)

    assert raised.value.retryable and raised.value.status == 500


async def test_prose_instead_of_json_is_asked_for_once_more_and_both_calls_are_paid(fake):
    async with writer(fake) as client:
        single = await client.write_copy(COPY)
        fake.reset()
        fake.malformed_next("content")
        result = await client.write_copy(COPY)

    assert fake.calls("/responses") == 2 and len(result.variants) == 3
    assert result.usage.input_tokens == 2 * single.usage.input_tokens


async def test_a_cut_off_body_is_asked_for_once_more(fake):
    fake.malformed_next("body")

    result = await write(fake)

    assert result.variants and fake.calls("/responses") == 2


async def test_twice_malformed_is_a_clear_error_the_router_does_not_retry(fake):
    fake.malformed_next("content", times=2)

    with pytest.raises(ProviderError) as raised:
        await write(fake)

    assert not raised.value.retryable and "not the JSON asked for" in raised.value.message


async def test_a_stalled_request_times_out_as_retryable(fake):
    fake.stall_next(60)

    with pytest.raises(ProviderError) as raised:
        await write(fake, timeout=0.25)

    assert raised.value.retryable and "timed out" in raised.value.message
    assert await fake.wait_for_hang_up(), "the client gave up while the fake still held the answer"
    assert fake.calls("/responses") == 1


async def test_a_cancelled_job_stops_its_call_at_once(fake):
    fake.stall_next(60)
    task = asyncio.create_task(write(fake, timeout=120))
    assert await fake.wait_for_stall(), "the request reached the fake"

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert await fake.wait_for_hang_up(), "the call was dropped, not left to run out the stall"


async def test_a_refusal_by_the_model_is_content_refused(fake):
    fake.refuse_next()

    with pytest.raises(ContentRefused) as raised:
        await write(fake)

    assert not raised.value.retryable


async def test_insufficient_quota_is_quota_exhausted_not_a_rate_limit(fake):
    fake.quota_next()

    with pytest.raises(ProviderQuotaExhausted) as raised:
        await write(fake)

    assert not raised.value.retryable


async def test_a_wrong_key_is_refused_once_and_not_retried(fake):
    with pytest.raises(ProviderError) as raised:
        await write(fake, key="sk-test-wrong", retries=2)

    assert not raised.value.retryable and raised.value.message == "the API key was refused"
    assert fake.calls("/responses") == 1


def test_a_model_without_a_price_is_refused_when_the_client_is_built():
    with pytest.raises(ValueError, match="no price"):
        OpenAICopywriter("sk", model="gpt-unknown")


def per_million(tokens, price):
    return Decimal(tokens) * price / 1_000_000


async def test_an_image_is_asked_of_gpt_image_2_in_a_size_it_takes_and_reported_in_its_real_size(fake):
    result = await paint(fake)

    sent = fake.requests[0].json
    assert sent["size"] == "1088x1936" and sent["model"] == "gpt-image-2" and sent["output_format"] == "png"
    assert "#7A1F2B" in sent["prompt"] and "Nakheel Dates" in sent["prompt"]
    assert (result.media_type, result.width, result.height) == ("image/png", 1088, 1936)
    with Image.open(io.BytesIO(result.content)) as image:
        assert image.getpixel((4, 4)) == (0x7A, 0x1F, 0x2B)   # the brand colour came back
    assert result.usage.images == 1 and result.usage.model == "gpt-image-2"


async def test_text_and_image_tokens_are_priced_apart_on_both_sides(fake):
    """Input: the prompt's text tokens at the text rate, the photo's image tokens at the image rate;
    output: the picture's image tokens at the image-output rate, gpt-image-2's planning text at
    the text-output rate (`input_tokens_details` / `output_tokens_details`)."""
    price = IMAGE_PRICES["gpt-image-2"]
    drawn = await paint(fake)                       # no photo: every input token is text
    image_out = drawn.usage.output_tokens - PLANNING_TOKENS
    assert drawn.usage.cost == Money(per_million(drawn.usage.input_tokens, price.text_in) + per_million(
        image_out, price.image_out) + per_million(PLANNING_TOKENS, price.text_out), "USD")

    fake.reset()
    edited = await paint(fake, ImageRequest(ProductFacts("p-2", "Dates", photos=(fake_png(64, 64),)), BRAND,
                                            ImageFormat.SQUARE, "en", "Dates", "Shop now"))
    text_in = edited.usage.input_tokens - 323    # the fake's tokens for one input image
    image_out = edited.usage.output_tokens - PLANNING_TOKENS
    assert edited.usage.cost == Money(per_million(text_in, price.text_in) + per_million(323, price.image_in)
                                      + per_million(image_out, price.image_out)
                                      + per_million(PLANNING_TOKENS, price.text_out), "USD")
    # Text and image input differ in price: charging the photo as text would be cheaper than the truth.
    assert price.image_in > price.text_in and price.image_out > price.text_out


async def test_a_product_photo_is_edited_into_the_ad(fake):
    with_photo = ImageRequest(ProductFacts("p-2", "Dates", photos=(fake_png(64, 64),)), BRAND,
                              ImageFormat.SQUARE, "en", "Dates", "Shop now")

    result = await paint(fake, with_photo)

    form = fake.requests[0].form
    assert fake.requests[0].path == "/v1/images/edits" and isinstance(form["image[]"], bytes)
    assert form["size"] == "1088x1088" and (result.width, result.height) == (1088, 1088)
    assert "input_fidelity" not in form          # gpt-image-2 takes none
    assert result.usage.input_tokens > 323   # the photo's image tokens are billed too


@pytest.mark.parametrize("model", ["gpt-image-2", "gpt-image-2-2026-04-21", "gpt-image-1.5", "gpt-image-1-mini"])
@pytest.mark.parametrize("image_format", list(ImageFormat))
@pytest.mark.parametrize("photo", [False, True])
async def test_every_format_is_asked_in_a_size_the_model_takes(fake, model, image_format, photo):
    photos = (fake_png(64, 64),) if photo else ()
    request = ImageRequest(ProductFacts("p-3", "Dates", photos=photos), BRAND, image_format, "en", "Dates", "Shop")

    result = await paint(fake, request, model=model)

    sent = fake.requests[0].form if photo else fake.requests[0].json
    assert image_size_problem(model, sent["size"]) is None and size_refusal(sent["size"]) is None
    assert f"{result.width}x{result.height}" == sent["size"]


@pytest.mark.parametrize(("model", "size"), [
    ("gpt-image-2", "1080x1080"),        # our own pixels: not multiples of 16
    ("gpt-image-2", "3840x1264"),        # wider than 3:1
    ("gpt-image-2", "1024x3088"),        # taller than 1:3
    ("gpt-image-2", "4096x2048"),        # an edge over 3840
    ("gpt-image-2", "3840x2176"),        # more pixels than 3840x2160
    ("gpt-image-2", "768x768"),          # fewer than 655,360 pixels
    ("gpt-image-2", "0x1024"),
    ("gpt-image-2", "１０８８x１０８８"),  # full-width digits: int() would read them
    ("gpt-image-2", "1088X1088"),
    ("gpt-image-1.5", "1088x1088"),      # only the gpt-image-2 family takes other sizes
])
def test_a_size_the_model_would_refuse_is_refused_when_the_client_is_built(model, size):
    assert image_size_problem(model, size)
    with pytest.raises(ValueError, match="would refuse size"):
        OpenAIImageMaker("sk", model=model, sizes={ImageFormat.SQUARE: size})


@pytest.mark.parametrize("size", ["3840x2160", "2160x3840", "3840x1280", "1280x3840", "1024x640", "2880x2880",
                                  "1024x1024", "1536x1024", "auto"])
def test_the_limits_themselves_are_sizes_gpt_image_2_takes(size):
    assert image_size_problem("gpt-image-2", size) is None
    assert size == "auto" or size_refusal(size) is None
    OpenAIImageMaker("sk", sizes={ImageFormat.LANDSCAPE: size})


def test_the_client_and_the_fake_agree_on_every_size_in_a_grid():
    """Two readings of one documented rule (ours and the fake's) over every 16-pixel step to 4096,
    and a few off the grid: where they disagree, one of them misread the documentation."""
    sides = list(range(0, 4097, 16)) + [8, 1080, 1350, 1920, 628]
    disagree = [f"{w}x{h}" for w in sides for h in sides
                if (image_size_problem("gpt-image-2", f"{w}x{h}") is None) != (size_refusal(f"{w}x{h}") is None)]
    assert not disagree, disagree[:10]


async def test_the_fake_refuses_a_size_gpt_image_2_does_not_take_in_the_apis_own_words(fake):
    async with painter(fake) as client:
        client._sizes[ImageFormat.STORY] = "1080x1920"     # past the client's own check: what would OpenAI say?
        with pytest.raises(ProviderError) as raised:
            await client.make_image(IMAGE)

    assert raised.value.status == 400 and not raised.value.retryable
    assert "Width and height must both be divisible by 16" in raised.value.message
    answer = httpx.post(f"{fake.url}/v1/images/generations", headers={"authorization": "Bearer sk-test-right"},
                        json={"model": "gpt-image-2", "prompt": "dates", "size": "1080x1920"})
    assert answer.status_code == 400 and answer.json() == {"error": {
        "message": "Invalid size '1080x1920'. Width and height must both be divisible by 16.",
        "type": "image_generation_user_error", "param": "size", "code": "invalid_value"}}


async def test_gpt_image_1_is_shut_down_for_the_fake_and_unpriced_for_the_client(fake):
    with pytest.raises(ValueError, match="no price"):
        OpenAIImageMaker("sk", model="gpt-image-1")
    answer = httpx.post(f"{fake.url}/v1/images/generations", headers={"authorization": "Bearer sk-test-right"},
                        json={"model": "gpt-image-1", "prompt": "dates"})
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "model_not_found"


async def test_image_moderation_is_content_refused(fake):
    fake.refuse_next()

    with pytest.raises(ContentRefused):
        await paint(fake)


async def test_bytes_that_are_no_image_are_a_retryable_error(fake):
    fake.malformed_next("content")

    with pytest.raises(ProviderError) as raised:
        await paint(fake)

    assert raised.value.retryable and "malformed" in raised.value.message
