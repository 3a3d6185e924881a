"""The Meta client against the local fake Meta over real HTTP on 127.0.0.1 (no Postgres, no Kafka)."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from prometheus_client import REGISTRY

from adly_campaigns.adapters.meta import MetaAccountLink, MetaPublisher, MetaSettings
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
from adly_events.contracts.campaigns import Audience, Budget, BudgetKind, Gender, Objective
from adly_events.contracts.common import Money
from tests.fakes.meta import APP_ID, APP_SECRET, FakeMeta
from tests.fakes.server import free_port

CALLBACK = "https://app.adly.test/connect/meta/callback"
IMAGE = b"\x89PNG\r\n\x1a\n sandbox oud photo \n"
VIDEO = b"\x00\x00\x00\x18ftypmp42 sandbox oud clip"
SOON = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)


class Sleeper:
    """Stands in for asyncio.sleep: records each wait and runs what the test says happens meanwhile."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.meanwhile = None

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.meanwhile is not None:
            self.meanwhile()


@pytest.fixture
def fake():
    with FakeMeta() as server:
        yield server


@pytest.fixture
def seeded(fake):
    return fake.seed_account()


@pytest.fixture
def sleeper():
    return Sleeper()


def settings_for(fake: FakeMeta, **overrides) -> MetaSettings:
    return MetaSettings(**({"app_id": APP_ID, "app_secret": APP_SECRET, "graph_url": fake.graph_url,
                            "dialog_url": fake.dialog_url, "timeout": 5.0} | overrides))


@pytest.fixture
async def publisher(fake, sleeper):
    client = MetaPublisher(settings_for(fake), sleep=sleeper)
    yield client
    await client.aclose()


@pytest.fixture
async def link(fake):
    client = MetaAccountLink(settings_for(fake))
    yield client
    await client.aclose()


@pytest.fixture
def account(seeded):
    return AccountAccess(seeded.account_id, seeded.token, "SAR", "Asia/Riyadh", seeded.page_id, seeded.pixel_id)


def sar(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="SAR")


def ad_set_spec(campaign_id: str, *, objective=Objective.SALES, budget: Budget | None = None,
                audience: Audience | None = None, ends_at: datetime | None = None) -> AdSetSpec:
    return AdSetSpec("Ramadan oud [adly c1 ad_set]", campaign_id, objective,
                     budget or Budget(kind=BudgetKind.DAILY, amount=sar("150.75")),
                     audience or Audience(countries=["SA", "AE"], cities=["Riyadh"], languages=["ar"], age_min=21,
                                          age_max=45, gender=Gender.FEMALE),
                     SOON, ends_at or SOON + timedelta(days=14), "https://shop.example/oud?utm_source=meta")


def media(kind: ObjectKind, content: bytes, media_type: str, key: str) -> MediaSpec:
    return MediaSpec(f"Ramadan oud [adly c1 ad/a1/{key}]", kind, content, media_type, hashlib.sha256(content).hexdigest())


def creative(**refs) -> CreativeSpec:
    return CreativeSpec("Ramadan oud [adly c1 ad/a1/creative]", "عود رمضان", "أفخم عود لرمضان، توصيل مجاني.",
                        "Free delivery", "SHOP_NOW", "https://shop.example/oud?utm_source=meta", **refs)


def errors_counted(kind: ErrorKind) -> float:
    return REGISTRY.get_sample_value("platform_api_errors_total", {"platform": "meta", "error_type": kind.value}) or 0.0


# --- connecting -------------------------------------------------------------------------------


