"""The Google Ads REST connection the three Google adapters share: transport, headers,
errors, quota waits, search pages, mutates and the OAuth token endpoint.

What was verified with the `search` tool (December 2026), and where:

- developers.google.com/google-ads/api/docs/api-policy/developer-token (English, Spanish and
  German copies agree): developer tokens were sunset on 2026-09-09; the access level now
  belongs to the Google Cloud project that owns the OAuth client; sending the
  `developer-token` header is optional and ignored by the API servers ✔. Two client
  projects' release notes (kLOsk/adloop v0.15.0, logly/mureo v0.18.0) add that a future major
  version will reject the header ~. So ADLY sends it only when one is configured
  (`ADLY_GOOGLE_ADS_DEVELOPER_TOKEN`, for a deployment still on an old version) and never by
  default; a Test-level project calling a real account is refused with an authorization
  error (CLOUD_PROJECT_NOT_APPROVED_FOR_PRODUCTION ~), which classifies as PERMISSION.
- developers.google.com/google-ads/api/docs/api-policy/eu-par: every campaign created through
  the API sets `contains_eu_political_advertising`, else MutateCampaigns fails with
  FieldError.REQUIRED ✔ (values CONTAINS_/DOES_NOT_CONTAIN_EU_POLITICAL_ADVERTISING, v26
  EuPoliticalAdvertisingStatus reference ✔).
- googleads/google-ads-python examples/advanced_operations/add_demand_gen_campaign.py: a
  Demand Gen budget is not shared (`explicitly_shared` false, delivery STANDARD); the
  campaign is PAUSED with advertising_channel_type DEMAND_GEN; the ad group has no type; a
  Demand Gen ad's logo is an image asset link; image assets take `image_asset.data`, and an
  image asset uploaded again with the same bytes keeps the first one's name ✔. Creating the
  related entities in one `GoogleAdsService.Mutate` with temporary (negative) ids is Google's
  advice so nothing is left orphaned ✔.
- v18-v24 DemandGenMultiAssetAdInfo reference: business_name (string, width 25, required),
  headlines and descriptions 1-5 AdTextAsset (widths 30 and 90), logo_images 1-5 (1:1,
  >= 128 px), marketing_images 1.91:1 or square_marketing_images 1:1 (one of them required),
  portrait 4:5, call_to_action_text ✔.
- v23 campaign.proto diff: `start_date`/`end_date` gave way to `start_date_time`/
  `end_date_time`, "yyyy-MM-dd HH:mm:ss" in the customer's time zone, 00:00:00 and 23:59:59
  for day granularity ✔. v26 currency_constant.proto: `billable_unit_micros` (budgets are
  multiples of it) and `demand_gen_info.minimum_budget_per_day_micros` ✔.
- ListAccessibleCustomersResponse `{"resourceNames": [...]}`, scope
  https://www.googleapis.com/auth/adwords ✔; QuotaError values RESOURCE_EXHAUSTED,
  RESOURCE_TEMPORARILY_EXHAUSTED, EXCESSIVE_SHORT/LONG_TERM_QUERY_RESOURCE_CONSUMPTION
  (googleapis protos via two generated SDKs) ✔; GoogleAdsError = errorCode, message,
  trigger, location, details (quotaErrorDetails with rateScope, rateName, retryDelay) ✔.

UNVERIFIED, so the code does not depend on it or checks it twice (INTEGRATIONS.md §8):
- the JSON of a quota error's `retryDelay` ("30s", a Duration) and its HTTP 429: both are
  read, and a throttle without a delay waits `default_throttle_seconds`;
- `googleAds:search` pages of a fixed 10,000 rows with `nextPageToken` and `searchStream`
  as a JSON array of batches: both are read to the end, whatever the page size;
- int64s as JSON strings and zero fields left out: every number is read with a default;
- GAQL string literals escaping `'` and `\\` with a backslash;
- `currency_constant` being queryable through GAQL: without an answer the placeholder
  budget is one unit of the currency (publisher.py);
- that Demand Gen keeps `Ad.name` (publisher.py's `find` for ads depends on it; the official
  example sets it);
- that Demand Gen takes `targetSpend` (maximize clicks) for traffic and awareness objectives
  (the v26 guide lists maximize clicks among Demand Gen's strategies ~), and negative age and
  gender criteria on its ad groups (targeting.py);
- the answer to an expired access token: a GoogleAdsFailure with OAUTH_TOKEN_EXPIRED (kept
  TRANSIENT: the next attempt refreshes) or a bare 401 UNAUTHENTICATED (TOKEN_INVALID);
- the Demand Gen call-to-action texts (creative.py) and the billable unit of 10,000 micros
  ADLY rounds budgets down to (currency_constant.billable_unit_micros is 10,000 for the
  two-decimal currencies ~; ADLY's budgets have at most the currency's decimals anyway).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import orjson

from adly_campaigns.adapters.google_ads.errors import classify, oauth_error
from adly_campaigns.adapters.google_ads.settings import GoogleAdsSettings, digits
from adly_campaigns.adapters.platform_metrics import PLATFORM_API_ERRORS
from adly_campaigns.domain.ports import ErrorKind, PlatformError
from adly_events.contracts.common import AdPlatform
from adly_kit.outbound import MIB, NO_RETRY, Outbound, OutboundError, make_client


def quoted(value: str) -> str:
    """A GAQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def number(value: Any) -> int:
    """An int64 as Google sends it (a string), or absent (zero)."""
    try:
        return int(str(value)) if value not in (None, "") else 0
    except ValueError:
        return 0


