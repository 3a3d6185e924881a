"""Google Ads answers mapped without I/O: refusals to ErrorKind, report rows to exact units,
policy summaries to reviews, the creative reference, dates at day granularity."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from adly_campaigns.adapters.google_ads.creative import PackedCreative, logo_problem, slot_of, unpack
from adly_campaigns.adapters.google_ads.errors import classify, field_path, oauth_error, seconds
from adly_campaigns.adapters.google_ads.publisher import _day_time
from adly_campaigns.adapters.google_ads.reports import row_of, spend_of
from adly_campaigns.adapters.google_ads.reviews import review_of
from adly_campaigns.adapters.google_ads.settings import GoogleAdsSettings, digits
from adly_campaigns.domain.money import from_platform_units, iso_decimals
from adly_campaigns.domain.ports import ErrorKind, Review
from adly_events.contracts.campaigns import PerformanceLevel
from adly_events.contracts.common import AdPlatform


def failure(code: dict[str, str], *, status: int = 400, grpc: str = "INVALID_ARGUMENT", path: list[str] | None = None,
            details: dict | None = None, message: str = "refused") -> dict:
    error: dict = {"errorCode": code, "message": message}
    if path:
        error["location"] = {"fieldPathElements": [{"fieldName": "mutate_operations", "index": 2},
                                                   {"fieldName": "campaign_operation"}, {"fieldName": "create"},
                                                   *({"fieldName": p} for p in path)]}
    if details:
        error["details"] = details
    return {"error": {"code": status, "message": "outer", "status": grpc, "details": [
        {"@type": "type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure", "errors": [error],
         "requestId": "r"}]}}


@pytest.mark.parametrize(("code", "status", "kind"), [
    ({"quotaError": "RESOURCE_TEMPORARILY_EXHAUSTED"}, 429, ErrorKind.THROTTLED),
    ({"quotaError": "EXCESSIVE_SHORT_TERM_QUERY_RESOURCE_CONSUMPTION"}, 429, ErrorKind.THROTTLED),
    ({"authenticationError": "OAUTH_TOKEN_REVOKED"}, 401, ErrorKind.TOKEN_INVALID),
    ({"authenticationError": "OAUTH_TOKEN_EXPIRED"}, 401, ErrorKind.TRANSIENT),
    ({"authenticationError": "CUSTOMER_NOT_FOUND"}, 401, ErrorKind.PERMISSION),
    ({"authorizationError": "USER_PERMISSION_DENIED"}, 403, ErrorKind.PERMISSION),
    ({"authorizationError": "CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION"}, 403, ErrorKind.PERMISSION),
    ({"policyFindingError": "POLICY_FINDING"}, 400, ErrorKind.POLICY),
    ({"mutateError": "RESOURCE_NOT_FOUND"}, 400, ErrorKind.NOT_FOUND),
    ({"internalError": "INTERNAL_ERROR"}, 500, ErrorKind.TRANSIENT),
    ({"databaseError": "CONCURRENT_MODIFICATION"}, 409, ErrorKind.TRANSIENT),
    ({"fieldError": "REQUIRED"}, 400, ErrorKind.INVALID_PARAMETER),
])
def test_the_first_google_ads_error_decides_the_kind(code, status, kind):
    error = classify(status, failure(code, status=status), 30.0)
    family, reason = next(iter(code.items()))
    assert (error.kind, error.error_code) == (kind, f"{family}/{reason}")


def test_a_quota_error_carries_googles_retry_delay_or_the_default():
    with_delay = classify(429, failure({"quotaError": "RESOURCE_EXHAUSTED"}, status=429, details={
        "quotaErrorDetails": {"rateScope": "ACCOUNT", "retryDelay": "42s"}}), 30.0)
    without = classify(429, failure({"quotaError": "RESOURCE_EXHAUSTED"}, status=429), 30.0)
    bare = classify(429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "slow down"}}, 30.0)
    assert (with_delay.retry_after, without.retry_after, bare.retry_after) == (42.0, 30.0, 30.0)
    assert bare.kind is ErrorKind.THROTTLED and seconds("1.5s") == 1.5 and seconds("soon") is None


def test_the_field_at_fault_drops_the_requests_wrappers():
    error = classify(400, failure({"fieldError": "REQUIRED"}, path=["contains_eu_political_advertising"]), 30.0)
    assert error.field == "contains_eu_political_advertising"
    assert field_path({"location": {"fieldPathElements": [{"fieldName": "operations", "index": 0},
                                                          {"fieldName": "update"}]}}) is None
    policy = classify(400, failure({"policyFindingError": "POLICY_FINDING"}, path=["ad", "headlines"], details={
        "policyFindingDetails": {"policyTopicEntries": [{"topic": "ALCOHOL"}]}}), 30.0)
    assert policy.field == "ad.headlines" and "Google Ads policy: ALCOHOL" in policy.message


def test_bodies_without_a_google_ads_failure_are_classified_by_status():
    assert classify(401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}}, 1).kind is ErrorKind.TOKEN_INVALID
    assert classify(403, None, 1).kind is ErrorKind.PERMISSION
    assert classify(502, None, 1).kind is ErrorKind.TRANSIENT
    assert classify(404, None, 1).kind is ErrorKind.NOT_FOUND
    partial = classify(200, {"partialFailureError": failure({"stringLengthError": "TOO_LONG"}, path=["name"])["error"]},
                       1)
    assert (partial.kind, partial.field) == (ErrorKind.INVALID_PARAMETER, "name")


def test_googles_oauth_refusals_say_whether_to_reconnect():
    assert oauth_error(400, {"error": "invalid_grant"}).kind is ErrorKind.TOKEN_INVALID
    assert oauth_error(401, {"error": "invalid_client"}).kind is ErrorKind.PERMISSION
    assert oauth_error(503, None).kind is ErrorKind.TRANSIENT


def test_report_rows_keep_micros_int64_strings_and_doubles_exact():
    row = {"campaign": {"id": "111"}, "adGroup": {"id": "22"}, "adGroupAd": {"ad": {"id": "333"}},
           "segments": {"date": "2026-12-01"},
           "metrics": {"impressions": "9000000000123", "clicks": "7", "costMicros": "12345678",
                       "conversions": 1.5, "conversionsValue": 0.1}}
    ad = row_of(PerformanceLevel.AD, row, "KWD")
    assert ad is not None and ad.platform_object_id == "22~333"
    assert (ad.impressions, ad.clicks, ad.spend) == (9_000_000_000_123, 7, Decimal("12.345678"))
    assert (ad.conversions, ad.conversion_value) == (Decimal("1.5"), Decimal("0.1"))
    sar = row_of(PerformanceLevel.CAMPAIGN, row | {"metrics": {"costMicros": "23450000"}}, "SAR")
    assert sar is not None and sar.spend == Decimal("23.45") and (sar.impressions, sar.conversions) == (0, 0)
    midnight = row_of(PerformanceLevel.CAMPAIGN, row, "SAR", hourly=True)
    assert midnight is not None and midnight.hour == 0
    assert row_of(PerformanceLevel.AD_SET, {"campaign": {"id": "1"}, "segments": {}}, "SAR") is None


@pytest.mark.parametrize(("summary", "review", "reason"), [
    ({"reviewStatus": "REVIEW_IN_PROGRESS", "approvalStatus": "UNKNOWN"}, Review.IN_REVIEW, None),
    ({"reviewStatus": "REVIEWED", "approvalStatus": "APPROVED"}, Review.APPROVED, None),
    ({"reviewStatus": "REVIEWED", "approvalStatus": "APPROVED_LIMITED"}, Review.APPROVED, None),
    ({"reviewStatus": "UNDER_APPEAL", "approvalStatus": "APPROVED_LIMITED"}, Review.IN_REVIEW, None),
    ({"approvalStatus": "DISAPPROVED", "policyTopicEntries": [{"topic": "ALCOHOL"}, {"topic": "ALCOHOL"}]},
     Review.DISAPPROVED, "Google Ads policy: ALCOHOL"),
    ({}, Review.IN_REVIEW, None),
])
def test_policy_summaries_become_reviews(summary, review, reason):
    found = review_of("1~2", {"policySummary": summary})
    assert (found.review, found.reason) == (review, reason)


def test_the_creative_reference_round_trips_and_images_find_their_slot():
    packed = PackedCreative("77", 600, 600, "عطر", ["دافئ"], "https://x.example/?a=1", "Shop now")
    assert unpack(packed.pack()) == packed and unpack("120210000") is None and unpack("dg1.!!") is None
    assert [slot_of(*size) for size in ((1200, 628), (600, 600), (480, 600), (720, 1280), (500, 100))] == [
        "marketingImages", "squareMarketingImages", "portraitMarketingImages", "tallPortraitMarketingImages", None]
    assert logo_problem(600, 600) is None and logo_problem(100, 100) and logo_problem(1200, 628)


def test_campaign_dates_are_whole_days_in_the_accounts_time_zone():
    riyadh = ZoneInfo("Asia/Riyadh")
    starts = datetime(2031, 3, 1, tzinfo=riyadh)
    assert _day_time(starts, "Asia/Riyadh", end=False) == "2031-03-01 00:00:00"
    assert _day_time(starts + timedelta(days=14), "Asia/Riyadh", end=True) == "2031-03-14 23:59:59"
    assert _day_time(datetime(2031, 3, 2, tzinfo=ZoneInfo("Asia/Dubai")), "Asia/Riyadh", end=True) == \
        "2031-03-01 23:59:59"
    assert date(2031, 3, 1).isoformat() in _day_time(starts, "Asia/Riyadh", end=False)


def test_customer_ids_lose_their_dashes_and_settings_refuse_what_google_would():
    assert digits("123-456-7890") == "1234567890"
    with pytest.raises(ValueError):
        GoogleAdsSettings(client_id="c", client_secret="s", api_version="26")
    with pytest.raises(ValueError):
        GoogleAdsSettings(client_id="", client_secret="s")
    assert GoogleAdsSettings(client_id="c", client_secret="s").base == "https://googleads.googleapis.com/v26"


@pytest.mark.parametrize("currency", ["SAR", "KWD", "JPY", "USD"])
@pytest.mark.parametrize("micros", [0, 1, 10_000, 5_670_000, 12_345_678, 1_000_000_000_001])
def test_spend_is_what_the_money_module_answers_for_micros(currency, micros):
    expected = from_platform_units(AdPlatform.GOOGLE_ADS, micros, currency).amount
    found = spend_of(micros, iso_decimals(currency))
    assert found == expected and found.as_tuple().exponent == expected.as_tuple().exponent