async def test_a_merchant_logs_in_with_facebook_and_chooses_an_ad_account_page_and_pixel(fake, seeded, link):
    url = link.authorize_url("state-123", CALLBACK)
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{fake.dialog_url}/v26.0/dialog/oauth?")
    assert query["scope"] == ["ads_management,ads_read,business_management,pages_show_list,"
                              "pages_read_engagement,pages_manage_ads"]
    async with httpx.AsyncClient() as browser:
        back = (await browser.get(url)).headers["location"]
    code, state = parse_qs(urlsplit(back).query)["code"][0], parse_qs(urlsplit(back).query)["state"][0]
    assert back.startswith(CALLBACK) and state == "state-123"

    short = await link.exchange_code(code, CALLBACK)
    assert short.expires_at is not None and short.expires_at < datetime.now(UTC) + timedelta(hours=3)
    lasting = await link.long_lived(short)
    assert lasting.access_token != short.access_token
    assert lasting.expires_at is not None and lasting.expires_at > datetime.now(UTC) + timedelta(days=59)

    accounts = await link.accounts(lasting.access_token)
    assert [(a.platform_account_id, a.currency, a.time_zone) for a in accounts] == [
        (seeded.account_id, "SAR", "Asia/Riyadh")]
    assert [p.id for p in await link.pages(lasting.access_token, seeded.account_id)] == [seeded.page_id]
    assert [p.id for p in await link.pixels(lasting.access_token, seeded.account_id)] == [seeded.pixel_id]


async def test_a_system_user_token_without_an_expiry_is_kept_as_it_is(fake, link):
    token = PlatformToken(access_token=fake.issue_token(expires=False))
    seen = len(fake.requests)
    assert await link.long_lived(token) is token
    assert len(fake.requests) == seen


async def test_only_accounts_that_can_run_ads_are_offered(fake, seeded, link):
    fake.seed_account(account_id="777", name="Closed account", status=2)
    assert [a.platform_account_id for a in await link.accounts(seeded.token)] == [seeded.account_id]


# --- publishing -------------------------------------------------------------------------------


async def test_a_campaign_is_created_paused_in_full_then_switched_on(fake, publisher, account, sleeper):
    campaign_id = await publisher.create_campaign(account, CampaignSpec("Ramadan oud [adly c1 campaign]",
                                                                       Objective.SALES))
    ad_set_id = await publisher.create_ad_set(account, ad_set_spec(campaign_id))
    image_hash = await publisher.upload_media(account, media(ObjectKind.IMAGE, IMAGE, "image/png", "image"))
    video_id = await publisher.upload_media(account, media(ObjectKind.VIDEO, VIDEO, "video/mp4", "video"))
    image_creative = await publisher.create_creative(account, creative(image_ref=image_hash))
    video_creative = await publisher.create_creative(account, creative(video_ref=video_id))
    ads = [await publisher.create_ad(account, AdSpec(f"Ramadan oud [adly c1 ad/{n}/ad]", ad_set_id, c))
           for n, c in (("a1", image_creative), ("a2", video_creative))]

    campaign, ad_set = fake.objects[campaign_id], fake.objects[ad_set_id]
    assert (campaign["objective"], campaign["status"], campaign["special_ad_categories"]) == ("OUTCOME_SALES",
                                                                                           "PAUSED", [])
    assert ad_set["daily_budget"] == "15075" and ad_set["status"] == "PAUSED"
    assert (ad_set["optimization_goal"], ad_set["billing_event"]) == ("OFFSITE_CONVERSIONS", "IMPRESSIONS")
    assert ad_set["promoted_object"] == {"pixel_id": account.pixel_id, "custom_event_type": "PURCHASE"}
    assert ad_set["start_time"] == "2031-03-01T09:00:00+0000"
    assert image_hash == hashlib.md5(IMAGE).hexdigest()  # noqa: S324 - the fake's content key
    assert sleeper.waits == [2.0], "the video was processing once, and polled again after the interval"
    assert fake.objects[video_creative]["object_story_spec"]["video_data"]["image_url"].endswith(".jpg")
    assert fake.objects[image_creative]["object_story_spec"]["link_data"]["call_to_action"] == {
        "type": "SHOP_NOW", "value": {"link": "https://shop.example/oud?utm_source=meta"}}
    assert all(fake.objects[a]["status"] == "PAUSED" for a in ads)

    for ad_id in ads:
        fake.set_review(ad_id, "approved")
        await publisher.set_status(account, ObjectKind.AD, ad_id, True)
    await publisher.set_status(account, ObjectKind.AD_SET, ad_set_id, True)
    await publisher.set_status(account, ObjectKind.CAMPAIGN, campaign_id, True)
    assert [fake._effective(fake.objects[a]) for a in ads] == ["ACTIVE", "ACTIVE"]
    assert {k: fake.count(k) for k in ("campaign", "ad_set", "image", "video", "creative", "ad")} == {
        "campaign": 1, "ad_set": 1, "image": 1, "video": 1, "creative": 2, "ad": 2}


