"""The Google Ads client against the local fake Google Ads over real HTTP on 127.0.0.1 (no
Postgres, no Kafka): connecting, publishing every step, steering, reviews, performance in
exact units, every error class, throttling, pagination and restated days."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from PIL import Image
from prometheus_client import REGISTRY

from adly_campaigns.adapters.google_ads import (
    GoogleAdsAccountLink,
    GoogleAdsApi,
    GoogleAdsPublisher,
    GoogleAdsReports,
    GoogleAdsSettings,
)
from adly_campaigns.domain.ports import (
    AccountAccess,
    AdSetSpec,
    AdSpec,
    CampaignSpec,
    CreativeSpec,
    ErrorKind,
    MediaSpec,
    ObjectKind,
    PlatformError,
    PlatformToken,
    Review,
)
from adly_events.contracts.campaigns import Audience, Budget, BudgetKind, Gender, Objective, PerformanceLevel
from adly_events.contracts.common import Money
from tests.fakes.google_ads import CLIENT_ID, CLIENT_SECRET, FakeGoogleAds

CALLBACK = "https://app.adly.test/ad-accounts/google_ads/callback"
EXAMPLES = Path(__file__).resolve().parents[4] / "tests" / "fakes" / "google_ads_examples"
START = datetime(2031, 3, 1, tzinfo=ZoneInfo("Asia/Riyadh"))


def png(width: int = 600, height: int = 600, seed: int = 0) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (seed * 37 % 256, 90, 120)).save(buffer, format="PNG")
    return buffer.getvalue()


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


class Sleeper:
    """Stands in for asyncio.sleep and for the monotonic clock: a wait moves the clock, nothing else does."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.now = 1000.0

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def fake():
    with FakeGoogleAds(history_days=10) as server:
        yield server


@pytest.fixture
def seeded(fake):
    return fake.seed_account()


@pytest.fixture
def sleeper():
    return Sleeper()


def settings_for(fake: FakeGoogleAds, **overrides: Any) -> GoogleAdsSettings:
    return GoogleAdsSettings(**({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "api_url": fake.api_url,
                                 "oauth_url": fake.oauth_url, "token_url": fake.token_url, "timeout": 5.0} | overrides))


@pytest.fixture
async def api(fake, sleeper):
    client = GoogleAdsApi(settings_for(fake), clock=sleeper.clock, sleep=sleeper)
    yield client
    await client.aclose()


@pytest.fixture
def publisher(fake, api):
    return GoogleAdsPublisher(api.settings, api=api)


@pytest.fixture
def link(api):
    return GoogleAdsAccountLink(api.settings, api=api)


@pytest.fixture
def reports(api):
    return GoogleAdsReports(api)


@pytest.fixture
def account(seeded):
    return AccountAccess(seeded.customer_id, seeded.token, "SAR", "Asia/Riyadh")


def budget(amount: str = "150", currency: str = "SAR", kind: BudgetKind = BudgetKind.DAILY) -> Budget:
    return Budget(kind=kind, amount=Money(amount=Decimal(amount), currency=currency))


def ad_set_spec(campaign_id: str, **overrides: Any) -> AdSetSpec:
    values: dict[str, Any] = {
        "name": "Eid oud [adly c1 ad_set]", "campaign_id": campaign_id, "objective": Objective.SALES,
        "budget": budget(), "audience": Audience(countries=["SA", "AE"], cities=["Riyadh"], languages=["ar", "en"],
                                                 age_min=25, age_max=54, gender=Gender.FEMALE),
        "starts_at": START, "ends_at": START + timedelta(days=14), "landing_url": "https://oud.example/p"}
    return AdSetSpec(**(values | overrides))


def creative_spec(image_ref: str, **overrides: Any) -> CreativeSpec:
    values: dict[str, Any] = {"name": "Eid oud [adly c1 ad/a1/creative]", "headline": "عطر العود",
                              "primary_text": "دافئ لكل مساء", "description": "شحن مجاني", "call_to_action": "SHOP_NOW",
                              "link": "https://oud.example/p?adly_a=a1", "image_ref": image_ref}
    return CreativeSpec(**(values | overrides))


