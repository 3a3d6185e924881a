"""The TikTok client against the local fake TikTok over real HTTP on 127.0.0.1 (no Postgres, no Kafka)."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from prometheus_client import REGISTRY

from adly_campaigns.adapters.tiktok import (
    TikTokAccountLink,
    TikTokApi,
    TikTokPublisher,
    TikTokReports,
    TikTokSettings,
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
    Review,
)
from adly_events.contracts.campaigns import Audience, Budget, BudgetKind, Gender, Objective, PerformanceLevel
from adly_events.contracts.common import Money
from tests.fakes.server import free_port
from tests.fakes.tiktok import APP_ID, APP_SECRET, FakeTikTok

CALLBACK = "https://app.adly.test/connect/tiktok/callback"
IMAGE = b"\x89PNG\r\n\x1a\n sandbox oud cover 9:16 \n"
VIDEO = b"\x00\x00\x00\x18ftypmp42 sandbox oud clip 9:16"
SOON = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)
RIYADH = ZoneInfo("Asia/Riyadh")


class Sleeper:
    """Stands in for asyncio.sleep: records each wait."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def fake():
    with FakeTikTok() as server:
        yield server


@pytest.fixture
def seeded(fake):
    return fake.seed_account()


@pytest.fixture
def sleeper():
    return Sleeper()


def settings_for(fake: FakeTikTok, **overrides) -> TikTokSettings:
    return TikTokSettings(**({"app_id": APP_ID, "app_secret": APP_SECRET, "api_url": fake.api_url,
                              "auth_url": fake.auth_url, "timeout": 5.0} | overrides))


@pytest.fixture
async def api(fake, sleeper):
    client = TikTokApi(settings_for(fake), sleep=sleeper)
    yield client
    await client.aclose()


@pytest.fixture
def publisher(api):
    return TikTokPublisher(api.settings, api=api)


@pytest.fixture
def link(api):
    return TikTokAccountLink(api.settings, api=api)


@pytest.fixture
def reports(api):
    return TikTokReports(api)


@pytest.fixture
def account(seeded):
    return AccountAccess(seeded.advertiser_id, seeded.token, "SAR", "Asia/Riyadh", seeded.identity_id, seeded.pixel_id)


def sar(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="SAR")


def ad_set_spec(campaign_id: str, *, objective=Objective.SALES, budget: Budget | None = None,
                audience: Audience | None = None, ends_at: datetime | None = None, name: str = "c1") -> AdSetSpec:
    return AdSetSpec(f"Ramadan oud [adly {name} ad_set]", campaign_id, objective,
                     budget or Budget(kind=BudgetKind.DAILY, amount=sar("150.75")),
                     audience or Audience(countries=["SA", "AE"], cities=["Riyadh"], languages=["ar"], age_min=18,
                                          age_max=34, gender=Gender.FEMALE),
                     SOON, ends_at or SOON + timedelta(days=14), "https://shop.example/oud?utm_source=tiktok")


def media(kind: ObjectKind, content: bytes, media_type: str, key: str) -> MediaSpec:
    return MediaSpec(f"Ramadan oud [adly c1 ad/a1/{key}]", kind, content, media_type, hashlib.sha256(content).hexdigest())


def creative(**refs) -> CreativeSpec:
    return CreativeSpec("Ramadan oud [adly c1 ad/a1/creative]", "عود رمضان", "أفخم عود لرمضان، توصيل مجاني 🎁",
                        None, "BUY_NOW", "https://shop.example/oud?utm_source=tiktok", **refs)


def errors_counted(kind: ErrorKind) -> float:
    return REGISTRY.get_sample_value("platform_api_errors_total", {"platform": "tiktok", "error_type": kind.value}) or 0.0


