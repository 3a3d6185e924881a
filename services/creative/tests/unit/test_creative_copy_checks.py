from decimal import Decimal

from adly_creative.domain.copy_checks import CopyFacts, avoided_word_pattern, check_copy, normalise, prices_in
from adly_creative.domain.ports import BrandKit, CopyVariant, Money, ProductFacts
from adly_events.contracts.common import AdPlatform

SAR = "SAR"


def product(price="199.00", was=None, description=None) -> ProductFacts:
    return ProductFacts(
        product_id="p1", name="Oud perfume", names={"ar": "عطر عود", "en": "Oud perfume"}, description=description,
        price=Money(Decimal(price), SAR), compare_at_price=Money(Decimal(was), SAR) if was else None)


def variant(headline="Oud perfume", text="A warm oud for every evening.", description=None, cta="SHOP_NOW"):
    return CopyVariant(headline=headline, primary_text=text, description=description, call_to_action=cta)


def check(*variants, platform=AdPlatform.META, language="en", facts=None, avoid=()):
    return check_copy(list(variants), platform=platform, language=language, facts=facts or CopyFacts.of(product()),
                      brand=BrandKit(name="Dar Oud", words_to_avoid=tuple(avoid)))


def test_copy_within_limits_with_the_real_price_is_accepted():
    result = check(variant(text="Oud perfume for SAR 199 only. Shop the warm scent."))
    assert len(result.accepted) == 1 and result.rejected == []


def test_a_headline_longer_than_the_platform_allows_is_rejected_with_the_count():
    result = check(variant(headline="A" * 35), platform=AdPlatform.SNAPCHAT)
    assert result.accepted == []
    assert "headline has 35 characters; snapchat allows 34" in result.rejected[0]


def test_arabic_letters_count_one_each_against_the_limit():
    headline = "عطر عود فاخر يدوم طويلا لكل المناسبات"  # 37 code points
    assert len(check(variant(headline=headline, text="عطر دافئ لكل مساء"), language="ar").accepted) == 1
    assert check(variant(headline=headline, text="عطر دافئ"), language="ar", platform=AdPlatform.GOOGLE_ADS).rejected


def test_a_description_on_a_platform_without_one_is_dropped_not_refused():
    result = check(variant(description="Extra words"), platform=AdPlatform.TIKTOK)
    assert result.accepted[0].description is None


def test_a_call_to_action_the_platform_does_not_know_is_rejected():
    assert "not one of snapchat's" in check(variant(cta="GET_OFFER"), platform=AdPlatform.SNAPCHAT).rejected[0]


def test_english_words_to_avoid_match_whole_words_in_any_case():
    assert check(variant(text="The CHEAP way to smell great."), avoid=["cheap"]).rejected
    assert check(variant(text="Cheapside is a street in London."), avoid=["cheap"]).accepted


def test_arabic_words_to_avoid_match_with_diacritics_tatweel_and_proclitics():
    pattern = avoided_word_pattern("رخيص")
    assert pattern.search(normalise("عطر رَخِيص"))
    assert pattern.search(normalise("عطر رخيـــص"))
    assert pattern.search(normalise("والرخيص أيضا"))
    assert not pattern.search(normalise("ترخيص المتجر"))  # "licence" contains the letters, not the word


def test_arabic_copy_with_an_avoided_word_is_rejected_with_the_word():
    result = check(variant(headline="عطر عود", text="عطر رخيص لكل يوم"), language="ar", avoid=["رخيص"])
    assert "'رخيص', a word the brand kit avoids" in result.rejected[0]


def test_prices_are_read_in_arabic_indic_digits_and_with_arabic_currency():
    assert prices_in("عطر عود بسعر ١٤٩ ر.س فقط") == [Decimal("149")]
    assert prices_in("Now SAR 1,299.00 — or 2 for $40") == [Decimal("1299.00"), Decimal("40")]
    assert prices_in("Made of 100% oud, 3 sizes, 24 hours of scent") == []


def test_a_price_that_is_not_the_products_is_rejected_in_arabic_and_english():
    assert "price of 149" in check(variant(text="Yours for SAR 149 today.")).rejected[0]
    arabic = check(variant(headline="عطر عود", text="احصل عليه بـ ١٤٩ ريال"), language="ar")
    assert "price of 149" in arabic.rejected[0]
    assert check(variant(headline="عطر عود", text="احصل عليه بـ ١٩٩ ريال"), language="ar").accepted


def test_any_variants_real_price_or_compare_at_price_is_allowed():
    facts = CopyFacts.of(product("199.00", was="249.00"), [(Money(Decimal("229"), SAR), None)])
    assert check(variant(text="Was SAR 249, now SAR 199. The large one is SAR 229."), facts=facts).accepted