async def test_find_by_name_returns_what_an_earlier_attempt_created(fake, publisher, account):
    campaign_id = await publisher.create_campaign(account, CampaignSpec("Oud [adly c1 campaign]", Objective.TRAFFIC))
    ad_set_id = await publisher.create_ad_set(account, ad_set_spec(campaign_id, objective=Objective.TRAFFIC))
    image_hash = await publisher.upload_media(account, media(ObjectKind.IMAGE, IMAGE, "image/png", "image"))
    video_id = await publisher.upload_media(account, media(ObjectKind.VIDEO, VIDEO, "video/mp4", "video"))
    creative_id = await publisher.create_creative(account, creative(image_ref=image_hash))
    ad_id = await publisher.create_ad(account, AdSpec("Oud [adly c1 ad/a1/ad]", ad_set_id, creative_id))

    assert await publisher.find(account, ObjectKind.CAMPAIGN, "Oud [adly c1 campaign]", None) == campaign_id
    assert await publisher.find(account, ObjectKind.AD_SET, "Ramadan oud [adly c1 ad_set]", campaign_id) == ad_set_id
    assert await publisher.find(account, ObjectKind.IMAGE, "Ramadan oud [adly c1 ad/a1/image]", None) == image_hash
    assert await publisher.find(account, ObjectKind.VIDEO, "Ramadan oud [adly c1 ad/a1/video]", None) == video_id
    assert await publisher.find(account, ObjectKind.CREATIVE, "Ramadan oud [adly c1 ad/a1/creative]", None) == creative_id
    assert await publisher.find(account, ObjectKind.AD, "Oud [adly c1 ad/a1/ad]", ad_set_id) == ad_id
    assert await publisher.find(account, ObjectKind.CAMPAIGN, "Oud [adly c2 campaign]", None) is None
    listed = [s for s in fake.requests if s.path.endswith("/campaigns") and s.method == "GET"][-1]
    assert '"operator":"EQUAL"' in listed.params["filtering"]


async def test_the_same_image_uploaded_twice_is_one_image_on_meta(fake, publisher, account):
    first = await publisher.upload_media(account, media(ObjectKind.IMAGE, IMAGE, "image/png", "image"))
    again = await publisher.upload_media(account, media(ObjectKind.IMAGE, IMAGE, "image/png", "image"))
    assert first == again and fake.count("image") == 1


async def test_a_video_meta_is_still_processing_is_polled_a_bounded_number_of_times_then_retried_later(fake, account,
                                                                                                    sleeper):
    fake.video_polls = 100
    patient = MetaPublisher(settings_for(fake, video_poll_attempts=3, video_poll_interval=5.0), sleep=sleeper)
    with pytest.raises(PlatformError) as refused:
        await patient.upload_media(account, media(ObjectKind.VIDEO, VIDEO, "video/mp4", "video"))
    assert refused.value.retryable and sleeper.waits == [5.0, 5.0]
    assert await patient.find(account, ObjectKind.VIDEO, "Ramadan oud [adly c1 ad/a1/video]", None) is not None
    await patient.aclose()


