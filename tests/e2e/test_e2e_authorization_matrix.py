"""The authorization matrix through the gateway, with real auth behind it (RELIABILITY S1, S2).

Every public workspace route × {anonymous, a member of another workspace, that member's API
key, owner, admin, marketer, analyst, an API key of the workspace}. The expected outcome of
each case is computed from `adly_kit.permissions.PERMISSIONS` (docs/identity.md's table), so
the matrix cannot drift from the table:

- anonymous → 401;
- a member of another workspace (or its API key) → 404, byte-identical to the 404 of a
  workspace id that does not exist, and nothing changes;
- a role without the permission → 403, and nothing changes;
- a role with it → 2xx; where the permission needs 2FA: 403 `two-factor-required` without an
  X-2FA-Token (nothing changes), then 2xx with one. An API key can present no 2FA proof.

One rule is auth's, not the table's, and is data here too (`people_only`): an API key
acts on a workspace's data but not on its people or credentials (rename, invite, change a
role, remove, transfer, create keys), since auth records those as done by a person; auth
answers a key 403 there. docs/identity.md does not say so yet. Likewise a feed belongs to a
person: notifications answers an API key 403 on the feed and preference routes.

Every refused case is followed by a snapshot check: the workspace, its members, its API
keys, its stores, its campaigns and campaign policies, its ad accounts, its creative
settings, brand kit and jobs, its webhook endpoints, and the campaign or job the route names, are exactly as
before (zero effects, not only the right status). Destructive routes (delete the
workspace, remove a member, transfer ownership) run every case on a fresh workspace.

Campaign routes act on a campaign in the state the route needs (`Route.campaign`): the
world keeps one per state and, before each case, steers it back there (resume a paused
one, re-choose the ads of an approved one) or makes a new one when a success used it up
(an archived draft, a published campaign). Campaigns past review get their ads from the
session's creative service; a pool is asked for at once when the world is made.
A route whose permission in the table is not the one the gateway checks names the stricter
one the service adds (`PUT …/campaigns/settings` and `…/creatives/settings`: also
`workspace.update`; listing a login's pages and pixels: `ad_accounts.connect`).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import websockets.sync.client as ws_client
from websockets.exceptions import ConnectionClosed

from adly_kit.permissions import PERMISSIONS, Role

from .conftest import (
    ApiKey,
    People,
    Person,
    Stack,
    campaign_after,
    connect_meta,
    eventually,
    is_two_factor_required,
    meta_login,
)

# ----------------------------------------------------------------------------- routes


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # {ws}: the workspace; {member}: a member to act on; {key}: an API key to act on
    permission: str
    destructive: bool = False  # each case on a fresh workspace
    people_only: bool = False  # auth refuses API keys: the action is recorded as done by a person
    body: Any = None
    campaign: str | None = None  # the state `{campaign}` must be in
    prepare: str | None = None  # what the world readies before each case (a key to delete)

    @property
    def label(self) -> str:
        return f"{self.method} {self.template}"


ROUTES: tuple[Route, ...] = (
    Route("GET", "/v1/workspaces/{ws}", "workspace.read"),
    Route("PATCH", "/v1/workspaces/{ws}", "workspace.update", people_only=True, body={"name": "renamed"}),
    Route("DELETE", "/v1/workspaces/{ws}", "workspace.delete", destructive=True),
    Route("GET", "/v1/workspaces/{ws}/members", "members.read"),
    # The target is an analyst; setting the role it has is a no-op (204) that still needs the permission.
    Route("PATCH", "/v1/workspaces/{ws}/members/{member}", "members.change_role", people_only=True,
          body={"role": "analyst"}),
    Route("DELETE", "/v1/workspaces/{ws}/members/{member}", "members.remove", destructive=True, people_only=True),
    Route("POST", "/v1/workspaces/{ws}/ownership", "ownership.transfer", destructive=True, people_only=True,
          body={"user_id": "{member}"}),
    Route("POST", "/v1/workspaces/{ws}/invitations", "members.invite", people_only=True,
          body={"email": "{email}", "role": "analyst"}),
    Route("GET", "/v1/workspaces/{ws}/api-keys", "api_keys.read"),
    Route("POST", "/v1/workspaces/{ws}/api-keys", "api_keys.create", people_only=True,
          body={"name": "matrix", "role": "analyst"}),
    Route("DELETE", "/v1/workspaces/{ws}/api-keys/{key}", "api_keys.revoke"),
    Route("GET", "/v1/workspaces/{ws}/audit-log", "audit_log.read"),
    # catalog: a WooCommerce store of the world's workspace, on a fake store of this module's own
    Route("GET", "/v1/workspaces/{ws}/stores", "stores.read"),
    Route("POST", "/v1/workspaces/{ws}/stores/connections", "stores.connect", body={"platform": "salla"}),
    Route("POST", "/v1/workspaces/{ws}/stores", "stores.connect", body={  # reconnecting it: new keys, same store
        "platform": "woocommerce", "site_url": "{woo_site}", "consumer_key": "{woo_key}", "consumer_secret": "{woo_secret}"}),
    Route("GET", "/v1/workspaces/{ws}/stores/{store}", "stores.read"),
    Route("POST", "/v1/workspaces/{ws}/stores/{store}/syncs", "stores.sync", body={"kind": "incremental"}),
    Route("GET", "/v1/workspaces/{ws}/stores/{store}/syncs", "stores.read"),
    Route("GET", "/v1/workspaces/{ws}/stores/{store}/syncs/{sync}", "stores.read"),
    Route("GET", "/v1/workspaces/{ws}/stores/{store}/products", "stores.read"),
    Route("GET", "/v1/workspaces/{ws}/stores/{store}/products/{item}", "stores.read"),
    Route("GET", "/v1/workspaces/{ws}/stores/{store}/orders", "stores.read"),
    Route("GET", "/v1/workspaces/{ws}/stores/{store}/orders/{item}", "stores.read"),
    # Last of the store routes: disconnecting is idempotent, so later cases answer 204 too.
    Route("DELETE", "/v1/workspaces/{ws}/stores/{store}", "stores.disconnect"),
    # ad accounts: the world's Meta account ({account}; a spare one to disconnect), a finished login ({login})
    Route("GET", "/v1/workspaces/{ws}/ad-accounts", "campaigns.read"),
    Route("GET", "/v1/workspaces/{ws}/ad-accounts/{account}", "campaigns.read"),
    Route("POST", "/v1/workspaces/{ws}/ad-accounts/logins", "ad_accounts.connect", body={"platform": "meta"}),
    Route("POST", "/v1/workspaces/{ws}/ad-accounts/logins/code", "ad_accounts.connect",
          body={"code": "{code}", "state": "{state}"}),  # a login of its own per case, through the fake's dialog
    Route("GET", "/v1/workspaces/{ws}/ad-accounts/logins/{login}/accounts/{act}", "ad_accounts.connect"),
    Route("POST", "/v1/workspaces/{ws}/ad-accounts", "ad_accounts.connect", body={  # reconnecting: the same row
        "platform": "meta", "platform_account_id": "{act}", "access_token": "{token}", "page_id": "{page}",
        "pixel_id": "{pixel}"}),
    Route("PATCH", "/v1/workspaces/{ws}/ad-accounts/{account}", "ad_accounts.connect",
          body={"page_id": "{page}", "pixel_id": "{pixel}"}),
    Route("DELETE", "/v1/workspaces/{ws}/ad-accounts/{account}", "ad_accounts.disconnect"),  # idempotent
    # campaigns
    Route("POST", "/v1/workspaces/{ws}/campaigns/plans", "campaigns.write",
          body={"brief": "Matrix dresses on Instagram in Riyadh, 150 SAR a day", "time_zone": "Asia/Riyadh"}),
    Route("GET", "/v1/workspaces/{ws}/campaigns/settings", "campaigns.read"),
    Route("PUT", "/v1/workspaces/{ws}/campaigns/settings", "workspace.update", body={  # the defaults: no effect
        "approval_required": False, "approver_role": "admin", "approver_not_author": False, "budget_thresholds": {}}),
    Route("POST", "/v1/workspaces/{ws}/campaigns", "campaigns.write", body={"name": "matrix", "plan": "{plan}"}),
    Route("GET", "/v1/workspaces/{ws}/campaigns", "campaigns.read"),
    Route("GET", "/v1/workspaces/{ws}/campaigns/{campaign}", "campaigns.read", campaign="draft"),
    Route("PATCH", "/v1/workspaces/{ws}/campaigns/{campaign}", "campaigns.write", campaign="draft",
          body={"name": "matrix draft"}),
    Route("POST", "/v1/workspaces/{ws}/campaigns/{campaign}/duplicate", "campaigns.write", campaign="draft"),
    Route("PUT", "/v1/workspaces/{ws}/campaigns/{campaign}/budgets/{platform}", "campaigns.write", campaign="draft",
          body={"budget": {"kind": "daily", "amount": {"amount": "120", "currency": "SAR"}}}),  # a decrease
    Route("PUT", "/v1/workspaces/{ws}/campaigns/{campaign}/schedule", "campaigns.write", campaign="draft",
          body={"schedule": {"ends_on": "{ends_on}", "time_zone": "Asia/Riyadh"}}),
    Route("POST", "/v1/workspaces/{ws}/campaigns/{campaign}/archive", "campaigns.write", campaign="draft"),
    Route("POST", "/v1/workspaces/{ws}/campaigns/{campaign}/creatives", "campaigns.write", campaign="draft"),
    Route("GET", "/v1/workspaces/{ws}/campaigns/{campaign}/creatives", "campaigns.read", campaign="in_review"),
    Route("PUT", "/v1/workspaces/{ws}/campaigns/{campaign}/ads", "campaigns.write", campaign="in_review",
          body={"ads": "{ads}"}),
    Route("POST", "/v1/workspaces/{ws}/campaigns/{campaign}/rejection", "campaigns.write", campaign="in_review",
          body={"reason": "matrix"}),
    Route("POST", "/v1/workspaces/{ws}/campaigns/{campaign}/approval", "campaigns.write", campaign="in_review",
          body={}),
    Route("POST", "/v1/workspaces/{ws}/campaigns/{campaign}/publication", "campaigns.write", campaign="approved",
          body={"ad_accounts": {"meta": "{account}"}}),
    Route("GET", "/v1/workspaces/{ws}/campaigns/{campaign}/performance", "campaigns.read", campaign="live"),
    Route("POST", "/v1/workspaces/{ws}/campaigns/{campaign}/pause", "campaigns.write", campaign="live"),
    Route("POST", "/v1/workspaces/{ws}/campaigns/{campaign}/resume", "campaigns.write", campaign="paused"),
    Route("POST", "/v1/workspaces/{ws}/campaigns/{campaign}/end", "campaigns.write", campaign="live", body={}),
    # creative: the world's brand kit, settings and jobs ({job}: a finished one; to cancel, an open one)
    Route("GET", "/v1/workspaces/{ws}/brand-kit", "creatives.read"),
    Route("PUT", "/v1/workspaces/{ws}/brand-kit", "creatives.generate", body={"name": "Matrix"}),
    Route("GET", "/v1/workspaces/{ws}/creatives/settings", "creatives.read"),
    Route("PUT", "/v1/workspaces/{ws}/creatives/settings", "workspace.update", body={"campaign_outputs": "{outputs}"}),
    Route("PUT", "/v1/workspaces/{ws}/creatives/provider-keys/{provider}", "workspace.update",
          body={"api_key": "matrix-provider-key"}),
    Route("DELETE", "/v1/workspaces/{ws}/creatives/provider-keys/{provider}", "workspace.update",
          prepare="provider_key"),
    Route("POST", "/v1/workspaces/{ws}/creatives/jobs", "creatives.generate", body={
        "product_ids": ["{product}"], "platforms": ["meta"], "language": "en", "variants": 1,
        "modalities": {"copy": True, "images": []}}),
    Route("GET", "/v1/workspaces/{ws}/creatives/jobs", "creatives.read"),
    Route("GET", "/v1/workspaces/{ws}/creatives/jobs/{job}", "creatives.read"),
    Route("POST", "/v1/workspaces/{ws}/creatives/jobs/{job}/cancel", "creatives.generate"),
    Route("GET", "/v1/workspaces/{ws}/creatives/usage", "creatives.read"),
    # notifications: the caller's own feed (an API key has none: the service answers it 403) ...
    Route("GET", "/v1/workspaces/{ws}/notifications", "notifications.read", people_only=True),
    Route("GET", "/v1/workspaces/{ws}/notifications/unread-count", "notifications.read", people_only=True),
    Route("POST", "/v1/workspaces/{ws}/notifications/{notification}/read", "notifications.read", people_only=True),
    Route("POST", "/v1/workspaces/{ws}/notifications/read-all", "notifications.read", people_only=True),
    Route("GET", "/v1/workspaces/{ws}/notifications/preferences", "notifications.read", people_only=True),
    Route("PUT", "/v1/workspaces/{ws}/notifications/preferences", "notifications.read", people_only=True,
          body={"kinds": {"sync.failed": {"feed": True}}}),  # the default: no effect
    # ... and the workspace's webhook endpoints: the world's ({endpoint}, with deliveries), a fresh one to delete
    Route("GET", "/v1/workspaces/{ws}/webhooks", "webhooks.read"),
    Route("POST", "/v1/workspaces/{ws}/webhooks", "webhooks.manage",
          body={"url": "{hook_url}", "kinds": ["sync.failed"], "description": "matrix"}),
    Route("GET", "/v1/workspaces/{ws}/webhooks/{endpoint}", "webhooks.read"),
    Route("PATCH", "/v1/workspaces/{ws}/webhooks/{endpoint}", "webhooks.manage", body={"description": "matrix"}),
    Route("DELETE", "/v1/workspaces/{ws}/webhooks/{endpoint}", "webhooks.manage", prepare="endpoint"),
    Route("POST", "/v1/workspaces/{ws}/webhooks/{endpoint}/secret", "webhooks.manage"),
    Route("GET", "/v1/workspaces/{ws}/webhooks/{endpoint}/deliveries", "webhooks.read"),
    Route("POST", "/v1/workspaces/{ws}/webhooks/{endpoint}/deliveries/{delivery}/redeliver", "webhooks.manage"),
)
# The world's campaigns make only a copy and the 1:1 image: enough for Meta, quick on a busy box.
OUTPUTS = {"copy": True, "images": ["1:1"], "voice_over": False, "video": False}
PROVIDER = "elevenlabs"  # its key is never used here: campaigns ask for no voice-over

PRINCIPALS = ("anonymous", "outsider", "outsider_key", "owner", "admin", "marketer", "analyst", "api_key")
API_KEY_ROLE = Role.ADMIN  # the most an API key can be (never owner)
ROLE_OF = {"owner": Role.OWNER, "admin": Role.ADMIN, "marketer": Role.MARKETER, "analyst": Role.ANALYST,
           "api_key": API_KEY_ROLE}


def expected(route: Route, principal: str) -> str:
    """'401' | '404' | '403' | '403-2fa' (no proof possible) | '2fa-then-2xx' | '2xx', from the table."""
    if principal == "anonymous":
        return "401"
    if principal in ("outsider", "outsider_key"):
        return "404"
    roles, needs_two_factor = PERMISSIONS[route.permission]
    if ROLE_OF[principal] not in roles:
        return "403"
    if principal == "api_key":
        if needs_two_factor:
            return "403-2fa"  # a key has no second factor to prove
        return "403" if route.people_only else "2xx"
    return "2fa-then-2xx" if needs_two_factor else "2xx"


# ------------------------------------------------------------------------------ world


@dataclass(frozen=True)
class Store:
    """The world's connected WooCommerce store and what its first sync brought in."""

    site: str
    key: str
    secret: str
    id: str
    sync: str
    product: str
    order: str


