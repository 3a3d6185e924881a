"""The sandbox and the devstack's wiring, without the stack: what each service is told on the
ports of a run, that production refuses every sandbox setting, the sandbox's fake stores as a
process of their own (labelled, photos served, loopback only), and the curl helpers
(`adly-dev totp`, `adly-dev mail`).

The whole journey on real processes is `test_sandbox_journey.py`."""

from __future__ import annotations

import base64
import json
import random
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from adly_campaigns.settings import CampaignsSettings
from adly_catalog.settings import PLATFORM_URLS, CatalogSettings
from adly_creative.settings import CreativeSettings
from adly_gateway.settings import UPSTREAMS, GatewaySettings
from adly_kit.devstack import cli
from adly_kit.devstack.run import SERVICES, DevStack, Options
from adly_kit.devstack.sandbox import (
    GOOGLE_ADS_CUSTOMER_ID,
    HISTORY_DAYS,
    META_ACCOUNT_ID,
    META_TOKEN,
    SHOPIFY_SHOP,
    SNAPCHAT_ACCOUNT_ID,
    SNAPCHAT_TOKEN,
    TIKTOK_ACCOUNT_ID,
    TIKTOK_TOKEN,
    WOOCOMMERCE_KEY,
    WOOCOMMERCE_SECRET,
    SandboxPlan,
    link_token,
    mails_in_log,
    totp,
)

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "ADLY_ENVIRONMENT": "production",
    "ADLY_INTERNAL_IDENTITY_KEY": "p" * 40,
    "ADLY_ENCRYPTION_KEYS": "prod1:" + "A" * 44,
    "ADLY_DATABASE_URL": "postgresql://adly@db.internal:5432/adly",
    "ADLY_KAFKA_BOOTSTRAP_SERVERS": "kafka.internal:9092",
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No ADLY_* or platform setting of the developer's shell leaks into a test."""
    import os

    for name in list(os.environ):
        if name.startswith("ADLY_") or name in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS"):
            monkeypatch.delenv(name)
    return monkeypatch


def settings_from(monkeypatch: pytest.MonkeyPatch, cls, env: dict[str, str]):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return cls()


# ------------------------------------------------------------------- what each service is told


def test_the_gateway_is_told_every_upstream_and_the_jwks_on_the_ports_of_the_run(clean_env):
    options = Options(data_dir=Path("/nonexistent"), gateway_port=9350, base_port=9300)
    env = options.env_for("gateway")
    # Read back by the gateway's own settings: the variable names are the ones it reads.
    gateway = settings_from(clean_env, GatewaySettings, {**PRODUCTION, "ADLY_ENVIRONMENT": "development", **env})
    assert gateway.upstream_urls() == {name: f"http://127.0.0.1:{options.port_of(name)}" for name in UPSTREAMS}
    assert set(gateway.upstream_urls().values()).isdisjoint({f"http://127.0.0.1:{p}" for p in range(8101, 8107)})
    assert gateway.jwks_endpoint == "http://127.0.0.1:9301/.well-known/jwks.json"
    assert gateway.http_port == 9350
    assert [options.port_of(s) for s in SERVICES] == [9350, 9301, 9302, 9303, 9304, 9305, 9306]


def test_the_catalog_public_url_follows_the_gateway_port_unless_the_developer_gave_one(clean_env):
    options = Options(data_dir=Path("/nonexistent"), gateway_port=9350, base_port=9300)
    catalog = settings_from(clean_env, CatalogSettings, {**PRODUCTION, "ADLY_ENVIRONMENT": "development",
                                                         **options.env_for("catalog")})
    assert catalog.public_api_url == "http://127.0.0.1:9350"
    clean_env.setenv("ADLY_PUBLIC_API_URL", "https://tunnel.example.dev")  # reachable by real platforms
    assert "ADLY_PUBLIC_API_URL" not in options.env_for("catalog")


def test_auth_writes_mail_to_its_log_unless_a_mail_server_is_set(clean_env):
    options = Options(data_dir=Path("/nonexistent"))
    assert options.env_for("auth")["ADLY_MAIL_TRANSPORT"] == "log"
    clean_env.setenv("ADLY_SMTP_HOST", "mail.example.dev")
    assert "ADLY_MAIL_TRANSPORT" not in options.env_for("auth")


