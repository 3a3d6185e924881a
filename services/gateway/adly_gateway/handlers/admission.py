"""Who may do what: authenticate the caller, rate-limit, authorize from the read model.

A signed-in user's request costs one statement: the read model (role in the workspace,
session revoked) and every rate-limit policy of the request together. Where the limits
themselves depend on the session (a credential route, whose per-account limit falls back to
the account a revoked session's request names), and for API keys, the read-model query
comes first and the rate-limit statement after it. Nothing here calls auth.
"""

from __future__ import annotations

import base64
import email.message
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote_plus
from uuid import UUID

from adly_gateway.domain.authorization import Verdict, authorize, parse_workspace_id, role_in
from adly_gateway.domain.principal import Principal, machine_key_id, parse_api_key, user_id_of
from adly_gateway.domain.ratelimit import Decision, Limit, Quota, limit_header, policy_header
from adly_gateway.domain.refusals import (
    MethodNotAllowed,
    NothingHere,
    NotSignedIn,
    Refusal,
    RoleForbids,
    TooManyRequests,
    TwoFactorRequired,
    UnreadableBody,
    UnsupportedBody,
)
from adly_gateway.domain.routes import Match, Resolution, resolve
from adly_gateway.handlers.ports import Directory, Limiter, MemberLimiter, Tokens

log = logging.getLogger(__name__)

_ACCOUNT_FIELDS = ("email", "username", "client_id", "challenge", "challenge_token", "token", "refresh_token")


class InvalidCredentials(Exception):
    """Credentials were presented and are not good; the reason is for logs, never for the client."""


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
    body: bytes = b""  # read only on credential routes, for the account they are about
    content_type: str | None = None


class Admitter:
    """Admits a request or refuses it with a `Refusal` carrying its rate-limit headers."""

    def __init__(self, tokens: Tokens, directory: Directory, limiter: Limiter, members: MemberLimiter,
                 quotas: dict[str, Quota], key: bytes) -> None:
        self.tokens = tokens
        self.directory = directory
        self.limiter = limiter
        self.members = members
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
                principal = await self.identify(caller.authorization, caller.two_factor)
            except InvalidCredentials:
                failed = True
        account, unreadable = _account(caller, match)
        if principal is not None and principal.user_id is not None:
            role, revoked, decisions = await self._member(caller, match, principal, workspace_id, account)
            if revoked:
                principal, role, failed = None, None, True
        else:
            role = role_in(principal, workspace_id, None) if principal is not None and workspace_id else None
            decisions = await self.limiter.check(self._limits(caller, match, principal, account))
        denied = [d for d in decisions if not d.allowed]
        try:
            if denied:
                raise TooManyRequests(max(d.retry_after for d in denied))
            if failed:
                raise NotSignedIn()
            if unreadable is not None:
                raise unreadable
            match = self._decide(resolution, match, principal, workspace_id, role)
        except Refusal as refusal:
            refusal.extra_headers = rate_headers(decisions) | refusal.extra_headers
            refusal.principal = principal
            raise
        return Admission(match, principal, workspace_id, role, decisions)

    def _decide(
        self, resolution: Resolution, match: Match | None, principal: Principal | None, workspace_id: UUID | None,
        role: str | None,
    ) -> Match:
        if resolution.workspace_id is not None:
            # Inside a workspace, membership is settled before anything else can differ.
            if principal is None:
                raise NotSignedIn()
            if workspace_id is None or role is None:
                raise NothingHere()
        if match is None:
            if resolution.allowed_methods:
                raise MethodNotAllowed(resolution.allowed_methods)
            raise NothingHere()
        verdict = authorize(match, principal, role)
        if verdict is Verdict.ALLOW:
            return match
        raise REFUSALS[verdict]()

    async def _member(
        self, caller: Caller, match: Match | None, principal: Principal, workspace_id: UUID | None, account: str | None,
    ) -> tuple[str | None, bool, list[Decision]]:
        """A signed-in user's role in `workspace_id`, whether the session is revoked, and the request's decisions.

        A revoked session's request is charged as one without a principal, as if it had
        presented no token: its user's own keys are not."""
        assert principal.user_id is not None
        if match is None or match.route.rate_policy is None:
            limits = self._limits(caller, match, principal, account)
            users_own = {limit.key for limit in limits if limit.policy == "default"}
            role, revoked, decisions = await self.members.member_and_check(
                principal.user_id, workspace_id, principal.sid, limits, users_own)
        else:  # which account the policy charges depends on the session: ask first
            role, revoked = await self.directory.user(principal.user_id, workspace_id, principal.sid)
            decisions = await self.limiter.check(self._limits(caller, match, None if revoked else principal, account))
        return role, revoked, decisions

    async def authenticate(
        self, authorization: str | None, two_factor: str | None, workspace_id: UUID | None
    ) -> tuple[Principal | None, str | None]:
        """(principal, role in `workspace_id`); (None, None) without credentials; raises on bad ones."""
        principal = await self.identify(authorization, two_factor)
        if principal is None:
            return None, None
        user_id = principal.user_id
        if user_id is None:  # an API key: its own role, in its one workspace
            return principal, role_in(principal, workspace_id, None) if workspace_id else None
        member_role, revoked = await self.directory.user(user_id, workspace_id, principal.sid)
        if revoked:
            raise InvalidCredentials("session revoked")
        return principal, member_role

    async def identify(self, authorization: str | None, two_factor: str | None) -> Principal | None:
        """Who the credentials name (None without any); raises on bad ones. A user's session is
        not checked here: the read model says whether it was revoked."""
        if not authorization:
            return None
        scheme, _, credential = authorization.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise InvalidCredentials("scheme")
        if credential.startswith("adly_sk_"):
            return await self._api_key(credential)
        return await self._access_token(credential, two_factor)

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

    def _limits(self, caller: Caller, match: Match | None, principal: Principal | None, account: str | None
                ) -> list[Limit]:
        limits: list[Limit] = []
        if caller.ip:
            limits.append(self._limit("ip", caller.ip))
        if principal is not None:
            limits.append(self._limit("default", principal.sub))
        policy = match.route.rate_policy if match else None
        if policy is not None:
            if caller.ip:
                limits.append(self._limit(f"{policy.value}-ip", caller.ip))
            subject = principal.sub if principal is not None else account
            if subject:
                limits.append(self._limit(policy.value, subject))
        return limits

    def _limit(self, policy: str, subject: str) -> Limit:
        # surrogatepass: JSON may name an account with lone surrogates (`"\ud800"`), which strict
        # UTF-8 cannot encode; it is still one account, and only its keyed hash is kept.
        digest = hmac.new(self.key, f"{policy}\0{subject}".encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:40]
        return Limit(policy, f"{policy}:{digest}", self.quotas[policy])