def test_a_discount_claim_without_a_compare_at_price_is_rejected():
    assert "no compare-at price" in check(variant(text="20% off the oud this week.")).rejected[0]
    assert check(variant(headline="عطر عود", text="خصم على العطر هذا الأسبوع"), language="ar").rejected


def test_a_discount_larger_than_the_real_one_is_rejected_and_the_real_one_accepted():
    facts = CopyFacts.of(product("150.00", was="200.00"))  # 25 % off
    assert check(variant(text="25% off the oud this week."), facts=facts).accepted
    assert "claims 50% off; the real discount is 25%" in check(variant(text="50% off today."), facts=facts).rejected[0]
    assert check(variant(headline="عطر عود", text="خصم ٢٥٪ على العطر"), language="ar", facts=facts).accepted


def test_free_shipping_is_rejected_unless_the_product_says_so():
    assert "free shipping" in check(variant(text="Free shipping on the oud.")).rejected[0]
    assert check(variant(headline="عطر عود", text="شحن مجاني لكل الطلبات"), language="ar").rejected
    says_so = CopyFacts.of(product(description="Free shipping across the Kingdom."))
    assert check(variant(text="Free shipping on the oud."), facts=says_so).accepted


def test_best_selling_and_scarcity_claims_are_always_rejected():
    assert "best-selling" in check(variant(text="Our best-selling oud.")).rejected[0]
    assert check(variant(headline="عطر عود", text="الأكثر مبيعاً في المملكة"), language="ar").rejected
    assert check(variant(text="Limited stock: get yours.")).rejected
    assert check(variant(headline="عطر عود", text="كمية محدودة، اطلب الآن"), language="ar").rejected


def test_copy_in_the_wrong_language_is_rejected():
    assert "not in Arabic" in check(variant(), language="ar").rejected[0]


def test_each_rejected_variant_is_named_and_the_good_ones_kept():
    result = check(variant(), variant(text="Free shipping!"), variant(headline="x" * 50))
    assert len(result.accepted) == 1
    assert [r.split(":")[0] for r in result.rejected] == ["variant 2", "variant 3"]


def test_the_products_own_name_is_neither_a_claim_nor_a_price():
    named = ProductFacts(product_id="p2", name="Oud no. 1 for 3 SAR", names={"ar": "عطر رقم 1"},
                         price=Money(Decimal("99"), SAR))
    facts = CopyFacts.of(named)
    assert check(variant(headline="عطر رقم 1", text="عطر رقم 1 بسعر 99 ريال"), language="ar", facts=facts).accepted
    assert check(variant(headline="Oud no. 1 for 3 SAR", text="Oud no. 1 for 3 SAR, now SAR 99."), facts=facts).accepted
    assert check(variant(headline="عطر رقم 1", text="العطر رقم 1 في المملكة"), language="ar", facts=facts).accepted
    assert check(variant(headline="عطر", text="الأكثر مبيعاً: عطر رقم 1"), language="ar", facts=facts).rejected


def test_a_three_decimal_price_is_read_whole_and_accepted_when_it_is_the_real_price():
    from decimal import Decimal

    from adly_creative.domain.copy_checks import CopyFacts, check_copy
    from adly_creative.domain.ports import BrandKit, CopyVariant, Money, ProductFacts
    from adly_events.contracts.common import AdPlatform

    product = ProductFacts(product_id="p", name="Oud oil", price=Money(Decimal("12.345"), "KWD"))
    right = CopyVariant("Oud oil", "Now KWD 12.345 only.", None, "SHOP_NOW")
    wrong = CopyVariant("Oud oil", "Now KWD 12.340 only.", None, "SHOP_NOW")
    checked = check_copy([right, wrong], platform=AdPlatform.META, language="en", facts=CopyFacts.of(product),
                         brand=BrandKit(name="Ada"))
    assert [v.primary_text for v in checked.accepted] == ["Now KWD 12.345 only."]


def test_a_claim_the_brand_kit_makes_is_backed_by_the_merchant():
    from decimal import Decimal

    from adly_creative.domain.copy_checks import CopyFacts, check_copy
    from adly_creative.domain.ports import BrandKit, CopyVariant, Money, ProductFacts
    from adly_events.contracts.common import AdPlatform

    product = ProductFacts(product_id="p", name="Scarf", price=Money(Decimal("10.00"), "USD"))
    variant = CopyVariant("Scarf", "Free shipping on every order.", None, "SHOP_NOW")
    facts = CopyFacts.of(product)
    assert check_copy([variant], platform=AdPlatform.META, language="en", facts=facts, brand=BrandKit(name="Ada")).rejected
    backed = check_copy([variant], platform=AdPlatform.META, language="en", facts=facts,
                        brand=BrandKit(name="Ada", words_to_use=("free shipping",)))
    assert backed.accepted == [variant]
