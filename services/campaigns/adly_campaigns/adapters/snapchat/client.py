"""The Snap Marketing API connection the Snapchat adapters share: transport, auth, envelopes,
partial success, pacing, pagination, metrics.

What was verified with the `search` tool (December 2026), and where:

- developers.snap.com/api/marketing-api/Ads-API (authentication, campaigns, ad-squads,
  targeting, media, creatives, measurement, organizations pages): base
  `https://adsapi.snapchat.com/v1`, `Authorization: Bearer` ✔; OAuth authorize at
  `accounts.snapchat.com/login/oauth2/authorize` (client_id, redirect_uri, response_type=code,
  scope `snapchat-marketing-api`, state) and tokens at `/login/oauth2/access_token` ✔;
  collections take `{"<plural>": [{...}]}` and answer `{"request_status", "request_id",
  "<plural>": [{"sub_request_status", "<singular>": {...}}]}` ✔ (statuses appear as both
  "SUCCESS" and "success": compared case-insensitively); lists page with `paging.next_link`
  ✔, whose host in the docs' own example is not the API's (adsapisc.appspot.com), so only its
  query (the cursor) is kept and the request goes to the configured base; `GET
  /me/organizations?with_ad_accounts=true` ✔; campaign fields name (≤375 characters),
  ad_account_id, status ACTIVE/PAUSED, start_time (required), objective_v2_properties ✔;
  ad squad fields campaign_id, name (≤375), type SNAP_ADS, placement_v2 {config: AUTOMATIC},
  billing_event IMPRESSION, daily_budget_micro (at least 5,000,000 in every currency) or
  lifetime_budget_micro, optimization_goal (IMPRESSIONS, SWIPES, PIXEL_PURCHASE...),
  targeting ✔; multi-country targeting needs a demographics entry with languages ✔; media
  `POST /adaccounts/{id}/media` (name, type IMAGE/VIDEO) answers PENDING_UPLOAD, then
  `POST /media/{id}/upload` with a multipart `file` ✔; creatives: brand_name ≤32, headline
  ≤34, name ≤375, top_snap_media_id, type WEB_VIEW with web_view_properties {url},
  profile_properties {profile_id} required since February 2024 ✔; stats
  `GET /{campaigns|adsquads|ads}/{id}/stats` with granularity TOTAL/DAY/HOUR, the
  `timeseries_stats[].timeseries_stat.timeseries[]` shape, data refreshed about every 15
  minutes ✔; public profiles have id and display_name ✔.
- INTEGRATIONS.md §7 and developers.snap.com rate limits: a 429 without headers ✔.
- singer-io/tap-snapchat-ads (client.py, streams.py): the error body {request_status:
  ERROR, request_id, debug_message, display_message, error_code "E3003"} ~; the refresh
  grant form (grant_type, client_id, client_secret, refresh_token) ~; DAY stats read in
  30-day windows and HOUR in 7-day ones, with spend and conversion_purchases_value among
  the fields ~. A blog (sixfootfour.net) quotes Snap's refusal of a DAY query not starting
  at the account's local midnight ~. Several client libraries read
  `sub_request_error_reason` ("E2025: ...") on a failed sub-request ~ and
  `breakdown_stats.{ad,adsquad}` under a broken-down timeseries_stat ~.

UNVERIFIED, so the code does not depend on it or checks it twice:
- the 31-day cap of a DAY query (INTEGRATIONS.md) and HOUR's shorter one: windows are cut
  at `stats_days_per_query` and hourly reads ask one day;
- whether Snap rotates refresh tokens (the tap says it does not; the brief says it may):
  a refresh keeps whatever token comes back, else the one it spent;
- updates as `PUT` of the whole entity (with its id) on the collection it was created on:
  the entity is read first and written back whole;
- `objective_v2_properties.objective_v2_type`, ad squad `pixel_id` and `bid_strategy`
  AUTO_BID, demographics `gender` MALE/FEMALE: sent as INTEGRATIONS.md and third-party
  clients have them;
- `GET /organizations/{id}/public_profiles` listing an organization's public profiles:
  a refusal other than the token's or a permission's reads as "no profiles";
- whether a request whose every sub-request failed answers 200 or 400: both are read.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import orjson

from adly_campaigns.adapters.platform_metrics import PLATFORM_API_ERRORS
from adly_campaigns.adapters.snapchat.errors import classify, sub_request_error
from adly_campaigns.adapters.snapchat.settings import SnapchatSettings
from adly_campaigns.domain.ports import ErrorKind, PlatformError
from adly_events.contracts.common import AdPlatform
from adly_kit.outbound import MIB, NO_RETRY, Outbound, OutboundError, make_client

Files = dict[str, tuple[str, bytes, str]]
PACED_TOKENS = 1000   # tokens whose last call is remembered; an old one forgotten costs nothing


def ok(status: Any) -> bool:
    return str(status or "").upper() == "SUCCESS"


class SnapchatApi:
    """Calls never raise httpx errors: every failure leaves as a classified `PlatformError`,
    counted in `platform_api_errors_total`."""

    def __init__(self, settings: SnapchatSettings, http: httpx.AsyncClient | None = None, *,
                 clock: Callable[[], float] = time.monotonic, wall_clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.settings = settings
        self._owns = http is None
        client = http or make_client(timeout=settings.timeout, connect_timeout=min(5.0, settings.timeout))
        self._outbound = Outbound(client, max_bytes=16 * MIB, retry=NO_RETRY, name="snapchat")
        self.clock, self.wall_clock, self.sleep = clock, wall_clock, sleep
        self._buckets: dict[str, tuple[float, float]] = {}   # token -> (calls left, when)

    async def aclose(self) -> None:
        if self._owns:
            await self._outbound.aclose()

    def refuse(self, error: PlatformError) -> PlatformError:
        PLATFORM_API_ERRORS.labels(platform=AdPlatform.SNAPCHAT.value, error_type=error.kind.value).inc()
        return error

    # --- verbs ------------------------------------------------------------------------------

    async def get(self, path: str, token: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = await self._call("GET", path, token, params=params)
        return body

    async def write(self, method: str, path: str, token: str, plural: str, singular: str,
                    entity: dict[str, Any], what: str) -> dict[str, Any]:
        """Create (POST) or update (PUT) one entity; its answer, or the sub-request's refusal."""
        body = await self._call(method, path, token, json={plural: [entity]}, what=(plural, singular, what))
        return self.entities(body, plural, singular, what)[0]

    async def upload(self, path: str, token: str, files: Files) -> dict[str, Any]:
        body: dict[str, Any] = await self._call("POST", path, token, files=files)
        return body

    async def rows(self, path: str, token: str, plural: str, singular: str,
                   params: dict[str, Any] | None = None) -> AsyncIterator[dict[str, Any]]:
        """The entities of a collection, page after page (at most `max_pages`)."""
        query: dict[str, Any] = {"limit": self.settings.page_size} | (params or {})
        for _ in range(self.settings.max_pages):
            body = await self.get(path, token, query)
            for entity in self.entities(body, plural, singular, plural, strict=False):
                yield entity
            following = next_query(body)
            if following is None:
                return
            query = following

    def entities(self, body: Any, plural: str, singular: str, what: str, *, strict: bool = True
                 ) -> list[dict[str, Any]]:
        """The entities of an envelope; a failed sub-request is the refusal when `strict` (a
        write), else skipped (a list)."""
        found: list[dict[str, Any]] = []
        for entry in body.get(plural) or [] if isinstance(body, dict) else []:
            if not isinstance(entry, dict):
                continue
            if not ok(entry.get("sub_request_status")):
                if strict:
                    raise self.refuse(sub_request_error(entry, what))
                continue
            entity = entry.get(singular)
            if isinstance(entity, dict):
                found.append(entity)
        if strict and not found:
            raise self.refuse(PlatformError(ErrorKind.TRANSIENT, f"Snapchat's answer held no {what}; "
                                            "ADLY will look for it and try again."))
        return found

    # --- transport --------------------------------------------------------------------------

    async def token_grant(self, form: dict[str, str]) -> tuple[int, Any]:
        """The OAuth token endpoint's status and body (the link reads OAuth's own error shape)."""
        try:
            reply = await self._outbound.request("POST", self.settings.token_url, data=form, safe=False)
        except (OutboundError, httpx.HTTPError, httpx.InvalidURL) as error:
            raise self.refuse(PlatformError(ErrorKind.TRANSIENT, f"Snapchat's login could not be reached ({error}); "
                                            "ADLY will try again.")) from error
        return reply.status, _json(reply.body)

    async def _call(self, method: str, path: str, token: str, *, params: dict[str, Any] | None = None,
                    json: Any = None, files: Files | None = None, what: tuple[str, str, str] | None = None) -> Any:
        url = f"{self.settings.base}/{path.lstrip('/')}"
        headers = {"Authorization": f"Bearer {token}"}
        retries = self.settings.read_retries if method == "GET" else 0
        for attempt in range(retries + 1):
            await self._pace(token)
            try:
                reply = await self._outbound.request(method, url, params=params, json=json, files=files,
                                                     headers=headers, safe=False)
            except (OutboundError, httpx.HTTPError, httpx.InvalidURL) as error:
                raise self.refuse(PlatformError(ErrorKind.TRANSIENT, f"Snapchat could not be reached ({error}); "
                                                "ADLY will try again.")) from error
            body = _json(reply.body)
            if reply.status == 429 and attempt < retries:
                await self.sleep(self.settings.read_retry_wait * (attempt + 1))
                continue
            if reply.status >= 400 or (isinstance(body, dict) and str(body.get("request_status", "")).upper() == "ERROR"):
                if what is not None and (failed := _failed(body, what[0])) is not None:
                    raise self.refuse(sub_request_error(failed, what[2]))  # its reason says more than the status
                raise self.refuse(classify(reply.status, body, self.settings.throttle_seconds))
            if not isinstance(body, dict):
                raise self.refuse(PlatformError(ErrorKind.TRANSIENT, "Snapchat's answer could not be read; "
                                                "ADLY will try again."))
            return body
        raise AssertionError("unreachable")

    async def _pace(self, token: str) -> None:
        """Keep each token under Snap's average rate (a bucket of `burst` calls refilled at
        `requests_per_second`), so a long report pull does not run into 429s."""
        rate, burst = self.settings.requests_per_second, max(1.0, float(self.settings.burst))
        if rate <= 0:
            return
        key = hashlib.sha256(token.encode()).hexdigest()[:16]
        now = self.clock()
        if len(self._buckets) > PACED_TOKENS:
            self._buckets.clear()
        level, seen = self._buckets.get(key, (burst, now))
        level = min(burst, level + (now - seen) * rate) - 1.0
        self._buckets[key] = (level, now)
        if level < 0:
            await self.sleep(-level / rate)


def next_query(body: Any) -> dict[str, Any] | None:
    """The query of `paging.next_link` (its cursor and limit), to ask the configured host."""
    paging = body.get("paging") if isinstance(body, dict) else None
    link = paging.get("next_link") if isinstance(paging, dict) else None
    if not link:
        return None
    try:
        params = dict(httpx.URL(str(link)).params)
    except (httpx.InvalidURL, ValueError):
        return None
    return params if params.get("cursor") else None


def _failed(body: Any, plural: str) -> dict[str, Any] | None:
    entries = body.get(plural) if isinstance(body, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and not ok(entry.get("sub_request_status")):
            return entry
    return None


def _json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except ValueError:
        return None