@dataclass
class World:
    """A workspace with one member of each role, an analyst to act on, and an admin API key."""

    workspace_id: str
    owner: Person
    admin: Person
    marketer: Person | None = None
    analyst: Person | None = None
    target: Person | None = None
    api_key: ApiKey | None = None
    store: Store | None = None
    ads: Ads | None = None
    endpoint: str = ""  # a webhook endpoint for every kind, on the stack's receiver
    hook_url: str = ""


@dataclass
class Shared:
    world: World
    other_workspace: str
    outsider: Person
    outsider_key: ApiKey
    people: People
    marketer: Person
    analyst: Person
    target: Person
    store: Store | None = None


def connect_store(e2e: Stack, owner: Person, workspace_id: str, fake) -> Store:
    key, secret = fake.add_key()
    base = f"/v1/workspaces/{workspace_id}/stores"
    created = e2e.request("POST", base, who=owner, proof=e2e.two_factor_token(owner), json={
        "platform": "woocommerce", "site_url": fake.site_url, "consumer_key": key, "consumer_secret": secret})
    assert created.status_code == 201, created.text
    store_id = created.json()["id"]

    def synced():
        syncs = e2e.request("GET", f"{base}/{store_id}/syncs", who=owner).json()
        return syncs[0] if syncs and syncs[0]["state"] == "completed" else None

    sync = eventually(synced, timeout=60)
    assert sync, "the store's first sync did not complete"
    first = lambda kind: e2e.request("GET", f"{base}/{store_id}/{kind}", who=owner).json()["items"][0]["id"]  # noqa: E731
    return Store(fake.site_url, key, secret, store_id, sync["id"], first("products"), first("orders"))


