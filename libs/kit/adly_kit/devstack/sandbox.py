"""The sandbox of `adly-dev run --sandbox` (docs/sandbox.md): local fake stores and fake
Meta, TikTok, Snapchat and Google Ads ad accounts to connect.

Stripe has test mode; ADLY has this. The platform fakes of `tests/fakes/` run as one
process (`python -m tests.fakes.sandbox`) on loopback, each store with a small seeded
catalogue whose photos that process serves, and the services are configured to reach
them: the catalog's platform URLs and app credentials, private store URLs allowed (the
WooCommerce store is on 127.0.0.1), the creative service allowed to fetch photos from
loopback, the campaigns service's ad platform apps and URLs on the fake Meta, TikTok,
Snapchat and Google Ads (and a performance pull every minute, so a newcomer sees figures),
and `ADLY_SANDBOX=true` everywhere. Production refuses every one of those (`CatalogSettings`,
`CreativeSettings`, `CampaignsSettings`), and `adly-dev` refuses `--sandbox` when
`ADLY_ENVIRONMENT=production`.

This module owns the plan (ports, names, credentials, the services' settings) so the
devstack and the fakes agree without the devstack importing test code; `Journey` walks
a newcomer's path through the gateway (`adly-dev run --check` runs it).

Extension point: a `Component` is one sandbox thing (a store, or an ad account). A new kind
needs an entry in `COMPONENT_ENV` (which services' settings point at it) and a builder of
the same name in `tests/fakes/sandbox.py` (`BUILDERS`), then a `Component` in
`SandboxPlan.for_port`; an ad platform's kind also goes in `AD_PLATFORMS`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import struct
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx

LOOPBACK = "127.0.0.1"
SANDBOX_MODULE = "tests.fakes.sandbox"
TOTP_STEP = 30

# The sandbox's ADLY app credentials on each fake platform: public on purpose, like the
# keys of a payment provider's test mode, and worthless outside this machine.
SHOPIFY_SHOP = "adly-sandbox.myshopify.com"
WOOCOMMERCE_KEY = "ck_adlysandboxwoocommercekey"
WOOCOMMERCE_SECRET = "cs_adlysandboxwoocommercesecret"
# The sandbox Meta ad account, and a token that never expires, as a system user's would not.
META_ACCOUNT_ID = "990000000000001"
META_TOKEN = "EAAadlysandboxsystemusertoken"
# The other sandbox ad accounts: TikTok's advertiser tokens are long-term anyway, Snapchat's
# known token never expires (its OAuth tokens last an hour); Google is connected through its
# OAuth consent, which approves at once (its access tokens last an hour, refreshed).
TIKTOK_ACCOUNT_ID = "7300000000000000001"
TIKTOK_TOKEN = "adlysandboxtiktokadvertisertoken"
SNAPCHAT_ACCOUNT_ID = "0a5d1e00-5a4d-4b0c-8000-000000000001"
SNAPCHAT_TOKEN = "adlysandboxsnapchataccesstoken"
GOOGLE_ADS_CUSTOMER_ID = "9900000001"
HISTORY_DAYS = 14  # past days of figures a new sandbox ad has, so analytics is not empty at once
PERFORMANCE_POLL_SECONDS = 60  # campaigns pulls the sandbox's figures every minute (hourly in production)
AD_PLATFORMS = frozenset({"meta", "tiktok", "snapchat", "google_ads"})  # kinds that are ad accounts, not stores


@dataclass(frozen=True)
class Component:
    """One sandbox thing the fakes process serves: `kind` names its builder there."""

    kind: str
    name: str
    port: int
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def plan(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "port": self.port, **self.settings}


def _shopify_env(c: Component) -> dict[str, dict[str, str]]:
    return {"catalog": {"ADLY_SHOPIFY_BASE_URL": c.url, "ADLY_SHOPIFY_CLIENT_ID": c.settings["client_id"],
                        "ADLY_SHOPIFY_CLIENT_SECRET": c.settings["client_secret"]}}


def _salla_env(c: Component) -> dict[str, dict[str, str]]:
    return {"catalog": {"ADLY_SALLA_API_URL": f"{c.url}/admin/v2", "ADLY_SALLA_ACCOUNTS_URL": c.url,
                        "ADLY_SALLA_CLIENT_ID": c.settings["client_id"],
                        "ADLY_SALLA_CLIENT_SECRET": c.settings["client_secret"],
                        "ADLY_SALLA_WEBHOOK_SECRET": c.settings["webhook_secret"]}}


def _zid_env(c: Component) -> dict[str, dict[str, str]]:
    return {"catalog": {"ADLY_ZID_API_URL": f"{c.url}/v1", "ADLY_ZID_OAUTH_URL": c.url,
                        "ADLY_ZID_CLIENT_ID": c.settings["client_id"], "ADLY_ZID_CLIENT_SECRET": c.settings["client_secret"]}}


def _meta_env(c: Component) -> dict[str, dict[str, str]]:
    # Facebook Login's dialog and the Graph API are one server in the fake.
    return {"campaigns": {"ADLY_META_APP_ID": c.settings["app_id"], "ADLY_META_APP_SECRET": c.settings["app_secret"],
                          "ADLY_META_GRAPH_URL": c.url, "ADLY_META_DIALOG_URL": c.url}}


def _tiktok_env(c: Component) -> dict[str, dict[str, str]]:
    # The authorization page and the Marketing API are one server in the fake.
    return {"campaigns": {"ADLY_TIKTOK_APP_ID": c.settings["app_id"], "ADLY_TIKTOK_APP_SECRET": c.settings["app_secret"],
                          "ADLY_TIKTOK_API_URL": f"{c.url}/open_api/v1.3", "ADLY_TIKTOK_AUTH_URL": f"{c.url}/portal/auth"}}


def _snapchat_env(c: Component) -> dict[str, dict[str, str]]:
    return {"campaigns": {"ADLY_SNAPCHAT_CLIENT_ID": c.settings["client_id"],
                          "ADLY_SNAPCHAT_CLIENT_SECRET": c.settings["client_secret"],
                          "ADLY_SNAPCHAT_API_URL": f"{c.url}/v1", "ADLY_SNAPCHAT_ACCOUNTS_URL": c.url}}


def _google_ads_env(c: Component) -> dict[str, dict[str, str]]:
    # Google's consent page, token endpoint and the Ads API are one server in the fake.
    return {"campaigns": {"ADLY_GOOGLE_ADS_CLIENT_ID": c.settings["client_id"],
                          "ADLY_GOOGLE_ADS_CLIENT_SECRET": c.settings["client_secret"],
                          "ADLY_GOOGLE_ADS_DEVELOPER_TOKEN": c.settings["developer_token"],
                          "ADLY_GOOGLE_ADS_API_URL": c.url, "ADLY_GOOGLE_OAUTH_URL": c.url,
                          "ADLY_GOOGLE_TOKEN_URL": f"{c.url}/token"}}


# Which services' settings point at each kind of component (the merchant gives the
# WooCommerce store's URL, so the catalog needs nothing for it beyond private URLs).
COMPONENT_ENV: dict[str, Callable[[Component], dict[str, dict[str, str]]]] = {
    "shopify": _shopify_env,
    "woocommerce": lambda c: {},
    "salla": _salla_env,
    "zid": _zid_env,
    "meta": _meta_env,
    "tiktok": _tiktok_env,
    "snapchat": _snapchat_env,
    "google_ads": _google_ads_env,
}

# What the sandbox changes in every service, and in some: each refused in production.
SANDBOX_ENV: dict[str, dict[str, str]] = {
    "*": {"ADLY_SANDBOX": "true"},
    "catalog": {"ADLY_ALLOW_PRIVATE_STORE_URLS": "true"},  # the WooCommerce store is on 127.0.0.1
    "creative": {"ADLY_PHOTO_ALLOW_LOOPBACK": "true"},     # the photos are served from 127.0.0.1
    "campaigns": {"ADLY_PERFORMANCE_POLL_SECONDS": str(PERFORMANCE_POLL_SECONDS)},  # figures within a minute
}


@dataclass(frozen=True)
class SandboxPlan:
    home_port: int
    components: tuple[Component, ...]

    @classmethod
    def for_port(cls, home_port: int) -> SandboxPlan:
        """The home server on `home_port`, the stores on the ports after it, then the ad accounts."""
        stores = (
            Component("shopify", "ADLY Sandbox (Shopify)", home_port + 1, {
                "shop": SHOPIFY_SHOP, "client_id": "adly-sandbox-shopify-app",
                "client_secret": "adly-sandbox-shopify-app-secret", "products": 12, "orders": 5}),
            Component("woocommerce", "ADLY Sandbox (WooCommerce)", home_port + 2, {
                "base_path": "/sandbox", "consumer_key": WOOCOMMERCE_KEY, "consumer_secret": WOOCOMMERCE_SECRET,
                "products": 8, "orders": 5}),
            Component("salla", "ADLY Sandbox (Salla) متجر تجريبي", home_port + 3, {
                "client_id": "adly-sandbox-salla-app", "client_secret": "adly-sandbox-salla-app-secret",
                "webhook_secret": "adly-sandbox-salla-webhook-secret", "products": 6, "orders": 4}),
            Component("zid", "ADLY Sandbox (Zid) متجر تجريبي", home_port + 4, {
                "client_id": "adly-sandbox-zid-app", "client_secret": "adly-sandbox-zid-app-secret",
                "store_id": 990001, "store_url": "https://adly-sandbox.zid.store", "products": 6, "orders": 4}),
            Component("meta", "ADLY Sandbox ad account (Meta)", home_port + 5, {
                "app_id": "adly-sandbox-meta-app", "app_secret": "adly-sandbox-meta-app-secret",
                "account_id": META_ACCOUNT_ID, "token": META_TOKEN, "currency": "SAR", "time_zone": "Asia/Riyadh",
                "history_days": HISTORY_DAYS}),
            Component("tiktok", "ADLY Sandbox ad account (TikTok)", home_port + 6, {
                "app_id": "adly-sandbox-tiktok-app", "app_secret": "adly-sandbox-tiktok-app-secret",
                "account_id": TIKTOK_ACCOUNT_ID, "token": TIKTOK_TOKEN, "currency": "SAR", "time_zone": "Asia/Riyadh",
                "history_days": HISTORY_DAYS}),
            Component("snapchat", "ADLY Sandbox ad account (Snapchat)", home_port + 7, {
                "client_id": "adly-sandbox-snapchat-app", "client_secret": "adly-sandbox-snapchat-app-secret",
                "account_id": SNAPCHAT_ACCOUNT_ID, "token": SNAPCHAT_TOKEN, "currency": "SAR",
                "time_zone": "Asia/Riyadh", "history_days": HISTORY_DAYS}),
            Component("google_ads", "ADLY Sandbox ad account (Google Ads)", home_port + 8, {
                "client_id": "adly-sandbox-google-app.apps.googleusercontent.com",
                "client_secret": "adly-sandbox-google-app-secret", "developer_token": "adly-sandbox-developer-token",
                "customer_id": GOOGLE_ADS_CUSTOMER_ID, "currency": "SAR", "time_zone": "Asia/Riyadh",
                "history_days": HISTORY_DAYS}),
        )
        return cls(home_port, stores)

    @property
    def home_url(self) -> str:
        return f"http://{LOOPBACK}:{self.home_port}"

    @property
    def ports(self) -> list[int]:
        return [self.home_port, *(c.port for c in self.components)]

    def config(self) -> str:
        """What `python -m tests.fakes.sandbox --plan FILE` reads."""
        return json.dumps({"home_port": self.home_port, "components": [c.plan() for c in self.components]})

    def env_for(self, service: str) -> dict[str, str]:
        """The settings `service` gets in the sandbox on top of its usual ones."""
        env = SANDBOX_ENV["*"] | SANDBOX_ENV.get(service, {})
        for component in self.components:
            env |= COMPONENT_ENV[component.kind](component).get(service, {})
        return env

    def component(self, kind: str) -> Component:
        return next(c for c in self.components if c.kind == kind)

    @property
    def stores(self) -> tuple[Component, ...]:
        return tuple(c for c in self.components if c.kind not in AD_PLATFORMS)

    @property
    def ad_accounts(self) -> tuple[Component, ...]:
        return tuple(c for c in self.components if c.kind in AD_PLATFORMS)


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run here (no checkout with tests/fakes, or production settings)."""


