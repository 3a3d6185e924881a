"""The system under test, for real: every service but analytics, and the gateway, as processes.

One session-scoped stack: a fresh database `adly_e2e_<random>` on the test Postgres
(`postgres_url`), a broker of its own (a Tansu of the stack's, so the services' consumer
groups never meet those of another suite of the session; on Apache Kafka the session's
broker, `make test-kafka` running tests/ in a session of its own), a local SMTP server
(aiosmtpd on 127.0.0.1) that keeps every mail auth sends, a webhook receiver on 127.0.0.1
(`stack.webhooks`: every delivery verified with `standardwebhooks`, the one private host
notifications may deliver to), then `adly-<svc> migrate` and `adly-<svc> serve` for auth,
catalog, creative, campaigns, notifications and the gateway, each under the
devstack watchdog with its log in `$ADLY_TEST_VAR/e2e-logs/` (kept after the run). The
catalog talks to fake Shopify, WooCommerce, Salla and Zid servers and campaigns to a fake
Meta (`tests/fakes/`, on 127.0.0.1, in this process: `stack.meta`, with one ad account in
SAR on Asia/Riyadh, its page and pixel, `stack.meta_account`) and fake TikTok, Snapchat and
Google Ads (`stack.ad_platforms`, no account seeded: each journey seeds its own, with two
past days of figures per ad), and pulls their performance every second; creative makes its ads with
the offline providers (no keys). Everything is reached, like in production, through the
gateway; only the analytics upstream points at a closed port.

Every request of the suites goes through the gateway, the one public entry. The gateway's
rate limits are raised far out of reach (its own tests cover them), so a suite that signs
up dozens of people is not throttled.

Helpers (`Stack`): sign up and follow the mailed link (+ tokens), enable 2FA and get an X-2FA-Token,
create a workspace, invite and accept to give someone a role, create an API key, and wait
until the gateway's read model has caught up with auth's events.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import asyncpg
import httpx
import jwt
import pyotp
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.engine import make_url

from adly_kit.devstack._process import ManagedProcess, free_port, tail
from adly_kit.devstack.run import exited_cleanly, service_command
from adly_kit.testing.plugin import KafkaUnderTest

from .webhooks import WebhookReceiver

PASSWORD = "correct horse battery staple"
UNLIMITED = "1000000/60"
READY_TIMEOUT = 90.0
STEP = 30  # TOTP step, seconds (RFC 6238 default, docs/identity.md)


# ----------------------------------------------------------------------------- mail


# Notifications mail from an address of its own in the stack, so the tests of auth's account
# mail count and read auth's mails alone (every workspace change also mails its owners now).
NOTIFICATIONS_FROM = "notifications@e2e.adly.test"


class Inbox:
    """aiosmtpd handler keeping every delivered message."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self._lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        """Auth's mails to `address` (its account mail); notifications' are `notified`."""
        with self._lock:
            return [m for m in self.messages if (m["To"] or "").lower() == address.lower()
                    and NOTIFICATIONS_FROM not in (m["From"] or "")]

    def notified(self, address: str) -> list[Message]:
        """Notifications' mails to `address`, oldest first."""
        with self._lock:
            return [m for m in self.messages if (m["To"] or "").lower() == address.lower()
                    and NOTIFICATIONS_FROM in (m["From"] or "")]

    def link_token(self, address: str, path: str, after: int = 0) -> str | None:
        """The token of the newest link `/<path>?token=…` or `/<path>/<token>` mailed to `address`
        (among its mails after the first `after`); notifications' mails are multipart."""
        for message in reversed(self.to(address)[after:]):
            body = "".join(part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
                           for part in message.walk() if part.get_content_type() == "text/plain")
            match = re.search(rf"/{path}(?:\?token=|/)([A-Za-z0-9_%.~-]+)", body)
            if match:
                return unquote(match.group(1))
        return None


# --------------------------------------------------------------------------- people


@dataclass
class Person:
    """A signed-up, verified user and the tokens of one session."""

    user_id: str
    email: str
    access_token: str
    refresh_token: str
    sid: str
    totp_secret: str | None = None
    last_step: int | None = None  # the last TOTP step auth accepted from us
    proof: str | None = None
    proof_at: float = 0.0

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    def code(self, step: int) -> str:
        assert self.totp_secret is not None, "two-factor is not on for this person"
        return pyotp.TOTP(self.totp_secret).at(step * STEP)


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    secret: str
    role: str
    workspace_id: str

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}


def now_step() -> int:
    return int(time.time()) // STEP