def last_id(resource_name: str) -> str:
    """`customers/1/campaigns/22` -> `22`; `customers/1/adGroupAds/3~4` -> `3~4`."""
    return resource_name.rsplit("/", 1)[-1]


class GoogleAdsApi:
    """Calls never raise httpx errors: every failure leaves as a classified `PlatformError`,
    counted in `platform_api_errors_total`. A customer Google throttled waits out the
    `retryDelay` Google gave (up to `max_wait_seconds`) before its next call is sent."""

    def __init__(self, settings: GoogleAdsSettings, http: httpx.AsyncClient | None = None, *,
                 clock: Callable[[], float] = time.monotonic, wall_clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.settings = settings
        self._owns = http is None
        client = http or make_client(timeout=settings.timeout, connect_timeout=min(5.0, settings.timeout))
        self._outbound = Outbound(client, max_bytes=64 * MIB, retry=NO_RETRY, name="google_ads")
        self.clock, self.wall_clock, self.sleep = clock, wall_clock, sleep
        self.blocked_until: dict[str, float] = {}

    async def aclose(self) -> None:
        if self._owns:
            await self._outbound.aclose()

    def refuse(self, error: PlatformError) -> PlatformError:
        PLATFORM_API_ERRORS.labels(platform=AdPlatform.GOOGLE_ADS.value, error_type=error.kind.value).inc()
        return error

    # --- the API --------------------------------------------------------------------------

    async def search(self, token: str, customer_id: str, query: str) -> AsyncIterator[dict[str, Any]]:
        """Every row of a GAQL query, page after page by `nextPageToken`."""
        body: dict[str, Any] = {"query": query}
        for _ in range(self.settings.max_pages):
            page = await self.read(token, customer_id, "googleAds:search", body)
            for row in page.get("results") or [] if isinstance(page, dict) else []:
                if isinstance(row, dict):
                    yield row
            next_token = page.get("nextPageToken") if isinstance(page, dict) else None
            if not next_token:
                return
            body = {"query": query, "pageToken": next_token}
        raise self.refuse(PlatformError(ErrorKind.TRANSIENT, "Google Ads answered more pages than ADLY reads at once."))

    async def rows(self, token: str, customer_id: str, query: str) -> list[dict[str, Any]]:
        return [row async for row in self.search(token, customer_id, query)]

    async def stream(self, token: str, customer_id: str, query: str) -> list[dict[str, Any]]:
        """Every row of a GAQL query through searchStream: one answer, a JSON array of batches."""
        batches = await self.read(token, customer_id, "googleAds:searchStream", {"query": query})
        return [row for batch in batches if isinstance(batch, dict) for row in batch.get("results") or []
                if isinstance(row, dict)] if isinstance(batches, list) else []

    async def read(self, token: str, customer_id: str, method: str, body: dict[str, Any]) -> Any:
        """A read, sent again after a throttle Google asks to wait out briefly."""
        for attempt in range(self.settings.read_retries + 1):
            try:
                return await self.call("POST", f"customers/{digits(customer_id)}/{method}", token, body,
                                       customer=customer_id)
            except PlatformError as error:
                short = error.retry_after is not None and error.retry_after <= self.settings.max_wait_seconds
                if error.kind is not ErrorKind.THROTTLED or not short or attempt == self.settings.read_retries:
                    raise
        raise AssertionError("unreachable")

    async def mutate(self, token: str, customer_id: str, service: str, operations: list[dict[str, Any]]) -> list[str]:
        """`{service}:mutate`, all or nothing; the resource names created or changed, in order."""
        body = {"operations": operations, "partialFailure": False, "validateOnly": False}
        answer = await self.call("POST", f"customers/{digits(customer_id)}/{service}:mutate", token, body,
                                 customer=customer_id)
        return [str(r.get("resourceName", "")) for r in answer.get("results") or [] if isinstance(r, dict)]

    async def mutate_together(self, token: str, customer_id: str, operations: list[dict[str, Any]]) -> list[str]:
        """`googleAds:mutate`: several services' operations in one atomic request, temporary
        ids allowed; the resource name of each operation's result, in order."""
        body = {"mutateOperations": operations, "partialFailure": False, "validateOnly": False}
        answer = await self.call("POST", f"customers/{digits(customer_id)}/googleAds:mutate", token, body,
                                 customer=customer_id)
        names = []
        for response in answer.get("mutateOperationResponses") or [] if isinstance(answer, dict) else []:
            result: Any = next(iter(response.values()), {}) if isinstance(response, dict) and response else {}
            names.append(str(result.get("resourceName", "")) if isinstance(result, dict) else "")
        return names

    async def accessible_customers(self, token: str) -> list[str]:
        answer = await self.call("GET", "customers:listAccessibleCustomers", token, None)
        return [last_id(str(n)) for n in answer.get("resourceNames") or []] if isinstance(answer, dict) else []

    async def call(self, method: str, path: str, token: str, body: dict[str, Any] | None, *,
                   customer: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if self.settings.login_customer_id:
            headers["login-customer-id"] = digits(self.settings.login_customer_id)
        if self.settings.developer_token:
            headers["developer-token"] = self.settings.developer_token
        key = digits(customer) if customer else None
        await self._wait(key)
        reply = await self._send(method, f"{self.settings.base}/{path}", json=body, headers=headers)
        answer = self._json(reply.body)
        refused = reply.status >= 400 or (isinstance(answer, dict) and "partialFailureError" in answer)
        if refused:
            error = classify(reply.status, answer, self.settings.default_throttle_seconds)
            if error.kind is ErrorKind.THROTTLED and key and error.retry_after:
                self.blocked_until[key] = self.clock() + error.retry_after
            raise self.refuse(error)
        if answer is None:
            raise self.refuse(PlatformError(ErrorKind.TRANSIENT, "Google Ads' answer could not be read; ADLY will "
                                            "try again."))
        return answer

    # --- OAuth ----------------------------------------------------------------------------

    async def token(self, form: dict[str, str]) -> dict[str, Any]:
        """Google's token endpoint (authorization_code and refresh_token grants)."""
        reply = await self._send("POST", self.settings.token_url, data=form | {
            "client_id": self.settings.client_id, "client_secret": self.settings.client_secret})
        answer = self._json(reply.body)
        if reply.status >= 400 or not isinstance(answer, dict) or not answer.get("access_token"):
            raise self.refuse(oauth_error(reply.status, answer))
        return answer

    # --- plumbing -------------------------------------------------------------------------

    async def _wait(self, key: str | None) -> None:
        until = self.blocked_until.get(key) if key else None
        if key is None or until is None:
            return
        remaining = until - self.clock()
        if remaining > self.settings.max_wait_seconds:
            raise self.refuse(PlatformError(ErrorKind.THROTTLED, "Google Ads asked ADLY to wait before calling this "
                                            f"account again; ADLY will try again in {remaining:.0f} seconds.",
                                            code="quotaError", retry_after=remaining))
        if remaining > 0:
            await self.sleep(remaining)
        self.blocked_until.pop(key, None)

    async def _send(self, method: str, url: str, **kwargs: Any) -> Any:
        try:
            return await self._outbound.request(method, url, **kwargs)
        except (OutboundError, httpx.HTTPError, httpx.InvalidURL) as error:
            raise self.refuse(PlatformError(ErrorKind.TRANSIENT, f"Google Ads could not be reached ({error}); "
                                            "ADLY will try again.")) from error

    @staticmethod
    def _json(body: bytes) -> Any:
        if not body:
            return None
        try:
            return orjson.loads(body)
        except ValueError:
            return None