def test_without_the_sandbox_no_sandbox_setting_reaches_a_service(clean_env):
    options = Options(data_dir=Path("/nonexistent"), sandbox=False)
    for service in SERVICES:
        env = options.env_for(service)
        assert not {"ADLY_SANDBOX", "ADLY_ALLOW_PRIVATE_STORE_URLS", "ADLY_PHOTO_ALLOW_LOOPBACK"} & set(env)
        assert not any(name.startswith(("ADLY_SHOPIFY", "ADLY_SALLA", "ADLY_ZID", "ADLY_META", "ADLY_TIKTOK",
                                        "ADLY_SNAPCHAT", "ADLY_GOOGLE", "ADLY_PERFORMANCE")) for name in env)
    assert set(options.ports()) == set(SERVICES)


def test_the_sandbox_points_the_catalog_at_its_stores_on_loopback(clean_env):
    options = Options(data_dir=Path("/nonexistent"), gateway_port=9350, base_port=9300, sandbox=True)
    plan = options.sandbox_plan
    assert plan is not None and plan.home_port == 9310
    assert [c.port for c in plan.components] == [9311, 9312, 9313, 9314, 9315, 9316, 9317, 9318]
    assert [c.kind for c in plan.ad_accounts] == ["meta", "tiktok", "snapchat", "google_ads"]
    catalog = settings_from(clean_env, CatalogSettings, {**PRODUCTION, "ADLY_ENVIRONMENT": "development",
                                                         **options.env_for("catalog")})
    assert catalog.sandbox and catalog.allow_private_store_urls
    assert catalog.shopify_base_url == "http://127.0.0.1:9311"
    assert (catalog.salla_api_url, catalog.salla_accounts_url) == ("http://127.0.0.1:9313/admin/v2", "http://127.0.0.1:9313")
    assert (catalog.zid_api_url, catalog.zid_oauth_url) == ("http://127.0.0.1:9314/v1", "http://127.0.0.1:9314")
    assert catalog.shopify_client_id and catalog.salla_client_id and catalog.zid_client_id
    creative = settings_from(clean_env, CreativeSettings, options.env_for("creative"))
    assert creative.photo_allow_loopback
    assert all(options.env_for(s)["ADLY_SANDBOX"] == "true" for s in SERVICES)
    ports = list(options.ports().values())
    assert len(ports) == len(set(ports)) == len(SERVICES) + 9


def test_the_sandbox_points_campaigns_at_its_meta_on_loopback(clean_env):
    options = Options(data_dir=Path("/nonexistent"), gateway_port=9350, base_port=9300, sandbox=True)
    campaigns = settings_from(clean_env, CampaignsSettings, {**PRODUCTION, "ADLY_ENVIRONMENT": "development",
                                                             **options.env_for("campaigns")})
    assert (campaigns.meta_graph_url, campaigns.meta_dialog_url) == ("http://127.0.0.1:9315", "http://127.0.0.1:9315")
    assert campaigns.meta_app_id == "adly-sandbox-meta-app" and campaigns.meta_app_secret is not None
    assert campaigns.creative_url == "http://127.0.0.1:9304"  # the ads' media, from creative on this run's port
    assert not any(name.startswith("ADLY_META") for name in options.env_for("catalog"))