def refuse_in_production(environ: Mapping[str, str]) -> None:
    if (environ.get("ADLY_ENVIRONMENT") or "").strip().lower() == "production":
        raise SandboxUnavailable("--sandbox is refused with ADLY_ENVIRONMENT=production: the sandbox's fake stores "
                                 "and loopback URLs never reach production settings")


def checkout_root(start: Path | None = None) -> Path:
    """The repository checkout that holds the fakes: next to this package (an editable
    install, as `make install` makes) or above the working directory."""
    cwd = (start or Path.cwd()).resolve()
    for root in (Path(__file__).resolve().parents[4], cwd, *cwd.parents):
        if (root / "tests" / "fakes" / "sandbox.py").is_file():
            return root
    raise SandboxUnavailable("--sandbox runs the platform fakes of tests/fakes/, which only a checkout of the "
                             "repository has: run it from the checkout (make sandbox)")


def sandbox_command(plan: SandboxPlan, plan_file: Path) -> list[str]:
    """The fakes process, reading the plan from `plan_file` (written here)."""
    plan_file.parent.mkdir(parents=True, exist_ok=True)
    plan_file.write_text(plan.config(), encoding="utf-8")
    return [sys.executable, "-m", SANDBOX_MODULE, "--plan", str(plan_file)]


