"""The offline copywriter: within every platform's limits, on brand, and honest about the price."""

from decimal import Decimal

import pytest

from adly_creative.adapters.offline.copywriter import OfflineCopywriter
from adly_creative.domain.copy_limits import LIMITS
from adly_creative.domain.offline_copy import forbidden_in, format_price, shorten_words
from adly_creative.domain.ports import BrandKit, CopyRequest, Money, ProductFacts
from adly_events.contracts.common import AdPlatform

LONG_EN = "Ultra Comfort Wireless Noise Cancelling Over-Ear Headphones with Extra Long Battery Life and Carry Case"
LONG_AR = "سماعات رأس لاسلكية فائقة الراحة بخاصية إلغاء الضوضاء وبطارية تدوم طويلاً جداً مع حقيبة حمل أنيقة"
TONES = ["friendly", "luxurious", "playful", "bold"]


def product(name=LONG_EN, ar=LONG_AR, price="149", compare_at=None, product_id="p-1"):
    return ProductFacts(
        product_id=product_id, name=name, names={"en": name, "ar": ar},
        price=Money(Decimal(price), "SAR") if price else None,
        compare_at_price=Money(Decimal(compare_at), "SAR") if compare_at else None,
    )


def brand(tone="friendly", use=(), avoid=()):
    return BrandKit(name="Noor Audio", tone=tone, words_to_use=use, words_to_avoid=avoid)


async def write(request):
    return (await OfflineCopywriter().write_copy(request)).variants


def texts(variant):
    return [variant.headline, variant.primary_text, variant.description or ""]


@pytest.mark.parametrize("platform", list(AdPlatform))
@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("tone", TONES)
async def test_every_variant_fits_the_platform_limits_even_for_a_very_long_name(platform, language, tone):
    limits = LIMITS[platform]
    variants = await write(CopyRequest(product(compare_at="199"), brand(tone, use=("handmade", "صناعة يدوية")),
                                       platform, language, variants=3))
    assert len(variants) == 3
    for variant in variants:
        assert len(variant.headline) <= limits.headline
        assert len(variant.primary_text) <= limits.primary_text
        assert (variant.description is None) == (limits.description is None)
        assert len(variant.description or "") <= (limits.description or 0)
        assert variant.call_to_action in limits.calls_to_action


@pytest.mark.parametrize("language,name", [("en", LONG_EN), ("ar", LONG_AR)])
async def test_a_shortened_name_keeps_whole_words(language, name):
    variants = await write(CopyRequest(product(), brand(), AdPlatform.GOOGLE_ADS, language, variants=3))
    words = set(name.split())
    assert len(variants) == 3
    for variant in variants:
        headline = variant.headline.replace(":", " ").replace(",", " ").replace("!", " ").split()
        assert words & set(headline), f"{variant.headline!r} carries the name"
        halves = [w for w in headline if w not in words and any(w in whole for whole in words)]
        assert halves == [], f"{halves} are parts of words cut in half"


def test_shortening_stops_at_a_word_boundary_and_drops_dangling_connectors():
    assert shorten_words("Soft Cotton Shirt with Long Sleeves", 22, frozenset({"with"})) == "Soft Cotton Shirt"
    assert shorten_words("Supercalifragilistic", 10) is None
    assert len(shorten_words(LONG_AR, 30)) <= 30


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("tone", TONES)
async def test_words_to_avoid_never_appear_in_any_case_or_spelling(language, tone):
    avoid = ("CHEAP", "comfort", "أناقة", "الراحه")   # Arabic compared without the teh marbuta's dots
    variants = await write(CopyRequest(product(name="Cheap Comfort Shoes", ar="حذاء الراحة بأناقة"), brand(tone, avoid=avoid),
                                       AdPlatform.META, language, variants=3))
    assert variants
    for variant in variants:
        for text in texts(variant):
            assert forbidden_in(text, avoid) is None, text
            assert "cheap" not in text.casefold() and "comfort" not in text.casefold()
            assert "أناقة" not in text and "الراحة" not in text


async def test_words_to_use_appear_in_every_variant():
    variants = await write(CopyRequest(product(name="Linen Shirt"), brand(use=("handmade", "free returns")),
                                       AdPlatform.META, "en", variants=3))
    assert len(variants) == 3
    for variant in variants:
        assert "handmade" in variant.primary_text.casefold() or "free returns" in variant.primary_text.casefold()


async def test_arabic_copy_uses_the_arabic_words_to_use():
    variants = await write(CopyRequest(product(ar="قميص كتان"), brand(use=("handmade", "صناعة يدوية")),
                                       AdPlatform.TIKTOK, "ar", variants=2))
    assert len(variants) == 2
    assert all("صناعة يدوية" in v.primary_text and "handmade" not in v.primary_text for v in variants)