def test_the_sandbox_points_campaigns_at_its_tiktok_snapchat_and_google_ads_and_pulls_figures_often(clean_env):
    options = Options(data_dir=Path("/nonexistent"), gateway_port=9350, base_port=9300, sandbox=True)
    campaigns = settings_from(clean_env, CampaignsSettings, {**PRODUCTION, "ADLY_ENVIRONMENT": "development",
                                                             **options.env_for("campaigns")})
    assert (campaigns.tiktok_api_url, campaigns.tiktok_auth_url) == ("http://127.0.0.1:9316/open_api/v1.3",
                                                                     "http://127.0.0.1:9316/portal/auth")
    assert (campaigns.snapchat_api_url, campaigns.snapchat_accounts_url) == ("http://127.0.0.1:9317/v1",
                                                                             "http://127.0.0.1:9317")
    assert (campaigns.google_ads_api_url, campaigns.google_oauth_url, campaigns.google_token_url) == (
        "http://127.0.0.1:9318", "http://127.0.0.1:9318", "http://127.0.0.1:9318/token")
    assert campaigns.tiktok_app_id and campaigns.snapchat_client_id and campaigns.google_ads_client_id
    assert campaigns.google_ads_developer_token is not None
    # Every platform is configured, so campaigns builds its clients for each.
    from adly_campaigns.adapters.platforms import BUILDERS

    assert all(build(campaigns) is not None for build in BUILDERS.values())
    # A newcomer sees figures within a minute, not the hour of production.
    assert campaigns.performance_poll_seconds == 60


# ------------------------------------------------------------------------ never in production


def test_production_refuses_the_sandbox_settings_of_every_service(clean_env):
    plan = SandboxPlan.for_port(9310)
    with pytest.raises(ValidationError, match="refused in production"):
        settings_from(clean_env, CatalogSettings, {**PRODUCTION, **plan.env_for("catalog")})
    with pytest.raises(ValidationError, match="refused in production"):
        settings_from(clean_env, CreativeSettings, {**PRODUCTION, **plan.env_for("creative")})
    with pytest.raises(ValidationError, match="refused in production"):
        settings_from(clean_env, CampaignsSettings, {**PRODUCTION, **plan.env_for("campaigns")})
    # Without ADLY_SANDBOX too: the fake Meta's loopback URLs alone are refused.
    meta_only = {k: v for k, v in plan.env_for("campaigns").items() if k != "ADLY_SANDBOX"}
    assert meta_only.keys() >= {"ADLY_META_GRAPH_URL", "ADLY_META_DIALOG_URL"}
    clean_env.delenv("ADLY_SANDBOX")
    with pytest.raises(ValidationError, match="never reach a local fake"):
        settings_from(clean_env, CampaignsSettings, {**PRODUCTION, **meta_only})


@pytest.mark.parametrize("prefix", ["ADLY_TIKTOK_", "ADLY_SNAPCHAT_", "ADLY_GOOGLE_"])
def test_production_refuses_each_sandbox_ad_platform_on_loopback(clean_env, prefix):
    plan = SandboxPlan.for_port(9310)
    alone = {k: v for k, v in plan.env_for("campaigns").items() if k.startswith(prefix)}
    assert any(v.startswith("http://127.0.0.1:") for v in alone.values()), alone
    with pytest.raises(ValidationError, match="never reach a local fake"):
        settings_from(clean_env, CampaignsSettings, {**PRODUCTION, **alone})


@pytest.mark.parametrize("setting", [
    {"ADLY_SANDBOX": "true"},
    {"ADLY_ALLOW_PRIVATE_STORE_URLS": "true"},
])
def test_production_refuses_each_sandbox_switch_of_the_catalog(clean_env, setting):
    with pytest.raises(ValidationError, match="refused in production"):
        settings_from(clean_env, CatalogSettings, PRODUCTION | setting)


NOT_PUBLIC = [
    "http://127.0.0.1:9311", "https://127.0.0.1:9311", "https://localhost:8443", "https://LOCALHOST.", "https://shop.localhost",
    "https://[::1]:9311", "https://[::ffff:127.0.0.1]", "https://127.1", "https://2130706433", "https://0x7f.0.0.1",
    "https://0.0.0.0", "https://10.1.2.3", "https://192.168.1.20", "https://169.254.169.254", "https://[fd00::1]",
    "http://api.salla.dev/admin/v2", "ftp://api.zid.sa",
]


@pytest.mark.parametrize("setting", PLATFORM_URLS)
@pytest.mark.parametrize("url", NOT_PUBLIC)
def test_production_refuses_platform_urls_that_are_not_https_on_a_public_host(clean_env, setting, url):
    with pytest.raises(ValidationError, match=f"ADLY_{setting.upper()} is refused in production"):
        settings_from(clean_env, CatalogSettings, PRODUCTION | {f"ADLY_{setting.upper()}": url})