def settle_step(margin: float = 2.0) -> None:
    """Sleep past the next step boundary if it is less than `margin` seconds away, so that
    a code computed now is judged by auth in the same step."""
    left = STEP - time.time() % STEP
    if left < margin:
        time.sleep(left + 0.05)


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def eventually(check: Callable[[], Any], *, timeout: float = 20.0, interval: float = 0.02) -> Any:
    """Poll `check` until it returns a truthy value or time runs out; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def is_two_factor_required(response: httpx.Response) -> bool:
    if response.status_code != 403:
        return False
    body = response.json()
    return "two-factor-required" in f"{body.get('type', '')} {body.get('code', '')}"


# ---------------------------------------------------------------------- measurements

MEASUREMENTS: list[str] = []


def report(line: str) -> None:
    """A measured figure: printed now (with -s) and again in the terminal summary."""
    print(f"e2e: {line}", flush=True)
    MEASUREMENTS.append(line)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if MEASUREMENTS:
        terminalreporter.section("e2e measurements")
        for line in MEASUREMENTS:
            terminalreporter.write_line(line)


# ---------------------------------------------------------------------------- stack


@dataclass
class Stack:
    gateway_url: str
    auth_url: str
    inbox: Inbox
    logs: Path
    database_url: str
    broker: KafkaUnderTest
    env: dict[str, str]
    platforms: dict[str, Any] = field(default_factory=dict)  # the fake store platforms by name
    catalog_url: str = ""
    meta: Any = None           # tests.fakes.meta.FakeMeta, which campaigns publishes to
    meta_account: Any = None   # its seeded ad account (SeededAccount: account_id, page_id, pixel_id, token)
    ad_platforms: dict[str, Any] = field(default_factory=dict)  # the fake TikTok, Snapchat and Google Ads by name
    creative_url: str = ""
    campaigns_url: str = ""
    webhooks: WebhookReceiver | None = None  # the receiver notifications may deliver to
    notifications_url: str = ""
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.gateway_url, timeout=30.0)

    # -- HTTP through the gateway

    def request(self, method: str, path: str, *, who: Person | ApiKey | None = None, proof: str | None = None,
                **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if isinstance(who, Person):
            self.keep_fresh(who)
        if who is not None:
            headers |= who.bearer
        if proof is not None:
            headers["X-2FA-Token"] = proof
        return self.http.request(method, path, headers=headers, **kwargs)

    def keep_fresh(self, person: Person, *, margin: float = 120.0) -> None:
        """Refresh a person's access token that expires within `margin` seconds, as a client does:
        the suite on a busy machine outlives a token (10 minutes). A token that is not a JWT of
        ours, or a refresh auth refuses (a test revoked the session on purpose), is left alone."""
        try:
            expires = float(claims_of(person.access_token)["exp"])
        except Exception:
            return
        if expires - time.time() > margin:
            return
        answer = self.http.post("/v1/auth/oauth/token", data={"grant_type": "refresh_token",
                                                               "refresh_token": person.refresh_token})
        if answer.status_code == 200:
            tokens = answer.json()
            person.access_token, person.refresh_token = tokens["access_token"], tokens["refresh_token"]
            person.sid = claims_of(person.access_token).get("sid", person.sid)

    # -- mail

    def mail_token(self, email: str, path: str, *, timeout: float = 20.0, after: int = 0) -> str:
        """The token of a link mailed to `email` (among mails after the first `after` ones)."""
        def found() -> str | None:
            return self.inbox.link_token(email, path, after)

        token = eventually(found, timeout=timeout)
        assert token, f"no /{path} mail reached {email} in {timeout:.0f}s"
        return token

    # -- accounts

    def signup(self, *, verify: bool = True, prefix: str = "user") -> Person:
        """Sign up and follow the mailed link, which creates the account with its address verified
        and signs in (docs/identity.md, "Sign-up"); `verify` is kept for callers, every sign-up verifies."""
        email = f"{prefix}-{secrets.token_hex(6)}@example.com"
        response = self.http.post("/v1/auth/signup", json={"email": email, "password": PASSWORD})
        assert response.status_code == 202, response.text
        confirmed = self.http.post("/v1/auth/signup/confirm", json={"token": self.mail_token(email, "confirm-signup")})
        assert confirmed.status_code == 201, confirmed.text
        tokens = confirmed.json()
        claims = claims_of(tokens["access_token"])
        return Person(claims["sub"], email, tokens["access_token"], tokens["refresh_token"], claims["sid"])

    def login(self, person: Person) -> httpx.Response:
        return self.http.post("/v1/auth/login", json={"email": person.email, "password": PASSWORD})

    def enable_two_factor(self, person: Person) -> Person:
        enrolled = self.request("POST", "/v1/auth/2fa/enroll", who=person)
        assert enrolled.status_code == 201, enrolled.text
        person.totp_secret = enrolled.json()["secret"]
        settle_step()
        step = now_step() - 1  # the oldest step auth accepts: leaves T and T+1 for proofs
        confirmed = self.request("POST", "/v1/auth/2fa/confirm", who=person, json={"code": person.code(step)})
        assert confirmed.status_code == 204, confirmed.text
        person.last_step = step
        return person

    def next_code(self, person: Person) -> tuple[int, str]:
        """A code auth will accept: the earliest step in T-1..T+1 after the last accepted one
        (waiting for the next step if T+1 is used up already)."""
        while True:
            settle_step()
            current = now_step()
            step = max(current - 1, (person.last_step or current - 2) + 1)
            if step <= current + 1:
                return step, person.code(step)
            time.sleep(STEP - time.time() % STEP + 0.05)

    def two_factor_token(self, person: Person, *, max_age: float = 200.0) -> str:
        """An X-2FA-Token (5 minutes); reused while younger than `max_age` seconds, since a
        TOTP step works once and a person has at most two fresh steps at a time."""
        if person.proof and time.monotonic() - person.proof_at < max_age:
            return person.proof
        step, code = self.next_code(person)
        response = self.request("POST", "/v1/auth/2fa/verify", who=person, json={"code": code})
        assert response.status_code == 200, response.text
        person.last_step = step
        person.proof, person.proof_at = response.json()["two_factor_token"], time.monotonic()
        return person.proof

    # -- workspaces

    def create_workspace(self, owner: Person, name: str | None = None) -> str:
        response = self.request("POST", "/v1/workspaces", who=owner, json={"name": name or f"ws {secrets.token_hex(3)}"})
        assert response.status_code == 201, response.text
        workspace_id = response.json()["id"]
        self.wait_for_access(owner, workspace_id)
        return workspace_id

    def invite(self, workspace_id: str, inviter: Person, email: str, role: str) -> str:
        """Invite `email` as `role`; the token from the mailed link."""
        before = len(self.inbox.to(email))
        response = self.request("POST", f"/v1/workspaces/{workspace_id}/invitations", who=inviter,
                                json={"email": email, "role": role})
        assert response.status_code == 201, response.text
        return self.mail_token(email, "invitations", after=before)

    def accept(self, person: Person, token: str) -> None:
        response = self.request("POST", f"/v1/invitations/{token}/accept", who=person)
        assert response.status_code == 200, response.text

    def add_members(self, workspace_id: str, inviter: Person, members: list[tuple[Person, str]]) -> None:
        """Invite every (person, role), accept every invitation, wait until the gateway knows."""
        tokens = [(person, self.invite(workspace_id, inviter, person.email, role)) for person, role in members]
        for person, token in tokens:
            self.accept(person, token)
        for person, _ in members:
            self.wait_for_access(person, workspace_id)

    def create_api_key(self, workspace_id: str, creator: Person, role: str, *, wait: bool = True) -> ApiKey:
        response = self.request("POST", f"/v1/workspaces/{workspace_id}/api-keys", who=creator,
                                proof=self.two_factor_token(creator), json={"name": f"key {role}", "role": role})
        assert response.status_code == 201, response.text
        body = response.json()
        key = ApiKey(body["id"], body["secret"], role, workspace_id)
        if wait:
            self.wait_for_access(key, workspace_id)
        return key

    def wait_for_access(self, who: Person | ApiKey, workspace_id: str, *, timeout: float = 20.0) -> None:
        """Until the gateway's read model lets `who` read the workspace (auth's events arrived)."""
        ok = eventually(lambda: self.request("GET", f"/v1/workspaces/{workspace_id}", who=who).status_code == 200,
                        timeout=timeout)
        assert ok, f"the gateway did not learn of {who} in workspace {workspace_id} within {timeout:.0f}s"

    def close(self) -> None:
        self.http.close()


# ------------------------------------------------------------------------ processes


def _create_database(admin_url: str) -> str:
    """A fresh database next to the test one; its plain postgresql:// URL."""
    name = f"adly_e2e_{secrets.token_hex(4)}"
    url = make_url(admin_url).set(drivername="postgresql")

    async def create() -> None:
        conn = await asyncpg.connect(url.render_as_string(hide_password=False))
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_database(database_url: str) -> None:
    url = make_url(database_url)
    name = url.database

    async def drop() -> None:
        conn = await asyncpg.connect(url.set(database="postgres").render_as_string(hide_password=False))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())