async def publish_all(publisher: GoogleAdsPublisher, account: AccountAccess, tag: str = "c1",
                      image: bytes | None = None) -> dict[str, str]:
    campaign = await publisher.create_campaign(account, CampaignSpec(f"Eid oud [adly {tag} campaign]", Objective.SALES))
    ad_set = await publisher.create_ad_set(account, ad_set_spec(campaign, name=f"Eid oud [adly {tag} ad_set]"))
    image_id = await publisher.upload_media(account, MediaSpec(f"Eid oud [adly {tag} ad/a1/image]", ObjectKind.IMAGE,
                                                               image or png(), "image/png", "sha"))
    creative = await publisher.create_creative(account, creative_spec(image_id))
    ad = await publisher.create_ad(account, AdSpec(f"Eid oud [adly {tag} ad/a1/ad]", ad_set, creative))
    return {"campaign": campaign, "ad_set": ad_set, "image": image_id, "creative": creative, "ad": ad}


def errors_counted(kind: ErrorKind) -> float:
    return REGISTRY.get_sample_value("platform_api_errors_total",
                                     {"platform": "google_ads", "error_type": kind.value}) or 0.0


async def refusal(call: Any) -> PlatformError:
    with pytest.raises(PlatformError) as caught:
        await call
    return caught.value


# --- connecting -------------------------------------------------------------------------------


async def test_a_merchant_signs_in_with_google_offline_and_picks_a_customer_and_conversion_action(fake, link):
    seeded = fake.seed_account(name="Oud House KSA")
    url = link.authorize_url("login-1.secret", CALLBACK)
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{fake.oauth_url}/o/oauth2/v2/auth?")
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
    assert query["scope"] == ["https://www.googleapis.com/auth/adwords"] and query["state"] == ["login-1.secret"]
    async with httpx.AsyncClient() as browser:
        consent = await browser.get(url)
    back = parse_qs(urlsplit(consent.headers["location"]).query)
    assert back["state"] == ["login-1.secret"]

    token = await link.exchange_code(back["code"][0], CALLBACK)
    assert token.refresh_token and token.expires_at is not None
    assert timedelta(minutes=55) < token.expires_at - datetime.now(UTC) <= timedelta(hours=1)
    assert await link.long_lived(token) == token

    accounts = await link.accounts(token.access_token)
    assert [(a.platform_account_id, a.name, a.currency, a.time_zone) for a in accounts] == [
        (seeded.customer_id, "Oud House KSA", "SAR", "Asia/Riyadh")]
    assert await link.pages(token.access_token, seeded.customer_id) == []
    pixels = await link.pixels(token.access_token, seeded.customer_id)
    assert [(p.id, p.name) for p in pixels] == [(seeded.conversion_action_id, "Purchase (sandbox store)")]


async def test_an_hour_old_access_token_is_refreshed_and_a_revoked_grant_means_reconnecting(fake, seeded, link,
                                                                                              account):
    token = PlatformToken(seeded.token, datetime.now(UTC) + timedelta(hours=1), seeded.refresh_token)
    fake.advance(3600)
    expired = await refusal(link.pixels(seeded.token, seeded.customer_id))
    assert expired.kind is ErrorKind.TRANSIENT and expired.error_code == "authenticationError/OAUTH_TOKEN_EXPIRED"

    fresh = await link.refresh(token)
    assert fresh.access_token != seeded.token and fresh.refresh_token == seeded.refresh_token
    assert await link.pixels(fresh.access_token, seeded.customer_id)

    fake.revoke(seeded.refresh_token)
    revoked = await refusal(link.refresh(fresh))
    assert revoked.kind is ErrorKind.TOKEN_INVALID and revoked.code == "invalid_grant"
    lost = await refusal(link.pixels(fresh.access_token, seeded.customer_id))
    assert lost.kind is ErrorKind.TOKEN_INVALID