async def published(publisher: TikTokPublisher, account: AccountAccess, objective=Objective.SALES, name: str = "c1",
                    ads: int = 1) -> tuple[str, str, list[str]]:
    campaign_id = await publisher.create_campaign(account, CampaignSpec(f"Ramadan oud [adly {name} campaign]", objective))
    ad_set_id = await publisher.create_ad_set(account, ad_set_spec(campaign_id, objective=objective, name=name))
    image = await publisher.upload_media(account, media(ObjectKind.IMAGE, IMAGE, "image/png", "image"))
    video = await publisher.upload_media(account, media(ObjectKind.VIDEO, VIDEO, "video/mp4", "video"))
    made = await publisher.create_creative(account, creative(image_ref=image, video_ref=video))
    ad_ids = [await publisher.create_ad(account, AdSpec(f"Ramadan oud [adly {name} ad/a{n}/ad]", ad_set_id, made))
              for n in range(ads)]
    return campaign_id, ad_set_id, ad_ids


# --- connecting -------------------------------------------------------------------------------


async def test_a_merchant_authorizes_an_advertiser_and_chooses_its_identity_and_pixel(fake, seeded, link):
    url = link.authorize_url("state-123", CALLBACK)
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{fake.auth_url}?") and query["app_id"] == [APP_ID] and query["state"] == ["state-123"]
    async with httpx.AsyncClient() as browser:
        back = (await browser.get(url)).headers["location"]
    returned = parse_qs(urlsplit(back).query)
    assert back.startswith(CALLBACK) and returned["state"] == ["state-123"]

    token = await link.exchange_code(returned["auth_code"][0], CALLBACK)
    assert token.expires_at is None and token.refresh_token is None
    assert await link.long_lived(token) is token and await link.refresh(token) is token
    accounts = await link.accounts(token.access_token)
    assert [(a.platform_account_id, a.currency, a.time_zone) for a in accounts] == [
        (seeded.advertiser_id, "SAR", "Asia/Riyadh")]
    assert [c.id for c in await link.pages(token.access_token, seeded.advertiser_id)] == [seeded.identity_id]
    assert [c.id for c in await link.pixels(token.access_token, seeded.advertiser_id)] == [seeded.pixel_id]
    assert fake.requests[-1].path == "/open_api/v1.3/pixel/list/"


async def test_an_auth_code_works_once_and_for_an_hour(fake, seeded, link):
    async with httpx.AsyncClient() as browser:
        first = (await browser.get(link.authorize_url("s", CALLBACK))).headers["location"]
        second = (await browser.get(link.authorize_url("s", CALLBACK))).headers["location"]
    code = parse_qs(urlsplit(first).query)["auth_code"][0]
    await link.exchange_code(code, CALLBACK)
    with pytest.raises(PlatformError) as spent:
        await link.exchange_code(code, CALLBACK)
    assert (spent.value.code, spent.value.kind) == ("40110", ErrorKind.INVALID_PARAMETER)
    fake.advance(3601)
    with pytest.raises(PlatformError) as late:
        await link.exchange_code(parse_qs(urlsplit(second).query)["auth_code"][0], CALLBACK)
    assert late.value.code == "40110" and "connect TikTok again" in late.value.message


async def test_closed_advertisers_are_not_offered(fake, seeded, link):
    closed = fake.seed_account(status="STATUS_DISABLE")
    token = fake.issue_token([seeded.advertiser_id, closed.advertiser_id])
    assert [a.platform_account_id for a in await link.accounts(token)] == [seeded.advertiser_id]


# --- publishing -------------------------------------------------------------------------------