def _migrate_all(envs: dict[str, dict[str, str]], logs: Path) -> None:
    """Every service's migrations at once (each its own schema), as `adly-dev run` does."""
    import subprocess

    runs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, env in envs.items():
            with open(logs / f"{name}.migrate.log", "wb") as log:
                runs[name] = subprocess.Popen([*service_command(name), "migrate"], env=env, stdout=log,
                                              stderr=subprocess.STDOUT)
        failed = [name for name, run in runs.items() if not exited_cleanly(run, 180.0)]
    finally:
        for run in runs.values():
            if run.poll() is None:
                run.kill()
                run.wait()
    if failed:
        raise RuntimeError("\n".join(f"adly-{n} migrate failed:\n{tail(logs / f'{n}.migrate.log', 40)}" for n in failed))


def _migrate(name: str, env: dict[str, str], logs: Path) -> None:
    import subprocess

    log_path = logs / f"{name}.migrate.log"
    with open(log_path, "wb") as log:
        run = subprocess.Popen([*service_command(name), "migrate"], env=env, stdout=log, stderr=subprocess.STDOUT)
    if not exited_cleanly(run, 180.0):
        if run.poll() is None:
            run.kill()
            run.wait()
        raise RuntimeError(f"adly-{name} migrate failed:\n{tail(log_path, 40)}")


def _serve(name: str, env: dict[str, str], logs: Path) -> ManagedProcess:
    process = ManagedProcess(f"adly-{name}", [*service_command(name), "serve"], log_path=logs / f"{name}.log",
                             env=env, grace=15.0)
    process.start()
    return process


def _wait_ready(name: str, url: str, process: ManagedProcess) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if not process.is_running():
                raise RuntimeError(f"adly-{name} exited ({process.returncode}):\n{tail(process.log_path, 60)}")
            try:
                if client.get(f"{url}/ready").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    raise RuntimeError(f"adly-{name} not ready after {READY_TIMEOUT:.0f}s:\n{tail(process.log_path, 60)}")