def sandbox_process_env(base: Mapping[str, str], root: Path) -> dict[str, str]:
    """The fakes process imports `tests.fakes` from the checkout."""
    path = os.pathsep.join(p for p in (str(root), base.get("PYTHONPATH", "")) if p)
    return dict(base) | {"PYTHONPATH": path, "PYTHONUNBUFFERED": "1"}


# ------------------------------------------------------------------------------ TOTP


def totp(secret: str, step: int | None = None, *, digits: int = 6) -> str:
    """RFC 6238 (SHA-1, 30 s), as authenticator apps compute it: for the README's curl steps
    (`adly-dev totp SECRET`) and the journey's 2FA."""
    counter = int(time.time()) // TOTP_STEP if step is None else step
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return f"{code:0{digits}d}"


def current_step() -> int:
    return int(time.time()) // TOTP_STEP


# ----------------------------------------------------------------------------- mail
# `adly-dev run` has no mail server: auth writes each mail to its log (ADLY_MAIL_TRANSPORT=log,
# one JSON line with mail_to, mail_subject, mail_body), and these read them back for the
# check and for `adly-dev mail`.

Mailbox = Callable[[str, str], str | None]  # (address, link path) -> the newest link's token


def mails_in_log(log_path: Path) -> list[dict[str, str]]:
    """Every mail auth wrote to `log_path`, oldest first."""
    try:
        lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []
    mails = []
    for line in lines:
        if '"mail_to"' not in line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "mail_to" in record:
            mails.append({"to": str(record["mail_to"]), "subject": str(record.get("mail_subject", "")),
                          "body": str(record.get("mail_body", "")), "time": str(record.get("time", ""))})
    return mails


