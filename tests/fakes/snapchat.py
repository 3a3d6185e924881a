"""A local Snapchat: accounts.snapchat.com's OAuth and the Snap Marketing API, on one loopback server.

`accounts_url` (= `url`) serves `/login/oauth2/authorize` and `/login/oauth2/access_token`;
`api_url` (= `url + "/v1"`) the Marketing API. It reproduces what the campaigns client must
cope with (the client's docstring says what was verified and where):

- OAuth: authorize approves at once and redirects with `code` and `state`; the token endpoint
  takes a form (`grant_type` authorization_code or refresh_token, client_id, client_secret)
  and answers `{access_token, token_type: "Bearer", expires_in: 3600, refresh_token, scope}`.
  Access tokens last 60 minutes of the fake's clock (`advance(seconds)` moves it). Refresh
  tokens rotate (`rotate_refresh`): each refresh answers a new one, and a spent one is
  refused with `invalid_grant`. `revoke(token)` ends a grant: its tokens answer 401.
- Envelopes: `{"request_status", "request_id", "<plural>": [{"sub_request_status",
  "<singular>": {...}}]}`. A write of several entities succeeds or fails per entity
  (`sub_request_error_reason`, "E2002: ..."): all fine is SUCCESS, some is PARTIAL (HTTP
  200), none is ERROR (HTTP 400). Errors: `{"request_status": "ERROR", "request_id",
  "debug_message", "display_message", "error_code"}`.
- Lists: `limit` 50..1000 (else 400) and `paging.next_link` with a `cursor`, on
  `next_link_host` (Snap's own docs show another host than the API's).
- Money in micros everywhere; an ad squad's daily budget at least 5,000,000 micros.
- Creates validate what Snap validates: names up to 375 characters, start_time on campaigns,
  ad squads of type SNAP_ADS billed on IMPRESSION with one budget, lowercase country geos,
  several countries only with a language, a pixel for PIXEL_PURCHASE; media created
  PENDING_UPLOAD then uploaded (multipart `file`) to READY; WEB_VIEW creatives with a READY
  top snap, headline up to 34 and brand name up to 32 characters, a public profile of the
  organization; ads of a creative of the account. `PUT` on the collection takes the whole
  entity with its id (a partial one is refused).
- Reviews: a new ad's `review_status` is `review_on_create` (PENDING); `set_review(ad_id,
  "APPROVED" | "REJECTED", reasons)`.
- Stats: `GET /{campaigns|adsquads|ads}/{id}/stats?granularity=TOTAL|DAY|HOUR&start_time&
  end_time&fields&breakdown=adsquad|ad`, and `GET /adaccounts/{id}/stats` with
  `breakdown=campaign|adsquad|ad` (every one of the account's, no filter). DAY windows must start and end at the account's
  local midnight with the right offset and span at most 31 days; HOUR at most 7 days.
  Figures are seeded per ad and day (`figures(ad_id, day)`, integers, money in micros),
  revealed hour by hour as the fake's clock passes them, from the hour the ad was created
  (less `history_days`); `restate(day, factor, ad_id=None)` changes a past day. A breakdown
  answers `breakdown_stats.{adsquad|ad}[]` with each part's own timeseries.
- Failures: `fail_next(kind)` (throttle: 429 without headers; unauthorized, forbidden,
  not_found, bad_request, server, gateway), `fail_next_sub_request(reason)`; `answer_next`
  replays any answer (tests/fakes/snapchat_examples/ holds Snap's documented examples).
- Stalls for the kill test: `stall(at_request=n, when="before"|"after")` holds the n-th
  mutating request (POST or PUT on the API); `stalled`, `release()`.
- `count(kind, account_id)` / `of_kind` for "campaign", "ad_set", "image", "video",
  "creative", "ad".

`build_snapchat(plan, home)` makes a seeded fake for the sandbox; `python -m
tests.fakes.snapchat --port N` runs one alone.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import secrets
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.meta import _multipart
from tests.fakes.server import FakeServer, hold

CLIENT_ID, CLIENT_SECRET = "fake-snapchat-client", "fake-snapchat-client-secret"
SCOPE = "snapchat-marketing-api"
ACCESS_TTL = 3600
NAME_LIMIT, HEADLINE_LIMIT, BRAND_LIMIT = 375, 34, 32
MIN_DAILY_MICROS = 5_000_000
OBJECTIVES = {"AWARENESS_AND_ENGAGEMENT", "TRAFFIC", "SALES", "LEADS", "APP_PROMOTION"}
GOALS = {"IMPRESSIONS", "SWIPES", "PIXEL_PURCHASE", "PIXEL_PAGE_VIEW", "PIXEL_ADD_TO_CART", "LANDING_PAGE_VIEW",
         "VIDEO_VIEWS"}
CALLS_TO_ACTION = {"SHOP_NOW", "BUY_NOW", "ORDER_NOW", "MORE", "GET_NOW", "SIGN_UP", "BOOK_NOW", "APPLY_NOW", "VIEW",
                   "WATCH", "READ", "LISTEN", "PLAY", "DOWNLOAD"}
COLLECTIONS = {"campaigns": "campaign", "adsquads": "adsquad", "media": "media", "creatives": "creative",
               "ads": "ad", "pixels": "pixel", "public_profiles": "public_profile", "adaccounts": "adaccount"}
KINDS = {"campaign": "campaign", "ad_set": "adsquad", "adsquad": "adsquad", "image": "media", "video": "media",
         "media": "media", "creative": "creative", "ad": "ad"}
STATS_TYPES = {"campaigns": "CAMPAIGN", "adsquads": "AD_SQUAD", "ads": "AD"}
FIELDS = ("impressions", "swipes", "spend", "conversion_purchases", "conversion_purchases_value")
HOUR_WEIGHTS = (2, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 6, 6, 6, 5, 5, 6, 7, 8, 9, 9, 8, 6, 4)
# kind: HTTP status, error_code, debug message
FAILURES: dict[str, tuple[int, str, str]] = {
    "throttle": (429, "E1008", "Rate limit exceeded"),
    "unauthorized": (401, "E1001", "Unauthorized"),
    "forbidden": (403, "E1003", "None of the requested actions [READ_AD] can be authorized."),
    "not_found": (404, "E3003", "Resource can not be found"),
    "bad_request": (400, "E2002", "The request is missing or has a bad parameter."),
    "server": (500, "E5000", "An error has occurred at Snapchat's end."),
    "gateway": (502, "", ""),
}


def request_id() -> str:
    return secrets.token_hex(20)


def error_body(status: int, code: str, message: str, display: str | None = None) -> dict[str, Any]:
    return {"request_status": "ERROR", "request_id": request_id(), "debug_message": message,
            "display_message": display or "We're sorry, but the request could not be processed.", "error_code": code}


class Refused(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("debug_message", ""))
        self.status, self.body = status, body


def bad(message: str, code: str = "E2002") -> Refused:
    return Refused(400, error_body(400, code, message, message))


class Invalid(Exception):
    """One entity of a write refused: its sub-request fails, the others may succeed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")