async def test_a_sign_in_without_offline_access_cannot_be_renewed(fake, link):
    fake.seed_account()
    async with httpx.AsyncClient() as browser:
        consent = await browser.get(link.authorize_url("s", CALLBACK).replace("access_type=offline", "access_type=online"))
    code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
    token = await link.exchange_code(code, CALLBACK)
    assert token.refresh_token is None
    assert (await refusal(link.refresh(token))).kind is ErrorKind.TOKEN_INVALID


async def test_customers_under_a_manager_are_listed_and_reached_with_login_customer_id(fake, sleeper):
    manager = fake.seed_manager()
    client = fake.seed_account(name="Client under MCC", manager_id=manager, currency="AED", time_zone="Asia/Dubai")
    plain = GoogleAdsAccountLink(settings_for(fake), sleep=sleeper)
    through = GoogleAdsAccountLink(settings_for(fake, login_customer_id=f"{manager[:3]}-{manager[3:6]}-{manager[6:]}"),
                                   sleep=sleeper)
    try:
        accounts = await plain.accounts(client.token)
        assert [(a.platform_account_id, a.currency) for a in accounts] == [(client.customer_id, "AED")]
        denied = await refusal(plain.pixels(client.token, client.customer_id))
        assert denied.kind is ErrorKind.PERMISSION and "login-customer-id" in denied.message
        assert await through.pixels(client.token, client.customer_id)
        assert fake.requests[-1].headers["login-customer-id"] == manager   # dashes stripped
    finally:
        await plain.aclose()
        await through.aclose()


async def test_the_developer_token_is_sent_only_when_configured(fake, seeded, sleeper):
    for configured in (None, "legacy-dev-token"):
        link = GoogleAdsAccountLink(settings_for(fake, developer_token=configured), sleep=sleeper)
        try:
            await link.accounts(seeded.token)
        finally:
            await link.aclose()
        assert fake.requests[-1].headers.get("developer-token") == configured


# --- publishing -------------------------------------------------------------------------------


async def test_a_demand_gen_campaign_is_published_paused_step_by_step_then_switched_on(fake, publisher, account):
    ids = await publish_all(publisher, account)
    (campaign,), (budget_row,), (ad_group,), (ad,) = (fake.of_kind(k) for k in ("campaign", "budget", "ad_set", "ad"))
    assert campaign["advertisingChannelType"] == "DEMAND_GEN" and campaign["status"] == "PAUSED"
    assert campaign["containsEuPoliticalAdvertising"] == "DOES_NOT_CONTAIN_EU_POLITICAL_ADVERTISING"
    assert campaign["biddingStrategyType"] == "MAXIMIZE_CONVERSION_VALUE"
    assert campaign["campaignBudget"] == budget_row["resourceName"] and budget_row["explicitlyShared"] is False
    assert budget_row["amountMicros"] == 150_000_000 and budget_row["name"] == campaign["name"]
    assert (campaign["startDateTime"], campaign["endDateTime"]) == ("2031-03-01 00:00:00", "2031-03-14 23:59:59")
    places = sorted(c.get("location", {}).get("geoTargetConstant", "") for c in fake.of_kind("criterion"))
    assert [p for p in places if p] == ["geoTargetConstants/1012088", "geoTargetConstants/2784"]  # Riyadh, UAE
    languages = {c["language"]["languageConstant"] for c in fake.of_kind("criterion") if "language" in c}
    assert languages == {"languageConstants/1019", "languageConstants/1000"}
    excluded = {(c.get("ageRange") or c.get("gender"))["type"] for c in fake.of_kind("ad_group_criterion")}
    assert excluded == {"AGE_RANGE_18_24", "AGE_RANGE_55_64", "AGE_RANGE_65_UP", "MALE"}
    assert ad_group["status"] == "PAUSED" and ad_group["campaign"] == campaign["resourceName"]
    info = ad["ad"]["demandGenMultiAssetAd"]
    image = f"customers/{account.platform_account_id}/assets/{ids['image']}"
    assert info["headlines"] == [{"text": "عطر العود"}]
    assert info["descriptions"] == [{"text": "دافئ لكل مساء"}, {"text": "شحن مجاني"}]
    assert info["businessName"] == "Sandbox Oud House" and info["callToActionText"] == "Shop now"
    assert info["logoImages"] == [{"asset": image}] and info["squareMarketingImages"] == [{"asset": image}]
    assert ad["ad"]["finalUrls"] == ["https://oud.example/p?adly_a=a1"] and ad["status"] == "PAUSED"
    assert fake.count("creative") == 0 and ids["ad"] == f"{ids['ad_set']}~{ad['ad']['id']}"

    for kind in (ObjectKind.AD, ObjectKind.AD_SET, ObjectKind.CAMPAIGN):
        await publisher.set_status(account, kind, ids[kind.value], True)
    assert [fake.of_kind(k)[0]["status"] for k in ("ad", "ad_set", "campaign")] == ["ENABLED"] * 3


