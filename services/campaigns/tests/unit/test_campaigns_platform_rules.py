"""A plan is checked against each chosen platform's rules before it is accepted."""

from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

import pytest

from adly_campaigns.domain.platform_rules import (
    DECIMALS,
    GCC,
    MIN_DAILY,
    OBJECTIVES,
    PER_USD,
    PlanRefused,
    Problem,
    check_plan,
    platform_objective,
    problems_of,
)
from adly_events.contracts.campaigns import CampaignPlan, Objective
from adly_events.contracts.common import AdPlatform
from adly_kit.errors import InvalidInput

TODAY = date(2026, 11, 15)
META, TIKTOK, SNAPCHAT, GOOGLE = AdPlatform.META, AdPlatform.TIKTOK, AdPlatform.SNAPCHAT, AdPlatform.GOOGLE_ADS


def budget(platform: AdPlatform, amount: str = "500", currency: str = "SAR", kind: str = "daily") -> dict[str, Any]:
    return {"platform": platform, "budget": {"kind": kind, "amount": {"amount": amount, "currency": currency}}}


def plan(*platforms: AdPlatform, budgets: list[dict[str, Any]] | None = None, **changes: Any) -> CampaignPlan:
    chosen = platforms or (META,)
    fields: dict[str, Any] = {
        "objective": Objective.SALES, "platforms": list(chosen),
        "budgets": budgets if budgets is not None else [budget(p) for p in chosen],
        "schedule": {"starts_on": TODAY, "ends_on": TODAY + timedelta(days=13), "time_zone": "Asia/Riyadh"},
        "audience": {"countries": ["SA"]}, "landing_url": "https://abayas.sa/collections/eid",
    }
    audience = {key.removeprefix("audience_"): changes.pop(key) for key in list(changes) if key.startswith("audience_")}
    fields["audience"] |= audience
    return CampaignPlan.model_validate(fields | changes)


def paths(p: CampaignPlan, **kwargs: Any) -> list[str]:
    return [problem.path for problem in problems_of(p, today=TODAY, **kwargs)]


def test_a_plan_that_fits_all_four_platforms_has_no_problems():
    assert problems_of(plan(META, TIKTOK, SNAPCHAT, GOOGLE), today=TODAY) == []


# --- budgets ---------------------------------------------------------------------------------------


def test_every_chosen_platform_needs_a_budget():
    problems = problems_of(plan(META, TIKTOK, budgets=[budget(META)]), today=TODAY)
    assert problems == [Problem("budgets", "TikTok has no budget.")]


def test_a_budget_for_a_platform_not_chosen_is_refused():
    assert paths(plan(META, budgets=[budget(META), budget(SNAPCHAT)])) == ["budgets.1.platform"]


def test_a_platform_with_two_budgets_is_refused():
    assert paths(plan(META, budgets=[budget(META), budget(META, "900")])) == ["budgets.1.platform"]


def test_a_zero_budget_is_refused_even_where_there_is_no_minimum():
    assert paths(plan(GOOGLE, budgets=[budget(GOOGLE, "0")])) == ["budgets.0.budget.amount.amount"]


def test_a_budget_in_another_currency_than_the_ad_account_is_refused():
    problems = problems_of(plan(META, budgets=[budget(META, "100", "AED")]), today=TODAY,
                           account_currencies={META: "SAR"})
    assert problems == [Problem("budgets.0.budget.amount.currency",
                                "Your Meta ad account is in SAR, so its budget must be in SAR, not AED.")]


def test_a_kwd_budget_with_four_decimals_is_refused():
    problems = problems_of(plan(TIKTOK, budgets=[budget(TIKTOK, "25.1234", "KWD")]), today=TODAY)
    assert problems == [Problem("budgets.0.budget.amount.amount", "KWD amounts on TikTok have at most 3 decimals.")]


def test_a_kwd_budget_with_three_decimals_is_taken():
    assert paths(plan(TIKTOK, budgets=[budget(TIKTOK, "25.125", "KWD")])) == []