async def test_a_video_campaign_is_created_paused_in_full_then_switched_on(fake, publisher, account):
    campaign_id, ad_set_id, (ad_id,) = await published(publisher, account)
    campaign, group, ad = fake.objects[campaign_id], fake.objects[ad_set_id], fake.objects[ad_id]
    assert (campaign["objective_type"], campaign["budget_mode"]) == ("WEB_CONVERSIONS", "BUDGET_MODE_INFINITE")
    assert group["budget"] == "150.75" and group["budget_mode"] == "BUDGET_MODE_DAY"
    assert (group["optimization_goal"], group["billing_event"]) == ("CONVERT", "OCPM")
    assert (group["pixel_id"], group["optimization_event"]) == (account.pixel_id, "SHOPPING")
    assert group["schedule_start_time"] == "2031-03-01 09:00:00", "UTC+0, as TikTok reads schedule times"
    assert group["location_ids"] == ["108410", "290557"], "Riyadh instead of all of Saudi Arabia, and the UAE"
    assert (group["age_groups"], group["gender"], group["languages"]) == (["AGE_18_24", "AGE_25_34"], "GENDER_FEMALE",
                                                                          ["ar"])
    assert group["operation_status"] == "DISABLE" and ad["operation_status"] == "DISABLE"
    assert (ad["ad_format"], ad["call_to_action"], ad["identity_id"]) == ("SINGLE_VIDEO", "SHOP_NOW",
                                                                         account.page_id)
    assert ad["ad_text"] == "أفخم عود لرمضان، توصيل مجاني", "emoji dropped: TikTok refuses them"
    assert ad["image_ids"] == [f"ad-site-i18n-sg/{hashlib.md5(IMAGE).hexdigest()}"]  # noqa: S324

    for kind, object_id in ((ObjectKind.AD, ad_id), (ObjectKind.AD_SET, ad_set_id), (ObjectKind.CAMPAIGN, campaign_id)):
        await publisher.set_status(account, kind, object_id, True)
    fake.set_review(ad_id, "approved")
    assert fake._secondary(fake.objects[ad_id]) == "AD_STATUS_DELIVERY_OK"
    assert [s.path for s in fake.posts()][-3:] == ["/open_api/v1.3/ad/status/update/",
                                                   "/open_api/v1.3/adgroup/status/update/",
                                                   "/open_api/v1.3/campaign/status/update/"]
    assert {k: fake.count(k) for k in ("campaign", "ad_set", "image", "video", "ad")} == {
        "campaign": 1, "ad_set": 1, "image": 1, "video": 1, "ad": 1}


async def test_find_by_name_returns_what_an_earlier_attempt_created_and_nothing_near_it(fake, publisher, account):
    campaign_id, ad_set_id, (ad_id,) = await published(publisher, account, Objective.TRAFFIC)
    await publisher.create_campaign(account, CampaignSpec("Ramadan oud [adly c1 campaign] copy", Objective.TRAFFIC))
    assert await publisher.find(account, ObjectKind.CAMPAIGN, "Ramadan oud [adly c1 campaign]", None) == campaign_id
    assert await publisher.find(account, ObjectKind.AD_SET, "Ramadan oud [adly c1 ad_set]", campaign_id) == ad_set_id
    assert await publisher.find(account, ObjectKind.AD, "Ramadan oud [adly c1 ad/a0/ad]", ad_set_id) == ad_id
    image = await publisher.find(account, ObjectKind.IMAGE, "Ramadan oud [adly c1 ad/a1/image]", None)
    video = await publisher.find(account, ObjectKind.VIDEO, "Ramadan oud [adly c1 ad/a1/video]", None)
    assert image == fake.of_kind("image")[0]["image_id"] and video == fake.of_kind("video")[0]["video_id"]
    assert await publisher.find(account, ObjectKind.CREATIVE, "Ramadan oud [adly c1 ad/a1/creative]", None) is None
    assert await publisher.find(account, ObjectKind.CAMPAIGN, "Ramadan oud [adly c2 campaign]", None) is None
    listed = [s for s in fake.requests if s.path.endswith("/campaign/get/")][-1]
    assert listed.params["filtering"] == {"campaign_name": "Ramadan oud [adly c2 campaign]"}


async def test_a_create_repeated_after_a_lost_answer_finds_the_first_by_its_request_id(fake, publisher, account):
    spec = CampaignSpec("Oud [adly r1 campaign]", Objective.TRAFFIC)
    first = await publisher.create_campaign(account, spec)
    again = await publisher.create_campaign(account, spec)
    assert first == again and fake.count("campaign") == 1


async def test_the_same_image_uploaded_twice_is_one_image_on_tiktok(fake, publisher, account):
    first = await publisher.upload_media(account, media(ObjectKind.IMAGE, IMAGE, "image/png", "image"))
    again = await publisher.upload_media(account, media(ObjectKind.IMAGE, IMAGE, "image/png", "image"))
    assert first == again and fake.count("image") == 1
    upload = fake.posts("file/image/ad/upload")[-1].params
    assert upload["image_signature"] == hashlib.md5(IMAGE).hexdigest() and len(upload["file_name"]) <= 100  # noqa: S324