# ------------------------------------------------------------------ the world's advertising


class PhotoStall:
    """A store's photo host that answers nothing until released: a creative job fetching a
    photo from it stays open (running) meanwhile, up to creative's own photo timeout."""

    def __init__(self) -> None:
        import http.server

        released = self.released = threading.Event()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's hook name
                released.wait(60)
                self.send_response(404)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/photos/stalled.jpg"

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


# How the owner brings a campaign back to the state a route needs, when one step does it.
STEER = {("paused", "live"): "resume", ("live", "paused"): "pause", ("approved", "in_review"): "ads"}


@dataclass
class Ads:
    """The world's Meta ad accounts, a finished login, creative jobs, and a campaign per state."""

    e2e: Stack
    owner: Person
    workspace: str
    plan: dict[str, Any]
    product: str                # a product campaigns and creative know
    stalled: str                # a product whose photo never comes
    account: Any                # the fake's SeededAccount, connected
    account_id: str
    spare_id: str               # another connected account, for the disconnect route
    login: str                  # a finished Facebook Login, never used to connect
    job: str                    # a creative job
    campaigns: dict[str, str] = field(default_factory=dict)  # state -> the campaign kept in it
    reviewed: list[str] = field(default_factory=list)  # asked for creatives at once when the world was made
    published: list[str] = field(default_factory=list)  # used up by a publication case: live soon
    open_job: str | None = None

    def call(self, method: str, tail: str, status: int = 200, **kwargs: Any) -> dict[str, Any]:
        """As the owner; the answer must be `status`."""
        proof = self.e2e.two_factor_token(self.owner) if kwargs.pop("proof", False) else None
        answer = self.e2e.request(method, f"/v1/workspaces/{self.workspace}{tail}", who=self.owner, proof=proof,
                                  **kwargs)
        assert answer.status_code == status, show(answer)
        return answer.json() if answer.content else {}

    # -- campaigns

    def campaign(self, wanted: str) -> str:
        """The world's campaign in state `wanted`: the one kept, steered back, or a new one."""
        campaign_id = self.campaigns.get(wanted)
        state = self.call("GET", f"/campaigns/{campaign_id}")["state"] if campaign_id else None
        if campaign_id and state != wanted and (state, wanted) in STEER:
            self._steer(campaign_id, STEER[(state, wanted)])
            state = self.call("GET", f"/campaigns/{campaign_id}")["state"]
        if state != wanted:
            if campaign_id and wanted == "approved":
                self.published.append(campaign_id)
            campaign_id = self.campaigns[wanted] = self._make(wanted)
        return campaign_id

    def _steer(self, campaign_id: str, action: str) -> None:
        if action == "ads":
            ads = self.call("GET", f"/campaigns/{campaign_id}")["ads"]
            self.call("PUT", f"/campaigns/{campaign_id}/ads", json={"ads": ads})
        else:
            self.call("POST", f"/campaigns/{campaign_id}/{action}")

    def draft(self) -> str:
        return self.call("POST", "/campaigns", 201, json={"name": "matrix", "plan": self.plan})["id"]

    def ask_for_reviews(self, count: int) -> None:
        for _ in range(count):
            campaign_id = self.draft()
            self.call("POST", f"/campaigns/{campaign_id}/creatives", 202)
            self.reviewed.append(campaign_id)

    def _make(self, wanted: str) -> str:
        if wanted == "draft":
            return self.draft()
        if wanted == "in_review":
            if not self.reviewed:
                self.ask_for_reviews(1)
            campaign_id = self.reviewed.pop(0)
            reviewed = campaign_after(self.e2e, self.owner, self.workspace, campaign_id, {"creatives_requested"})
            assert reviewed["state"] == "in_review", reviewed
            return campaign_id
        if wanted == "approved":
            campaign_id = self._make("in_review")
            self.call("POST", f"/campaigns/{campaign_id}/approval", json={})
            return campaign_id
        if wanted == "live":
            campaign_id = self.published.pop(0) if self.published else self._publish(self._make("approved"))
            return self._settled(campaign_id)
        assert wanted == "paused", wanted
        campaign_id = self._make("live")
        self.call("POST", f"/campaigns/{campaign_id}/pause")
        return campaign_id

    def _publish(self, campaign_id: str) -> str:
        self.call("POST", f"/campaigns/{campaign_id}/publication", 202, json={"ad_accounts": {"meta": self.account_id}})
        return campaign_id

    def _settled(self, campaign_id: str) -> str:
        """Live, with Meta's first review of every ad read back: nothing changes it on its own any more."""
        live = campaign_after(self.e2e, self.owner, self.workspace, campaign_id, {"approved", "publishing"})
        assert live["state"] == "live", live
        reviewed = eventually(lambda: len(self.call("GET", f"/campaigns/{campaign_id}")["reviews"]) == len(live["ads"]),
                              timeout=30, interval=0.1)
        assert reviewed, self.call("GET", f"/campaigns/{campaign_id}")
        return campaign_id

    # -- logins, creative

    def fresh_code(self) -> tuple[str, str]:
        """A login started by the owner and approved on the fake's dialog: its code and state."""
        started = self.call("POST", "/ad-accounts/logins", 201, proof=True, json={"platform": "meta"})
        dialog = httpx.get(started["authorize_url"], follow_redirects=False, timeout=15)
        query = {k: v[0] for k, v in parse_qs(urlsplit(dialog.headers["location"]).query).items()}
        return query["code"], query["state"]

    def job_to_cancel(self) -> str:
        """An open creative job: one of the stalled product, whose photo never comes."""
        if self.open_job and self.call("GET", f"/creatives/jobs/{self.open_job}")["status"] in ("queued", "running"):
            return self.open_job
        body = {"product_ids": [self.stalled], "platforms": ["meta"], "language": "en", "variants": 1,
                "modalities": {"copy": True, "images": ["1:1"]}}
        answer = eventually(lambda: (r := self.e2e.request(
            "POST", f"/v1/workspaces/{self.workspace}/creatives/jobs", who=self.owner, json=body)).status_code != 422
            and r, timeout=60, interval=0.2)  # creative learns the product from the catalog's events
        assert answer and answer.status_code == 202, answer and show(answer)
        self.open_job = answer.json()["id"]
        return self.open_job


