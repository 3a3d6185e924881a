"""Reading the providers' answers and pricing them: copy JSON, image facts, costs, retry waits."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from adly_creative.adapters.providers.common import Retries, add_usage, price_for, require_price, token_cost
from adly_creative.adapters.providers.elevenlabs import estimate_duration
from adly_creative.adapters.providers.parsing import MalformedAnswer, image_facts, parse_variants
from adly_creative.domain.ports import Money, ProviderError, Usage
from tests.fakes.elevenlabs import mp3_frames
from tests.fakes.scripted import fake_png

ANSWER = json.dumps({"variants": [
    {"headline": " Fresh dates ", "primary_text": "Sukkari, 149 SAR.", "description": None, "call_to_action": "shop_now"},
    {"headline": "Two", "primary_text": "Second", "description": "More", "call_to_action": "BUY_NOW"},
]})


def test_variants_are_read_as_written_trimmed():
    first, second = parse_variants(ANSWER, wanted=5)

    assert first.headline == "Fresh dates" and first.description is None and first.call_to_action == "SHOP_NOW"
    assert second.description == "More"


def test_extra_variants_are_dropped_and_a_fenced_answer_is_read():
    assert len(parse_variants(f"```json\n{ANSWER}\n```", wanted=1)) == 1


@pytest.mark.parametrize("answer", [
    "", "Here you go: great dates!", "[1, 2]", '{"variants": []}', '{"items": []}',
    '{"variants": [{"headline": "", "primary_text": "x", "description": null, "call_to_action": "SHOP_NOW"}]}',
    '{"variants": [{"headline": "x", "primary_text": "y", "description": 3, "call_to_action": "SHOP_NOW"}]}',
])
def test_an_answer_not_in_the_asked_shape_is_malformed(answer):
    with pytest.raises(MalformedAnswer):
        parse_variants(answer, wanted=3)


def test_image_facts_come_from_the_bytes():
    assert image_facts(fake_png(30, 20)) == ("image/png", 30, 20)
    with pytest.raises(MalformedAnswer):
        image_facts(b"not an image")


def test_a_dated_snapshot_is_priced_as_its_model_and_an_unknown_model_is_refused():
    prices = {"gpt-5.4-mini": (Decimal("0.75"), Decimal("4.50"))}

    assert price_for(prices, "gpt-5.4-mini-2026-03-17") == prices["gpt-5.4-mini"]
    with pytest.raises(ValueError, match="no price"):
        require_price(prices, "gpt-9", "openai")


def test_token_cost_is_exact_decimal_dollars():
    assert token_cost((Decimal("3"), Decimal("15")), 1_000, 2_000) == Money(Decimal("0.033"), "USD")


def test_two_calls_usage_adds_up():
    one = Usage("openai", "m", input_tokens=10, output_tokens=5, cost=Money(Decimal("0.01"), "USD"))

    both = add_usage(one, one)

    assert (both.input_tokens, both.output_tokens, both.cost.amount) == (20, 10, Decimal("0.02"))


def test_retries_wait_the_retry_after_but_never_longer_than_the_cap_nor_after_a_timeout():
    retries = Retries(attempts=3, max_wait=5)
    limited = ProviderError("x", "429", retryable=True, retry_after=2, status=429)

    assert retries.wait(limited, 1) == 2
    assert retries.wait(limited, 3) is None                               # attempts used up
    assert retries.wait(ProviderError("x", "", retryable=True, retry_after=60, status=429), 1) is None
    assert retries.wait(ProviderError("x", "timed out", retryable=True), 1) is None
    assert retries.wait(ProviderError("x", "bad key", status=401), 1) is None
    assert 0.3 < retries.wait(ProviderError("x", "", retryable=True, status=503), 1) < 0.7


def test_mp3_duration_is_estimated_from_its_bitrate():
    assert estimate_duration(mp3_frames(3.0, 44100, 128), "mp3_44100_128") == pytest.approx(3.0, abs=0.03)
    assert estimate_duration(mp3_frames(2.0, 22050, 32), "mp3_22050_32") == pytest.approx(2.0, abs=0.03)
    assert estimate_duration(bytes(16000 * 2 * 2), "pcm_16000") == 2.0