def test_trailing_zeros_are_not_decimals():
    assert paths(plan(META, budgets=[budget(META, "50.000")])) == []


def test_a_jpy_budget_with_decimals_is_refused():
    problems = problems_of(plan(GOOGLE, budgets=[budget(GOOGLE, "1500.5", "JPY")]), today=TODAY)
    assert Problem("budgets.0.budget.amount.amount", "JPY amounts on Google Ads have at most 0 decimals.") in problems


def test_meta_takes_bahraini_dinars_with_two_decimals_only():
    assert paths(plan(META, budgets=[budget(META, "10.125", "BHD")])) == ["budgets.0.budget.amount.amount"]
    assert paths(plan(GOOGLE, budgets=[budget(GOOGLE, "10.125", "BHD")])) == []


def test_meta_has_no_kuwaiti_dinar_ad_accounts():
    problems = problems_of(plan(META, budgets=[budget(META, "20", "KWD")]), today=TODAY)
    assert [p.path for p in problems] == ["budgets.0.budget.amount.currency"]
    assert "not KWD" in problems[0].message


def test_a_meta_budget_below_the_daily_floor_is_refused():
    problems = problems_of(plan(META, budgets=[budget(META, "1.50")]), today=TODAY)
    assert problems == [Problem("budgets.0.budget.amount.amount", "Meta needs at least SAR 1.87 a day.")]


def test_a_tiktok_ad_group_needs_twenty_dollars_a_day_in_riyals():
    assert paths(plan(TIKTOK, budgets=[budget(TIKTOK, "74.99")])) == ["budgets.0.budget.amount.amount"]
    assert paths(plan(TIKTOK, budgets=[budget(TIKTOK, "75")])) == []


def test_snapchat_needs_five_of_any_currency_a_day():
    assert paths(plan(SNAPCHAT, budgets=[budget(SNAPCHAT, "4.999", "KWD")])) == ["budgets.0.budget.amount.amount"]
    assert paths(plan(SNAPCHAT, budgets=[budget(SNAPCHAT, "5", "EGP")])) == []


def test_google_ads_takes_any_budget_above_zero():
    assert paths(plan(GOOGLE, budgets=[budget(GOOGLE, "0.01", "USD")])) == []


def test_a_lifetime_budget_without_an_end_date_is_refused():
    p = plan(META, budgets=[budget(META, "1000", kind="lifetime")], schedule={"starts_on": TODAY})
    assert problems_of(p, today=TODAY) == [Problem("schedule.ends_on", "A lifetime budget on Meta needs an end date.")]


def test_a_lifetime_budget_is_judged_per_day_of_the_schedule():
    fourteen_days = {"starts_on": TODAY, "ends_on": TODAY + timedelta(days=13)}
    enough = plan(TIKTOK, budgets=[budget(TIKTOK, "1050", kind="lifetime")], schedule=fourteen_days)
    short = plan(TIKTOK, budgets=[budget(TIKTOK, "1049.99", kind="lifetime")], schedule=fourteen_days)
    assert problems_of(enough, today=TODAY) == []
    assert problems_of(short, today=TODAY) == [Problem(
        "budgets.0.budget.amount.amount",
        "SAR 1,049.99 over 14 days is SAR 74.99 a day; TikTok needs at least SAR 75.00 a day (SAR 1,050.00 in all).")]


def test_a_lifetime_budget_without_a_start_counts_its_days_from_today():
    p = plan(SNAPCHAT, budgets=[budget(SNAPCHAT, "9.99", kind="lifetime")], schedule={"ends_on": TODAY + timedelta(1)})
    assert paths(p) == ["budgets.0.budget.amount.amount"]


@pytest.mark.parametrize("platform, usd", [(TIKTOK, Decimal(20))])
def test_the_floors_are_the_platforms_dollar_minimum_at_each_rate(platform: AdPlatform, usd: Decimal):
    for currency, rate in PER_USD.items():
        exact = (usd * rate).quantize(Decimal(1).scaleb(-DECIMALS[currency]), rounding=ROUND_DOWN)
        assert MIN_DAILY[platform][currency] == exact, currency


