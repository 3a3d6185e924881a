"""The Marketing API v1.3 connection every TikTok adapter shares: transport, the envelope,
errors, throttling and paging.

What was verified with the `search` tool and a `fetch` of the official SDK
(tiktok/tiktok-business-api-sdk at f809c39, and the descriptions in its first commit
5e39460, whose docs still carried TikTok's field notes), and where:

- Paths are `/open_api/v1.3/<resource>/<action>/`, with the trailing slash (every path in
  the SDK's api modules and yml_files) ✔; the token travels in the `Access-Token` header
  (python_sdk api modules: `header_params['Access-Token']`), no Bearer ✔.
- `POST /oauth2/access_token/` takes `{app_id, secret, auth_code}` (Oauth2AccessTokenBody) ✔;
  `GET /oauth2/advertiser/get/` takes `app_id`, `secret` and the token ✔; `/advertiser/info/`
  takes `advertiser_ids` and `fields` ✔; `/identity/get/` takes `identity_type`
  (CUSTOMIZED_USER, AUTH_CODE, TT_USER, BC_AUTH_TT), `page`, `page_size` ✔; `/pixel/list/` ✔.
- `/campaign/create/`: `campaign_name` (≤512), `objective_type`, `budget_mode`, `budget`,
  `operation_status` (DISABLE at creation is allowlist-only and silently ignored, so a
  campaign is born enabled; nothing under it spends until its ad group is enabled) ✔.
- `/adgroup/create/`: required `adgroup_name, campaign_id, billing_event, budget,
  budget_mode, optimization_goal, pacing, schedule_start_time, schedule_type`;
  `location_ids` (from `/tool/region/`), `age_groups`, `gender` (GENDER_FEMALE, GENDER_MALE,
  GENDER_UNLIMITED), `languages`, `placement_type`, `placements` (PLACEMENT_TIKTOK...),
  `promotion_type` (needed unless REACH), `pixel_id` with `optimization_event`,
  `operation_status` (default ENABLE), `request_id` ("supports idempotency... only one will
  succeed") ✔. `schedule_start_time`/`schedule_end_time` are **UTC+0** "YYYY-MM-DD
  HH:MM:SS" (not the account's time zone); SCHEDULE_START_END is required with a lifetime
  budget ✔. Budgets are numbers in the account currency's major units ✔ (float fields).
- `/ad/create/`: `adgroup_id`, `creatives[]` with `ad_name`, `ad_format` (SINGLE_VIDEO for
  in-feed TikTok ads), `video_id`, `image_ids` (for SINGLE_VIDEO: the cover, one image of the
  video's aspect ratio), `ad_text` (1-100 characters, no emoji), `call_to_action`,
  `landing_page_url`, `display_name` (1-40), `identity_type`/`identity_id`,
  `operation_status` ✔.
- `/campaign|adgroup|ad/status/update/`: `*_ids`, `operation_status` ENABLE | DISABLE ✔;
  `/campaign/get/`, `/adgroup/get/`, `/ad/get/` take `filtering` with `campaign_name`,
  `adgroup_name` + `campaign_ids`, `ad_name` + `adgroup_ids`, `ad_ids`, `page`, `page_size`,
  `fields` ✔; `/file/image/ad/upload/` takes `upload_type`, `image_file`,
  `image_signature`, `file_name` ✔; `/file/video/ad/upload/` `video_file`,
  `video_signature`, `file_name`, `flaw_detect`, `auto_fix_enabled` ✔; `/file/video/ad/search/` ✔.
- `/report/integrated/get/`: `report_type` BASIC, `data_level` AUCTION_CAMPAIGN |
  AUCTION_ADGROUP | AUCTION_AD, `dimensions`, `metrics`, `start_date`, `end_date`, `page`,
  `page_size` (at most 1000), `filtering` [{field_name, filter_type (IN...), filter_value}] ✔.
- A public copy of TikTok's return-code appendix (docs id 1737172488964097;
  api-evangelist/tiktok-ads errors/tiktok-ads-error-codes.yml): HTTP 200 with a non-zero
  `code`, `data` {} on error, 4xx/5xx HTTP only when the request never reached the API (a
  missing trailing slash: 404 "page not found"); 40100/40016 app and 40133 advertiser
  throttles, 40102/40104/40105/40106 token, 40110 auth code used or expired, 40050
  duplicate, 40900 signature, 40911 file name taken, 5xxxx service (errors.py has them all),
  and a live 40104 in an HTTP 200 observed by that copy ~.

UNVERIFIED, so the code does not depend on it or checks it twice:
- that list being complete and current: unknown codes fall back by range (5xxxx transient,
  4xxxx the merchant's parameter); which code a repeated `request_id` gets (ADLY looks the
  object up on 40050);
- whether the name filters match exactly: `find` compares names itself, page by page;
- the response shapes of /oauth2/advertiser/get/ (`list` of advertiser_id/advertiser_name),
  /advertiser/info/ (`currency`, `timezone`, `display_timezone`, `status`), /identity/get/
  (`identity_list`), /pixel/list/ (`pixels`), /tool/region/ (`region_info` with
  location_id, name, region_code, level), uploads (`image_id`, `video_id`, `file_name`),
  /ad/get/ `secondary_status` and /ad/review_info/: read defensively;
- `total_complete_payment_rate` being the purchase value (INTEGRATIONS.md §6, ~), and that
  a daily report spans at most 30 days (requests are cut into `report_days` windows);
- a third-party note that TikTok stops taking new manual WEB_CONVERSIONS campaigns on
  2027-01-01 in favour of Smart+: not acted on yet.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from adly_campaigns.adapters.platform_metrics import PLATFORM_API_ERRORS
from adly_campaigns.adapters.tiktok.errors import OK, PARTIAL, classify, http_refusal
from adly_campaigns.adapters.tiktok.settings import TikTokSettings
from adly_campaigns.domain.ports import ErrorKind, PlatformError
from adly_events.contracts.common import AdPlatform
from adly_kit.outbound import MIB, NO_RETRY, Outbound, OutboundError, make_client

log = logging.getLogger(__name__)
Files = dict[str, tuple[str, bytes, str]]


def query(values: dict[str, Any]) -> dict[str, str]:
    """GET parameters: lists and objects as JSON strings, None left out."""
    return {k: v if isinstance(v, str) else json.dumps(v, separators=(",", ":"), ensure_ascii=False)
            for k, v in values.items() if v is not None}


class TikTokApi:
    """Calls never raise httpx errors: every failure leaves as a classified `PlatformError`,
    counted in `platform_api_errors_total`. Throttled calls are asked again after a doubling
    wait, `throttle_retries` times, before the refusal is passed on with its `retry_after`."""

    def __init__(self, settings: TikTokSettings, http: httpx.AsyncClient | None = None, *,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.settings = settings
        self._owns = http is None
        client = http or make_client(timeout=settings.timeout, connect_timeout=min(5.0, settings.timeout))
        self._outbound = Outbound(client, max_bytes=32 * MIB, retry=NO_RETRY, name="tiktok")
        self.sleep = sleep

    async def aclose(self) -> None:
        if self._owns:
            await self._outbound.aclose()

    def refuse(self, error: PlatformError) -> PlatformError:
        PLATFORM_API_ERRORS.labels(platform=AdPlatform.TIKTOK.value, error_type=error.kind.value).inc()
        return error

    def url(self, path: str) -> str:
        return f"{self.settings.api_url.rstrip('/')}/{path.strip('/')}/"

    async def get(self, path: str, token: str | None, params: dict[str, Any]) -> Any:
        return await self._call("GET", path, token, params=query(params))

    async def post(self, path: str, token: str | None, body: dict[str, Any]) -> Any:
        return await self._call("POST", path, token, json={k: v for k, v in body.items() if v is not None})

    async def upload(self, path: str, token: str, fields: dict[str, str], files: Files) -> Any:
        return await self._call("POST", path, token, data=fields, files=files)

    async def pages(self, path: str, token: str, params: dict[str, Any], list_key: str = "list", *,
                    page_size: int | None = None, max_pages: int | None = None) -> AsyncIterator[dict[str, Any]]:
        """The rows of a paged list, by `page` until `page_info.total_page`."""
        size = page_size or self.settings.page_size
        for page in range(1, (max_pages or self.settings.max_pages) + 1):
            data = await self.get(path, token, params | {"page": page, "page_size": size})
            rows = data.get(list_key) if isinstance(data, dict) else None
            for row in rows if isinstance(rows, list) else []:
                if isinstance(row, dict):
                    yield row
            info = data.get("page_info") if isinstance(data, dict) else None
            total = _int(info.get("total_page")) if isinstance(info, dict) else None
            if not rows or total is None or page >= total:
                return

    async def _call(self, method: str, path: str, token: str | None, **kwargs: Any) -> Any:
        headers = {"Access-Token": token} if token is not None else {}
        wait = self.settings.throttle_backoff
        for attempt in range(self.settings.throttle_retries + 1):
            try:
                return await self._once(method, path, headers, kwargs)
            except PlatformError as error:
                if error.kind is not ErrorKind.THROTTLED or attempt == self.settings.throttle_retries:
                    error.retry_after = min(wait, self.settings.max_backoff) if error.kind is ErrorKind.THROTTLED \
                        else error.retry_after
                    raise self.refuse(error) from None
                log.info("tiktok throttled, waiting", extra={"path": path, "code": error.code, "seconds": wait})
                await self.sleep(min(wait, self.settings.max_backoff))
                wait *= 2
        raise AssertionError("unreachable")

    async def _once(self, method: str, path: str, headers: dict[str, str], kwargs: dict[str, Any]) -> Any:
        try:
            reply = await self._outbound.request(method, self.url(path), headers=headers, **kwargs)
        except (OutboundError, httpx.HTTPError, httpx.InvalidURL) as error:
            raise PlatformError(ErrorKind.TRANSIENT, f"TikTok could not be reached ({error}); "
                                "ADLY will try again.") from error
        try:
            body = reply.json() if reply.body else None
        except ValueError:
            body = None
        if not isinstance(body, dict) or "code" not in body:
            raise http_refusal(reply.status) if reply.status >= 400 else PlatformError(
                ErrorKind.TRANSIENT, "TikTok's answer could not be read; ADLY will try again.")
        code = _int(body.get("code"))
        if code not in (OK, PARTIAL):
            raise classify(code if code is not None else 50000, str(body.get("message") or ""))
        return body.get("data") if body.get("data") is not None else {}


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None
