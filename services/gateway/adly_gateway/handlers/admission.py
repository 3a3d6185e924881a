"""Who may do what: authenticate the caller, rate-limit, authorize from the read model.

One request's admission costs one read-model query (role in the workspace and session
revocation together, or the API key's row) and one rate-limit statement (every policy of
the request at once). Nothing here calls auth.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs
from uuid import UUID

from adly_gateway.domain.authorization import Verdict, authorize, parse_workspace_id, role_in
from adly_gateway.domain.principal import Principal, machine_key_id, parse_api_key, user_id_of
from adly_gateway.domain.ratelimit import Decision, Limit, Quota, limit_header, policy_header
from adly_gateway.domain.routes import Access, Match, Resolution, resolve

log = logging.getLogger(__name__)

PROBLEMS = "https://docs.adly.dev/problems/"
TWO_FACTOR_REQUIRED = PROBLEMS + "two-factor-required"
_ACCOUNT_FIELDS = ("email", "username", "client_id", "challenge", "challenge_token", "token", "refresh_token")


class GatewayError(Exception):
    """An answer the gateway gives itself, as problem+json."""

    def __init__(
        self, status: int, title: str, detail: str | None = None, *, type_: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        self.headers = headers or {}
        self.principal: Principal | None = None  # who was refused, for the audit log


def not_found() -> GatewayError:
    """The one 404: unknown route, unknown workspace and someone else's workspace look alike."""
    return GatewayError(404, "Not Found")


def unauthenticated() -> GatewayError:
    return GatewayError(
        401, "Authentication required", "Send a valid access token or API key as `Authorization: Bearer …`.",
        headers={"WWW-Authenticate": 'Bearer realm="adly", error="invalid_token"'},
    )


class InvalidCredentials(Exception):
    pass


class Tokens(Protocol):
    async def access_claims(self, token: str) -> dict[str, Any]: ...
    async def two_factor_subject(self, token: str) -> str: ...


class Directory(Protocol):
    async def user(self, user_id: UUID, workspace_id: UUID | None, sid: str | None) -> tuple[str | None, bool]: ...
    async def api_key(self, key_id: UUID): ...


class Limiter(Protocol):
    async def check(self, limits: list[Limit]) -> list[Decision]: ...


@dataclass
class Admission:
    match: Match
    principal: Principal | None
    workspace_id: UUID | None
    role: str | None
    decisions: list[Decision] = field(default_factory=list)

    def rate_headers(self) -> dict[str, str]:
        return rate_headers(self.decisions)


def rate_headers(decisions: list[Decision]) -> dict[str, str]:
    if not decisions:
        return {}
    return {"RateLimit-Policy": policy_header(decisions), "RateLimit": limit_header(decisions)}


@dataclass(frozen=True)
class Caller:
    """What admission needs of an HTTP request (or a WebSocket's first message)."""

    method: str
    path: str
    authorization: str | None
    two_factor: str | None
    ip: str | None
    account: str | None = None  # the account a credential route is about (email, client id…)