def test_metas_floor_is_a_dollar_in_its_first_group_and_half_a_dollar_elsewhere():
    for currency, floor in MIN_DAILY[META].items():
        usd = Decimal("1") if currency in ("USD", "EUR", "GBP") else Decimal("0.50")
        assert floor == (usd * PER_USD[currency]).quantize(Decimal("0.01"), rounding=ROUND_DOWN), currency


def test_every_gcc_currency_has_a_floor_on_tiktok_snapchat_and_google():
    for platform in (TIKTOK, SNAPCHAT, GOOGLE):
        assert {"SAR", "AED", "KWD", "QAR", "BHD", "OMR"} <= MIN_DAILY[platform].keys()


# --- schedule --------------------------------------------------------------------------------------


def test_a_campaign_cannot_start_in_the_past():
    assert paths(plan(schedule={"starts_on": TODAY - timedelta(1)})) == ["schedule.starts_on"]


def test_a_campaign_cannot_end_before_it_starts():
    p = plan(schedule={"starts_on": TODAY + timedelta(5), "ends_on": TODAY + timedelta(4)})
    assert paths(p) == ["schedule.ends_on"]


def test_a_campaign_without_a_start_cannot_end_in_the_past():
    assert paths(plan(schedule={"ends_on": TODAY - timedelta(1)})) == ["schedule.ends_on"]


def test_a_one_day_campaign_is_fine():
    assert paths(plan(schedule={"starts_on": TODAY, "ends_on": TODAY})) == []


# --- audience --------------------------------------------------------------------------------------


@pytest.mark.parametrize("platform", [META, TIKTOK, SNAPCHAT, GOOGLE])
def test_every_gcc_state_can_be_targeted(platform: AdPlatform):
    assert paths(plan(platform, audience_countries=list(GCC))) == []


def test_every_gcc_state_can_be_targeted_on_meta():
    assert paths(plan(META, audience_countries=["SA", "AE", "KW", "QA", "BH", "OM", "EG", "JO"])) == []


def test_a_made_up_country_code_is_refused():
    problems = problems_of(plan(META, audience_countries=["SA", "XX"]), today=TODAY)
    assert problems == [Problem("audience.countries.1", "'XX' is not an ISO 3166 country code (e.g. SA, AE).")]


def test_a_sanctioned_country_cannot_be_targeted():
    assert paths(plan(GOOGLE, audience_countries=["SA", "IR"])) == ["audience.countries.1"]


def test_tiktok_does_not_show_ads_in_india():
    assert paths(plan(TIKTOK, META, audience_countries=["IN"])) == ["audience.countries.0"]


def test_cities_are_refused_on_snapchat_which_targets_whole_countries():
    problems = problems_of(plan(SNAPCHAT, audience_cities=["Riyadh"]), today=TODAY)
    assert [p.path for p in problems] == ["audience.cities"]
    assert "Snapchat targets whole countries" in problems[0].message


def test_cities_are_taken_where_the_platform_targets_cities():
    assert paths(plan(META, TIKTOK, GOOGLE, audience_cities=["Riyadh", "جدة"])) == []


def test_a_language_must_be_an_iso_639_1_code():
    assert paths(plan(audience_languages=["ar", "arabic"])) == ["audience.languages.1"]


def test_the_youngest_age_cannot_be_above_the_oldest():
    assert paths(plan(SNAPCHAT, audience_age_min=40, audience_age_max=30)) == ["audience.age_min"]


def test_teenagers_can_be_reached_on_snapchat_but_not_through_adly_on_meta():
    assert paths(plan(SNAPCHAT, audience_age_min=13)) == []
    problems = problems_of(plan(META, audience_age_min=16), today=TODAY)
    assert problems == [Problem("audience.age_min", "ADLY targets ages 18 and above on Meta.")]


def test_google_ads_reaches_adults_only():
    assert paths(plan(GOOGLE, audience_age_min=13, audience_age_max=17)) == ["audience.age_min"]


