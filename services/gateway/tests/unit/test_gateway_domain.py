"""The gateway's rules without I/O: route table, authorization, GCRA, API key shapes, idempotency keys."""

from __future__ import annotations

import uuid

import pytest

from adly_gateway.domain.authorization import Verdict, authorize
from adly_gateway.domain.idempotency import applies, fingerprint, valid_key
from adly_gateway.domain.paths import non_canonical
from adly_gateway.domain.principal import Principal, parse_api_key
from adly_gateway.domain.ratelimit import Decision, Quota, decide, limit_header, policy_header
from adly_gateway.domain.routes import ROUTES, Access, resolve
from adly_kit.permissions import PERMISSIONS

WS = str(uuid.uuid4())


@pytest.mark.parametrize(("method", "path", "upstream", "permission"), [
    ("GET", f"/v1/workspaces/{WS}/members", "auth", "members.read"),
    ("PATCH", f"/v1/workspaces/{WS}/members/u", "auth", "members.change_role"),
    ("DELETE", f"/v1/workspaces/{WS}/members/u", "auth", "members.remove"),
    ("POST", f"/v1/workspaces/{WS}/api-keys", "auth", "api_keys.create"),
    ("DELETE", f"/v1/workspaces/{WS}/api-keys/k", "auth", "api_keys.revoke"),
    ("DELETE", f"/v1/workspaces/{WS}", "auth", "workspace.delete"),
    ("POST", f"/v1/workspaces/{WS}/ownership", "auth", "ownership.transfer"),
    ("POST", f"/v1/workspaces/{WS}/stores", "catalog", "stores.connect"),
    ("DELETE", f"/v1/workspaces/{WS}/stores/s", "catalog", "stores.disconnect"),
    ("GET", f"/v1/workspaces/{WS}/stores/s/products", "catalog", "stores.read"),
    ("POST", f"/v1/workspaces/{WS}/campaigns/c/launch", "campaigns", "campaigns.write"),
    ("POST", f"/v1/workspaces/{WS}/ad-accounts", "campaigns", "ad_accounts.connect"),
    ("POST", f"/v1/workspaces/{WS}/creatives", "creative", "creatives.generate"),
    ("GET", f"/v1/workspaces/{WS}/brand-kit", "creative", "creatives.read"),
    ("GET", f"/v1/workspaces/{WS}/analytics/overview", "analytics", "analytics.read"),
    ("POST", f"/v1/workspaces/{WS}/analytics/exports", "analytics", "data.export"),
    ("GET", f"/v1/workspaces/{WS}/notifications", "notifications", "notifications.read"),
    ("GET", f"/v1/workspaces/{WS}/notifications/unread-count", "notifications", "notifications.read"),
    ("POST", f"/v1/workspaces/{WS}/notifications/n/read", "notifications", "notifications.read"),
    ("PUT", f"/v1/workspaces/{WS}/notifications/preferences", "notifications", "notifications.read"),
    ("GET", f"/v1/workspaces/{WS}/webhooks", "notifications", "webhooks.read"),
    ("GET", f"/v1/workspaces/{WS}/webhooks/e/deliveries", "notifications", "webhooks.read"),
    ("POST", f"/v1/workspaces/{WS}/webhooks", "notifications", "webhooks.manage"),
    ("PATCH", f"/v1/workspaces/{WS}/webhooks/e", "notifications", "webhooks.manage"),
    ("DELETE", f"/v1/workspaces/{WS}/webhooks/e", "notifications", "webhooks.manage"),
    ("POST", f"/v1/workspaces/{WS}/webhooks/e/secret", "notifications", "webhooks.manage"),
    ("POST", f"/v1/workspaces/{WS}/webhooks/e/deliveries/d/redeliver", "notifications", "webhooks.manage"),
    ("GET", f"/v1/workspaces/{WS}/audit-log", "gateway", "audit_log.read"),
])
def test_the_route_table_follows_identity_md(method, path, upstream, permission):
    match = resolve(method, path).match
    assert match is not None
    assert (match.route.upstream, match.route.permission) == (upstream, permission)


def test_webhook_answers_that_carry_a_secret_are_never_stored_for_replays():
    def credential(method, tail):
        return resolve(method, f"/v1/workspaces/{WS}/webhooks{tail}").match.route.credential

    assert credential("POST", "") and credential("POST", "/e/secret")
    assert not credential("PATCH", "/e") and not credential("POST", "/e/deliveries/d/redeliver")
    assert not credential("GET", "")


def test_notifications_take_no_delete():
    resolution = resolve("DELETE", f"/v1/workspaces/{WS}/notifications/n")
    assert resolution.match is None and resolution.allowed_methods == {"GET", "HEAD", "POST", "PUT"}


def test_every_workspace_route_names_a_known_permission():
    for route in ROUTES:
        if route.access is Access.WORKSPACE:
            assert route.permission in PERMISSIONS, route.template


def test_unknown_paths_and_methods():
    assert resolve("GET", "/v1/unknown").match is None
    resolution = resolve("PUT", f"/v1/workspaces/{WS}/live")
    assert resolution.match is None and resolution.allowed_methods == {"GET", "HEAD"}


