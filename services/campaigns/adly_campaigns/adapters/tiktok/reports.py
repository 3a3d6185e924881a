"""TikTok's side of `PerformanceReader`: `/report/integrated/get/` at three levels.

BASIC reports per data level (AUCTION_CAMPAIGN, AUCTION_ADGROUP, AUCTION_AD) with the
object's id and `stat_time_day` as dimensions, the campaign id as an attribute metric, and
`stat_time_hour` for the campaign level of `hourly_day`. Days are the advertiser's own (TikTok
reports in the account's time zone). Windows longer than `report_days` are asked for in
pieces, every page read (`page_info`), throttles waited out by the client. The reports of a
pull run `CONCURRENT_REPORTS` at a time (each one's pages in order); rows come back in the
order the reports were asked for, as when they ran one after another.

Units, exactly: every metric arrives as a string; `spend` is in the account currency's
major units; `complete_payment` counts purchases and `total_complete_payment_rate` is,
despite its name, their total value (INTEGRATIONS.md §6). A "-" (not available, e.g. reach
by the hour) reads as nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from adly_campaigns.adapters.tiktok.client import TikTokApi
from adly_campaigns.domain.ports import AccountAccess, PerformanceRow
from adly_events.contracts.campaigns import PerformanceLevel
from adly_events.contracts.common import AdPlatform

LEVELS = ((PerformanceLevel.CAMPAIGN, "AUCTION_CAMPAIGN", "campaign_id"),
          (PerformanceLevel.AD_SET, "AUCTION_ADGROUP", "adgroup_id"),
          (PerformanceLevel.AD, "AUCTION_AD", "ad_id"))
METRICS = ["spend", "impressions", "reach", "clicks", "complete_payment", "total_complete_payment_rate"]
IDS_PER_FILTER = 100
T = TypeVar("T")
CONCURRENT_REPORTS = 4   # report requests in flight at once per pull (each one's pages stay in order)
ZERO = Decimal(0)


def number(value: Any) -> Decimal | None:
    text = value if type(value) is str else str(value)
    try:
        return Decimal(text.replace(",", "") if "," in text else text)
    except (InvalidOperation, ValueError):
        return None


def count(value: Any) -> int:
    parsed = number(value)
    return int(parsed) if parsed is not None else 0


def row_of(level: PerformanceLevel, key: str, entry: dict[str, Any], hourly: bool) -> PerformanceRow | None:
    dimensions, metrics = entry.get("dimensions") or {}, entry.get("metrics") or {}
    moment_text = str(dimensions.get("stat_time_hour" if hourly else "stat_time_day") or "")
    object_id = str(dimensions.get(key) or "")
    moment = moment_of(moment_text)
    if moment is None:
        return None
    campaign_id = object_id if level is PerformanceLevel.CAMPAIGN else str(metrics.get("campaign_id") or "")
    if not object_id or not campaign_id:
        return None
    reach = number(metrics.get("reach"))
    # positional, in PerformanceRow's field order (level, campaign, object, day, hour, impressions, clicks,
    # spend, conversions, conversion_value, reach): the keyword form costs more per row
    return PerformanceRow(level, campaign_id, object_id, moment[0], moment[1] if hourly else None,
                          count(metrics.get("impressions")), count(metrics.get("clicks")),
                          number(metrics.get("spend")) or ZERO,
                          number(metrics.get("complete_payment")) or ZERO,
                          number(metrics.get("total_complete_payment_rate")) or ZERO,
                          int(reach) if reach is not None else None)


def moment_of(text: str) -> tuple[date, int] | None:
    """"YYYY-MM-DD HH:MM:SS" as its day and hour; sliced rather than strptime'd (per row, it shows)."""
    if len(text) != 19 or text[4] != "-" or text[7] != "-" or text[10] != " " or text[13] != ":" \
            or text[16] != ":":
        return None
    try:
        hour, minute, second = int(text[11:13]), int(text[14:16]), int(text[17:19])
        if not (0 <= hour < 24 and 0 <= minute < 60 and 0 <= second < 60):
            return None
        return date(int(text[0:4]), int(text[5:7]), int(text[8:10])), hour
    except ValueError:
        return None


def windows(since: date, until: date, days: int) -> list[tuple[date, date]]:
    found, start = [], since
    while start <= until:
        end = min(until, start + timedelta(days=days - 1))
        found.append((start, end))
        start = end + timedelta(days=1)
    return found


class TikTokReports:
    platform = AdPlatform.TIKTOK

    def __init__(self, api: TikTokApi) -> None:
        self.api = api

    async def performance(self, account: AccountAccess, platform_campaign_ids: Sequence[str], since: date,
                          until: date, *, hourly_day: date | None = None) -> list[PerformanceRow]:
        ids = list(dict.fromkeys(platform_campaign_ids))
        asks: list[tuple[list[str], PerformanceLevel, str, str, date, date, bool]] = []
        for start in range(0, len(ids), IDS_PER_FILTER):
            chunk = ids[start:start + IDS_PER_FILTER]
            for level, data_level, key in LEVELS:
                for first, last in windows(since, until, self.api.settings.report_days):
                    asks.append((chunk, level, data_level, key, first, last, False))
            if hourly_day is not None:
                asks.append((chunk, PerformanceLevel.CAMPAIGN, "AUCTION_CAMPAIGN", "campaign_id", hourly_day,
                             hourly_day, True))
        # the reports are independent: a few at once (TikTok limits requests per app and advertiser per
        # second, throttles are waited out by the client), their rows joined in the order asked
        limit = asyncio.Semaphore(CONCURRENT_REPORTS)

        async def one(ask: tuple[list[str], PerformanceLevel, str, str, date, date, bool]) -> list[PerformanceRow]:
            chunk, level, data_level, key, first, last, hourly = ask
            async with limit:
                return await self._report(account, chunk, level, data_level, key, first, last, hourly=hourly)

        rows: list[PerformanceRow] = []
        for found in await gather_all([one(ask) for ask in asks]):
            rows += found
        return rows

    async def _report(self, account: AccountAccess, campaign_ids: list[str], level: PerformanceLevel,
                      data_level: str, key: str, first: date, last: date, *, hourly: bool) -> list[PerformanceRow]:
        params = {"advertiser_id": account.platform_account_id, "report_type": "BASIC", "data_level": data_level,
                  "dimensions": [key, "stat_time_hour" if hourly else "stat_time_day"],
                  "metrics": METRICS + ([] if level is PerformanceLevel.CAMPAIGN else ["campaign_id"]),
                  "start_date": first.isoformat(), "end_date": last.isoformat(),
                  "filtering": [{"field_name": "campaign_ids", "filter_type": "IN",
                                 "filter_value": _json_list(campaign_ids)}]}
        found = []
        async for entry in self.api.pages("report/integrated/get", account.token, params,
                                          page_size=self.api.settings.report_page_size, max_pages=10_000):
            if (row := row_of(level, key, entry, hourly)) is not None:
                found.append(row)
        return found


async def gather_all(jobs: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Every job's result in order; the first failure is raised as itself (not an ExceptionGroup)
    once the others are cancelled, so nothing keeps asking the platform after a pull failed."""
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _json_list(values: list[str]) -> str:
    return "[" + ",".join(f'"{v}"' for v in values) + "]"
