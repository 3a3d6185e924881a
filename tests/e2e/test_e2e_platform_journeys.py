"""A merchant's campaign on TikTok, Snapchat and Google Ads, through the gateway (issue 11).

One journey per platform, on the session's fakes (`e2e.ad_platforms`, each ad delivering from
two days before it was published): connect the platform's ad account through its OAuth flow
on the fake (start the login, follow `authorize_url`: the fake's consent approves at once
and returns the merchant to the app's callback page with the code, which the app posts back;
list the account's identities / public profiles / conversion actions and connect it), write
a brief naming the platform (English, or Arabic for Snapchat), draft, let creative make the
ads (offline providers; TikTok plays videos only, so its journey's workspace asks creative
for a 9:16 video), approve, publish, see it live on ADLY and on the fake, read the ads'
reviews back, see the platform's figures for yesterday (exactly the fake's, in the account's
currency) and pause it. Every asynchronous step is awaited by polling what the merchant sees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.e2e.conftest import Person, Stack, campaign_after, connect_woocommerce, eventually, plan_of, report

OUD, ABAYA = "Royal Oud Perfume", "عباية سوداء كلاسيك"
ZONE = ZoneInfo("Asia/Riyadh")
MICROS = Decimal(1_000_000)


@dataclass
class Merchant:
    e2e: Stack
    person: Person
    workspace: str

    def call(self, method: str, tail: str, *, proof: bool = False, **kwargs: Any) -> httpx.Response:
        token = self.e2e.two_factor_token(self.person) if proof else None
        return self.e2e.request(method, f"/v1/workspaces/{self.workspace}{tail}", who=self.person, proof=token,
                                **kwargs)


@pytest.fixture(scope="module")
def merchant(e2e: Stack) -> Iterator[Merchant]:
    """One shop for the three journeys (each on its own ad account of its own platform)."""
    from tests.fakes.woocommerce import FakeWooCommerce

    person = e2e.enable_two_factor(e2e.signup(prefix="platforms"))
    workspace = e2e.create_workspace(person, "Oud House")
    with FakeWooCommerce(store_name="Oud House") as shop:
        shop.add_product(OUD, price="180.00", category="Perfume")
        shop.add_product(ABAYA, price="250.00", category="Abayas")
        connect_woocommerce(e2e, person, workspace, shop)
        yield Merchant(e2e, person, workspace)


# ------------------------------------------------------------------ what differs per platform


@dataclass(frozen=True)
class Seeded:
    account_id: str
    page_id: str | None    # TikTok's identity, Snapchat's public profile; Google has none
    pixel_id: str          # Google: the purchase conversion action


@dataclass(frozen=True)
class Platform:
    name: str
    brief: str
    seed: Callable[[Any], Seeded]
    code_param: str                                      # what the consent's redirect carries the code in
    live: Callable[[dict[str, Any]], str]                # an object's delivery status on the fake
    live_status: str
    paused_status: str
    approve: Callable[[Any, str], None]
    disapprove: Callable[[Any, str], None]
    figures: Callable[[Any, Seeded, dict[str, Any], date], dict[str, Decimal]]   # the fake's day of one ad


def _tiktok_seed(fake: Any) -> Seeded:
    seeded = fake.seed_account(name="Oud House TikTok", currency="SAR", time_zone="Asia/Riyadh")
    return Seeded(seeded.advertiser_id, seeded.identity_id, seeded.pixel_id)


def _tiktok_figures(fake: Any, seeded: Seeded, ad: dict[str, Any], day: date) -> dict[str, Decimal]:
    f = fake.figures(ad, day, fake.accounts[seeded.account_id])
    return {"impressions": f["impressions"], "clicks": f["clicks"], "spend": f["spend"],
            "conversions": f["complete_payment"], "conversion_value": f["total_complete_payment_rate"]}


def _snapchat_seed(fake: Any) -> Seeded:
    seeded = fake.seed_account(name="Oud House Snap", currency="SAR", time_zone="Asia/Riyadh")
    return Seeded(seeded.account_id, seeded.profile_id, seeded.pixel_id)


def _snapchat_figures(fake: Any, seeded: Seeded, ad: dict[str, Any], day: date) -> dict[str, Decimal]:
    f = fake.figures(ad["id"], day)  # a whole past day, money in micros
    return {"impressions": Decimal(f["impressions"]), "clicks": Decimal(f["swipes"]),
            "spend": Decimal(f["spend"]) / MICROS, "conversions": Decimal(f["conversion_purchases"]),
            "conversion_value": Decimal(f["conversion_purchases_value"]) / MICROS}


def _google_seed(fake: Any) -> Seeded:
    seeded = fake.seed_account(name="Oud House Google", currency="SAR", time_zone="Asia/Riyadh")
    return Seeded(seeded.customer_id, None, seeded.conversion_action_id)


def _google_figures(fake: Any, seeded: Seeded, ad: dict[str, Any], day: date) -> dict[str, Decimal]:
    impressions, clicks, cost_micros, conversions, value = fake._figures(ad, day, None, datetime.now(ZONE))
    return {"impressions": Decimal(impressions), "clicks": Decimal(clicks), "spend": Decimal(cost_micros) / MICROS,
            "conversions": Decimal(str(conversions)), "conversion_value": Decimal(str(value))}


def _google_ad_id(ad: dict[str, Any]) -> str:
    return str(ad["resourceName"]).rsplit("/", 1)[-1]  # an ad group ad: "<ad group id>~<ad id>"


PLATFORMS = {
    "tiktok": Platform(
        "tiktok", f"Sell {OUD} on TikTok in Saudi Arabia, 150 SAR a day for a week", _tiktok_seed, "auth_code",
        lambda o: o["operation_status"], "ENABLE", "DISABLE",
        lambda fake, ad: fake.set_review(ad, "approved"), lambda fake, ad: fake.set_review(ad, "disapproved"),
        _tiktok_figures),
    "snapchat": Platform(
        "snapchat", f"ابغى اعلان على سناب شات لـ{ABAYA} في السعودية، الميزانية ١٥٠ ريال يوميا لمدة أسبوع",
        _snapchat_seed, "code", lambda o: o["status"], "ACTIVE", "PAUSED",
        lambda fake, ad: fake.set_review(ad, "APPROVED"), lambda fake, ad: fake.set_review(ad, "REJECTED"),
        _snapchat_figures),
    "google_ads": Platform(
        "google_ads", f"Advertise {OUD} on Google in Saudi Arabia, 200 SAR a day for two weeks", _google_seed, "code",
        lambda o: o["status"], "ENABLED", "PAUSED",
        lambda fake, ad: fake.set_review(ad, "approved"), lambda fake, ad: fake.set_review(ad, "disapproved"),
        _google_figures),
}


def platform_ad_id(platform: str, ad: dict[str, Any]) -> str:
    """The id ADLY keeps for an ad object of the fake."""
    return {"tiktok": lambda: str(ad["ad_id"]), "snapchat": lambda: str(ad["id"]),
            "google_ads": lambda: _google_ad_id(ad)}[platform]()


def campaign_id_on(platform: str, campaign: dict[str, Any]) -> str:
    return {"tiktok": lambda: str(campaign["campaign_id"]), "snapchat": lambda: str(campaign["id"]),
            "google_ads": lambda: str(campaign["id"])}[platform]()


# ------------------------------------------------------------------------------ the journey


def connect(merchant: Merchant, platform: Platform, fake: Any, seeded: Seeded) -> dict[str, Any]:
    """The platform's OAuth login as the app runs it, then the account with its page and pixel."""
    started = merchant.call("POST", "/ad-accounts/logins", proof=True, json={"platform": platform.name})
    assert started.status_code == 201, started.text
    assert started.json()["authorize_url"].startswith(fake.url), started.json()
    consent = httpx.get(started.json()["authorize_url"], follow_redirects=False, timeout=15)
    assert consent.status_code == 302, consent.text
    back = urlsplit(consent.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == f"https://app.e2e.adly.test/ad-accounts/{platform.name}/callback"
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    finished = merchant.call("POST", "/ad-accounts/logins/code", proof=True,
                             json={"code": query[platform.code_param], "state": query["state"]})
    assert finished.status_code == 200, finished.text
    login = finished.json()
    assert login["platform"] == platform.name and login["login_id"] == started.json()["login_id"]
    reached = {a["platform_account_id"]: a for a in login["accounts"]}
    assert (reached[seeded.account_id]["currency"], reached[seeded.account_id]["time_zone"]) == ("SAR", "Asia/Riyadh")

    options = merchant.call("GET", f"/ad-accounts/logins/{login['login_id']}/accounts/{seeded.account_id}", proof=True)
    assert options.status_code == 200, options.text
    assert [p["id"] for p in options.json()["pages"]] == ([seeded.page_id] if seeded.page_id else [])
    assert seeded.pixel_id in [p["id"] for p in options.json()["pixels"]]
    connected = merchant.call("POST", "/ad-accounts", proof=True, json={
        "platform": platform.name, "login_id": login["login_id"], "platform_account_id": seeded.account_id,
        "page_id": seeded.page_id, "pixel_id": seeded.pixel_id})
    assert connected.status_code == 201, connected.text
    account = connected.json()
    assert (account["platform"], account["status"], account["currency"]) == (platform.name, "connected", "SAR"), account
    return account


# What creative makes for this workspace's campaigns, per platform: TikTok plays videos only
# (the session's default is no video), so its journey asks for a 9:16 one. Google's journey
# takes every image format: the proposals pick the square one, which Google also shows as
# the shop's logo.
OUTPUTS = {"tiktok": {"images": ["9:16", "1:1"], "video": True},
           "snapchat": {"images": ["9:16", "1:1"], "video": False},
           "google_ads": {"images": ["1:1", "4:5", "9:16", "1.91:1"], "video": False}}


def choose_outputs(merchant: Merchant, platform: str) -> None:
    wanted = OUTPUTS[platform]
    answer = merchant.call("PUT", "/creatives/settings", json={"campaign_outputs": {
        "copy": True, "voice_over": False} | wanted})
    assert answer.status_code == 200, answer.text
    assert answer.json()["campaign_outputs"]["video"] is wanted["video"]


@pytest.mark.parametrize("name", list(PLATFORMS))
def test_a_brief_becomes_a_live_campaign_with_figures_on_the_platform(e2e: Stack, merchant: Merchant, name: str):
    platform, fake = PLATFORMS[name], e2e.ad_platforms[name]
    seeded = platform.seed(fake)

    # -- connect through the platform's own login
    ad_account = connect(merchant, platform, fake, seeded)
    choose_outputs(merchant, name)

    # -- the brief names the platform: that is where the plan goes, with its budget in SAR
    read = plan_of(e2e, merchant.person, merchant.workspace, platform.brief)
    plan = read["plan"]
    assert plan["platforms"] == [name] and not read["questions"], read
    [budget] = plan["budgets"]
    assert budget["platform"] == name and budget["budget"]["amount"]["currency"] == "SAR", budget

    # -- draft, creatives, review, approve
    drafted = merchant.call("POST", "/campaigns", json={"name": f"Oud on {name}", "brief": platform.brief, "plan": plan})
    assert drafted.status_code == 201, drafted.text
    campaign_id = drafted.json()["id"]
    requested = merchant.call("POST", f"/campaigns/{campaign_id}/creatives")
    assert requested.status_code == 202, requested.text
    review = campaign_after(e2e, merchant.person, merchant.workspace, campaign_id, {"creatives_requested"},
                            timeout=180)
    assert review["state"] == "in_review" and review["ads"], review
    ads = review["ads"]
    assert all(ad["platform"] == name and ad["image_asset_id"] for ad in ads), ads
    if name == "tiktok":
        assert all(ad["video_asset_id"] for ad in ads), ads
    approved = merchant.call("POST", f"/campaigns/{campaign_id}/approval", json={})
    assert (approved.status_code, approved.json()["state"]) == (200, "approved"), approved.text

    # -- publish: live on ADLY and on the platform
    published = merchant.call("POST", f"/campaigns/{campaign_id}/publication", json={})
    assert published.status_code == 202, published.text
    live = campaign_after(e2e, merchant.person, merchant.workspace, campaign_id, {"approved", "publishing"},
                          timeout=120)
    run = live["platforms"][name]
    assert live["state"] == "live" and run["status"] == "published", (live["state"], {k: v for k, v in run.items() if k != "ads"})
    assert run["ad_account_id"] == ad_account["id"] and run["platform_campaign_id"], run
    on_fake = {kind: fake.of_kind(kind, seeded.account_id) for kind in ("campaign", "ad_set", "ad")}
    assert [len(on_fake[k]) for k in ("campaign", "ad_set", "ad")] == [1, 1, len(ads)], on_fake
    assert campaign_id_on(name, on_fake["campaign"][0]) == run["platform_campaign_id"]
    assert {platform.live(o) for objects in on_fake.values() for o in objects} == {platform.live_status}
    platform_ads = {ad["ad_id"]: ad["platform_ad_id"] for ad in run["ads"]}
    assert set(platform_ads) == {ad["ad_id"] for ad in ads}
    assert set(platform_ads.values()) == {platform_ad_id(name, o) for o in on_fake["ad"]}

    # -- the platform's review of each ad, read back
    first, *others = sorted(platform_ads)
    platform.approve(fake, platform_ads[first])
    for ad_id in others:
        platform.disapprove(fake, platform_ads[ad_id])
    read_back = {first: "approved"} | dict.fromkeys(others, "disapproved")
    reviews = lambda: merchant.call("GET", f"/campaigns/{campaign_id}").json()["reviews"]  # noqa: E731
    assert eventually(lambda: reviews() == read_back, timeout=30, interval=0.2), reviews()

    # -- the platform's figures: yesterday's whole day, per ad and for the campaign, exactly the fake's
    yesterday = datetime.now(ZONE).date() - timedelta(days=1)
    expected = {platform_ad_id(name, o): platform.figures(fake, seeded, o, yesterday) for o in on_fake["ad"]}

    def figures(level: str) -> list[dict[str, Any]]:
        answer = merchant.call("GET", f"/campaigns/{campaign_id}/performance", params={
            "level": level, "since": yesterday.isoformat(), "until": yesterday.isoformat()})
        assert answer.status_code == 200, answer.text
        return [r for r in answer.json() if r["hour"] is None]

    per_ad = eventually(lambda: len(figures("ad")) == len(expected) and figures("ad"), timeout=60, interval=0.2)
    assert per_ad, f"no figures for yesterday after 60s: {figures('ad')}"
    for row in per_ad:
        want = expected[row["platform_object_id"]]
        got = {k: Decimal(str(row[k])) for k in want}
        assert got == want, (row, want)
        assert (row["platform"], row["currency"], row["day"]) == (name, "SAR", yesterday.isoformat())
    [whole] = eventually(lambda: figures("campaign"), timeout=30, interval=0.2)
    assert whole["platform_object_id"] == run["platform_campaign_id"] and whole["currency"] == "SAR"
    for key in ("impressions", "clicks", "spend", "conversion_value"):
        assert Decimal(str(whole[key])) == sum((w[key] for w in expected.values()), Decimal(0)), (key, whole)

    # -- pause: ADLY says paused once the platform stopped delivering
    paused = merchant.call("POST", f"/campaigns/{campaign_id}/pause")
    assert (paused.status_code, paused.json()["state"]) == (200, "paused"), paused.text
    [campaign_there] = fake.of_kind("campaign", seeded.account_id)
    assert platform.live(campaign_there) == platform.paused_status, campaign_there
    report(f"{name} journey: {len(ads)} ads live on the fake, {sum(w['impressions'] for w in expected.values())} "
           f"impressions yesterday read back")