def test_production_keeps_the_real_platforms(clean_env):
    catalog = settings_from(clean_env, CatalogSettings, PRODUCTION | {"ADLY_SHOPIFY_BASE_URL": "https://{shop}"})
    assert not catalog.sandbox and not catalog.allow_private_store_urls
    assert catalog.zid_api_url == "https://api.zid.sa/v1"


def test_adly_dev_refuses_the_sandbox_in_production_before_starting_anything(clean_env, tmp_path, capsys):
    clean_env.setenv("ADLY_ENVIRONMENT", "production")
    code = DevStack(Options(data_dir=tmp_path, base_port=9300, gateway_port=9350, sandbox=True)).run()
    assert code == 1
    assert "--sandbox is refused with ADLY_ENVIRONMENT=production" in capsys.readouterr().out
    assert not (tmp_path / "postgres").exists()


def test_check_implies_the_sandbox_and_it_can_be_turned_off():
    parse = cli.parser().parse_args
    assert cli.options_of(parse(["run", "--check"])).sandbox
    assert not cli.options_of(parse(["run", "--check", "--no-sandbox"])).sandbox
    assert not cli.options_of(parse(["run"])).sandbox
    assert cli.options_of(parse(["run", "--sandbox"])).sandbox


def test_make_run_says_how_to_get_the_sandbox(tmp_path, capsys):
    DevStack(Options(data_dir=tmp_path))._print_next_steps()
    assert "make sandbox" in capsys.readouterr().out
    DevStack(Options(data_dir=tmp_path, sandbox=True))._print_next_steps()
    out = capsys.readouterr().out
    assert "SANDBOX" in out and SHOPIFY_SHOP in out and WOOCOMMERCE_KEY in out and "README.md" in out
    assert META_ACCOUNT_ID in out and META_TOKEN in out
    assert TIKTOK_ACCOUNT_ID in out and SNAPCHAT_TOKEN in out and GOOGLE_ADS_CUSTOMER_ID in out