def snap_iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def utc_iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(moment * 1000) % 1000:03d}Z"


def parse_time(value: Any, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise Invalid("E2002", f"{name} must be an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise Invalid("E2002", f"{name} must carry a time zone")
    return moment


@dataclass
class Organization:
    organization_id: str
    name: str
    profiles: dict[str, str] = field(default_factory=dict)


@dataclass
class Account:
    account_id: str
    organization_id: str
    name: str
    currency: str
    time_zone: str
    status: str = "ACTIVE"
    pixels: dict[str, str] = field(default_factory=dict)


@dataclass
class Grant:
    refresh: str | None
    revoked: bool = False


@dataclass
class Access:
    grant: Grant
    expires_at: float | None


@dataclass
class Fault:
    status: int
    body: Any
    times: int
    path: str | None
    method: str | None


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    params: dict[str, Any]
    body: Any


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str


@dataclass(frozen=True)
class SeededAccount:
    account_id: str
    organization_id: str
    profile_id: str
    pixel_id: str
    token: str
    refresh_token: str


class FakeSnapchat(FakeServer):
    def __init__(self, port: int | None = None, *, client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET,
                 review_on_create: str = "PENDING", rotate_refresh: bool = True, video_polls: int = 0,
                 next_link_host: str = "https://adsapisc.appspot.com", history_days: int = 0,
                 clock: Any = None) -> None:
        super().__init__(port)
        self.accounts_url, self.api_url = self.url, f"{self.url}/v1"
        self.client_id, self.client_secret = client_id, client_secret
        self.review_on_create, self.rotate_refresh, self.video_polls = review_on_create, rotate_refresh, video_polls
        self.next_link_host, self.history_days = next_link_host, history_days
        self._clock = clock or time.time
        self._offset = 0.0
        self.organizations: dict[str, Organization] = {}
        self.accounts: dict[str, Account] = {}
        self.objects: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, Access] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.codes: dict[str, str] = {}
        self.restated: dict[tuple[str | None, date], Decimal] = {}
        self._days: dict[tuple[str, date], dict[str, int]] = {}   # whole restated days, until a restate
        self._cells: dict[tuple[str, date, int | None], tuple[int, ...]] = {}   # past days/hours, likewise
        self.requests: list[Seen] = []
        self.stalled = threading.Event()
        self._released = threading.Event()
        self._stall: tuple[int, str] | None = None
        self._mutations = 0
        self._faults: list[Fault] = []
        self._lock = threading.RLock()
        self.app = Starlette(routes=[Route("/{path:path}", self._serve, methods=["GET", "POST", "PUT", "DELETE"])])

    # --- knobs ------------------------------------------------------------------------------

    def now(self) -> float:
        return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    def seed_account(self, *, account_id: str | None = None, name: str = "Sandbox Oud House", currency: str = "SAR",
                     time_zone: str = "Asia/Riyadh", organization_name: str = "Sandbox Oud Org",
                     profile_name: str = "Sandbox Oud House", pixel_name: str = "Sandbox Store Pixel",
                     status: str = "ACTIVE") -> SeededAccount:
        with self._lock:
            organization = Organization(str(uuid.uuid4()), organization_name)
            profile_id, pixel_id = str(uuid.uuid4()), str(uuid.uuid4())
            organization.profiles[profile_id] = profile_name
            self.organizations[organization.organization_id] = organization
            account = Account(account_id or str(uuid.uuid4()), organization.organization_id, name, currency, time_zone,
                              status, {pixel_id: pixel_name})
            self.accounts[account.account_id] = account
            pair = self.issue_token()
            return SeededAccount(account.account_id, organization.organization_id, profile_id, pixel_id,
                                 pair.access_token, pair.refresh_token)

    def issue_token(self, *, expires: bool = True) -> TokenPair:
        with self._lock:
            grant = Grant(secrets.token_urlsafe(32))
            assert grant.refresh is not None
            self.refresh_tokens[grant.refresh] = grant
            access = secrets.token_urlsafe(40)
            self.tokens[access] = Access(grant, self.now() + ACCESS_TTL if expires else None)
            return TokenPair(access, grant.refresh)

    def revoke(self, token: str) -> None:
        """The merchant removed ADLY's access: every token of the grant stops working."""
        with self._lock:
            grant = self.tokens[token].grant if token in self.tokens else self.refresh_tokens[token]
            grant.revoked = True

    def fail_next(self, kind: str, *, times: int = 1, path: str | None = None, method: str | None = None) -> None:
        status, code, message = FAILURES[kind]
        body: Any = "<html><body>502 Bad Gateway</body></html>" if kind == "gateway" else error_body(status, code, message)
        with self._lock:
            self._faults.append(Fault(status, body, times, path, method))

    def answer_next(self, status: int, body: Any, *, path: str | None = None, method: str | None = None,
                    times: int = 1) -> None:
        """The next `times` API calls (whose path after /v1/ starts with `path`) get this answer:
        a documented example replayed, or any refusal."""
        with self._lock:
            self._faults.append(Fault(status, body, times, path, method))

    def fail_next_sub_request(self, reason: str, *, path: str | None = None) -> None:
        """The next write's entities fail with `reason` ("E2003: ..."), as Snap answers per entity."""
        with self._lock:
            self._faults.append(Fault(0, reason, 1, path, "write"))

    def set_review(self, ad_id: str, state: str, reasons: list[str] | None = None) -> None:
        with self._lock:
            ad = self.objects[ad_id]
            ad["review_status"] = state
            ad["review_status_reasons"] = reasons if reasons is not None else (
                ["Your ad does not comply with the Snap Advertising Policies."] if state == "REJECTED" else [])

    def restate(self, day: date, factor: Decimal | float | str, *, ad_id: str | None = None) -> None:
        """Snap corrects a past day: every figure of that day (of one ad, or all) times `factor`."""
        with self._lock:
            self.restated[(ad_id, day)] = Decimal(str(factor))
            self._days.clear()   # the whole days worked out before
            self._cells.clear()

    def stall(self, at_request: int, when: str = "before") -> None:
        if when not in ("before", "after"):
            raise ValueError("when is 'before' or 'after'")
        with self._lock:
            self._stall = (self._mutations + at_request, when)
            self.stalled.clear()
            self._released.clear()

    def release(self) -> None:
        self._released.set()

    def count(self, kind: str, account_id: str | None = None) -> int:
        return len(self.of_kind(kind, account_id))

    def of_kind(self, kind: str, account_id: str | None = None) -> list[dict[str, Any]]:
        stored = KINDS[kind]
        media_type = kind.upper() if kind in ("image", "video") else None
        with self._lock:
            return [o for o in self.objects.values() if o["_kind"] == stored
                    and (account_id is None or o["_account"] == account_id)
                    and (media_type is None or o.get("type") == media_type)]

    def writes(self) -> list[Seen]:
        return [s for s in self.requests if s.method in ("POST", "PUT") and s.path.startswith("/v1/")]

    # --- the edge ---------------------------------------------------------------------------

    async def _serve(self, request: Request) -> Response:
        path = request.url.path
        raw = await request.body()
        params: dict[str, Any] = dict(request.query_params)
        content_type = request.headers.get("content-type", "")
        body: Any = None
        files: dict[str, tuple[str, bytes]] = {}
        if content_type.startswith("multipart/form-data"):
            for name, filename, value in _multipart(raw, content_type):
                if filename is not None:
                    files[name] = (filename, value)
        elif content_type.startswith("application/x-www-form-urlencoded"):
            params |= dict(parse_qsl(raw.decode(), keep_blank_values=True))
        elif raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        with self._lock:
            self.requests.append(Seen(request.method, path, params, body))
        if path == "/login/oauth2/authorize":
            return self._authorize_page(params)
        if path == "/login/oauth2/access_token" and request.method == "POST":
            return self._token(params)
        if not path.startswith("/v1/"):
            return self._json(404, error_body(404, "E3003", "Resource can not be found"))
        rest = [p for p in path[4:].split("/") if p]
        when = self._armed(request.method in ("POST", "PUT"))
        if when == "before":
            self.stalled.set()
            if not await hold(request, until=self._released) or await request.is_disconnected():
                return Response(status_code=499)  # the client was killed: nothing was written
        with self._lock:
            response = self._faulted(request.method, "/".join(rest))
            if response is None:
                try:
                    self._authenticate(request)
                    status, answer = self._api(request.method, rest, params, body, files)
                    response = self._json(status, answer)
                except Refused as refused:
                    response = self._json(refused.status, refused.body)
        if when == "after":
            self.stalled.set()
            await hold(request, until=self._released)
        return response

    def _armed(self, mutating: bool) -> str | None:
        with self._lock:
            if not mutating:
                return None
            self._mutations += 1
            if self._stall is not None and self._mutations == self._stall[0]:
                when, self._stall = self._stall[1], None
                return when
        return None

    def _faulted(self, method: str, path: str) -> Response | None:
        for fault in self._faults:
            if fault.method == "write" or (fault.path is not None and not path.startswith(fault.path)):
                continue
            if fault.method not in (None, method):
                continue
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)
            if isinstance(fault.body, str):
                return Response(fault.body, status_code=fault.status, media_type="text/html")
            return self._json(fault.status, fault.body)
        return None

    def _sub_request_fault(self, path: str) -> str | None:
        for fault in self._faults:
            if fault.method == "write" and (fault.path is None or path.startswith(fault.path)):
                self._faults.remove(fault)
                return str(fault.body)
        return None

    @staticmethod
    def _json(status: int, body: Any) -> Response:
        return Response(json.dumps(body, ensure_ascii=False), status_code=status, media_type="application/json")

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        access = self.tokens.get(token)
        if access is None or access.grant.revoked or (access.expires_at is not None and access.expires_at <= self.now()):
            raise Refused(401, {"request_status": "ERROR", "request_id": request_id(), "msg": "Unauthorized",
                                "debug_message": "Unauthorized: the access token is invalid or expired",
                                "error_code": "E1001"})

    # --- OAuth ------------------------------------------------------------------------------

    def _authorize_page(self, params: dict[str, Any]) -> Response:
        if params.get("client_id") != self.client_id or params.get("response_type") != "code" or \
                SCOPE not in str(params.get("scope", "")).split() or not params.get("redirect_uri"):
            return self._json(400, {"error": "invalid_request", "error_description": "Invalid authorize request"})
        code = secrets.token_urlsafe(24)
        with self._lock:
            self.codes[code] = params["redirect_uri"]
        separator = "&" if "?" in params["redirect_uri"] else "?"
        location = params["redirect_uri"] + separator + urlencode({"code": code, "state": params.get("state", "")})
        return Response(status_code=302, headers={"Location": location})

    def _token(self, form: dict[str, Any]) -> Response:
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return self._json(401, {"error": "invalid_client", "error_description": "Invalid client credentials"})
        with self._lock:
            if form.get("grant_type") == "authorization_code":
                redirect = self.codes.pop(str(form.get("code", "")), None)
                if redirect is None or redirect != form.get("redirect_uri"):
                    return self._json(400, {"error": "invalid_grant", "error_description": "Invalid authorization code"})
                pair = self.issue_token()
                return self._token_answer(pair.access_token, pair.refresh_token)
            if form.get("grant_type") == "refresh_token":
                spent = str(form.get("refresh_token", ""))
                grant = self.refresh_tokens.get(spent)
                if grant is None or grant.revoked or grant.refresh != spent:
                    return self._json(400, {"error": "invalid_grant", "error_description": "Invalid refresh token"})
                if self.rotate_refresh:
                    grant.refresh = secrets.token_urlsafe(32)
                    self.refresh_tokens[grant.refresh] = grant
                access = secrets.token_urlsafe(40)
                self.tokens[access] = Access(grant, self.now() + ACCESS_TTL)
                assert grant.refresh is not None
                return self._token_answer(access, grant.refresh)
        return self._json(400, {"error": "unsupported_grant_type", "error_description": "Unsupported grant type"})

    def _token_answer(self, access: str, refresh: str) -> Response:
        return self._json(200, {"access_token": access, "token_type": "Bearer", "expires_in": ACCESS_TTL,
                                "refresh_token": refresh, "scope": SCOPE})

    # --- the API ----------------------------------------------------------------------------

    def _api(self, method: str, rest: list[str], params: dict[str, Any], body: Any,
             files: dict[str, tuple[str, bytes]]) -> tuple[int, Any]:
        if method == "GET":
            return 200, self._read(rest, params)
        if len(rest) == 3 and rest[0] == "media" and rest[2] == "upload" and method == "POST":
            return 200, self._upload(rest[1], files)
        if len(rest) == 3 and rest[2] in COLLECTIONS and method in ("POST", "PUT"):
            return self._write(method, rest[0], rest[1], rest[2], body)
        raise Refused(405, error_body(405, "E1005", "The provided HTTP method is not supported by the URL."))

    def _account(self, account_id: str) -> Account:
        account = self.accounts.get(account_id)
        if account is None:
            raise Refused(404, error_body(404, "E3003", "Resource can not be found"))
        return account

    def _object(self, object_id: str, kind: str) -> dict[str, Any]:
        obj = self.objects.get(object_id)
        if obj is None or obj["_kind"] != kind:
            raise Refused(404, error_body(404, "E3003", "Resource can not be found"))
        return obj

    def _read(self, rest: list[str], params: dict[str, Any]) -> Any:
        if rest == ["me", "organizations"]:
            rows = [self._organization_row(o, params.get("with_ad_accounts") == "true")
                    for o in self.organizations.values()]
            return self._page("organizations", "organization", rows, params, "me/organizations")
        if len(rest) == 2 and rest[0] == "adaccounts":
            return self._envelope("adaccounts", "adaccount", [self._account_row(self._account(rest[1]))])
        if len(rest) == 3 and rest[0] == "organizations" and rest[2] == "public_profiles":
            organization = self.organizations.get(rest[1])
            if organization is None:
                raise Refused(404, error_body(404, "E3003", "Resource can not be found"))
            rows = [{"id": p, "organization_id": organization.organization_id, "display_name": n,
                     "profile_type": "PUBLIC_PROFILE"} for p, n in organization.profiles.items()]
            return self._page("public_profiles", "public_profile", rows, params, "/".join(rest))
        if len(rest) == 2 and rest[0] in STATS_TYPES | {"media": "", "creatives": ""}:
            obj = self._object(rest[1], COLLECTIONS[rest[0]])
            if rest[0] == "media" and obj.get("_processing"):
                obj["_polls"] = obj.get("_polls", 0) + 1
                if obj["_polls"] >= self.video_polls:
                    obj["media_status"], obj["_processing"] = "READY", False
            return self._envelope(rest[0], COLLECTIONS[rest[0]], [self._render(obj)])
        if len(rest) == 3 and rest[2] == "stats" and rest[0] == "adaccounts":
            return self._account_stats(rest[1], params)
        if len(rest) == 3 and rest[2] == "stats" and rest[0] in STATS_TYPES:
            return self._stats(rest[0], rest[1], params)
        if len(rest) == 3 and rest[2] in COLLECTIONS:
            return self._list(rest[0], rest[1], rest[2], params)
        raise Refused(404, error_body(404, "E3003", "Resource can not be found"))

    def _list(self, owner_kind: str, owner_id: str, plural: str, params: dict[str, Any]) -> Any:
        singular = COLLECTIONS[plural]
        if owner_kind == "adaccounts":
            account = self._account(owner_id)
            if plural == "pixels":
                rows = [{"id": p, "name": n, "ad_account_id": account.account_id, "status": "ACTIVE"}
                        for p, n in account.pixels.items()]
                return self._page(plural, singular, rows, params, f"adaccounts/{owner_id}/pixels")
            found = [o for o in self.objects.values() if o["_account"] == owner_id and o["_kind"] == singular]
        elif (owner_kind, plural) in (("campaigns", "adsquads"), ("adsquads", "ads")):
            self._object(owner_id, COLLECTIONS[owner_kind])
            link = "campaign_id" if plural == "adsquads" else "ad_squad_id"
            found = [o for o in self.objects.values() if o["_kind"] == singular and o.get(link) == owner_id]
        else:
            raise Refused(404, error_body(404, "E3003", "Resource can not be found"))
        return self._page(plural, singular, [self._render(o) for o in found], params, f"{owner_kind}/{owner_id}/{plural}")

    def _envelope(self, plural: str, singular: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
        return {"request_status": "SUCCESS", "request_id": request_id(),
                plural: [{"sub_request_status": "SUCCESS", singular: row} for row in rows]}

    def _page(self, plural: str, singular: str, rows: list[dict[str, Any]], params: dict[str, Any],
              path: str) -> dict[str, Any]:
        try:
            limit = int(params.get("limit", 50))
        except ValueError:
            limit = 0
        if not 50 <= limit <= 1000:
            raise bad("limit must be between 50 and 1000")
        start = int(params.get("cursor", "0") or 0) if str(params.get("cursor", "0")).isdigit() else 0
        answer = self._envelope(plural, singular, rows[start:start + limit])
        if start + limit < len(rows):
            query = {k: v for k, v in params.items() if k != "cursor"} | {"cursor": str(start + limit)}
            answer["paging"] = {"next_link": f"{self.next_link_host}/v1/{path}?{urlencode(query)}"}
        return answer

    def _render(self, obj: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in obj.items() if not k.startswith("_")}

    def _organization_row(self, organization: Organization, with_accounts: bool) -> dict[str, Any]:
        row: dict[str, Any] = {"id": organization.organization_id, "name": organization.name, "type": "ENTERPRISE",
                               "state": "ACTIVE", "country": "SA", "updated_at": utc_iso(self.now()),
                               "created_at": utc_iso(self.now())}
        if with_accounts:
            row["ad_accounts"] = [self._account_row(a) for a in self.accounts.values()
                                  if a.organization_id == organization.organization_id]
        return row

    @staticmethod
    def _account_row(account: Account) -> dict[str, Any]:
        return {"id": account.account_id, "name": account.name, "type": "PARTNER", "status": account.status,
                "organization_id": account.organization_id, "currency": account.currency,
                "timezone": account.time_zone, "advertiser_organization_id": account.organization_id,
                "lifetime_spend_cap_micro": 0}

    # --- writes -----------------------------------------------------------------------------

    def _write(self, method: str, owner_kind: str, owner_id: str, plural: str, body: Any) -> tuple[int, Any]:
        singular = COLLECTIONS[plural]
        path = f"{owner_kind}/{owner_id}/{plural}"
        entities = body.get(plural) if isinstance(body, dict) else None
        if not isinstance(entities, list) or not entities:
            raise bad(f"The request body must be {{\"{plural}\": [...]}}")
        account = self._owner_account(owner_kind, owner_id, plural)
        forced = self._sub_request_fault(path)
        results = []
        for entity in entities:
            try:
                if forced is not None:
                    raise Invalid(*forced.split(": ", 1)) if ": " in forced else Invalid("E2002", forced)
                if not isinstance(entity, dict):
                    raise Invalid("E2002", f"each of {plural} must be an object")
                stored = self._create(account, owner_id, singular, entity) if method == "POST" else \
                    self._replace(account, owner_id, singular, entity)
                results.append({"sub_request_status": "SUCCESS", singular: self._render(stored)})
            except Invalid as invalid:
                results.append({"sub_request_status": "ERROR", "sub_request_error_reason": str(invalid)})
        good = sum(r["sub_request_status"] == "SUCCESS" for r in results)
        status = "SUCCESS" if good == len(results) else "PARTIAL" if good else "ERROR"
        return (200 if good else 400), {"request_status": status, "request_id": request_id(), plural: results}

    def _owner_account(self, owner_kind: str, owner_id: str, plural: str) -> Account:
        if owner_kind == "adaccounts" and plural in ("campaigns", "media", "creatives"):
            return self._account(owner_id)
        if (owner_kind, plural) in (("campaigns", "adsquads"), ("adsquads", "ads")):
            return self.accounts[self._object(owner_id, COLLECTIONS[owner_kind])["_account"]]
        raise Refused(404, error_body(404, "E3003", "Resource can not be found"))

    def _store(self, kind: str, account: Account, fields: dict[str, Any]) -> dict[str, Any]:
        now = utc_iso(self.now())
        obj = {"_kind": kind, "_account": account.account_id, "id": str(uuid.uuid4()), "created_at": now,
               "updated_at": now} | fields
        self.objects[obj["id"]] = obj
        return obj

    def _create(self, account: Account, owner_id: str, kind: str, entity: dict[str, Any]) -> dict[str, Any]:
        fields = getattr(self, f"_{kind}")(account, owner_id, entity)
        return self._store(kind, account, fields)

    def _replace(self, account: Account, owner_id: str, kind: str, entity: dict[str, Any]) -> dict[str, Any]:
        stored = self.objects.get(str(entity.get("id", "")))
        if stored is None or stored["_kind"] != kind or stored["_account"] != account.account_id:
            raise Invalid("E3003", f"{kind} {entity.get('id')} not found")
        fields = getattr(self, f"_{kind}")(account, owner_id, entity)  # the whole entity, validated again
        stored.update({k: v for k, v in fields.items() if k not in ("review_status", "review_status_reasons")})
        for gone in ("daily_budget_micro", "lifetime_budget_micro", "end_time"):
            if gone not in fields:
                stored.pop(gone, None)
        stored["updated_at"] = utc_iso(self.now())
        return stored

    @staticmethod
    def _name(entity: dict[str, Any]) -> str:
        name = entity.get("name")
        if not isinstance(name, str) or not name.strip():
            raise Invalid("E2001", "name is required")
        if len(name) > NAME_LIMIT:
            raise Invalid("E2001", f"name max length: {NAME_LIMIT} characters")
        return name

    @staticmethod
    def _status(entity: dict[str, Any]) -> str:
        status = entity.get("status")
        if status not in ("ACTIVE", "PAUSED"):
            raise Invalid("E2002", "status must be ACTIVE or PAUSED")
        return str(status)

    def _campaign(self, account: Account, owner_id: str, entity: dict[str, Any]) -> dict[str, Any]:
        if entity.get("ad_account_id") != account.account_id:
            raise Invalid("E2002", "ad_account_id must be the ad account of the request")
        if not entity.get("start_time"):
            raise Invalid("E2001", "start_time is required")
        parse_time(entity["start_time"], "start_time")
        objective = (entity.get("objective_v2_properties") or {}).get("objective_v2_type")
        if objective not in OBJECTIVES:
            raise Invalid("E2002", "objective_v2_properties.objective_v2_type must be one of "
                                   + ", ".join(sorted(OBJECTIVES)))
        return {"name": self._name(entity), "ad_account_id": account.account_id, "status": self._status(entity),
                "start_time": entity["start_time"], "objective_v2_properties": entity["objective_v2_properties"],
                "buy_model": "AUCTION"} | ({"end_time": entity["end_time"]} if entity.get("end_time") else {})

    def _adsquad(self, account: Account, owner_id: str, entity: dict[str, Any]) -> dict[str, Any]:
        if entity.get("campaign_id") != owner_id:
            raise Invalid("E2002", "campaign_id must be the campaign of the request")
        if entity.get("type") != "SNAP_ADS" or entity.get("billing_event") != "IMPRESSION":
            raise Invalid("E2002", "type must be SNAP_ADS and billing_event IMPRESSION")
        if entity.get("optimization_goal") not in GOALS:
            raise Invalid("E2002", "optimization_goal is not valid")
        budgets = [k for k in ("daily_budget_micro", "lifetime_budget_micro") if entity.get(k) is not None]
        if len(budgets) != 1:
            raise Invalid("E2002", "one of daily_budget_micro or lifetime_budget_micro must be set")
        micros = entity[budgets[0]]
        if not isinstance(micros, int) or isinstance(micros, bool):
            raise Invalid("E2002", f"{budgets[0]} must be an integer number of micros")
        if budgets[0] == "daily_budget_micro" and micros < MIN_DAILY_MICROS:
            raise Invalid("E2002", f"daily_budget_micro must be at least {MIN_DAILY_MICROS}")
        starts = parse_time(entity.get("start_time"), "start_time") if entity.get("start_time") else None
        if entity.get("end_time"):
            ends = parse_time(entity["end_time"], "end_time")
            if starts is not None and ends <= starts:
                raise Invalid("E2002", "end_time must be after start_time")
        elif budgets[0] == "lifetime_budget_micro":
            raise Invalid("E2002", "end_time is required with lifetime_budget_micro")
        if entity["optimization_goal"] == "PIXEL_PURCHASE" and entity.get("pixel_id") not in account.pixels:
            raise Invalid("E2002", "pixel_id must be a pixel of the ad account for PIXEL_PURCHASE")
        self._targeting(entity.get("targeting"))
        keep = ("campaign_id", "type", "billing_event", "optimization_goal", "targeting", "placement_v2",
                "bid_strategy", "bid_micro", "start_time", "end_time", "pixel_id", budgets[0])
        return {"name": self._name(entity), "status": self._status(entity)} | {
            k: entity[k] for k in keep if entity.get(k) is not None}

    @staticmethod
    def _targeting(targeting: Any) -> None:
        geos = targeting.get("geos") if isinstance(targeting, dict) else None
        if not isinstance(geos, list) or not geos:
            raise Invalid("E2002", "targeting.geos is required")
        if any(not isinstance(g, dict) or not re.fullmatch(r"[a-z]{2}", str(g.get("country_code"))) for g in geos):
            raise Invalid("E2002", "targeting.geos country_code must be a lowercase ISO country code")
        demographics = targeting.get("demographics") or []
        languages = [d.get("languages") for d in demographics if isinstance(d, dict) and d.get("languages")]
        if len(geos) > 1 and len(languages) != 1:
            raise Invalid("E2002", "targeting with several countries needs a demographics entry with languages")
        for entry in demographics:
            for key in ("min_age", "max_age"):
                if key in entry and not (str(entry[key]).isdigit() and 13 <= int(entry[key]) <= 55):
                    raise Invalid("E2002", f"demographics {key} must be between 13 and 55")
            if entry.get("gender") not in (None, "MALE", "FEMALE"):
                raise Invalid("E2002", "demographics gender must be MALE or FEMALE")

    def _media(self, account: Account, owner_id: str, entity: dict[str, Any]) -> dict[str, Any]:
        if entity.get("type") not in ("IMAGE", "VIDEO"):
            raise Invalid("E2002", "type must be IMAGE or VIDEO")
        if entity.get("ad_account_id") not in (None, account.account_id):
            raise Invalid("E2002", "ad_account_id must be the ad account of the request")
        return {"name": self._name(entity), "type": entity["type"], "ad_account_id": account.account_id,
                "media_status": "PENDING_UPLOAD"}

    def _upload(self, media_id: str, files: dict[str, tuple[str, bytes]]) -> Any:
        media = self._object(media_id, "media")
        if "file" not in files or not files["file"][1]:
            raise bad("file is required")
        filename, content = files["file"]
        media["_sha256"], media["file_name"] = hashlib.sha256(content).hexdigest(), filename
        media["_polls"] = 0
        ready = media["type"] == "IMAGE" or self.video_polls == 0
        media["media_status"] = "READY" if ready else "PENDING_UPLOAD"
        media["_processing"] = not ready
        media["download_link"] = f"{self.url}/media/{media_id}/{filename}"
        return {"request_status": "SUCCESS", "request_id": request_id(), "result": self._render(media)}

    def _creative(self, account: Account, owner_id: str, entity: dict[str, Any]) -> dict[str, Any]:
        if entity.get("type") != "WEB_VIEW":
            raise Invalid("E2002", "type must be WEB_VIEW")
        headline, brand = entity.get("headline"), entity.get("brand_name")
        if not isinstance(headline, str) or not headline or len(headline) > HEADLINE_LIMIT:
            raise Invalid("E2004", f"headline is required, max length: {HEADLINE_LIMIT} characters")
        if not isinstance(brand, str) or not brand or len(brand) > BRAND_LIMIT:
            raise Invalid("E2004", f"brand_name is required, max length: {BRAND_LIMIT} characters")
        media = self.objects.get(str(entity.get("top_snap_media_id")))
        if media is None or media["_kind"] != "media" or media["_account"] != account.account_id:
            raise Invalid("E2002", "top_snap_media_id must be media of the ad account")
        if media.get("_processing") and media.get("_polls", 0) >= self.video_polls:
            media["media_status"], media["_processing"] = "READY", False
        if media["media_status"] != "READY":
            raise Invalid("E2006", "top_snap_media_id media hasn't been uploaded yet")
        profile = (entity.get("profile_properties") or {}).get("profile_id")
        if profile not in self.organizations[account.organization_id].profiles:
            raise Invalid("E2002", "profile_properties.profile_id must be a public profile of the organization")
        url = (entity.get("web_view_properties") or {}).get("url")
        if not re.match(r"https?://", str(url or "")):
            raise Invalid("E2002", "web_view_properties.url must be a valid URL")
        if entity.get("call_to_action") not in CALLS_TO_ACTION:
            raise Invalid("E2002", "call_to_action is not valid for WEB_VIEW")
        return {"name": self._name(entity), "ad_account_id": account.account_id, "type": "WEB_VIEW",
                "headline": headline, "brand_name": brand, "shareable": bool(entity.get("shareable", True)),
                "call_to_action": entity["call_to_action"], "top_snap_media_id": media["id"],
                "profile_properties": {"profile_id": profile}, "web_view_properties": {"url": url},
                "review_status": "APPROVED"}

    def _ad(self, account: Account, owner_id: str, entity: dict[str, Any]) -> dict[str, Any]:
        if entity.get("ad_squad_id") != owner_id:
            raise Invalid("E2002", "ad_squad_id must be the ad squad of the request")
        creative = self.objects.get(str(entity.get("creative_id")))
        if creative is None or creative["_kind"] != "creative" or creative["_account"] != account.account_id:
            raise Invalid("E2002", "creative_id must be a creative of the ad account")
        if entity.get("type") != "SNAP_AD":
            raise Invalid("E2002", "type must be SNAP_AD")
        squad = self.objects[owner_id]
        fields = {"name": self._name(entity), "ad_squad_id": owner_id, "creative_id": creative["id"],
                  "status": self._status(entity), "type": "SNAP_AD", "render_type": "STATIC",
                  "_campaign": squad["campaign_id"]}
        if entity.get("id") is None:
            fields |= {"review_status": self.review_on_create, "review_status_reasons": [],
                       "_since": self.now() - self.history_days * 86400}
        return fields

    # --- stats ------------------------------------------------------------------------------

    def figures(self, ad_id: str, day: date) -> dict[str, int]:
        """An ad's whole day, before any restatement: a deterministic function of the ad and the day."""
        digest = hashlib.sha256(f"{ad_id}/{day.isoformat()}".encode()).digest()
        impressions = 900 + int.from_bytes(digest[:2], "big") % 1600
        swipes = impressions * (8 + digest[2] % 25) // 1000
        purchases = swipes // (9 + digest[3] % 7)
        return {"impressions": impressions, "swipes": swipes,
                "spend": impressions * (3_100 + int.from_bytes(digest[4:6], "big") % 2_900) + digest[6] * 7,
                "conversion_purchases": purchases,
                "conversion_purchases_value": purchases * (89_000_000 + int.from_bytes(digest[7:10], "big") % 120_000_000)}

    def _restated(self, ad_id: str, day: date, values: dict[str, int]) -> dict[str, int]:
        factor = self.restated.get((ad_id, day), self.restated.get((None, day)))
        return values if factor is None else {k: int(Decimal(v) * factor) for k, v in values.items()}

    def _whole_day(self, ad_id: str, day: date) -> dict[str, int]:
        """The ad's whole day as restated: kept until the next `restate` (an account's report
        asks every ad's days again and again)."""
        values = self._days.get((ad_id, day))
        if values is None:
            values = self._days[(ad_id, day)] = self._restated(ad_id, day, self.figures(ad_id, day))
        return values

    def _hour(self, ad_id: str, day: date, hour: int) -> dict[str, int]:
        """The ad's figures of one local hour: the day's split by HOUR_WEIGHTS, summing exactly to it."""
        whole = self._whole_day(ad_id, day)
        total = sum(HOUR_WEIGHTS)
        before = sum(HOUR_WEIGHTS[:hour])
        return {k: v * (before + HOUR_WEIGHTS[hour]) // total - v * before // total for k, v in whole.items()}

    def _delivered(self, ad_id: str, start: datetime, end: datetime, tz: ZoneInfo,
                   now: datetime | None = None) -> dict[str, int]:
        """What the ad delivered in [start, end) local: the hours since it exists (less
        `history_days`, from the start of that hour) that the fake's clock has passed."""
        now = now or datetime.fromtimestamp(self.now(), tz)
        since = datetime.fromtimestamp(self.objects[ad_id].get("_since", 0), tz).replace(minute=0, second=0,
                                                                                          microsecond=0)
        start = max(start, since)
        total = dict.fromkeys(FIELDS, 0)
        day = start.date()
        hour = timedelta(hours=1)
        while (day_start := datetime.combine(day, datetime.min.time(), tz)) < end:
            day_end = day_start + timedelta(days=1)
            if day_end <= now and start <= day_start and day_end <= end:
                values = self._whole_day(ad_id, day)   # a whole past day
            else:  # the whole hours of this day inside [start, min(end, now))
                first = max(0, -((day_start - start) // hour))
                last = min(24, (min(end, now) - day_start) // hour)
                values = dict.fromkeys(FIELDS, 0)
                for h in range(first, last):
                    values = {k: values[k] + v for k, v in self._hour(ad_id, day, h).items()}
            total = {k: total[k] + values[k] for k in FIELDS}
            day += timedelta(days=1)
        return total

    def _ads_under(self, kind: str, object_id: str) -> list[str]:
        if kind == "ad":
            return [object_id]
        link = "ad_squad_id" if kind == "adsquad" else "_campaign"
        return [o["id"] for o in self.objects.values() if o["_kind"] == "ad" and o.get(link) == object_id]

    def _stats_query(self, params: dict[str, Any], account: Account
                     ) -> tuple[str, list[str], datetime, datetime, timedelta, ZoneInfo]:
        tz = ZoneInfo(account.time_zone)
        granularity = params.get("granularity", "TOTAL")
        if granularity not in ("TOTAL", "DAY", "HOUR"):
            raise bad("granularity must be TOTAL, DAY or HOUR")
        fields = [f for f in str(params.get("fields", "impressions,swipes,spend")).split(",") if f]
        try:
            start, end = (datetime.fromisoformat(str(params[k])) for k in ("start_time", "end_time"))
        except (KeyError, ValueError):
            raise bad("start_time and end_time are required ISO 8601 times") from None
        step = self._check_window(granularity, start, end, tz, account.time_zone)
        return granularity, fields, start, end, step, tz

    def _stats(self, plural: str, object_id: str, params: dict[str, Any]) -> Any:
        kind = COLLECTIONS[plural]
        obj = self._object(object_id, kind)
        account = self.accounts[obj["_account"]]
        granularity, fields, start, end, step, tz = self._stats_query(params, account)
        breakdown = params.get("breakdown")
        if breakdown not in (None, "adsquad", "ad") or (breakdown == "adsquad" and kind != "campaign"):
            raise bad(f"breakdown {breakdown} is not supported here")
        stat: dict[str, Any] = {"id": object_id, "type": STATS_TYPES[plural], "granularity": granularity,
                                "start_time": snap_iso(start.astimezone(tz)), "end_time": snap_iso(end.astimezone(tz))}
        if breakdown is None:
            series = self._series(self._ads_under(kind, object_id), start, end, step, tz, fields)
            stat |= {"timeseries": series} if granularity != "TOTAL" else {"stats": series[0]["stats"]}
        else:
            parts = self._ads_under(kind, object_id) if breakdown == "ad" else [
                o["id"] for o in self.objects.values() if o["_kind"] == "adsquad" and o["campaign_id"] == object_id]
            stat["breakdown_stats"] = {breakdown: [
                {"id": part, "type": "AD" if breakdown == "ad" else "AD_SQUAD", "granularity": granularity,
                 "timeseries": self._series(self._ads_under(breakdown, part), start, end, step, tz, fields)}
                for part in parts]}
        key = "total_stats" if granularity == "TOTAL" else "timeseries_stats"
        return {"request_status": "SUCCESS", "request_id": request_id(),
                key: [{"sub_request_status": "SUCCESS", key[:-1]: stat}]}

    def _points(self, ad: dict[str, Any], grid: list[tuple[datetime, datetime]], granularity: str, tz: ZoneInfo,
                now: datetime) -> list[tuple[int, ...]]:
        """An ad's figures at each point of the grid (in FIELDS' order): a whole past day or
        hour straight from the day's figures, anything else as `_delivered` works it out."""
        since = datetime.fromtimestamp(ad.get("_since", 0), tz).replace(minute=0, second=0, microsecond=0)
        whole_day, hour = granularity == "DAY", granularity == "HOUR"
        found = []
        for first, following in grid:
            if following <= now and since <= first and (whole_day or (hour and first.minute == 0)):
                key = (ad["id"], first.date(), None if whole_day else first.hour)
                cell = self._cells.get(key)
                if cell is None:
                    values = self._whole_day(ad["id"], first.date()) if whole_day else \
                        self._hour(ad["id"], first.date(), first.hour)
                    cell = self._cells[key] = tuple(values[k] for k in FIELDS)
                found.append(cell)
            else:
                values = self._delivered(ad["id"], first, following, tz, now)
                found.append(tuple(values[k] for k in FIELDS))
        return found

    def _account_stats(self, account_id: str, params: dict[str, Any]) -> Any:
        """`GET /adaccounts/{id}/stats`: the account's own figures, or `breakdown=campaign|adsquad|ad`
        (every one of the account's, each with its own timeseries, no filter by campaign). Each
        ad's points are worked out once per query and summed into its ad squad or campaign."""
        account = self._account(account_id)
        granularity, fields, start, end, step, tz = self._stats_query(params, account)
        breakdown = params.get("breakdown")
        types = {"campaign": "CAMPAIGN", "adsquad": "AD_SQUAD", "ad": "AD"}
        if breakdown not in (None, *types):
            raise bad(f"breakdown {breakdown} is not supported here")
        ads = [o for o in self.objects.values() if o["_kind"] == "ad" and o["_account"] == account_id]
        grid, moment = [], start.astimezone(tz)
        while moment < end:
            following = (datetime.combine(moment.date() + timedelta(days=1), datetime.min.time(), tz)
                         if step == timedelta(days=1) else min(moment + step, end.astimezone(tz)))
            grid.append((moment, following))
            moment = following
        now = datetime.fromtimestamp(self.now(), tz)
        if breakdown is None:
            parts: dict[str, list[str]] = {account_id: [o["id"] for o in ads]}
        else:
            link = {"campaign": "_campaign", "adsquad": "ad_squad_id", "ad": "id"}[breakdown]
            parts = {o["id"]: [] for o in self.objects.values()
                     if o["_kind"] == breakdown and o["_account"] == account_id}
            for ad in ads:
                parts.setdefault(ad.get(link) or "", []).append(ad["id"])
            parts.pop("", None)
        per_ad = {o["id"]: self._points(o, grid, granularity, tz, now) for o in ads}
        labels = [(snap_iso(first), snap_iso(following)) for first, following in grid]
        wanted = [(i, k) for i, k in enumerate(FIELDS) if k in fields]
        nothing = [tuple(0 for _ in FIELDS)] * len(grid)
        rendered = []
        for part, members in parts.items():
            if len(members) == 1:
                sums = per_ad[members[0]]
            else:
                sums = [tuple(map(sum, zip(*point, strict=True)))
                        for point in zip(*(per_ad[m] for m in members), strict=True)] or nothing
            points = [{"start_time": first, "end_time": following, "stats": {k: values[i] for i, k in wanted}}
                      for (first, following), values in zip(labels, sums or nothing, strict=True)]
            body = {"timeseries": points} if granularity != "TOTAL" else {"stats": points[0]["stats"]}
            rendered.append({"id": part, "type": types.get(breakdown or "", "AD_ACCOUNT"), "granularity": granularity}
                            | body)
        stat: dict[str, Any] = {"id": account_id, "type": "AD_ACCOUNT", "granularity": granularity,
                                "start_time": snap_iso(start.astimezone(tz)), "end_time": snap_iso(end.astimezone(tz))}
        if breakdown is None:
            stat |= {k: v for k, v in rendered[0].items() if k in ("timeseries", "stats")}
        else:
            stat["breakdown_stats"] = {breakdown: rendered}
        key = "total_stats" if granularity == "TOTAL" else "timeseries_stats"
        return {"request_status": "SUCCESS", "request_id": request_id(),
                key: [{"sub_request_status": "SUCCESS", key[:-1]: stat}]}

    @staticmethod
    def _check_window(granularity: str, start: datetime, end: datetime, tz: ZoneInfo, zone_name: str) -> timedelta:
        if start.tzinfo is None or end.tzinfo is None or end <= start:
            raise bad("start_time and end_time must carry an offset, the end after the start")
        if granularity == "DAY":
            for moment in (start, end):
                local = moment.astimezone(tz)
                if (local.hour, local.minute, local.second) != (0, 0, 0) or moment.utcoffset() != local.utcoffset():
                    raise bad("Unsupported Stats Query: Timeseries queries with DAY granularity must have a start "
                              "time that is the start of day (00:00:00) for the account's timezone. This account's "
                              f"timezone is: {zone_name}", "E1006")
            if (end.astimezone(tz).date() - start.astimezone(tz).date()).days > 31:
                raise bad("Unsupported Stats Query: DAY granularity queries cannot span more than 31 days", "E1006")
            return timedelta(days=1)
        if granularity == "HOUR":
            if start.minute or start.second or end.minute or end.second:
                raise bad("Unsupported Stats Query: HOUR granularity queries must start and end on the hour", "E1006")
            if end - start > timedelta(days=7):
                raise bad("Unsupported Stats Query: HOUR granularity queries cannot span more than 7 days", "E1006")
            return timedelta(hours=1)
        return end - start

    def _series(self, ads: list[str], start: datetime, end: datetime, step: timedelta, tz: ZoneInfo,
                fields: list[str]) -> list[dict[str, Any]]:
        points = []
        moment, now = start.astimezone(tz), datetime.fromtimestamp(self.now(), tz)
        while moment < end:
            following = (datetime.combine(moment.date() + timedelta(days=1), datetime.min.time(), tz)
                         if step == timedelta(days=1) else min(moment + step, end.astimezone(tz)))
            totals = dict.fromkeys(FIELDS, 0)
            for ad_id in ads:
                delivered = self._delivered(ad_id, moment, following, tz, now)
                totals = {k: totals[k] + delivered[k] for k in FIELDS}
            points.append({"start_time": snap_iso(moment), "end_time": snap_iso(following),
                           "stats": {k: totals[k] for k in fields if k in totals}})
            moment = following
        return points


# --- the sandbox ------------------------------------------------------------------------------


def build_snapchat(plan: dict[str, Any], home: Any = None) -> tuple[FakeSnapchat, dict[str, Any]]:
    """A sandbox ad account (`adly-dev run --sandbox`): ads approved at once, with three days of
    history the moment they exist (so analytics is not empty), then moving hour by hour; a
    known access token that does not expire."""
    fake = FakeSnapchat(plan.get("port"), client_id=plan.get("client_id", CLIENT_ID),
                        client_secret=plan.get("client_secret", CLIENT_SECRET), review_on_create="APPROVED",
                        history_days=plan.get("history_days", 3))
    seeded = fake.seed_account(account_id=plan.get("account_id"), name=plan.get("name", "Sandbox Oud House"),
                               currency=plan.get("currency", "SAR"), time_zone=plan.get("time_zone", "Asia/Riyadh"))
    token = plan.get("token")
    if token:
        fake.tokens[token] = Access(fake.tokens[seeded.token].grant, None)
    connect = {"platform": "snapchat", "accounts_url": fake.accounts_url, "api_url": fake.api_url,
               "account_id": seeded.account_id, "profile_id": seeded.profile_id, "pixel_id": seeded.pixel_id,
               "currency": plan.get("currency", "SAR"), "time_zone": plan.get("time_zone", "Asia/Riyadh")}
    if token:
        connect["access_token"] = token
    return fake, {"connect": connect, "flow": "oauth"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake Snap Marketing API on 127.0.0.1 (tests/fakes/snapchat.py)")
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    fake, about = build_snapchat({"port": args.port})
    with fake:
        pair = fake.issue_token(expires=False)
        print(f"sandbox snapchat on {fake.url}: {json.dumps(about['connect'])}; token {pair.access_token}", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
