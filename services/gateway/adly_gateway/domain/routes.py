"""The public route table: which upstream serves a path and what the caller must hold.

docs/identity.md is the source: `/v1/auth/**`, `/v1/invitations/**`, `/v1/workspaces` and the
workspace's members, invitations, api-keys and ownership go to auth; stores to catalog;
campaigns and ad accounts to campaigns; creatives and the brand kit to creative; analytics
to analytics; the notification feed and webhook endpoints to notifications; the audit log
and the live socket are the gateway's own. The first rule whose
template and method match wins, so specific rules come before the catch-alls of a prefix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

READS = frozenset({"GET", "HEAD"})
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ALL = READS | WRITES
MUTATING = WRITES

_SEGMENT = re.compile(r"\{(\w+)\}")
_WORD = re.compile(r"^[a-z][a-z-]*$")


class Access(StrEnum):
    PUBLIC = "public"        # no principal needed; one presented is verified and forwarded
    USER = "user"            # a signed-in person (not an API key)
    ANY = "any"              # any principal
    WORKSPACE = "workspace"  # a member of `{workspace_id}` holding `permission`


class RatePolicy(StrEnum):
    """The stricter policies of credential routes (per IP and per account)."""

    LOGIN = "login"
    TWO_FACTOR = "two-factor"
    PASSWORD_RESET = "password-reset"


@dataclass(frozen=True)
class Route:
    methods: frozenset[str]
    template: str
    upstream: str
    access: Access
    permission: str | None = None
    prefix: bool = False                   # also matches everything below the template
    self_service: bool = False             # `{user_id}` == caller needs no permission ("leave")
    forward_authorization: bool = False    # the upstream reads Authorization itself (OAuth token endpoint)
    forward_webhook_headers: bool = False  # store platforms' signature and delivery headers (X-Shopify-*, ...)
    rate_policy: RatePolicy | None = None
    credential: bool = False               # its answers carry credentials (tokens, secrets): never stored for replays
    # The upstream makes a POST with an Idempotency-Key idempotent itself (the key names the
    # command), so a retry after an unknown outcome may be forwarded again (docs/identity.md).
    honours_idempotency_key: bool = False
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        body = _SEGMENT.sub(lambda m: f"(?P<{m.group(1)}>[^/]+)", re.escape(self.template).replace(r"\{", "{").replace(r"\}", "}"))
        suffix = r"(?P<rest>/.*)?" if self.prefix else ""
        object.__setattr__(self, "pattern", re.compile(f"^{body}{suffix}$"))


@dataclass(frozen=True)
class Match:
    route: Route
    params: dict[str, str]
    rest: str = ""

    @property
    def workspace_id(self) -> str | None:
        return self.params.get("workspace_id")

    @property
    def template(self) -> str:
        """The route template for the audit log: ids in the tail become `{id}`, never values."""
        if not self.rest:
            return self.route.template
        tail = "/".join(s if _WORD.match(s) else "{id}" for s in self.rest.strip("/").split("/"))
        return f"{self.route.template}/{tail}" if tail else self.route.template


def _r(methods: Iterable[str], template: str, upstream: str, access: Access, permission: str | None = None,
       **options: Any) -> Route:
    return Route(frozenset(methods), template, upstream, access, permission, **options)


W = "/v1/workspaces/{workspace_id}"
P, U, A, WS = Access.PUBLIC, Access.USER, Access.ANY, Access.WORKSPACE

ROUTES: tuple[Route, ...] = (
    # --- auth: credentials (public, stricter rate limits) ---------------------------------
    _r({"POST"}, "/v1/auth/signup", "auth", P, rate_policy=RatePolicy.LOGIN),
    # The sign-up's mailed link, followed: it creates the account and signs in (docs/identity.md).
    _r({"POST"}, "/v1/auth/signup/confirm", "auth", P, rate_policy=RatePolicy.LOGIN),
    _r({"POST"}, "/v1/auth/login", "auth", P, rate_policy=RatePolicy.LOGIN),
    _r({"POST"}, "/v1/auth/login/2fa", "auth", P, rate_policy=RatePolicy.TWO_FACTOR),
    _r({"POST"}, "/v1/auth/oauth/token", "auth", P, forward_authorization=True, rate_policy=RatePolicy.LOGIN),
    _r({"POST"}, "/v1/auth/password/forgot", "auth", P, rate_policy=RatePolicy.PASSWORD_RESET),
    _r({"POST"}, "/v1/auth/password/reset", "auth", P, rate_policy=RatePolicy.PASSWORD_RESET),
    _r({"POST"}, "/v1/auth/email/verify", "auth", P, rate_policy=RatePolicy.PASSWORD_RESET),
    _r({"POST"}, "/v1/auth/email/verify/resend", "auth", U, credential=True, rate_policy=RatePolicy.PASSWORD_RESET),
    _r({"GET"}, "/v1/auth/oidc/google/start", "auth", P),
    _r({"GET"}, "/v1/auth/oidc/google/callback", "auth", P, rate_policy=RatePolicy.LOGIN),
    _r({"POST"}, "/v1/auth/logout", "auth", U, credential=True),
    _r({"POST"}, "/v1/auth/logout-everywhere", "auth", U, credential=True),
    _r({"POST"}, "/v1/auth/2fa/enroll", "auth", U, credential=True, rate_policy=RatePolicy.TWO_FACTOR),
    _r({"POST"}, "/v1/auth/2fa/confirm", "auth", U, credential=True, rate_policy=RatePolicy.TWO_FACTOR),
    _r({"POST"}, "/v1/auth/2fa/verify", "auth", U, credential=True, rate_policy=RatePolicy.TWO_FACTOR),
    _r({"GET"}, "/v1/auth/me", "auth", U),
    _r({"PATCH"}, "/v1/auth/me", "auth", U),
    _r(READS, "/.well-known/jwks.json", "auth", P),
    # --- public callbacks: platforms redirect merchants and deliver webhooks; the services verify them
    _r({"GET", "POST"}, "/v1/stores/oauth", "catalog", P, prefix=True),
    _r({"POST"}, "/v1/stores/webhooks", "catalog", P, prefix=True, forward_authorization=True, forward_webhook_headers=True),
    _r(READS, "/v1/assets", "creative", P, prefix=True),
    _r(ALL, "/v1/auth", "auth", P, prefix=True, credential=True),  # anything else auth adds: auth decides
    _r({"POST"}, "/v1/invitations/{token}/accept", "auth", U),
    _r(ALL, "/v1/invitations", "auth", U, prefix=True),
    # --- workspaces (auth) ----------------------------------------------------------------
    _r(READS, "/v1/workspaces", "auth", A),
    _r({"POST"}, "/v1/workspaces", "auth", U),
    _r(READS, W, "auth", WS, "workspace.read"),
    _r({"PATCH", "PUT"}, W, "auth", WS, "workspace.update"),
    _r({"DELETE"}, W, "auth", WS, "workspace.delete"),
    _r(READS, f"{W}/members", "auth", WS, "members.read"),
    _r({"POST"}, f"{W}/members", "auth", WS, "members.invite"),
    _r(READS, f"{W}/members/{{user_id}}", "auth", WS, "members.read"),
    _r({"PATCH", "PUT"}, f"{W}/members/{{user_id}}", "auth", WS, "members.change_role"),
    _r({"DELETE"}, f"{W}/members/{{user_id}}", "auth", WS, "members.remove", self_service=True),
    _r(READS, f"{W}/invitations", "auth", WS, "members.invite", prefix=True),
    _r(WRITES, f"{W}/invitations", "auth", WS, "members.invite", prefix=True),
    _r(READS, f"{W}/api-keys", "auth", WS, "api_keys.read", prefix=True),
    _r({"POST"}, f"{W}/api-keys", "auth", WS, "api_keys.create", credential=True),
    _r({"DELETE"}, f"{W}/api-keys/{{key_id}}", "auth", WS, "api_keys.revoke"),
    _r({"POST", "PUT"}, f"{W}/ownership", "auth", WS, "ownership.transfer"),
    # --- catalog --------------------------------------------------------------------------
    _r(READS, f"{W}/stores", "catalog", WS, "stores.read", prefix=True),
    _r({"POST"}, f"{W}/stores/{{store_id}}/syncs", "catalog", WS, "stores.sync"),
    _r({"DELETE"}, f"{W}/stores/{{store_id}}", "catalog", WS, "stores.disconnect"),
    _r(WRITES, f"{W}/stores", "catalog", WS, "stores.connect", prefix=True),
    # --- campaigns ------------------------------------------------------------------------
    _r(READS, f"{W}/campaigns", "campaigns", WS, "campaigns.read", prefix=True),
    _r(WRITES, f"{W}/campaigns", "campaigns", WS, "campaigns.write", prefix=True),
    # A login in flight lists what its token reaches: part of connecting, not of reading.
    _r(READS, f"{W}/ad-accounts/logins", "campaigns", WS, "ad_accounts.connect", prefix=True),
    _r(READS, f"{W}/ad-accounts", "campaigns", WS, "campaigns.read", prefix=True),
    _r({"DELETE"}, f"{W}/ad-accounts/{{account_id}}", "campaigns", WS, "ad_accounts.disconnect"),
    _r(WRITES, f"{W}/ad-accounts", "campaigns", WS, "ad_accounts.connect", prefix=True),
    # --- creative -------------------------------------------------------------------------
    _r(READS, f"{W}/creatives", "creative", WS, "creatives.read", prefix=True),
    _r({"POST"}, f"{W}/creatives/jobs", "creative", WS, "creatives.generate", honours_idempotency_key=True),
    _r(WRITES, f"{W}/creatives", "creative", WS, "creatives.generate", prefix=True),
    _r(READS, f"{W}/brand-kit", "creative", WS, "creatives.read", prefix=True),
    _r(WRITES, f"{W}/brand-kit", "creative", WS, "creatives.generate", prefix=True),
    # --- analytics ------------------------------------------------------------------------
    _r(ALL, f"{W}/analytics/exports", "analytics", WS, "data.export", prefix=True),
    _r(ALL, f"{W}/exports", "analytics", WS, "data.export", prefix=True),
    _r(READS, f"{W}/analytics", "analytics", WS, "analytics.read", prefix=True),
    _r({"POST"}, f"{W}/analytics", "analytics", WS, "analytics.read", prefix=True),
    # --- notifications --------------------------------------------------------------------
    # A mail's one-click unsubscribe link (RFC 8058): its signed token is the credential.
    _r({"GET", "POST"}, "/v1/notifications/unsubscribe", "notifications", P),
    # A member's own feed and preferences: marking read and setting preferences are reading.
    _r(READS | {"POST", "PUT"}, f"{W}/notifications", "notifications", WS, "notifications.read", prefix=True),
    _r(READS, f"{W}/webhooks", "notifications", WS, "webhooks.read", prefix=True),
    # Creating an endpoint and rotating its secret answer with the secret, shown once.
    _r({"POST"}, f"{W}/webhooks", "notifications", WS, "webhooks.manage", credential=True),
    _r({"POST"}, f"{W}/webhooks/{{endpoint_id}}/secret", "notifications", WS, "webhooks.manage", credential=True),
    _r(WRITES, f"{W}/webhooks", "notifications", WS, "webhooks.manage", prefix=True),
    # --- the gateway's own ----------------------------------------------------------------
    _r(READS, f"{W}/audit-log", "gateway", WS, "audit_log.read"),
    _r(READS, f"{W}/live", "gateway", WS, "workspace.read"),
)

WORKSPACE_PATH = re.compile(r"^/v1/workspaces/(?P<workspace_id>[^/]+)(?:/.*)?$")


@dataclass(frozen=True)
class Resolution:
    """What the table says about a request: a match, a known path with another method, or nothing."""

    match: Match | None
    allowed_methods: frozenset[str] = frozenset()
    workspace_id: str | None = None


def resolve(method: str, path: str, routes: tuple[Route, ...] = ROUTES) -> Resolution:
    workspace = WORKSPACE_PATH.match(path)
    workspace_id = workspace.group("workspace_id") if workspace else None
    allowed: set[str] = set()
    for route in routes:
        found = route.pattern.match(path)
        if not found:
            continue
        if method in route.methods:
            params = {k: v for k, v in found.groupdict().items() if k != "rest" and v is not None}
            return Resolution(Match(route, params, found.groupdict().get("rest") or ""), workspace_id=workspace_id)
        allowed |= route.methods
    return Resolution(None, frozenset(allowed), workspace_id)
