"""The Graph API connection both Meta adapters share: transport, auth, errors, pacing, metrics.

What was verified with the `search` tool (December 2026), and where:

- Currency offsets (domain/money.py): developers.facebook.com/docs/marketing-api/currencies
  (revision 2024-04-16, English and Spanish copies agree): 100 for SAR, AED, QAR, EGP, JOD
  and BHD; 1 for CLP, COP, CRC, HUF, IDR, ISK, JPY, KRW, PYG, TWD, VND; KWD and OMR absent.
  Budgets are integers in that unit ("cents for USD"; budgets page, `daily_budget=2000`
  for 20 dollars) ✔.
- facebook/facebook-python-business-sdk (v25.0.2, HEAD): `appsecret_proof` = hex
  HMAC-SHA256 of the token keyed by the app secret (session.py) ✔; the objectives
  OUTCOME_SALES / OUTCOME_TRAFFIC / OUTCOME_AWARENESS, billing event IMPRESSIONS,
  optimization goals, bid strategy LOWEST_COST_WITHOUT_CAP ✔; ad effective statuses
  (ACTIVE, PAUSED, ADSET_PAUSED, CAMPAIGN_PAUSED, DISAPPROVED, IN_PROCESS, PENDING_REVIEW,
  PREAPPROVED, WITH_ISSUES...) and `ad_review_feedback` = {"global": {...},
  "placement_specific": {...}} ✔; `GET /act_{id}/promote_pages` (pages an account can
  advertise with) ✔; `/search` types `adgeolocation` and `adlocale` ✔; adimages take
  `bytes` or a `filename` file part, and are listed with `hashes` / `name` ✔; advideos take a
  `source` file with `name`/`title` ✔; a video's `status.video_status` ✔; link_data and
  video_data fields (link, message, name, description, image_hash; video_id, title,
  link_description, image_url, call_to_action) ✔; call-to-action types (SHOP_NOW,
  LEARN_MORE, ORDER_NOW, BUY_NOW, GET_OFFER...) ✔.
- developers.facebook.com adset-budget-sharing guide: from v24 a campaign whose budget is on
  its ad sets must send `is_adset_budget_sharing_enabled` true or false ✔ (ADLY sends false:
  each ad set keeps exactly the budget the merchant set).
- Rate limiting (a public copy of Meta's Marketing API rate-limiting pages): error 17/2446079
  and 613/1487742 (ad account level), 4 (app), 80000/80003/80004/80014 (business use case),
  613/1487632 (ad set budget changed more than 4 times an hour); `X-Ad-Account-Usage` holds
  acc_id_util_pct, reset_time_duration, ads_api_access_tier; `X-Business-Use-Case-Usage`
  holds call_count, total_cputime, total_time, estimated_time_to_regain_access (minutes) ✔.
- Marketing API access page: ads_management and ads_read permissions ✔; pages_show_list,
  pages_read_engagement, pages_manage_ads (create ads for the page) ~ (third-party guides).
- Third-party client code (several repositories): `GET /search?type=adgeolocation&
  location_types=["city"]&q=` answers {key, name, type, country_code, country_name, region,
  region_id, supports_region, supports_city} and may mix in regions and neighborhoods;
  a country and a city inside it cannot be targeted together (Meta calls it an overlap);
  `filtering=[{"field", "operator", "value"}]` on list edges ~; adimages with `bytes`
  answer {"images": {"bytes": {"hash", "url"}}} ~.

UNVERIFIED, so the code does not depend on it or checks it twice:
- that `filtering` on `name` with EQUAL works on every edge: `find` also compares names
  itself and reads up to `max_pages` pages;
- whether Meta keeps an uploaded image's file name as its `name` (`find` for images matches
  the name with or without its extension; re-uploading the same bytes gives the same hash,
  so a second upload creates nothing new either way);
- the numeric adlocale keys (Arabic is 28 by one source, 11 by another): locales are
  resolved through `/search?type=adlocale`, never from a table;
- `targeting_automation.advantage_audience` being required: ADLY sends 0, keeping the
  merchant's age and gender exact;
- `Authorization: Bearer` for Graph calls (the SDK sends `access_token` as a parameter):
  the header keeps tokens out of URLs and logs;
- HTTP statuses of errors (mostly 400): classification reads `code`, not the status.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from adly_campaigns.adapters.meta.errors import classify
from adly_campaigns.adapters.meta.settings import MetaSettings
from adly_campaigns.adapters.meta.usage import UsageGovernor
from adly_campaigns.adapters.platform_metrics import PLATFORM_API_ERRORS
from adly_campaigns.domain.ports import ErrorKind, PlatformError
from adly_events.contracts.common import AdPlatform
from adly_kit.outbound import MIB, NO_RETRY, Outbound, OutboundError, make_client

Files = dict[str, tuple[str, bytes, str]]


def form(values: dict[str, Any]) -> dict[str, str]:
    """Graph form parameters: objects and lists as JSON strings, None left out."""
    return {k: v if isinstance(v, str) else json.dumps(v, separators=(",", ":"), ensure_ascii=False)
            for k, v in values.items() if v is not None}


def act(account_id: str) -> str:
    return account_id if account_id.startswith("act_") else f"act_{account_id}"


class MetaGraph:
    """Calls never raise httpx errors: every failure leaves as a classified `PlatformError`,
    counted in `platform_api_errors_total`."""

    def __init__(self, settings: MetaSettings, http: httpx.AsyncClient | None = None, *,
                 clock: Callable[[], float] = time.monotonic, wall_clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.settings = settings
        self._owns = http is None
        client = http or make_client(timeout=settings.timeout, connect_timeout=min(5.0, settings.timeout))
        self._outbound = Outbound(client, max_bytes=8 * MIB, retry=NO_RETRY, name="meta")
        self.wall_clock, self.sleep = wall_clock, sleep
        self.governor = UsageGovernor(threshold=settings.usage_threshold, max_wait=settings.max_wait_seconds,
                                      default_wait=settings.default_throttle_seconds, clock=clock, sleep=sleep)

    async def aclose(self) -> None:
        if self._owns:
            await self._outbound.aclose()

    def refuse(self, error: PlatformError) -> PlatformError:
        PLATFORM_API_ERRORS.labels(platform=AdPlatform.META.value, error_type=error.kind.value).inc()
        return error

    async def get(self, path: str, token: str | None, params: dict[str, Any] | None = None, *,
                  account: str | None = None, decode: Callable[[bytes], Any] | None = None) -> Any:
        """The answer as JSON, or as `decode` reads a successful body (a typed decoder for large
        pages); `decode` answers an object whose `error` is set when the body is Meta's error."""
        return await self._call("GET", path, token, account, params=form(params or {}), decode=decode)

    async def post(self, path: str, token: str, data: dict[str, Any] | None = None, *, files: Files | None = None,
                   account: str | None = None) -> Any:
        return await self._call("POST", path, token, account, data=form(data or {}), files=files)

    async def pages(self, path: str, token: str, params: dict[str, Any], *,
                    account: str | None = None) -> AsyncIterator[dict[str, Any]]:
        """The rows of a list edge, page after page (at most `max_pages`), by the `after` cursor
        rather than `paging.next`, so a URL in an answer never chooses the host."""
        query = dict(params)
        for _ in range(self.settings.max_pages):
            body = await self.get(path, token, query, account=account)
            for row in body.get("data", []) if isinstance(body, dict) else []:
                if isinstance(row, dict):
                    yield row
            paging = body.get("paging") if isinstance(body, dict) else None
            after = (paging or {}).get("cursors", {}).get("after") if isinstance(paging, dict) else None
            if not after or not paging or not paging.get("next"):
                return
            query["after"] = after

    async def _call(self, method: str, path: str, token: str | None, account: str | None, *,
                    params: dict[str, str] | None = None, data: dict[str, str] | None = None,
                    files: Files | None = None, decode: Callable[[bytes], Any] | None = None) -> Any:
        headers, query = {}, dict(params or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
            if self.settings.appsecret_proof:
                query["appsecret_proof"] = hmac.new(self.settings.app_secret.encode(), token.encode(),
                                                    hashlib.sha256).hexdigest()
        try:
            await self.governor.before(account)
            reply = await self._outbound.request(method, f"{self.settings.api_url}/{path.lstrip('/')}", params=query,
                                                 data=data, files=files, headers=headers)
        except PlatformError as error:
            raise self.refuse(error) from None
        except (OutboundError, httpx.HTTPError, httpx.InvalidURL) as error:
            raise self.refuse(PlatformError(ErrorKind.TRANSIENT, f"Meta could not be reached ({error}); "
                                            "ADLY will try again.")) from error
        self.governor.observe(account, reply.headers)
        if decode is not None and reply.status < 400:
            try:
                typed = decode(reply.body)
            except PlatformError as error:
                raise self.refuse(error) from None
            if getattr(typed, "error", None) is None:
                return typed
        try:
            body = reply.json() if reply.body else None
        except ValueError:
            body = None
        if reply.status >= 400 or (isinstance(body, dict) and "error" in body):
            raise self.refuse(classify(reply.status, body, self.governor.retry_after(account)))
        if body is None:
            raise self.refuse(PlatformError(ErrorKind.TRANSIENT, "Meta's answer could not be read; ADLY will try again."))
        return body