def make_ads(e2e: Stack, owner: Person, workspace_id: str, store: Store, stalled_name: str) -> Ads:
    meta = e2e.meta
    account, spare = (meta.seed_account(name=f"Matrix {n}", currency="SAR", time_zone="Asia/Riyadh")
                      for n in ("ads", "spare"))
    account_id = connect_meta(e2e, owner, workspace_id, account)["id"]
    spare_id = connect_meta(e2e, owner, workspace_id, spare)["id"]
    login = meta_login(e2e, owner, workspace_id)["login_id"]
    settings = e2e.request("PUT", f"/v1/workspaces/{workspace_id}/creatives/settings", who=owner,
                           json={"campaign_outputs": OUTPUTS})
    assert settings.status_code == 200, show(settings)
    products = e2e.request("GET", f"/v1/workspaces/{workspace_id}/stores/{store.id}/products", who=owner,
                           params={"limit": 100}).json()["items"]
    stalled = next(p["id"] for p in products if p["data"]["name"] == stalled_name)
    product = next(p["id"] for p in products if p["id"] not in (stalled,))
    plan = {"objective": "sales", "platforms": ["meta"], "schedule": {"time_zone": "Asia/Riyadh"},
            "budgets": [{"platform": "meta", "budget": {"kind": "daily", "amount": {"amount": "150", "currency": "SAR"}}}],
            "audience": {"countries": ["SA"]}, "product_ids": [product], "creative_language": "en",
            "variants_per_platform": 1}
    first = eventually(lambda: (r := e2e.request("POST", f"/v1/workspaces/{workspace_id}/campaigns", who=owner, json={
        "name": "matrix", "plan": plan})).status_code != 422 and r, timeout=60, interval=0.2)  # until campaigns knows it
    assert first and first.status_code == 201, first and show(first)
    # Creative learns the product from the catalog's events on its own consumer, so knowing it in
    # campaigns says nothing about creative: each is waited for.
    job_body = {"product_ids": [product], "platforms": ["meta"], "language": "en", "variants": 1,
                "modalities": {"copy": True, "images": []}}
    job = eventually(lambda: (r := e2e.request("POST", f"/v1/workspaces/{workspace_id}/creatives/jobs", who=owner,
                                               json=job_body)).status_code != 422 and r, timeout=60, interval=0.2)
    assert job and job.status_code == 202, job and show(job)
    ads = Ads(e2e, owner, workspace_id, plan, product, stalled, account, account_id, spare_id, login, job.json()["id"])
    ads.campaigns["draft"] = first.json()["id"]
    # In review soon: the approval, publication, pause and end cases use them up one by one.
    ads.ask_for_reviews(8)
    return ads


