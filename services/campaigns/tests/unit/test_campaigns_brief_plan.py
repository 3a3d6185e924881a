"""The parse as a whole: where every value came from, how sure, what was not understood, the plan."""

from datetime import date
from decimal import Decimal

from adly_campaigns.domain.brief import FIELDS, BriefContext, parse_brief
from adly_events.contracts.campaigns import BudgetKind, Gender, Objective
from adly_events.contracts.common import AdPlatform

TODAY = date(2026, 5, 13)
ARABIC = ("السلام عليكم، ابغى اعلان على سناب وانستقرام في الرياض وجدة، الميزانية ٢٠٠ ريال يوميا، "
          "من الأحد القادم لمدة أسبوعين، للنساء من ٢٥ إلى ٤٠ سنة، الهدف مبيعات")


def parse(text: str, *, countries: tuple[str, ...] = ("SA",)):
    return parse_brief(text, BriefContext(today=TODAY, time_zone="Asia/Riyadh", default_countries=countries))


def test_an_arabic_brief_becomes_a_complete_plan():
    plan = parse(ARABIC).plan()
    assert plan is not None
    assert plan.objective is Objective.SALES
    assert plan.platforms == [AdPlatform.META, AdPlatform.SNAPCHAT]
    assert {(b.budget.kind, b.budget.amount.amount, b.budget.amount.currency) for b in plan.budgets} == \
        {(BudgetKind.DAILY, Decimal("200"), "SAR")}
    assert (str(plan.schedule.starts_on), str(plan.schedule.ends_on)) == ("2026-05-17", "2026-05-30")
    assert plan.schedule.time_zone == "Asia/Riyadh"
    assert plan.audience.countries == ["SA"] and plan.audience.cities == ["Jeddah", "Riyadh"]
    assert (plan.audience.age_min, plan.audience.age_max, plan.audience.gender) == (25, 40, Gender.FEMALE)
    assert plan.creative_language == "ar" and plan.variants_per_platform == 2


def test_the_parse_has_every_field_of_the_plan():
    assert set(parse(ARABIC).fields) == set(FIELDS)


def test_every_source_points_at_the_merchants_own_characters():
    parsed = parse(ARABIC)
    for name, finding in parsed.fields.items():
        if finding.source is not None:
            assert ARABIC[finding.source.start:finding.source.end] == finding.source.text, name
    assert parsed.fields["budget"].source.text == "٢٠٠ ريال يوميا"


def test_values_read_from_the_brief_are_surer_than_defaults():
    parsed = parse(ARABIC)
    assert parsed.fields["budget"].confidence >= 0.9
    assert parsed.fields["variants_per_platform"].source is None
    assert parsed.fields["variants_per_platform"].confidence <= 0.5


def test_the_language_of_the_brief():
    assert parse(ARABIC).language == "ar"
    assert parse("abaya sale, insta w snap, riyadh, 300 ريال يوميا").language == "en"
    assert parse("ابي campaign على السناب والتيك توك للسنيكرز، budget ١٠٠ درهم daily، دبي بس").language == "ar"


def test_what_no_rule_used_is_listed_as_not_understood():
    parsed = parse("Zumba push on snap, 100 SAR a day, riyadh")
    assert [span.text for span in parsed.not_understood] == ["Zumba"]


def test_greetings_and_wishes_are_not_listed_as_not_understood():
    assert parse(ARABIC).not_understood == []


def test_a_link_in_the_brief_is_the_landing_url():
    parsed = parse("traffic to https://shop.example.sa/oud please, snap, 50 SAR a day")
    assert parsed.value("landing_url") == "https://shop.example.sa/oud"
    assert parse("الموقع www.galabeya-eg.com").value("landing_url") == "https://www.galabeya-eg.com"


def test_a_campaign_name_when_the_merchant_gives_one():
    assert parse("campaign name: Summer Oud. snap ads").value("name") == "Summer Oud"
    assert parse(ARABIC).value("name")


def test_the_parser_is_deterministic():
    first, second = parse(ARABIC), parse(ARABIC)
    assert first == second


def test_an_empty_brief_asks_everything_and_has_no_plan():
    parsed = parse("", countries=())
    assert parsed.plan() is None
    assert {q.field for q in parsed.questions} >= {"budget", "countries", "platforms"}