def test_audit_templates_never_carry_ids():
    match = resolve("POST", f"/v1/workspaces/{WS}/campaigns/{uuid.uuid4()}/budget").match
    assert match.template == "/v1/workspaces/{workspace_id}/campaigns/{id}/budget"


def user(mfa=False):
    return Principal("user", str(uuid.uuid4()), sid="s", mfa=mfa)


def test_authorization_verdicts():
    remove = resolve("DELETE", f"/v1/workspaces/{WS}/members/someone").match
    assert authorize(remove, None, None) is Verdict.UNAUTHENTICATED
    assert authorize(remove, user(), None) is Verdict.NOT_FOUND
    assert authorize(remove, user(), "marketer") is Verdict.FORBIDDEN
    assert authorize(remove, user(), "admin") is Verdict.TWO_FACTOR_REQUIRED
    assert authorize(remove, user(mfa=True), "admin") is Verdict.ALLOW
    me = user()
    leave = resolve("DELETE", f"/v1/workspaces/{WS}/members/{me.sub}").match
    assert authorize(leave, me, "analyst") is Verdict.ALLOW


def test_gcra_admits_the_quota_then_one_per_interval():
    quota = Quota.parse("10/60")
    tat, admitted = None, 0
    for _ in range(15):
        ok, tat = decide(tat, 1000.0, quota)
        admitted += ok
    assert admitted == 10
    assert decide(tat, 1000.0 + 5.9, quota)[0] is False
    assert decide(tat, 1000.0 + 6.0, quota)[0] is True
    denied = Decision("default", quota, False, tat, 1000.0)
    assert denied.remaining == 0 and denied.retry_after == 6 and denied.reset == 60


def test_rate_limit_headers_use_draft_09_syntax():
    d = Decision("default", Quota(100, 60), True, 1000.6, 1000.0)
    assert policy_header([d]) == '"default";q=100;w=60'
    assert limit_header([d]) == '"default";r=99;t=1'
    with pytest.raises(ValueError):
        Quota.parse("0/60")


def test_api_key_shapes():
    key_id = uuid.uuid4()
    secret = "A" * 20 + "_-" + "b" * 21
    assert parse_api_key(f"adly_sk_{key_id}_{secret}") == key_id
    assert parse_api_key(f"adly_sk_{key_id.hex}_{secret}") == key_id
    assert parse_api_key(f"adly_sk_{key_id}_{secret[:-1]}") is None
    assert parse_api_key(f"adly_rt_{secret}") is None
    assert parse_api_key("adly_sk_../../etc_" + secret) is None


def test_idempotency_keys_and_fingerprints():
    assert valid_key("a" * 255) and not valid_key("a" * 256) and not valid_key("") and not valid_key("has space")
    assert fingerprint("POST", "/a", "", b"{}") != fingerprint("POST", "/a", "", b"{ }")
    assert fingerprint("POST", "/a", "b", b"") != fingerprint("POST", "/ab", "", b"")


@pytest.mark.parametrize("path", [
    "/v1/auth/../auth/login", "/v1/auth/./login", "/v1/auth/login/..", "/v1/auth/login/.",
    "/v1/auth/%2e%2e/auth/login", "/v1/auth/%2E%2E/auth/login", "/v1/auth/.%2e/auth/login", "/v1/auth/%2E./auth/login",
    "/v1/auth/%2e/login", "/v1/auth/%252e%252e/auth/login", "/v1/auth/%25252e%25252e/auth/login",
    "/v1/auth/..;x/auth/login", "/v1/auth/%2e%2e%3bx/auth/login",
    "/v1/auth\\..\\auth/login", "/v1/auth/%5c..%5cauth/login", "/v1/auth/x%255c/login",
    "/v1//auth/login", "/v1/auth%2f%2flogin", f"/v1/workspaces/{WS}//members", "//v1/auth/login",
    "/v1/%2525252525252e", "v1/auth/login",
])
def test_paths_that_another_reader_could_take_for_another_path_are_not_canonical(path):
    assert non_canonical(path) is not None


@pytest.mark.parametrize("path", [
    "/", "/v1/auth/login", f"/v1/workspaces/{WS}/members/", "/v1/auth/%6Cogin", "/v1/assets/a.png",
    "/v1/invitations/abc_DEF-123/accept", "/v1/auth/...", "/.well-known/jwks.json", "/v1/a%20b",
])
def test_canonical_paths_pass(path):
    assert non_canonical(path) is None


def test_keys_apply_to_a_principals_posts_but_never_to_credentials():
    def route(method, path):
        match = resolve(method, path).match
        assert match is not None
        return match.route

    assert applies(route("POST", "/v1/workspaces"))  # outside any workspace too
    assert applies(route("POST", f"/v1/workspaces/{WS}/campaigns"))
    for path in ("/v1/auth/login", "/v1/auth/signup", "/v1/auth/2fa/verify", "/v1/auth/logout", "/v1/auth/anything",
                 f"/v1/workspaces/{WS}/api-keys", "/v1/stores/webhooks/shopify"):
        assert not applies(route("POST", path)), path
    jobs = route("POST", f"/v1/workspaces/{WS}/creatives/jobs")
    assert jobs.honours_idempotency_key and jobs.permission == "creatives.generate"
    assert not route("POST", f"/v1/workspaces/{WS}/creatives/jobs/j/cancel").honours_idempotency_key