async def test_the_campaign_and_its_budget_are_one_atomic_request_at_googles_demand_gen_minimum(fake, publisher,
                                                                                               account):
    before = len(fake.mutations())
    await publisher.create_campaign(account, CampaignSpec("Eid [adly c9 campaign]", Objective.CONVERSIONS))
    (sent,) = fake.mutations()[before:]
    assert sent.path.endswith("/googleAds:mutate") and sent.body["partialFailure"] is False
    assert [next(iter(op)) for op in sent.body["mutateOperations"]] == ["campaignBudgetOperation", "campaignOperation"]
    assert fake.of_kind("budget")[0]["amountMicros"] == 20_000_000   # the fake's SAR minimum, not a guess
    assert fake.of_kind("campaign")[0]["biddingStrategyType"] == "MAXIMIZE_CONVERSIONS"


async def test_find_by_name_answers_what_an_earlier_attempt_created(fake, publisher, account):
    ids = await publish_all(publisher, account)
    found = {kind: await publisher.find(account, kind, f"Eid oud [adly c1 {key}]", parent) for kind, key, parent in (
        (ObjectKind.CAMPAIGN, "campaign", None), (ObjectKind.AD_SET, "ad_set", ids["campaign"]),
        (ObjectKind.IMAGE, "ad/a1/image", None), (ObjectKind.AD, "ad/a1/ad", ids["ad_set"]))}
    assert found == {ObjectKind.CAMPAIGN: ids["campaign"], ObjectKind.AD_SET: ids["ad_set"],
                     ObjectKind.IMAGE: ids["image"], ObjectKind.AD: ids["ad"]}
    assert await publisher.find(account, ObjectKind.CAMPAIGN, "Somebody's [adly x campaign]", None) is None
    assert await publisher.find(account, ObjectKind.AD, "Eid oud [adly c1 ad/a1/ad]", "1") is None
    assert await publisher.find(account, ObjectKind.CREATIVE, "Eid oud [adly c1 ad/a1/creative]", None) is None
    again = await publisher.create_creative(account, creative_spec(ids["image"]))
    assert again == ids["creative"]   # no object on Google: making it again is the same reference


async def test_the_same_image_uploaded_twice_is_one_asset_on_google(fake, publisher, account):
    first = await publisher.upload_media(account, MediaSpec("a", ObjectKind.IMAGE, png(seed=3), "image/png", "x"))
    second = await publisher.upload_media(account, MediaSpec("b", ObjectKind.IMAGE, png(seed=3), "image/png", "x"))
    assert first == second and fake.count("image") == 1


