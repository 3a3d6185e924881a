"""Meta's side of `PerformanceReader`: the Insights API, per day at three levels and per hour of today.

One query per level (campaign, adset, ad) and per chunk of `chunk` campaigns:
`GET /act_{id}/insights?level=&fields=&time_range={"since","until"}&time_increment=1&filtering=
[{"field":"campaign.id","operator":"IN","value":[...]}]`, plus, for `hourly_day`, the campaign
level with `breakdowns=hourly_stats_aggregated_by_advertiser_time_zone` (its value reads
"13:00:00 - 13:59:59"). Days are Meta's `date_start`, already in the ad account's time zone.

Asynchronous report runs: a query of `async_from` campaign-days or more (campaigns in the chunk
x days; 2,000 by default, e.g. 50 campaigns over 40 days: a backfill, never the hourly pull of
the last week) is run as a job, and so is one Meta refuses synchronously as too much data
(100/1487534, or code 1 "Please reduce the amount of data you're asking for") or times out
(100/1504018): `POST /act_{id}/insights` -> `report_run_id`,
`GET /{report_run_id}` until `async_status` is "Job Completed" and `async_percent_completion`
100, at most `report_polls` times `poll_interval` apart on the graph's (injectable) sleep, then
`GET /{report_run_id}/insights`. A job still too large is split by halves of its window.

Purchases: `actions` / `action_values` list the SAME purchases under several action types, so
one type is read, never a sum, by this precedence: omni_purchase (every channel), purchase,
offsite_conversion.fb_pixel_purchase, onsite_web_purchase, onsite_web_app_purchase; the value
comes from the same type in `action_values` when Meta lists it there.

Pace: every call goes through the graph's usage governor (X-Business-Use-Case-Usage,
X-Ad-Account-Usage, X-App-Usage), which `InsightsGovernor` extends with the insights header
`x-fb-ads-insights-throttle` (`acc_id_util_pct`, `app_id_util_pct`). A page refused as
throttled (4/1504022, 17, 613, 80000-80014) waits its `retry_after` when that is within
`max_wait_seconds`, and an intermittent failure (2/1504043, 1/2, 5xx) a short backoff, up to
`attempts` tries; then the refusal leaves classified, retryable. Rows, purchases and the
insights header are read in insights.py.

What was verified with the `search` tool (July 2026), and where:
- developers.facebook.com/docs/marketing-api/insights/best-practices: the data-per-call limit
  answers code 100, subcode 1487534, for sync and async calls alike; narrow the date range or
  the objects, or run async ✔. INTEGRATIONS.md §5 (checked against Meta's error pages):
  100/1504018 timeout, 4/1504022 too many calls, 2/1504043 intermittent ✔; rate-limiting page:
  4 with 1504022 or 1504039 "too many calls from this app" ✔.
- facebook/facebook-python-business-sdk (HEAD of 2026-06-24): `AdAccount.get_insights_async`
  is `POST /{act}/insights` answering an AdReportRun; `report_run_id` becomes its id
  (abstractcrudobject.py, adreportrunmixin.py); AdReportRun fields async_status,
  async_percent_completion, error_code, error_message, error_subcode, error_user_msg
  (adreportrun.py); the result is its `/insights` edge (`get_result`); the SDK deems a run done
  when async_percent_completion == 100 ✔. AdsInsights.Breakdowns has
  `hourly_stats_aggregated_by_advertiser_time_zone` ✔; level, time_increment, time_range,
  filtering, breakdowns parameters ✔. Meta's blog (2026-01-08): from v25 a failed run reports
  error_code / error_message / error_subcode / error_user_title / error_user_msg ✔.
- The same refusal as code 1 (HTTP 500) "Please reduce the amount of data you're asking for,
  then retry your request": airbytehq/airbyte pull request #42562 (third party) ~.
- The purchase types reporting the same purchases, and preferring omni_purchase then purchase:
  PostHog/posthog issue #44836 and pull request #44949 (third party, 2026) ~.

UNVERIFIED:
- the async_status strings other than "Job Completed" ("Job Failed", "Job Skipped" by third-party
  API specs): anything not completed is polled again, a failed or skipped job is a TRANSIENT
  refusal;
- the largest `limit` the insights edge accepts (ADLY asks 500 per page and follows the cursor);
- the `x-fb-ads-insights-throttle` keys (third-party rate limiters agree on app_id_util_pct and
  acc_id_util_pct; no reset time in it, so the governor's default wait applies);
- the value format of the hourly breakdown ("HH:MM:SS - HH:MM:SS" in third-party code): the
  hour is read from its first two digits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import httpx

from adly_campaigns.adapters.meta.client import MetaGraph, act
from adly_campaigns.adapters.meta.insights import (
    HOURLY,
    LEVELS,
    METRICS,
    PURCHASE_TYPES,
    InsightsGovernor,
    decode_page,
    percent,
    purchase,
    rows_of,
    watch_insights_throttle,
)
from adly_campaigns.adapters.meta.settings import MetaSettings
from adly_campaigns.domain.ports import AccountAccess, ErrorKind, PerformanceRow, PlatformError
from adly_events.contracts.common import AdPlatform

__all__ = ["PURCHASE_TYPES", "InsightsGovernor", "MetaReports", "ReportTuning", "purchase", "rows_of"]

HOURLY_FIELDS = f"campaign_id,{METRICS}"   # reach is not reported per hour
TOO_MUCH_DATA, TIMED_OUT = "1487534", "1504018"
DONE = "Job Completed"
FAILED = frozenset({"Job Failed", "Job Skipped"})
RUN_FIELDS = "async_status,async_percent_completion,error_code,error_message,error_subcode,error_user_msg"


@dataclass(frozen=True)
class ReportTuning:
    page_size: int = 500          # rows per page asked for
    chunk: int = 50               # campaign ids per query's filter
    async_from: int = 2000        # campaign-days (campaigns in a chunk x days) from which a job runs async
    report_polls: int = 30        # reads of a report run's status before giving up (retryable)
    poll_interval: float = 2.0    # seconds between them
    max_pages: int = 2000         # pages of one query: more is refused rather than cut short
    attempts: int = 3             # tries of one call refused as throttled or transient
    backoff: float = 1.0          # seconds before retrying a transient refusal, doubled each time
    concurrency: int = 4          # queries in flight for one pull


@dataclass(frozen=True)
class Query:
    level: str
    campaign_ids: tuple[str, ...]
    since: date
    until: date
    hourly: bool = False

    @property
    def size(self) -> int:
        return len(self.campaign_ids) * ((self.until - self.since).days + 1)

    def params(self, page_size: int) -> dict[str, Any]:
        fields = HOURLY_FIELDS if self.hourly else LEVELS[self.level][2]
        params: dict[str, Any] = {
            "level": self.level, "fields": fields, "time_increment": "1", "limit": str(page_size),
            "time_range": {"since": self.since.isoformat(), "until": self.until.isoformat()},
            "filtering": [{"field": "campaign.id", "operator": "IN", "value": list(self.campaign_ids)}]}
        if self.hourly:
            params["breakdowns"] = HOURLY
        return params

    def halves(self) -> list[Query] | None:
        """The query over two halves of its window, or of its campaigns for one day; None when one of each."""
        days = (self.until - self.since).days
        if days > 0:
            middle = self.since + timedelta(days=days // 2)
            return [replace(self, until=middle), replace(self, since=middle + timedelta(days=1))]
        if len(self.campaign_ids) > 1:
            cut = len(self.campaign_ids) // 2
            return [replace(self, campaign_ids=self.campaign_ids[:cut]),
                    replace(self, campaign_ids=self.campaign_ids[cut:])]
        return None


class TooMuchData(Exception):
    """Meta refused a query as too large (or timed out on it): run it as a job, or split it."""


def _is_too_much(error: PlatformError) -> bool:
    if error.code == "100" and error.subcode in (TOO_MUCH_DATA, TIMED_OUT):
        return True
    return error.code == "1" and "reduce the amount of data" in error.message.lower()


class MetaReports:
    """`PerformanceReader` over the graph the publisher and the account link share."""

    platform = AdPlatform.META

    def __init__(self, settings: MetaSettings, http: httpx.AsyncClient | None = None, *,
                 graph: MetaGraph | None = None, tuning: ReportTuning | None = None,
                 sleep: Callable[[float], Awaitable[None]] | None = None) -> None:
        self.settings = settings
        self._owns_graph = graph is None
        self.graph = graph or MetaGraph(settings, http, sleep=sleep or asyncio.sleep)
        self.tuning = tuning or ReportTuning()
        self.sleep = sleep or self.graph.sleep
        watch_insights_throttle(self.graph)

    async def aclose(self) -> None:
        if self._owns_graph:
            await self.graph.aclose()

    async def performance(self, account: AccountAccess, platform_campaign_ids: Sequence[str], since: date,
                          until: date, *, hourly_day: date | None = None) -> list[PerformanceRow]:
        ids = list(dict.fromkeys(platform_campaign_ids))
        size = self.tuning.chunk
        chunks = [tuple(ids[i:i + size]) for i in range(0, len(ids), size)]
        queries = [Query(level, chunk, since, until) for level in LEVELS for chunk in chunks if since <= until]
        if hourly_day is not None:
            queries += [Query("campaign", chunk, hourly_day, hourly_day, hourly=True) for chunk in chunks]
        if not queries:
            return []
        gate = asyncio.Semaphore(self.tuning.concurrency)

        async def one(query: Query) -> list[PerformanceRow]:
            async with gate:
                return await self._pull(account, query)

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(one(query)) for query in queries]
        except BaseExceptionGroup as failed:
            raise _first_refusal(failed) from None
        return [row for task in tasks for row in task.result()]

    async def _pull(self, account: AccountAccess, query: Query) -> list[PerformanceRow]:
        try:
            if query.size < self.tuning.async_from:
                try:
                    return await self._pages(account, f"{act(account.platform_account_id)}/insights", query,
                                             query.params(self.tuning.page_size))
                except TooMuchData:
                    pass
            return await self._job(account, query)
        except TooMuchData:
            halves = query.halves()
            if halves is None:
                raise PlatformError(ErrorKind.TRANSIENT, "Meta finds one campaign's day too large to report; "
                                    "ADLY will try again.", code="100", subcode=TOO_MUCH_DATA) from None
            return [row for half in halves for row in await self._pull(account, half)]

    async def _job(self, account: AccountAccess, query: Query) -> list[PerformanceRow]:
        params = query.params(self.tuning.page_size)
        params.pop("limit")
        started = await self._call("POST", f"{act(account.platform_account_id)}/insights", account, params)
        run_id = str(started.get("report_run_id") or started.get("id") or "")
        if not run_id:
            raise PlatformError(ErrorKind.TRANSIENT, "Meta did not start the report; ADLY will try again.")
        for poll in range(self.tuning.report_polls):
            if poll:
                await self.sleep(self.tuning.poll_interval)
            run = await self._call("GET", run_id, account, {"fields": RUN_FIELDS})
            status = run.get("async_status")
            if status == DONE and percent(run.get("async_percent_completion")) >= 100:
                return await self._pages(account, f"{run_id}/insights", query, {"limit": str(self.tuning.page_size)})
            if status in FAILED:
                if str(run.get("error_subcode")) == TOO_MUCH_DATA:
                    raise TooMuchData
                raise PlatformError(ErrorKind.TRANSIENT, str(run.get("error_user_msg") or run.get("error_message")
                                    or f"Meta's report run ended with {status}; ADLY will try again."),
                                    code=str(run["error_code"]) if run.get("error_code") else None)
        raise PlatformError(ErrorKind.TRANSIENT, "Meta is still preparing the report; ADLY will try again.",
                            retry_after=self.tuning.poll_interval * self.tuning.report_polls)

    async def _pages(self, account: AccountAccess, path: str, query: Query,
                     params: dict[str, Any]) -> list[PerformanceRow]:
        """Every page, by the `after` cursor while Meta says there is a `next` (a URL in an answer
        never chooses the host the token is sent to)."""
        rows: list[PerformanceRow] = []
        params = dict(params)
        for _ in range(self.tuning.max_pages):
            page = await self._call("GET", path, account, params, decode=decode_page)
            rows += rows_of(page.data, query.level, query.hourly)
            if page.after is None:
                return rows
            params["after"] = page.after
        raise PlatformError(ErrorKind.TRANSIENT, f"Meta's report has more than {self.tuning.max_pages} pages; "
                            "ADLY reads it again in smaller parts.")

    async def _call(self, method: str, path: str, account: AccountAccess, params: dict[str, Any], *,
                    decode: Callable[[bytes], Any] | None = None) -> Any:
        """One call, retried while throttled or intermittent within the bounds; Meta's "too much
        data" and timeouts leave as `TooMuchData` for the caller to go async or split. With
        `decode` (a page of insights), what it reads is the answer."""
        backoff = self.tuning.backoff
        for attempt in range(1, self.tuning.attempts + 1):
            try:
                if method == "POST":
                    body = await self.graph.post(path, account.token, params, account=account.platform_account_id)
                else:
                    body = await self.graph.get(path, account.token, params, account=account.platform_account_id,
                                                decode=decode)
            except PlatformError as error:
                if _is_too_much(error):
                    raise TooMuchData from None
                wait = error.retry_after if error.kind is ErrorKind.THROTTLED else backoff
                if (not error.retryable or attempt == self.tuning.attempts
                        or (wait or 0) > self.graph.settings.max_wait_seconds):
                    raise
                backoff *= 2
                await self.sleep(wait or 0)
                continue
            if decode is None and not isinstance(body, dict):
                raise PlatformError(ErrorKind.TRANSIENT, "Meta's report answer could not be read; ADLY will try again.")
            return body
        raise AssertionError("unreachable")


def _first_refusal(failed: BaseExceptionGroup) -> BaseException:
    """The first `PlatformError` inside (task groups wrap what their tasks raised)."""
    for error in failed.exceptions:
        if isinstance(error, BaseExceptionGroup):
            return _first_refusal(error)
        if isinstance(error, PlatformError):
            return error
    return failed.exceptions[0]
