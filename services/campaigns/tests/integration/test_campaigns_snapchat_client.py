"""The Snapchat client against the local fake Snapchat over real HTTP on 127.0.0.1 (no Postgres, no Kafka)."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from prometheus_client import REGISTRY

from adly_campaigns.adapters.snapchat import (
    SnapchatAccountLink,
    SnapchatApi,
    SnapchatPublisher,
    SnapchatReports,
    SnapchatSettings,
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
from tests.fakes.snapchat import ACCESS_TTL, CLIENT_ID, CLIENT_SECRET, FakeSnapchat

CALLBACK = "https://app.adly.test/connect/snapchat/callback"
EXAMPLES = Path(__file__).resolve().parents[4] / "tests" / "fakes" / "snapchat_examples"
IMAGE = b"\x89PNG\r\n\x1a\n sandbox oud photo \n"
VIDEO = b"\x00\x00\x00\x18ftypmp42 sandbox oud clip"
SOON = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)
RIYADH = ZoneInfo("Asia/Riyadh")


class Sleeper:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def fake():
    with FakeSnapchat(history_days=45) as server:
        yield server


@pytest.fixture
def seeded(fake):
    return fake.seed_account()


@pytest.fixture
def sleeper():
    return Sleeper()


def settings_for(fake: FakeSnapchat, **overrides) -> SnapchatSettings:
    return SnapchatSettings(**({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "api_url": fake.api_url,
                                "accounts_url": fake.accounts_url, "timeout": 5.0, "requests_per_second": 0,
                                "page_size": 50} | overrides))


@pytest.fixture
async def api(fake, sleeper):
    client = SnapchatApi(settings_for(fake), sleep=sleeper)
    yield client
    await client.aclose()


@pytest.fixture
def publisher(fake, api):
    return SnapchatPublisher(api.settings, api=api)


@pytest.fixture
def link(api):
    return SnapchatAccountLink(api.settings, api=api)


@pytest.fixture
def reports(api):
    return SnapchatReports(api.settings, api=api)


@pytest.fixture
def account(seeded):
    return AccountAccess(seeded.account_id, seeded.token, "SAR", "Asia/Riyadh", seeded.profile_id, seeded.pixel_id)


def sar(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="SAR")


def tag(key: str) -> str:
    return f"[adly 3f2b8c1e-5d4a-4e6f-9a7b-0c1d2e3f4a5b {key}]"


def ad_set_spec(campaign_id: str, *, objective=Objective.SALES, budget: Budget | None = None,
                audience: Audience | None = None, ends_at: datetime | None = None) -> AdSetSpec:
    return AdSetSpec(f"Ramadan oud {tag('ad_set')}", campaign_id, objective,
                     budget or Budget(kind=BudgetKind.DAILY, amount=sar("150.75")),
                     audience or Audience(countries=["SA", "AE"], languages=["ar"], age_min=21, age_max=45,
                                          gender=Gender.FEMALE),
                     SOON, ends_at or SOON + timedelta(days=14), "https://shop.example/oud")


def media(kind: ObjectKind, content: bytes, media_type: str, key: str) -> MediaSpec:
    return MediaSpec(f"Ramadan oud {tag(key)}", kind, content, media_type, hashlib.sha256(content).hexdigest())


def creative(headline: str = "عود رمضان", **refs) -> CreativeSpec:
    return CreativeSpec(f"Ramadan oud {tag('ad/a1/creative')}", headline, "أفخم عود لرمضان", None, "SHOP_NOW",
                        "https://shop.example/oud?utm_source=snapchat", **refs)


async def published(publisher, account) -> dict[str, str]:
    campaign = await publisher.create_campaign(account, CampaignSpec(f"Ramadan oud {tag('campaign')}", Objective.SALES))
    squad = await publisher.create_ad_set(account, ad_set_spec(campaign))
    image = await publisher.upload_media(account, media(ObjectKind.IMAGE, IMAGE, "image/png", "ad/a1/image"))
    made = await publisher.create_creative(account, creative(image_ref=image))
    ad = await publisher.create_ad(account, AdSpec(f"Ramadan oud {tag('ad/a1/ad')}", squad, made))
    return {"campaign": campaign, "ad_set": squad, "image": image, "creative": made, "ad": ad}


def errors_counted(kind: ErrorKind) -> float:
    return REGISTRY.get_sample_value("platform_api_errors_total",
                                     {"platform": "snapchat", "error_type": kind.value}) or 0.0


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())["answer"]


# --- connecting -------------------------------------------------------------------------------


async def test_a_merchant_logs_in_with_snapchat_and_chooses_an_ad_account_profile_and_pixel(fake, seeded, link):
    url = link.authorize_url("state-123", CALLBACK)
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{fake.accounts_url}/login/oauth2/authorize?")
    assert (query["scope"], query["response_type"], query["client_id"]) == (
        ["snapchat-marketing-api"], ["code"], [CLIENT_ID])
    async with httpx.AsyncClient() as browser:
        back = (await browser.get(url)).headers["location"]
    answered = parse_qs(urlsplit(back).query)
    assert back.startswith(CALLBACK) and answered["state"] == ["state-123"]

    token = await link.exchange_code(answered["code"][0], CALLBACK)
    assert token.refresh_token and token.scopes == ["snapchat-marketing-api"]
    assert token.expires_at is not None
    assert abs((token.expires_at - datetime.now(UTC)).total_seconds() - ACCESS_TTL) < 5, "an hour"
    assert await link.long_lived(token) is token
    with pytest.raises(PlatformError) as reused:
        await link.exchange_code(answered["code"][0], CALLBACK)
    assert reused.value.kind is ErrorKind.TOKEN_INVALID

    found = await link.accounts(token.access_token)
    assert [(a.platform_account_id, a.name, a.currency, a.time_zone) for a in found] == [
        (seeded.account_id, "Sandbox Oud House", "SAR", "Asia/Riyadh")]
    assert [(p.id, p.name) for p in await link.pages(token.access_token, seeded.account_id)] == [
        (seeded.profile_id, "Sandbox Oud House")]
    assert [p.id for p in await link.pixels(token.access_token, seeded.account_id)] == [seeded.pixel_id]


async def test_only_active_ad_accounts_are_offered(fake, seeded, link):
    fake.seed_account(name="Closed", status="DISABLED")
    assert [a.platform_account_id for a in await link.accounts(seeded.token)] == [seeded.account_id]


async def test_an_hour_old_token_is_refreshed_and_the_spent_refresh_token_is_refused(fake, seeded, link, publisher,
                                                                                      account):
    fake.advance(ACCESS_TTL + 1)
    with pytest.raises(PlatformError) as expired:
        await publisher.find(account, ObjectKind.CAMPAIGN, "x", None)
    assert expired.value.kind is ErrorKind.TOKEN_INVALID

    old = PlatformToken(seeded.token, datetime.fromtimestamp(fake.now(), UTC), seeded.refresh_token)
    renewed = await link.refresh(old)
    assert renewed.access_token != seeded.token and renewed.refresh_token not in (None, seeded.refresh_token)
    assert renewed.expires_at is not None and renewed.expires_at > datetime.now(UTC) + timedelta(minutes=59)
    assert await publisher.find(AccountAccess(seeded.account_id, renewed.access_token, "SAR", "Asia/Riyadh"),
                                ObjectKind.CAMPAIGN, "x", None) is None

    with pytest.raises(PlatformError) as spent:
        await link.refresh(old)
    assert spent.value.kind is ErrorKind.TOKEN_INVALID and "reconnect" in spent.value.message


async def test_a_refresh_that_does_not_rotate_keeps_the_refresh_token(fake, seeded, link):
    fake.rotate_refresh = False
    renewed = await link.refresh(PlatformToken(seeded.token, None, seeded.refresh_token))
    assert renewed.refresh_token == seeded.refresh_token


async def test_a_revoked_authorization_is_lost_for_calls_and_refreshes(fake, seeded, link, publisher, account):
    fake.revoke(seeded.token)
    before = errors_counted(ErrorKind.TOKEN_INVALID)
    with pytest.raises(PlatformError) as call:
        await publisher.reviews(account, ["x"])
    with pytest.raises(PlatformError) as refresh:
        await link.refresh(PlatformToken(seeded.token, None, seeded.refresh_token))
    assert call.value.kind is refresh.value.kind is ErrorKind.TOKEN_INVALID
    assert errors_counted(ErrorKind.TOKEN_INVALID) == before + 2


# --- publishing -------------------------------------------------------------------------------


async def test_a_campaign_is_created_paused_in_full_in_micros_then_switched_on(fake, publisher, account, seeded):
    ids = await published(publisher, account)
    campaign, squad = fake.objects[ids["campaign"]], fake.objects[ids["ad_set"]]
    assert campaign["status"] == "PAUSED" and campaign["objective_v2_properties"] == {"objective_v2_type": "SALES"}
    assert squad["daily_budget_micro"] == 150_750_000 and squad["status"] == "PAUSED"
    assert (squad["type"], squad["billing_event"], squad["optimization_goal"], squad["pixel_id"]) == (
        "SNAP_ADS", "IMPRESSION", "PIXEL_PURCHASE", seeded.pixel_id)
    assert squad["targeting"] == {
        "geos": [{"country_code": "sa", "operation": "INCLUDE"}, {"country_code": "ae", "operation": "INCLUDE"}],
        "demographics": [{"min_age": 21, "max_age": 45, "gender": "FEMALE", "languages": ["ar"]}]}
    assert (squad["start_time"], squad["end_time"]) == ("2031-03-01T09:00:00.000Z", "2031-03-15T09:00:00.000Z")
    image = fake.objects[ids["image"]]
    assert (image["type"], image["media_status"], image["_sha256"]) == ("IMAGE", "READY", hashlib.sha256(IMAGE).hexdigest())
    made = fake.objects[ids["creative"]]
    assert (made["type"], made["top_snap_media_id"], made["profile_properties"], made["brand_name"]) == (
        "WEB_VIEW", ids["image"], {"profile_id": seeded.profile_id}, "Sandbox Oud House")
    assert made["web_view_properties"] == {"url": "https://shop.example/oud?utm_source=snapchat"}
    ad = fake.objects[ids["ad"]]
    assert (ad["status"], ad["creative_id"], ad["ad_squad_id"]) == ("PAUSED", ids["creative"], ids["ad_set"])

    for kind in (ObjectKind.AD, ObjectKind.AD_SET, ObjectKind.CAMPAIGN):
        await publisher.set_status(account, kind, ids[kind.value], True)
    assert [fake.objects[ids[k]]["status"] for k in ("ad", "ad_set", "campaign")] == ["ACTIVE"] * 3
    puts = [s for s in fake.writes() if s.method == "PUT"]
    assert [s.path.removeprefix("/v1/") for s in puts] == [
        f"adsquads/{ids['ad_set']}/ads", f"campaigns/{ids['campaign']}/adsquads",
        f"adaccounts/{account.platform_account_id}/campaigns"]
    assert all(next(iter(s.body.values()))[0]["id"] for s in puts), "the whole entity, with its id"
    await publisher.set_status(account, ObjectKind.AD, ids["ad"], True)
    assert len([s for s in fake.writes() if s.method == "PUT"]) == 3, "already on: nothing written"


async def test_a_video_is_polled_until_snap_has_processed_it(fake, publisher, account, sleeper):
    fake.video_polls = 2
    video = await publisher.upload_media(account, media(ObjectKind.VIDEO, VIDEO, "video/mp4", "ad/a1/video"))
    assert fake.objects[video]["media_status"] == "READY" and sleeper.waits == [1.0]
    made = await publisher.create_creative(account, creative(video_ref=video, image_ref="unused"))
    assert fake.objects[made]["top_snap_media_id"] == video


async def test_long_names_keep_their_tag_and_long_headlines_are_cut_at_a_word(fake, publisher, account):
    long_name = "عرض " * 120 + tag("campaign")
    campaign = await publisher.create_campaign(account, CampaignSpec(long_name, Objective.TRAFFIC))
    stored = fake.objects[campaign]["name"]
    assert len(stored) <= 375 and stored.endswith(tag("campaign"))
    assert await publisher.find(account, ObjectKind.CAMPAIGN, long_name, None) == campaign

    image = await publisher.upload_media(account, media(ObjectKind.IMAGE, IMAGE, "image/png", "ad/a1/image"))
    made = await publisher.create_creative(account, creative("عطر العود الفاخر لكل مساء دافئ وجميل حقا", image_ref=image))
    assert fake.objects[made]["headline"] == "عطر العود الفاخر لكل مساء دافئ"


async def test_find_by_name_answers_each_kind_an_earlier_attempt_created(fake, publisher, account):
    ids = await published(publisher, account)
    assert await publisher.find(account, ObjectKind.CAMPAIGN, f"Ramadan oud {tag('campaign')}", None) == ids["campaign"]
    assert await publisher.find(account, ObjectKind.AD_SET, f"Ramadan oud {tag('ad_set')}", ids["campaign"]) == ids["ad_set"]
    assert await publisher.find(account, ObjectKind.IMAGE, f"Ramadan oud {tag('ad/a1/image')}", None) == ids["image"]
    assert await publisher.find(account, ObjectKind.CREATIVE, f"Ramadan oud {tag('ad/a1/creative')}", None) == ids["creative"]
    assert await publisher.find(account, ObjectKind.AD, f"Ramadan oud {tag('ad/a1/ad')}", ids["ad_set"]) == ids["ad"]
    assert await publisher.find(account, ObjectKind.AD, f"Ramadan oud {tag('ad/a2/ad')}", ids["ad_set"]) is None
    assert await publisher.find(account, ObjectKind.VIDEO, f"Ramadan oud {tag('ad/a1/image')}", None) is None


async def test_media_created_but_never_uploaded_is_uploaded_into_not_created_again(fake, publisher, account):
    spec = media(ObjectKind.IMAGE, IMAGE, "image/png", "ad/a1/image")
    fake.fail_next("server", path="media/", method="POST")   # the upload fails once the media exists
    with pytest.raises(PlatformError) as failed:
        await publisher.upload_media(account, spec)
    assert failed.value.kind is ErrorKind.TRANSIENT
    assert await publisher.find(account, ObjectKind.IMAGE, spec.name, None) is None, "not usable: not uploaded"
    media_id = await publisher.upload_media(account, spec)
    assert fake.count("image", account.platform_account_id) == 1
    assert fake.objects[media_id]["media_status"] == "READY"


async def test_pause_resume_budget_and_schedule_write_the_whole_ad_squad(fake, publisher, account):
    ids = await published(publisher, account)
    await publisher.set_budget(account, ids["ad_set"], Budget(kind=BudgetKind.DAILY, amount=sar("99.99")))
    assert fake.objects[ids["ad_set"]]["daily_budget_micro"] == 99_990_000
    await publisher.set_budget(account, ids["ad_set"], Budget(kind=BudgetKind.LIFETIME, amount=sar("1500")))
    squad = fake.objects[ids["ad_set"]]
    assert squad["lifetime_budget_micro"] == 1_500_000_000 and "daily_budget_micro" not in squad
    await publisher.set_schedule(account, ids["ad_set"], None, SOON + timedelta(days=30))
    assert fake.objects[ids["ad_set"]]["end_time"] == "2031-03-31T09:00:00.000Z"
    await publisher.set_status(account, ObjectKind.CAMPAIGN, ids["campaign"], True)
    await publisher.set_status(account, ObjectKind.CAMPAIGN, ids["campaign"], False)
    assert fake.objects[ids["campaign"]]["status"] == "PAUSED"
    with pytest.raises(PlatformError) as refused:
        await publisher.set_budget(account, ids["ad_set"], Budget(kind=BudgetKind.DAILY, amount=sar("4.99")))
    assert (refused.value.kind, refused.value.field, refused.value.code) == (
        ErrorKind.INVALID_PARAMETER, "budget.amount", "E2002")


async def test_reviews_read_back_pending_approved_and_rejected_with_reasons(fake, publisher, account):
    first = await published(publisher, account)
    assert (await publisher.reviews(account, [first["ad"]]))[0].review is Review.IN_REVIEW
    fake.set_review(first["ad"], "APPROVED")
    assert (await publisher.reviews(account, [first["ad"]]))[0].review is Review.APPROVED
    fake.set_review(first["ad"], "REJECTED", ["Misleading claims", "Landing page not working"])
    (rejected,) = await publisher.reviews(account, [first["ad"], "gone"])
    assert (rejected.review, rejected.reason) == (Review.DISAPPROVED, "Misleading claims; Landing page not working")


# --- refusals ---------------------------------------------------------------------------------


async def test_what_snap_would_refuse_is_refused_before_any_call(fake, publisher, account):
    seen = len(fake.requests)
    no_pixel = AccountAccess(account.platform_account_id, account.token, "SAR", "Asia/Riyadh", account.page_id, None)
    for call, field in (
        (publisher.create_campaign(no_pixel, CampaignSpec("c", Objective.SALES)), "pixel_id"),
        (publisher.create_ad_set(account, ad_set_spec("c1", audience=Audience(countries=["SA", "AE"]))),
         "audience.languages"),
        (publisher.create_ad_set(account, ad_set_spec("c1", budget=Budget(kind=BudgetKind.DAILY,
                                                                          amount=Money(amount=Decimal(50), currency="AED")))),
         "budget.amount"),
        (publisher.create_creative(AccountAccess(account.platform_account_id, account.token, "SAR", "Asia/Riyadh"),
                                   creative(image_ref="m")), "page_id"),
    ):
        with pytest.raises(PlatformError) as refused:
            await call
        assert (refused.value.kind, refused.value.field) == (ErrorKind.INVALID_PARAMETER, field)
    assert len(fake.requests) == seen


async def test_every_refusal_arrives_classified_and_counted(fake, publisher, account):
    cases = [("unauthorized", ErrorKind.TOKEN_INVALID), ("forbidden", ErrorKind.PERMISSION),
             ("not_found", ErrorKind.NOT_FOUND), ("bad_request", ErrorKind.INVALID_PARAMETER),
             ("server", ErrorKind.TRANSIENT), ("gateway", ErrorKind.TRANSIENT), ("throttle", ErrorKind.THROTTLED)]
    for failure, kind in cases:
        before = errors_counted(kind)
        fake.fail_next(failure, method="POST")
        with pytest.raises(PlatformError) as refused:
            await publisher.create_campaign(account, CampaignSpec("c [adly x campaign]", Objective.TRAFFIC))
        assert refused.value.kind is kind, failure
        assert errors_counted(kind) == before + 1, failure
    assert fake.count("campaign") == 0


async def test_a_failed_sub_request_is_the_refusal_with_snaps_reason(fake, publisher, account):
    image = await publisher.upload_media(account, media(ObjectKind.IMAGE, IMAGE, "image/png", "ad/a1/image"))
    fake.fail_next_sub_request("E2003: The headline contains prohibited characters",
                               path=f"adaccounts/{account.platform_account_id}/creatives")
    with pytest.raises(PlatformError) as refused:
        await publisher.create_creative(account, creative(image_ref=image))
    assert (refused.value.kind, refused.value.code, refused.value.field) == (
        ErrorKind.INVALID_PARAMETER, "E2003", "headline")
    assert "prohibited characters" in refused.value.message


async def test_snap_answers_per_entity_and_succeeds_in_part(fake, seeded):
    good = {"name": "ok", "ad_account_id": seeded.account_id, "status": "PAUSED", "start_time": "2031-01-01T00:00:00Z",
            "objective_v2_properties": {"objective_v2_type": "TRAFFIC"}}
    async with httpx.AsyncClient() as http:
        reply = await http.post(f"{fake.api_url}/adaccounts/{seeded.account_id}/campaigns",
                                headers={"Authorization": f"Bearer {seeded.token}"},
                                json={"campaigns": [good, good | {"status": "RUNNING"}]})
    body = reply.json()
    assert reply.status_code == 200 and body["request_status"] == "PARTIAL"
    assert [c["sub_request_status"] for c in body["campaigns"]] == ["SUCCESS", "ERROR"]
    assert body["campaigns"][1]["sub_request_error_reason"].startswith("E2002: status")


async def test_a_throttled_read_waits_and_tries_again_and_a_throttled_write_is_rescheduled(fake, publisher, account,
                                                                                           sleeper):
    fake.fail_next("throttle", method="GET")
    assert await publisher.find(account, ObjectKind.CAMPAIGN, "nothing", None) is None
    assert sleeper.waits == [1.0]
    fake.fail_next("throttle", method="GET", times=3)
    with pytest.raises(PlatformError) as still:
        await publisher.find(account, ObjectKind.CAMPAIGN, "nothing", None)
    assert (still.value.kind, still.value.retry_after) == (ErrorKind.THROTTLED, 30.0)
    assert sleeper.waits == [1.0, 1.0, 2.0]
    fake.fail_next("throttle", method="POST")
    with pytest.raises(PlatformError) as write:
        await publisher.create_campaign(account, CampaignSpec("c", Objective.TRAFFIC))
    assert (write.value.kind, write.value.retry_after) == (ErrorKind.THROTTLED, 30.0)


async def test_lists_are_followed_page_by_page_on_the_configured_host(fake, publisher, account):
    campaign = await publisher.create_campaign(account, CampaignSpec("first", Objective.TRAFFIC))
    for n in range(120):
        fake.objects[f"filler-{n}"] = dict(fake.objects[campaign], id=f"filler-{n}", name=f"filler {n}")
    last = await publisher.create_campaign(account, CampaignSpec(f"last {tag('campaign')}", Objective.TRAFFIC))
    assert await publisher.find(account, ObjectKind.CAMPAIGN, f"last {tag('campaign')}", None) == last
    pages = [s for s in fake.requests if s.path.endswith(f"adaccounts/{account.platform_account_id}/campaigns")
             and s.method == "GET"]
    assert [s.params.get("cursor") for s in pages] == [None, "50", "100"]
    assert all(p.params["limit"] == "50" for p in pages)


# --- documented examples ---------------------------------------------------------------------


async def test_snaps_documented_answers_are_read(fake, seeded, publisher, link, reports):
    fake.answer_next(200, example("organizations.json"), path="me/organizations")
    assert await link.accounts(seeded.token) == [], "an organization without ad accounts offers none"

    doc_ad = example("ads_page.json")
    fake.answer_next(200, doc_ad, path=f"adaccounts/{seeded.account_id}/ads")
    account = AccountAccess(seeded.account_id, seeded.token, "SAR", "Asia/Riyadh", seeded.profile_id, seeded.pixel_id)
    (review,) = await publisher.reviews(account, ["8ade8ef7-0cde-4eaa-bde6-990133575229"])
    assert review.review is Review.APPROVED
    followed = [s for s in fake.requests if s.path.endswith(f"adaccounts/{seeded.account_id}/ads")]
    assert followed[-1].params["cursor"].startswith("CnEKFgoJY3JlYXRl"), "next_link's cursor, asked of our host"

    fake.answer_next(200, example("media_create.json"), path=f"adaccounts/{seeded.account_id}/media", method="POST")
    fake.answer_next(200, {"request_status": "SUCCESS", "request_id": "r", "result": {"media_status": "READY"}},
                     path="media/a7bee653")
    assert await publisher.upload_media(account, media(ObjectKind.VIDEO, VIDEO, "video/mp4", "v")) == \
        "a7bee653-1865-41cf-8cee-8ab85a205837"

    documented = example("stats_day.json")   # the campaign's own answer, as the account's breakdown by campaign
    (entry,) = documented["timeseries_stats"]
    documented["timeseries_stats"] = [{"sub_request_status": "success", "timeseries_stat": {
        "id": seeded.account_id, "type": "AD_ACCOUNT", "granularity": "DAY",
        "breakdown_stats": {"campaign": [entry["timeseries_stat"]]}}}]
    fake.answer_next(200, documented, path=f"adaccounts/{seeded.account_id}/stats", times=3)  # and 2 breakdowns
    karachi = AccountAccess(seeded.account_id, seeded.token, "PKR", "Asia/Karachi")   # 22:00-07:00 is its midnight
    rows = await reports.performance(karachi, ["7057e31f-b908-4bc7-85dd-88169f53e08d"], date(2016, 8, 6),
                                     date(2016, 8, 7))
    campaign_rows = [r for r in rows if r.level is PerformanceLevel.CAMPAIGN]
    assert [(r.day, r.impressions, r.spend) for r in campaign_rows] == [
        (date(2016, 8, 6), 0, Decimal("0.00")), (date(2016, 8, 7), 0, Decimal("0.00"))]


# --- performance ------------------------------------------------------------------------------


def local_today(fake: FakeSnapchat) -> date:
    return datetime.fromtimestamp(fake.now(), RIYADH).date()


def summed(fake: FakeSnapchat, ad_ids: list[str], day: date) -> dict[str, int]:
    figures = [fake._restated(a, day, fake.figures(a, day)) for a in ad_ids]
    return {k: sum(f[k] for f in figures) for k in figures[0]}


async def test_performance_arrives_per_day_and_level_in_exact_units(fake, publisher, reports, account):
    ids = await published(publisher, account)
    second = await publisher.create_ad(account, AdSpec(f"Ramadan oud {tag('ad/a2/ad')}", ids["ad_set"], ids["creative"]))
    today = local_today(fake)
    since, until = today - timedelta(days=40), today - timedelta(days=1)
    rows = await reports.performance(account, [ids["campaign"]], since, until, hourly_day=until)

    stats = [s for s in fake.requests if s.path.endswith("/stats")]
    windows = [(s.params["start_time"], s.params["end_time"]) for s in stats if s.params["granularity"] == "DAY"]
    assert sorted(set(windows)) == [
        (f"{since}T00:00:00.000+03:00", f"{since + timedelta(days=31)}T00:00:00.000+03:00"),
        (f"{since + timedelta(days=31)}T00:00:00.000+03:00", f"{today}T00:00:00.000+03:00")], "31 days at most"
    assert {s.path for s in stats} == {f"/v1/adaccounts/{account.platform_account_id}/stats"}, "the account's, at once"
    assert sorted(s.params["breakdown"] for s in stats) == ["ad", "ad", "adsquad", "adsquad", "campaign", "campaign",
                                                            "campaign"], "2 windows of 3 breakdowns, and the hours"

    by = {(r.level, r.platform_object_id, r.day, r.hour): r for r in rows}
    for level, object_id, ads in ((PerformanceLevel.CAMPAIGN, ids["campaign"], [ids["ad"], second]),
                                  (PerformanceLevel.AD_SET, ids["ad_set"], [ids["ad"], second]),
                                  (PerformanceLevel.AD, second, [second])):
        for day in (since, since + timedelta(days=31), until):
            row, expected = by[(level, object_id, day, None)], summed(fake, ads, day)
            assert (row.impressions, row.clicks, row.conversions) == (
                expected["impressions"], expected["swipes"], Decimal(expected["conversion_purchases"]))
            assert row.spend == Decimal(expected["spend"]) / 1_000_000, "micros, exactly"
            assert row.conversion_value == Decimal(expected["conversion_purchases_value"]) / 1_000_000
            assert row.platform_campaign_id == ids["campaign"] and row.reach is None
    hours = [r for r in rows if r.hour is not None]
    assert [r.hour for r in hours] == list(range(24)) and {r.day for r in hours} == {until}
    assert sum(r.impressions for r in hours) == by[(PerformanceLevel.CAMPAIGN, ids["campaign"], until, None)].impressions
    assert sum(r.spend for r in hours) == by[(PerformanceLevel.CAMPAIGN, ids["campaign"], until, None)].spend


async def test_the_accounts_stats_are_kept_for_the_campaigns_asked_only(fake, publisher, reports, account):
    ids = await published(publisher, account)
    other = await publisher.create_campaign(account, CampaignSpec("another shop's season", Objective.SALES))
    yesterday = local_today(fake) - timedelta(days=1)
    rows = await reports.performance(account, [ids["campaign"]], yesterday, yesterday)
    assert {(r.level, r.platform_object_id) for r in rows} == {
        (PerformanceLevel.CAMPAIGN, ids["campaign"]), (PerformanceLevel.AD_SET, ids["ad_set"]),
        (PerformanceLevel.AD, ids["ad"])}
    assert {r.platform_campaign_id for r in rows} == {ids["campaign"]} != {other}
    assert await reports.performance(account, [], yesterday, yesterday) == []


async def test_today_moves_with_the_clock_and_a_restated_day_is_read_again(fake, publisher, reports, seeded):
    lasting = fake.issue_token(expires=False)   # the fake's clock moves past an hour-long token's life
    account = AccountAccess(seeded.account_id, lasting.access_token, "SAR", "Asia/Riyadh", seeded.profile_id,
                            seeded.pixel_id)
    ids = await published(publisher, account)
    today = local_today(fake)
    yesterday = today - timedelta(days=1)

    async def campaign_day(day: date):
        rows = await reports.performance(account, [ids["campaign"]], day, day)
        return next(r for r in rows if r.level is PerformanceLevel.CAMPAIGN)

    before_today, before_yesterday = await campaign_day(today), await campaign_day(yesterday)
    fake.advance(3600)
    assert (await campaign_day(today)).impressions > before_today.impressions
    assert await campaign_day(yesterday) == before_yesterday, "a finished day holds still"

    fake.restate(yesterday, Decimal("0.9"))
    restated = await campaign_day(yesterday)
    assert restated.impressions == int(Decimal(before_yesterday.impressions) * Decimal("0.9"))
    assert restated.spend < before_yesterday.spend


async def test_a_day_query_not_at_the_accounts_midnight_is_refused_as_snap_does(fake, seeded):
    campaign = str(uuid.uuid4())
    fake.objects[campaign] = {"_kind": "campaign", "_account": seeded.account_id, "id": campaign}
    async with httpx.AsyncClient() as http:
        reply = await http.get(f"{fake.api_url}/campaigns/{campaign}/stats", headers={
            "Authorization": f"Bearer {seeded.token}"}, params={
            "granularity": "DAY", "start_time": "2030-01-01T00:00:00.000Z", "end_time": "2030-01-02T00:00:00.000Z"})
        too_long = await http.get(f"{fake.api_url}/campaigns/{campaign}/stats", headers={
            "Authorization": f"Bearer {seeded.token}"}, params={
            "granularity": "DAY", "start_time": "2030-01-01T00:00:00.000+03:00",
            "end_time": "2030-02-02T00:00:00.000+03:00"})
    assert reply.status_code == 400 and "start of day (00:00:00) for the account's timezone" in reply.json()["debug_message"]
    assert too_long.status_code == 400 and "31 days" in too_long.json()["debug_message"]


# --- wiring -----------------------------------------------------------------------------------


def service_settings(**values):
    from adly_campaigns.settings import CampaignsSettings

    return CampaignsSettings(**({"ADLY_DATABASE_URL": "postgresql://unused", "ADLY_KAFKA_BOOTSTRAP_SERVERS": "unused"}
                                | values))


async def test_the_service_builds_snapchat_only_when_its_app_is_configured(fake):
    from adly_campaigns.adapters.platforms import BUILDERS
    from adly_events.contracts.common import AdPlatform

    assert BUILDERS[AdPlatform.SNAPCHAT](service_settings()) is None
    built = BUILDERS[AdPlatform.SNAPCHAT](service_settings(
        snapchat_client_id=CLIENT_ID, snapchat_client_secret=CLIENT_SECRET, snapchat_api_url=fake.api_url,
        snapchat_accounts_url=fake.accounts_url))
    assert built is not None and built.reports is not None
    assert built.publisher.api is built.link.api is built.reports.api, "one transport: one pacing per token"
    assert built.link.authorize_url("s", CALLBACK).startswith(fake.accounts_url)
    await built.aclose()


async def test_an_organization_whose_profiles_cannot_be_listed_offers_none(fake, seeded, link):
    fake.answer_next(404, {"request_status": "ERROR", "request_id": "r", "debug_message": "Resource can not be found",
                           "error_code": "E3003"}, path="organizations/")
    assert await link.pages(seeded.token, seeded.account_id) == []
    fake.fail_next("forbidden", path="organizations/")
    with pytest.raises(PlatformError) as refused:
        await link.pages(seeded.token, seeded.account_id)
    assert refused.value.kind is ErrorKind.PERMISSION