async def test_cities_meta_cannot_place_are_left_out_and_reported(fake, publisher, account):
    audience = Audience(countries=["SA", "AE"], cities=["الرياض", "Atlantis"], languages=["ar", "en", "xx"])
    resolved = await publisher.resolve_targeting(account, audience)
    assert resolved.unresolved_cities == ["Atlantis"] and resolved.unresolved_languages == ["xx"]
    assert resolved.targeting["geo_locations"] == {"countries": ["AE"], "cities": [{"key": "2479611"}]}
    assert resolved.targeting["locales"] == [28, 1001]


async def test_a_lifetime_budget_in_bahraini_dinars_is_sent_rounded_down_with_its_end(fake, publisher):
    seeded = fake.seed_account(currency="BHD", time_zone="Asia/Bahrain")
    account = AccountAccess(seeded.account_id, seeded.token, "BHD", "Asia/Bahrain", seeded.page_id, seeded.pixel_id)
    campaign_id = await publisher.create_campaign(account, CampaignSpec("Oud [adly c3 campaign]", Objective.AWARENESS))
    budget = Budget(kind=BudgetKind.LIFETIME, amount=Money(amount=Decimal("100.005"), currency="BHD"))
    ad_set_id = await publisher.create_ad_set(account, ad_set_spec(campaign_id, objective=Objective.AWARENESS,
                                                                   budget=budget, ends_at=datetime(2031, 3, 20, 23, 59)))
    assert fake.objects[ad_set_id]["lifetime_budget"] == "10000"
    assert fake.objects[ad_set_id]["end_time"] == "2031-03-20T20:59:00+0000"  # Bahrain's evening, in UTC
    assert await publisher.ad_set_budget(account, ad_set_id) == Budget(
        kind=BudgetKind.LIFETIME, amount=Money(amount=Decimal("100.000"), currency="BHD"))


async def test_what_meta_would_refuse_anyway_is_refused_before_anything_is_created(fake, publisher, account):
    no_pixel = AccountAccess(account.platform_account_id, account.token, "SAR", "Asia/Riyadh", account.page_id, None)
    with pytest.raises(PlatformError) as refused:
        await publisher.create_campaign(no_pixel, CampaignSpec("Oud [adly c4 campaign]", Objective.CONVERSIONS))
    assert (refused.value.kind, refused.value.field) == (ErrorKind.INVALID_PARAMETER, "pixel_id")
    with pytest.raises(PlatformError) as refused:
        await publisher.create_ad_set(account, ad_set_spec("1", budget=Budget(kind=BudgetKind.DAILY,
                                                                             amount=Money(amount=Decimal(50),
                                                                                          currency="AED"))))
    assert refused.value.field == "budget.amount"
    assert fake.posts() == []


async def test_pausing_resuming_and_changing_budget_and_schedule_reach_meta(fake, publisher, account):
    campaign_id = await publisher.create_campaign(account, CampaignSpec("Oud [adly c5 campaign]", Objective.TRAFFIC))
    ad_set_id = await publisher.create_ad_set(account, ad_set_spec(campaign_id, objective=Objective.TRAFFIC))
    await publisher.set_status(account, ObjectKind.AD_SET, ad_set_id, True)
    await publisher.set_status(account, ObjectKind.AD_SET, ad_set_id, False)
    await publisher.set_budget(account, ad_set_id, Budget(kind=BudgetKind.DAILY, amount=sar("300")))
    await publisher.set_schedule(account, ad_set_id, None, datetime(2031, 4, 1, tzinfo=UTC))
    ad_set = fake.objects[ad_set_id]
    assert (ad_set["status"], ad_set["daily_budget"], ad_set["end_time"]) == ("PAUSED", "30000",
                                                                              "2031-04-01T00:00:00+0000")
    assert await publisher.ad_set_budget(account, ad_set_id) == Budget(kind=BudgetKind.DAILY, amount=sar("300.00"))