@pytest.mark.parametrize("language,expected", [("en", "SAR 1,249.50"), ("ar", "1,249.50 ر.س")])
async def test_the_price_is_the_real_price_and_no_other(language, expected):
    variants = await write(CopyRequest(product(name="Oud Perfume", ar="عطر عود", price="1249.5"), brand(),
                                       AdPlatform.META, language, variants=3))
    mentioned = [text for v in variants for text in texts(v) if "SAR" in text or "ر.س" in text]
    assert mentioned, "the price is mentioned"
    for text in mentioned:
        assert expected in text
        assert text.count("SAR") + text.count("ر.س") == text.count(expected)


@pytest.mark.parametrize("language,sale_words", [("en", ("was ", "now sar")), ("ar", ("كان", "بدلًا من"))])
async def test_no_sale_wording_without_a_higher_compare_at_price(language, sale_words):
    for compare_at in (None, "149", "99"):       # none, equal, lower: none of these is a sale
        variants = await write(CopyRequest(product(name="Oud Perfume", ar="عطر عود", compare_at=compare_at),
                                           brand(), AdPlatform.META, language, variants=3))
        assert len(variants) == 3
        for text in (t for v in variants for t in texts(v)):
            assert not any(word in text.casefold() for word in sale_words), text
            assert "199" not in text and "99.00" not in text.replace("149.00", "")


@pytest.mark.parametrize("language,was_now", [("en", ("Was SAR 199.00", "now SAR 149.00")), ("ar", ("199.00 ر.س", "149.00 ر.س"))])
async def test_a_sale_says_was_and_now_with_the_real_prices(language, was_now):
    variants = await write(CopyRequest(product(name="Oud Perfume", ar="عطر عود", compare_at="199"), brand(),
                                       AdPlatform.META, language, variants=3))
    assert len(variants) == 3
    assert all(all(part in v.primary_text for part in was_now) for v in variants)
    assert variants[0].call_to_action == "GET_OFFER"


async def test_variants_are_distinct_and_the_same_for_the_same_input():
    request = CopyRequest(product(name="Oud Perfume", ar="عطر عود"), brand("playful"), AdPlatform.META, "ar", variants=4)
    first, second = await write(request), await write(request)
    assert first == second
    assert len({v.headline for v in first}) == 4
    assert len({v.primary_text for v in first}) == 4


async def test_another_product_gets_other_variants_first():
    def make(pid):
        return CopyRequest(product(name="Oud Perfume", product_id=pid), brand(), AdPlatform.META, "en", 3)
    headlines = {tuple(v.headline for v in await write(make(f"p-{i}"))) for i in range(6)}
    assert len(headlines) > 1


@pytest.mark.parametrize("tone,expected", [("luxurious", "Discover"), ("playful", "!"), ("bold", "Don't")])
async def test_the_tone_changes_the_words(tone, expected):
    friendly = await write(CopyRequest(product(name="Oud Perfume"), brand("friendly"), AdPlatform.META, "en", 4))
    other = await write(CopyRequest(product(name="Oud Perfume"), brand(tone), AdPlatform.META, "en", 4))
    assert len(friendly) == len(other) == 4
    assert {v.headline for v in friendly}.isdisjoint({v.headline for v in other})
    assert any(expected in v.headline + v.primary_text for v in other)


async def test_other_languages_fall_back_to_english_templates_with_the_local_name():
    facts = ProductFacts(product_id="p-9", name="Oud Perfume", names={"fr": "Parfum Oud"}, price=Money(Decimal("10"), "EUR"))
    variants = await write(CopyRequest(facts, brand(), AdPlatform.TIKTOK, "fr", 2))
    assert len(variants) == 2
    assert all("Parfum Oud" in v.primary_text for v in variants)
    assert any("EUR 10.00" in v.primary_text for v in variants)


async def test_usage_is_the_offline_provider_at_no_cost():
    result = await OfflineCopywriter().write_copy(CopyRequest(product(), brand(), AdPlatform.META, "en"))
    assert result.usage.provider == "offline" and result.usage.cost.amount == 0 and result.usage.cost.currency == "USD"


def test_prices_are_formatted_per_language_and_currency():
    assert format_price(Money(Decimal("149"), "SAR"), "en") == "SAR 149.00"
    assert format_price(Money(Decimal("149"), "SAR"), "ar") == "149.00 ر.س"
    assert format_price(Money(Decimal("149"), "SAR"), "ar-SA") == "149.00 ر.س"
    assert format_price(Money(Decimal("12.3456"), "KWD"), "ar") == "12.346 د.ك"
    assert format_price(Money(Decimal("1500"), "USD"), "ar") == "1,500.00 USD"


async def test_a_regional_language_tag_gets_its_languages_templates():
    variants = await write(CopyRequest(product(name="Oud Perfume", ar="عطر عود"), brand(), AdPlatform.META, "ar-SA", 2))
    assert len(variants) == 2
    assert all("عطر عود" in v.primary_text and "149.00 ر.س" in v.primary_text for v in variants)