def service_env(database_url: str, kafka: KafkaUnderTest) -> dict[str, str]:
    """What every service process of the stack shares."""
    from .otlp import otel_env

    return dict(os.environ) | {
        "PYTHONUNBUFFERED": "1",
        "ADLY_ENVIRONMENT": "test",
        "ADLY_LOG_LEVEL": "INFO",
        "ADLY_HTTP_HOST": "127.0.0.1",
        "ADLY_DATABASE_URL": database_url,
        "ADLY_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "ADLY_KAFKA_BROKER_KIND": kafka.kind,
        "ADLY_TOPIC_REPLICATION_FACTOR": "1",
        "ADLY_TOPIC_MIN_INSYNC_REPLICAS": "1",
        "ADLY_TOPIC_PARTITIONS": "3",
        "ADLY_CONSUMER_RETRY_BACKOFF_SECONDS": "0.05",
    } | otel_env()  # every process's spans to the session's OTLP receiver (tests/e2e/otlp.py)


def auth_env(base: dict[str, str], port: int, smtp_port: int) -> dict[str, str]:
    return base | {
        "ADLY_HTTP_PORT": str(port),
        "ADLY_SMTP_HOST": "127.0.0.1",
        "ADLY_SMTP_PORT": str(smtp_port),
        "ADLY_SMTP_STARTTLS": "false",
        "ADLY_MAIL_POLL_SECONDS": "0.1",
        "ADLY_PUBLIC_BASE_URL": "https://app.e2e.adly.test",
    }


def catalog_env(base: dict[str, str], port: int, gateway_url: str, platforms: dict[str, Any]) -> dict[str, str]:
    shopify, woocommerce, salla, zid = (platforms[p] for p in ("shopify", "woocommerce", "salla", "zid"))
    return base | {
        "ADLY_HTTP_PORT": str(port),
        "ADLY_PUBLIC_API_URL": gateway_url,  # where the platforms send merchants and webhooks back
        "ADLY_PUBLIC_APP_URL": "https://app.e2e.adly.test",
        "ADLY_ALLOW_PRIVATE_STORE_URLS": "true",  # the fake WooCommerce store lives on 127.0.0.1
        "ADLY_PLATFORM_TIMEOUT_SECONDS": "5",
        "ADLY_SYNC_POLL_SECONDS": "0.1",
        "ADLY_SHOPIFY_BASE_URL": shopify.url,
        "ADLY_SHOPIFY_CLIENT_ID": shopify.client_id,
        "ADLY_SHOPIFY_CLIENT_SECRET": shopify.client_secret,
        "ADLY_SALLA_API_URL": salla.api_url,
        "ADLY_SALLA_ACCOUNTS_URL": salla.url,
        "ADLY_SALLA_CLIENT_ID": salla.client_id,
        "ADLY_SALLA_CLIENT_SECRET": salla.client_secret,
        "ADLY_SALLA_WEBHOOK_SECRET": salla.webhook_secret,
        "ADLY_ZID_API_URL": f"{zid.url}/v1",
        "ADLY_ZID_OAUTH_URL": zid.url,
        "ADLY_ZID_CLIENT_ID": zid.client_id,
        "ADLY_ZID_CLIENT_SECRET": zid.client_secret,
        "ADLY_WOOCOMMERCE_PAGE_SIZE": "10",
    }


def start_platforms() -> dict[str, Any]:
    """Fake store platforms with a small catalog each (a few pages at the page sizes set)."""
    from tests.fakes.salla import FakeSalla
    from tests.fakes.shopify import ShopifyFake
    from tests.fakes.woocommerce import FakeWooCommerce
    from tests.fakes.zid import FakeZid

    shopify = ShopifyFake(max_query_cost=100_000, bucket_size=1_000_000, restore_rate=1_000_000).seed(
        products=30, variants=3, orders=12)
    woocommerce = FakeWooCommerce()
    woocommerce.seed(products=24, orders=8)
    salla = FakeSalla(rate_limit=10_000)
    salla.seed(products=8, variants=2, orders=4)
    zid = FakeZid()
    zid.rate_limit(requests=10_000)
    zid.seed(products=12, variants=2, orders=5)
    platforms = {"shopify": shopify, "woocommerce": woocommerce, "salla": salla, "zid": zid}
    for fake in platforms.values():
        fake.start()
    return platforms


def start_meta() -> tuple[Any, Any]:
    """A fake Meta with one ad account in SAR on Riyadh time, its page and its pixel."""
    from tests.fakes.meta import FakeMeta

    meta = FakeMeta()
    account = meta.seed_account(name="E2E Oud House", currency="SAR", time_zone="Asia/Riyadh")
    meta.start()
    return meta, account


HISTORY_DAYS = 2  # an ad on the fake TikTok, Snapchat or Google Ads has figures from two days before it exists


def start_ad_platforms() -> dict[str, Any]:
    """Fake TikTok, Snapchat and Google Ads (started, no account yet), their ads delivering
    from `HISTORY_DAYS` before they are published: whole past days of figures whatever the hour."""
    from tests.fakes.google_ads import FakeGoogleAds
    from tests.fakes.snapchat import FakeSnapchat
    from tests.fakes.tiktok import FakeTikTok

    fakes = {"tiktok": FakeTikTok(history_days=HISTORY_DAYS), "snapchat": FakeSnapchat(history_days=HISTORY_DAYS),
             "google_ads": FakeGoogleAds(history_days=HISTORY_DAYS)}
    for fake in fakes.values():
        fake.start()
    return fakes


