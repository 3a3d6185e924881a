"""The Anthropic client, through the official SDK over real HTTP, against the fake Messages API."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adly_creative.adapters.providers.anthropic import PRICES, AnthropicCopywriter
from adly_creative.domain.ports import (
    BrandKit,
    ContentRefused,
    CopyRequest,
    Money,
    ProductFacts,
    ProviderError,
    ProviderQuotaExhausted,
)
from adly_events.contracts.common import AdPlatform
from tests.fakes.anthropic import FakeAnthropic

BRAND = BrandKit(name="Oud Atelier", tone="luxurious", words_to_use=("handcrafted",), words_to_avoid=("cheap", "deal"))
PRODUCT = ProductFacts(product_id="p-9", name="Royal Oud Perfume", names={"ar": "عطر العود الملكي"},
                       price=Money(Decimal("320"), "SAR"), compare_at_price=Money(Decimal("400"), "SAR"))
COPY = CopyRequest(PRODUCT, BRAND, AdPlatform.SNAPCHAT, "ar", variants=2)


@pytest.fixture(scope="module")
def server():
    with FakeAnthropic(api_key="sk-ant-right") as fake:
        yield fake


@pytest.fixture
def fake(server):
    server.reset()
    return server


async def write(fake, *, key="sk-ant-right", retries=0, timeout=5.0, request=COPY):
    async with AnthropicCopywriter(key, base_url=fake.url, timeout=timeout, max_retries=retries) as client:
        return await client.write_copy(request)


async def test_copy_comes_back_in_the_schema_with_usage_and_cost(fake):
    result = await write(fake)

    assert len(result.variants) == 2
    assert all(v.description is None for v in result.variants)        # Snapchat has no description
    assert "عطر العود الملكي" in result.variants[0].headline
    sent = fake.requests[0]
    assert "sk-ant-right" in (sent.headers.get("x-api-key"), sent.headers.get("authorization", "")[7:])
    assert sent.headers["anthropic-version"]
    assert sent.json["model"] == "claude-sonnet-4-6" and sent.json["max_tokens"] > 0
    assert sent.json["output_config"]["format"]["type"] == "json_schema"
    assert "handcrafted" in sent.json["system"] and "Arabic" in sent.json["system"]
    assert "320 SAR" in sent.json["messages"][0]["content"] and "400 SAR" in sent.json["messages"][0]["content"]
    usage = result.usage
    per_in, per_out = PRICES["claude-sonnet-4-6"]
    assert usage.provider == "anthropic" and usage.input_tokens > 0 and usage.output_tokens > 0
    assert usage.cost == Money((usage.input_tokens * per_in + usage.output_tokens * per_out) / 1_000_000, "USD")


async def test_a_429_is_retried_after_the_seconds_retry_after_gives(fake):
    fake.rate_limit_next(retry_after=0.4)

    result = await write(fake, retries=1)

    assert result.variants and fake.calls("/messages") == 2
    assert fake.requests[1].at - fake.requests[0].at >= 0.35   # waited (at least) what it was asked to


async def test_overloaded_529_is_retried_then_succeeds(fake):
    fake.fail_next(529, headers={"retry-after": "0.05"}, times=2)

    result = await write(fake, retries=2)

    assert result.variants and fake.calls("/messages") == 3


async def test_overloaded_529_that_persists_is_retryable_for_the_router(fake):
    fake.fail_next(529)

    with pytest.raises(ProviderError) as raised:
        await write(fake)

    assert raised.value.retryable and raised.value.status == 529


async def test_prose_instead_of_json_is_asked_for_once_more(fake):
    fake.malformed_next("content")

    result = await write(fake)

    assert len(result.variants) == 2 and fake.calls("/messages") == 2


async def test_a_body_that_is_not_json_twice_is_a_clear_non_retryable_error(fake):
    fake.malformed_next("body", times=2)

    with pytest.raises(ProviderError) as raised:
        await write(fake)

    assert not raised.value.retryable and "not the JSON asked for" in raised.value.message


async def test_a_stalled_request_times_out_as_retryable(fake):
    fake.stall_next(60)

    with pytest.raises(ProviderError) as raised:
        await write(fake, timeout=0.25)

    assert raised.value.retryable and fake.calls("/messages") == 1
    assert await fake.wait_for_hang_up(), "the client gave up while the fake still held the answer"


async def test_a_refusal_stop_reason_is_content_refused(fake):
    fake.refuse_next()

    with pytest.raises(ContentRefused) as raised:
        await write(fake)

    assert "harmful" in raised.value.message


@pytest.mark.parametrize("kind", ["credit_balance", "spend_limit"])
async def test_an_account_out_of_credit_is_quota_exhausted(fake, kind):
    fake.quota_next(kind=kind)

    with pytest.raises(ProviderQuotaExhausted):
        await write(fake, retries=2)

    assert fake.calls("/messages") == 1   # never worth a retry


async def test_a_wrong_key_is_a_non_retryable_error(fake):
    with pytest.raises(ProviderError) as raised:
        await write(fake, key="sk-ant-wrong", retries=2)

    assert not raised.value.retryable and raised.value.message == "the API key was refused"
    assert fake.calls("/messages") == 1