class Admitter:
    def __init__(self, tokens: Tokens, directory: Directory, limiter: Limiter, quotas: dict[str, Quota], key: bytes) -> None:
        self.tokens = tokens
        self.directory = directory
        self.limiter = limiter
        self.quotas = quotas
        self.key = key

    async def admit(self, caller: Caller) -> Admission:
        resolution = resolve(caller.method, caller.path)
        match = resolution.match
        workspace_id = parse_workspace_id(resolution.workspace_id)
        principal: Principal | None = None
        role: str | None = None
        failed = False
        if not (match and match.route.forward_authorization):
            try:
                principal, role = await self.authenticate(caller.authorization, caller.two_factor, workspace_id)
            except InvalidCredentials:
                failed = True
        decisions = await self.limiter.check(self._limits(caller, match, principal))
        denied = [d for d in decisions if not d.allowed]
        try:
            if denied:
                raise GatewayError(
                    429, "Too many requests", "Slow down and retry after the time in Retry-After.",
                    headers={"Retry-After": str(max(d.retry_after for d in denied))},
                )
            if failed:
                raise unauthenticated()
            match = self._decide(resolution, match, principal, workspace_id, role)
        except GatewayError as error:
            error.headers = rate_headers(decisions) | error.headers
            error.principal = principal
            raise
        return Admission(match, principal, workspace_id, role, decisions)

    def _decide(
        self, resolution: Resolution, match: Match | None, principal: Principal | None, workspace_id: UUID | None,
        role: str | None,
    ) -> Match:
        if resolution.workspace_id is not None:
            # Inside a workspace, membership is settled before anything else can differ.
            if principal is None:
                raise unauthenticated()
            if workspace_id is None or role is None:
                raise not_found()
        if match is None:
            if resolution.allowed_methods:
                raise GatewayError(405, "Method not allowed", headers={"Allow": ", ".join(sorted(resolution.allowed_methods))})
            raise not_found()
        verdict = authorize(match, principal, role)
        if verdict is Verdict.ALLOW:
            return match
        if verdict is Verdict.UNAUTHENTICATED:
            raise unauthenticated()
        if verdict is Verdict.NOT_FOUND:
            raise not_found()
        if verdict is Verdict.TWO_FACTOR_REQUIRED:
            raise GatewayError(
                403, "Two-factor authentication required",
                "Send a fresh proof from POST /v1/auth/2fa/verify as X-2FA-Token.", type_=TWO_FACTOR_REQUIRED,
            )
        raise GatewayError(403, "Forbidden", "Your role does not allow this.")

    async def authenticate(
        self, authorization: str | None, two_factor: str | None, workspace_id: UUID | None
    ) -> tuple[Principal | None, str | None]:
        """(principal, role in `workspace_id`); (None, None) without credentials; raises on bad ones."""
        if not authorization:
            return None, None
        scheme, _, credential = authorization.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise InvalidCredentials("scheme")
        if credential.startswith("adly_sk_"):
            principal = await self._api_key(credential)
        else:
            principal = await self._access_token(credential, two_factor)
        if principal.kind == "api_key":
            return principal, role_in(principal, workspace_id, None) if workspace_id else None
        member_role, revoked = await self.directory.user(principal.user_id, workspace_id, principal.sid)
        if revoked:
            raise InvalidCredentials("session revoked")
        return principal, member_role

    async def _api_key(self, credential: str) -> Principal:
        key_id = parse_api_key(credential)
        if key_id is None:
            raise InvalidCredentials("api key shape")
        row = await self.directory.api_key(key_id)
        presented = hashlib.sha256(credential.encode()).hexdigest()
        expected = row.secret_sha256 if row is not None else "0" * 64
        if not hmac.compare_digest(presented, expected) or row is None or not row.usable:
            raise InvalidCredentials("api key")
        return Principal("api_key", f"apikey:{key_id}", ws=row.workspace_id, role=row.role)

    async def _access_token(self, credential: str, two_factor: str | None) -> Principal:
        try:
            claims = await self.tokens.access_claims(credential)
        except Exception as error:  # InvalidToken and anything a hostile token provokes
            raise InvalidCredentials(str(error)) from None
        sub = claims["sub"]
        key_id = machine_key_id(sub)
        if key_id is not None:
            row = await self.directory.api_key(key_id)
            if row is None or not row.usable or str(row.workspace_id) != str(claims.get("ws")):
                raise InvalidCredentials("machine token")
            return Principal("api_key", f"apikey:{key_id}", sid=_str(claims.get("sid")), ws=row.workspace_id, role=row.role)
        if user_id_of(sub) is None or not isinstance(claims.get("sid"), str):
            raise InvalidCredentials("user token claims")
        mfa = False
        if two_factor:
            try:
                mfa = await self.tokens.two_factor_subject(two_factor) == sub
            except Exception:
                mfa = False
        return Principal("user", str(user_id_of(sub)), sid=claims["sid"], mfa=mfa)

    def _limits(self, caller: Caller, match: Match | None, principal: Principal | None) -> list[Limit]:
        limits = []
        if caller.ip:
            limits.append(self._limit("ip", caller.ip))
        if principal is not None:
            limits.append(self._limit("default", principal.sub))
        policy = match.route.rate_policy if match else None
        if policy is not None:
            if caller.ip:
                limits.append(self._limit(f"{policy.value}-ip", caller.ip))
            account = principal.sub if principal is not None else caller.account
            if account:
                limits.append(self._limit(policy.value, account))
        return limits

    def _limit(self, policy: str, subject: str) -> Limit:
        digest = hmac.new(self.key, f"{policy}\0{subject}".encode(), hashlib.sha256).hexdigest()[:40]
        return Limit(policy, f"{policy}:{digest}", self.quotas[policy])


def account_of(body: bytes, content_type: str | None, authorization: str | None) -> str | None:
    """The account a credential request names, normalised; only ever stored as a keyed hash."""
    fields: dict[str, Any] = {}
    kind = (content_type or "").split(";")[0].strip().lower()
    try:
        if kind == "application/json" and body:
            parsed = json.loads(body)
            fields = parsed if isinstance(parsed, dict) else {}
        elif kind == "application/x-www-form-urlencoded" and body:
            fields = {k: v[0] for k, v in parse_qs(body.decode(errors="replace")).items() if v}
    except ValueError:
        fields = {}
    for name in _ACCOUNT_FIELDS:
        value = fields.get(name)
        if isinstance(value, str) and value.strip():
            return f"{name}:{value.strip().lower() if name == 'email' else value.strip()}"
    if authorization and authorization.lower().startswith("basic "):
        try:
            client_id = base64.b64decode(authorization[6:].strip(), validate=True).decode().split(":", 1)[0]
            return f"client_id:{client_id}" if client_id else None
        except ValueError:
            return None
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def is_public(match: Match) -> bool:
    return match.route.access is Access.PUBLIC