def creative_env(base: dict[str, str], port: int, gateway_url: str, logs: Path) -> dict[str, str]:
    """Offline providers, assets under the log dir (shared by every creative process of the
    session: they share the schema, so any of them may have made an asset another serves),
    public asset URLs on the gateway. Campaigns' ads get copy and images only: the offline
    video and voice-over would cost the busy CI box seconds per campaign and prove nothing here."""
    return base | {
        "ADLY_HTTP_PORT": str(port),
        "ADLY_ASSET_DIR": str(logs / "creative-assets"),
        "ADLY_PUBLIC_BASE_URL": gateway_url,
        "ADLY_JOB_POLL_SECONDS": "0.2",
        "ADLY_PHOTO_ALLOW_LOOPBACK": "true",  # the fake stores' photos live on 127.0.0.1
        "ADLY_CAMPAIGN_VIDEO": "false",
        "ADLY_CAMPAIGN_VOICE_OVER": "false",
    }


def campaigns_env(base: dict[str, str], port: int, creative_url: str, meta: Any,
                  ad_platforms: dict[str, Any] | None = None) -> dict[str, str]:
    return base | _ad_platform_env(ad_platforms or {}) | {
        "ADLY_HTTP_PORT": str(port),
        "ADLY_META_APP_ID": meta.app_id,
        "ADLY_META_APP_SECRET": meta.app_secret,
        "ADLY_META_GRAPH_URL": meta.graph_url,
        "ADLY_META_DIALOG_URL": meta.dialog_url,
        "ADLY_CREATIVE_URL": creative_url,
        "ADLY_PUBLIC_APP_URL": "https://app.e2e.adly.test",
        "ADLY_PLATFORM_TIMEOUT_SECONDS": "10",
        "ADLY_PUBLISH_POLL_SECONDS": "0.2",
        "ADLY_REVIEW_POLL_SECONDS": "0.5",
        "ADLY_PERFORMANCE_POLL_SECONDS": "1",  # figures while a journey waits for them (the restate window default)
    }


def _ad_platform_env(fakes: dict[str, Any]) -> dict[str, str]:
    env: dict[str, str] = {}
    if (tiktok := fakes.get("tiktok")) is not None:
        env |= {"ADLY_TIKTOK_APP_ID": tiktok.app_id, "ADLY_TIKTOK_APP_SECRET": tiktok.app_secret,
                "ADLY_TIKTOK_API_URL": tiktok.api_url, "ADLY_TIKTOK_AUTH_URL": tiktok.auth_url}
    if (snapchat := fakes.get("snapchat")) is not None:
        env |= {"ADLY_SNAPCHAT_CLIENT_ID": snapchat.client_id, "ADLY_SNAPCHAT_CLIENT_SECRET": snapchat.client_secret,
                "ADLY_SNAPCHAT_API_URL": snapchat.api_url, "ADLY_SNAPCHAT_ACCOUNTS_URL": snapchat.accounts_url}
    if (google := fakes.get("google_ads")) is not None:
        env |= {"ADLY_GOOGLE_ADS_CLIENT_ID": google.client_id, "ADLY_GOOGLE_ADS_CLIENT_SECRET": google.client_secret,
                "ADLY_GOOGLE_ADS_DEVELOPER_TOKEN": "e2e-developer-token", "ADLY_GOOGLE_ADS_API_URL": google.api_url,
                "ADLY_GOOGLE_OAUTH_URL": google.oauth_url, "ADLY_GOOGLE_TOKEN_URL": google.token_url}
    return env


# Webhook retries in seconds, not hours: a receiver failing three times is answered within a
# second or two (the production schedule is docs/notifications.md's).
WEBHOOK_RETRY_DELAYS = "[0.2,0.2,0.2,0.2,0.2,0.2,0.2]"


def notifications_env(base: dict[str, str], port: int, receiver: WebhookReceiver, smtp_port: int, auth_url: str,
                      gateway_url: str) -> dict[str, str]:
    """Deliveries to the stack's receiver on 127.0.0.1 only (plain http, a private address:
    the development exception, refused in production), retried at once; mail to the stack's
    SMTP server, addressed by the stack's auth, unsubscribe links through its gateway."""
    return base | {
        "ADLY_HTTP_PORT": str(port),
        "ADLY_SMTP_HOST": "127.0.0.1",
        "ADLY_SMTP_PORT": str(smtp_port),
        "ADLY_SMTP_STARTTLS": "false",
        "ADLY_AUTH_URL": auth_url,
        "ADLY_ANALYTICS_URL": f"http://127.0.0.1:{free_port()}",  # not in this stack: digests wait
        "ADLY_PUBLIC_API_URL": gateway_url,
        "ADLY_MAIL_FROM": f"ADLY <{NOTIFICATIONS_FROM}>",
        "ADLY_MAIL_RETRY_DELAYS": WEBHOOK_RETRY_DELAYS,
        "ADLY_WEBHOOK_PRIVATE_HOSTS": json.dumps([receiver.host]),
        "ADLY_WEBHOOK_RETRY_DELAYS": WEBHOOK_RETRY_DELAYS,
        "ADLY_WEBHOOK_TIMEOUT_SECONDS": "5",
    }


