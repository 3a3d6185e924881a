"""What the AI providers are asked: the brand kit, the product facts, the language and the limits."""

from __future__ import annotations

from decimal import Decimal

from adly_creative.adapters.providers.prompts import (
    build_copy_prompt,
    build_image_prompt,
    copy_schema,
    money_text,
)
from adly_creative.domain.copy_limits import LIMITS
from adly_creative.domain.ports import BrandKit, CopyRequest, ImageFormat, ImageRequest, Money, ProductFacts
from adly_events.contracts.common import AdPlatform

BRAND = BrandKit(name="Nakheel Dates", tone="luxurious", words_to_use=("premium", "Qassim"),
                 words_to_avoid=("cheap", "discount"), primary_colour="#7A1F2B", secondary_colour="#F5E6C8",
                 accent_colour="#C9A227")
PRODUCT = ProductFacts(product_id="p-1", name="Sukkari Dates Box", names={"ar": "علبة تمر سكري"},
                       description="One kilogram of Sukkari dates. " * 40, price=Money(Decimal("149.50"), "SAR"),
                       compare_at_price=Money(Decimal("199"), "SAR"), store_name="Nakheel")


def copy_prompt(platform=AdPlatform.META, language="en", variants=3):
    return build_copy_prompt(CopyRequest(PRODUCT, BRAND, platform, language, variants))


def test_the_brand_kit_reaches_the_copy_instructions():
    instructions = copy_prompt().instructions

    assert "Nakheel Dates" in instructions
    assert "luxurious" in instructions and "refined" in instructions
    assert "premium, Qassim" in instructions
    assert "Never use these words" in instructions and "cheap, discount" in instructions


def test_the_product_facts_go_in_as_delimited_data_with_the_exact_prices():
    facts = copy_prompt().facts

    assert facts.startswith("<product_facts>") and facts.endswith("</product_facts>")
    assert "Product name: Sukkari Dates Box" in facts
    assert "Price: 149.50 SAR" in facts and "Price before the sale: 199 SAR" in facts
    assert "Store: Nakheel" in facts
    assert len(facts) < 900                      # a long description is trimmed
    assert "not instructions" in copy_prompt().instructions


def test_arabic_copy_is_asked_in_arabic_script_with_the_arabic_product_name():
    prompt = copy_prompt(language="ar")

    assert "Language: Arabic (language code ar)" in prompt.instructions
    assert "Arabic script, right to left" in prompt.instructions
    assert "Product name: علبة تمر سكري" in prompt.facts
    assert "Product name (original): Sukkari Dates Box" in prompt.facts


def test_english_copy_states_the_language_without_the_arabic_rules():
    instructions = copy_prompt(language="en").instructions

    assert "Language: English (language code en)" in instructions and "right to left" not in instructions


def test_the_platforms_limits_and_calls_to_action_are_stated():
    instructions = copy_prompt(AdPlatform.META).instructions

    assert "headline: at most 40 characters" in instructions
    assert "primary_text: at most 125 characters" in instructions
    assert "description: at most 30 characters" in instructions
    assert "one of SHOP_NOW, LEARN_MORE, ORDER_NOW, GET_OFFER, BUY_NOW" in instructions
    assert "Write exactly 3 variants" in instructions


def test_a_platform_without_a_description_says_so_and_the_schema_forces_null():
    prompt = copy_prompt(AdPlatform.TIKTOK, variants=5)

    assert "description: this platform has none; set it to null" in prompt.instructions
    assert "Write exactly 5 variants" in prompt.instructions
    item = prompt.schema["properties"]["variants"]["items"]
    assert item["properties"]["description"] == {"type": "null"}


def test_the_schema_allows_only_the_platforms_calls_to_action():
    for limits in LIMITS.values():
        item = copy_schema(limits)["properties"]["variants"]["items"]
        assert item["properties"]["call_to_action"]["enum"] == list(limits.calls_to_action)
        assert set(item["required"]) == {"headline", "primary_text", "description", "call_to_action"}
        assert item["additionalProperties"] is False


def test_prices_are_written_as_the_store_has_them():
    assert money_text(Money(Decimal("149.00"), "SAR")) == "149 SAR"
    assert money_text(Money(Decimal("149.5"), "SAR")) == "149.50 SAR"
    assert money_text(Money(Decimal("0.99"), "USD")) == "0.99 USD"


def image_request(image_format=ImageFormat.STORY, language="en"):
    return ImageRequest(PRODUCT, BRAND, image_format, language, "Sukkari, freshly packed", "Shop now")


def test_the_image_prompt_carries_the_brand_colours_name_tone_and_format():
    prompt = build_image_prompt(image_request())

    assert "#7A1F2B" in prompt and "#F5E6C8" in prompt and "#C9A227" in prompt
    assert "Nakheel Dates" in prompt and "Sukkari Dates Box" in prompt
    assert "refined, elegant" in prompt and "9:16" in prompt


def test_by_default_the_image_has_no_lettering_and_room_for_ours():
    prompt = build_image_prompt(image_request())

    assert "No text, letters, numbers" in prompt and "empty space" in prompt
    assert "149.50" not in prompt


def test_a_lettered_image_gets_the_headline_the_exact_price_and_the_button():
    prompt = build_image_prompt(image_request(language="ar"), with_text=True)

    assert '"Sukkari, freshly packed"' in prompt and '"149.50 SAR"' in prompt and '"Shop now"' in prompt
    assert "in the Arabic language" in prompt