async def test_an_ad_without_a_video_is_refused_with_the_reason_before_tiktok_is_asked(fake, publisher, account):
    seen = len(fake.requests)
    with pytest.raises(PlatformError) as refused:
        await publisher.create_creative(account, creative(image_ref="ad-site-i18n-sg/x"))
    assert (refused.value.kind, refused.value.field) == (ErrorKind.INVALID_PARAMETER, "video")
    assert "not single images" in refused.value.message and len(fake.requests) == seen


async def test_what_tiktok_would_refuse_anyway_is_refused_before_anything_is_created(fake, publisher, account):
    no_pixel = AccountAccess(account.platform_account_id, account.token, "SAR", "Asia/Riyadh", account.page_id, None)
    with pytest.raises(PlatformError) as refused:
        await publisher.create_campaign(no_pixel, CampaignSpec("Oud [adly c4 campaign]", Objective.CONVERSIONS))
    assert (refused.value.kind, refused.value.field) == (ErrorKind.INVALID_PARAMETER, "pixel_id")
    with pytest.raises(PlatformError) as refused:
        await publisher.create_ad_set(account, ad_set_spec("1", budget=Budget(kind=BudgetKind.DAILY, amount=Money(
            amount=Decimal(100), currency="AED"))))
    assert refused.value.field == "budget.amount"
    assert fake.posts() == []


async def test_a_lifetime_budget_in_kuwaiti_dinars_is_sent_in_major_units_rounded_down(fake, publisher):
    seeded = fake.seed_account(currency="KWD", time_zone="Asia/Kuwait")
    account = AccountAccess(seeded.advertiser_id, seeded.token, "KWD", "Asia/Kuwait", seeded.identity_id, seeded.pixel_id)
    campaign_id = await publisher.create_campaign(account, CampaignSpec("Oud [adly c3 campaign]", Objective.AWARENESS))
    budget = Budget(kind=BudgetKind.LIFETIME, amount=Money(amount=Decimal("120.555"), currency="KWD"))
    ad_set_id = await publisher.create_ad_set(account, ad_set_spec(campaign_id, objective=Objective.AWARENESS,
                                                                   budget=budget, audience=Audience(countries=["KW"]),
                                                                   ends_at=datetime(2031, 3, 20, 23, 59)))
    group = fake.objects[ad_set_id]
    assert (group["budget"], group["budget_mode"], group["schedule_type"]) == ("120.55", "BUDGET_MODE_TOTAL",
                                                                              "SCHEDULE_START_END")
    assert group["schedule_end_time"] == "2031-03-20 20:59:00"  # Kuwait's evening, in UTC
    assert (group["optimization_goal"], group["billing_event"]) == ("REACH", "CPM") and "pixel_id" not in group
    assert group["age_groups"] == ["AGE_18_24", "AGE_25_34", "AGE_35_44", "AGE_45_54", "AGE_55_100"], \
        "18 to 65+ leaves the 13-17 group out: sent, or TikTok would reach teens too"


async def test_pausing_resuming_and_changing_budget_and_schedule_reach_tiktok(fake, publisher, account):
    campaign_id = await publisher.create_campaign(account, CampaignSpec("Oud [adly c5 campaign]", Objective.TRAFFIC))
    ad_set_id = await publisher.create_ad_set(account, ad_set_spec(campaign_id, objective=Objective.TRAFFIC, name="c5"))
    await publisher.set_status(account, ObjectKind.AD_SET, ad_set_id, True)
    await publisher.set_status(account, ObjectKind.AD_SET, ad_set_id, False)
    await publisher.set_budget(account, ad_set_id, Budget(kind=BudgetKind.DAILY, amount=sar("300")))
    await publisher.set_schedule(account, ad_set_id, None, datetime(2031, 4, 1, tzinfo=UTC))
    group = fake.objects[ad_set_id]
    assert (group["operation_status"], group["budget"], group["schedule_end_time"]) == ("DISABLE", "300.00",
                                                                                       "2031-04-01 00:00:00")
    with pytest.raises(PlatformError) as refused:
        await publisher.set_budget(account, ad_set_id, Budget(kind=BudgetKind.LIFETIME, amount=sar("3000")))
    assert (refused.value.kind, refused.value.field) == (ErrorKind.INVALID_PARAMETER, "budget_mode")