def gateway_env(base: dict[str, str], port: int, auth_url: str, catalog_url: str | None = None,
                **overrides: str) -> dict[str, str]:
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there: those services are not under test
    return base | {
        "ADLY_HTTP_PORT": str(port),
        "ADLY_UPSTREAM_AUTH": auth_url,
        "ADLY_UPSTREAM_CATALOG": catalog_url or closed,
        "ADLY_UPSTREAM_CAMPAIGNS": closed,
        "ADLY_UPSTREAM_CREATIVE": closed,
        "ADLY_UPSTREAM_ANALYTICS": closed,
        "ADLY_UPSTREAM_NOTIFICATIONS": closed,
        "ADLY_OPENAPI_FETCH_ATTEMPTS": "2",
        "ADLY_CORS_ORIGINS": "https://app.e2e.adly.test",
        **{f"ADLY_RATE_LIMIT_{name}": UNLIMITED for name in (
            "CLIENT", "IP", "LOGIN", "LOGIN_IP", "TWO_FACTOR", "TWO_FACTOR_IP", "PASSWORD_RESET", "PASSWORD_RESET_IP")},
    } | overrides


@contextmanager
def stack_broker(kafka: KafkaUnderTest, logs: Path) -> Iterator[KafkaUnderTest]:
    """The stack's own Tansu when the session's broker is the embedded Tansu (`make test` runs
    every suite in one session: the stack's services would otherwise join the consumer groups
    a service's own tests start, `adly.<service>.<subscription>`, and take their events);
    the session's broker when it is Apache Kafka or given from outside."""
    if kafka.kind != "tansu" or os.environ.get("ADLY_TEST_KAFKA_BOOTSTRAP_SERVERS"):
        yield kafka
        return
    from adly_kit.devstack import TansuBroker

    broker = TansuBroker(log_path=logs / "tansu.log")
    try:
        yield KafkaUnderTest(broker.start(), "tansu")
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def e2e(postgres_url: str, kafka: KafkaUnderTest) -> Iterator[Stack]:
    logs = Path(os.environ.get("ADLY_TEST_VAR", Path.cwd() / "var" / "test")) / "e2e-logs"  # the plugin's var dir
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    print(f"\ne2e: service logs in {logs}", flush=True)
    with stack_broker(kafka, logs) as broker:
        yield from _e2e(postgres_url, broker, logs)


def _e2e(postgres_url: str, kafka: KafkaUnderTest, logs: Path) -> Iterator[Stack]:
    database_url = _create_database(postgres_url)
    inbox = Inbox()
    smtp_port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    receiver = WebhookReceiver().start()
    processes: list[ManagedProcess] = []
    fakes: list[Any] = []
    stack: Stack | None = None
    try:
        platforms = start_platforms()
        fakes += platforms.values()
        meta, meta_account = start_meta()
        fakes.append(meta)
        ad_platforms = start_ad_platforms()
        fakes += ad_platforms.values()
        base = service_env(database_url, kafka)
        services = ("auth", "catalog", "creative", "campaigns", "notifications")
        ports = {name: free_port() for name in (*services, "gateway")}
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        envs = {
            "auth": auth_env(base, ports["auth"], smtp_port),
            "catalog": catalog_env(base, ports["catalog"], urls["gateway"], platforms),
            "creative": creative_env(base, ports["creative"], urls["gateway"], logs),
            "campaigns": campaigns_env(base, ports["campaigns"], urls["creative"], meta, ad_platforms),
            "notifications": notifications_env(base, ports["notifications"], receiver, smtp_port, urls["auth"],
                                               urls["gateway"]),
            "gateway": gateway_env(base, ports["gateway"], urls["auth"], urls["catalog"],
                                   ADLY_UPSTREAM_CAMPAIGNS=urls["campaigns"], ADLY_UPSTREAM_CREATIVE=urls["creative"],
                                   ADLY_UPSTREAM_NOTIFICATIONS=urls["notifications"]),
        }
        _migrate_all(envs, logs)
        # The services need nothing of each other to start; the gateway needs them all ready,
        # since it reads auth's JWKS and every upstream's OpenAPI document as it starts.
        for name in services:
            processes.append(_serve(name, envs[name], logs))
        for name, process in zip(services, processes, strict=True):
            _wait_ready(name, urls[name], process)
        gateway = _serve("gateway", envs["gateway"], logs)
        processes.append(gateway)
        _wait_ready("gateway", urls["gateway"], gateway)
        stack = Stack(urls["gateway"], urls["auth"], inbox, logs, database_url, kafka, base, platforms, urls["catalog"],
                      meta, meta_account, ad_platforms, urls["creative"], urls["campaigns"], receiver,
                      urls["notifications"])
        yield stack
    finally:
        if stack is not None:
            stack.close()
        for process in reversed(processes):
            process.stop()
        for fake in fakes:
            fake.stop()
        receiver.stop()
        smtp.stop()
        _drop_database(database_url)


# -------------------------------------------------------------------- shared people


@dataclass
class People:
    """People every suite may use: two with 2FA on, and one enrolled early for the TOTP window."""

    owner: Person
    admin: Person
    outsider: Person
    totp_window: Person
    enrolled_step: int


@pytest.fixture(autouse=True)
def fresh_tokens(request: pytest.FixtureRequest) -> None:
    """Before each test that uses the shared people, their tokens are fresh (Stack.keep_fresh):
    some tests send `person.bearer` themselves rather than through `Stack.request`."""
    if "people" in request.fixturenames:
        e2e, people = request.getfixturevalue("e2e"), request.getfixturevalue("people")
        for person in (people.owner, people.admin, people.outsider, people.totp_window):
            e2e.keep_fresh(person)


