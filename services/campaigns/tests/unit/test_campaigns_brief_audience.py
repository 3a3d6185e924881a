"""Objective, platforms and audience: the words merchants use for them in both languages."""

from datetime import date

import pytest

from adly_campaigns.domain.brief import BriefContext, parse_brief

TODAY = date(2026, 5, 13)


def parse(text: str, *, countries: tuple[str, ...] = ()):
    return parse_brief(text, BriefContext(today=TODAY, time_zone="Asia/Riyadh", default_countries=countries))


@pytest.mark.parametrize(("text", "objective"), [
    ("goal is sales", "sales"), ("الهدف مبيعات", "sales"), ("بدنا نزيد البيع", "sales"),
    ("more traffic to the store", "traffic"), ("الهدف زيارات للموقع", "traffic"),
    ("want awareness", "awareness"), ("ابي انتشار", "awareness"), ("حملة وعي للماركة", "awareness"),
    ("we want conversions", "conversions"), ("الهدف تحويلات", "conversions"),
])
def test_objective_words_in_both_languages(text, objective):
    assert parse(text).value("objective") == objective


def test_a_brief_without_an_objective_is_for_sales_with_low_confidence():
    finding = parse("snap ads for our perfume").fields["objective"]
    assert finding.value == "sales" and finding.source is None and finding.confidence < 0.5


def test_a_goal_the_merchant_turns_down_is_not_the_objective():
    assert parse("I want sales, not just awareness").value("objective") == "sales"


@pytest.mark.parametrize(("text", "platforms"), [
    ("تيك توك وسناب", ["snapchat", "tiktok"]), ("تك توك", ["tiktok"]), ("سناب شات", ["snapchat"]),
    ("انستقرام وفيسبوك", ["meta"]), ("على الانستا والفيس", ["meta"]), ("قوقل ويوتيوب", ["google_ads"]),
    ("جوجل", ["google_ads"]), ("insta + tiktok", ["meta", "tiktok"]), ("snpachat and tiktock", ["snapchat", "tiktok"]),
    ("كل المنصات", ["google_ads", "meta", "snapchat", "tiktok"]),
    ("جميع المنصات ماعدا قوقل", ["meta", "snapchat", "tiktok"]),
])
def test_platform_names_in_arabic_english_and_typos(text, platforms):
    assert parse(text).value("platforms") == platforms


def test_no_platform_named_assumes_meta_and_asks():
    parsed = parse("ads for my perfume in riyadh, 100 SAR a day")
    assert parsed.value("platforms") == ["meta"] and parsed.fields["platforms"].confidence < 0.5
    assert "platforms" in [q.field for q in parsed.questions]


def test_every_gcc_state_by_name_and_the_gulf_as_all_six():
    assert parse("السعودية والإمارات والكويت وقطر والبحرين وعمان").value("countries") == \
        ["AE", "BH", "KW", "OM", "QA", "SA"]
    assert parse("across the GCC").value("countries") == ["AE", "BH", "KW", "OM", "QA", "SA"]
    assert parse("دول الخليج").value("countries") == ["AE", "BH", "KW", "OM", "QA", "SA"]
    assert parse("the whole gulf except Oman").value("countries") == ["AE", "BH", "KW", "QA", "SA"]


def test_cities_bring_their_country():
    parsed = parse("الرياض وجدة ودبي")
    assert parsed.value("cities") == ["Dubai", "Jeddah", "Riyadh"]
    assert parsed.value("countries") == ["AE", "SA"]


def test_amman_with_its_shadda_or_beside_jordan_is_the_city_not_oman():
    assert parse("بالأردن، عمّان وإربد").value("cities") == ["Amman", "Irbid"]
    assert parse("حملة في عمان").value("countries") == ["OM"]


def test_no_country_named_uses_the_stores_country_with_low_confidence_and_says_so():
    parsed = parse("snap ads, 100 riyal a day", countries=("SA",))
    assert parsed.value("countries") == ["SA"] and parsed.fields["countries"].confidence < 0.5
    assert any(q.field == "countries" and "Saudi Arabia" in q.message for q in parsed.questions)


def test_no_country_and_no_store_country_is_a_question_and_no_plan():
    parsed = parse("snap ads, 100 SAR a day")
    assert parsed.value("countries") == [] and parsed.plan() is None
    assert "countries" in [q.field for q in parsed.questions]


@pytest.mark.parametrize(("text", "ages"), [
    ("women 25-40", (25, 40)), ("للنساء من ٢٥ إلى ٤٠ سنة", (25, 40)), ("الأعمار من ٣٥ ل ٦٠", (35, 60)),
    ("18-24 yr olds", (18, 24)), ("women 30+", (30, 65)), ("الرجالة فوق ٣٠ سنة", (30, 65)),
    ("ages 18 to 70", (18, 65)), ("والعمر من ١٨ لين ٣٠", (18, 30)),
])
def test_age_ranges_as_merchants_write_them(text, ages):
    value = parse(text).value("age_range")
    assert (value["min"], value["max"]) == ages


def test_no_age_range_is_every_adult_age():
    assert parse("snap ads in riyadh").value("age_range") == {"min": 18, "max": 65}


@pytest.mark.parametrize(("text", "gender"), [
    ("target moms", "female"), ("للحريم", "female"), ("للستات", "female"), ("البنات", "female"),
    ("men 25-45", "male"), ("للرياييل", "male"), ("للرجال", "male"),
    ("men and women", "all"), ("للستات والرجالة", "all"), ("both genders", "all"), ("snap ads", "all"),
])
def test_gender_words_in_both_languages_and_dialects(text, gender):
    assert parse(text).value("gender") == gender


def test_the_language_of_the_ads_is_the_one_asked_for_else_the_briefs():
    assert parse("instagram ads in Arabic pls").value("creative_language") == "ar"
    assert parse("حملة انستقرام، الإعلانات بالإنجليزي").value("creative_language") == "en"
    assert parse("حملة انستقرام في الرياض").value("creative_language") == "ar"
    assert parse("instagram campaign in riyadh").value("creative_language") == "en"


def test_speakers_of_a_language_are_the_audience_not_the_ads():
    parsed = parse("UAE, english + arabic speakers")
    assert parsed.value("languages") == ["ar", "en"]
    assert parsed.value("creative_language") == "en"


def test_variants_per_platform():
    assert parse("3 variants per platform").value("variants_per_platform") == 3
    assert parse("٤ تصاميم لكل منصة").value("variants_per_platform") == 4
    assert parse("نسختين").value("variants_per_platform") == 2
    assert parse("4 ad variations").value("variants_per_platform") == 4
    assert parse("snap ads").value("variants_per_platform") == 2