async def test_what_google_would_refuse_anyway_is_refused_with_the_field_to_fix(fake, publisher, account):
    campaign = await publisher.create_campaign(account, CampaignSpec("C [adly c2 campaign]", Objective.TRAFFIC))
    wide = await publisher.upload_media(account, MediaSpec("w", ObjectKind.IMAGE, png(1200, 628), "image/png", "x"))
    not_square = await refusal(publisher.create_creative(account, creative_spec(wide)))
    assert (not_square.kind, not_square.field) == (ErrorKind.INVALID_PARAMETER, "image") and "1200x628" in \
        not_square.message
    video = await refusal(publisher.upload_media(account, MediaSpec("v", ObjectKind.VIDEO, b"mp4", "video/mp4", "x")))
    assert (video.kind, video.field) == (ErrorKind.INVALID_PARAMETER, "video")
    lifetime = await refusal(publisher.create_ad_set(account, ad_set_spec(campaign, budget=budget(
        "3000", kind=BudgetKind.LIFETIME))))
    assert lifetime.field == "budget.kind"
    nowhere = await refusal(publisher.create_ad_set(account, ad_set_spec(campaign, audience=Audience(
        countries=["SA"], cities=["Atlantis"]))))
    assert (nowhere.kind, nowhere.field) == (ErrorKind.INVALID_PARAMETER, "audience.cities")
    too_low = await refusal(publisher.create_ad_set(account, ad_set_spec(campaign, budget=budget("5"))))
    assert (too_low.kind, too_low.field, too_low.error_code) == (
        ErrorKind.INVALID_PARAMETER, "budget.amount", "campaignBudgetError/BUDGET_BELOW_PER_DAY_MINIMUM")
    assert fake.count("ad_set") == 0 and fake.count("criterion") == 0   # all or nothing
    assert fake.of_kind("campaign")[0]["biddingStrategyType"] == "TARGET_SPEND"


async def test_pausing_resuming_and_changing_budget_and_schedule_reach_google(fake, publisher, account):
    ids = await publish_all(publisher, account)
    await publisher.set_status(account, ObjectKind.CAMPAIGN, ids["campaign"], True)
    await publisher.set_status(account, ObjectKind.CAMPAIGN, ids["campaign"], False)
    assert fake.of_kind("campaign")[0]["status"] == "PAUSED"
    await publisher.set_budget(account, ids["ad_set"], budget("275.55"))
    assert fake.of_kind("budget")[0]["amountMicros"] == 275_550_000
    await publisher.set_schedule(account, ids["ad_set"], START + timedelta(days=1), START + timedelta(days=30))
    campaign = fake.of_kind("campaign")[0]
    assert (campaign["startDateTime"], campaign["endDateTime"]) == ("2031-03-02 00:00:00", "2031-03-30 23:59:59")
    update = fake.mutations()[-1].body["operations"][0]
    assert update["updateMask"] == "startDateTime,endDateTime"


async def test_reviews_read_back_in_review_approved_limited_and_disapproved_with_the_policy(fake, publisher, account):
    first = await publish_all(publisher, account, "c1")
    second = await publish_all(publisher, account, "c2", png(seed=5))
    ads = [first["ad"], second["ad"]]
    assert [r.review for r in await publisher.reviews(account, ads)] == [Review.IN_REVIEW] * 2
    fake.set_review(first["ad"], "limited")
    fake.set_review(second["ad"], "disapproved", "MISLEADING_HEALTH_CLAIMS")
    reviews = {r.platform_ad_id: r for r in await publisher.reviews(account, ads)}
    assert reviews[first["ad"]].review is Review.APPROVED
    assert reviews[second["ad"]].review is Review.DISAPPROVED
    assert reviews[second["ad"]].reason == "Google Ads policy: MISLEADING_HEALTH_CLAIMS"


# --- performance ------------------------------------------------------------------------------


def riyadh(fake: FakeGoogleAds) -> datetime:
    return datetime.fromtimestamp(fake.now(), ZoneInfo("Asia/Riyadh"))