def _account(caller: Caller, match: Match | None) -> tuple[str | None, Refusal | None]:
    """The account a credential route's request names, or the refusal of a body that cannot be read.

    Only routes with a rate policy are read: everywhere else the body is the service's alone."""
    if match is None or match.route.rate_policy is None:
        return None, None
    try:
        return account_of(caller.body, caller.content_type, caller.authorization), None
    except (UnreadableBody, UnsupportedBody) as refusal:
        return None, refusal


def account_of(body: bytes, content_type: str | None, authorization: str | None) -> str | None:
    """The account a credential request names, normalised; only ever stored as a keyed hash.

    The body is read the way the services read it (FastAPI: JSON when the type is JSON,
    `+json` or missing; auth's token endpoint: a UTF-8 form), and one the gateway cannot read
    is refused: a body the gateway passed over unread would escape the per-account limit
    while the service still read an account from it. Nesting too deep for the parser is as
    unreadable as broken JSON (RecursionError is no ValueError)."""
    fields: dict[str, Any] = {}
    if body:
        kind = _body_kind(content_type)
        try:
            if kind == "json":
                parsed = json.loads(body)
                fields = parsed if isinstance(parsed, dict) else {}
            elif kind == "form":
                fields = {k: v[0] for k, v in parse_qs(body.decode()).items() if v}
            else:
                raise UnsupportedBody()
        except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise UnreadableBody() from None
    for name in _ACCOUNT_FIELDS:
        value = fields.get(name)
        if isinstance(value, str) and value.strip():
            return f"{name}:{value.strip().lower() if name == 'email' else value.strip()}"
    if authorization and authorization.lower().startswith("basic "):
        try:
            client_id = base64.b64decode(authorization[6:].strip(), validate=True).decode().split(":", 1)[0]
        except ValueError:
            return None
        client_id = unquote_plus(client_id)  # RFC 6749 §2.3.1 form-encodes it, and auth decodes it so
        return f"client_id:{client_id}" if client_id else None
    return None


def _body_kind(content_type: str | None) -> str:
    """"json", "form" or "other", by FastAPI's reading of the Content-Type."""
    if not content_type:
        return "json"
    header = email.message.Message()
    header["content-type"] = content_type
    main, sub = header.get_content_maintype(), header.get_content_subtype()
    if main == "application" and (sub == "json" or sub.endswith("+json")):
        return "json"
    return "form" if (main, sub) == ("application", "x-www-form-urlencoded") else "other"


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


REFUSALS: dict[Verdict, type[Refusal]] = {
    Verdict.UNAUTHENTICATED: NotSignedIn,
    Verdict.NOT_FOUND: NothingHere,
    Verdict.TWO_FACTOR_REQUIRED: TwoFactorRequired,
    Verdict.FORBIDDEN: RoleForbids,
}