async def test_review_states_are_read_back_in_review_approved_and_disapproved_with_meta_reason(fake, publisher,
                                                                                              account):
    campaign_id = await publisher.create_campaign(account, CampaignSpec("Oud [adly c6 campaign]", Objective.TRAFFIC))
    ad_set_id = await publisher.create_ad_set(account, ad_set_spec(campaign_id, objective=Objective.TRAFFIC))
    image_hash = await publisher.upload_media(account, media(ObjectKind.IMAGE, IMAGE, "image/png", "image"))
    creative_id = await publisher.create_creative(account, creative(image_ref=image_hash))
    first, second = [await publisher.create_ad(account, AdSpec(f"Oud [adly c6 ad/{n}/ad]", ad_set_id, creative_id))
                     for n in ("a1", "a2")]
    assert {r.review for r in await publisher.reviews(account, [first, second])} == {Review.IN_REVIEW}
    fake.set_review(first, "approved")
    fake.set_review(second, "disapproved", {"Unacceptable business practices": "Your ad promotes a product we "
                                            "do not allow."})
    approved, disapproved = await publisher.reviews(account, [first, second])
    assert (approved.platform_ad_id, approved.review) == (first, Review.APPROVED)
    assert disapproved.review is Review.DISAPPROVED
    assert disapproved.reason == "Unacceptable business practices: Your ad promotes a product we do not allow."


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("failure", "kind", "code", "subcode", "retry_after"), [
    ("token_revoked", ErrorKind.TOKEN_INVALID, "190", "460", None),
    ("token_expired", ErrorKind.TOKEN_INVALID, "190", "463", None),
    ("permission", ErrorKind.PERMISSION, "200", None, None),
    ("policy", ErrorKind.POLICY, "368", "1404006", None),
    ("user_throttle", ErrorKind.THROTTLED, "17", "2446079", 60.0),
    ("account_throttle", ErrorKind.THROTTLED, "613", "1487742", 60.0),
    ("buc_throttle", ErrorKind.THROTTLED, "80004", "2446079", 180.0),
    ("transient", ErrorKind.TRANSIENT, "2", None, None),
    ("http_500", ErrorKind.TRANSIENT, None, None, None),
])
async def test_each_refusal_of_meta_becomes_a_reason_with_what_to_do(fake, publisher, account, failure, kind, code,
                                                                     subcode, retry_after):
    fake.fail_next(failure, regain_minutes=3 if failure == "buc_throttle" else 1)
    before = errors_counted(kind)
    with pytest.raises(PlatformError) as refused:
        await publisher.create_campaign(account, CampaignSpec("Oud [adly c7 campaign]", Objective.TRAFFIC))
    assert (refused.value.kind, refused.value.code, refused.value.subcode) == (kind, code, subcode)
    assert refused.value.retry_after == retry_after
    assert refused.value.retryable is (kind in (ErrorKind.THROTTLED, ErrorKind.TRANSIENT))
    assert errors_counted(kind) == before + 1
    assert fake.count("campaign") == 0


async def test_a_parameter_meta_refuses_names_the_field_in_the_merchants_words(fake, publisher, account):
    fake.min_daily_budget = 10_000
    campaign_id = await publisher.create_campaign(account, CampaignSpec("Oud [adly c8 campaign]", Objective.TRAFFIC))
    with pytest.raises(PlatformError) as refused:
        await publisher.create_ad_set(account, ad_set_spec(campaign_id, objective=Objective.TRAFFIC,
                                                           budget=Budget(kind=BudgetKind.DAILY, amount=sar("50"))))
    assert (refused.value.kind, refused.value.code, refused.value.subcode) == (ErrorKind.INVALID_PARAMETER, "100",
                                                                               "1885272")
    assert refused.value.field == "daily_budget"
    assert refused.value.message.startswith("The minimum budget for this ad set is")


async def test_a_revoked_token_is_a_clear_state_not_a_crash(fake, seeded, link):
    fake.revoke(seeded.token, 460)
    with pytest.raises(PlatformError) as refused:
        await link.accounts(seeded.token)
    assert (refused.value.kind, refused.value.error_code) == (ErrorKind.TOKEN_INVALID, "190/460")