@pytest.fixture(scope="module")
def shared(e2e: Stack, people: People):
    marketer, analyst, target = (e2e.signup(prefix=p) for p in ("marketer", "analyst", "target"))
    workspace_id = e2e.create_workspace(people.owner, "matrix")
    # An endpoint for every kind before the members join: each joining is a notice (member.invited)
    # and so a delivery, which the redelivery route names.
    hook = e2e.webhooks.hook()
    endpoint = e2e.request("POST", f"/v1/workspaces/{workspace_id}/webhooks", who=people.owner,
                           proof=e2e.two_factor_token(people.owner), json={"url": hook.url, "kinds": []})
    assert endpoint.status_code == 201, show(endpoint)
    hook.secret = endpoint.json()["secret"]
    e2e.add_members(workspace_id, people.owner,
                    [(people.admin, "admin"), (marketer, "marketer"), (analyst, "analyst"), (target, "analyst")])
    key = e2e.create_api_key(workspace_id, people.owner, API_KEY_ROLE.value)
    other = e2e.create_workspace(people.outsider, "elsewhere")
    outsider_key = e2e.create_api_key(other, people.outsider, API_KEY_ROLE.value)
    world = World(workspace_id, people.owner, people.admin, marketer, analyst, target, key,
                  endpoint=endpoint.json()["id"], hook_url=hook.url)
    from tests.fakes.woocommerce import FakeWooCommerce

    stall = PhotoStall()
    try:
        with FakeWooCommerce() as woo:
            woo.seed(products=3, orders=2)
            stalled = woo.add_product("Matrix stalled photo", images=0)
            woo.update_product(stalled["id"], images=[{"id": 1, "src": stall.url, "name": "stalled", "alt": ""}])
            store = connect_store(e2e, people.owner, workspace_id, woo)
            world.store = store
            world.ads = make_ads(e2e, people.owner, workspace_id, store, stalled["name"])
            yield Shared(world, other, people.outsider, outsider_key, people, marketer, analyst, target, store)
    finally:
        stall.close()


def fresh_world(e2e: Stack, shared: Shared, principal: str) -> World:
    """A new workspace of the same owner, with only what this case needs: the principal's
    membership (or key) and an analyst to act on."""
    world = World(e2e.create_workspace(shared.people.owner, "fresh"), shared.people.owner, shared.people.admin)
    members = [(shared.target, "analyst")]
    if principal == "admin":
        members.append((shared.people.admin, "admin"))
    elif principal == "marketer":
        members.append((shared.marketer, "marketer"))
    elif principal == "analyst":
        members.append((shared.analyst, "analyst"))
    e2e.add_members(world.workspace_id, world.owner, members)
    world.target = shared.target
    world.marketer = shared.marketer if principal == "marketer" else None
    world.analyst = shared.analyst if principal == "analyst" else None
    if principal == "api_key":
        world.api_key = e2e.create_api_key(world.workspace_id, world.owner, API_KEY_ROLE.value)
    return world


def caller(shared: Shared, world: World, principal: str) -> Person | ApiKey | None:
    return {
        "anonymous": None,
        "outsider": shared.outsider,
        "outsider_key": shared.outsider_key,
        "owner": world.owner,
        "admin": world.admin,
        "marketer": world.marketer,
        "analyst": world.analyst,
        "api_key": world.api_key,
    }[principal]