async def test_review_states_are_read_back_with_tiktoks_reason(fake, publisher, account):
    _, _, (first, second) = await published(publisher, account, Objective.TRAFFIC, ads=2)
    assert {r.review for r in await publisher.reviews(account, [first, second])} == {Review.IN_REVIEW}
    fake.set_review(first, "approved")
    fake.set_review(second, "disapproved", ["Misleading claims about the product."])
    approved, disapproved = await publisher.reviews(account, [first, second])
    assert (approved.platform_ad_id, approved.review) == (first, Review.APPROVED)
    assert (disapproved.review, disapproved.reason) == (Review.DISAPPROVED, "Misleading claims about the product.; "
                                                        "Edit the ad and submit it again.")


# --- performance ------------------------------------------------------------------------------


async def test_performance_is_read_per_day_at_three_levels_with_exact_units(fake, publisher, reports, account):
    campaign_id, ad_set_id, ads = await published(publisher, account, ads=2)
    today = datetime.fromtimestamp(fake.now(), RIYADH).date()
    for ad_id in ads:
        fake.deliver_from(ad_id, today - timedelta(days=3))
    rows = await reports.performance(account, [campaign_id], today - timedelta(days=2), today - timedelta(days=1))
    by_level = {level: [r for r in rows if r.level is level] for level in PerformanceLevel}
    assert [len(by_level[level]) for level in PerformanceLevel] == [2, 2, 4]
    day = today - timedelta(days=1)
    expected = [fake.figures(fake.objects[a], day, fake.accounts[account.platform_account_id]) for a in ads]
    campaign = next(r for r in by_level[PerformanceLevel.CAMPAIGN] if r.day == day)
    assert campaign.platform_object_id == campaign_id and campaign.hour is None
    assert campaign.spend == sum(e["spend"] for e in expected) and isinstance(campaign.spend, Decimal)
    assert campaign.conversion_value == sum(e["total_complete_payment_rate"] for e in expected)
    assert campaign.conversions == sum(e["complete_payment"] for e in expected)
    assert campaign.impressions == sum(int(e["impressions"]) for e in expected)
    ad_rows = [r for r in by_level[PerformanceLevel.AD] if r.day == day]
    assert {r.platform_object_id for r in ad_rows} == set(ads)
    assert {r.platform_campaign_id for r in rows} == {campaign_id}
    assert all(r.platform_object_id == ad_set_id for r in by_level[PerformanceLevel.AD_SET])


async def test_todays_figures_move_with_the_clock_and_come_per_hour(fake, publisher, reports, account):
    campaign_id, _, _ = await published(publisher, account)
    fake.offset = _seconds_to(fake, 10)  # 10:00 in Riyadh
    today = datetime.fromtimestamp(fake.now(), RIYADH).date()
    fake.deliver_from(fake.of_kind("ad")[0]["ad_id"], today)
    morning = await reports.performance(account, [campaign_id], today, today, hourly_day=today)
    hours = [r for r in morning if r.hour is not None]
    assert [r.hour for r in hours] == [1, 5, 9] and all(r.level is PerformanceLevel.CAMPAIGN for r in hours)
    daily = next(r for r in morning if r.hour is None and r.level is PerformanceLevel.CAMPAIGN)
    assert sum(r.spend for r in hours) == daily.spend and sum(r.impressions for r in hours) == daily.impressions
    fake.advance(6 * 3600)
    later = await reports.performance(account, [campaign_id], today, today)
    assert next(r for r in later if r.level is PerformanceLevel.CAMPAIGN).impressions > daily.impressions


async def test_a_restated_day_reads_back_with_its_new_figures(fake, publisher, reports, account):
    campaign_id, _, (ad_id,) = await published(publisher, account)
    today = datetime.fromtimestamp(fake.now(), RIYADH).date()
    fake.deliver_from(ad_id, today - timedelta(days=5))
    day = today - timedelta(days=3)
    before = await reports.performance(account, [campaign_id], day, day)
    fake.restate(day, "0.5")
    after = await reports.performance(account, [campaign_id], day, day)
    assert after[0].day == before[0].day == day and after[0].impressions < before[0].impressions


