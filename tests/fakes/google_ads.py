"""A local Google Ads: Google's OAuth endpoints and the Google Ads REST API on one loopback server.

`url` serves `/o/oauth2/v2/auth`, `/token` and `/{version}/customers...` for the versions it is
told to (v25 and v26 by default). It reproduces what the campaigns client must cope with (the
client's docstring says what was verified and where; what is not is marked illustrative):

- OAuth: the consent page approves at once and redirects back with `code`, `state` and
  `scope`; `POST /token` exchanges a code (an access token for `ACCESS_TTL` seconds and, for
  `access_type=offline`, a refresh token) or a refresh token (a new access token, no new
  refresh token). Errors are `{"error": "invalid_grant" | "invalid_client", "error_description"}`.
- Auth on API calls: `Authorization: Bearer`; an unknown token answers a bare 401
  UNAUTHENTICATED, an expired one authenticationError OAUTH_TOKEN_EXPIRED, a revoked one
  OAUTH_TOKEN_REVOKED (illustrative: Google's front end may answer the bare 401 for all).
  A customer under a manager is reachable only with `login-customer-id` set to the manager
  (else 403 authorizationError USER_PERMISSION_DENIED). `developer-token` is accepted and
  ignored, as Google does since 2026-09-09 (`requests` records whether it came).
- GAQL (`googleAds:search`, `googleAds:searchStream`): SELECT / FROM / WHERE with =, !=, <,
  >, <=, >=, IN, NOT IN, BETWEEN, LIKE joined by AND; a query selecting segments.date needs a
  date filter. Answers are lowerCamelCase, int64s are strings, zero and false fields are left
  out, each entity carries its `resourceName`; search pages hold `page_size` rows (10,000)
  with `nextPageToken` (to be sent with the same query), searchStream answers a JSON array of
  batches.
- Mutates: `{service}:mutate` (campaignBudgets, campaigns, campaignCriteria, adGroups,
  adGroupCriteria, assets, adGroupAds) and `googleAds:mutate` with temporary negative ids,
  all or nothing (ADLY never sends partialFailure true; the fake refuses it with a
  requestError). Creates validate what Google validates, answering GoogleAdsFailure errors
  with `location.fieldPathElements`: unique budget / campaign / ad group names, budgets in
  multiples of the billable unit and at least the Demand Gen daily minimum
  (BudgetPerDayMinimumErrorDetails), `containsEuPoliticalAdvertising` REQUIRED on campaign
  create, Demand Gen day-granular dates, known geo and language constants, Demand Gen ads'
  headline / description / business name lengths, square logos, image shapes and known
  assets. Image assets are keyed by content: the same bytes give the first asset back.
- Reviews: an ad starts `review_on_create` (in_review: REVIEW_IN_PROGRESS); `set_review(ad,
  "approved" | "limited" | "disapproved", topic)`. A headline with a phrase of `POLICY` is
  refused at once with a policyFindingError naming the topic.
- Performance: per ad and day, deterministic (a hash of the ad and the day), from
  `history_days` before the ad's creation up to the fake clock's hour today in the customer's
  time zone, so today's figures grow as the clock moves (`advance(seconds)`); an ad group's
  and a campaign's figures are their ads' sums; `restate(day, factor)` changes a past day.
- Failures: `fail_next(kind)` (quota with `retryDelay`, quota_daily, token_expired,
  token_revoked, permission, policy, internal, unavailable, http_502) or `fail_next_error`.
- Stalls for the kill test: `stall(at_request=n, when)` holds the n-th mutating request
  (`:mutate`) from now on, as the Meta fake does; `stalled`, `release()`.
- `count(kind)` / `of_kind(kind)`: "campaign", "budget", "ad_set", "image", "creative" (never
  any: Google has no creative object), "ad", "criterion".

Geo target, language and currency constants are illustrative (the client looks them up).
`build_google_ads` makes a seeded fake for the sandbox; `python -m tests.fakes.google_ads`
runs one alone.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import json
import re
import secrets
import signal
import struct
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.server import FakeServer, hold

CLIENT_ID, CLIENT_SECRET = "fake-google-ads.apps.googleusercontent.com", "fake-google-ads-secret"
SCOPE = "https://www.googleapis.com/auth/adwords"
VERSIONS = ("v25", "v26")
ACCESS_TTL = 3599
PAGE_SIZE = 10_000
BILLABLE_UNIT = 10_000
FAILURE_TYPE = "type.googleapis.com/google.ads.googleads.{v}.errors.GoogleAdsFailure"
# id, name, country, type (illustrative ids: countries follow Google's 2000 + ISO numeric)
GEO = [(2682, "Saudi Arabia", "SA", "Country"), (2784, "United Arab Emirates", "AE", "Country"),
       (2414, "Kuwait", "KW", "Country"), (2634, "Qatar", "QA", "Country"), (2048, "Bahrain", "BH", "Country"),
       (2512, "Oman", "OM", "Country"), (2818, "Egypt", "EG", "Country"), (2400, "Jordan", "JO", "Country"),
       (2840, "United States", "US", "Country"), (2826, "United Kingdom", "GB", "Country"),
       (1012088, "Riyadh", "SA", "City"), (1012089, "Jeddah", "SA", "City"), (1012090, "Dammam", "SA", "City"),
       (1000013, "Dubai", "AE", "City"), (1000014, "Abu Dhabi", "AE", "City"), (1000015, "Kuwait City", "KW", "City")]
LANGUAGES = [(1000, "en", "English"), (1019, "ar", "Arabic"), (1002, "fr", "French"), (1001, "de", "German"),
             (1003, "es", "Spanish"), (1037, "tr", "Turkish"), (1023, "hi", "Hindi"), (1041, "ur", "Urdu")]
DEMAND_GEN_MINIMUM = {"SAR": 20_000_000, "AED": 20_000_000, "QAR": 20_000_000, "KWD": 2_000_000, "BHD": 2_000_000,
                      "OMR": 2_000_000, "JOD": 4_000_000, "EGP": 250_000_000, "USD": 5_000_000, "EUR": 5_000_000}
CHANNELS = {"SEARCH", "DISPLAY", "SHOPPING", "VIDEO", "PERFORMANCE_MAX", "DEMAND_GEN", "MULTI_CHANNEL", "LOCAL"}
BIDDINGS = ("maximizeConversions", "maximizeConversionValue", "targetCpa", "targetRoas", "targetSpend",
            "manualCpc", "targetCpm")
DEMAND_GEN_BIDDINGS = {"maximizeConversions", "maximizeConversionValue", "targetCpa", "targetRoas", "targetSpend"}
AGE_TYPES = {"AGE_RANGE_18_24", "AGE_RANGE_25_34", "AGE_RANGE_35_44", "AGE_RANGE_45_54", "AGE_RANGE_55_64",
             "AGE_RANGE_65_UP", "AGE_RANGE_UNDETERMINED"}
POLICY = {"miracle cure": "UNAPPROVED_SUBSTANCES", "guaranteed weight loss": "MISLEADING_HEALTH_CLAIMS"}
SHAPES = {"marketingImages": (1.91, 600), "squareMarketingImages": (1.0, 300), "portraitMarketingImages": (0.8, 480),
          "tallPortraitMarketingImages": (0.5625, 600), "logoImages": (1.0, 128)}
KINDS = {"campaign": "campaign", "budget": "campaign_budget", "ad_set": "ad_group", "ad_group": "ad_group",
         "image": "asset", "asset": "asset", "ad": "ad_group_ad", "creative": "creative",
         "criterion": "campaign_criterion", "ad_group_criterion": "ad_group_criterion"}
SERVICES = {"campaignBudgets": ("campaign_budget", "campaignBudgets"), "campaigns": ("campaign", "campaigns"),
            "campaignCriteria": ("campaign_criterion", "campaignCriteria"), "adGroups": ("ad_group", "adGroups"),
            "adGroupCriteria": ("ad_group_criterion", "adGroupCriteria"), "assets": ("asset", "assets"),
            "adGroupAds": ("ad_group_ad", "adGroupAds")}
OPERATIONS = {"campaignBudgetOperation": ("campaignBudgets", "campaignBudgetResult"),
              "campaignOperation": ("campaigns", "campaignResult"),
              "campaignCriterionOperation": ("campaignCriteria", "campaignCriterionResult"),
              "adGroupOperation": ("adGroups", "adGroupResult"),
              "adGroupCriterionOperation": ("adGroupCriteria", "adGroupCriterionResult"),
              "assetOperation": ("assets", "assetResult"), "adGroupAdOperation": ("adGroupAds", "adGroupAdResult")}
MUTABLE = {"campaign": {"status", "name", "startDateTime", "endDateTime"}, "campaign_budget": {"amountMicros", "name"},
           "ad_group": {"status", "name"}, "ad_group_ad": {"status"}, "campaign_criterion": set(),
           "ad_group_criterion": set(), "asset": {"name"}}
INT32 = {"segments.hour", "customer_client.level"}
RESOURCES = {"customer", "customer_client", "campaign", "campaign_budget", "campaign_criterion", "ad_group",
             "ad_group_criterion", "ad_group_ad", "asset", "conversion_action", "geo_target_constant",
             "language_constant", "currency_constant"}
RELATED = {"campaign": ["campaign_budget"], "ad_group": ["campaign", "campaign_budget"],
           "ad_group_ad": ["ad_group", "campaign", "campaign_budget"], "campaign_criterion": ["campaign"],
           "ad_group_criterion": ["ad_group", "campaign"]}
METRICS = ("impressions", "clicks", "cost_micros", "conversions", "conversions_value")


@lru_cache(maxsize=4096)
def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


class Refused(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body["error"]["message"])
        self.status, self.body = status, body


def failure(status: int, grpc: str, errors: list[dict[str, Any]], version: str = "v26",
            message: str | None = None) -> Refused:
    request_id = secrets.token_urlsafe(16)
    return Refused(status, {"error": {
        "code": status, "message": message or ("Request contains an invalid argument." if status == 400 else grpc),
        "status": grpc, "details": [{"@type": FAILURE_TYPE.format(v=version), "errors": errors,
                                     "requestId": request_id}]}})


def ads_error(code: dict[str, str], message: str, path: list[tuple[str, int | None]] | None = None,
              trigger: Any = None, details: dict[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"errorCode": code, "message": message}
    if trigger is not None:
        error["trigger"] = {"stringValue": str(trigger)}
    if path:
        error["location"] = {"fieldPathElements": [
            {"fieldName": name} | ({"index": index} if index is not None else {}) for name, index in path]}
    if details:
        error["details"] = details
    return error


def invalid(code: dict[str, str], message: str, *fields: str, at: list[tuple[str, int | None]] | None = None,
            trigger: Any = None, details: dict[str, Any] | None = None) -> Refused:
    path = (at or []) + [(f, None) for f in fields]
    return failure(400, "INVALID_ARGUMENT", [ads_error(code, message, path, trigger, details)])


def image_size(data: bytes) -> tuple[int, int, str] | None:
    """Width, height and Google's mime type of a PNG, JPEG or GIF."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height, "IMAGE_PNG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        width, height = struct.unpack("<HH", data[6:10])
        return width, height, "IMAGE_GIF"
    if data.startswith(b"\xff\xd8"):
        at = 2
        while at + 9 < len(data):
            if data[at] != 0xFF:
                return None
            marker, length = data[at + 1], struct.unpack(">H", data[at + 2:at + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[at + 5:at + 9])
                return width, height, "IMAGE_JPEG"
            at += 2 + length
    return None


# --- GAQL ----------------------------------------------------------------------------------

TOKEN = re.compile(r"""\s*(?:(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?)\b|"""
                   r"""(?P<op>!=|>=|<=|=|<|>|\(|\)|,)|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))""")


@dataclass
class Query:
    fields: list[str]
    resource: str
    conditions: list[tuple[str, str, Any]]
    limit: int | None = None
    text: str = ""


def query_error(reason: str, message: str) -> Refused:
    return invalid({"queryError": reason}, message)


def _tokens(text: str) -> list[tuple[str, Any]]:
    found, at = [], 0
    text = text.strip()
    while at < len(text):
        match = TOKEN.match(text, at)
        if match is None or match.end() == at:
            raise query_error("UNEXPECTED_INPUT", f"Error in query: unexpected input {text[at:at + 20]!r}.")
        at = match.end()
        if match.group("str") is not None:
            raw = match.group("str")[1:-1]
            found.append(("value", re.sub(r"\\(.)", r"\1", raw)))
        elif match.group("num") is not None:
            raw = match.group("num")
            found.append(("value", float(raw) if "." in raw else int(raw)))
        elif match.group("op") is not None:
            found.append(("op", match.group("op")))
        else:
            found.append(("word", match.group("word")))
    return found


def parse(text: str) -> Query:
    tokens = _tokens(text)
    keyword = lambda i: tokens[i][1].upper() if i < len(tokens) and tokens[i][0] == "word" else None  # noqa: E731
    if keyword(0) != "SELECT":
        raise query_error("EXPECTED_SELECT", "Error in query: expected SELECT.")
    i, fields = 1, []
    while i < len(tokens) and keyword(i) != "FROM":
        if tokens[i][0] == "word":
            fields.append(tokens[i][1])
        i += 1
    if keyword(i) != "FROM" or i + 1 >= len(tokens):
        raise query_error("EXPECTED_FROM", "Error in query: expected FROM.")
    resource = tokens[i + 1][1]
    if resource not in RESOURCES:
        raise query_error("INVALID_RESOURCE_NAME", f"Error in query: unrecognized resource '{resource}'.")
    i += 2
    conditions: list[tuple[str, str, Any]] = []
    limit = None
    if keyword(i) == "WHERE":
        i += 1
        while i < len(tokens):
            if keyword(i) in ("ORDER", "LIMIT", "PARAMETERS"):
                break
            name = tokens[i][1]
            op = (keyword(i + 1) or tokens[i + 1][1]) if i + 1 < len(tokens) else ""
            if op == "NOT" and keyword(i + 2) == "IN":
                op, i = "NOT IN", i + 1
            if op in ("IN", "NOT IN"):
                values, i = [], i + 3
                while i < len(tokens) and tokens[i][1] != ")":
                    if tokens[i][0] in ("value", "word"):
                        values.append(_literal(tokens[i]))
                    i += 1
                conditions.append((name, op, values))
                i += 1
            elif op == "BETWEEN":
                conditions.append((name, op, (_literal(tokens[i + 2]), _literal(tokens[i + 4]))))
                i += 5
            elif op in ("=", "!=", "<", ">", "<=", ">=", "LIKE"):
                conditions.append((name, op, _literal(tokens[i + 2])))
                i += 3
            else:
                raise query_error("UNEXPECTED_INPUT", f"Error in query: unexpected operator {op!r}.")
            if keyword(i) == "AND":
                i += 1
    while i < len(tokens):
        if keyword(i) == "LIMIT" and i + 1 < len(tokens):
            limit = int(tokens[i + 1][1])
        i += 1
    return Query(fields, resource, conditions, limit, text)


def _literal(token: tuple[str, Any]) -> Any:
    kind, value = token
    if kind == "word":
        return {"TRUE": True, "FALSE": False}.get(value.upper(), value)
    return value


def _compare(value: Any, op: str, wanted: Any) -> bool:
    if isinstance(wanted, list):
        hit = any(_equal(value, w) for w in wanted)
        return hit if op == "IN" else not hit
    if op == "BETWEEN":
        return value is not None and str(wanted[0]) <= str(value) <= str(wanted[1])
    if op in ("=", "!="):
        return _equal(value, wanted) == (op == "=")
    if op == "LIKE":
        pattern = "^" + re.escape(str(wanted)).replace("%", ".*") + "$"
        return re.match(pattern, str(value or "")) is not None
    if value is None:
        return False
    left, right = (value, wanted) if isinstance(value, (int, float)) == isinstance(wanted, (int, float)) else (
        str(value), str(wanted))
    return {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[op]


def _equal(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, bool) or isinstance(value, bool):
        return bool(value) == bool(wanted)
    if isinstance(wanted, (int, float)) and not isinstance(value, (int, float)):
        try:
            return float(str(value)) == float(wanted)
        except ValueError:
            return False
    return value == wanted or str(value) == str(wanted)


def lookup(context: dict[str, Any], path: str) -> Any:
    resource, _, rest = path.partition(".")
    value: Any = context.get(resource)
    for part in rest.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(camel(part))
    return value


@lru_cache(maxsize=256)
def _rendering(fields: tuple[str, ...]) -> tuple[tuple[str, str, bool, bool, tuple[str, ...], tuple[str, ...]], ...]:
    """Per selected field, worked out once per query text rather than per row: its resource (and
    camelCase), whether its resource's name goes along, whether it is left out (a resource name),
    whether an int goes as a string (int64), its path below the resource and its row path."""
    plan = []
    for path in fields:
        resource, _, rest = path.partition(".")
        parts = path.split(".")
        plan.append((resource, camel(resource), resource not in ("metrics", "segments"),
                     path not in INT32,
                     tuple(camel(p) for p in rest.split(".")), tuple(camel(p) for p in parts)))
    return tuple(plan)


def render(context: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """A result row as Google writes it: camelCase, int64 as strings, zero values left out."""
    row: dict[str, Any] = {}
    for (resource, resource_key, named, int64, below, parts), path in zip(_rendering(tuple(fields)), fields,
                                                                         strict=True):
        entity = value = context.get(resource)
        for part in below:
            if not isinstance(value, dict):
                value = None
                break
            value = value.get(part)
        if named and isinstance(entity, dict) and entity.get("resourceName"):
            row.setdefault(resource_key, {})["resourceName"] = entity["resourceName"]
        if value in (None, 0, 0.0, "", False, [], {}) or path.endswith(".resource_name"):
            continue
        if int64 and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        target = row
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return row


# --- the state -----------------------------------------------------------------------------


@dataclass
class Customer:
    customer_id: str
    name: str
    currency: str
    time_zone: str
    manager: bool = False
    manager_id: str | None = None
    status: str = "ENABLED"


@dataclass
class Grant:
    customers: set[str]
    offline: bool = True
    revoked: bool = False


@dataclass
class Access:
    refresh: str | None
    expires_at: float
    customers: set[str]
    revoked: bool = False


@dataclass
class Fault:
    status: int
    body: Any
    times: int
    path: str | None


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    body: Any
    headers: dict[str, str]


@dataclass(frozen=True)
class SeededAccount:
    customer_id: str
    conversion_action_id: str
    token: str
    refresh_token: str


@dataclass
class Page:
    query: str
    rows: list[dict[str, Any]]
    offset: int
    fields: list[str] = field(default_factory=list)


class FakeGoogleAds(FakeServer):
    def __init__(self, port: int | None = None, *, client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET,
                 versions: tuple[str, ...] = VERSIONS, review_on_create: str = "in_review", history_days: int = 0,
                 page_size: int = PAGE_SIZE) -> None:
        super().__init__(port)
        self.api_url = self.oauth_url = self.url
        self.token_url = f"{self.url}/token"
        self.client_id, self.client_secret, self.versions = client_id, client_secret, versions
        self.review_on_create, self.history_days, self.page_size = review_on_create, history_days, page_size
        self.customers: dict[str, Customer] = {}
        self.objects: dict[str, dict[str, Any]] = {}
        self.grants: dict[str, Grant] = {}
        self.access: dict[str, Access] = {}
        self.codes: dict[str, tuple[str, Grant]] = {}
        self.pages: dict[str, Page] = {}
        self.restated: dict[tuple[str, date], float] = {}
        self._figured: dict[tuple[Any, ...], tuple[int, int, int, float, float]] = {}   # _figures, remembered
        self.requests: list[Seen] = []
        self.offset = 0.0
        self.frozen: float | None = None
        self.stalled = threading.Event()
        self._released = threading.Event()
        self._stall: tuple[int, str] | None = None
        self._mutations = 0
        self._faults: list[Fault] = []
        self._ids = 9_000_000_000
        self._lock = threading.RLock()
        self.app = Starlette(routes=[Route("/{path:path}", self._serve, methods=["GET", "POST"])])

    # --- knobs ------------------------------------------------------------------------------

    def now(self) -> float:
        return (self.frozen if self.frozen is not None else time.time()) + self.offset

    def freeze(self, at: float | None = None) -> None:
        """Stop the fake's clock (at `at`, a Unix time, or now): only `advance` moves it then."""
        with self._lock:
            self.frozen, self.offset = (at if at is not None else time.time()), 0.0

    def advance(self, seconds: float) -> None:
        """Move the fake's clock: tokens expire, today's figures grow."""
        with self._lock:
            self.offset += seconds

    def seed_manager(self, *, customer_id: str | None = None, name: str = "Sandbox Agency MCC") -> str:
        with self._lock:
            customer_id = customer_id or str(self._next_id())
            self.customers[customer_id] = Customer(customer_id, name, "USD", "Asia/Riyadh", manager=True)
            return customer_id

    def seed_account(self, *, customer_id: str | None = None, name: str = "Sandbox Oud House", currency: str = "SAR",
                     time_zone: str = "Asia/Riyadh", manager_id: str | None = None,
                     conversion_action: str = "Purchase (sandbox store)") -> SeededAccount:
        """A customer ready to advertise, with a purchase conversion action and a login that
        reaches it (directly, or through its manager)."""
        with self._lock:
            customer_id = customer_id or str(self._next_id())
            self.customers[customer_id] = Customer(customer_id, name, currency, time_zone, manager_id=manager_id)
            action_id = str(self._next_id())
            self.objects[f"customers/{customer_id}/conversionActions/{action_id}"] = {
                "_kind": "conversion_action", "_customer": customer_id, "id": int(action_id), "name": conversion_action,
                "status": "ENABLED", "category": "PURCHASE", "type": "WEBPAGE",
                "resourceName": f"customers/{customer_id}/conversionActions/{action_id}"}
            token, refresh = self.issue_token(customers={manager_id or customer_id})
            return SeededAccount(customer_id, action_id, token, refresh)

    def issue_token(self, *, customers: set[str] | None = None, ttl: float = ACCESS_TTL) -> tuple[str, str]:
        """An access token (for `ttl` seconds) and its refresh token."""
        refresh = "1//" + secrets.token_urlsafe(40)
        with self._lock:
            self.grants[refresh] = Grant(set(customers if customers is not None else self.customers))
            return self._access_token(refresh, ttl), refresh

    def revoke(self, token: str) -> None:
        """Revoke a refresh token (and every access token it gave) or one access token."""
        with self._lock:
            if token in self.grants:
                self.grants[token].revoked = True
                for access in self.access.values():
                    if access.refresh == token:
                        access.revoked = True
            elif token in self.access:
                self.access[token].revoked = True

    def fail_next(self, kind: str, *, times: int = 1, path: str | None = None, retry_delay: float = 30.0) -> None:
        bodies = {
            "quota": (429, "RESOURCE_EXHAUSTED", {"quotaError": "RESOURCE_TEMPORARILY_EXHAUSTED"},
                      "Too many requests. Retry in 30 seconds.", {"quotaErrorDetails": {
                          "rateScope": "ACCOUNT", "rateName": "Requests per customer per minute",
                          "retryDelay": f"{retry_delay:g}s"}}),
            "quota_daily": (429, "RESOURCE_EXHAUSTED", {"quotaError": "RESOURCE_EXHAUSTED"},
                            "Too many requests. Retry in 86400 seconds.", {"quotaErrorDetails": {
                                "rateScope": "DEVELOPER", "rateName": "Number of operations for basic access",
                                "retryDelay": "86400s"}}),
            "token_expired": (401, "UNAUTHENTICATED", {"authenticationError": "OAUTH_TOKEN_EXPIRED"},
                              "Authentication of the request failed: the OAuth token has expired.", None),
            "token_revoked": (401, "UNAUTHENTICATED", {"authenticationError": "OAUTH_TOKEN_REVOKED"},
                              "The OAuth token has been revoked.", None),
            "permission": (403, "PERMISSION_DENIED", {"authorizationError": "USER_PERMISSION_DENIED"},
                           "User doesn't have permission to access customer.", None),
            "policy": (400, "INVALID_ARGUMENT", {"policyFindingError": "POLICY_FINDING"},
                       "The resource has been disapproved since the policy summary includes policy topics of type "
                       "PROHIBITED.", {"policyFindingDetails": {"policyTopicEntries": [
                           {"topic": "MISLEADING_HEALTH_CLAIMS", "type": "PROHIBITED"}]}}),
            "internal": (500, "INTERNAL", {"internalError": "INTERNAL_ERROR"},
                         "An internal error has occurred.", None),
        }
        if kind == "unavailable":
            self.fail_next_error(503, {"error": {"code": 503, "message": "The service is currently unavailable.",
                                                 "status": "UNAVAILABLE"}}, times=times, path=path)
            return
        if kind == "http_502":
            self.fail_next_error(502, "<html><body>502 Bad Gateway</body></html>", times=times, path=path)
            return
        status, grpc, code, message, details = bodies[kind]
        refused = failure(status, grpc, [ads_error(code, message, details=details)],
                          message="Request is prohibited by organization's policy" if status == 429 else message)
        self.fail_next_error(status, refused.body, times=times, path=path)

    def fail_next_error(self, status: int, body: Any, *, times: int = 1, path: str | None = None) -> None:
        """The next `times` API calls (whose path after the version contains `path`) get this."""
        with self._lock:
            self._faults.append(Fault(status, body, times, path))

    def set_review(self, ad_id: str, state: str, topic: str = "MISLEADING_HEALTH_CLAIMS") -> None:
        with self._lock:
            ad = next(o for o in self.objects.values() if o["_kind"] == "ad_group_ad" and (
                o["resourceName"].endswith("/" + ad_id) or str(o["ad"]["id"]) == ad_id))
            ad["policySummary"] = {
                "approved": {"reviewStatus": "REVIEWED", "approvalStatus": "APPROVED"},
                "limited": {"reviewStatus": "REVIEWED", "approvalStatus": "APPROVED_LIMITED", "policyTopicEntries": [
                    {"topic": "ALCOHOL", "type": "LIMITED"}]},
                "disapproved": {"reviewStatus": "REVIEWED", "approvalStatus": "DISAPPROVED", "policyTopicEntries": [
                    {"topic": topic, "type": "PROHIBITED"}]},
                "in_review": {"reviewStatus": "REVIEW_IN_PROGRESS", "approvalStatus": "UNKNOWN"}}[state]

    def restate(self, day: date, factor: float = 1.25, *, ad_id: str | None = None) -> None:
        """Google revises a past day: its figures (for one ad, or all) are multiplied by `factor`."""
        with self._lock:
            self.restated[(ad_id or "*", day)] = factor

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
        internal = KINDS[kind]
        with self._lock:
            return [o for o in self.objects.values() if o["_kind"] == internal and o.get("status") != "REMOVED"
                    and (account_id is None or o["_customer"] == account_id)]

    def mutations(self) -> list[Seen]:
        return [s for s in self.requests if s.path.endswith(":mutate")]

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def _access_token(self, refresh: str | None, ttl: float = ACCESS_TTL) -> str:
        token = "ya29." + secrets.token_urlsafe(48)
        grant = self.grants.get(refresh) if refresh else None
        self.access[token] = Access(refresh, self.now() + ttl, set(grant.customers) if grant else set())
        return token

    # --- the edge ---------------------------------------------------------------------------

    async def _serve(self, request: Request) -> Response:
        path = request.url.path.strip("/")
        raw = await request.body()
        if path == "o/oauth2/v2/auth":
            return self._consent(dict(request.query_params))
        if path == "token":
            return self._token(dict(parse_qsl(raw.decode(), keep_blank_values=True)))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with self._lock:
            self.requests.append(Seen(request.method, "/" + path, body, {k.lower(): v for k, v in request.headers.items()}))
        version, _, rest = path.partition("/")
        if version not in self.versions:
            return self._json({"error": {"code": 404, "message": f"Version {version} not found.",
                                         "status": "NOT_FOUND"}}, 404)
        when = self._armed(rest.endswith(":mutate"))
        if when == "before":
            self.stalled.set()
            if not await hold(request, until=self._released) or await request.is_disconnected():
                return Response(status_code=499)  # the client was killed: nothing was done
        with self._lock:
            response = self._faulted(rest)
            if response is None:
                try:
                    response = self._json(self._api(request, version, rest, body), 200)
                except Refused as refused:
                    response = self._json(refused.body, refused.status)
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

    def _faulted(self, path: str) -> Response | None:
        for fault in self._faults:
            if fault.path is None or fault.path in path:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                if isinstance(fault.body, str):
                    return Response(fault.body, status_code=fault.status, media_type="text/html")
                return self._json(fault.body, fault.status)
        return None

    @staticmethod
    def _json(body: Any, status: int) -> Response:
        try:   # orjson: a report answer is tens of thousands of rows
            content = orjson.dumps(body)
        except TypeError:
            content = json.dumps(body, ensure_ascii=False).encode()
        return Response(content, status_code=status, media_type="application/json")

    # --- OAuth ------------------------------------------------------------------------------

    def _consent(self, params: dict[str, str]) -> Response:
        if params.get("client_id") != self.client_id or not params.get("redirect_uri"):
            return Response("Error 401: invalid_client", status_code=401, media_type="text/html")
        if params.get("response_type") != "code" or SCOPE not in params.get("scope", "").split():
            return Response("Error 400: invalid_request", status_code=400, media_type="text/html")
        code = "4/" + secrets.token_urlsafe(30)
        with self._lock:
            grant = Grant({c.customer_id for c in self.customers.values() if c.manager_id is None},
                          offline=params.get("access_type") == "offline")
            self.codes[code] = (params["redirect_uri"], grant)
        separator = "&" if "?" in params["redirect_uri"] else "?"
        query = urlencode({"code": code, "state": params.get("state", ""), "scope": SCOPE})
        return Response(status_code=302, headers={"Location": params["redirect_uri"] + separator + query})

    def _token(self, form: dict[str, str]) -> Response:
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return self._json({"error": "invalid_client", "error_description": "The OAuth client was not found."}, 401)
        with self._lock:
            if form.get("grant_type") == "authorization_code":
                redirect, grant = self.codes.pop(form.get("code", ""), (None, None))
                if grant is None or redirect != form.get("redirect_uri"):
                    return self._json({"error": "invalid_grant", "error_description": "Malformed auth code."}, 400)
                refresh = "1//" + secrets.token_urlsafe(40)
                self.grants[refresh] = grant
                answer = {"access_token": self._access_token(refresh), "expires_in": ACCESS_TTL, "scope": SCOPE,
                          "token_type": "Bearer"}
                if grant.offline:
                    answer["refresh_token"] = refresh
                return self._json(answer, 200)
            if form.get("grant_type") == "refresh_token":
                grant = self.grants.get(form.get("refresh_token", ""))
                if grant is None or grant.revoked:
                    return self._json({"error": "invalid_grant", "error_description": "Token has been expired or "
                                       "revoked."}, 400)
                return self._json({"access_token": self._access_token(form["refresh_token"]), "expires_in": ACCESS_TTL,
                                   "scope": SCOPE, "token_type": "Bearer"}, 200)
        return self._json({"error": "unsupported_grant_type", "error_description": "Invalid grant_type."}, 400)

    # --- the API ----------------------------------------------------------------------------

    def _authorize(self, request: Request, version: str) -> Access:
        header = request.headers.get("authorization", "")
        access = self.access.get(header[7:].strip()) if header.lower().startswith("bearer ") else None
        if access is None:
            raise Refused(401, {"error": {"code": 401, "message": "Request had invalid authentication credentials. "
                                          "Expected OAuth 2 access token, login cookie or other valid authentication "
                                          "credential.", "status": "UNAUTHENTICATED"}})
        if access.revoked:
            raise failure(401, "UNAUTHENTICATED", [ads_error({"authenticationError": "OAUTH_TOKEN_REVOKED"},
                                                             "The OAuth token has been revoked.")], version)
        if access.expires_at < self.now():
            raise failure(401, "UNAUTHENTICATED", [ads_error({"authenticationError": "OAUTH_TOKEN_EXPIRED"},
                                                             "Authentication of the request failed: the OAuth token "
                                                             "has expired.")], version)
        return access

    def _customer(self, request: Request, access: Access, customer_id: str, version: str) -> Customer:
        customer = self.customers.get(customer_id)
        login = request.headers.get("login-customer-id")
        allowed = customer is not None and (customer_id in access.customers or (
            customer.manager_id is not None and login == customer.manager_id and login in access.customers))
        if customer is None or not allowed:
            note = (" Note: If you're accessing a client customer, the manager's customer id must be set in the "
                    "'login-customer-id' header.") if customer is not None and customer.manager_id else ""
            raise failure(403, "PERMISSION_DENIED", [ads_error({"authorizationError": "USER_PERMISSION_DENIED"},
                                                               "User doesn't have permission to access customer." +
                                                               note)], version, "The caller does not have permission")
        if login and login not in access.customers:
            raise failure(403, "PERMISSION_DENIED", [ads_error({"authorizationError": "USER_PERMISSION_DENIED"},
                                                               "The login customer is not accessible.")], version)
        return customer

    def _api(self, request: Request, version: str, rest: str, body: Any) -> Any:
        access = self._authorize(request, version)
        if rest == "customers:listAccessibleCustomers":
            return {"resourceNames": [f"customers/{c}" for c in sorted(access.customers)]}
        match = re.fullmatch(r"customers/(\d+)/(\w+):(\w+)", rest)
        if match is None:
            raise Refused(404, {"error": {"code": 404, "message": f"Unknown method {rest}.", "status": "NOT_FOUND"}})
        customer = self._customer(request, access, match.group(1), version)
        service, method = match.group(2), match.group(3)
        body = body if isinstance(body, dict) else {}
        if service == "googleAds" and method == "search":
            return self._search(customer, body)
        if service == "googleAds" and method == "searchStream":
            rows, fields = self._query(customer, str(body.get("query", "")))
            batches = [rows[i:i + self.page_size] for i in range(0, len(rows), self.page_size)] or [[]]
            mask = ",".join(".".join(camel(p) for p in f.split(".")) for f in fields)
            return [({"results": batch} if batch else {}) | {"fieldMask": mask, "requestId": secrets.token_hex(8)}
                    for batch in batches]
        if method != "mutate":
            raise Refused(404, {"error": {"code": 404, "message": f"Unknown method {rest}.", "status": "NOT_FOUND"}})
        if body.get("partialFailure"):
            raise invalid({"requestError": "UNSUPPORTED"}, "This fake does not do partial failure.", "partial_failure")
        if service == "googleAds":
            return self._mutate_together(customer, body.get("mutateOperations") or [])
        if service not in SERVICES:
            raise Refused(404, {"error": {"code": 404, "message": f"Unknown service {service}.", "status": "NOT_FOUND"}})
        work = dict(self.objects)
        names = [self._operation(work, customer, service, op, [("operations", i)], {})
                 for i, op in enumerate(body.get("operations") or [])]
        self.objects = work
        return {"results": [{"resourceName": n} for n in names]}

    def _mutate_together(self, customer: Customer, operations: list[dict[str, Any]]) -> Any:
        work, temporary = dict(self.objects), {}
        responses = []
        for i, wrapped in enumerate(operations):
            kind, operation = next(iter(wrapped.items()))
            if kind not in OPERATIONS:
                raise invalid({"requestError": "UNKNOWN"}, f"Unknown operation {kind}.", at=[("mutate_operations", i)])
            service, result = OPERATIONS[kind]
            name = self._operation(work, customer, service, operation,
                                   [("mutate_operations", i), (snake(kind), None)], temporary)
            responses.append({result: {"resourceName": name}})
        self.objects = work
        return {"mutateOperationResponses": responses}

    # --- GAQL -------------------------------------------------------------------------------

    def _search(self, customer: Customer, body: dict[str, Any]) -> Any:
        query = str(body.get("query", ""))
        token = body.get("pageToken")
        if token:
            page = self.pages.get(str(token))
            if page is None or page.query != query:
                raise invalid({"requestError": "INVALID_PAGE_TOKEN"}, "Page token is invalid.", "page_token")
            rows, fields, offset = page.rows, page.fields, page.offset
        else:
            rows, fields = self._query(customer, query)
            offset = 0
        answer: dict[str, Any] = {"results": rows[offset:offset + self.page_size]} if rows[offset:] else {}
        if offset + self.page_size < len(rows):
            next_token = secrets.token_urlsafe(24)
            self.pages[next_token] = Page(query, rows, offset + self.page_size, fields)
            answer["nextPageToken"] = next_token
        answer["fieldMask"] = ",".join(".".join(camel(p) for p in f.split(".")) for f in fields)
        return answer

    def _query(self, customer: Customer, text: str) -> tuple[list[dict[str, Any]], list[str]]:
        query = parse(text)
        allowed = {query.resource, "metrics", "segments", "customer", *RELATED.get(query.resource, [])}
        for path in query.fields + [c[0] for c in query.conditions]:
            if path.split(".", 1)[0] not in allowed:
                raise query_error("PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE" if path in query.fields else
                                  "PROHIBITED_RESOURCE_TYPE_IN_WHERE_CLAUSE",
                                  f"Error in query: '{path}' cannot be used with '{query.resource}'.")
        segmented = [f for f in query.fields if f.startswith("segments.")]
        dates = [c for c in query.conditions if c[0] == "segments.date"]
        if segmented and not dates:
            raise query_error("EXPECTED_FILTERS_ON_DATE_RANGE", "Error in query: a finite date range must be "
                              "specified when segments.date is selected.")
        plain = [c for c in query.conditions if not c[0].startswith(("segments.", "metrics."))]
        contexts = [c for c in self._contexts(customer, query.resource)
                    if all(_compare(lookup(c, name), op, value) for name, op, value in plain)]
        if segmented or any(f.startswith("metrics.") for f in query.fields):
            contexts = self._with_metrics(customer, query, contexts, dates, "segments.hour" in query.fields)
        matched = [c for c in contexts if all(_compare(lookup(c, name), op, value)
                                              for name, op, value in query.conditions if (name, op, value) not in plain)]
        if query.limit is not None:
            matched = matched[:query.limit]
        return [render(c, query.fields) for c in matched], query.fields

    def _contexts(self, customer: Customer, resource: str) -> list[dict[str, Any]]:
        me = self._customer_entity(customer)
        if resource == "customer":
            return [{"customer": me}]
        if resource == "customer_client":
            clients = [customer] + [c for c in self.customers.values() if c.manager_id == customer.customer_id]
            return [{"customer": me, "customer_client": self._customer_entity(c, "customerClients", customer) | {
                "level": 0 if c is customer else 1}} for c in clients] if customer.manager else [
                {"customer": me, "customer_client": self._customer_entity(customer, "customerClients", customer)}]
        if resource == "geo_target_constant":
            return [{"customer": me, resource: {"resourceName": f"geoTargetConstants/{i}", "id": i, "name": name,
                                                "countryCode": country, "targetType": kind, "status": "ENABLED",
                                                "canonicalName": name}} for i, name, country, kind in GEO]
        if resource == "language_constant":
            return [{"customer": me, resource: {"resourceName": f"languageConstants/{i}", "id": i, "code": code,
                                                "name": name, "targetable": True}} for i, code, name in LANGUAGES]
        if resource == "currency_constant":
            return [{"customer": me, resource: {"resourceName": f"currencyConstants/{code}", "code": code,
                                                "billableUnitMicros": BILLABLE_UNIT,
                                                "demandGenInfo": {"minimumBudgetPerDayMicros": minimum}}}
                    for code, minimum in DEMAND_GEN_MINIMUM.items()]
        found = []
        for obj in self.objects.values():
            if obj["_kind"] != resource or obj["_customer"] != customer.customer_id:
                continue
            context = {"customer": me, resource: obj}
            self._relate(context, obj)
            found.append(context)
        return found

    def _relate(self, context: dict[str, Any], obj: dict[str, Any]) -> None:
        if obj.get("adGroup"):
            context["ad_group"] = self.objects.get(obj["adGroup"], {})
        campaign = obj.get("campaign") or context.get("ad_group", {}).get("campaign")
        if campaign:
            context["campaign"] = self.objects.get(campaign, {})
        budget = obj.get("campaignBudget") or context.get("campaign", {}).get("campaignBudget")
        if budget:
            context["campaign_budget"] = self.objects.get(budget, {})

    def _customer_entity(self, customer: Customer, collection: str = "customers",
                         parent: Customer | None = None) -> dict[str, Any]:
        owner = parent.customer_id if parent else customer.customer_id
        name = (f"customers/{owner}/customerClients/{customer.customer_id}" if collection == "customerClients"
                else f"customers/{customer.customer_id}")
        return {"resourceName": name, "id": int(customer.customer_id), "descriptiveName": customer.name,
                "currencyCode": customer.currency, "timeZone": customer.time_zone, "manager": customer.manager,
                "status": customer.status, "clientCustomer": f"customers/{customer.customer_id}"}

    # --- performance ------------------------------------------------------------------------

    def _with_metrics(self, customer: Customer, query: Query, contexts: list[dict[str, Any]],
                      dates: list[tuple[str, str, Any]], hourly: bool) -> list[dict[str, Any]]:
        days = self._days(dates, customer)
        zone = ZoneInfo(customer.time_zone)
        now = datetime.fromtimestamp(self.now(), zone)
        ads = [o for o in self.objects.values() if o["_kind"] == "ad_group_ad" and o["_customer"] == customer.customer_id]
        # the customer's ads by their ad group's and their campaign's resource name (each list in the order of
        # `ads`, so totals add up in the same order as a scan would)
        under: dict[Any, list[dict[str, Any]]] = {}
        for ad in ads:
            under.setdefault(ad["adGroup"], []).append(ad)
            under.setdefault(self.objects.get(ad["adGroup"], {}).get("campaign"), []).append(ad)
        itself = {id(ad) for ad in ads}
        found = []
        for context in contexts:
            entity = context[query.resource]
            mine = [entity] if id(entity) in itself else under.get(entity.get("resourceName"), [])
            for day in days:
                for hour in (range(24) if hourly else [None]):
                    totals = [0, 0, 0, 0.0, 0.0]
                    for ad in mine:
                        for i, value in enumerate(self._figures(ad, day, hour, now)):
                            totals[i] += value
                    if totals[0] <= 0:
                        continue  # Google leaves out the days (and hours) without impressions
                    segments: dict[str, Any] = {"date": day.isoformat()}
                    if hour is not None:
                        segments["hour"] = hour
                    metrics = dict(zip((camel(m) for m in METRICS), totals, strict=True))
                    metrics["conversions"] = round(metrics["conversions"], 6)
                    metrics["conversionsValue"] = round(metrics["conversionsValue"], 6)
                    found.append(context | {"segments": segments, "metrics": metrics})
        return found

    def _days(self, dates: list[tuple[str, str, Any]], customer: Customer) -> list[date]:
        low, high = date(2000, 1, 1), datetime.fromtimestamp(self.now(), ZoneInfo(customer.time_zone)).date()
        for _, op, value in dates:
            if op == "BETWEEN":
                low, high = max(low, date.fromisoformat(value[0])), min(high, date.fromisoformat(value[1]))
            elif op == "=":
                low = high = date.fromisoformat(value)
            elif op in (">=", ">"):
                low = max(low, date.fromisoformat(value) + timedelta(days=op == ">"))
            elif op in ("<=", "<"):
                high = min(high, date.fromisoformat(value) - timedelta(days=op == "<"))
        if (high - low).days > 400:
            low = high - timedelta(days=400)
        return [low + timedelta(days=n) for n in range((high - low).days + 1)]

    def _figures(self, ad: dict[str, Any], day: date, hour: int | None, now: datetime) -> tuple[int, int, int, float, float]:
        """(impressions, clicks, cost micros, conversions, conversions value) of one ad on one day
        (or in one hour of it), as far as the clock has come."""
        start = ad["_created"].astimezone(now.tzinfo).date() - timedelta(days=self.history_days)
        if day < start or day > now.date():
            return 0, 0, 0, 0.0, 0.0
        factor = self.restated.get((ad["resourceName"].rsplit("/", 1)[-1], day), self.restated.get(("*", day), 1.0))
        upto = now.hour + 1 if day == now.date() else 24
        key = (ad["resourceName"], day, hour, factor, upto)   # everything the figures depend on
        known = self._figured.get(key)
        if known is None:
            if len(self._figured) > 1_000_000:
                self._figured.clear()
            known = self._figured[key] = self._figures_of(ad["resourceName"], day, hour, factor, upto)
        return known

    @staticmethod
    def _figures_of(name: str, day: date, hour: int | None, factor: float,
                    upto: int) -> tuple[int, int, int, float, float]:
        digest = hashlib.sha256(f"{name}/{day}".encode()).digest()
        full = (400 + digest[0] * 8 + digest[1]) * factor

        def share(total: float, end: int) -> float:
            return total * min(end, upto) / 24

        def part(total: float, integer: bool = True) -> Any:
            if hour is None:
                value = share(total, 24)
            elif hour >= upto:
                return 0 if integer else 0.0
            else:
                return (int(share(total, hour + 1)) - int(share(total, hour))) if integer else (
                    round(share(total, hour + 1) - share(total, hour), 6))
            return int(value) if integer else round(value, 6)

        clicks_total = full * (1 + digest[2] % 4) / 100
        cpc = 300_000 + (digest[3] % 100) * BILLABLE_UNIT
        conversions_total = clicks_total * (digest[4] % 10) / 100
        impressions, clicks = part(full), part(clicks_total)
        conversions = part(conversions_total, integer=False)
        return impressions, clicks, clicks * cpc, conversions, round(conversions * 149.0, 6)

    # --- mutates ----------------------------------------------------------------------------

    def _operation(self, work: dict[str, dict[str, Any]], customer: Customer, service: str, operation: dict[str, Any],
                   at: list[tuple[str, int | None]], temporary: dict[str, str]) -> str:
        kind, collection = SERVICES[service]
        if "create" in operation:
            values = self._resolve(copy.deepcopy(operation["create"]), temporary)
            wanted = values.pop("resourceName", None)
            name = self._create(work, customer, kind, collection, values, at + [("create", None)])
            if wanted and re.search(r"/-\d+$", wanted):
                temporary[wanted] = name
            return name
        if "update" in operation:
            values = self._resolve(copy.deepcopy(operation["update"]), temporary)
            return self._update(work, customer, kind, values, str(operation.get("updateMask", "")),
                                at + [("update", None)])
        if "remove" in operation:
            name = self._resolve(operation["remove"], temporary)
            target = self._owned(work, customer, name, kind, at + [("remove", None)])
            work[name] = target | {"status": "REMOVED"}
            return name
        raise invalid({"mutateError": "INVALID_OPERATION"}, "An operation needs create, update or remove.", at=at)

    def _resolve(self, values: Any, temporary: dict[str, str]) -> Any:
        if isinstance(values, dict):
            return {k: self._resolve(v, temporary) for k, v in values.items()}
        if isinstance(values, list):
            return [self._resolve(v, temporary) for v in values]
        return temporary.get(values, values) if isinstance(values, str) else values

    def _owned(self, work: dict[str, dict[str, Any]], customer: Customer, name: Any, kind: str,
               at: list[tuple[str, int | None]], field_name: str = "resource_name") -> dict[str, Any]:
        obj = work.get(str(name))
        if obj is None or obj["_kind"] != kind or obj["_customer"] != customer.customer_id or obj.get("status") == "REMOVED":
            raise invalid({"mutateError": "RESOURCE_NOT_FOUND"}, "The resource was not found.", field_name, at=at,
                          trigger=name)
        return obj

    def _create(self, work: dict[str, dict[str, Any]], customer: Customer, kind: str, collection: str,
                values: dict[str, Any], at: list[tuple[str, int | None]]) -> str:
        check = getattr(self, f"_check_{kind}")
        extra = check(work, customer, values, at)
        if isinstance(extra, str):
            return extra  # an existing object answers (an image with the same bytes)
        object_id = str(self._next_id()) if kind != "ad_group_ad" else extra.pop("_id")
        name = f"customers/{customer.customer_id}/{collection}/{object_id}"
        numeric = object_id if "~" not in object_id else object_id.split("~")[1]
        work[name] = {"_kind": kind, "_customer": customer.customer_id, "_created": datetime.fromtimestamp(
            self.now(), UTC), "resourceName": name, "id": int(numeric)} | values | extra
        return name

    def _update(self, work: dict[str, dict[str, Any]], customer: Customer, kind: str, values: dict[str, Any],
                mask: str, at: list[tuple[str, int | None]]) -> str:
        name = values.get("resourceName")
        current = self._owned(work, customer, name, kind, at)
        fields = [f.strip() for f in mask.split(",") if f.strip()]
        if not fields:
            raise invalid({"fieldMaskError": "FIELD_MASK_MISSING"}, "The field mask is missing.", "update_mask", at=at)
        changed = copy.deepcopy(current)
        for field_name in fields:
            if field_name not in MUTABLE[kind]:
                raise invalid({"fieldMaskError": "FIELD_NOT_FOUND"}, f"The field mask names {field_name}, which "
                              "cannot be updated.", "update_mask", at=at, trigger=field_name)
            if field_name in values:
                changed[field_name] = values[field_name]
            else:
                changed.pop(field_name, None)
        if kind == "campaign_budget":
            changed["amountMicros"] = self._micros(changed.get("amountMicros"), at + [("amount_micros", None)])
            self._budget_minimum(work, customer, changed, at)
        if kind == "campaign":
            self._dates(changed, at)
        if kind in ("campaign", "ad_group", "ad_group_ad") and changed.get("status") not in (
                "ENABLED", "PAUSED", "REMOVED"):
            raise invalid({"fieldError": "INVALID_VALUE"}, "Invalid status.", "status", at=at,
                          trigger=changed.get("status"))
        work[str(name)] = changed
        return str(name)

    def _micros(self, value: Any, at: list[tuple[str, int | None]]) -> int:
        try:
            micros = int(str(value))
        except ValueError:
            raise invalid({"fieldError": "REQUIRED"}, "The budget amount is required.", at=at) from None
        if micros <= 0:
            raise invalid({"campaignBudgetError": "MONEY_AMOUNT_TOO_SMALL"}, "The budget is too small.", at=at)
        if micros % BILLABLE_UNIT:
            raise invalid({"campaignBudgetError": "NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT"}, "The budget must be a "
                          "multiple of the currency's minimum unit.", at=at, trigger=value)
        return micros

    def _budget_minimum(self, work: dict[str, dict[str, Any]], customer: Customer, budget: dict[str, Any],
                        at: list[tuple[str, int | None]]) -> None:
        demand_gen = any(o["_kind"] == "campaign" and o.get("campaignBudget") == budget["resourceName"] and
                         o.get("advertisingChannelType") == "DEMAND_GEN" for o in work.values())
        minimum = DEMAND_GEN_MINIMUM.get(customer.currency, 1_000_000)
        if demand_gen and budget["amountMicros"] < minimum:
            raise invalid({"campaignBudgetError": "BUDGET_BELOW_PER_DAY_MINIMUM"}, "The budget is below the minimum "
                          "per day for this campaign type.", "amount_micros", at=at, details={
                              "budgetPerDayMinimumErrorDetails": {
                                  "currencyCode": customer.currency, "budgetPerDayMinimumMicros": str(minimum),
                                  "minimumBudgetAmountMicros": str(minimum), "budgetAmountMicros": str(
                                      budget["amountMicros"])}})

    def _dates(self, campaign: dict[str, Any], at: list[tuple[str, int | None]]) -> None:
        for key, snake_name, clock in (("startDateTime", "start_date_time", "00:00:00"),
                                       ("endDateTime", "end_date_time", "23:59:59")):
            value = campaign.get(key)
            if value is None:
                continue
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", str(value)):
                raise invalid({"dateError": "INVALID_STRING_DATE_TIME_SECONDS"}, "The string date time's format "
                              "should be yyyy-mm-dd hh:mm:ss.", snake_name, at=at, trigger=value)
            if campaign.get("advertisingChannelType") == "DEMAND_GEN" and not str(value).endswith(clock):
                reason = "START_OF_A_DAY" if key == "startDateTime" else "END_OF_A_DAY"
                raise invalid({"dateError": f"DATE_RANGE_ERROR_{key[:-8].upper()}_TIME_MUST_BE_THE_{reason}"},
                              "This campaign type takes whole days.", snake_name, at=at, trigger=value)
        if campaign.get("startDateTime") and campaign.get("endDateTime") and \
                campaign["endDateTime"] < campaign["startDateTime"]:
            raise invalid({"dateError": "DATE_RANGE_MINIMUM_DATE_LATER_THAN_MAXIMUM_DATE"}, "The campaign ends before "
                          "it starts.", "end_date_time", at=at)

    # the checks of each create: the values to add, or an existing object's name

    def _unique(self, work: dict[str, dict[str, Any]], customer: Customer, kind: str, name: Any,
                code: dict[str, str], at: list[tuple[str, int | None]], scope: tuple[str, Any] | None = None) -> None:
        if not name:
            raise invalid({"fieldError": "REQUIRED"}, "The required field was not present.", "name", at=at)
        for obj in work.values():
            if obj["_kind"] == kind and obj["_customer"] == customer.customer_id and obj.get("name") == name and \
                    obj.get("status") != "REMOVED" and (scope is None or obj.get(scope[0]) == scope[1]):
                raise invalid(code, "A resource with this name already exists.", "name", at=at, trigger=name)

    def _check_campaign_budget(self, work: dict[str, dict[str, Any]], customer: Customer, values: dict[str, Any],
                               at: list[tuple[str, int | None]]) -> dict[str, Any]:
        self._unique(work, customer, "campaign_budget", values.get("name"), {"campaignBudgetError": "DUPLICATE_NAME"},
                     at)
        values["amountMicros"] = self._micros(values.get("amountMicros"), at + [("amount_micros", None)])
        if values.setdefault("deliveryMethod", "STANDARD") not in ("STANDARD", "ACCELERATED"):
            raise invalid({"fieldError": "INVALID_VALUE"}, "Invalid delivery method.", "delivery_method", at=at)
        return {"explicitlyShared": values.get("explicitlyShared", True), "status": "ENABLED", "period": "DAILY"}

    def _check_campaign(self, work: dict[str, dict[str, Any]], customer: Customer, values: dict[str, Any],
                        at: list[tuple[str, int | None]]) -> dict[str, Any]:
        self._unique(work, customer, "campaign", values.get("name"), {"campaignError": "DUPLICATE_CAMPAIGN_NAME"}, at)
        channel = values.get("advertisingChannelType")
        if channel not in CHANNELS:
            raise invalid({"fieldError": "REQUIRED"} if channel is None else {"fieldError": "INVALID_VALUE"},
                          "The advertising channel type is required.", "advertising_channel_type", at=at)
        if values.get("containsEuPoliticalAdvertising") not in ("CONTAINS_EU_POLITICAL_ADVERTISING",
                                                                "DOES_NOT_CONTAIN_EU_POLITICAL_ADVERTISING"):
            raise invalid({"fieldError": "REQUIRED"}, "The required field was not present.",
                          "contains_eu_political_advertising", at=at)
        budget = self._owned(work, customer, values.get("campaignBudget"), "campaign_budget", at, "campaign_budget")
        biddings = [b for b in BIDDINGS if b in values]
        if len(biddings) != 1 or (channel == "DEMAND_GEN" and biddings[0] not in DEMAND_GEN_BIDDINGS):
            raise invalid({"biddingError": "BIDDING_STRATEGY_NOT_AVAILABLE_FOR_ACCOUNT_TYPE"} if biddings else
                          {"fieldError": "REQUIRED"}, "Choose one bidding strategy this campaign type supports.",
                          "campaign_bidding_strategy", at=at)
        if channel == "DEMAND_GEN" and budget.get("explicitlyShared"):
            raise invalid({"campaignBudgetError": "CANNOT_USE_SHARED_CAMPAIGN_BUDGET_WITH_THIS_CAMPAIGN_TYPE"},
                          "A Demand Gen campaign cannot use a shared budget.", "campaign_budget", at=at)
        values.setdefault("status", "ENABLED")
        self._dates(values, at)
        if channel == "DEMAND_GEN":
            self._budget_minimum(work | {"_new": {"_kind": "campaign", "campaignBudget": budget["resourceName"],
                                                  "advertisingChannelType": channel}}, customer, budget,
                                 at[:-1] + [("campaign_budget", None)])
        types = {"maximizeConversions": "MAXIMIZE_CONVERSIONS", "maximizeConversionValue": "MAXIMIZE_CONVERSION_VALUE",
                 "targetSpend": "TARGET_SPEND", "targetCpa": "TARGET_CPA", "targetRoas": "TARGET_ROAS"}
        return {"biddingStrategyType": types.get(biddings[0], biddings[0].upper()), "servingStatus": "SERVING"}

    def _check_campaign_criterion(self, work: dict[str, dict[str, Any]], customer: Customer, values: dict[str, Any],
                                  at: list[tuple[str, int | None]]) -> dict[str, Any]:
        self._owned(work, customer, values.get("campaign"), "campaign", at, "campaign")
        if "location" in values:
            place = str(values["location"].get("geoTargetConstant", ""))
            if place not in {f"geoTargetConstants/{g[0]}" for g in GEO}:
                raise invalid({"criterionError": "INVALID_GEO_TARGET_CONSTANT"}, "Unknown geo target constant.",
                              "location", "geo_target_constant", at=at, trigger=place)
            return {"type": "LOCATION"}
        if "language" in values:
            language = str(values["language"].get("languageConstant", ""))
            if language not in {f"languageConstants/{lang[0]}" for lang in LANGUAGES}:
                raise invalid({"criterionError": "INVALID_LANGUAGE_CONSTANT"}, "Unknown language constant.",
                              "language", "language_constant", at=at, trigger=language)
            return {"type": "LANGUAGE"}
        raise invalid({"criterionError": "CRITERION_TYPE_NOT_SUPPORTED"}, "Unsupported criterion.", at=at)

    def _check_ad_group(self, work: dict[str, dict[str, Any]], customer: Customer, values: dict[str, Any],
                        at: list[tuple[str, int | None]]) -> dict[str, Any]:
        campaign = self._owned(work, customer, values.get("campaign"), "campaign", at, "campaign")
        self._unique(work, customer, "ad_group", values.get("name"), {"adGroupError": "DUPLICATE_ADGROUP_NAME"}, at,
                     ("campaign", campaign["resourceName"]))
        if campaign.get("advertisingChannelType") == "DEMAND_GEN" and values.get("type"):
            raise invalid({"adGroupError": "AD_GROUP_TYPE_NOT_VALID_FOR_ADVERTISING_CHANNEL_TYPE"}, "A Demand Gen ad "
                          "group has no type.", "type", at=at)
        values.setdefault("status", "ENABLED")
        return {}

    def _check_ad_group_criterion(self, work: dict[str, dict[str, Any]], customer: Customer, values: dict[str, Any],
                                  at: list[tuple[str, int | None]]) -> dict[str, Any]:
        self._owned(work, customer, values.get("adGroup"), "ad_group", at, "ad_group")
        if "ageRange" in values and values["ageRange"].get("type") in AGE_TYPES:
            return {"type": "AGE_RANGE"}
        if "gender" in values and values["gender"].get("type") in ("MALE", "FEMALE", "UNDETERMINED"):
            return {"type": "GENDER"}
        raise invalid({"criterionError": "CRITERION_TYPE_NOT_SUPPORTED"}, "Unsupported criterion.", at=at)

    def _check_asset(self, work: dict[str, dict[str, Any]], customer: Customer, values: dict[str, Any],
                     at: list[tuple[str, int | None]]) -> dict[str, Any] | str:
        if values.get("type") != "IMAGE" or "imageAsset" not in values:
            raise invalid({"assetError": "ASSET_TYPE_NOT_SUPPORTED"}, "Only image assets here.", "type", at=at)
        try:
            data = base64.b64decode(str(values["imageAsset"].get("data", "")), validate=True)
        except ValueError:
            raise invalid({"imageError": "INVALID_IMAGE"}, "The image is not valid base64.", "image_asset", "data",
                          at=at) from None
        size = image_size(data)
        if size is None:
            raise invalid({"imageError": "INVALID_IMAGE"}, "The image could not be read.", "image_asset", "data", at=at)
        digest = hashlib.sha256(data).hexdigest()
        for name, obj in work.items():
            if obj["_kind"] == "asset" and obj["_customer"] == customer.customer_id and obj.get("_sha") == digest:
                return name  # same bytes: Google keeps the first asset and drops the new name
        width, height, mime = size
        values["imageAsset"] = {"fileSize": len(data), "mimeType": mime, "fullSize": {
            "widthPixels": width, "heightPixels": height, "url": f"https://tpc.googlesyndication.com/simgad/{digest[:16]}"}}
        return {"_sha": digest}

    def _check_ad_group_ad(self, work: dict[str, dict[str, Any]], customer: Customer, values: dict[str, Any],
                           at: list[tuple[str, int | None]]) -> dict[str, Any]:
        ad_group = self._owned(work, customer, values.get("adGroup"), "ad_group", at, "ad_group")
        ad = values.get("ad") or {}
        if not ad.get("finalUrls"):
            raise invalid({"fieldError": "REQUIRED"}, "The final URL is required.", "ad", "final_urls", at=at)
        info = ad.get("demandGenMultiAssetAd")
        if not isinstance(info, dict):
            raise invalid({"adError": "AD_TYPE_NOT_SUPPORTED"}, "This fake takes Demand Gen multi-asset ads.", "ad",
                          at=at)
        where = at + [("ad", None), ("demand_gen_multi_asset_ad", None)]
        for key, limit, lowest in (("headlines", 30, 1), ("descriptions", 90, 1)):
            texts = [t.get("text", "") for t in info.get(key) or []]
            if not lowest <= len(texts) <= 5:
                raise invalid({"adError": f"TOO_{'FEW' if len(texts) < lowest else 'MANY'}_{key.upper()}"},
                              f"Between 1 and 5 {key}.", snake(key), at=where)
            for i, text in enumerate(texts):
                if not text.strip():
                    raise invalid({"stringLengthError": "EMPTY"}, "The text is empty.", at=where + [(snake(key), i),
                                                                                                ("text", None)])
                if len(text) > limit:
                    raise invalid({"stringLengthError": "TOO_LONG"}, "Too long.", at=where + [(snake(key), i),
                                                                                          ("text", None)], trigger=text)
                for phrase, topic in POLICY.items():
                    if phrase in text.lower():
                        raise invalid({"policyFindingError": "POLICY_FINDING"}, "The resource has been disapproved "
                                      "since the policy summary includes policy topics of type PROHIBITED.",
                                      at=where + [(snake(key), i), ("text", None)], details={"policyFindingDetails": {
                                          "policyTopicEntries": [{"topic": topic, "type": "PROHIBITED"}]}})
        business = str(info.get("businessName") or "")
        if not business:
            raise invalid({"fieldError": "REQUIRED"}, "The business name is required.", "business_name", at=where)
        if len(business) > 25:
            raise invalid({"stringLengthError": "TOO_LONG"}, "Too long.", "business_name", at=where, trigger=business)
        if not any(info.get(k) for k in ("marketingImages", "squareMarketingImages")):
            raise invalid({"adError": "MISSING_MARKETING_IMAGE"}, "A marketing or square marketing image is required.",
                          "marketing_images", at=where)
        for key, (ratio, smallest) in SHAPES.items():
            for i, link in enumerate(info.get(key) or []):
                asset = self._owned(work, customer, link.get("asset"), "asset", where + [(snake(key), i)], "asset")
                full = asset["imageAsset"]["fullSize"]
                width, height = full["widthPixels"], full["heightPixels"]
                if abs(width / height - ratio) > ratio * 0.01 or min(width, height) < smallest * min(ratio, 1):
                    raise invalid({"imageError": "ASPECT_RATIO_NOT_ALLOWED" if abs(width / height - ratio) >
                                   ratio * 0.01 else "IMAGE_TOO_SMALL"}, f"The image ({width}x{height}) does not fit "
                                  f"{snake(key)}.", at=where + [(snake(key), i), ("asset", None)])
        if not info.get("logoImages"):
            raise invalid({"adError": "MISSING_LOGO_IMAGE"}, "A logo image is required.", "logo_images", at=where)
        ad_id = str(self._next_id())
        values.setdefault("status", "ENABLED")
        ad |= {"id": int(ad_id), "type": "DEMAND_GEN_MULTI_ASSET_AD",
               "resourceName": f"customers/{customer.customer_id}/ads/{ad_id}"}
        values["ad"] = ad
        review = ({"reviewStatus": "REVIEWED", "approvalStatus": "APPROVED"} if self.review_on_create == "approved"
                  else {"reviewStatus": "REVIEW_IN_PROGRESS", "approvalStatus": "UNKNOWN"})
        return {"_id": f"{ad_group['id']}~{ad_id}", "policySummary": review}


# --- the sandbox ------------------------------------------------------------------------------


def build_google_ads(plan: dict[str, Any], home: Any = None) -> tuple[FakeGoogleAds, dict[str, Any]]:
    """A sandbox Google Ads account (`adly-dev run --sandbox`): ads approved at once, 30 days of
    history per ad so the analytics a newcomer sees are not empty. Connected through the OAuth
    flow (the consent page approves at once)."""
    fake = FakeGoogleAds(plan.get("port"), client_id=plan.get("client_id", CLIENT_ID),
                         client_secret=plan.get("client_secret", CLIENT_SECRET), review_on_create="approved",
                         history_days=int(plan.get("history_days", 30)))
    seeded = fake.seed_account(customer_id=plan.get("customer_id"), name=plan.get("name", "Sandbox Oud House"),
                               currency=plan.get("currency", "SAR"), time_zone=plan.get("time_zone", "Asia/Riyadh"))
    about = {"connect": {"platform": "google_ads", "api_url": fake.api_url, "oauth_url": fake.oauth_url,
                         "token_url": fake.token_url, "customer_id": seeded.customer_id,
                         "conversion_action_id": seeded.conversion_action_id}, "flow": "oauth"}
    return fake, about


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake Google Ads API on 127.0.0.1 (tests/fakes/google_ads.py)")
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    fake, about = build_google_ads({"port": args.port})
    with fake:
        print(f"sandbox google ads on {fake.url}: {json.dumps(about['connect'])}", flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()


