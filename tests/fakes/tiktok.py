"""A local TikTok: the advertiser authorization page and the Marketing API v1.3, on one server.

`api_url` is `{url}/open_api/v1.3`, `auth_url` is `{url}/portal/auth`. It reproduces what the
campaigns client must cope with (adapters/tiktok/client.py says what was verified and where):

- The envelope `{"code", "message", "request_id", "data"}`, errors in HTTP 200 with a
  non-zero code, an `X-Tt-Logid` header and no rate-limit headers; a path without its
  trailing slash (or an unknown one) is an HTTP 404 "page not found" with no envelope.
- Authorization: `GET /portal/auth?app_id&state&redirect_uri` approves at once and redirects
  with `auth_code` (and `code`) and `state`; the code is good once, for an hour of the fake's
  clock (40110 otherwise). `POST /oauth2/access_token/` {app_id, secret, auth_code} answers a
  long-term token with the advertiser ids. `Access-Token` header: missing 40104, unknown or
  "Bearer ..." 40105, revoked `revoke(token, code)`, another advertiser 40106.
- Accounts: `/oauth2/advertiser/get/`, `/advertiser/info/` (currency, timezone,
  display_timezone, status), `/identity/get/`, `/pixel/list/`, `/tool/region/` (GeoNames ids,
  as TikTok's location ids are).
- Publishing with TikTok's checks: campaign (operation_status DISABLE at creation is ignored,
  as for apps not allowlisted), ad group (required fields, goal and billing per objective,
  pixel + optimization_event for WEB_CONVERSIONS, known location ids, age groups, UTC
  schedule times, budget at least `min_daily_budget`, request_id answered once then 40050),
  image and video uploads (multipart, MD5 signature checked (40900), content-addressed: the
  same bytes are the same image; another file under a name in use is 40911), ads (SINGLE_VIDEO with a known video and one cover image, no
  SINGLE_IMAGE on PLACEMENT_TIKTOK, ad_text 1-100 without emoji, CTA, identity), status
  updates, ad group updates (budget mode fixed), and the lists with `filtering` (name filters
  match by substring, as a fuzzy search would: the client must compare itself) and
  `page`/`page_size` paging with `page_info`.
- Reviews: an ad starts `review_on_create`; `set_review(ad_id, "approved" | "disapproved",
  reasons)`; `/ad/get/` shows `secondary_status` and `/ad/review_info/` the reasons.
- Reports: `/report/integrated/get/` BASIC at AUCTION_CAMPAIGN / ADGROUP / AD, by
  `stat_time_day` (30 days at most) or `stat_time_hour` (one day), every metric a string,
  `total_complete_payment_rate` the purchase value. Each ad delivers from the day it was
  created (or `deliver_from(ad_id, day)`): deterministic figures per ad and day, today's a
  share of the day so far by the fake's clock (`advance(seconds)`), `restate(day, factor)`
  changes a past day.
- Failures: `fail_next(kind)` (FAILURES: throttles 40100/40016/40133 without headers, token
  40102/40105, permission 40001, not_found 40007, duplicate 40050, invalid 40002, service
  50000, http_500), `stall(at_request=n, when="before"|"after")` on the n-th mutating request
  with `stalled` / `release()`, `count(kind, account_id)` and `of_kind`.

`build_tiktok` makes a seeded fake for the sandbox; `python -m tests.fakes.tiktok` runs one.
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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.meta import _multipart
from tests.fakes.server import FakeServer, hold

APP_ID, APP_SECRET = "fake-tiktok-app", "fake-tiktok-app-secret"
PREFIX = "/open_api/v1.3/"
CODE_TTL = 3600
KINDS = {"campaign": "campaign", "ad_set": "adgroup", "adgroup": "adgroup", "image": "image", "video": "video",
         "ad": "ad"}
GOALS = {"REACH": ("REACH", "CPM"), "TRAFFIC": ("CLICK", "CPC"), "WEB_CONVERSIONS": ("CONVERT", "OCPM")}
AGE_GROUPS = {"AGE_13_17", "AGE_18_24", "AGE_25_34", "AGE_35_44", "AGE_45_54", "AGE_55_100"}
CALLS_TO_ACTION = {"SHOP_NOW", "LEARN_MORE", "ORDER_NOW", "SIGN_UP", "CONTACT_US", "BOOK_NOW", "APPLY_NOW",
                   "DOWNLOAD_NOW", "WATCH_NOW", "GET_QUOTE", "SUBSCRIBE", "VISIT_STORE"}
METRICS = {"spend", "impressions", "reach", "clicks", "complete_payment", "total_complete_payment_rate", "ctr", "cpc",
           "cpm", "conversion", "campaign_id", "adgroup_id", "complete_payment_roas"}
LEVELS = {"AUCTION_CAMPAIGN": "campaign_id", "AUCTION_ADGROUP": "adgroup_id", "AUCTION_AD": "ad_id"}
# location id (GeoNames), name, ISO code, level
REGIONS = [("102358", "Saudi Arabia", "SA", "COUNTRY"), ("290557", "United Arab Emirates", "AE", "COUNTRY"),
           ("285570", "Kuwait", "KW", "COUNTRY"), ("289688", "Qatar", "QA", "COUNTRY"),
           ("290291", "Bahrain", "BH", "COUNTRY"), ("286963", "Oman", "OM", "COUNTRY"),
           ("357994", "Egypt", "EG", "COUNTRY"), ("248816", "Jordan", "JO", "COUNTRY"),
           ("6252001", "United States", "US", "COUNTRY"), ("108410", "Riyadh", "SA", "CITY"),
           ("105343", "Jeddah", "SA", "CITY"), ("110336", "Dammam", "SA", "CITY"), ("292223", "Dubai", "AE", "CITY"),
           ("292968", "Abu Dhabi", "AE", "CITY"), ("285787", "Kuwait City", "KW", "CITY"),
           ("290030", "Doha", "QA", "CITY")]
REGION_IDS = {r[0] for r in REGIONS}
# kind: code, message (HTTP 200 unless the code is an HTTP status)
FAILURES: dict[str, tuple[int, str]] = {
    "app_throttle": (40100, "Requests made too frequently. Please try again later."),
    "app_throttle_40016": (40016, "Too many requests. The app's QPS limit is reached."),
    "advertiser_throttle": (40133, "The number of requests to this advertiser exceeds the limit. Please retry later."),
    "token_expired": (40102, "Access token has expired."),
    "token_invalid": (40105, "The access token is invalid or has been revoked."),
    "mismatch": (40106, "The access token and advertiser do not match."),
    "permission": (40001, "No permission to operate this advertiser."),
    "not_found": (40007, "The object does not exist."),
    "duplicate": (40050, "Duplicate request. Please do not submit repeatedly."),
    "invalid": (40002, "budget: The budget is lower than the minimum budget."),
    "policy": (40002, "The ad text violates TikTok's advertising policies."),
    "service": (50000, "System error. Please try again later."),
    "http_500": (500, "Internal Server Error"),
}


class Refused(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def invalid(message: str) -> Refused:
    return Refused(40002, message)


@dataclass
class Advertiser:
    advertiser_id: str
    name: str
    currency: str
    time_zone: str
    status: str = "STATUS_ENABLE"
    identities: dict[str, str] = field(default_factory=dict)
    pixels: dict[str, str] = field(default_factory=dict)


@dataclass
class Token:
    advertiser_ids: list[str]
    revoked: int | None = None


@dataclass
class Fault:
    code: int
    message: str
    times: int
    path: str | None


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    params: dict[str, Any]


@dataclass(frozen=True)
class SeededAdvertiser:
    advertiser_id: str
    identity_id: str
    pixel_id: str
    token: str


def money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_DOWN))


def parse_time(value: Any, name: str) -> datetime:
    try:
        return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        raise invalid(f"{name}: must be in the format YYYY-MM-DD HH:MM:SS (UTC+0).") from None


class FakeTikTok(FakeServer):
    def __init__(self, port: int | None = None, *, app_id: str = APP_ID, app_secret: str = APP_SECRET,
                 review_on_create: str = "in_review", min_daily_budget: Decimal = Decimal("20"),
                 clock: Callable[[], float] = time.time, history_days: int = 0) -> None:
        super().__init__(port)
        self.api_url, self.auth_url = f"{self.url}/open_api/v1.3", f"{self.url}/portal/auth"
        self.app_id, self.app_secret, self.review_on_create = app_id, app_secret, review_on_create
        self.min_daily_budget, self._clock, self.offset = min_daily_budget, clock, 0.0
        self.history_days = history_days  # an ad delivers from this many days before its creation (the sandbox's)
        self.accounts: dict[str, Advertiser] = {}
        self.tokens: dict[str, Token] = {}
        self.codes: dict[str, tuple[list[str], float]] = {}
        self.objects: dict[str, dict[str, Any]] = {}
        self.request_ids: set[tuple[str, str]] = set()
        self.restated: dict[tuple[date, str | None], Decimal] = {}
        self._seeded: dict[tuple[str, date], tuple[int, int, int, int]] = {}   # per (ad, day), as seeded
        self._whole: dict[tuple[str, date], dict[str, Decimal]] = {}           # whole past days, unrestated
        self._reports: dict[Any, list[dict[str, Any]]] = {}                    # reports' rows, for later pages
        self._deliveries = 0                                                   # deliver_from calls so far
        self.requests: list[Seen] = []
        self.stalled = threading.Event()
        self._released = threading.Event()
        self._stall: tuple[int, str] | None = None
        self._mutations = 0
        self._faults: list[Fault] = []
        self._ids = 1_780_000_000_000_000
        self._lock = threading.RLock()
        self._current = Token([])  # the token of the request being handled (one at a time, under the lock)
        self.app = Starlette(routes=[Route("/{path:path}", self._serve, methods=["GET", "POST"])])

    # --- knobs ------------------------------------------------------------------------------

    def now(self) -> float:
        return self._clock() + self.offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.offset += seconds

    def seed_account(self, *, account_id: str | None = None, name: str = "Sandbox Oud House", currency: str = "SAR",
                     time_zone: str = "Asia/Riyadh", identity_name: str = "Sandbox Oud House",
                     pixel_name: str = "Sandbox Store Pixel", status: str = "STATUS_ENABLE") -> SeededAdvertiser:
        with self._lock:
            advertiser_id = account_id or str(self._next_id() - 1_780_000_000_000_000 + 7_300_000_000_000_000_000)
            identity_id, pixel_id = f"idt-{secrets.token_hex(8)}", str(self._next_id())
            self.accounts[advertiser_id] = Advertiser(advertiser_id, name, currency, time_zone, status,
                                                      {identity_id: identity_name}, {pixel_id: pixel_name})
            return SeededAdvertiser(advertiser_id, identity_id, pixel_id, self.issue_token([advertiser_id]))

    def issue_token(self, advertiser_ids: list[str] | None = None, token: str | None = None) -> str:
        token = token or secrets.token_hex(20)
        with self._lock:
            self.tokens[token] = Token(list(advertiser_ids if advertiser_ids is not None else self.accounts))
        return token

    def revoke(self, token: str, code: int = 40105) -> None:
        with self._lock:
            self.tokens[token].revoked = code

    def fail_next(self, kind: str, *, times: int = 1, path: str | None = None) -> None:
        """The next `times` API calls (whose path starts with `path`, e.g. "campaign/create") fail."""
        code, message = FAILURES[kind]
        with self._lock:
            self._faults.append(Fault(code, message, times, path))

    def set_review(self, ad_id: str, state: str, reasons: list[str] | None = None) -> None:
        with self._lock:
            ad = self.objects[ad_id]
            ad["_review"] = state
            ad["_reasons"] = reasons or (["The ad does not meet TikTok's advertising policies."]
                                         if state == "disapproved" else [])

    def deliver_from(self, ad_id: str, day: date) -> None:
        with self._lock:
            self.objects[ad_id]["_from"] = day
            self._deliveries += 1

    def restate(self, day: date, factor: Decimal | str, ad_id: str | None = None) -> None:
        """TikTok corrects a past day: that day's figures (one ad's, or every ad's) times `factor`."""
        with self._lock:
            self.restated[day, ad_id] = Decimal(str(factor))

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
        kind = KINDS[kind]
        with self._lock:
            return [o for o in self.objects.values()
                    if o["_kind"] == kind and (account_id is None or o["_account"] == account_id)]

    def posts(self, path_suffix: str = "") -> list[Seen]:
        return [s for s in self.requests if s.method == "POST" and s.path.rstrip("/").endswith(path_suffix)]

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    # --- the edge ---------------------------------------------------------------------------

    async def _serve(self, request: Request) -> Response:
        path = request.url.path
        params = await self._params(request)
        with self._lock:
            self.requests.append(Seen(request.method, path, params))
        if path.rstrip("/") == "/portal/auth":
            return self._authorize_page(params)
        if not path.startswith(PREFIX) or not path.endswith("/") or path.count("//"):
            return Response("404 page not found", status_code=404, media_type="text/plain")
        name = path[len(PREFIX):].strip("/")
        handler = self._handlers().get((request.method, name))
        if handler is None:
            return Response("404 page not found", status_code=404, media_type="text/plain")
        when = self._armed(request.method == "POST" and not name.startswith("oauth2"))
        if when == "before":
            self.stalled.set()
            if not await hold(request, until=self._released) or await request.is_disconnected():
                return Response(status_code=499)  # the client was killed: nothing was created
        with self._lock:
            fault = self._faulted(name)
            if fault is not None and fault.code < 1000:
                response = Response(fault.message, status_code=fault.code, media_type="text/html")
            elif fault is not None:
                response = self._envelope(fault.code, fault.message)
            else:
                try:
                    if not name.startswith("oauth2/access_token"):
                        self._authenticate(request, params, name)
                    response = self._envelope(0, "OK", handler(params))
                except Refused as refused:
                    response = self._envelope(refused.code, refused.message)
        if when == "after":
            self.stalled.set()
            await hold(request, until=self._released)
        return response

    async def _params(self, request: Request) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for key, value in request.query_params.items():
            params[key] = json.loads(value) if value[:1] in "[{" else value
        body = await request.body()
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            for name, filename, value in _multipart(body, content_type):
                params[name] = (filename, value) if filename is not None else value.decode()
        elif body:
            try:
                loaded = json.loads(body)
            except ValueError:
                loaded = None
            params |= loaded if isinstance(loaded, dict) else {}
        return params

    def _armed(self, mutating: bool) -> str | None:
        with self._lock:
            if not mutating:
                return None
            self._mutations += 1
            if self._stall is not None and self._mutations == self._stall[0]:
                when, self._stall = self._stall[1], None
                return when
        return None

    def _faulted(self, name: str) -> Fault | None:
        for fault in self._faults:
            if fault.path is None or name.startswith(fault.path):
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _envelope(self, code: int, message: str, data: Any = None) -> Response:
        log_id = datetime.fromtimestamp(self.now(), UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(10).upper()
        body = {"code": code, "message": message, "request_id": log_id, "data": data if code == 0 else {}}
        return Response(json.dumps(body, ensure_ascii=False), status_code=200, media_type="application/json",
                        headers={"X-Tt-Logid": log_id})

    def _authenticate(self, request: Request, params: dict[str, Any], name: str) -> None:
        raw = request.headers.get("access-token")
        if not raw:
            raise Refused(40104, "Access token is null, please set it in http header with key Access-Token.")
        token = self.tokens.get(raw)
        if token is None:
            raise Refused(40105, FAILURES["token_invalid"][1])
        if token.revoked is not None:
            raise Refused(token.revoked, FAILURES["token_expired" if token.revoked == 40102 else "token_invalid"][1])
        self._current = token
        advertiser = params.get("advertiser_id")
        if advertiser is not None and str(advertiser) not in token.advertiser_ids:
            raise Refused(40106, FAILURES["mismatch"][1])
        if advertiser is not None and str(advertiser) not in self.accounts:
            raise Refused(40001, FAILURES["permission"][1])

    def _authorize_page(self, params: dict[str, Any]) -> Response:
        if params.get("app_id") != self.app_id or not params.get("redirect_uri"):
            return Response("Invalid app_id or redirect_uri", status_code=400, media_type="text/plain")
        code = secrets.token_hex(20)
        with self._lock:
            self.codes[code] = (list(self.accounts), self.now())
        separator = "&" if "?" in params["redirect_uri"] else "?"
        query = urlencode({"auth_code": code, "code": code, "state": params.get("state", "")})
        return Response(status_code=302, headers={"Location": params["redirect_uri"] + separator + query})

    def _handlers(self) -> dict[tuple[str, str], Callable[[dict[str, Any]], Any]]:
        return {
            ("POST", "oauth2/access_token"): self._access_token, ("GET", "oauth2/advertiser/get"): self._advertisers,
            ("GET", "advertiser/info"): self._advertiser_info, ("GET", "identity/get"): self._identities,
            ("GET", "pixel/list"): self._pixels, ("GET", "tool/region"): self._regions,
            ("POST", "campaign/create"): self._campaign_create, ("GET", "campaign/get"): self._list("campaign"),
            ("POST", "campaign/status/update"): self._status("campaign"),
            ("POST", "adgroup/create"): self._adgroup_create, ("GET", "adgroup/get"): self._list("adgroup"),
            ("POST", "adgroup/status/update"): self._status("adgroup"), ("POST", "adgroup/update"): self._adgroup_update,
            ("POST", "file/image/ad/upload"): self._upload("image"), ("GET", "file/image/ad/search"): self._list("image"),
            ("POST", "file/video/ad/upload"): self._upload("video"), ("GET", "file/video/ad/search"): self._list("video"),
            ("POST", "ad/create"): self._ad_create, ("GET", "ad/get"): self._list("ad"),
            ("POST", "ad/status/update"): self._status("ad"), ("GET", "ad/review_info"): self._review_info,
            ("GET", "report/integrated/get"): self._report,
        }

    # --- accounts ---------------------------------------------------------------------------

    def _access_token(self, params: dict[str, Any]) -> Any:
        if params.get("app_id") != self.app_id or params.get("secret") != self.app_secret:
            raise Refused(40001, "The app_id or secret is incorrect.")
        found = self.codes.pop(str(params.get("auth_code", "")), None)
        if found is None or found[1] + CODE_TTL < self.now():
            raise Refused(40110, "The auth_code is invalid, expired or has been used.")
        return {"access_token": self.issue_token(found[0]), "advertiser_ids": found[0], "scope": [4, 5, 6, 7, 8, 9]}

    def _advertisers(self, params: dict[str, Any]) -> Any:
        if params.get("app_id") != self.app_id or params.get("secret") != self.app_secret:
            raise Refused(40001, "The app_id or secret is incorrect.")
        ids = self._current.advertiser_ids
        return {"list": [{"advertiser_id": i, "advertiser_name": self.accounts[i].name} for i in ids if i in self.accounts]}

    def _advertiser_info(self, params: dict[str, Any]) -> Any:
        rows = []
        for advertiser_id in params.get("advertiser_ids") or []:
            account = self.accounts.get(str(advertiser_id))
            if account is None or account.advertiser_id not in self._current.advertiser_ids:
                raise Refused(40106, FAILURES["mismatch"][1])
            offset = datetime.now(ZoneInfo(account.time_zone)).utcoffset() or timedelta()
            rows.append({"advertiser_id": account.advertiser_id, "name": account.name, "currency": account.currency,
                         "timezone": f"Etc/GMT{-int(offset.total_seconds() // 3600):+d}",
                         "display_timezone": account.time_zone, "status": account.status, "company": account.name})
        return {"list": rows}

    def _identities(self, params: dict[str, Any]) -> Any:
        account = self.accounts[str(params["advertiser_id"])]
        kind = params.get("identity_type")
        rows = [{"identity_id": i, "identity_type": "CUSTOMIZED_USER", "display_name": n, "profile_image": ""}
                for i, n in account.identities.items() if kind in (None, "CUSTOMIZED_USER")]
        return self._page(rows, params, "identity_list")

    def _pixels(self, params: dict[str, Any]) -> Any:
        account = self.accounts[str(params["advertiser_id"])]
        rows = [{"pixel_id": p, "pixel_name": n, "pixel_code": f"C{p[-8:]}", "activity_status": "ACTIVE"}
                for p, n in account.pixels.items()]
        return self._page(rows, params, "pixels", max_size=20)

    def _regions(self, params: dict[str, Any]) -> Any:
        if params.get("objective_type") not in GOALS or not params.get("placements"):
            raise invalid("objective_type and placements are required.")
        return {"region_info": [{"location_id": i, "name": n, "region_code": c, "level": lvl, "area_type": "ADMIN",
                                 "support_below_18": c not in ("US",)} for i, n, c, lvl in REGIONS]}

    # --- publishing -------------------------------------------------------------------------

    def _store(self, kind: str, account_id: str, fields: dict[str, Any], object_id: str | None = None) -> dict:
        object_id = object_id or str(self._next_id())
        created = datetime.fromtimestamp(self.now(), UTC)
        obj = {"_kind": kind, "_account": account_id, f"{kind}_id": object_id, "advertiser_id": account_id,
               "create_time": created.strftime("%Y-%m-%d %H:%M:%S"), "_created": created}
        obj.update(fields)
        self.objects[object_id] = obj
        return obj

    def _owned(self, params: dict[str, Any], kind: str, object_id: Any) -> dict[str, Any]:
        obj = self.objects.get(str(object_id))
        if obj is None or obj["_kind"] != kind or obj["_account"] != str(params["advertiser_id"]):
            raise Refused(40007, f"{kind}_id {object_id} does not exist.")
        return obj

    def _once(self, params: dict[str, Any]) -> None:
        if params.get("request_id"):
            key = (str(params["advertiser_id"]), str(params["request_id"]))
            if key in self.request_ids:
                raise Refused(40050, FAILURES["duplicate"][1])
            self.request_ids.add(key)

    def _campaign_create(self, params: dict[str, Any]) -> Any:
        name = str(params.get("campaign_name") or "")
        if not name or len(name) > 512:
            raise invalid("campaign_name: Campaign name is required and must be 1-512 characters.")
        if params.get("objective_type") not in GOALS:
            raise invalid("objective_type: Invalid objective type.")
        if params.get("budget_mode") not in ("BUDGET_MODE_INFINITE", "BUDGET_MODE_DAY", "BUDGET_MODE_TOTAL"):
            raise invalid("budget_mode: Invalid budget mode.")
        self._once(params)
        campaign = self._store("campaign", str(params["advertiser_id"]), {
            "campaign_name": name, "objective_type": params["objective_type"], "budget_mode": params["budget_mode"],
            "operation_status": "ENABLE"})  # DISABLE at creation is allowlist-only: silently ignored
        return {"campaign_id": campaign["campaign_id"]}

    def _adgroup_create(self, params: dict[str, Any]) -> Any:
        account = self.accounts[str(params["advertiser_id"])]
        for required in ("adgroup_name", "campaign_id", "billing_event", "budget", "budget_mode", "optimization_goal",
                         "pacing", "schedule_start_time", "schedule_type"):
            if params.get(required) in (None, ""):
                raise invalid(f"Missing required field(s): {required}.")
        campaign = self._owned(params, "campaign", params["campaign_id"])
        objective = campaign["objective_type"]
        if (params["optimization_goal"], params["billing_event"]) != GOALS[objective]:
            raise invalid(f"optimization_goal: {params['optimization_goal']} with {params['billing_event']} is not "
                          f"supported for {objective}.")
        if objective != "REACH" and params.get("promotion_type") != "WEBSITE":
            raise invalid("promotion_type: Missing required field(s): promotion_type.")
        if params.get("placement_type", "PLACEMENT_TYPE_NORMAL") == "PLACEMENT_TYPE_NORMAL" and not params.get("placements"):
            raise invalid("placements: Missing required field(s): placements.")
        if objective == "WEB_CONVERSIONS" and (str(params.get("pixel_id")) not in account.pixels
                                               or not params.get("optimization_event")):
            raise invalid("pixel_id: A pixel and an optimization_event are required for web conversions.")
        locations = params.get("location_ids") or []
        if not locations or not set(map(str, locations)) <= REGION_IDS:
            raise invalid("location_ids: Invalid location ids.")
        if not set(params.get("age_groups") or []) <= AGE_GROUPS:
            raise invalid("age_groups: Invalid age group.")
        if params.get("gender", "GENDER_UNLIMITED") not in ("GENDER_MALE", "GENDER_FEMALE", "GENDER_UNLIMITED"):
            raise invalid("gender: Invalid gender.")
        budget = self._budget(params)
        fields = {"adgroup_name": params["adgroup_name"], "campaign_id": campaign["campaign_id"], "budget": budget,
                  "budget_mode": params["budget_mode"], "operation_status": params.get("operation_status", "ENABLE"),
                  **self._schedule(params, params["schedule_type"], params["budget_mode"])}
        fields |= {k: params[k] for k in ("optimization_goal", "billing_event", "placements", "placement_type",
                                          "location_ids", "age_groups", "gender", "languages", "pixel_id",
                                          "optimization_event", "promotion_type", "bid_type", "pacing") if k in params}
        self._once(params)
        return {"adgroup_id": self._store("adgroup", account.advertiser_id, fields)["adgroup_id"]}

    def _budget(self, params: dict[str, Any]) -> str:
        try:
            budget = Decimal(str(params["budget"]))
        except ArithmeticError:
            raise invalid("budget: The budget must be a number.") from None
        if params["budget_mode"] not in ("BUDGET_MODE_DAY", "BUDGET_MODE_TOTAL"):
            raise invalid("budget_mode: Invalid budget mode for an ad group.")
        if budget < self.min_daily_budget:
            raise invalid(f"budget: The budget is lower than the minimum budget ({self.min_daily_budget}).")
        return money(budget)

    def _schedule(self, params: dict[str, Any], schedule_type: str, budget_mode: str) -> dict[str, Any]:
        start = parse_time(params["schedule_start_time"], "schedule_start_time")
        if start < datetime.fromtimestamp(self.now(), UTC) - timedelta(hours=12):
            raise invalid("schedule_start_time: The start time cannot be more than 12 hours in the past.")
        end = parse_time(params["schedule_end_time"], "schedule_end_time") if params.get("schedule_end_time") else None
        if schedule_type == "SCHEDULE_START_END" and end is None:
            raise invalid("schedule_end_time: Missing required field(s): schedule_end_time.")
        if budget_mode == "BUDGET_MODE_TOTAL" and schedule_type != "SCHEDULE_START_END":
            raise invalid("schedule_type: A lifetime budget needs SCHEDULE_START_END.")
        if end is not None and end <= start:
            raise invalid("schedule_end_time: The end time must be later than the start time.")
        end = end or start + timedelta(days=3650)
        return {"schedule_type": schedule_type, "schedule_start_time": start.strftime("%Y-%m-%d %H:%M:%S"),
                "schedule_end_time": end.strftime("%Y-%m-%d %H:%M:%S")}

    def _adgroup_update(self, params: dict[str, Any]) -> Any:
        group = self._owned(params, "adgroup", params.get("adgroup_id"))
        changes: dict[str, Any] = {}
        if "budget_mode" in params and params["budget_mode"] != group["budget_mode"]:
            raise invalid("budget_mode: The budget mode cannot be changed after the ad group is created.")
        if "budget" in params:
            changes["budget"] = self._budget(params | {"budget_mode": group["budget_mode"]})
        if "schedule_start_time" in params or "schedule_end_time" in params:
            merged = {k: params.get(k, group[k]) for k in ("schedule_start_time", "schedule_end_time")}
            changes |= self._schedule(merged, params.get("schedule_type", group["schedule_type"]), group["budget_mode"])
        group.update(changes)
        return {"adgroup_id": group["adgroup_id"]}

    def _upload(self, kind: str) -> Callable[[dict[str, Any]], Any]:
        def upload(params: dict[str, Any]) -> Any:
            if params.get("upload_type", "UPLOAD_BY_FILE") != "UPLOAD_BY_FILE":
                raise invalid("upload_type: Only UPLOAD_BY_FILE is supported here.")
            part = params.get(f"{kind}_file")
            if not isinstance(part, tuple) or not part[1]:
                raise invalid(f"{kind}_file: Missing required field(s): {kind}_file.")
            digest = hashlib.md5(part[1]).hexdigest()  # noqa: S324 - TikTok's own signature
            if params.get(f"{kind}_signature") != digest:
                raise Refused(40900, "The signature we calculated does not match the signature you provided.")
            file_name = str(params.get("file_name") or part[0])
            if len(file_name) > 100:
                raise invalid("file_name: The file name must be at most 100 characters.")
            account_id = str(params["advertiser_id"])
            object_id = f"ad-site-i18n-sg/{digest}" if kind == "image" else f"v10033g50000{digest[:20]}"
            key = f"{account_id}:{object_id}"
            if key not in self.objects and any(o["_kind"] == kind and o["_account"] == account_id
                                               and o["file_name"] == file_name for o in self.objects.values()):
                raise Refused(40911, "The material's name has a duplicate.")
            item = self.objects.get(key) or self._store(kind, account_id, {
                f"{kind}_id": object_id, "file_name": file_name, "signature": digest, "size": len(part[1]),
                "material_id": str(self._next_id()), "width": 720, "height": 1280, "displayable": True,
                "format": "jpeg" if kind == "image" else "mp4",
                f"{kind}_url" if kind == "image" else "preview_url": f"{self.url}/media/{digest}"}, key)
            shown = {k: v for k, v in item.items() if not k.startswith("_") and k != "advertiser_id"}
            return shown if kind == "image" else [shown | {"video_cover_url": f"{self.url}/covers/{digest}.jpg",
                                                           "duration": 15.0, "allowed_placements": ["PLACEMENT_TIKTOK"]}]
        return upload

    def _ad_create(self, params: dict[str, Any]) -> Any:
        account = self.accounts[str(params["advertiser_id"])]
        group = self._owned(params, "adgroup", params.get("adgroup_id"))
        creatives = params.get("creatives")
        if not isinstance(creatives, list) or not creatives:
            raise invalid("creatives: Missing required field(s): creatives.")
        for creative in creatives:
            self._creative(account, group, creative)
        ids = []
        for creative in creatives:
            fields = {k: v for k, v in creative.items()} | {
                "adgroup_id": group["adgroup_id"], "campaign_id": group["campaign_id"],
                "operation_status": creative.get("operation_status", "ENABLE"), "_review": self.review_on_create,
                "_reasons": []}
            ids.append(self._store("ad", account.advertiser_id, fields)["ad_id"])
        return {"ad_ids": ids, "creatives": [{"ad_id": i} for i in ids]}

    def _creative(self, account: Advertiser, group: dict[str, Any], creative: dict[str, Any]) -> None:
        ad_format = creative.get("ad_format")
        if ad_format == "SINGLE_IMAGE" and "PLACEMENT_TIKTOK" in (group.get("placements") or []):
            raise invalid("ad_format: SINGLE_IMAGE is not supported on the TikTok placement.")
        if ad_format != "SINGLE_VIDEO":
            raise invalid("ad_format: Invalid ad format.")
        if f"{account.advertiser_id}:{creative.get('video_id')}" not in self.objects:
            raise invalid("video_id: The video does not exist in this ad account.")
        images = creative.get("image_ids") or []
        if len(images) != 1 or f"{account.advertiser_id}:{images[0]}" not in self.objects:
            raise invalid("image_ids: A video ad needs one cover image from this ad account.")
        text = str(creative.get("ad_text") or "")
        if not 1 <= len(text) <= 100 or any(ord(c) >= 0x1F000 for c in text):
            raise invalid("ad_text: Ad text must be 1-100 characters and cannot contain emoji.")
        if creative.get("call_to_action") not in CALLS_TO_ACTION:
            raise invalid("call_to_action: Invalid call to action.")
        if not re.match(r"https?://", str(creative.get("landing_page_url") or "")):
            raise invalid("landing_page_url: Invalid landing page URL.")
        if not 1 <= len(str(creative.get("display_name") or "")) <= 40:
            raise invalid("display_name: Display name must be 1-40 characters.")
        if creative.get("identity_type") != "CUSTOMIZED_USER" or creative.get("identity_id") not in account.identities:
            raise invalid("identity_id: The identity does not exist in this ad account.")
        if not 1 <= len(str(creative.get("ad_name") or "")) <= 512:
            raise invalid("ad_name: Ad name must be 1-512 characters.")

    def _status(self, kind: str) -> Callable[[dict[str, Any]], Any]:
        def update(params: dict[str, Any]) -> Any:
            status = params.get("operation_status")
            if status not in ("ENABLE", "DISABLE", "DELETE"):
                raise invalid("operation_status: Invalid operation status.")
            ids = params.get(f"{kind}_ids") or []
            if not 1 <= len(ids) <= 20:
                raise invalid(f"{kind}_ids: Between 1 and 20 ids.")
            for object_id in ids:
                self._owned(params, kind, object_id)["operation_status"] = status
            return {f"{kind}_ids": ids, "status": status}
        return update

    # --- lists ------------------------------------------------------------------------------

    def _list(self, kind: str) -> Callable[[dict[str, Any]], Any]:
        name_key = {"campaign": "campaign_name", "adgroup": "adgroup_name", "ad": "ad_name"}.get(kind)

        def listed(params: dict[str, Any]) -> Any:
            filtering = params.get("filtering") or {}
            rows = [o for o in self.objects.values() if o["_kind"] == kind and o["_account"] == str(params["advertiser_id"])
                    and o.get("operation_status") != "DELETE"]
            if name_key and filtering.get(name_key):
                rows = [o for o in rows if str(filtering[name_key]).casefold() in str(o[name_key]).casefold()]
            for id_key in ("campaign_ids", "adgroup_ids", "ad_ids", "image_ids", "video_ids"):
                if filtering.get(id_key):
                    rows = [o for o in rows if str(o.get(id_key[:-1])) in map(str, filtering[id_key])]
            fields = params.get("fields")
            return self._page([self._shown(o, fields) for o in rows], params, "list", max_size=1000)
        return listed

    def _shown(self, obj: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
        row = {k: v for k, v in obj.items() if not k.startswith("_")}
        if obj["_kind"] == "ad":
            row["secondary_status"] = self._secondary(obj)
        return {k: v for k, v in row.items() if fields is None or k in fields}

    def _secondary(self, ad: dict[str, Any]) -> str:
        if ad["_review"] == "disapproved":
            return "AD_STATUS_AUDIT_DENY"
        if ad["_review"] == "in_review":
            return "AD_STATUS_AUDIT"
        for key, status in (("ad_id", "AD_STATUS_DISABLE"), ("adgroup_id", "AD_STATUS_ADGROUP_DISABLE"),
                            ("campaign_id", "AD_STATUS_CAMPAIGN_DISABLE")):
            if self.objects[ad[key]]["operation_status"] != "ENABLE":
                return status
        return "AD_STATUS_DELIVERY_OK"

    def _review_info(self, params: dict[str, Any]) -> Any:
        found = {}
        for ad_id in params.get("ad_ids") or []:
            ad = self._owned(params, "ad", ad_id)
            state = {"disapproved": "REJECTED", "in_review": "IN_REVIEW"}.get(ad["_review"], "APPROVED")
            found[str(ad_id)] = {"ad_id": str(ad_id), "review_status": state,
                                 "reject_info": [{"reasons": ad["_reasons"], "suggestion": "Edit the ad and submit it "
                                                  "again."}] if ad["_reasons"] else []}
        return {"ad_review_map": found}

    def _page(self, rows: list[dict[str, Any]], params: dict[str, Any], key: str, max_size: int = 100) -> Any:
        page, size = int(params.get("page", 1)), int(params.get("page_size", 10))
        if page < 1 or not 1 <= size <= max_size:
            raise invalid(f"page_size: page_size must be between 1 and {max_size}.")
        total_page = max(1, -(-len(rows) // size))
        return {key: rows[(page - 1) * size:page * size],
                "page_info": {"page": page, "page_size": size, "total_number": len(rows), "total_page": total_page}}

    # --- reports ----------------------------------------------------------------------------

    def figures(self, ad: dict[str, Any], day: date, account: Advertiser,
                now: datetime | None = None) -> dict[str, Decimal] | None:
        """One ad's figures for one day of its account: None before it delivers or after today.
        `now` (the fake's clock in the account's zone) may be given once per report."""
        if now is None:
            now = datetime.fromtimestamp(self.now(), ZoneInfo(account.time_zone))
        today = now.date()
        first = ad.get("_from") or (ad["_created"].astimezone(now.tzinfo).date() - timedelta(days=self.history_days))
        if day < first or day > today:
            return None
        ad_id = ad["ad_id"]
        factor = self.restated.get((day, ad_id), self.restated.get((day, None)))
        if day != today and factor is None:  # a whole past day, as seeded: the same figures every time
            whole = self._whole.get((ad_id, day))
            if whole is None:
                impressions, click_rate, cost, value = self._seeds(ad_id, day)
                clicks = impressions * click_rate // 1000
                purchases = clicks // 25
                whole = self._whole[ad_id, day] = {
                    "impressions": Decimal(impressions), "clicks": Decimal(clicks),
                    "reach": Decimal(impressions * 8 // 10),
                    "spend": Decimal(impressions * cost // 10).scaleb(-2),
                    "complete_payment": Decimal(purchases), "total_complete_payment_rate": Decimal(purchases * value)}
            return dict(whole)
        seeded, click_rate, cost, value = self._seeds(ad_id, day)
        impressions = Decimal(seeded)
        share = Decimal(1)
        if day == today:  # today so far: the figures grow as the fake's clock moves
            share = Decimal(now.hour * 3600 + now.minute * 60 + now.second) / Decimal(86400)
        share *= factor if factor is not None else Decimal(1)
        shown = (impressions * share).to_integral_value(ROUND_DOWN)
        clicks = (shown * Decimal(click_rate) / 1000).to_integral_value(ROUND_DOWN)
        purchases = (clicks / 25).to_integral_value(ROUND_DOWN)
        return {"impressions": shown, "clicks": clicks, "reach": (shown * Decimal("0.8")).to_integral_value(ROUND_DOWN),
                "spend": (shown * Decimal(cost) / 1000).quantize(Decimal("0.01"), ROUND_DOWN),
                "complete_payment": purchases, "total_complete_payment_rate": purchases * Decimal(value)}

    def _seeds(self, ad_id: str, day: date) -> tuple[int, int, int, int]:
        """An ad's day as seeded (impressions, clicks per mille, cost per mille, purchase value), cached."""
        seeds = self._seeded.get((ad_id, day))
        if seeds is None:
            digest = hashlib.sha256(f"{ad_id}/{day.isoformat()}".encode()).digest()
            seeds = self._seeded[ad_id, day] = (800 + int.from_bytes(digest[:2]) % 1200, 10 + digest[2] % 20,
                                                 8 + digest[3] % 7, 149 + digest[4] % 50)
        return seeds

    def _report(self, params: dict[str, Any]) -> Any:
        account = self.accounts[str(params["advertiser_id"])]
        level = params.get("data_level")
        if params.get("report_type") != "BASIC" or level not in LEVELS:
            raise invalid("data_level: Invalid report_type or data_level.")
        dimensions, metrics = params.get("dimensions") or [], params.get("metrics") or []
        key, time_key = LEVELS[level], next((d for d in dimensions if d.startswith("stat_time_")), None)
        if key not in dimensions or time_key not in ("stat_time_day", "stat_time_hour") or len(dimensions) != 2:
            raise invalid("dimensions: Invalid dimensions for this data_level.")
        if not set(metrics) <= METRICS:
            raise invalid(f"metrics: Invalid metrics {sorted(set(metrics) - METRICS)}.")
        try:
            first, last = date.fromisoformat(params["start_date"]), date.fromisoformat(params["end_date"])
        except (KeyError, ValueError):
            raise invalid("start_date: start_date and end_date are required, YYYY-MM-DD.") from None
        if last < first or (last - first).days >= (1 if time_key == "stat_time_hour" else 30):
            raise invalid("end_date: The time span is too long for this time dimension.")
        wanted = None
        for rule in params.get("filtering") or []:
            if rule.get("field_name") == "campaign_ids":
                value = rule.get("filter_value")
                wanted = set(map(str, json.loads(value) if isinstance(value, str) else value))
        now = datetime.fromtimestamp(self.now(), ZoneInfo(account.time_zone))
        # a report is built when its first page is asked for; its later pages are read from that snapshot
        # (as long as nothing it depends on changed: the request, the objects, restatements), so pages of
        # one report are consistent with each other even when the clock moves between them
        key_of = (json.dumps({k: v for k, v in params.items() if k not in ("page", "page_size")}, sort_keys=True,
                             default=str), len(self.objects), self._deliveries, frozenset(self.restated.items()))
        rows = None if int(params.get("page", 1)) <= 1 else self._reports.get(key_of)
        if rows is None:
            if len(self._reports) >= 32:
                self._reports.clear()
            rows = self._reports[key_of] = self._report_rows(account, key, time_key, metrics, first, last, wanted, now)
        return self._page(rows, params, "list", max_size=1000)

    def _report_rows(self, account: Advertiser, key: str, time_key: str, metrics: list[str], first: date, last: date,
                     wanted: set[str] | None, now: datetime) -> list[dict[str, Any]]:
        totals: dict[tuple[str, str], dict[str, Decimal]] = {}
        campaigns: dict[str, str] = {}
        ads = [o for o in self.objects.values() if o["_kind"] == "ad" and o["_account"] == account.advertiser_id
               and (wanted is None or o["campaign_id"] in wanted)]
        day = first
        while day <= last:
            hour_now = self._hour_now(account, day, now)
            for ad in ads:
                figures = self.figures(ad, day, account, now)
                if figures is None or not figures["impressions"]:
                    continue
                for moment, part in self._moments(day, time_key, figures, hour_now):
                    bucket = totals.setdefault((ad[key], moment), {})
                    campaigns[ad[key]] = ad["campaign_id"]
                    for name, value in part.items():
                        bucket[name] = bucket.get(name, Decimal(0)) + value
            day += timedelta(days=1)
        return [{"dimensions": {key: object_id, time_key: moment},
                 "metrics": self._metrics(metrics, figures, campaigns[object_id])}
                for (object_id, moment), figures in sorted(totals.items())]

    def _hour_now(self, account: Advertiser, day: date, now: datetime | None = None) -> int:
        if now is None:
            now = datetime.fromtimestamp(self.now(), ZoneInfo(account.time_zone))
        return now.hour if now.date() == day else 23

    def _moments(self, day: date, time_key: str, figures: dict[str, Decimal],
                 hour_now: int) -> list[tuple[str, dict[str, Decimal]]]:
        if time_key == "stat_time_day":
            return [(f"{day.isoformat()} 00:00:00", figures)]
        # delivery in a few hours of the day so far, the day's figures split between them exactly
        hours = [h for h in range(1, 24, 4) if h <= hour_now] or [hour_now]
        split = []
        for index, hour in enumerate(hours):
            last = index == len(hours) - 1
            part = {k: (v - sum((p[k] for _, p in split), Decimal(0))) if last else
                    (v / len(hours)).quantize(Decimal("0.01") if k in ("spend", "total_complete_payment_rate")
                                              else Decimal(1), ROUND_DOWN) for k, v in figures.items()}
            split.append((f"{day.isoformat()} {hour:02d}:00:00", part))
        return split

    @staticmethod
    def _metrics(names: list[str], figures: dict[str, Decimal], campaign_id: str) -> dict[str, str]:
        shown: dict[str, str] = {}
        for name in names:
            if name == "campaign_id":
                shown[name] = campaign_id
            elif name in ("spend", "total_complete_payment_rate"):
                shown[name] = money(figures.get(name, Decimal(0)))
            elif name in figures:
                shown[name] = str(int(figures[name]))
            else:
                shown[name] = "0"
        return shown


# --- the sandbox ------------------------------------------------------------------------------


def build_tiktok(plan: dict[str, Any], home: Any = None) -> tuple[FakeTikTok, dict[str, Any]]:
    """A sandbox advertiser (`adly-dev run --sandbox`): every ad is approved at once, and each
    published ad's figures move with the clock (from `history_days` before it was created)."""
    fake = FakeTikTok(plan.get("port"), app_id=plan.get("app_id", APP_ID),
                      app_secret=plan.get("app_secret", APP_SECRET), review_on_create="approved",
                      history_days=int(plan.get("history_days", 0)))
    seeded = fake.seed_account(account_id=plan.get("account_id"), name=plan.get("name", "Sandbox Oud House"),
                               currency=plan.get("currency", "SAR"), time_zone=plan.get("time_zone", "Asia/Riyadh"))
    if plan.get("token"):  # a known token, long-term as TikTok's advertiser tokens are
        fake.issue_token([seeded.advertiser_id], plan["token"])
    about = {"connect": {"platform": "tiktok", "api_url": fake.api_url, "auth_url": fake.auth_url,
                         "account_id": seeded.advertiser_id, "page_id": seeded.identity_id,
                         "pixel_id": seeded.pixel_id}, "flow": "oauth"}
    return fake, about


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake TikTok Marketing API on 127.0.0.1 (tests/fakes/tiktok.py)")
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    fake, about = build_tiktok({"port": args.port})
    with fake:
        print(f"sandbox tiktok on {fake.url}: {json.dumps(about['connect'])}; "
              f"token {next(iter(fake.tokens))}", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
