"""Meta's usage headers slow ADLY down before Meta refuses, and Graph errors become reasons."""

from __future__ import annotations

import json

import pytest

from adly_campaigns.adapters.meta.errors import classify
from adly_campaigns.adapters.meta.usage import UsageGovernor, account_usage
from adly_campaigns.domain.ports import ErrorKind, PlatformError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def governor(clock: Clock, max_wait: float = 300.0) -> UsageGovernor:
    return UsageGovernor(threshold=90.0, max_wait=max_wait, default_wait=60.0, clock=clock, sleep=clock.sleep)


def headers(account_pct: float = 5, reset: float = 0, call_count: float = 5, regain: float = 0,
            app_pct: float = 1) -> dict[str, str]:
    return {
        "x-ad-account-usage": json.dumps({"acc_id_util_pct": account_pct, "reset_time_duration": reset,
                                          "ads_api_access_tier": "standard_access"}),
        "x-business-use-case-usage": json.dumps({"1020": [{"type": "ads_management", "call_count": call_count,
                                                           "total_cputime": 1, "total_time": 1,
                                                           "estimated_time_to_regain_access": regain}]}),
        "x-app-usage": json.dumps({"call_count": app_pct, "total_cputime": 1, "total_time": 1}),
    }


async def test_a_call_under_the_threshold_goes_at_once():
    clock = Clock()
    pacer = governor(clock)
    pacer.observe("act_1", headers(account_pct=89))
    await pacer.before("act_1")
    assert clock.slept == []


async def test_an_account_at_95_percent_waits_for_the_reset_meta_announced_then_goes():
    clock = Clock()
    pacer = governor(clock)
    pacer.observe("act_1", headers(account_pct=95, reset=120))
    clock.now += 20
    await pacer.before("act_1")
    assert clock.slept == [100.0]
    await pacer.before("act_1")
    assert clock.slept == [100.0], "one wait per announcement: the next answer says where usage stands"


async def test_a_business_use_case_being_regained_waits_its_minutes_even_below_the_threshold():
    clock = Clock()
    pacer = governor(clock)
    pacer.observe("act_1", headers(call_count=40, regain=2))
    await pacer.before("act_1")
    assert clock.slept == [120.0]


async def test_a_reset_already_past_costs_no_wait():
    clock = Clock()
    pacer = governor(clock)
    pacer.observe("act_1", headers(account_pct=99, reset=30))
    clock.now += 31
    await pacer.before("act_1")
    assert clock.slept == []


async def test_a_wait_longer_than_the_bound_is_refused_at_once_with_when_to_come_back():
    clock = Clock()
    pacer = governor(clock, max_wait=60)
    pacer.observe("act_1", headers(call_count=100, regain=30))
    with pytest.raises(PlatformError) as refused:
        await pacer.before("act_1")
    assert refused.value.kind is ErrorKind.THROTTLED and refused.value.retry_after == 1800
    assert clock.slept == []


async def test_high_pressure_without_a_reset_time_waits_the_default():
    clock = Clock()
    pacer = governor(clock)
    pacer.observe("act_1", headers(account_pct=92))
    await pacer.before("act_1")
    assert clock.slept == [60.0]


async def test_one_busy_account_does_not_slow_another_but_a_busy_app_slows_every_account():
    clock = Clock()
    pacer = governor(clock)
    pacer.observe("act_1", headers(account_pct=97, reset=50))
    await pacer.before("act_2")
    assert clock.slept == []
    pacer.observe("act_2", headers(app_pct=93))
    await pacer.before("act_3")
    assert clock.slept == [60.0]


def test_usage_read_from_strings_and_junk_is_survived():
    usage = account_usage({"x-ad-account-usage": '{"acc_id_util_pct": "91.5", "reset_time_duration": "45"}',
                           "x-business-use-case-usage": "not json"}, now=0)
    assert usage is not None and (usage.percent, usage.wait) == (91.5, 45.0)
    assert account_usage({}, now=0) is None


def error(code: int, subcode: int | None = None, **extra: object) -> dict[str, object]:
    body: dict[str, object] = {"message": f"(#{code}) refused", "type": "OAuthException", "code": code,
                               "fbtrace_id": "Axyz"}
    if subcode is not None:
        body["error_subcode"] = subcode
    return {"error": body | extra}


@pytest.mark.parametrize(("code", "subcode", "kind"), [
    (190, 460, ErrorKind.TOKEN_INVALID), (190, 463, ErrorKind.TOKEN_INVALID), (190, 458, ErrorKind.TOKEN_INVALID),
    (10, None, ErrorKind.PERMISSION), (200, None, ErrorKind.PERMISSION), (294, None, ErrorKind.PERMISSION),
    (100, 1885272, ErrorKind.INVALID_PARAMETER), (368, 1404006, ErrorKind.POLICY),
    (4, None, ErrorKind.THROTTLED), (17, 2446079, ErrorKind.THROTTLED), (32, None, ErrorKind.THROTTLED),
    (613, 1487742, ErrorKind.THROTTLED), (80000, None, ErrorKind.THROTTLED), (80014, None, ErrorKind.THROTTLED),
    (1, None, ErrorKind.TRANSIENT), (2, None, ErrorKind.TRANSIENT), (803, None, ErrorKind.NOT_FOUND),
    (100, 33, ErrorKind.NOT_FOUND),
])
def test_each_graph_error_code_becomes_the_reason_a_merchant_or_a_retry_acts_on(code, subcode, kind):
    refused = classify(400, error(code, subcode), retry_after=42.0)
    assert refused.kind is kind
    assert refused.code == str(code) and refused.subcode == (None if subcode is None else str(subcode))
    assert refused.retry_after == (42.0 if kind is ErrorKind.THROTTLED else None)


def test_a_refused_parameter_names_its_field_and_speaks_to_the_merchant():
    body = error(100, 1487079, error_user_msg="Your audience is missing a location.",
                 error_data=json.dumps({"blame_field_specs": [["targeting", "geo_locations"]]}))
    refused = classify(400, body, retry_after=60)
    assert (refused.field, refused.message) == ("targeting.geo_locations", "Your audience is missing a location.")


def test_answers_without_a_graph_error_are_classified_by_their_status():
    assert classify(500, None, 60).kind is ErrorKind.TRANSIENT
    assert classify(502, error(999), 60).kind is ErrorKind.TRANSIENT
    assert classify(429, "busy", 7).retry_after == 7
