"""Snapchat's side of `PerformanceReader`: campaign, ad squad and ad figures per day, and the
campaign's per hour for one day, from the stats endpoints.

Per campaign and window of at most `stats_days_per_query` days: the campaign's own DAY
series, then the same query broken down by ad squad and by ad (`breakdown_stats`). DAY
windows start and end at midnight of the ad account's time zone, sent with that day's UTC
offset (Snap refuses any other start); each point is dated by its own start, read in the
account's zone. Money comes in micros of the account currency (spend and purchase value)
and leaves as decimals in major units; `swipes` are the clicks; purchases may be
fractional (attribution), so they stay decimals. Reach is not asked (Snap's uniques do not
add up over days).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
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
BREAKDOWNS = (("adsquad", PerformanceLevel.AD_SET), ("ad", PerformanceLevel.AD))
MICRO_QUANTUM = Decimal("0.000001")


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
    try:
        return Decimal(str(value)) if value is not None else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


@lru_cache(maxsize=64)
def _usual(currency: str) -> Decimal:
    return Decimal(1).scaleb(-iso_decimals(currency))


def money(micros: Any, currency: str) -> Decimal:
    """Micros of the account currency as major units, exactly (no float on the way), with the
    currency's usual decimals where that loses nothing: what domain/money.py's
    `from_platform_units` answers, without building a Money per figure (a report has many)."""
    amount = Decimal(int(_decimal(micros))).scaleb(-6)
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
        tz = zone(account.time_zone)
        found: list[PerformanceRow] = []
        for campaign_id in platform_campaign_ids:
            path = f"campaigns/{campaign_id}/stats"
            for first, last in windows(since, until, self.api.settings.stats_days_per_query):
                query = {"granularity": "DAY", "fields": FIELDS, "start_time": local_midnight(first, tz),
                         "end_time": local_midnight(last + timedelta(days=1), tz)}
                async for stat in self._stats(account, path, query):
                    found += self._rows(stat, PerformanceLevel.CAMPAIGN, campaign_id, account, hourly=False)
                for breakdown, level in BREAKDOWNS:
                    async for stat in self._stats(account, path, query | {"breakdown": breakdown}):
                        for entity in (stat.get("breakdown_stats") or {}).get(breakdown) or []:
                            if isinstance(entity, dict):
                                found += self._rows(entity, level, campaign_id, account, hourly=False)
            if hourly_day is not None:
                query = {"granularity": "HOUR", "fields": FIELDS, "start_time": local_midnight(hourly_day, tz),
                         "end_time": local_midnight(hourly_day + timedelta(days=1), tz)}
                async for stat in self._stats(account, path, query):
                    found += self._rows(stat, PerformanceLevel.CAMPAIGN, campaign_id, account, hourly=True)
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
              hourly: bool) -> list[PerformanceRow]:
        tz, currency = zone(account.time_zone), account.currency
        object_id = str(stat.get("id") or campaign_id)
        rows: list[PerformanceRow] = []
        for point in stat.get("timeseries") or []:
            stats = point.get("stats") if isinstance(point, dict) else None
            if not isinstance(stats, dict):
                continue
            try:
                starts = datetime.fromisoformat(str(point.get("start_time"))).astimezone(tz)
            except ValueError:
                continue
            rows.append(PerformanceRow(
                level=level, platform_campaign_id=campaign_id, platform_object_id=object_id, day=starts.date(),
                hour=starts.hour if hourly else None, impressions=int(_decimal(stats.get("impressions"))),
                clicks=int(_decimal(stats.get("swipes"))), spend=money(stats.get("spend"), currency),
                conversions=_decimal(stats.get("conversion_purchases")),
                conversion_value=money(stats.get("conversion_purchases_value"), currency)))
        return rows