async def test_performance_in_exact_units_at_three_levels_per_day_and_hour(fake, publisher, reports, api, account):
    fake.freeze()
    ids = await publish_all(publisher, account)
    today = riyadh(fake).date()
    rows = await reports.performance(account, [ids["campaign"]], today - timedelta(days=7), today, hourly_day=today)
    daily = [r for r in rows if r.hour is None]
    by_level = {level: {r.day: r for r in daily if r.level is level} for level in PerformanceLevel}
    assert sorted(by_level[PerformanceLevel.CAMPAIGN]) == [today - timedelta(days=n) for n in range(7, -1, -1)]
    assert {r.platform_object_id for r in daily if r.level is PerformanceLevel.AD} == {ids["ad"]}
    raw = await api.rows(account.token, account.platform_account_id, (
        "SELECT campaign.id, segments.date, metrics.cost_micros, metrics.conversions_value, metrics.impressions "
        f"FROM campaign WHERE segments.date = '{today - timedelta(days=1)}'"))
    (yesterday,) = raw
    assert isinstance(yesterday["metrics"]["costMicros"], str) and isinstance(yesterday["metrics"]["impressions"], str)
    row = by_level[PerformanceLevel.CAMPAIGN][today - timedelta(days=1)]
    assert row.spend == Decimal(yesterday["metrics"]["costMicros"]) / 1_000_000 and row.spend.as_tuple().exponent == -2
    assert row.conversion_value == Decimal(repr(yesterday["metrics"]["conversionsValue"]))
    for day, campaign_row in by_level[PerformanceLevel.CAMPAIGN].items():
        for level in (PerformanceLevel.AD_SET, PerformanceLevel.AD):
            assert (by_level[level][day].impressions, by_level[level][day].spend) == (
                campaign_row.impressions, campaign_row.spend)
    hours = sorted((r for r in rows if r.hour is not None), key=lambda r: r.hour or 0)
    assert hours[0].hour == 0   # Google leaves hour 0 out of the JSON: it is still midnight's row
    assert [r.hour for r in hours] == list(range(riyadh(fake).hour + 1))
    assert sum(r.impressions for r in hours) == by_level[PerformanceLevel.CAMPAIGN][today].impressions
    assert sum((r.spend for r in hours), Decimal(0)) == by_level[PerformanceLevel.CAMPAIGN][today].spend


async def test_today_grows_as_time_passes_and_a_restated_day_reads_back_revised(fake, publisher, reports, account):
    # 09:00 yesterday in Riyadh: three hours later is still the same day, and at any hour of the
    # real day it is in the past of the account's one-hour token (09:00 *today* is in its future
    # between midnight and 09:00 in Riyadh, when the token would read as expired).
    now = datetime.now(ZoneInfo("Asia/Riyadh"))
    fake.freeze((now - timedelta(days=1)).replace(hour=9).timestamp())
    ids = await publish_all(publisher, account)
    today = riyadh(fake).date()

    async def day_figures() -> dict[date, int]:
        rows = await reports.performance(account, [ids["campaign"]], today - timedelta(days=3), today)
        return {r.day: r.impressions for r in rows if r.level is PerformanceLevel.CAMPAIGN}

    before = await day_figures()
    fake.advance(3 * 3600)
    fake.restate(today - timedelta(days=2), 1.5)
    after = await day_figures()
    assert after[today] > before[today]
    assert after[today - timedelta(days=2)] > before[today - timedelta(days=2)]
    assert after[today - timedelta(days=1)] == before[today - timedelta(days=1)]
    assert after[today - timedelta(days=3)] == before[today - timedelta(days=3)]


async def test_search_pages_and_search_stream_read_the_same_rows(fake, publisher, account, sleeper):
    fake.freeze()
    ids = [await publish_all(publisher, account, f"c{n}", png(seed=n)) for n in range(3)]
    fake.page_size = 4
    today = riyadh(fake).date()
    found = []
    for stream in (False, True):
        api = GoogleAdsApi(settings_for(fake, stream_reports=stream), sleep=sleeper)
        try:
            before = len(fake.requests)
            rows = await GoogleAdsReports(api).performance(account, [i["campaign"] for i in ids],
                                                            today - timedelta(days=9), today)
            found.append((sorted((r.level, r.platform_object_id, r.day, r.impressions, r.spend) for r in rows),
                          [s.path.rsplit(":", 1)[-1] for s in fake.requests[before:]]))
        finally:
            await api.aclose()
    (paged, paged_calls), (streamed, stream_calls) = found
    assert paged == streamed and len(paged) == 3 * 3 * 10
    assert paged_calls.count("search") > 3 and set(stream_calls) == {"searchStream"} and len(stream_calls) == 3