async def test_long_windows_and_many_rows_are_read_in_pieces_and_pages(fake, publisher, api, account):
    campaign_id, _, ads = await published(publisher, account, ads=3)
    today = datetime.fromtimestamp(fake.now(), RIYADH).date()
    for ad_id in ads:
        fake.deliver_from(ad_id, today - timedelta(days=40))
    small = TikTokReports(TikTokApi(settings_for(fake, report_page_size=10), api._outbound.client))
    rows = await small.performance(account, [campaign_id], today - timedelta(days=39), today - timedelta(days=1))
    assert len([r for r in rows if r.level is PerformanceLevel.AD]) == 3 * 39
    assert len({r.day for r in rows}) == 39
    asked = [s.params for s in fake.requests if s.path.endswith("/report/integrated/get/")]
    assert max(int(p["page"]) for p in asked) >= 4, "an ad-level window of 3 ads x 30 days is 9 pages of 10"
    assert all((date.fromisoformat(p["end_date"]) - date.fromisoformat(p["start_date"])).days < 30 for p in asked)


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("failure", "kind", "code"), [
    ("token_expired", ErrorKind.TOKEN_INVALID, "40102"),
    ("token_invalid", ErrorKind.TOKEN_INVALID, "40105"),
    ("mismatch", ErrorKind.TOKEN_INVALID, "40106"),
    ("permission", ErrorKind.PERMISSION, "40001"),
    ("not_found", ErrorKind.NOT_FOUND, "40007"),
    ("invalid", ErrorKind.INVALID_PARAMETER, "40002"),
    ("policy", ErrorKind.POLICY, "40002"),
    ("service", ErrorKind.TRANSIENT, "50000"),
    ("http_500", ErrorKind.TRANSIENT, "http 500"),
])
async def test_each_refusal_of_tiktok_becomes_a_reason_with_what_to_do(fake, publisher, account, failure, kind, code):
    fake.fail_next(failure)
    before = errors_counted(kind)
    with pytest.raises(PlatformError) as refused:
        await publisher.create_campaign(account, CampaignSpec("Oud [adly c7 campaign]", Objective.TRAFFIC))
    assert (refused.value.kind, refused.value.code) == (kind, code)
    assert refused.value.retryable is (kind in (ErrorKind.THROTTLED, ErrorKind.TRANSIENT))
    assert errors_counted(kind) == before + 1
    assert fake.count("campaign") == 0


async def test_a_refused_parameter_names_the_field(fake, publisher, account):
    fake.min_daily_budget = Decimal("500")
    campaign_id = await publisher.create_campaign(account, CampaignSpec("Oud [adly c8 campaign]", Objective.TRAFFIC))
    with pytest.raises(PlatformError) as refused:
        await publisher.create_ad_set(account, ad_set_spec(campaign_id, objective=Objective.TRAFFIC, name="c8"))
    assert (refused.value.kind, refused.value.code, refused.value.field) == (ErrorKind.INVALID_PARAMETER, "40002",
                                                                             "budget")
    assert "minimum budget" in refused.value.message


async def test_throttles_without_headers_are_waited_out_with_a_doubling_backoff(fake, publisher, account, sleeper):
    fake.fail_next("app_throttle", times=2)
    fake.fail_next("advertiser_throttle")
    await publisher.create_campaign(account, CampaignSpec("Oud [adly t1 campaign]", Objective.TRAFFIC))
    assert sleeper.waits == [1.0, 2.0, 4.0] and fake.count("campaign") == 1
    fake.fail_next("app_throttle_40016", times=10)
    before = errors_counted(ErrorKind.THROTTLED)
    with pytest.raises(PlatformError) as refused:
        await publisher.create_campaign(account, CampaignSpec("Oud [adly t2 campaign]", Objective.TRAFFIC))
    assert (refused.value.kind, refused.value.code, refused.value.retry_after) == (ErrorKind.THROTTLED, "40016", 16.0)
    assert errors_counted(ErrorKind.THROTTLED) == before + 1 and fake.count("campaign") == 1