async def test_an_unreachable_or_silent_meta_is_a_transient_failure_never_an_httpx_error(fake, account):
    closed = MetaPublisher(settings_for(fake, graph_url=f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(PlatformError) as refused:
        await closed.find(account, ObjectKind.CAMPAIGN, "Oud", None)
    assert refused.value.kind is ErrorKind.TRANSIENT
    await closed.aclose()

    async with httpx.AsyncClient(timeout=0.3) as http:
        impatient = MetaPublisher(settings_for(fake), http)
        fake.stall(at_request=1, when="before")
        with pytest.raises(PlatformError) as refused:
            await impatient.create_campaign(account, CampaignSpec("Oud [adly c9 campaign]", Objective.TRAFFIC))
        assert refused.value.kind is ErrorKind.TRANSIENT
        fake.release()
        await impatient.aclose()
        assert not http.is_closed, "a client the caller passed stays the caller's to close"


# --- pacing -----------------------------------------------------------------------------------


async def test_usage_at_95_percent_makes_the_next_call_wait_for_the_reset_before_meta_refuses(fake, seeded, publisher,
                                                                                             account, sleeper):
    fake.set_usage(95, account_id=seeded.account_id, reset_seconds=45)
    assert await publisher.find(account, ObjectKind.CAMPAIGN, "Oud [adly c10 campaign]", None) is None
    requests_when_waiting: list[int] = []

    def usage_resets() -> None:
        requests_when_waiting.append(len(fake.requests))
        fake.set_usage(5, account_id=seeded.account_id)

    sleeper.meanwhile = usage_resets
    seen = len(fake.requests)
    await publisher.create_campaign(account, CampaignSpec("Oud [adly c10 campaign]", Objective.TRAFFIC))
    assert sleeper.waits == [pytest.approx(45, abs=1)]
    assert requests_when_waiting == [seen], "the wait came before the call, not after a refusal"
    assert fake.count("campaign") == 1


async def test_a_reset_further_off_than_the_bound_refuses_without_asking_meta(fake, seeded, publisher, account,
                                                                             sleeper):
    fake.set_usage(99, account_id=seeded.account_id, regain_minutes=30, reset_seconds=1800)
    await publisher.find(account, ObjectKind.CAMPAIGN, "Oud", None)
    seen = len(fake.requests)
    with pytest.raises(PlatformError) as refused:
        await publisher.create_campaign(account, CampaignSpec("Oud [adly c11 campaign]", Objective.TRAFFIC))
    assert refused.value.kind is ErrorKind.THROTTLED and refused.value.retry_after == pytest.approx(1800, abs=1)
    assert len(fake.requests) == seen and sleeper.waits == []


# --- configuration and the fake's stalls ------------------------------------------------------


async def test_the_api_version_is_configurable_and_calls_are_signed_with_the_app_secret(fake, account):
    with pytest.raises(ValueError):
        settings_for(fake, api_version="v25.0")
    fake.require_proof = True
    client = MetaPublisher(settings_for(fake, api_version="v27.0"))
    assert await client.find(account, ObjectKind.CAMPAIGN, "Oud", None) is None
    assert fake.requests[-1].path.startswith("/v27.0/") and "appsecret_proof" in fake.requests[-1].params
    await client.aclose()
    unsigned = MetaPublisher(settings_for(fake, appsecret_proof=False))
    with pytest.raises(PlatformError) as refused:
        await unsigned.find(account, ObjectKind.CAMPAIGN, "Oud", None)
    assert refused.value.kind is ErrorKind.INVALID_PARAMETER
    await unsigned.aclose()


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
    creating.cancel()  # the publisher dies before it hears the id
    with pytest.raises(asyncio.CancelledError):
        await creating
    fake.release()
    found = await publisher.find(account, ObjectKind.CAMPAIGN, "Oud [adly s2 campaign]", None)
    assert found is not None and found != first and fake.count("campaign") == 2