def link_token(mails: list[dict[str, str]], address: str, path: str) -> str | None:
    """The token of the newest link `/<path>?token=…` mailed to `address`."""
    for mail in reversed(mails):
        if mail["to"].lower() == address.lower():
            found = re.search(rf"/{re.escape(path)}\?token=([A-Za-z0-9_.~%-]+)", mail["body"])
            if found:
                return unquote(found.group(1))
    return None


def log_mailbox(log_path: Path) -> Mailbox:
    return lambda address, path: link_token(mails_in_log(log_path), address, path)


def sign_up(http: httpx.Client, email: str, password: str, mailbox: Mailbox, *, timeout: float = 30.0) -> str:
    """A new account's access token: sign up, follow the mailed link (`/confirm-signup`).
    (An auth that still answers the sign-up with tokens is taken at its word.)"""
    answer = http.post("/v1/auth/signup", json={"email": email, "password": password})
    if answer.status_code == 201 and "access_token" in answer.json():
        return str(answer.json()["access_token"])
    if answer.status_code != 202:
        raise JourneyFailed(f"sign up answered {answer.status_code}: {answer.text[:300]}")
    token = wait_for(lambda: mailbox(email, "confirm-signup"), timeout, f"the sign-up mail to {email}")
    confirmed = http.post("/v1/auth/signup/confirm", json={"token": token})
    if confirmed.status_code != 201:
        raise JourneyFailed(f"confirming the sign-up answered {confirmed.status_code}: {confirmed.text[:300]}")
    return str(confirmed.json()["access_token"])