def render(value: Any, names: dict[str, Any]) -> Any:
    """`value` with `{name}`s filled in; a string that is one `{name}` of a list or an object becomes it."""
    if isinstance(value, str):
        whole = names.get(value[1:-1]) if value.startswith("{") and value.endswith("}") else None
        return whole if whole is not None and not isinstance(whole, str) else value.format(**names)
    if isinstance(value, dict):
        return {k: render(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, names) for v in value]
    return value


def case_names(route: Route, world: World, key_id: str | None = None) -> dict[str, Any]:
    """What the route's placeholders stand for in this case; the world readies what it names."""
    store, ads = world.store, world.ads
    names: dict[str, Any] = {
        "ws": world.workspace_id,
        "member": world.target.user_id,
        "key": key_id or "",
        "email": f"invitee-{secrets.token_hex(5)}@example.com",
        "store": store.id if store else "",
        "sync": store.sync if store else "",
        "item": (store.order if "/orders/" in route.template else store.product) if store else "",
        "woo_site": store.site if store else "",
        "woo_key": store.key if store else "",
        "woo_secret": store.secret if store else "",
        "endpoint": world.endpoint,
        "hook_url": world.hook_url,
    }
    if "{delivery}" in route.template:
        names["delivery"] = first_delivery(world)
    if route.prepare == "endpoint":
        names["endpoint"] = new_endpoint(world)
    if ads is None:
        return names
    names |= {
        "account": ads.spare_id if route.method == "DELETE" else ads.account_id, "act": ads.account.account_id,
        "token": ads.account.token, "page": ads.account.page_id, "pixel": ads.account.pixel_id, "login": ads.login,
        "plan": ads.plan, "platform": "meta", "ends_on": (date.today() + timedelta(days=40)).isoformat(),
        "outputs": OUTPUTS, "provider": PROVIDER, "product": ads.product, "job": ads.job,
    }
    if route.campaign:
        names["campaign"] = ads.campaign(route.campaign)
        if "{ads}" in str(route.body):
            names["ads"] = ads.call("GET", f"/campaigns/{names['campaign']}")["ads"]
    if "/logins/code" in route.template:
        names["code"], names["state"] = ads.fresh_code()
    if route.template.endswith("/cancel"):
        names["job"] = ads.job_to_cancel()
    if route.prepare == "provider_key":
        ads.call("PUT", f"/creatives/provider-keys/{PROVIDER}", 204, json={"api_key": "matrix-provider-key"})
    return names


def first_delivery(world: World) -> str:
    """A delivery of the world's endpoint (the members' joining made some)."""
    e2e, path = world.ads.e2e, f"/v1/workspaces/{world.workspace_id}/webhooks/{world.endpoint}/deliveries"
    found = eventually(lambda: e2e.request("GET", path, who=world.owner).json()["deliveries"], timeout=30, interval=0.1)
    assert found, "the world's endpoint has no delivery"
    return found[-1]["id"]


def new_endpoint(world: World) -> str:
    """Another endpoint of the world, for a case to delete."""
    e2e = world.ads.e2e
    made = e2e.request("POST", f"/v1/workspaces/{world.workspace_id}/webhooks", who=world.owner,
                       proof=e2e.two_factor_token(world.owner), json={"url": world.hook_url, "kinds": ["sync.failed"]})
    assert made.status_code == 201, show(made)
    return made.json()["id"]


def own_notification(e2e: Stack, world: World, who: Person | ApiKey | None, principal: str) -> str:
    """An item of the caller's own feed (a member's joining told them or the owner), or any id
    for a caller that has no feed here."""
    if principal not in ("owner", "admin", "marketer", "analyst"):
        return str(uuid.uuid4())
    path = f"/v1/workspaces/{world.workspace_id}/notifications"
    items = eventually(lambda: e2e.request("GET", path, who=who).json()["items"], timeout=30, interval=0.1)
    assert items, f"the {principal}'s feed is empty"
    return items[0]["id"]