# ---------------------------------------------------------------------- the fakes, as a process


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> dict:
    """`python -m tests.fakes.sandbox` as the devstack runs it, on free ports."""
    plan = next(p for p in (SandboxPlan.for_port(random.randrange(10_000, 32_000, 20)) for _ in range(200))
                if all(_free(port) for port in p.ports))  # below the ephemeral range: no client takes them meanwhile
    plan_file = tmp_path_factory.mktemp("sandbox") / "plan.json"
    plan_file.write_text(plan.config())
    process = subprocess.Popen([sys.executable, "-m", "tests.fakes.sandbox", "--plan", str(plan_file)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in process.stdout:  # the process says `ready <url>` once every server listens
            lines.append(line)
            if line.startswith("ready "):
                break
        assert lines and lines[-1].startswith("ready "), "".join(lines)
        yield {"plan": plan, "home": lines[-1].split()[1], "banner": "".join(lines)}
    finally:
        process.terminate()
        process.wait(timeout=30)


def _free(port: int) -> bool:
    from adly_kit.devstack._process import port_is_free

    return port_is_free("127.0.0.1", port)


def test_the_sandbox_home_says_what_it_holds_and_that_it_is_a_sandbox(sandbox):
    assert "ADLY SANDBOX" in sandbox["banner"]
    ready = httpx.get(f"{sandbox['home']}/ready")
    assert ready.status_code == 200 and ready.json()["sandbox"] is True
    assert ready.headers["x-adly-sandbox"] == "true"
    home = httpx.get(f"{sandbox['home']}/").json()
    assert [s["platform"] for s in home["stores"]] == ["shopify", "woocommerce", "salla", "zid"]
    assert all("sandbox" in s["name"].lower() and s["url"].startswith("http://127.0.0.1:") for s in home["stores"])
    woo = next(s for s in home["stores"] if s["platform"] == "woocommerce")
    assert woo["connect"] | {"site_url": None} == {"platform": "woocommerce", "site_url": None,
                                                   "consumer_key": WOOCOMMERCE_KEY, "consumer_secret": WOOCOMMERCE_SECRET}
    meta, tiktok, snapchat, google = home["ad_accounts"]
    assert [a["platform"] for a in home["ad_accounts"]] == ["meta", "tiktok", "snapchat", "google_ads"]
    assert all("sandbox" in a["name"].lower() and a["url"].startswith("http://127.0.0.1:") for a in home["ad_accounts"])
    assert all(a["connect"]["currency"] == "SAR" and a["connect"]["time_zone"] == "Asia/Riyadh"
               for a in home["ad_accounts"])
    assert tiktok["connect"]["account_id"] == TIKTOK_ACCOUNT_ID and tiktok["connect"]["access_token"] == TIKTOK_TOKEN
    assert snapchat["connect"]["account_id"] == SNAPCHAT_ACCOUNT_ID and snapchat["connect"]["access_token"] == SNAPCHAT_TOKEN
    assert google["connect"]["account_id"] == GOOGLE_ADS_CUSTOMER_ID and "access_token" not in google["connect"]
    assert all(a["connect"]["pixel_id"] for a in home["ad_accounts"])
    assert tiktok["connect"]["page_id"] and snapchat["connect"]["page_id"]
    assert meta["connect"]["account_id"] == META_ACCOUNT_ID and meta["connect"]["access_token"] == META_TOKEN
    assert meta["connect"]["currency"] == "SAR" and meta["connect"]["page_id"] and meta["connect"]["pixel_id"]


def test_the_sandbox_ad_account_answers_its_token_with_its_page_and_pixel(sandbox):
    """What campaigns reads when a merchant pastes the sandbox token: the account (SAR, Riyadh),
    the page it may promote and its pixel, from the fake Meta's Graph API."""
    meta = sandbox["plan"].component("meta")
    about = httpx.get(f"{sandbox['home']}/").json()["ad_accounts"][0]["connect"]
    bearer = {"Authorization": f"Bearer {META_TOKEN}"}
    accounts = httpx.get(f"{meta.url}/v26.0/me/adaccounts", headers=bearer,
                         params={"fields": "account_id,name,currency,timezone_name"}).json()["data"]
    assert [(a["account_id"], a["currency"], a["timezone_name"]) for a in accounts] == [
        (META_ACCOUNT_ID, "SAR", "Asia/Riyadh")]
    pages = httpx.get(f"{meta.url}/v26.0/act_{META_ACCOUNT_ID}/promote_pages", headers=bearer).json()["data"]
    pixels = httpx.get(f"{meta.url}/v26.0/act_{META_ACCOUNT_ID}/adspixels", headers=bearer).json()["data"]
    assert [p["id"] for p in pages] == [about["page_id"]] and [p["id"] for p in pixels] == [about["pixel_id"]]
    refused = httpx.get(f"{meta.url}/v26.0/me/adaccounts", headers={"Authorization": "Bearer EAAnotthesandboxtoken"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == 190


def test_the_sandbox_tiktok_and_snapchat_accounts_answer_their_known_tokens(sandbox):
    """What campaigns reads when a merchant pastes the sandbox tokens: the account in SAR on
    Riyadh time, its identity (TikTok) or public profile (Snapchat) and its pixel."""
    plan: SandboxPlan = sandbox["plan"]
    home = {a["platform"]: a["connect"] for a in httpx.get(f"{sandbox['home']}/").json()["ad_accounts"]}
    tiktok = f"{plan.component('tiktok').url}/open_api/v1.3"
    info = httpx.get(f"{tiktok}/advertiser/info/", headers={"Access-Token": TIKTOK_TOKEN},
                     params={"advertiser_ids": json.dumps([TIKTOK_ACCOUNT_ID])}).json()
    assert info["code"] == 0 and [(a["currency"], a["display_timezone"]) for a in info["data"]["list"]] == [
        ("SAR", "Asia/Riyadh")]
    identities = httpx.get(f"{tiktok}/identity/get/", headers={"Access-Token": TIKTOK_TOKEN},
                           params={"advertiser_id": TIKTOK_ACCOUNT_ID}).json()
    assert [i["identity_id"] for i in identities["data"]["identity_list"]] == [home["tiktok"]["page_id"]]
    refused = httpx.get(f"{tiktok}/advertiser/info/", headers={"Access-Token": "not-the-sandbox-token"},
                        params={"advertiser_ids": json.dumps([TIKTOK_ACCOUNT_ID])}).json()
    assert refused["code"] == 40105

    snapchat = plan.component("snapchat").url
    bearer = {"Authorization": f"Bearer {SNAPCHAT_TOKEN}"}
    account = httpx.get(f"{snapchat}/v1/adaccounts/{SNAPCHAT_ACCOUNT_ID}", headers=bearer).json()
    [row] = [a["adaccount"] for a in account["adaccounts"]]
    assert (row["currency"], row["timezone"]) == ("SAR", "Asia/Riyadh")
    pixels = httpx.get(f"{snapchat}/v1/adaccounts/{SNAPCHAT_ACCOUNT_ID}/pixels", headers=bearer).json()
    assert [p["pixel"]["id"] for p in pixels["pixels"]] == [home["snapchat"]["pixel_id"]]


def test_the_sandbox_google_ads_account_is_reached_through_its_consent(sandbox):
    google = sandbox["plan"].component("google_ads")
    consent = httpx.get(f"{google.url}/o/oauth2/v2/auth", params={
        "client_id": google.settings["client_id"], "redirect_uri": "http://127.0.0.1:1/back", "response_type": "code",
        "scope": "https://www.googleapis.com/auth/adwords", "access_type": "offline", "state": "s"})
    assert consent.status_code == 302
    code = httpx.URL(consent.headers["location"]).params["code"]
    token = httpx.post(f"{google.url}/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": "http://127.0.0.1:1/back",
        "client_id": google.settings["client_id"], "client_secret": google.settings["client_secret"]}).json()
    assert token["refresh_token"]
    reached = httpx.get(f"{google.url}/v26/customers:listAccessibleCustomers",
                        headers={"Authorization": f"Bearer {token['access_token']}",
                                 "developer-token": google.settings["developer_token"]}).json()
    assert reached["resourceNames"] == [f"customers/{GOOGLE_ADS_CUSTOMER_ID}"]


def test_each_sandbox_ad_account_has_past_days_and_the_same_ids_after_a_restart():
    """A new sandbox ad shows figures at once (its first `HISTORY_DAYS` are behind it), and an
    account connected before `adly-dev` restarted still finds its page and pixel."""
    from tests.fakes.sandbox import BUILDERS, SandboxHome

    plan = SandboxPlan.for_port(9310)
    home = SandboxHome(9310)
    for component in plan.ad_accounts:
        config = component.plan() | {"port": None}
        (fake, first), (_, again) = BUILDERS[component.kind](config, home), BUILDERS[component.kind](config, home)
        history = fake.insights.history_days if component.kind == "meta" else fake.history_days
        assert history == HISTORY_DAYS == component.settings["history_days"], component.kind
        ids = [{k: v for k, v in about["connect"].items() if not k.endswith("_url")} for about in (first, again)]
        assert ids[0] == ids[1] and ids[0]["pixel_id"], component.kind


def test_every_sandbox_product_photo_is_served_by_the_sandbox(sandbox):
    plan: SandboxPlan = sandbox["plan"]
    shopify = plan.component("shopify")
    token = _shopify_token(shopify)
    query = "{ products(first: 50) { nodes { title media(first: 5) { nodes { ... on MediaImage { image { url } } } } } } }"
    answer = httpx.post(f"{shopify.url}/admin/api/2026-10/graphql.json", json={"query": query},
                        headers={"X-Shopify-Access-Token": token}).json()
    products = answer["data"]["products"]["nodes"]
    assert len(products) == shopify.settings["products"]
    urls = [m["image"]["url"] for p in products for m in p["media"]["nodes"]]
    assert urls and all(u.startswith(f"{sandbox['home']}/photos/shopify/") for u in urls)
    photo = httpx.get(urls[0])
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert photo.content[:3] == b"\xff\xd8\xff"

    woo = plan.component("woocommerce")
    items = httpx.get(f"{woo.url}/sandbox/wp-json/wc/v3/products", params={"per_page": 100},
                      auth=(WOOCOMMERCE_KEY, WOOCOMMERCE_SECRET)).json()
    assert len(items) == woo.settings["products"]
    assert all(i["src"].startswith(f"{sandbox['home']}/photos/") for p in items for i in p["images"])
    index = httpx.get(f"{woo.url}/sandbox/wp-json/").json()
    assert "Sandbox" in index["name"]


def test_the_shopify_consent_approves_at_once_for_the_sandbox_shop(sandbox):
    shopify = sandbox["plan"].component("shopify")
    consent = httpx.get(f"{shopify.url}/admin/oauth/authorize", params={
        "client_id": shopify.settings["client_id"], "redirect_uri": "http://127.0.0.1:1/back", "state": "s"})
    assert consent.status_code == 302
    assert f"shop={SHOPIFY_SHOP}" in consent.headers["location"]


def _shopify_token(shopify) -> str:
    consent = httpx.get(f"{shopify.url}/admin/oauth/authorize", params={
        "client_id": shopify.settings["client_id"], "redirect_uri": "http://127.0.0.1:1/back", "state": "s",
        "scope": "read_products"})
    code = httpx.URL(consent.headers["location"]).params["code"]
    token = httpx.post(f"{shopify.url}/admin/oauth/access_token", data={
        "client_id": shopify.settings["client_id"], "client_secret": shopify.settings["client_secret"], "code": code})
    return token.json()["access_token"]


# -------------------------------------------------------------------------- the curl helpers


def test_totp_is_rfc_6238():
    secret = base64.b32encode(b"12345678901234567890").decode()  # RFC 6238 appendix B, SHA-1
    assert totp(secret, 59 // 30, digits=8) == "94287082"
    assert totp(secret, 1111111109 // 30, digits=8) == "07081804"
    assert totp(secret.rstrip("=").lower(), 1234567890 // 30) == "005924"


def test_the_mail_auth_wrote_to_its_log_is_read_back(tmp_path, capsys):
    log = tmp_path / "logs" / "auth.log"
    log.parent.mkdir()
    lines = [
        "[devstack] 2026-12-06 starting adly-auth",
        json.dumps({"level": "INFO", "message": "listening"}),
        json.dumps({"message": "mail written to the log", "mail_to": "ada@example.com", "mail_subject": "Finish",
                    "mail_body": "Follow:\n\nhttp://127.0.0.1:3000/confirm-signup?token=first.tok%2Ben\n", "time": "t1"}),
        json.dumps({"message": "mail written to the log", "mail_to": "ada@example.com", "mail_subject": "Finish",
                    "mail_body": "http://127.0.0.1:3000/confirm-signup?token=second-token_9\n", "time": "t2"}),
        json.dumps({"message": "mail written to the log", "mail_to": "bob@example.com", "mail_subject": "Reset",
                    "mail_body": "http://127.0.0.1:3000/reset-password?token=bob", "time": "t3"}),
        '{"not": "json"',
    ]
    log.write_text("\n".join(lines) + "\n")
    mails = mails_in_log(log)
    assert [m["to"] for m in mails] == ["ada@example.com", "ada@example.com", "bob@example.com"]
    assert link_token(mails, "ADA@example.com", "confirm-signup") == "second-token_9"
    assert link_token(mails[:1], "ada@example.com", "confirm-signup") == "first.tok+en"
    assert link_token(mails, "bob@example.com", "confirm-signup") is None

    with pytest.raises(SystemExit) as done:
        cli.main(["mail", "ada@example.com", "--token", "confirm-signup", "--data-dir", str(tmp_path)])
    assert done.value.code == 0 and capsys.readouterr().out.strip() == "second-token_9"
    with pytest.raises(SystemExit) as done:
        cli.main(["mail", "bob@example.com", "--data-dir", str(tmp_path)])
    assert done.value.code == 0 and "Subject: Reset" in capsys.readouterr().out