async def test_a_documented_search_stream_answer_is_read_in_exact_units(fake, reports, account):
    # Every level's query gets the documented answer: the reader asks them concurrently, so which
    # one would reach the fake first is the machine's choice; the rows come back in level order.
    fake.fail_next_error(200, example("search_stream.json"), path="googleAds:search", times=3)
    fake_settings = reports.api.settings
    api = GoogleAdsApi(settings_for(fake, stream_reports=True))
    try:
        rows = await GoogleAdsReports(api).performance(account, ["111", "222"], date(2026, 11, 30), date(2026, 12, 1))
    finally:
        await api.aclose()
    assert fake_settings.stream_reports is False
    first, second, third = rows[:3]
    assert (first.impressions, first.clicks, first.spend, first.conversions, first.conversion_value) == (
        1520, 38, Decimal("23.45"), Decimal("2.5"), Decimal("372.25"))
    assert (second.impressions, second.clicks, second.spend, second.conversions) == (12, 0, Decimal("0.00"), 0)
    assert third.impressions == 9_000_000_000_123 and third.platform_campaign_id == "222"


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("failure", "kind", "code"), [
    ("token_revoked", ErrorKind.TOKEN_INVALID, "authenticationError/OAUTH_TOKEN_REVOKED"),
    ("token_expired", ErrorKind.TRANSIENT, "authenticationError/OAUTH_TOKEN_EXPIRED"),
    ("permission", ErrorKind.PERMISSION, "authorizationError/USER_PERMISSION_DENIED"),
    ("policy", ErrorKind.POLICY, "policyFindingError/POLICY_FINDING"),
    ("internal", ErrorKind.TRANSIENT, "internalError/INTERNAL_ERROR"),
    ("unavailable", ErrorKind.TRANSIENT, "UNAVAILABLE"),
    ("http_502", ErrorKind.TRANSIENT, "502"),
    ("quota_daily", ErrorKind.THROTTLED, "quotaError/RESOURCE_EXHAUSTED"),
])
async def test_each_refusal_of_google_becomes_a_classified_reason(fake, publisher, account, failure, kind, code):
    counted = errors_counted(kind)
    fake.fail_next(failure, path=":mutate")
    error = await refusal(publisher.create_campaign(account, CampaignSpec("X [adly c3 campaign]", Objective.SALES)))
    assert (error.kind, error.error_code) == (kind, code)
    assert errors_counted(kind) == counted + 1
    if kind is ErrorKind.POLICY:
        assert "MISLEADING_HEALTH_CLAIMS" in error.message
    if failure == "quota_daily":
        assert error.retry_after == 86400


async def test_an_unknown_token_and_an_unreachable_google_are_classified_never_httpx_errors(fake, account, sleeper):
    unknown = AccountAccess(account.platform_account_id, "ya29.nobody", "SAR", "Asia/Riyadh")
    publisher = GoogleAdsPublisher(settings_for(fake), sleep=sleeper)
    gone = GoogleAdsPublisher(settings_for(fake, api_url="http://127.0.0.1:9", timeout=1.0), sleep=sleeper)
    try:
        assert (await refusal(publisher.find(unknown, ObjectKind.CAMPAIGN, "x", None))).kind is ErrorKind.TOKEN_INVALID
        assert (await refusal(gone.find(account, ObjectKind.CAMPAIGN, "x", None))).kind is ErrorKind.TRANSIENT
    finally:
        await publisher.aclose()
        await gone.aclose()


