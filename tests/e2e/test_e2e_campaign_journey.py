"""A merchant's first campaign, through the gateway, on real Postgres and the real broker (issue 10).

Sign up, create a workspace, turn on 2FA, connect a WooCommerce store (fake) and wait until
campaigns knows its products, connect a Meta ad account (fake) through Facebook Login,
write an Arabic brief and get its plan (the budget in SAR from Arabic-Indic digits, the
platform, the dates), draft it, let creative make the ads (offline providers), approve,
publish, see it live on ADLY and on the fake, read the ads' reviews back, pause it, raise
its budget (refused without a fresh 2FA proof), end it; the workspace's live socket carries
every step. Every asynchronous step is awaited by polling what the merchant would see.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import (
    LiveEvents,
    Person,
    Stack,
    campaign_after,
    connect_woocommerce,
    eventually,
    is_two_factor_required,
    meta_login,
    plan_of,
    report,
)

ABAYA, OUD = "عباية سوداء كلاسيك", "عطر عود ملكي"
# Gulf phrasing: Instagram and Facebook, Riyadh and Jeddah, 200 riyals a day (Arabic-Indic
# digits), from next Sunday for two weeks, women aged 25 to 45.
BRIEF = (f"ابغى اعلان على انستقرام وفيسبوك لـ{ABAYA} و{OUD} في الرياض وجدة، الميزانية ٢٠٠ ريال يوميا، "
         "من الأحد القادم لمدة أسبوعين، للنساء من ٢٥ إلى ٤٥")


@dataclass
class Merchant:
    e2e: Stack
    person: Person
    workspace: str
    live: LiveEvents
    account: object  # the fake's SeededAccount

    def call(self, method: str, tail: str, *, proof: bool = False, **kwargs):
        token = self.e2e.two_factor_token(self.person) if proof else None
        return self.e2e.request(method, f"/v1/workspaces/{self.workspace}{tail}", who=self.person, proof=token,
                                **kwargs)


@pytest.fixture(scope="module")
def merchant(e2e: Stack) -> Iterator[Merchant]:
    from tests.fakes.woocommerce import FakeWooCommerce

    person = e2e.enable_two_factor(e2e.signup(prefix="abayas"))
    workspace = e2e.create_workspace(person, "دار العبايات")
    # An ad account of this journey's own on the session's fake Meta, so its objects can be counted.
    account = e2e.meta.seed_account(name="Dar Abayas Ads", currency="SAR", time_zone="Asia/Riyadh")
    with FakeWooCommerce(store_name="Dar Abayas") as shop, LiveEvents(e2e, workspace, person) as live:
        shop.add_product(ABAYA, price="250.00", category="Abayas")
        shop.add_product(OUD, price="180.00", category="Perfume")
        shop.add_product("Linen Kaftan", price="140.00")
        connect_woocommerce(e2e, person, workspace, shop)
        yield Merchant(e2e, person, workspace, live, account)


def next_sunday_after(today: date) -> date:
    return today + timedelta(days=(6 - today.weekday()) % 7 or 7)


def test_an_arabic_brief_becomes_a_live_campaign_on_meta_and_is_steered_there(e2e: Stack, merchant: Merchant):
    meta, account = e2e.meta, merchant.account

    # -- connect the Meta ad account through Facebook Login, with its page and pixel
    login = meta_login(e2e, merchant.person, merchant.workspace)
    reached = {a["platform_account_id"]: a for a in login["accounts"]}
    assert reached[account.account_id] | {"name": None} == {
        "platform_account_id": account.account_id, "name": None, "currency": "SAR", "time_zone": "Asia/Riyadh"}
    options = merchant.call("GET", f"/ad-accounts/logins/{login['login_id']}/accounts/{account.account_id}", proof=True)
    assert options.status_code == 200, options.text
    assert [p["id"] for p in options.json()["pages"]] == [account.page_id]
    assert [p["id"] for p in options.json()["pixels"]] == [account.pixel_id]
    connected = merchant.call("POST", "/ad-accounts", proof=True, json={
        "login_id": login["login_id"], "platform_account_id": account.account_id, "page_id": account.page_id,
        "pixel_id": account.pixel_id})
    assert connected.status_code == 201, connected.text
    ad_account = connected.json()
    assert (ad_account["status"], ad_account["currency"], ad_account["page_id"]) == ("connected", "SAR", account.page_id)
    assert not any(token in connected.text for token in meta.tokens)  # never shown again

    # -- the Arabic brief, read into a plan once campaigns knows the store's products
    read = plan_of(e2e, merchant.person, merchant.workspace, BRIEF, products=2)
    assert read["language"] == "ar" and not read["questions"], read
    plan = read["plan"]
    assert plan["platforms"] == ["meta"]
    assert plan["budgets"] == [{"platform": "meta", "budget": {"kind": "daily",
                                                               "amount": {"amount": "200", "currency": "SAR"}}}]
    today = datetime.now(ZoneInfo("Asia/Riyadh")).date()
    starts, ends = date.fromisoformat(plan["schedule"]["starts_on"]), date.fromisoformat(plan["schedule"]["ends_on"])
    assert starts == next_sunday_after(today) and ends - starts == timedelta(days=13), plan["schedule"]
    assert plan["schedule"]["time_zone"] == "Asia/Riyadh"
    assert plan["audience"]["countries"] == ["SA"] and set(plan["audience"]["cities"]) == {"Riyadh", "Jeddah"}
    assert (plan["audience"]["gender"], plan["audience"]["age_min"], plan["audience"]["age_max"]) == ("female", 25, 45)
    assert read["fields"]["budget"]["source"]["text"] in BRIEF and "٢٠٠" in read["fields"]["budget"]["source"]["text"]
    assert not read["problems"], read["problems"]

    # -- draft, creatives, review
    drafted = merchant.call("POST", "/campaigns", json={"name": "عبايات الشتاء", "brief": BRIEF, "plan": plan})
    assert drafted.status_code == 201, drafted.text
    campaign_id = drafted.json()["id"]
    assert drafted.json()["state"] == "draft" and drafted.headers["location"].endswith(campaign_id)
    requested = merchant.call("POST", f"/campaigns/{campaign_id}/creatives")
    assert (requested.status_code, requested.json()["state"]) == (202, "creatives_requested"), requested.text
    review = campaign_after(e2e, merchant.person, merchant.workspace, campaign_id, {"creatives_requested"})
    assert review["state"] == "in_review", review
    ads = review["ads"]
    assert sorted(ad["product_id"] for ad in ads) == sorted(plan["product_ids"]) and all(ad["platform"] == "meta" for ad in ads)
    for ad in ads:
        assert ad["headline"] and ad["primary_text"] and ad["image_asset_id"], ad
        tags = {k: v[0] for k, v in parse_qs(urlsplit(ad["landing_url"]).query).items()}
        assert (tags["utm_source"], tags["utm_medium"]) == ("facebook", "paid_social"), ad["landing_url"]
        assert tags["utm_id"] == tags["adly_c"] == campaign_id and tags["adly_a"] == ad["ad_id"]
        assert tags["utm_campaign"].endswith(tuple("abcdefghijklmnopqrstuvwxyz234567")) and tags["utm_content"]
    variants = merchant.call("GET", f"/campaigns/{campaign_id}/creatives")
    assert variants.status_code == 200 and variants.json()[0]["copies"], variants.text

    approved = merchant.call("POST", f"/campaigns/{campaign_id}/approval", json={"note": "تمام"})
    assert (approved.status_code, approved.json()["state"]) == (200, "approved"), approved.text
    assert approved.json()["approved_by"] == merchant.person.user_id

    # -- publish: live on ADLY and on Meta
    published = merchant.call("POST", f"/campaigns/{campaign_id}/publication", json={})
    assert published.status_code == 202, published.text
    live = campaign_after(e2e, merchant.person, merchant.workspace, campaign_id, {"approved", "publishing"})
    run = live["platforms"]["meta"]
    assert live["state"] == "live" and run["status"] == "published", live
    assert run["ad_account_id"] == ad_account["id"] and run["platform_campaign_id"]
    on_meta = {kind: meta.of_kind(kind, account.account_id) for kind in ("campaign", "ad_set", "ad")}
    assert (len(on_meta["campaign"]), len(on_meta["ad_set"]), len(on_meta["ad"])) == (1, 1, len(ads))
    assert on_meta["campaign"][0]["id"] == run["platform_campaign_id"]
    assert on_meta["ad_set"][0]["daily_budget"] == "20000"  # 200 SAR in halalas, a string as Meta sends it
    assert {o["status"] for objects in on_meta.values() for o in objects} == {"ACTIVE"}
    platform_ads = {ad["ad_id"]: ad["platform_ad_id"] for ad in run["ads"]}
    assert set(platform_ads) == {ad["ad_id"] for ad in ads}
    assert set(platform_ads.values()) == {o["id"] for o in on_meta["ad"]}

    # -- Meta's review of each ad, read back
    first, second = sorted(platform_ads)
    meta.set_review(platform_ads[first], "approved")
    meta.set_review(platform_ads[second], "disapproved", {"Meta advertising policies": "Text in the image."})
    read_back = {first: "approved", second: "disapproved"}
    reviews = lambda: merchant.call("GET", f"/campaigns/{campaign_id}").json()["reviews"]  # noqa: E731
    assert eventually(lambda: reviews() == read_back, timeout=30, interval=0.2), reviews()

    # -- pause: ADLY says paused only once Meta stopped spending
    paused = merchant.call("POST", f"/campaigns/{campaign_id}/pause")
    assert (paused.status_code, paused.json()["state"]) == (200, "paused"), paused.text
    assert meta.objects[run["platform_campaign_id"]]["status"] == "PAUSED"

    # -- raise the budget: a fresh 2FA proof is required (no threshold set: every increase needs it)
    raised = {"budget": {"kind": "daily", "amount": {"amount": "300", "currency": "SAR"}}}
    refused = merchant.call("PUT", f"/campaigns/{campaign_id}/budgets/meta", json=raised)
    assert is_two_factor_required(refused), refused.text
    assert on_meta["ad_set"][0]["daily_budget"] == "20000"
    accepted = merchant.call("PUT", f"/campaigns/{campaign_id}/budgets/meta", json=raised, proof=True)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["plan"]["budgets"][0]["budget"] == raised["budget"]
    assert meta.objects[on_meta["ad_set"][0]["id"]]["daily_budget"] == "30000"

    # -- end it
    ended = merchant.call("POST", f"/campaigns/{campaign_id}/end", json={"reason": "انتهى الموسم"})
    assert (ended.status_code, ended.json()["state"]) == (200, "ended"), ended.text
    assert meta.objects[run["platform_campaign_id"]]["status"] != "ACTIVE"
    listed = merchant.call("GET", "/campaigns", params={"state": "ended"})
    assert [c["id"] for c in listed.json()["items"]] == [campaign_id]

    # -- the live socket carried every step
    wanted = ["CampaignDrafted", "CreativesRequested", "CreativesReceived", "CampaignApproved",
              "CampaignPublishRequested", "CampaignPublished", "AdReviewChanged", "CampaignPaused",
              "CampaignBudgetChanged", "CampaignEnded"]
    assert eventually(lambda: set(wanted) <= set(merchant.live.types(campaign_id)), timeout=30, interval=0.1), \
        merchant.live.types(campaign_id)
    seen = merchant.live.types(campaign_id)
    assert [t for t in seen if t in wanted and t != "AdReviewChanged"] == [t for t in wanted if t != "AdReviewChanged"]
    assert "AdAccountConnected" in merchant.live.types(ad_account["id"])
    report(f"campaign journey: {len(ads)} ads live on the fake Meta, {len(seen)} campaign events on the live socket")
