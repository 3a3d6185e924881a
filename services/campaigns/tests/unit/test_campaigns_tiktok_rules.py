"""TikTok's error codes, units, targeting and report rows, without any I/O."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from adly_campaigns.adapters.tiktok.errors import classify, field_of, http_refusal
from adly_campaigns.adapters.tiktok.reports import row_of, windows
from adly_campaigns.adapters.tiktok.shapes import (
    call_to_action,
    file_stem,
    plain_text,
    reject_reasons,
    request_id,
    review_of,
    tiktok_time,
)
from adly_campaigns.adapters.tiktok.targeting import age_groups, pick_locations
from adly_campaigns.domain.ports import ErrorKind, Review
from adly_events.contracts.campaigns import Audience, Gender, PerformanceLevel

REGIONS = [{"location_id": "102358", "name": "Saudi Arabia", "region_code": "SA", "level": "COUNTRY"},
           {"location_id": "290557", "name": "United Arab Emirates", "region_code": "AE", "level": "COUNTRY"},
           {"location_id": "108410", "name": "Riyadh", "region_code": "SA", "level": "CITY"},
           {"location_id": "292223", "name": "Dubai", "region_code": "AE", "level": "CITY"}]


@pytest.mark.parametrize(("code", "kind"), [
    (40100, ErrorKind.THROTTLED), (40016, ErrorKind.THROTTLED), (40133, ErrorKind.THROTTLED),
    (40102, ErrorKind.TOKEN_INVALID), (40104, ErrorKind.TOKEN_INVALID), (40105, ErrorKind.TOKEN_INVALID),
    (40106, ErrorKind.TOKEN_INVALID), (40001, ErrorKind.PERMISSION), (40007, ErrorKind.NOT_FOUND),
    (40050, ErrorKind.TRANSIENT), (40002, ErrorKind.INVALID_PARAMETER), (40000, ErrorKind.INVALID_PARAMETER),
    (40110, ErrorKind.INVALID_PARAMETER), (50000, ErrorKind.TRANSIENT), (51234, ErrorKind.TRANSIENT),
    (41999, ErrorKind.INVALID_PARAMETER),
])
def test_every_code_tiktok_answers_in_an_http_200_has_a_class(code, kind):
    refused = classify(code, "something")
    assert (refused.kind, refused.code) == (kind, str(code))
    assert refused.retry_after is None


def test_a_policy_refusal_and_a_field_are_read_from_the_message():
    assert classify(40002, "The ad text violates TikTok's advertising policies.").kind is ErrorKind.POLICY
    assert field_of("Missing required field(s): promotion_type.") == "promotion_type"
    assert field_of("budget: The budget is lower than the minimum budget.") == "budget"
    assert field_of("Something went wrong") is None


def test_an_answer_without_the_envelope_is_read_by_its_http_status():
    assert http_refusal(404).kind is ErrorKind.INVALID_PARAMETER, "a missing trailing slash is ADLY's bug, not a retry"
    assert http_refusal(502).kind is ErrorKind.TRANSIENT and http_refusal(429).kind is ErrorKind.THROTTLED


def test_schedule_times_go_in_utc_and_names_become_stable_keys():
    assert tiktok_time(datetime(2031, 3, 20, 23, 59), "Asia/Kuwait") == "2031-03-20 20:59:00"
    assert tiktok_time(datetime(2031, 3, 1, 9, tzinfo=UTC), "Asia/Riyadh") == "2031-03-01 09:00:00"
    assert request_id("x [adly c1 campaign]") == request_id("x [adly c1 campaign]") != request_id("x [adly c2 campaign]")
    assert int(request_id("a")) < 2**63 and len(file_stem("n" * 400)) < 100


def test_ad_text_loses_emoji_and_is_cut_to_tiktoks_limit():
    assert plain_text("عطر 🎁 العود ✨", 100) == "عطر العود"
    assert len(plain_text("a" * 300, 100)) == 100
    assert [call_to_action(c) for c in ("shop now", "BUY_NOW", "GET_OFFER", "ORDER_NOW", "SPIN")] == [
        "SHOP_NOW", "SHOP_NOW", "SHOP_NOW", "ORDER_NOW", "LEARN_MORE"]


@pytest.mark.parametrize(("young", "old", "groups"), [
    (13, 65, []), (18, 65, ["AGE_18_24", "AGE_25_34", "AGE_35_44", "AGE_45_54", "AGE_55_100"]),
    (18, 34, ["AGE_18_24", "AGE_25_34"]), (55, 65, ["AGE_55_100"]), (13, 17, ["AGE_13_17"]),
])
def test_ages_become_tiktoks_age_groups(young, old, groups):
    assert age_groups(young, old) == groups


def test_a_country_with_a_known_city_is_targeted_through_the_city_and_unknown_places_are_reported():
    audience = Audience(countries=["SA", "AE", "ZZ"], cities=["riyadh", "Atlantis", "Dubai"], gender=Gender.MALE,
                        languages=["AR"])
    resolved = pick_locations(audience, REGIONS)
    assert resolved.targeting["location_ids"] == ["108410", "292223"]
    assert (resolved.unresolved_countries, resolved.unresolved_cities) == (["ZZ"], ["Atlantis"])
    assert (resolved.targeting["gender"], resolved.targeting["languages"]) == ("GENDER_MALE", ["ar"])
    whole = pick_locations(Audience(countries=["SA"]), REGIONS)
    assert whole.targeting["location_ids"] == ["102358"] and whole.targeting["gender"] == "GENDER_UNLIMITED"


def test_report_rows_turn_strings_into_exact_numbers_and_the_payment_rate_into_value():
    entry = {"dimensions": {"ad_id": "17", "stat_time_day": "2026-10-01 00:00:00"},
             "metrics": {"spend": "12.34", "impressions": "1,204", "clicks": "31", "reach": "-",
                         "complete_payment": "3", "total_complete_payment_rate": "447.00", "campaign_id": "5"}}
    row = row_of(PerformanceLevel.AD, "ad_id", entry, hourly=False)
    assert row is not None
    assert (row.spend, row.conversion_value, row.conversions) == (Decimal("12.34"), Decimal("447.00"), Decimal(3))
    assert (row.impressions, row.clicks, row.reach, row.day, row.hour) == (1204, 31, None, date(2026, 10, 1), None)
    assert row.platform_campaign_id == "5"
    hourly = {"dimensions": {"campaign_id": "5", "stat_time_hour": "2026-10-01 13:00:00"}, "metrics": {}}
    assert row_of(PerformanceLevel.CAMPAIGN, "campaign_id", hourly, hourly=True).hour == 13  # type: ignore[union-attr]
    assert row_of(PerformanceLevel.AD, "ad_id", {"dimensions": {"ad_id": "1"}}, hourly=False) is None


def test_long_report_windows_are_cut_into_thirty_day_pieces():
    pieces = windows(date(2026, 1, 1), date(2026, 3, 2), 30)
    assert pieces[0] == (date(2026, 1, 1), date(2026, 1, 30)) and pieces[-1] == (date(2026, 3, 2), date(2026, 3, 2))
    assert all((b - a).days < 30 for a, b in pieces) and len(pieces) == 3


def test_a_disapproved_ad_carries_tiktoks_reasons():
    reasons = reject_reasons({"ad_review_map": {"9": {"reject_info": [{"reasons": ["Misleading claim"],
                                                                        "suggestion": "Edit the text"}]}}})
    assert review_of("9", {"secondary_status": "AD_STATUS_AUDIT_DENY"}, reasons).reason == "Misleading claim; Edit the text"
    assert review_of("8", {"secondary_status": "AD_STATUS_AUDIT_DENY"}, {}).review is Review.DISAPPROVED
    assert review_of("7", {"secondary_status": "AD_STATUS_AUDIT"}, {}).review is Review.IN_REVIEW
    assert review_of("6", {"secondary_status": "AD_STATUS_DELIVERY_OK"}, {}).review is Review.APPROVED


EXAMPLES = Path(__file__).resolve().parents[4] / "tests" / "fakes" / "tiktok_examples" / "return_codes.json"


@pytest.mark.parametrize("example", json.loads(EXAMPLES.read_text(encoding="utf-8"))["envelopes"],
                         ids=lambda e: str(e["body"]["code"]))
def test_the_documented_example_refusals_are_classified(example):
    body = example["body"]
    refused = classify(body["code"], body["message"])
    assert (refused.kind.value, refused.field) == (example["kind"], example["field"])