async def test_the_eu_political_declaration_is_required_on_create_and_refusals_name_the_field(fake, api, account):
    campaign_budget = (await api.mutate(account.token, account.platform_account_id, "campaignBudgets", [{"create": {
        "name": "b", "amountMicros": "50000000", "explicitlyShared": False}}]))[0]
    error = await refusal(api.mutate(account.token, account.platform_account_id, "campaigns", [{"create": {
        "name": "undeclared", "advertisingChannelType": "DEMAND_GEN", "campaignBudget": campaign_budget,
        "maximizeConversions": {}}}]))
    assert (error.kind, error.error_code, error.field) == (
        ErrorKind.INVALID_PARAMETER, "fieldError/REQUIRED", "contains_eu_political_advertising")
    fake.fail_next_error(400, example("eu_political_required.json"))
    replayed = await refusal(api.mutate(account.token, account.platform_account_id, "campaigns", [{"create": {}}]))
    assert (replayed.error_code, replayed.field) == ("fieldError/REQUIRED", "contains_eu_political_advertising")
    fake.fail_next_error(200, example("partial_failure.json"))
    partial = await refusal(api.mutate(account.token, account.platform_account_id, "campaigns", [{"create": {}}]))
    assert (partial.kind, partial.error_code, partial.field) == (
        ErrorKind.INVALID_PARAMETER, "stringLengthError/TOO_LONG", "name")


async def test_a_policy_phrase_in_a_headline_is_a_policy_refusal_naming_the_topic(fake, publisher, account):
    ids = await publish_all(publisher, account)
    image = ids["image"]
    creative = await publisher.create_creative(account, creative_spec(image, headline="Miracle cure oud"))
    error = await refusal(publisher.create_ad(account, AdSpec("bad [adly c1 ad/a2/ad]", ids["ad_set"], creative)))
    assert error.kind is ErrorKind.POLICY and "UNAPPROVED_SUBSTANCES" in error.message
    assert error.field == "ad.demand_gen_multi_asset_ad.headlines.text"


async def test_a_short_quota_wait_is_waited_out_for_reads_and_handed_back_for_creates(fake, publisher, account,
                                                                                      sleeper):
    fake.fail_next("quota", path="googleAds:search", retry_delay=12)
    assert await publisher.find(account, ObjectKind.CAMPAIGN, "nothing", None) is None
    assert sleeper.waits == [12.0]

    fake.fail_next_error(429, example("quota_error.json"), path=":mutate")
    error = await refusal(publisher.create_campaign(account, CampaignSpec("Q [adly c4 campaign]", Objective.SALES)))
    assert (error.kind, error.retry_after, error.error_code) == (
        ErrorKind.THROTTLED, 12.0, "quotaError/RESOURCE_TEMPORARILY_EXHAUSTED")
    await publisher.create_campaign(account, CampaignSpec("Q [adly c4 campaign]", Objective.SALES))
    assert sleeper.waits == [12.0, 12.0]   # the next call waited Google's delay out first


async def test_a_quota_wait_longer_than_the_bound_refuses_without_asking_google(fake, publisher, account, sleeper):
    fake.fail_next("quota", path="googleAds:search", retry_delay=600)
    first = await refusal(publisher.find(account, ObjectKind.CAMPAIGN, "x", None))
    asked = len(fake.requests)
    second = await refusal(publisher.find(account, ObjectKind.CAMPAIGN, "x", None))
    assert first.retry_after == 600 and (second.kind, second.retry_after) == (ErrorKind.THROTTLED, 600)
    assert len(fake.requests) == asked and sleeper.waits == []


async def test_a_documented_accessible_customers_answer_lists_each_customer(fake, api, account):
    fake.fail_next_error(200, example("list_accessible_customers.json"), path="listAccessibleCustomers")
    assert await api.accessible_customers(account.token) == ["1234567890", "9876543210"]


async def test_a_stall_before_a_mutate_holds_it_undone_and_after_holds_only_the_answer(fake, publisher, account):
    import asyncio

    fake.stall(at_request=1, when="after")
    task = asyncio.create_task(publisher.create_campaign(account, CampaignSpec("S [adly c5 campaign]",
                                                                               Objective.SALES)))
    assert await asyncio.to_thread(fake.stalled.wait, 10)
    assert fake.count("campaign") == 1 and not task.done()
    fake.release()
    assert await task == str(fake.of_kind("campaign")[0]["id"])
