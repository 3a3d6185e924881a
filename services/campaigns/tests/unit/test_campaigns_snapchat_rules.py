"""The Snapchat client's pure parts: refusals classified, names and headlines cut, targeting,
report windows at the account's midnights, micros, pacing and paging (no I/O)."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from adly_campaigns.adapters.snapchat.client import SnapchatApi, next_query
from adly_campaigns.adapters.snapchat.errors import classify, sub_request_error
from adly_campaigns.adapters.snapchat.publisher import headline_of, review_of, snap_name
from adly_campaigns.adapters.snapchat.reports import local_midnight, money, windows
from adly_campaigns.adapters.snapchat.settings import SnapchatSettings
from adly_campaigns.adapters.snapchat.targeting import needs_pixel, optimization_goal, targeting
from adly_campaigns.domain.ports import ErrorKind, PlatformError, Review
from adly_events.contracts.campaigns import Audience, Gender, Objective

TAG = "[adly 3f2b8c1e-5d4a-4e6f-9a7b-0c1d2e3f4a5b ad/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d/creative]"


@pytest.mark.parametrize(("status", "kind"), [
    (401, ErrorKind.TOKEN_INVALID), (403, ErrorKind.PERMISSION), (404, ErrorKind.NOT_FOUND),
    (410, ErrorKind.NOT_FOUND), (400, ErrorKind.INVALID_PARAMETER), (429, ErrorKind.THROTTLED),
    (500, ErrorKind.TRANSIENT), (503, ErrorKind.TRANSIENT)])
def test_a_refusal_is_classified_by_its_status(status: int, kind: ErrorKind) -> None:
    body = {"request_status": "ERROR", "request_id": "r", "debug_message": "daily_budget_micro is too low",
            "display_message": "Your budget is too low.", "error_code": "E2002"}
    error = classify(status, body, 30.0)
    assert error.kind is kind
    assert error.retry_after == (30.0 if kind is ErrorKind.THROTTLED else None)
    if kind is ErrorKind.INVALID_PARAMETER:
        assert (error.message, error.code, error.field) == ("Your budget is too low.", "E2002", "budget.amount")


def test_a_429_without_a_body_or_headers_still_says_when_to_come_back() -> None:
    error = classify(429, None, 12.5)
    assert (error.kind, error.retry_after, error.retryable) == (ErrorKind.THROTTLED, 12.5, True)


def test_a_bad_request_naming_a_missing_object_is_not_found() -> None:
    assert classify(400, {"debug_message": "Resource can not be found"}, 30).kind is ErrorKind.NOT_FOUND


@pytest.mark.parametrize(("reason", "kind", "code", "field"), [
    ("E2025: headline max length: 34 characters", ErrorKind.INVALID_PARAMETER, "E2025", "headline"),
    ("E3003: Ad Squad not found", ErrorKind.NOT_FOUND, "E3003", None),
    ("None of the requested actions [CREATE_AD] can be authorized.", ErrorKind.PERMISSION, None, None),
    ("", ErrorKind.INVALID_PARAMETER, None, None)])
def test_a_failed_sub_request_keeps_snaps_code_and_reason(reason: str, kind: ErrorKind, code: str | None,
                                                         field: str | None) -> None:
    error = sub_request_error({"sub_request_status": "ERROR", "sub_request_error_reason": reason}, "creative")
    assert (error.kind, error.code, error.field) == (kind, code, field)
    assert error.message.startswith("Snapchat refused the creative: ")


def test_names_over_snaps_limit_are_cut_before_the_tag_the_same_way_every_time() -> None:
    name = "تخفيضات العيد " * 40 + TAG
    cut = snap_name(name)
    assert len(cut) <= 375 and cut.endswith(" " + TAG) and cut == snap_name(name)
    assert snap_name("Short " + TAG) == "Short " + TAG


def test_a_long_headline_is_cut_at_the_last_whole_word_within_34_characters() -> None:
    assert headline_of("Eid oud: warm, rich and long-lasting for every evening") == "Eid oud: warm, rich and"
    assert headline_of("عطر العود") == "عطر العود"
    assert len(headline_of("x" * 50)) == 34


def test_reviews_read_snaps_statuses() -> None:
    assert review_of("a", {"review_status": "PENDING"}).review is Review.IN_REVIEW
    assert review_of("a", {"review_status": "APPROVED"}).review is Review.APPROVED
    rejected = review_of("a", {"review_status": "REJECTED", "review_status_reasons": ["Misleading", "Weapons"]})
    assert (rejected.review, rejected.reason) == (Review.DISAPPROVED, "Misleading; Weapons")


def test_targeting_is_lowercase_countries_with_the_audiences_demographics() -> None:
    spec = targeting(Audience(countries=["SA", "AE", "SA"], languages=["AR", "en"], age_min=18, age_max=60,
                              gender=Gender.MALE, cities=["Riyadh"]))
    assert spec == {"geos": [{"country_code": "sa", "operation": "INCLUDE"},
                             {"country_code": "ae", "operation": "INCLUDE"}],
                    "demographics": [{"min_age": 18, "gender": "MALE", "languages": ["ar", "en"]}]}
    assert targeting(Audience(countries=["KW"]))["demographics"] == [{"min_age": 18}]


def test_several_countries_without_a_language_are_refused_with_the_field_to_fill() -> None:
    with pytest.raises(PlatformError) as refused:
        targeting(Audience(countries=["SA", "AE"]))
    assert (refused.value.kind, refused.value.field) == (ErrorKind.INVALID_PARAMETER, "audience.languages")


def test_sales_optimize_for_purchases_on_the_pixel_traffic_for_swipes() -> None:
    assert (optimization_goal(Objective.SALES), needs_pixel(Objective.CONVERSIONS)) == ("PIXEL_PURCHASE", True)
    assert (optimization_goal(Objective.TRAFFIC), needs_pixel(Objective.TRAFFIC)) == ("SWIPES", False)
    assert optimization_goal(Objective.AWARENESS) == "IMPRESSIONS"


def test_report_windows_hold_at_most_31_days_and_start_at_the_accounts_midnight() -> None:
    pieces = list(windows(date(2026, 1, 1), date(2026, 3, 10), 31))
    assert pieces == [(date(2026, 1, 1), date(2026, 1, 31)), (date(2026, 2, 1), date(2026, 3, 3)),
                      (date(2026, 3, 4), date(2026, 3, 10))]
    assert list(windows(date(2026, 1, 2), date(2026, 1, 1), 31)) == []
    los_angeles = ZoneInfo("America/Los_Angeles")
    assert local_midnight(date(2026, 1, 15), los_angeles) == "2026-01-15T00:00:00.000-08:00"
    assert local_midnight(date(2026, 7, 15), los_angeles) == "2026-07-15T00:00:00.000-07:00", "daylight saving"
    assert local_midnight(date(2026, 7, 15), ZoneInfo("Asia/Riyadh")) == "2026-07-15T00:00:00.000+03:00"


def test_micros_become_exact_major_units_in_the_accounts_currency() -> None:
    assert money(12_345_678, "SAR") == Decimal("12.345678")
    assert money(150_000_000, "SAR") == Decimal("150.00")
    assert money(1_250_000, "KWD") == Decimal("1.250")
    assert money(None, "SAR") == Decimal("0.00")


def test_next_link_gives_its_cursor_not_its_host() -> None:
    body = {"paging": {"next_link": "https://adsapisc.appspot.com/v1/adaccounts/x/ads?cursor=Cn%3D&limit=50"}}
    assert next_query(body) == {"cursor": "Cn=", "limit": "50"}
    assert next_query({"paging": {}}) is None and next_query({"paging": {"next_link": "https://x/y?limit=5"}}) is None


def test_a_token_makes_a_burst_of_calls_then_waits_for_snaps_average_rate() -> None:
    now = [100.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    settings = SnapchatSettings(client_id="c", client_secret="s", requests_per_second=10.0, burst=3)
    api = SnapchatApi(settings, clock=lambda: now[0], sleep=sleep)

    async def calls() -> None:
        for _ in range(5):
            await api._pace("token-a")
        await api._pace("token-b")
        await api.aclose()
    asyncio.run(calls())
    assert waits == pytest.approx([0.1, 0.1]), "three at once, then one every tenth of a second; token-b its own"