def pages(e2e: Stack, who: Person, path: str, cursor: str) -> list[dict[str, Any]]:
    """Every item of a paged list."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        answer = e2e.request("GET", path, who=who, params=params)
        assert answer.status_code == 200, show(answer)
        items += answer.json()["items"]
        after = answer.json().get(cursor)
        if not after:
            return items
        params["cursor" if cursor == "next_cursor" else "after"] = after


def snapshot(e2e: Stack, world: World, names: dict[str, Any] | None = None) -> dict[str, Any]:
    """The workspace as its owner sees it: name, members and roles, API keys and revocations,
    stores, campaigns and their policies, ad accounts, creative's brand kit, settings and jobs,
    and the campaign or job the case names."""
    owner = world.owner
    base = f"/v1/workspaces/{world.workspace_id}"
    got: dict[str, Any] = {}
    for name, tail in (("workspace", ""), ("members", "/members"), ("keys", "/api-keys"), ("stores", "/stores"),
                       ("policies", "/campaigns/settings"), ("accounts", "/ad-accounts"), ("brand", "/brand-kit"),
                       ("creative", "/creatives/settings"), ("webhooks", "/webhooks")):
        answer = e2e.request("GET", f"{base}{tail}", who=owner)
        assert answer.status_code == 200, f"the owner lost {name}: {show(answer)}"
        got[name] = answer.json()
    # Campaign jobs come and go on their own (creative answers campaigns): only the merchant's own count here.
    jobs = [j["id"] for j in pages(e2e, owner, f"{base}/creatives/jobs", "next") if j["campaign_id"] is None]
    state: dict[str, Any] = {
        "name": got["workspace"]["name"],
        "members": sorted((m["user_id"], m["role"]) for m in got["members"]),
        "keys": sorted((k["id"], k["revoked_at"]) for k in got["keys"]),
        "stores": sorted((s["id"], s["status"]) for s in got["stores"]),
        "campaigns": sorted(c["id"] for c in pages(e2e, owner, f"{base}/campaigns", "next_cursor")),
        "policies": got["policies"],
        "ad_accounts": sorted((a["id"], a["status"], a["page_id"], a["pixel_id"]) for a in got["accounts"]),
        "brand": (got["brand"]["name"], got["brand"]["tone"]),
        "creative": (sorted((k["provider"], k["source"]) for k in got["creative"]["provider_keys"]),
                     got["creative"]["campaign_outputs"], got["creative"]["monthly_job_quota"]),
        "jobs": sorted(jobs),
        "webhooks": sorted((e["id"], e["url"], tuple(e["kinds"]), e["description"], e["enabled"])
                           for e in got["webhooks"]),
    }
    if names and names.get("campaign"):
        campaign = e2e.request("GET", f"{base}/campaigns/{names['campaign']}", who=owner).json()
        state["campaign"] = (campaign["state"], campaign["version"], campaign["name"], campaign["plan"])
    if names and names.get("job") and "{job}" in names.get("_template", ""):
        state["job cancelled"] = e2e.request("GET", f"{base}/creatives/jobs/{names['job']}",
                                             who=owner).json()["status"] == "cancelled"
    return state


def send(e2e: Stack, route: Route, names: dict[str, Any], who: Person | ApiKey | None, *, proof: str | None = None,
         workspace_id: str | None = None) -> httpx.Response:
    names = names | ({"ws": workspace_id} if workspace_id else {})
    body = render(route.body, names)
    return e2e.request(route.method, render(route.template, names), who=who, proof=proof,
                       json=body if body is not None else None)


def show(response: httpx.Response) -> str:
    return f"{response.request.method} {response.request.url.path} -> {response.status_code} {response.text[:300]}"


# ------------------------------------------------------------------------------ cases


CASES = [pytest.param(route, principal, id=f"{route.label}-{principal}") for route in ROUTES for principal in PRINCIPALS]


@pytest.mark.parametrize(("route", "principal"), CASES)
def test_observed_status_equals_the_permission_table(e2e: Stack, shared: Shared, route: Route, principal: str):
    world = fresh_world(e2e, shared, principal) if route.destructive else shared.world
    who = caller(shared, world, principal)
    key_id = None
    if "{key}" in route.template:  # a key of its own to revoke, never the caller's
        key_id = e2e.create_api_key(world.workspace_id, world.owner, "analyst", wait=False).key_id
    names = case_names(route, world, key_id) | {"_template": route.template}
    if "{notification}" in route.template:
        names["notification"] = own_notification(e2e, world, who, principal)
    want = expected(route, principal)
    proof = e2e.two_factor_token(who) if isinstance(who, Person) and who.totp_secret else None
    before = snapshot(e2e, world, names)

    if want == "2xx":
        response = send(e2e, route, names, who)
        assert response.is_success, show(response)
        return

    if want == "2fa-then-2xx":
        without = send(e2e, route, names, who)
        assert is_two_factor_required(without), show(without)
        assert snapshot(e2e, world, names) == before
        response = send(e2e, route, names, who, proof=proof)
        assert response.is_success, show(response)
        if route.method == "DELETE" and route.template == "/v1/workspaces/{ws}":
            gone = eventually(lambda: e2e.request("GET", f"/v1/workspaces/{world.workspace_id}", who=world.owner)
                              .status_code == 404)
            assert gone, "the deleted workspace still answers its owner at the gateway"
        return

    attempts = [send(e2e, route, names, who)]
    if proof is not None:  # a 2FA proof unlocks nothing the role or membership does not allow
        attempts.append(send(e2e, route, names, who, proof=proof))
    for response in attempts:
        if want == "401":
            assert response.status_code == 401, show(response)
        elif want == "404":
            assert response.status_code == 404, show(response)
            unknown = send(e2e, route, names, who, workspace_id=str(uuid.uuid4()))
            assert unknown.status_code == 404 and response.content == unknown.content, (show(response), show(unknown))
            assert world.workspace_id not in response.text
        elif want == "403-2fa":
            assert is_two_factor_required(response), show(response)
        else:
            assert response.status_code == 403 and not is_two_factor_required(response), show(response)
    assert snapshot(e2e, world, names) == before, f"a refused {route.label} by {principal} changed the workspace"


def test_the_matrix_covers_every_workspace_route_of_the_openapi_document(e2e: Stack):
    """A workspace route added to any service fails here until the matrix lists it."""
    document = e2e.http.get("/openapi.json").json()
    published = {
        (method.upper(), path.replace("{workspace_id}", "{ws}").replace("{user_id}", "{member}").replace("{key_id}", "{key}")
         .replace("{store_id}", "{store}").replace("{sync_id}", "{sync}").replace("{item_id}", "{item}")
         .replace("{campaign_id}", "{campaign}").replace("{account_id}", "{account}").replace("{login_id}", "{login}")
         .replace("{platform_account_id}", "{act}").replace("{job_id}", "{job}")
         .replace("{notification_id}", "{notification}").replace("{endpoint_id}", "{endpoint}")
         .replace("{delivery_id}", "{delivery}"))
        for path, item in document["paths"].items() if path.startswith("/v1/workspaces/")
        for method in item if method in ("get", "post", "put", "patch", "delete")
    }
    assert published == {(r.method, r.template) for r in ROUTES}
    assert all(r.permission in PERMISSIONS for r in ROUTES)


# ---------------------------------------------------------------- routes without {id}


def test_routes_outside_a_workspace_follow_who_is_calling(e2e: Stack, shared: Shared):
    world = shared.world
    # Anonymous: 401 on every one of them.
    for method, path in (("GET", "/v1/workspaces"), ("POST", "/v1/workspaces"),
                         ("POST", "/v1/invitations/anything/accept")):
        response = e2e.request(method, path, json={"name": "x"} if method == "POST" else None)
        assert response.status_code == 401, show(response)
    # An API key is no person: it lists, creates and accepts nothing.
    for method, path, body in (("GET", "/v1/workspaces", None), ("POST", "/v1/workspaces", {"name": "by a key"}),
                               ("POST", "/v1/invitations/anything/accept", None)):
        response = e2e.request(method, path, who=world.api_key, json=body)
        assert response.status_code == 403, show(response)
    # A person lists exactly their own workspaces: the outsider never sees the matrix workspace.
    mine = e2e.request("GET", "/v1/workspaces", who=shared.outsider)
    assert mine.status_code == 200 and [w["id"] for w in mine.json()] == [shared.other_workspace], show(mine)
    theirs = {w["id"]: w["role"] for w in e2e.request("GET", "/v1/workspaces", who=world.analyst).json()}
    assert theirs[world.workspace_id] == "analyst" and shared.other_workspace not in theirs
    # An invitation works only for the person it was sent to, and only once.
    invitee = e2e.signup(prefix="invitee")
    token = e2e.invite(world.workspace_id, world.owner, invitee.email, "analyst")
    stolen = e2e.request("POST", f"/v1/invitations/{token}/accept", who=shared.outsider)
    assert stolen.status_code == 404, show(stolen)
    assert e2e.request("POST", f"/v1/invitations/{token}/accept", who=invitee).status_code == 200
    again = e2e.request("POST", f"/v1/invitations/{token}/accept", who=invitee)
    assert again.status_code == 404, show(again)


def test_ids_of_one_workspace_do_nothing_under_another(e2e: Stack, shared: Shared):
    """BOLA (S1): the outsider, in its own workspace, names the matrix workspace's member and key."""
    world, other = shared.world, shared.other_workspace
    proof = e2e.two_factor_token(shared.outsider)
    before = snapshot(e2e, world)
    for method, path, body in (
        ("PATCH", f"/v1/workspaces/{other}/members/{world.target.user_id}", {"role": "marketer"}),
        ("DELETE", f"/v1/workspaces/{other}/members/{world.target.user_id}", None),
        ("POST", f"/v1/workspaces/{other}/ownership", {"user_id": world.target.user_id}),
        ("DELETE", f"/v1/workspaces/{other}/api-keys/{world.api_key.key_id}", None),
    ):
        response = e2e.request(method, path, who=shared.outsider, proof=proof, json=body)
        assert response.status_code == 404, show(response)
        assert world.workspace_id not in response.text
    assert snapshot(e2e, world) == before
    assert e2e.request("GET", f"/v1/workspaces/{world.workspace_id}", who=world.api_key).status_code == 200