@pytest.fixture(scope="session")
def people(e2e: Stack) -> People:
    owner, admin, outsider, window = (e2e.signup(prefix=p) for p in ("owner", "admin", "outsider", "window"))
    for person in (owner, admin, outsider, window):
        e2e.enable_two_factor(person)
    return People(owner, admin, outsider, window, window.last_step + 1)


# ------------------------------------------------------- more processes, for hardening tests


@dataclass
class ServiceProcess:
    """One more service process on the stack's database, which the test starts, kills and restarts.

    `start(command)` runs it under the devstack watchdog (its log in the stack's log dir) and
    waits for `ready_path`; `kill()` SIGKILLs it (the watchdog's whole process group, so the
    server dies at once, mid-request if it was in one); `wait_for_line` reads its log until a
    line the process prints at a point the test chose."""

    name: str
    command: list[str]
    env: dict[str, str]
    port: int
    logs: Path
    ready_path: str = "/ready"
    process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.logs / f"{self.name}.log"

    def start(self, command: list[str] | None = None) -> None:
        self.stop()
        self.process = ManagedProcess(self.name, command or self.command, log_path=self.log_path, env=self.env, grace=15.0)
        self.process.start()
        self.wait_ready()

    def wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + READY_TIMEOUT
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if not self.process.is_running():
                    raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{tail(self.log_path, 60)}")
                try:
                    if client.get(f"{self.url}{self.ready_path}").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {READY_TIMEOUT:.0f}s:\n{tail(self.log_path, 60)}")

    def wait_for_line(self, marker: str, *, timeout: float = 60.0) -> str:
        def found() -> str | None:
            text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
            return next((line for line in text.splitlines() if marker in line), None)

        line = eventually(found, timeout=timeout)
        assert line, f"{self.name} never printed {marker!r}:\n{tail(self.log_path, 40)}"
        return line

    def kill(self) -> None:
        assert self.process is not None and self.process.is_running(), f"{self.name} is not running"
        self.process.signal_group(signal.SIGKILL)
        assert self.process.wait(30.0), f"{self.name} survived SIGKILL"
        self.stop()

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None


def extra_gateway(e2e: Stack, name: str, *, ready_path: str = "/ready", **overrides: str) -> ServiceProcess:
    """Another gateway on the stack's database, serving the API only (the stack's gateway keeps
    the read model current): the same people, workspaces and keys, other settings. `overrides`
    are its ADLY_* variables (upstreams, limits, timeouts); upstreams not named are auth, the
    catalog and notifications of the stack, and closed ports for the rest."""
    port = free_port()
    if e2e.notifications_url:
        overrides = {"ADLY_UPSTREAM_NOTIFICATIONS": e2e.notifications_url} | overrides
    env = gateway_env(e2e.env, port, e2e.auth_url, e2e.catalog_url or None, **overrides)
    command = [*service_command("gateway"), "serve", "--roles", "api"]
    gateway = ServiceProcess(f"gateway-{name}", command, env, port, e2e.logs, ready_path)
    gateway.start()
    return gateway


def creative_process(e2e: Stack, gateway_url: str) -> ServiceProcess:
    """A creative service (migrated, not started) with the offline providers and assets under the
    stack's log dir; its public asset URLs name `gateway_url`."""
    port = free_port()
    env = creative_env(e2e.env, port, gateway_url, e2e.logs)
    _migrate("creative", env, e2e.logs)
    return ServiceProcess("creative", [*service_command("creative"), "serve"], env, port, e2e.logs)


class Recorder:
    """A stand-in upstream on 127.0.0.1 (for services the stack does not run): answers every
    request 200 with a JSON echo of its method, path and headers, and keeps what it saw."""

    def __init__(self) -> None:
        import http.server

        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                seen = {"method": self.command, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}}
                with recorder._lock:
                    recorder.seen.append(seen)
                payload = json.dumps(seen).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _answer  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self.seen: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Recorder:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def raw(client: httpx.Client, method: str, target: str, **kwargs: Any) -> httpx.Response:
    """A request whose target goes out byte for byte as written: httpx would otherwise remove
    dot segments itself, and the test would never show what the gateway does with them."""
    return client.request(method, "/", extensions={"target": target.encode("latin-1")}, **kwargs)


# ------------------------------------------------------------ campaigns and ad accounts


class LiveEvents:
    """A workspace's live socket (`/v1/workspaces/{id}/live`), opened as `who` and read by a
    thread from the moment it says ready: `events` is everything it delivered, in order."""

    def __init__(self, e2e: Stack, workspace_id: str, who: Person) -> None:
        self.url = e2e.gateway_url.replace("http://", "ws://") + f"/v1/workspaces/{workspace_id}/live"
        self.token = who.access_token
        self.events: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, daemon=True)

    def __enter__(self) -> LiveEvents:
        import websockets.sync.client as ws_client

        self.socket = ws_client.connect(self.url, open_timeout=10)
        self.socket.send(json.dumps({"type": "auth", "token": self.token}))
        ready = json.loads(self.socket.recv(timeout=15))
        assert ready["type"] == "ready", ready
        self._thread.start()
        return self

    def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        while not self._stop.is_set():
            try:
                frame = self.socket.recv(timeout=0.2)
            except TimeoutError:
                continue
            except ConnectionClosed:
                return
            with self._lock:
                self.events.append(json.loads(frame))

    def types(self, aggregate_id: str) -> list[str]:
        with self._lock:
            return [e["event_type"] for e in self.events if e.get("aggregate_id") == aggregate_id]

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.socket.close()