def test_tiktok_targets_age_groups_and_says_which_to_choose():
    problems = problems_of(plan(TIKTOK, audience_age_min=20, audience_age_max=40), today=TODAY)
    assert problems == [Problem("audience.age_min", "TikTok targets age groups (13-17, 18-24, 25-34, 35-44, 45-54, "
                                                    "55+): choose 18-44 to include 20 to 40.")]


def test_ages_on_group_edges_fit_tiktok_and_google():
    assert paths(plan(TIKTOK, GOOGLE, audience_age_min=25, audience_age_max=34)) == []
    assert paths(plan(TIKTOK, GOOGLE, audience_age_min=18, audience_age_max=65)) == []


def test_an_oldest_age_inside_a_group_points_at_the_oldest_age():
    assert paths(plan(GOOGLE, audience_age_min=25, audience_age_max=60)) == ["audience.age_max"]


# --- objective, platforms, landing page ------------------------------------------------------------


@pytest.mark.parametrize("platform", list(AdPlatform))
@pytest.mark.parametrize("objective", list(Objective))
def test_every_objective_maps_on_every_platform(platform: AdPlatform, objective: Objective):
    assert platform_objective(platform, objective) == OBJECTIVES[platform][objective]


def test_the_platforms_own_objective_names():
    assert platform_objective(META, Objective.SALES) == "OUTCOME_SALES"
    assert platform_objective(TIKTOK, Objective.AWARENESS) == "REACH"
    assert platform_objective(SNAPCHAT, Objective.TRAFFIC) == "TRAFFIC"
    assert platform_objective(GOOGLE, Objective.CONVERSIONS) == "DEMAND_GEN"


def test_a_lifetime_budget_on_google_ads_is_refused_at_its_kind():
    assert paths(plan(GOOGLE, budgets=[budget(GOOGLE, "9000", kind="lifetime")])) == ["budgets.0.budget.kind"]


def test_an_objective_a_platform_cannot_serve_is_a_problem(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(OBJECTIVES, SNAPCHAT, {Objective.SALES: "SALES"})
    assert paths(plan(SNAPCHAT, objective=Objective.AWARENESS)) == ["objective"]
    with pytest.raises(InvalidInput):
        platform_objective(SNAPCHAT, Objective.AWARENESS)


def test_a_platform_chosen_twice_is_refused():
    assert paths(plan(META, META, budgets=[budget(META)])) == ["platforms.1"]


@pytest.mark.parametrize("url", ["http://abayas.sa/eid", "abayas.sa/eid", "/collections/eid", "https://",
                                 "https://abayas.sa/summer sale"])
def test_a_landing_page_must_be_a_full_https_address(url: str):
    assert paths(plan(landing_url=url)) == ["landing_url"]


def test_an_arabic_landing_page_is_fine():
    assert paths(plan(landing_url="https://عبايات.السعودية/مجموعات/العيد")) == []


# --- refusing ----------------------------------------------------------------------------------------


def test_a_plan_with_problems_is_refused_naming_the_first_field_and_every_problem():
    bad = plan(META, TIKTOK, budgets=[budget(META, "1"), budget(TIKTOK, "10")], audience_age_min=16)
    with pytest.raises(InvalidInput) as refused:
        check_plan(bad, today=TODAY)
    assert refused.value.field == "budgets.0.budget.amount.amount"
    assert isinstance(refused.value, PlanRefused)
    assert [p.path for p in refused.value.found] == [
        "budgets.0.budget.amount.amount", "budgets.1.budget.amount.amount", "audience.age_min", "audience.age_min"]
    assert "Meta needs at least SAR 1.87 a day" in str(refused.value)
    assert "TikTok targets age groups" in str(refused.value)


def test_a_single_problem_is_the_whole_message():
    with pytest.raises(InvalidInput, match=r"^Meta needs at least SAR 1\.87 a day\.$"):
        check_plan(plan(META, budgets=[budget(META, "1")]), today=TODAY)


def test_a_plan_that_fits_is_accepted():
    check_plan(plan(META, SNAPCHAT), today=TODAY, account_currencies={META: "SAR", SNAPCHAT: "SAR"})