def test_a_second_factor_counts_only_for_its_own_person(e2e: Stack, shared: Shared):
    world = shared.world
    admins_proof = e2e.two_factor_token(world.admin)
    response = e2e.request("POST", f"/v1/workspaces/{world.workspace_id}/api-keys", who=world.owner,
                           proof=admins_proof, json={"name": "borrowed proof", "role": "analyst"})
    assert is_two_factor_required(response), show(response)


def test_a_member_may_leave_but_the_owner_may_not(e2e: Stack, shared: Shared):
    world = fresh_world(e2e, shared, "analyst")
    leave = e2e.request("DELETE", f"/v1/workspaces/{world.workspace_id}/members/{world.analyst.user_id}",
                        who=world.analyst)
    assert leave.status_code == 204, show(leave)
    gone = eventually(lambda: e2e.request("GET", f"/v1/workspaces/{world.workspace_id}", who=world.analyst)
                      .status_code == 404)
    assert gone, "the gateway still lets a member who left into the workspace"
    owner = world.owner
    stay = e2e.request("DELETE", f"/v1/workspaces/{world.workspace_id}/members/{owner.user_id}", who=owner,
                       proof=e2e.two_factor_token(owner))
    assert stay.status_code == 409, show(stay)


# ----------------------------------------------------------------------- live socket


def live(e2e: Stack, workspace_id: str, first: dict | None) -> tuple[str, Any]:
    """('ready', message) or ('closed', close code)."""
    url = e2e.gateway_url.replace("http://", "ws://") + f"/v1/workspaces/{workspace_id}/live"
    with ws_client.connect(url, open_timeout=10) as socket:
        if first is not None:
            socket.send(json.dumps(first))
        try:
            return "ready", json.loads(socket.recv(timeout=15))
        except ConnectionClosed as closed:
            return "closed", closed.rcvd.code if closed.rcvd else None


def token_of(who: Person | ApiKey) -> str:
    return who.access_token if isinstance(who, Person) else who.secret


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_the_live_socket_is_authorised_like_a_route(e2e: Stack, shared: Shared, principal: str):
    world = shared.world
    who = caller(shared, world, principal)
    first = {"type": "auth"} if who is None else {"type": "auth", "token": token_of(who)}
    outcome = live(e2e, world.workspace_id, first)
    roles, _ = PERMISSIONS["workspace.read"]
    if principal == "anonymous":
        assert outcome == ("closed", 4401)
    elif principal in ("outsider", "outsider_key"):
        assert outcome == ("closed", 4404)
    else:
        assert ROLE_OF[principal] in roles
        assert outcome == ("ready", {"type": "ready", "workspace_id": world.workspace_id})


def test_the_live_socket_carries_the_workspaces_own_events(e2e: Stack, shared: Shared):
    world = shared.world
    url = e2e.gateway_url.replace("http://", "ws://") + f"/v1/workspaces/{world.workspace_id}/live"
    with ws_client.connect(url, open_timeout=10) as socket:
        socket.send(json.dumps({"type": "auth", "token": world.analyst.access_token}))
        assert json.loads(socket.recv(timeout=15))["type"] == "ready"
        elsewhere = e2e.request("PATCH", f"/v1/workspaces/{shared.other_workspace}", who=shared.outsider,
                                json={"name": f"elsewhere {secrets.token_hex(3)}"})
        name = f"live {secrets.token_hex(3)}"
        here = e2e.request("PATCH", f"/v1/workspaces/{world.workspace_id}", who=world.owner, json={"name": name})
        assert elsewhere.status_code == here.status_code == 200
        deadline = time.monotonic() + 20
        while True:  # earlier events of this workspace may still be on their way: skip them
            event = json.loads(socket.recv(timeout=max(deadline - time.monotonic(), 0.1)))
            assert event["workspace_id"] == world.workspace_id, event
            if event["event_type"] == "WorkspaceRenamed" and event["payload"]["name"] == name:
                break
