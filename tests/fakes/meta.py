"""A local Meta: Facebook Login's dialog and the Graph / Marketing API, on one loopback server.

`graph_url` (= `dialog_url` = `url`) serves `/{version}/...` for the versions it is told to
(v26.0 and v27.0 by default; another version answers Meta's deprecated-version error). It
reproduces what the campaigns client must cope with (the client's docstring says what was
verified and where):

- Login: `GET /{v}/dialog/oauth` approves at once and redirects back with `code` and `state`;
  `GET /{v}/oauth/access_token` exchanges a code (short-lived token, `expires_in` 7200) or a
  short-lived token (`grant_type=fb_exchange_token`, long-lived, `expires_in` 5183944).
  Tokens arrive as `Authorization: Bearer` or `access_token`; `require_proof` checks
  `appsecret_proof`. A revoked token answers 190 with its subcode (460 password changed,
  463 expired, 458 app removed).
- Reads: `/me`, `/me/adaccounts`, `/me/accounts` (pages), `/act_{id}/promote_pages`,
  `/act_{id}/adspixels`, `/search?type=adgeolocation|adlocale`, list edges of campaigns,
  ad sets, ads, creatives, images (`hashes`) and videos with `fields`, `filtering`
  (EQUAL, NOT_EQUAL, CONTAIN, IN, NOT_IN) and cursor paging, `GET /{id}?fields=` and
  `GET /?ids=a,b&fields=`. Every number an object carries is a string, as Meta sends them
  (budgets, ids); account_status is an integer, as Meta sends it.
- Creates validate what Meta validates and answer code 100 with `blame_field_specs`
  otherwise: `special_ad_categories` and (v24+) `is_adset_budget_sharing_enabled` on
  campaigns; integer budgets in minor units above a minimum, lifetime budgets with an end,
  targeting JSON with a location, no country together with one of its cities, known city and
  locale keys, ages 13-65, genders 1/2; a pixel in `promoted_object` for conversions; a
  page the account may promote, a known image hash or a processed video in creatives.
  Images are keyed by content (MD5 of the bytes): the same bytes make no second image.
  Videos are `processing` for `video_polls` status reads, then `ready`.
- `POST /{id}` updates status, budgets, times and names (`{"success": true}`).
- Reviews: an ad starts `review_on_create` ("in_review" -> effective_status PENDING_REVIEW);
  `set_review(ad_id, "approved" | "disapproved", feedback)`; a disapproved ad reads
  DISAPPROVED with `ad_review_feedback {"global": {...}}`.
- Usage headers on every answer (X-App-Usage, and for account calls X-Ad-Account-Usage and
  X-Business-Use-Case-Usage): `set_usage(percent, ...)`.
- Failures: `fail_next(kind)` with kind one of `FAILURES` (token_revoked, token_expired,
  permission, user_throttle 17, account_throttle 613/1487742, buc_throttle 80004,
  app_throttle 4, policy 368, transient 2, http_500), or `fail_next_error(...)` for any body.
- Stalls for the kill test: `stall(at_request=n, when="before"|"after")` holds the n-th
  mutating request (POST) from now on: "before" nothing is created yet, "after" the object
  exists and only the answer is held. `stalled` (threading.Event) is set while it is held;
  `release()` lets it go; a client that hangs up leaves "before" uncreated.
- `count(kind)` counts objects per kind ("campaign", "ad_set", "image", "video", "creative",
  "ad"), optionally per account.
- Insights (tests/fakes/meta_insights.py, `fake.insights`): sync and async reports per ad, ad set
  and campaign, per day and per hour, figures seeded per ad and day that move with the fake's
  clock, `restate(day)`, purchases under several action types, string numbers, cursor paging,
  the `x-fb-ads-insights-throttle` header and the insights failures (`insights_throttle`
  4/1504022, `insights_timeout` 100/1504018, `insights_intermittent` 2/1504043).

Locale keys and city keys here are illustrative (Meta's real numbers are looked up, never
hard-coded, by the client). `build_meta` makes a seeded fake for the sandbox; `python -m
tests.fakes.meta --port N` runs one alone.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import re
import secrets
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.meta_insights import INSIGHTS_HEADER, MetaInsights, encode
from tests.fakes.server import FakeServer, hold

APP_ID, APP_SECRET = "fake-meta-app", "fake-meta-app-secret"
VERSIONS = ("v26.0", "v27.0")
USER_ID, BUSINESS_ID = "10150000000000001", "1020000000000001"
SHORT_TTL, LONG_TTL = 7200, 5_183_944
OBJECTIVES = {"OUTCOME_SALES", "OUTCOME_TRAFFIC", "OUTCOME_AWARENESS", "OUTCOME_ENGAGEMENT", "OUTCOME_LEADS",
              "OUTCOME_APP_PROMOTION"}
BILLING_EVENTS = {"IMPRESSIONS", "LINK_CLICKS", "THRUPLAY"}
GOALS = {"OUTCOME_SALES": {"OFFSITE_CONVERSIONS", "VALUE", "LINK_CLICKS", "LANDING_PAGE_VIEWS", "IMPRESSIONS"},
         "OUTCOME_TRAFFIC": {"LINK_CLICKS", "LANDING_PAGE_VIEWS", "REACH", "IMPRESSIONS"},
         "OUTCOME_AWARENESS": {"REACH", "IMPRESSIONS", "AD_RECALL_LIFT", "THRUPLAY"}}
CALLS_TO_ACTION = {"SHOP_NOW", "LEARN_MORE", "ORDER_NOW", "BUY_NOW", "GET_OFFER", "SIGN_UP", "CONTACT_US", "BOOK_NOW"}
KINDS = {"campaign": "campaign", "campaigns": "campaign", "ad_set": "ad_set", "adset": "ad_set", "adsets": "ad_set",
         "image": "image", "adimages": "image", "video": "video", "advideos": "video", "creative": "creative",
         "adcreatives": "creative", "ad": "ad", "ads": "ad"}
# key, name, Arabic name, country, country name, region, region id
CITIES = [
    ("2479611", "Riyadh", "الرياض", "SA", "Saudi Arabia", "Riyadh Province", 3101),
    ("2479613", "Jeddah", "جدة", "SA", "Saudi Arabia", "Makkah Province", 3102),
    ("2479615", "Dammam", "الدمام", "SA", "Saudi Arabia", "Eastern Province", 3103),
    ("2479617", "Mecca", "مكة", "SA", "Saudi Arabia", "Makkah Province", 3102),
    ("2479619", "Medina", "المدينة", "SA", "Saudi Arabia", "Al Madinah Province", 3104),
    ("1955621", "Dubai", "دبي", "AE", "United Arab Emirates", "Dubai", 2901),
    ("1955623", "Abu Dhabi", "أبوظبي", "AE", "United Arab Emirates", "Abu Dhabi", 2902),
    ("1955625", "Sharjah", "الشارقة", "AE", "United Arab Emirates", "Sharjah", 2903),
    ("1692841", "Kuwait City", "الكويت", "KW", "Kuwait", "Al Asimah", 2201),
    ("2237831", "Doha", "الدوحة", "QA", "Qatar", "Doha", 2501),
    ("1402371", "Manama", "المنامة", "BH", "Bahrain", "Capital Governorate", 2101),
    ("2076811", "Muscat", "مسقط", "OM", "Oman", "Muscat Governorate", 2401),
]
CITY_KEYS = {c[0]: c for c in CITIES}
LOCALES = [(1001, "English (All)"), (6, "English (US)"), (24, "English (UK)"), (28, "Arabic"), (9, "French (France)"),
           (44, "French (Canada)"), (46, "Hindi"), (47, "Urdu"), (23, "Spanish"), (5, "German"), (34, "Turkish"),
           (42, "Persian"), (25, "Indonesian")]
LOCALE_KEYS = {k for k, _ in LOCALES}
# kind: HTTP status, code, subcode, message
FAILURES: dict[str, tuple[int, int, int | None, str]] = {
    "token_revoked": (400, 190, 460, "Error validating access token: The session has been invalidated because the "
                                     "user changed their password or Facebook has changed the session for security reasons."),
    "token_expired": (400, 190, 463, "Error validating access token: Session has expired."),
    "app_removed": (400, 190, 458, "Error validating access token: The user has not authorized application."),
    "permission": (400, 200, None, "(#200) Requires ads_management permission to manage the object"),
    "user_throttle": (400, 17, 2446079, "(#17) User request limit reached"),
    "account_throttle": (400, 613, 1487742, "(#613) There have been too many calls from this ad-account. "
                                            "Please wait a bit and try again."),
    "buc_throttle": (400, 80004, 2446079, "(#80004) There have been too many calls to this ad-account. "
                                          "Wait a bit and try again."),
    "app_throttle": (400, 4, None, "(#4) Application request limit reached"),
    "policy": (400, 368, 1404006, "The action attempted has been deemed abusive or is otherwise disallowed"),
    "transient": (500, 2, None, "An unexpected error has occurred. Please retry your request later."),
    "http_500": (500, 0, None, ""),
    # the Insights API's own (INTEGRATIONS.md §5; HTTP statuses UNVERIFIED)
    "insights_throttle": (400, 4, 1504022, "(#4) There have been too many calls from this ad-account. Wait a bit and "
                                          "try again."),
    "insights_timeout": (400, 100, 1504018, "Your request timed out. Please reduce the amount of data you're asking "
                                            "for, then retry your request"),
    "insights_intermittent": (500, 2, 1504043, "Service temporarily unavailable"),
}
THROTTLES = {"user_throttle", "account_throttle", "buc_throttle", "app_throttle", "insights_throttle"}


def graph_error(message: str, code: int = 100, subcode: int | None = None, *, title: str | None = None,
                user_msg: str | None = None, blame: list[list[str]] | None = None, transient: bool = False) -> dict:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code,
                             "fbtrace_id": "A" + secrets.token_urlsafe(15)}
    if subcode is not None:
        error["error_subcode"] = subcode
    if title:
        error["error_user_title"] = title
    if user_msg:
        error["error_user_msg"] = user_msg
    if blame:
        error["error_data"] = {"blame_field_specs": blame}
    if transient:
        error["is_transient"] = True
    return {"error": error}


class Refused(Exception):
    def __init__(self, body: dict, status: int = 400) -> None:
        super().__init__(body["error"]["message"])
        self.body, self.status = body, status


def invalid(message: str, *blame: str, subcode: int | None = None, user_msg: str | None = None) -> Refused:
    return Refused(graph_error(f"(#100) {message}", 100, subcode, title="Invalid parameter" if user_msg else None,
                               user_msg=user_msg, blame=[list(blame)] if blame else None))


def missing(object_id: str) -> Refused:
    return Refused(graph_error(f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be loaded "
                               "due to missing permissions, or does not support this operation.", 100, 33))


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def parse_time(value: str, *blame: str) -> float:
    if re.fullmatch(r"\d{9,11}", value):
        return float(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise invalid(f"Param {blame[-1]} must be a valid ISO 8601 time", *blame) from None
    if moment.tzinfo is None:
        raise invalid(f"Param {blame[-1]} must carry a time zone offset", *blame)
    return moment.timestamp()


def parse_json(params: dict[str, Any], name: str, kind: type = dict) -> Any:
    raw = params.get(name)
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        value = None
    if not isinstance(value, kind):
        raise invalid(f"Param {name} must be a JSON {'object' if kind is dict else 'array'}", name)
    return value


def _multipart(body: bytes, content_type: str) -> list[tuple[str, str | None, bytes]]:
    """(name, filename or None, content) of each part; names and file names read as UTF-8."""
    boundary = re.search(r'boundary="?([^";]+)"?', content_type)
    if boundary is None:
        return []
    parts = []
    for chunk in body.split(b"--" + boundary.group(1).encode())[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n").removesuffix(b"\r\n")  # the framing, never the content's own bytes
        head, _, content = chunk.partition(b"\r\n\r\n")
        text = head.decode("utf-8", errors="replace")
        name = re.search(r'name="([^"]*)"', text)
        filename = re.search(r'filename="([^"]*)"', text)
        if name:
            parts.append((name.group(1), filename.group(1) if filename else None, content))
    return parts


@dataclass
class Token:
    expires_at: float | None
    revoked: int | None = None


@dataclass
class Account:
    account_id: str
    name: str
    currency: str
    time_zone: str
    status: int = 1
    pages: list[str] = field(default_factory=list)
    pixels: list[str] = field(default_factory=list)


@dataclass
class UsageState:
    percent: float = 3.0
    regain_minutes: float = 0.0
    reset_seconds: float = 0.0


@dataclass
class Fault:
    status: int
    body: Any
    headers: dict[str, str]
    times: int
    path: str | None
    method: str | None


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    params: dict[str, Any]


@dataclass(frozen=True)
class SeededAccount:
    account_id: str
    page_id: str
    pixel_id: str
    token: str


class FakeMeta(FakeServer):
    def __init__(self, port: int | None = None, *, app_id: str = APP_ID, app_secret: str = APP_SECRET,
                 versions: tuple[str, ...] = VERSIONS, require_proof: bool = False, review_on_create: str = "in_review",
                 video_polls: int = 1, min_daily_budget: int = 100) -> None:
        super().__init__(port)
        self.graph_url = self.dialog_url = self.url
        self.app_id, self.app_secret, self.versions, self.require_proof = app_id, app_secret, versions, require_proof
        self.review_on_create, self.video_polls, self.min_daily_budget = review_on_create, video_polls, min_daily_budget
        self.accounts: dict[str, Account] = {}
        self.pages: dict[str, str] = {}
        self.pixels: dict[str, str] = {}
        self.objects: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, Token] = {}
        self.codes: dict[str, str] = {}
        self.usage: dict[str | None, UsageState] = {}
        self.app_percent = 1.0
        self.requests: list[Seen] = []
        self.stalled = threading.Event()
        self._released = threading.Event()
        self._stall: tuple[int, str] | None = None
        self._mutations = 0
        self._faults: list[Fault] = []
        self._ids = 120210000000000
        self._lock = threading.RLock()
        self.insights = MetaInsights(self)  # the Insights API: figures, report runs, restatements
        self.app = Starlette(routes=[Route("/{path:path}", self._serve, methods=["GET", "POST", "DELETE"])])

    # --- knobs ------------------------------------------------------------------------------

    def seed_account(self, *, account_id: str | None = None, name: str = "Sandbox Oud House", currency: str = "SAR",
                     time_zone: str = "Asia/Riyadh", page_name: str = "Sandbox Oud House Page",
                     pixel_name: str = "Sandbox Store Pixel", status: int = 1) -> SeededAccount:
        with self._lock:
            account_id = account_id or str(self._next_id() - 120210000000000 + 400000000000000)
            page_id, pixel_id = self._next_id(), self._next_id()
            self.pages[str(page_id)], self.pixels[str(pixel_id)] = page_name, pixel_name
            self.accounts[account_id] = Account(account_id, name, currency, time_zone, status, [str(page_id)],
                                                [str(pixel_id)])
            return SeededAccount(account_id, str(page_id), str(pixel_id), self.issue_token())

    def issue_token(self, *, long_lived: bool = True, expires: bool = True) -> str:
        token = "EAA" + secrets.token_urlsafe(32)
        ttl = LONG_TTL if long_lived else SHORT_TTL
        with self._lock:
            self.tokens[token] = Token(time.time() + ttl if expires else None)
        return token

    def revoke(self, token: str, subcode: int = 460) -> None:
        with self._lock:
            self.tokens[token].revoked = subcode

    def set_usage(self, percent: float, *, account_id: str | None = None, regain_minutes: float = 0.0,
                  reset_seconds: float = 0.0, app_percent: float | None = None) -> None:
        """What the usage headers say from now on, for one account (or every account)."""
        with self._lock:
            self.usage[account_id] = UsageState(percent, regain_minutes, reset_seconds)
            if app_percent is not None:
                self.app_percent = app_percent

    def fail_next(self, kind: str, *, times: int = 1, path: str | None = None, method: str | None = None,
                  regain_minutes: float = 1.0) -> None:
        status, code, subcode, message = FAILURES[kind]
        headers: dict[str, str] = {}
        if kind in THROTTLES:
            headers = self._usage_headers(None, UsageState(100.0, regain_minutes, regain_minutes * 60), force=True)
        body = "Internal Server Error" if kind == "http_500" else graph_error(
            message, code, subcode, transient=kind == "transient",
            title="Ad account has been throttled" if kind in THROTTLES else None)
        self.fail_next_error(status, body, headers=headers, times=times, path=path, method=method)

    def fail_next_error(self, status: int, body: Any, *, headers: dict[str, str] | None = None, times: int = 1,
                        path: str | None = None, method: str | None = None) -> None:
        """The next `times` Graph calls (whose path, after the version, starts with `path`) get this."""
        with self._lock:
            self._faults.append(Fault(status, body, headers or {}, times, path, method))

    def set_review(self, ad_id: str, state: str, feedback: dict[str, str] | None = None) -> None:
        with self._lock:
            ad = self.objects[ad_id]
            ad["_review"], ad["_feedback"] = state, feedback or ({"Meta advertising policies": "Your ad does not "
                                                                  "follow our policies."} if state == "disapproved" else None)

    def stall(self, at_request: int, when: str = "before") -> None:
        if when not in ("before", "after"):
            raise ValueError("when is 'before' or 'after'")
        with self._lock:
            self._stall = (self._mutations + at_request, when)
            self.stalled.clear()
            self._released.clear()

    def release(self) -> None:
        self._released.set()

    def restate(self, day: Any, ad_id: str | None = None) -> None:
        """Meta restates a past day (all ads, or one): its insights change from the next read on."""
        with self._lock:
            self.insights.restate(day, ad_id)

    def count(self, kind: str, account_id: str | None = None) -> int:
        return len(self.of_kind(kind, account_id))

    def of_kind(self, kind: str, account_id: str | None = None) -> list[dict[str, Any]]:
        kind = KINDS[kind]
        with self._lock:
            return [o for o in self.objects.values()
                    if o["_kind"] == kind and (account_id is None or o["_account"] == account_id)]

    def posts(self, path_suffix: str = "") -> list[Seen]:
        return [s for s in self.requests if s.method == "POST" and s.path.endswith(path_suffix)]

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    # --- the edge ---------------------------------------------------------------------------

    async def _serve(self, request: Request) -> Response:
        parts = [p for p in request.url.path.split("/") if p]
        params, files = await self._params(request)
        with self._lock:
            self.requests.append(Seen(request.method, request.url.path, {k: v for k, v in params.items()}))
        if not parts or parts[0] not in self.versions:
            version = parts[0] if parts else ""
            return self._json(graph_error(f"(#2635) You are calling a deprecated version of the Ads API ({version}). "
                                          "Please update to the latest version.", 2635), 400)
        rest = parts[1:]
        if rest == ["dialog", "oauth"]:
            return self._dialog(params)
        if rest == ["oauth", "access_token"]:
            return self._oauth(params)
        when = self._armed(request.method == "POST")
        if when == "before":
            self.stalled.set()
            if not await hold(request, until=self._released) or await request.is_disconnected():
                return Response(status_code=499)  # the client was killed: nothing was created
        account = self._account_of(rest)
        with self._lock:
            response = self._faulted(request.method, "/".join(rest), account)
            if response is None:
                try:
                    self._authorize(request, params, rest)
                    body = self._graph(request.method, rest, params, files)
                    response = self._json(body, 200, account)
                except Refused as refused:
                    response = self._json(refused.body, refused.status, account)
            if self.insights.concerns(rest):
                response.headers[INSIGHTS_HEADER] = self.insights.header()
        if when == "after":
            self.stalled.set()
            await hold(request, until=self._released)
        return response

    async def _params(self, request: Request) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
        params: dict[str, Any] = dict(request.query_params)
        files: dict[str, tuple[str, bytes]] = {}
        body = await request.body()
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            for name, filename, value in _multipart(body, content_type):
                if filename is None:
                    params[name] = value.decode()
                else:
                    files[name] = (filename, value)
        elif body:
            params |= dict(parse_qsl(body.decode(), keep_blank_values=True))
        return params, files

    def _armed(self, mutating: bool) -> str | None:
        with self._lock:
            if not mutating:
                return None
            self._mutations += 1
            if self._stall is not None and self._mutations == self._stall[0]:
                when, self._stall = self._stall[1], None
                return when
        return None

    def _faulted(self, method: str, path: str, account: str | None) -> Response | None:
        for fault in self._faults:
            if (fault.path is None or path.startswith(fault.path)) and fault.method in (None, method):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                if isinstance(fault.body, str):
                    return Response(fault.body, status_code=fault.status, headers=fault.headers, media_type="text/html")
                response = self._json(fault.body, fault.status, account)
                response.headers.update(fault.headers)
                return response
        return None

    def _json(self, body: Any, status: int, account: str | None = None) -> Response:
        headers = self._usage_headers(account, self.usage.get(account) or self.usage.get(None) or UsageState())
        if status >= 400 and isinstance(body, dict) and body.get("error", {}).get("code") == 190:
            headers["WWW-Authenticate"] = 'OAuth "Facebook Platform" "invalid_token" "Error validating access token"'
        return Response(encode(body), status_code=status, headers=headers,
                        media_type="application/json")

    def _usage_headers(self, account: str | None, usage: UsageState, force: bool = False) -> dict[str, str]:
        headers = {"X-App-Usage": json.dumps({"call_count": self.app_percent, "total_cputime": 1, "total_time": 1})}
        if account is not None or force:
            headers["X-Ad-Account-Usage"] = json.dumps({
                "acc_id_util_pct": usage.percent, "reset_time_duration": usage.reset_seconds,
                "ads_api_access_tier": "standard_access"})
            headers["X-Business-Use-Case-Usage"] = json.dumps({BUSINESS_ID: [{
                "type": "ads_management", "call_count": usage.percent, "total_cputime": min(usage.percent, 20),
                "total_time": min(usage.percent, 20), "estimated_time_to_regain_access": usage.regain_minutes,
                "ads_api_access_tier": "standard_access"}]})
        return headers

    def _account_of(self, rest: list[str]) -> str | None:
        if rest and rest[0].startswith("act_"):
            return rest[0].removeprefix("act_")
        obj = self.objects.get(rest[0]) if rest else None
        return obj["_account"] if obj else None

    def _authorize(self, request: Request, params: dict[str, Any], rest: list[str]) -> None:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else params.get("access_token", "")
        state = self.tokens.get(token)
        if state is None:
            raise Refused(graph_error("Invalid OAuth access token - Cannot parse access token", 190))
        if state.revoked is not None:
            raise Refused(graph_error(FAILURES["token_expired" if state.revoked == 463 else "token_revoked"][3], 190,
                                      state.revoked))
        if state.expires_at is not None and state.expires_at < time.time():
            raise Refused(graph_error(FAILURES["token_expired"][3], 190, 463))
        if self.require_proof:
            proof = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(str(params.get("appsecret_proof", "")), proof):
                raise Refused(graph_error("Invalid appsecret_proof provided in the API argument", 100))
        if rest and rest[0].startswith("act_") and rest[0].removeprefix("act_") not in self.accounts:
            raise missing(rest[0])

    # --- login ------------------------------------------------------------------------------

    def _dialog(self, params: dict[str, Any]) -> Response:
        if params.get("client_id") != self.app_id or not params.get("redirect_uri"):
            return self._json(graph_error("Invalid App ID", 101), 400)
        code = secrets.token_urlsafe(24)
        with self._lock:
            self.codes[code] = params["redirect_uri"]
        separator = "&" if "?" in params["redirect_uri"] else "?"
        location = params["redirect_uri"] + separator + urlencode({"code": code, "state": params.get("state", "")})
        return Response(status_code=302, headers={"Location": location})

    def _oauth(self, params: dict[str, Any]) -> Response:
        if params.get("client_id") != self.app_id or params.get("client_secret") != self.app_secret:
            return self._json(graph_error("Error validating client secret.", 1), 400)
        if params.get("grant_type") == "fb_exchange_token":
            short = self.tokens.get(params.get("fb_exchange_token", ""))
            if short is None or short.revoked is not None:
                return self._json(graph_error("Error validating access token: Session has expired.", 190, 463), 400)
            return self._json({"access_token": self.issue_token(), "token_type": "bearer", "expires_in": LONG_TTL}, 200)
        with self._lock:
            redirect = self.codes.pop(params.get("code", ""), None)
        if redirect is None or redirect != params.get("redirect_uri"):
            return self._json(graph_error("Invalid verification code format.", 100, 36007), 400)
        return self._json({"access_token": self.issue_token(long_lived=False), "token_type": "bearer",
                           "expires_in": SHORT_TTL}, 200)

    # --- the Graph --------------------------------------------------------------------------

    def _graph(self, method: str, rest: list[str], params: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> Any:
        if self.insights.concerns(rest):
            return self.insights.serve(method, rest, params)
        if method == "GET":
            return self._read(rest, params)
        if len(rest) == 2 and rest[0].startswith("act_"):
            return self._create(self.accounts[rest[0].removeprefix("act_")], rest[1], params, files)
        if len(rest) == 1 and rest[0] in self.objects:
            return self._update(self.objects[rest[0]], params)
        raise missing(rest[0] if rest else "")

    def _read(self, rest: list[str], params: dict[str, Any]) -> Any:
        fields = [f for f in str(params.get("fields", "")).split(",") if f]
        if not rest:
            ids = [i for i in str(params.get("ids", "")).split(",") if i]
            if not ids or any(i not in self.objects for i in ids):
                raise missing(next((i for i in ids if i not in self.objects), ""))
            return {i: self._render(self.objects[i], fields) for i in ids}
        if rest == ["me"]:
            return {"id": USER_ID, "name": "Sandbox Merchant"}
        if rest == ["me", "adaccounts"]:
            return self._page([self._account_row(a) for a in self.accounts.values()], params)
        if rest == ["me", "accounts"]:
            rows = [{"id": p, "name": n, "category": "Shopping & retail", "tasks": ["ADVERTISE", "ANALYZE"]}
                    for p, n in self.pages.items()]
            return self._page(rows, params)
        if rest == ["search"]:
            return {"data": self._search(params)}
        if len(rest) == 1:
            if rest[0] not in self.objects:
                raise missing(rest[0])
            return self._render(self.objects[rest[0]], fields, read=True)
        return self._list(rest[0], rest[1], params, fields)

    def _list(self, owner: str, edge: str, params: dict[str, Any], fields: list[str]) -> Any:
        if owner.startswith("act_"):
            account = self.accounts[owner.removeprefix("act_")]
            if edge == "promote_pages":
                return self._page([{"id": p, "name": self.pages[p]} for p in account.pages], params)
            if edge == "adspixels":
                return self._page([{"id": p, "name": self.pixels[p]} for p in account.pixels], params)
            if edge not in KINDS:
                raise invalid(f"Unknown edge {edge}")
            rows = [o for o in self.objects.values() if o["_account"] == account.account_id and o["_kind"] == KINDS[edge]]
        else:
            parent = self.objects.get(owner)
            if parent is None or (parent["_kind"], edge) not in (("campaign", "adsets"), ("ad_set", "ads")):
                raise missing(owner)
            link = "campaign_id" if edge == "adsets" else "adset_id"
            rows = [o for o in self.objects.values() if o.get(link) == owner and o["_kind"] == KINDS[edge]]
        if "hashes" in params:
            hashes = parse_json(params, "hashes", list)
            rows = [o for o in rows if o.get("hash") in hashes]
        if "filtering" in params:
            for rule in parse_json(params, "filtering", list):
                rows = [o for o in rows if self._matches(self._render(o, [rule.get("field", "")]), rule)]
        rows = [o for o in rows if o.get("status") != "DELETED"]
        return self._page([self._render(o, fields or ["id", "name"]) for o in rows], params)

    @staticmethod
    def _matches(row: dict[str, Any], rule: dict[str, Any]) -> bool:
        value, wanted, operator = row.get(rule.get("field", "")), rule.get("value"), rule.get("operator", "EQUAL")
        if operator == "EQUAL":
            return value == wanted
        if operator == "NOT_EQUAL":
            return value != wanted
        if operator == "CONTAIN":
            return str(wanted).casefold() in str(value or "").casefold()
        if operator in ("IN", "NOT_IN"):
            return (value in (wanted or [])) == (operator == "IN")
        raise invalid(f"Filtering operator {operator} is not supported", "filtering")

    def _page(self, rows: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
        limit = max(1, min(int(params.get("limit", 25)), 500))
        after = params.get("after")
        start = int(base64.urlsafe_b64decode(after.encode()).decode()) if after else 0
        shown = rows[start:start + limit]
        answer: dict[str, Any] = {"data": shown}
        if shown:
            cursor = lambda i: base64.urlsafe_b64encode(str(i).encode()).decode()  # noqa: E731
            answer["paging"] = {"cursors": {"before": cursor(start), "after": cursor(start + len(shown))}}
            if start + len(shown) < len(rows):
                answer["paging"]["next"] = f"{self.url}/{self.versions[0]}/next?after={cursor(start + len(shown))}"
        return answer

    def _account_row(self, account: Account) -> dict[str, Any]:
        return {"account_id": account.account_id, "id": f"act_{account.account_id}", "name": account.name,
                "currency": account.currency, "timezone_name": account.time_zone, "account_status": account.status}

    def _search(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        query = str(params.get("q", "")).strip().casefold()
        if params.get("type") == "adlocale":
            return [{"key": k, "name": n} for k, n in LOCALES if query in n.casefold()]
        if params.get("type") != "adgeolocation":
            raise invalid("Unsupported search type", "type")
        country = params.get("country_code")
        rows: list[dict[str, Any]] = []
        for key, name, arabic, code, country_name, region, region_id in CITIES:
            if query and (query in name.casefold() or query == arabic) and country in (None, code):
                rows.append({"key": key, "name": name, "type": "city", "country_code": code,
                             "country_name": country_name, "region": region, "region_id": region_id,
                             "supports_region": True, "supports_city": True})
                if region.casefold().startswith(query):  # Meta mixes regions in, whatever location_types says
                    rows.append({"key": str(region_id), "name": region, "type": "region", "country_code": code,
                                 "country_name": country_name, "supports_region": True, "supports_city": True})
        return rows

    # --- objects ----------------------------------------------------------------------------

    def _render(self, obj: dict[str, Any], fields: list[str], read: bool = False) -> dict[str, Any]:
        row: dict[str, Any] = {"id": obj["id"]}
        if read and obj["_kind"] == "video" and "status" in fields:
            obj["_polls"] += 1
        for name in fields or ["name"]:
            value = self._field(obj, name)
            if value is not None:
                row[name] = value
        return row

    def _field(self, obj: dict[str, Any], name: str) -> Any:
        if name == "effective_status":
            return self._effective(obj)
        if name == "ad_review_feedback":
            return {"global": obj["_feedback"]} if obj.get("_review") == "disapproved" and obj.get("_feedback") else None
        if name == "status" and obj["_kind"] == "video":
            ready = obj["_polls"] > self.video_polls
            return {"video_status": "ready" if ready else "processing", "processing_progress": 100 if ready else 40}
        if name == "account_id":
            return obj["_account"]
        return None if name.startswith("_") else obj.get(name)

    def _effective(self, obj: dict[str, Any]) -> str:
        if obj["_kind"] == "ad":
            if obj.get("_review") == "disapproved":
                return "DISAPPROVED"
            if obj.get("_review") == "in_review":
                return "PENDING_REVIEW"
        status = obj.get("status", "ACTIVE")
        if status != "ACTIVE":
            return status
        for parent_key, paused in (("adset_id", "ADSET_PAUSED"), ("campaign_id", "CAMPAIGN_PAUSED")):
            parent = self.objects.get(obj.get(parent_key, ""))
            if parent is not None and parent.get("status") == "PAUSED":
                return paused
        return "ACTIVE"

    def _store(self, kind: str, account: Account, fields: dict[str, Any], object_id: str | None = None) -> dict:
        object_id = object_id or str(self._next_id())
        obj = {"_kind": kind, "_account": account.account_id, "id": object_id, "created_time": iso(time.time())}
        obj.update(fields)
        self.objects[object_id] = obj
        return obj

    def _create(self, account: Account, edge: str, params: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> Any:
        if edge == "campaigns":
            return {"id": self._store("campaign", account, self._campaign(params))["id"]}
        if edge == "adsets":
            return {"id": self._store("ad_set", account, self._ad_set(account, params))["id"]}
        if edge == "adimages":
            return self._images(account, params, files)
        if edge == "advideos":
            if "source" not in files or not files["source"][1]:
                raise invalid("No file was uploaded", "source")
            name = str(params.get("title") or params.get("name") or files["source"][0])
            video = self._store("video", account, {"title": name, "name": params.get("name", name), "_polls": 0,
                                                   "picture": f"{self.url}/thumbnails/{secrets.token_hex(6)}.jpg"})
            return {"id": video["id"]}
        if edge == "adcreatives":
            return {"id": self._store("creative", account, self._creative(account, params))["id"]}
        if edge == "ads":
            fields = self._ad(account, params) | {"_review": self.review_on_create, "_feedback": None}
            return {"id": self._store("ad", account, fields)["id"]}
        raise invalid(f"Cannot create objects on edge {edge}")

    def _campaign(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("name"):
            raise invalid("The parameter name is required", "name")
        if params.get("objective") not in OBJECTIVES:
            raise invalid(f"Param objective must be one of {{{', '.join(sorted(OBJECTIVES))}}}", "objective")
        if "special_ad_categories" not in params:
            raise invalid("The parameter special_ad_categories is required", "special_ad_categories",
                          user_msg="Declare whether your ads relate to a special ad category, or send [] when none.")
        categories = parse_json(params, "special_ad_categories", list)
        has_budget = any(params.get(k) for k in ("daily_budget", "lifetime_budget"))
        if not has_budget and params.get("is_adset_budget_sharing_enabled") not in ("true", "false"):
            raise invalid("Must specify True or False in is_adset_budget_sharing_enabled field when not using "
                          "campaign budget", "is_adset_budget_sharing_enabled", subcode=4834011)
        return {"name": params["name"], "objective": params["objective"], "status": self._status(params),
                "special_ad_categories": categories, "buying_type": params.get("buying_type", "AUCTION"),
                "is_adset_budget_sharing_enabled": params.get("is_adset_budget_sharing_enabled") == "true"}

    def _status(self, params: dict[str, Any], default: str = "ACTIVE") -> str:
        status = params.get("status", default)
        if status not in ("ACTIVE", "PAUSED", "ARCHIVED", "DELETED"):
            raise invalid("Param status must be one of {ACTIVE, PAUSED, DELETED, ARCHIVED}", "status")
        return status

    def _budget(self, value: Any, name: str) -> str:
        if not re.fullmatch(r"\d+", str(value)):
            raise invalid(f"Param {name} must be an integer", name)
        if int(value) < self.min_daily_budget:
            raise invalid("Your budget is too low", name, subcode=1885272,
                          user_msg=f"The minimum budget for this ad set is {self.min_daily_budget} in the account "
                                   "currency's minor units.")
        return str(int(value))

    def _owned(self, account: Account, object_id: Any, kind: str, name: str) -> dict[str, Any]:
        obj = self.objects.get(str(object_id))
        if obj is None or obj["_kind"] != kind or obj["_account"] != account.account_id:
            raise invalid(f"Param {name} must be a valid {kind.replace('_', ' ')} id", name)
        return obj

    def _ad_set(self, account: Account, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("name"):
            raise invalid("The parameter name is required", "name")
        campaign = self._owned(account, params.get("campaign_id"), "campaign", "campaign_id")
        fields: dict[str, Any] = {"name": params["name"], "campaign_id": campaign["id"], "status": self._status(params)}
        budgets = [k for k in ("daily_budget", "lifetime_budget") if params.get(k)]
        if len(budgets) != 1:
            raise invalid("Set either daily_budget or lifetime_budget on the ad set", "daily_budget")
        fields[budgets[0]] = self._budget(params[budgets[0]], budgets[0])
        for name in ("start_time", "end_time"):
            if params.get(name):
                fields[name] = iso(parse_time(params[name], name))
        if "lifetime_budget" in fields and "end_time" not in fields:
            raise invalid("An ad set with a lifetime budget needs an end_time", "end_time", subcode=1487156)
        if "end_time" in fields and fields["end_time"] <= fields.get("start_time", iso(time.time())):
            raise invalid("The end time must be after the start time", "end_time", subcode=1487151)
        if params.get("billing_event") not in BILLING_EVENTS:
            raise invalid("Param billing_event must be a valid billing event", "billing_event")
        goal = params.get("optimization_goal")
        if goal not in GOALS.get(campaign["objective"], set()):
            raise invalid(f"Optimization goal {goal} is not valid for objective {campaign['objective']}",
                          "optimization_goal", subcode=2490408)
        if goal == "OFFSITE_CONVERSIONS":
            promoted = parse_json(params, "promoted_object") if params.get("promoted_object") else {}
            if str(promoted.get("pixel_id")) not in account.pixels or not promoted.get("custom_event_type"):
                raise invalid("A pixel and a conversion event are required in promoted_object", "promoted_object",
                              subcode=1815436)
            fields["promoted_object"] = promoted
        fields["targeting"] = self._targeting(parse_json(params, "targeting"))
        return fields | {k: params[k] for k in ("billing_event", "optimization_goal", "bid_strategy") if k in params}

    def _targeting(self, targeting: dict[str, Any]) -> dict[str, Any]:
        geo = targeting.get("geo_locations")
        if not isinstance(geo, dict) or not (geo.get("countries") or geo.get("cities")):
            raise invalid("Your audience is missing a location", "targeting", "geo_locations", subcode=1487079)
        countries = geo.get("countries") or []
        if any(not re.fullmatch(r"[A-Z]{2}", str(c)) for c in countries):
            raise invalid("Invalid country code", "targeting", "geo_locations", "countries")
        for city in geo.get("cities") or []:
            known = CITY_KEYS.get(str(city.get("key")) if isinstance(city, dict) else "")
            if known is None:
                raise invalid("Invalid city key", "targeting", "geo_locations", "cities")
            if known[3] in countries:
                raise invalid("Some of your locations overlap. Try removing a location.", "targeting", "geo_locations",
                              subcode=1487756)
        age_min, age_max = targeting.get("age_min", 18), targeting.get("age_max", 65)
        for name, age in (("age_min", age_min), ("age_max", age_max)):
            if not isinstance(age, int) or not 13 <= age <= 65:
                raise invalid(f"Invalid {name}: must be between 13 and 65", "targeting", name)
        if age_min > age_max:
            raise invalid("age_max must be greater than age_min", "targeting", "age_max")
        if not set(targeting.get("genders") or []) <= {1, 2}:
            raise invalid("Invalid genders", "targeting", "genders")
        if not set(targeting.get("locales") or []) <= LOCALE_KEYS:
            raise invalid("Invalid locale key", "targeting", "locales")
        return targeting

    def _images(self, account: Account, params: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> Any:
        uploads = {filename: content for filename, content in files.values()}
        if params.get("bytes"):
            try:
                uploads["bytes"] = base64.b64decode(params["bytes"], validate=True)
            except ValueError:
                raise invalid("Invalid image: bytes must be base64", "bytes") from None
        if not uploads or not all(uploads.values()):
            raise invalid("Image data is missing or empty", "bytes", subcode=1487242)
        answer = {}
        for name, content in uploads.items():
            digest = hashlib.md5(content).hexdigest()  # noqa: S324 - a content key, like Meta's
            object_id = f"{account.account_id}:{digest}"
            image = self.objects.get(object_id) or self._store("image", account, {
                "hash": digest, "name": name, "url": f"{self.url}/images/{digest}.jpg", "status": "ACTIVE"}, object_id)
            answer[name] = {"hash": image["hash"], "url": image["url"]}
        return {"images": answer}

    def _creative(self, account: Account, params: dict[str, Any]) -> dict[str, Any]:
        story = parse_json(params, "object_story_spec")
        if str(story.get("page_id")) not in account.pages:
            raise invalid("The page is not available for this ad account", "object_story_spec", "page_id")
        link, video = story.get("link_data"), story.get("video_data")
        if not isinstance(link, dict) and not isinstance(video, dict):
            raise invalid("object_story_spec needs link_data or video_data", "object_story_spec")
        data, key = (link, "link_data") if isinstance(link, dict) else (video, "video_data")
        action = data.get("call_to_action") or {}
        if action and action.get("type") not in CALLS_TO_ACTION:
            raise invalid("Invalid call to action type", "object_story_spec", key, "call_to_action")
        if key == "link_data":
            if not re.match(r"https?://", str(data.get("link", ""))):
                raise invalid("The link must be a valid URL", "object_story_spec", key, "link")
            self._image_hash(account, data.get("image_hash"), key)
        else:
            clip = self._owned(account, data.get("video_id"), "video", "video_id")
            if clip["_polls"] <= self.video_polls:
                raise invalid("The video is still being processed", "object_story_spec", key, "video_id",
                              subcode=1885252)
            if not data.get("image_url"):
                self._image_hash(account, data.get("image_hash"), key)
        return {"name": params.get("name", ""), "object_story_spec": story, "status": "ACTIVE"}

    def _image_hash(self, account: Account, digest: Any, key: str) -> None:
        if f"{account.account_id}:{digest}" not in self.objects:
            raise invalid(f"Image with hash {digest} was not found in this ad account", "object_story_spec", key,
                          "image_hash", subcode=1487242)

    def _ad(self, account: Account, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("name"):
            raise invalid("The parameter name is required", "name")
        ad_set = self._owned(account, params.get("adset_id"), "ad_set", "adset_id")
        creative = parse_json(params, "creative")
        self._owned(account, creative.get("creative_id"), "creative", "creative")
        return {"name": params["name"], "adset_id": ad_set["id"], "campaign_id": ad_set["campaign_id"],
                "creative": {"id": str(creative["creative_id"])}, "status": self._status(params)}

    def _update(self, obj: dict[str, Any], params: dict[str, Any]) -> Any:
        changes: dict[str, Any] = {}
        if "status" in params:
            changes["status"] = self._status(params)
        if "name" in params:
            changes["name"] = params["name"]
        for name in ("daily_budget", "lifetime_budget", "start_time", "end_time"):
            if name not in params:
                continue
            if obj["_kind"] != "ad_set":
                raise invalid(f"Param {name} cannot be set on a {obj['_kind']}", name)
            if name.endswith("budget"):
                if not obj.get(name):
                    raise invalid("The budget type of an ad set cannot be changed", name, subcode=1885621)
                changes[name] = self._budget(params[name], name)
            else:
                changes[name] = iso(parse_time(params[name], name))
        obj.update(changes)
        return {"success": True}


# --- the sandbox ------------------------------------------------------------------------------


def build_meta(plan: dict[str, Any], home: Any = None) -> tuple[FakeMeta, dict[str, Any]]:
    """A sandbox ad account (`adly-dev run --sandbox`): every ad is approved at once."""
    fake = FakeMeta(plan.get("port"), app_id=plan.get("app_id", APP_ID), app_secret=plan.get("app_secret", APP_SECRET),
                    review_on_create="approved")
    seeded = fake.seed_account(account_id=plan.get("account_id"), name=plan.get("name", "Sandbox Oud House"),
                               currency=plan.get("currency", "SAR"), time_zone=plan.get("time_zone", "Asia/Riyadh"))
    if plan.get("token"):  # a known, non-expiring token, as a system user's would be
        fake.tokens[plan["token"]] = Token(None)
    about = {"connect": {"platform": "meta", "graph_url": fake.graph_url, "dialog_url": fake.dialog_url,
                         "account_id": seeded.account_id, "page_id": seeded.page_id, "pixel_id": seeded.pixel_id},
             "flow": "oauth"}
    return fake, about


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake Meta Graph API on 127.0.0.1 (tests/fakes/meta.py)")
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    fake, about = build_meta({"port": args.port})
    with fake:
        token = fake.issue_token()
        print(f"sandbox meta on {fake.url}: {json.dumps(about['connect'])}; token {token}", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