async def test_the_token_travels_in_its_own_header_and_a_revoked_one_is_a_state_to_act_on(fake, seeded, link,
                                                                                          publisher, account):
    await publisher.find(account, ObjectKind.CAMPAIGN, "Oud", None)
    async with httpx.AsyncClient() as raw:
        bearer = (await raw.get(f"{fake.api_url}/campaign/get/", params={"advertiser_id": seeded.advertiser_id},
                                headers={"Access-Token": f"Bearer {seeded.token}"})).json()
        bare = await raw.get(f"{fake.api_url}/campaign/get", params={"advertiser_id": seeded.advertiser_id},
                             headers={"Access-Token": seeded.token})
    assert bearer["code"] == 40105 and bare.status_code == 404
    fake.revoke(seeded.token)
    with pytest.raises(PlatformError) as refused:
        await link.accounts(seeded.token)
    assert (refused.value.kind, refused.value.error_code) == (ErrorKind.TOKEN_INVALID, "40105")
    with pytest.raises(PlatformError) as refused:
        await link.accounts("")
    assert refused.value.code == "40104"


async def test_a_wrong_address_or_an_unreachable_tiktok_is_never_an_httpx_error(fake, account):
    with pytest.raises(ValueError):
        settings_for(fake, api_url=f"{fake.url}/open_api/v1.2")
    closed = TikTokPublisher(settings_for(fake, api_url=f"http://127.0.0.1:{free_port()}/open_api/v1.3"))
    with pytest.raises(PlatformError) as refused:
        await closed.find(account, ObjectKind.CAMPAIGN, "Oud", None)
    assert refused.value.kind is ErrorKind.TRANSIENT
    await closed.aclose()
    lost = TikTokPublisher(settings_for(fake, api_url=f"{fake.url}/somewhere/v1.3"))
    with pytest.raises(PlatformError) as refused:
        await lost.find(account, ObjectKind.CAMPAIGN, "Oud", None)
    assert (refused.value.kind, refused.value.code) == (ErrorKind.INVALID_PARAMETER, "http 404")
    await lost.aclose()


async def test_a_stall_before_a_create_holds_it_uncreated_and_after_holds_only_the_answer(fake, publisher, account):
    fake.stall(at_request=1, when="before")
    creating = asyncio.create_task(publisher.create_campaign(account, CampaignSpec("Oud [adly s1 campaign]",
                                                                                   Objective.TRAFFIC)))
    assert await asyncio.to_thread(fake.stalled.wait, 10)
    assert fake.count("campaign") == 0
    fake.release()
    first = await creating
    fake.stall(at_request=1, when="after")
    creating = asyncio.create_task(publisher.create_campaign(account, CampaignSpec("Oud [adly s2 campaign]",
                                                                                   Objective.TRAFFIC)))
    assert await asyncio.to_thread(fake.stalled.wait, 10)
    assert fake.count("campaign") == 2
    creating.cancel()
    with pytest.raises(asyncio.CancelledError):
        await creating
    fake.release()
    found = await publisher.find(account, ObjectKind.CAMPAIGN, "Oud [adly s2 campaign]", None)
    assert found is not None and found != first and fake.count("campaign") == 2


def _seconds_to(fake: FakeTikTok, hour: int) -> float:
    """The offset that puts the fake's clock at `hour`:00 today in Riyadh."""
    now = datetime.fromtimestamp(fake._clock(), RIYADH)
    return (now.replace(hour=hour, minute=0, second=0, microsecond=0) - now).total_seconds()



async def test_an_upload_whose_answer_was_lost_is_found_by_its_file_name(fake, publisher, account):
    first = await publisher.upload_media(account, media(ObjectKind.IMAGE, IMAGE, "image/png", "image"))
    again = await publisher.upload_media(account, media(ObjectKind.IMAGE, IMAGE + b"re-encoded", "image/png", "image"))
    assert again == first and fake.count("image") == 1
    assert [s for s in fake.requests if s.path.endswith("/file/image/ad/search/")], "looked up after TikTok's 40911"
