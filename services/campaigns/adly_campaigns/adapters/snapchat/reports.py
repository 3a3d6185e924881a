"""Snapchat's side of `PerformanceReader`: campaign, ad squad and ad figures per day, and the
campaign's per hour for one day, from the ad account's stats endpoint.

A pull reads the whole ad account in a few calls, not 4 per campaign (which Snap's 10
requests/s per token held to ~2.5 campaigns a second): per window of at most
`stats_days_per_query` days, `GET /adaccounts/{id}/stats?granularity=DAY&breakdown=campaign`,
then `breakdown=adsquad` and `breakdown=ad`; for the hourly day, `granularity=HOUR&breakdown=
campaign`. The account endpoint has no filter by campaign, so its rows are kept for the
campaigns asked only: an ad squad row carries its own id, an ad row its own, so the account's
ad squads (`campaign_id`) and ads (`ad_squad_id`) are listed once per pull to know their
campaign. An ad or ad squad created between that listing and its stats is left to the next pull.

Verified (search, docs corpus): developers.snap.com/api/marketing-api/Ads-API/measurement (the
request/response pattern, `timeseries_stats[].timeseries_stat.timeseries[]`, DAY/HOUR/TOTAL);
INTEGRATIONS.md §7 (`/adaccounts/{id}/stats`, `breakdown=campaign|adsquad|ad`); public connectors
(code corpus) asking `adaccounts/{id}/stats?granularity=DAY&breakdown=campaign|ad` and reading
`breakdown_stats`. UNVERIFIED: whether Snap pages an account's breakdown (the reader follows
`paging.next_link` if it does) and that `breakdown_stats.<breakdown>[]` keys match the per-entity
endpoints' (assumed, as the per-campaign breakdown answers).

DAY windows start and end at midnight of the ad account's time zone, sent with that day's UTC
offset (Snap refuses any other start); each point is dated by its own start, read in the
account's zone. Money comes in micros of the account currency (spend and purchase value)
and leaves as decimals in major units; `swipes` are the clicks; purchases may be
fractional (attribution), so they stay decimals. Reach is not asked (Snap's uniques do not
add up over days). Rows come in the order of the campaigns asked (each: days, ad squads,
ads, hours).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Sequence
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

import httpx

from adly_campaigns.adapters.snapchat.client import SnapchatApi, next_query, ok
from adly_campaigns.adapters.snapchat.settings import SnapchatSettings
from adly_campaigns.domain.money import iso_decimals
from adly_campaigns.domain.ports import AccountAccess, PerformanceRow
from adly_campaigns.domain.schedule import zone
from adly_events.contracts.campaigns import PerformanceLevel
from adly_events.contracts.common import AdPlatform

FIELDS = "impressions,swipes,spend,conversion_purchases,conversion_purchases_value"
LEVELS = (("campaign", PerformanceLevel.CAMPAIGN), ("adsquad", PerformanceLevel.AD_SET), ("ad", PerformanceLevel.AD))
MICRO_QUANTUM = Decimal("0.000001")
T = TypeVar("T")


def windows(since: date, until: date, days: int) -> Iterator[tuple[date, date]]:
    """[since, until] in consecutive inclusive pieces of at most `days` days."""
    start = since
    while start <= until:
        end = min(until, start + timedelta(days=days - 1))
        yield start, end
        start = end + timedelta(days=1)


def local_midnight(day: date, tz: ZoneInfo) -> str:
    return datetime.combine(day, clock_time.min, tz).isoformat(timespec="milliseconds")


def _decimal(value: Any) -> Decimal:
    if type(value) is int:
        return Decimal(value)
    try:
        return Decimal(str(value)) if value is not None else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def _count(value: Any) -> int:
    return value if type(value) is int else int(_decimal(value))


@lru_cache(maxsize=64)
def _usual(currency: str) -> Decimal:
    return Decimal(1).scaleb(-iso_decimals(currency))


def money(micros: Any, currency: str) -> Decimal:
    """Micros of the account currency as major units, exactly (no float on the way), with the
    currency's usual decimals where that loses nothing: what domain/money.py's
    `from_platform_units` answers, without building a Money per figure (a report has many)."""
    amount = Decimal(_count(micros)).scaleb(-6)
    usual = amount.quantize(_usual(currency))
    return usual if usual == amount else amount.quantize(MICRO_QUANTUM)


class SnapchatReports:
    platform = AdPlatform.SNAPCHAT

    def __init__(self, settings: SnapchatSettings, http: httpx.AsyncClient | None = None, *,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 api: SnapchatApi | None = None) -> None:
        self._owns_api = api is None
        self.api = api or SnapchatApi(settings, http, clock=clock, sleep=sleep)

    async def aclose(self) -> None:
        if self._owns_api:
            await self.api.aclose()

    async def performance(self, account: AccountAccess, platform_campaign_ids: Sequence[str], since: date,
                          until: date, *, hourly_day: date | None = None) -> list[PerformanceRow]:
        asked = list(dict.fromkeys(platform_campaign_ids))
        if not asked:
            return []
        tz = zone(account.time_zone)
        moments: dict[str, tuple[date, int] | None] = {}   # a point's start_time, read once per pull
        path = f"adaccounts/{account.platform_account_id}/stats"
        queries: list[tuple[dict[str, Any], PerformanceLevel, bool]] = []
        for first, last in windows(since, until, self.api.settings.stats_days_per_query):
            day = {"granularity": "DAY", "fields": FIELDS, "start_time": local_midnight(first, tz),
                   "end_time": local_midnight(last + timedelta(days=1), tz)}
            queries += [(day | {"breakdown": breakdown}, level, False) for breakdown, level in LEVELS]
        if hourly_day is not None:
            queries.append(({"granularity": "HOUR", "fields": FIELDS, "breakdown": "campaign",
                             "start_time": local_midnight(hourly_day, tz),
                             "end_time": local_midnight(hourly_day + timedelta(days=1), tz)},
                            PerformanceLevel.CAMPAIGN, True))

        async def read(query: dict[str, Any], level: PerformanceLevel, hourly: bool
                       ) -> list[tuple[str, dict[str, Any], PerformanceLevel, bool]]:
            found = []
            async for stat in self._stats(account, path, query):
                for entity in (stat.get("breakdown_stats") or {}).get(query["breakdown"]) or []:
                    if isinstance(entity, dict) and entity.get("id"):
                        found.append((str(entity["id"]), entity, level, hourly))
            return found

        results: list[Any] = await gather_all([self._parents(account, "adsquads", "adsquad", "campaign_id"),
                                                self._parents(account, "ads", "ad", "ad_squad_id"),
                                                *(read(*q) for q in queries)])
        squads, ads = cast(dict[str, str], results[0]), cast(dict[str, str], results[1])
        answers = cast(list[list[tuple[str, dict[str, Any], PerformanceLevel, bool]]], results[2:])
        campaign_of = {PerformanceLevel.AD_SET: squads,
                       PerformanceLevel.AD: {ad: squads.get(squad, "") for ad, squad in ads.items()}}
        by_campaign: dict[str, list[PerformanceRow]] = {c: [] for c in asked}
        for answer in answers:
            for object_id, entity, level, hourly in answer:
                campaign = object_id if level is PerformanceLevel.CAMPAIGN else campaign_of[level].get(object_id)
                rows = by_campaign.get(campaign or "")
                if rows is not None and campaign:
                    rows += self._rows(entity, level, campaign, account, hourly, moments)
        return [row for campaign in asked for row in by_campaign[campaign]]

    async def _parents(self, account: AccountAccess, plural: str, singular: str, link: str) -> dict[str, str]:
        """The account's ad squads (or ads) and the campaign (or ad squad) each belongs to."""
        found: dict[str, str] = {}
        async for entity in self.api.rows(f"adaccounts/{account.platform_account_id}/{plural}", account.token,
                                          plural, singular):
            if entity.get("id") and entity.get(link):
                found[str(entity["id"])] = str(entity[link])
        return found

    async def _stats(self, account: AccountAccess, path: str, query: dict[str, Any]
                     ) -> AsyncIterator[dict[str, Any]]:
        """Each `timeseries_stat` of the answer, its pages followed."""
        params: dict[str, Any] | None = query
        for _ in range(self.api.settings.max_pages):
            body = await self.api.get(path, account.token, params)
            for entry in body.get("timeseries_stats") or []:
                if isinstance(entry, dict) and ok(entry.get("sub_request_status")) and \
                        isinstance(entry.get("timeseries_stat"), dict):
                    yield entry["timeseries_stat"]
            following = next_query(body)
            if following is None:
                return
            params = query | following

    def _rows(self, stat: dict[str, Any], level: PerformanceLevel, campaign_id: str, account: AccountAccess,
              hourly: bool, moments: dict[str, tuple[date, int] | None] | None = None) -> list[PerformanceRow]:
        tz, currency = zone(account.time_zone), account.currency
        moments = {} if moments is None else moments
        object_id = str(stat.get("id") or campaign_id)
        rows: list[PerformanceRow] = []
        for point in stat.get("timeseries") or []:
            stats = point.get("stats") if isinstance(point, dict) else None
            if not isinstance(stats, dict):
                continue
            text = str(point.get("start_time"))
            if text in moments:
                moment = moments[text]
            else:  # every ad's points start at the same few moments: each is read once
                try:
                    starts = datetime.fromisoformat(text).astimezone(tz)
                    moment = moments[text] = (starts.date(), starts.hour)
                except ValueError:
                    moment = moments[text] = None
            if moment is None:
                continue
            # positional, in PerformanceRow's field order (level, campaign, object, day, hour, impressions,
            # clicks, spend, conversions, conversion_value): the keyword form costs more per row
            rows.append(PerformanceRow(
                level, campaign_id, object_id, moment[0], moment[1] if hourly else None,
                _count(stats.get("impressions")), _count(stats.get("swipes")), money(stats.get("spend"), currency),
                _decimal(stats.get("conversion_purchases")),
                money(stats.get("conversion_purchases_value"), currency)))
        return rows


async def gather_all(jobs: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Every job's result in order; the first failure is raised as itself (not an ExceptionGroup)
    once the others are cancelled, so nothing keeps asking Snap after a pull failed."""
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