def wait_for(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.25) -> Any:
    """`check()`'s first truthy answer; JourneyFailed after `timeout` seconds (only a hang takes that long)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise JourneyFailed(f"waited {timeout:.0f}s for {what}")
        time.sleep(interval)


# --------------------------------------------------------------------------- journey


class JourneyFailed(Exception):
    pass


class Journey:
    """A newcomer's path through the gateway, as the README walks it: sign up, create a
    workspace, turn on 2FA, connect every sandbox store, wait for its first sync, read its
    products and orders, generate creatives for a product, fetch one; then (with
    `campaigns`) connect the sandbox Meta ad account with its system-user token, draft a
    campaign for that product from a brief, let creative make its ads, approve, publish and
    see it live; and disconnect the stores and the ad account again (a sandbox store
    belongs to one workspace at a time).

    Bounded: every wait has its own deadline (only a hang reaches one)."""

    def __init__(self, gateway_url: str, plan: SandboxPlan, say: Callable[[str], None], mailbox: Mailbox, *,
                 sync_timeout: float = 240.0, creative_timeout: float = 300.0, campaigns: bool = True) -> None:
        self.gateway_url, self.plan, self.say, self.mailbox = gateway_url.rstrip("/"), plan, say, mailbox
        self.sync_timeout, self.creative_timeout = sync_timeout, creative_timeout
        self.campaigns = campaigns and bool(plan.ad_accounts)
        self.http = httpx.Client(base_url=self.gateway_url, timeout=20.0, trust_env=False)
        self.bearer: dict[str, str] = {}
        self.workspace = ""
        self.secret = ""
        self.last_step = 0
        self.proof = ""
        self.stores: dict[str, str] = {}  # platform -> store id
        self.ad_account = ""

    def run(self) -> bool:
        try:
            self._account()
            for component in self.plan.stores:
                self._store(component)
            product = self._creatives(self.stores[self.plan.stores[0].kind])
            if self.campaigns:
                self._campaign(product)
            return True
        except (JourneyFailed, httpx.HTTPError, KeyError, IndexError, ValueError, StopIteration) as error:
            self.say(f"sandbox journey failed: {error!r}" if not isinstance(error, JourneyFailed)
                     else f"sandbox journey failed: {error}")
            return False
        finally:
            self._disconnect_all()
            self.http.close()

    # -- account, workspace, 2FA

    def _account(self) -> None:
        email = f"sandbox-check-{uuid.uuid4().hex[:8]}@example.com"
        self.bearer = {"Authorization": f"Bearer {sign_up(self.http, email, 'sandbox check pw 1', self.mailbox)}"}
        created = self._expect(self._call("POST", "/v1/workspaces", json={"name": "Sandbox check"}), 201, "create a workspace")
        self.workspace = created.json()["id"]
        self._until(lambda: self._call("GET", f"/v1/workspaces/{self.workspace}").status_code == 200, 30,
                    "the gateway to learn of the new workspace")
        enrolled = self._expect(self._call("POST", "/v1/auth/2fa/enroll"), 201, "enroll in 2FA")
        self.secret = enrolled.json()["secret"]
        self._settle()
        step = current_step() - 1  # auth takes T-1..T+1, each step once: confirm on T-1, prove on T
        self._expect(self._call("POST", "/v1/auth/2fa/confirm", json={"code": totp(self.secret, step)}), 204,
                     "confirm 2FA")
        self.last_step = step
        self._prove()
        self.say(f"sandbox journey: signed up, workspace {self.workspace}, 2FA on")

    def _prove(self) -> None:
        """A fresh X-2FA-Token (5 minutes) on the next unused step."""
        self._settle()
        step = max(current_step() - 1, self.last_step + 1)
        if step > current_step() + 1:
            time.sleep(TOTP_STEP - time.time() % TOTP_STEP + 0.05)
            step = current_step()
        verified = self._expect(self._call("POST", "/v1/auth/2fa/verify", json={"code": totp(self.secret, step)}), 200,
                                "prove 2FA")
        self.last_step, self.proof = step, verified.json()["two_factor_token"]

    @staticmethod
    def _settle(margin: float = 2.0) -> None:
        """Past the next step boundary if it is closer than `margin`: a code made now is
        judged in the same step."""
        left = TOTP_STEP - time.time() % TOTP_STEP
        if left < margin:
            time.sleep(left + 0.05)

    # -- stores

    def _store(self, component: Component) -> None:
        base = f"/v1/workspaces/{self.workspace}/stores"
        if component.kind == "woocommerce":
            body = {"platform": "woocommerce", "site_url": f"{component.url}{component.settings['base_path']}",
                    "consumer_key": component.settings["consumer_key"],
                    "consumer_secret": component.settings["consumer_secret"]}
            store_id = self._expect(self._call("POST", base, json=body, proof=True), 201,
                                    f"connect {component.name}").json()["id"]
        else:
            body = {"platform": component.kind} | ({"shop": component.settings["shop"]} if component.kind == "shopify" else {})
            started = self._expect(self._call("POST", f"{base}/connections", json=body, proof=True), 201,
                                   f"start connecting {component.name}")
            store_id = self._consent(started.json()["authorize_url"], component)
        self.stores[component.kind] = store_id
        store = self._expect(self._call("GET", f"{base}/{store_id}"), 200, "read the store").json()
        if "sandbox" not in (store.get("name") or "").lower():
            raise JourneyFailed(f"{component.kind} store {store_id} is not labelled sandbox: {store.get('name')!r}")
        sync = self._until(lambda: self._finished_sync(store_id), self.sync_timeout, f"the first sync of {component.name}")
        if sync["state"] != "completed":
            raise JourneyFailed(f"the first sync of {component.name} ended {sync['state']}: {sync.get('error')}")
        products = self._items(f"{base}/{store_id}/products")
        orders = self._items(f"{base}/{store_id}/orders")
        if not products:
            raise JourneyFailed(f"{component.name} synced no products")
        self.say(f"sandbox journey: {component.name} connected ({store['domain']}), synced "
                 f"{len(products)} products and {len(orders)} orders")

    def _consent(self, authorize_url: str, component: Component) -> str:
        """The browser's part, without a browser: the fake approves at once and sends us to
        ADLY's callback (on the gateway), which sends us on to the app with the store's id."""
        if not authorize_url.startswith(component.url):
            raise JourneyFailed(f"{component.kind}'s authorize URL is not the sandbox's: {authorize_url}")
        consent = httpx.get(authorize_url, follow_redirects=False, timeout=20.0, trust_env=False)
        callback = consent.headers.get("location", "")
        if consent.status_code not in (302, 303) or not callback.startswith(self.gateway_url):
            raise JourneyFailed(f"{component.kind} consent answered {consent.status_code} to {callback!r}: "
                                f"{consent.text[:200]}")
        back = self.http.get(callback.removeprefix(self.gateway_url), follow_redirects=False)
        landing = str(back.headers.get("location", ""))
        if back.status_code != 303 or "connected=" not in landing:
            raise JourneyFailed(f"the {component.kind} callback answered {back.status_code} to {landing!r} "
                                "(a sandbox store belongs to one workspace at a time: is it connected elsewhere?)")
        return landing.split("/stores/")[1].split("?")[0]

    def _finished_sync(self, store_id: str) -> dict[str, Any] | None:
        syncs = self._expect(self._call("GET", f"/v1/workspaces/{self.workspace}/stores/{store_id}/syncs"), 200,
                             "read syncs").json()
        newest = syncs[0] if syncs else None
        return newest if newest and newest["state"] not in ("queued", "running") else None

    def _items(self, path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            page = self._expect(self._call("GET", path, params={"limit": 100} | ({"after": after} if after else {})),
                                200, f"read {path}").json()
            items += page["items"]
            after = page["next_after"]
            if after is None:
                return items

    # -- creatives

    def _creatives(self, store_id: str) -> dict[str, Any]:
        products = self._items(f"/v1/workspaces/{self.workspace}/stores/{store_id}/products")
        product = next((p for p in products if p["data"].get("images")), products[0])
        body = {"product_ids": [product["id"]], "platforms": ["meta"], "language": "en", "variants": 1,
                "modalities": {"copy": True, "images": ["1:1"]}}
        jobs = f"/v1/workspaces/{self.workspace}/creatives/jobs"

        def accepted() -> httpx.Response | None:
            # The creative service learns products from the catalog's events: until then, 422.
            answer = self._call("POST", jobs, json=body)
            return answer if answer.status_code != 422 else None

        job = self._expect(self._until(accepted, self.creative_timeout, "the creative service to know the product"), 202,
                           "request creatives").json()
        done = self._until(lambda: self._finished_job(job["id"]), self.creative_timeout, "the creative job")
        if done["status"] != "succeeded":
            raise JourneyFailed(f"the creative job {done['status']}: {done.get('failure')}")
        images = [a for a in done["assets"] if a["kind"] == "image"]
        if not done["copies"] or not images:
            raise JourneyFailed(f"the creative job made {len(done['copies'])} copies and {len(images)} images")
        url = images[0]["url"]
        asset = httpx.get(url if url.startswith("http") else f"{self.gateway_url}{url}", timeout=20.0, trust_env=False)
        if asset.status_code != 200 or not asset.headers.get("content-type", "").startswith("image/"):
            raise JourneyFailed(f"the creative's image answered {asset.status_code} {asset.headers.get('content-type')}")
        refused = [n for n in done["notes"] if "photo" in n.lower()]
        if refused:
            raise JourneyFailed(f"the product's sandbox photos were not used: {refused}")
        self.say(f"sandbox journey: creative job {done['id']} made {len(done['copies'])} copies and "
                 f"{len(images)} images for {product['data'].get('name')!r} ({len(asset.content)} bytes fetched)")
        return product

    def _finished_job(self, job_id: str) -> dict[str, Any] | None:
        job = self._expect(self._call("GET", f"/v1/workspaces/{self.workspace}/creatives/jobs/{job_id}"), 200,
                           "read the creative job").json()
        return job if job["status"] in ("succeeded", "failed", "cancelled") else None

    # -- a campaign on the sandbox ad account

    def _campaign(self, product: dict[str, Any]) -> None:
        meta = self.plan.component("meta")
        base = f"/v1/workspaces/{self.workspace}"
        home = httpx.get(f"{self.plan.home_url}/", timeout=20.0, trust_env=False).json()
        about = next(a for a in home["ad_accounts"] if a["platform"] == meta.kind)["connect"]
        account = self._expect(self._proved("POST", f"{base}/ad-accounts", json={
            "platform": meta.kind, "platform_account_id": about["account_id"], "access_token": meta.settings["token"],
            "page_id": about["page_id"], "pixel_id": about["pixel_id"]}), 201, f"connect {meta.name}").json()
        self.ad_account = account["id"]
        name = " ".join(str(product["data"].get("name") or "our bestseller").split())
        brief = f"Sell {name} on Instagram in Saudi Arabia, 150 SAR a day for a week"
        read = self._expect(self._call("POST", f"{base}/campaigns/plans", json={
            "brief": brief, "time_zone": meta.settings["time_zone"]}), 200, "read the brief").json()
        if read["plan"] is None:
            raise JourneyFailed(f"the brief {brief!r} left questions: {read['questions']}")
        body = {"name": f"Sandbox check: {name}"[:200], "brief": brief,
                "plan": read["plan"] | {"product_ids": [product["id"]]}}

        def drafted() -> httpx.Response | None:
            # Campaigns learns the products from the catalog's events: until then, 422 on product_ids.
            answer = self._call("POST", f"{base}/campaigns", json=body)
            waiting = answer.status_code == 422 and "product_ids" in answer.text
            return None if waiting else answer

        campaign = self._expect(self._until(drafted, self.creative_timeout, "campaigns to know the product"), 201,
                                "draft the campaign").json()
        path = f"{base}/campaigns/{campaign['id']}"
        self._expect(self._call("POST", f"{path}/creatives"), 202, "request the campaign's creatives")
        reviewed = self._until(lambda: self._campaign_in(path, "in_review", "creatives_requested"), self.creative_timeout,
                               "the campaign's creatives")
        self._expect(self._call("POST", f"{path}/approval", json={}), 200, "approve the campaign")
        self._expect(self._call("POST", f"{path}/publication", json={}), 202, "publish the campaign")
        live = self._until(lambda: self._campaign_in(path, "live", "approved", "publishing"), self.creative_timeout,
                           "the campaign to go live")
        self.say(f"sandbox journey: campaign {campaign['id']} live on {meta.name}: Meta campaign "
                 f"{live['platforms']['meta']['platform_campaign_id']}, {len(reviewed['ads'])} ads")

    def _campaign_in(self, path: str, wanted: str, *passing: str) -> dict[str, Any] | None:
        campaign: dict[str, Any] = self._expect(self._call("GET", path), 200, "read the campaign").json()
        if campaign["state"] == wanted:
            return campaign
        if campaign["state"] not in passing:
            reasons = [run.get("reason") for run in campaign["platforms"].values() if run.get("reason")]
            raise JourneyFailed(f"the campaign is {campaign['state']}, not {wanted}: {reasons or campaign['last_rejection']}")
        return None

    # -- the end

    def _disconnect_all(self) -> None:
        """Best effort: the stores go back to the sandbox for the developer's own workspace."""
        gone_paths = [(f"the {platform} store", f"/stores/{store_id}") for platform, store_id in self.stores.items()]
        if self.ad_account:
            gone_paths.append(("the ad account", f"/ad-accounts/{self.ad_account}"))
        for what, tail in gone_paths:
            try:
                gone = self._proved("DELETE", f"/v1/workspaces/{self.workspace}{tail}")
                if gone.status_code != 204:
                    self.say(f"sandbox journey: could not disconnect {what} ({gone.status_code})")
            except (httpx.HTTPError, JourneyFailed) as error:
                self.say(f"sandbox journey: could not disconnect {what}: {error}")

    # -- helpers

    def _call(self, method: str, path: str, *, proof: bool = False, **kwargs: Any) -> httpx.Response:
        headers = dict(self.bearer) | ({"X-2FA-Token": self.proof} if proof else {})
        return self.http.request(method, path, headers=headers, **kwargs)

    def _proved(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """With the 2FA proof, proving again once if it outlived its 5 minutes."""
        answer = self._call(method, path, proof=True, **kwargs)
        if answer.status_code == 403 and "two-factor" in answer.text:
            self._prove()
            answer = self._call(method, path, proof=True, **kwargs)
        return answer

    @staticmethod
    def _expect(response: httpx.Response, status: int, what: str) -> httpx.Response:
        if response.status_code != status:
            raise JourneyFailed(f"{what}: {response.request.method} {response.request.url.path} answered "
                                f"{response.status_code}: {response.text[:300]}")
        return response

    @staticmethod
    def _until(check: Callable[[], Any], timeout: float, what: str) -> Any:
        return wait_for(check, timeout, what)


def describe(plan: SandboxPlan) -> Iterator[str]:
    """What `adly-dev run --sandbox` prints about the sandbox."""
    banner = ("SANDBOX: fake Shopify, WooCommerce, Salla and Zid stores and fake Meta, TikTok, Snapchat",
              "and Google Ads ad accounts on this machine. Nothing here reaches a real platform.",
              "Never in production.")
    width = max(len(line) for line in banner)
    yield "*" * (width + 6)
    for line in banner:
        yield f"*  {line:<{width}}  *"
    yield "*" * (width + 6)
    for c in plan.components:
        how = {"shopify": f'{{"platform":"shopify","shop":"{SHOPIFY_SHOP}"}}',
               "woocommerce": f"keys {WOOCOMMERCE_KEY} / {WOOCOMMERCE_SECRET}, site {c.url}{c.settings.get('base_path', '')}",
               "meta": f'POST /ad-accounts {{"platform":"meta","platform_account_id":"{META_ACCOUNT_ID}",'
                       f'"access_token":"{META_TOKEN}"}} (page and pixel: curl {plan.home_url}/)',
               "tiktok": f'POST /ad-accounts {{"platform":"tiktok","platform_account_id":"{TIKTOK_ACCOUNT_ID}",'
                         f'"access_token":"{TIKTOK_TOKEN}"}} or its login (identity and pixel: curl {plan.home_url}/)',
               "snapchat": f'POST /ad-accounts {{"platform":"snapchat","platform_account_id":"{SNAPCHAT_ACCOUNT_ID}",'
                           f'"access_token":"{SNAPCHAT_TOKEN}"}} or its login (profile and pixel: curl {plan.home_url}/)',
               "google_ads": f'POST /ad-accounts/logins {{"platform":"google_ads"}} (customer {GOOGLE_ADS_CUSTOMER_ID})',
               }.get(c.kind, f'{{"platform":"{c.kind}"}}')
        yield f"  {c.name:<36} {c.url}   connect: {how}"
    yield f"  what the sandbox holds: curl {plan.home_url}/   walk-through: README.md, 'Sandbox'"