def connect_woocommerce(e2e: Stack, who: Person, workspace_id: str, fake: Any) -> str:
    """Connect a fake WooCommerce store by REST keys (2FA) and wait for its first sync: the store id."""
    key, secret = fake.add_key()
    base = f"/v1/workspaces/{workspace_id}/stores"
    created = e2e.request("POST", base, who=who, proof=e2e.two_factor_token(who), json={
        "platform": "woocommerce", "site_url": fake.site_url, "consumer_key": key, "consumer_secret": secret})
    assert created.status_code == 201, created.text
    store_id = created.json()["id"]
    done = eventually(lambda: next((s for s in e2e.request("GET", f"{base}/{store_id}/syncs", who=who).json()
                                    if s["state"] not in ("queued", "running")), None), timeout=60, interval=0.2)
    assert done and done["state"] == "completed", done
    return store_id


def meta_login(e2e: Stack, who: Person, workspace_id: str) -> dict[str, Any]:
    """Facebook Login as the app does it: start, follow `authorize_url` (the fake's dialog
    approves at once and redirects to the app's callback page with `code` and `state`), post
    both back. The answer: the login id and the ad accounts it reaches."""
    from urllib.parse import parse_qs, urlsplit

    base = f"/v1/workspaces/{workspace_id}/ad-accounts/logins"
    started = e2e.request("POST", base, who=who, proof=e2e.two_factor_token(who), json={"platform": "meta"})
    assert started.status_code == 201, started.text
    dialog = httpx.get(started.json()["authorize_url"], follow_redirects=False, timeout=15)
    assert dialog.status_code == 302, dialog.text
    back = urlsplit(dialog.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == "https://app.e2e.adly.test/ad-accounts/meta/callback"
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    finished = e2e.request("POST", f"{base}/code", who=who, proof=e2e.two_factor_token(who),
                           json={"code": query["code"], "state": query["state"]})
    assert finished.status_code == 200, finished.text
    assert finished.json()["login_id"] == started.json()["login_id"]
    return finished.json()


def connect_meta(e2e: Stack, who: Person, workspace_id: str, account: Any, *, login_id: str | None = None
                 ) -> dict[str, Any]:
    """Connect a seeded fake Meta ad account with its page and pixel, by a finished login or
    else by its token pasted as a system user's."""
    credential = {"login_id": login_id} if login_id else {"access_token": account.token}
    connected = e2e.request("POST", f"/v1/workspaces/{workspace_id}/ad-accounts", who=who,
                            proof=e2e.two_factor_token(who), json={
                                "platform": "meta", "platform_account_id": account.account_id,
                                "page_id": account.page_id, "pixel_id": account.pixel_id, **credential})
    assert connected.status_code == 201, connected.text
    return connected.json()


def plan_of(e2e: Stack, who: Person | ApiKey, workspace_id: str, brief: str, *, products: int = 1,
            timeout: float = 60.0) -> dict[str, Any]:
    """The plan of a brief once campaigns knows the `products` it names (it learns the
    catalog's products from its events, after the store's sync)."""
    def read() -> dict[str, Any] | None:
        answer = e2e.request("POST", f"/v1/workspaces/{workspace_id}/campaigns/plans", who=who,
                             json={"brief": brief, "time_zone": "Asia/Riyadh"})
        assert answer.status_code == 200, answer.text
        plan = answer.json()["plan"]
        return answer.json() if plan and len(plan["product_ids"]) >= products else None

    found = eventually(read, timeout=timeout, interval=0.2)
    assert found, f"campaigns never found {products} product(s) in {brief!r}"
    return found


def campaign_after(e2e: Stack, who: Person | ApiKey, workspace_id: str, campaign_id: str, passing: set[str], *,
                   timeout: float = 90.0) -> dict[str, Any]:
    """The campaign once its state is none of `passing` (the states it moves through on its own)."""
    path = f"/v1/workspaces/{workspace_id}/campaigns/{campaign_id}"

    def read() -> dict[str, Any] | None:
        answer = e2e.request("GET", path, who=who)
        assert answer.status_code == 200, answer.text
        return answer.json() if answer.json()["state"] not in passing else None

    campaign = eventually(read, timeout=timeout, interval=0.1)
    assert campaign, f"campaign {campaign_id} still in {sorted(passing)} after {timeout:.0f}s"
    return campaign


def campaign_in_review(e2e: Stack, who: Person | ApiKey, workspace_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Draft `body`, ask creative for its ads and wait for them: the campaign in review."""
    base = f"/v1/workspaces/{workspace_id}/campaigns"
    drafted = e2e.request("POST", base, who=who, json=body)
    assert drafted.status_code == 201, drafted.text
    campaign_id = drafted.json()["id"]
    requested = e2e.request("POST", f"{base}/{campaign_id}/creatives", who=who)
    assert requested.status_code == 202, requested.text
    campaign = campaign_after(e2e, who, workspace_id, campaign_id, {"creatives_requested"})
    assert campaign["state"] == "in_review" and campaign["ads"], campaign
    return campaign
