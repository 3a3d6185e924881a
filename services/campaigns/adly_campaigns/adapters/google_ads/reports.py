"""Google's side of `PerformanceReader`: GAQL over campaign, ad_group and ad_group_ad.

Per day (`segments.date`, the customer's time zone) at the three levels, plus per hour of
`hourly_day` (`segments.hour`) at the campaign level, through `googleAds:search` pages (or
`searchStream` when `stream_reports` is set); both are read to the end. Units, exactly:
`metrics.cost_micros` is an int64 sent as a string, in micros of the account's currency;
impressions and clicks are int64 strings; `metrics.conversions` and
`metrics.conversions_value` are doubles, the value in currency units (not micros); a zero
figure is left out of the row altogether, and so is hour 0 (an int32 at its default): a row of
the hourly query without `segments.hour` is midnight's. Ids: the campaign's and ad group's own, and an
ad's `{ad group id}~{ad id}` as the publisher recorded it. The queries of a pull run
`CONCURRENT_QUERIES` at a time; rows come back in the order the queries were asked for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

from adly_campaigns.adapters.google_ads.client import GoogleAdsApi, number
from adly_campaigns.adapters.google_ads.settings import digits
from adly_campaigns.domain.money import iso_decimals
from adly_campaigns.domain.ports import AccountAccess, PerformanceRow
from adly_events.contracts.campaigns import PerformanceLevel
from adly_events.contracts.common import AdPlatform

METRICS = "metrics.impressions, metrics.clicks, metrics.cost_micros, metrics.conversions, metrics.conversions_value"
LEVELS = ((PerformanceLevel.CAMPAIGN, "campaign", "campaign.id"),
          (PerformanceLevel.AD_SET, "ad_group", "campaign.id, ad_group.id"),
          (PerformanceLevel.AD, "ad_group_ad", "campaign.id, ad_group.id, ad_group_ad.ad.id"))
CAMPAIGNS_PER_QUERY = 500
CONCURRENT_QUERIES = 4   # queries in flight at once per pull
T = TypeVar("T")


def decimal(value: Any) -> Decimal:
    """A double as Google sends it (a JSON number), exactly as written, or absent (zero)."""
    if value in (None, ""):
        return Decimal(0)
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))


def spend_of(micros: int, decimals: int) -> Decimal:
    """Micros as major units with the currency's decimals when exact (49.90), else all six:
    what domain.money.from_platform_units answers, without building a Money per row."""
    scale = 10 ** (6 - decimals)
    return Decimal(micros // scale).scaleb(-decimals) if micros % scale == 0 else Decimal(micros).scaleb(-6)


def row_of(level: PerformanceLevel, row: dict[str, Any], currency: str, hourly: bool = False) -> PerformanceRow | None:
    campaign = str((row.get("campaign") or {}).get("id") or "")
    segments, metrics = row.get("segments") or {}, row.get("metrics") or {}
    if not campaign or not segments.get("date"):
        return None
    if level is PerformanceLevel.CAMPAIGN:
        object_id = campaign
    elif level is PerformanceLevel.AD_SET:
        object_id = str((row.get("adGroup") or {}).get("id") or "")
    else:
        ad = ((row.get("adGroupAd") or {}).get("ad") or {}).get("id")
        group = (row.get("adGroup") or {}).get("id")
        object_id = f"{group}~{ad}" if ad and group else ""
    if not object_id:
        return None
    hour = number(segments.get("hour")) if hourly else None
    # positional, in PerformanceRow's field order (level, campaign, object, day, hour, impressions, clicks,
    # spend, conversions, conversion_value): the keyword form costs more per row
    return PerformanceRow(
        level, campaign, object_id, day_of(str(segments["date"])), hour,
        number(metrics.get("impressions")), number(metrics.get("clicks")),
        spend_of(number(metrics.get("costMicros")), iso_decimals(currency)),
        decimal(metrics.get("conversions")), decimal(metrics.get("conversionsValue")))


@lru_cache(maxsize=4096)
def day_of(text: str) -> date:
    """`segments.date`: a report repeats the same few days on every row."""
    return date.fromisoformat(text)


class GoogleAdsReports:
    platform = AdPlatform.GOOGLE_ADS

    def __init__(self, api: GoogleAdsApi) -> None:
        self.api = api

    async def performance(self, account: AccountAccess, platform_campaign_ids: Sequence[str], since: date,
                          until: date, *, hourly_day: date | None = None) -> list[PerformanceRow]:
        ids = [digits(c) for c in platform_campaign_ids if digits(c)]
        asks: list[tuple[PerformanceLevel, str, bool]] = []
        for start in range(0, len(ids), CAMPAIGNS_PER_QUERY):
            chunk = ", ".join(ids[start:start + CAMPAIGNS_PER_QUERY])
            days = f"segments.date BETWEEN '{since.isoformat()}' AND '{until.isoformat()}'"
            for level, resource, keys in LEVELS:
                asks.append((level, f"SELECT {keys}, segments.date, {METRICS} FROM {resource} "
                                    f"WHERE campaign.id IN ({chunk}) AND {days}", False))
            if hourly_day is not None:
                asks.append((PerformanceLevel.CAMPAIGN, f"SELECT campaign.id, segments.date, segments.hour, {METRICS} "
                                                        f"FROM campaign WHERE campaign.id IN ({chunk}) AND "
                                                        f"segments.date = '{hourly_day.isoformat()}'", True))
        # the queries are independent: a few at once (each one's pages in order), rows joined in the order asked
        limit = asyncio.Semaphore(CONCURRENT_QUERIES)

        async def one(level: PerformanceLevel, query: str, hourly: bool) -> list[PerformanceRow]:
            async with limit:
                return self._rows(level, await self._query(account, query), account.currency, hourly=hourly)

        found: list[PerformanceRow] = []
        for rows in await gather_all([one(*ask) for ask in asks]):
            found += rows
        return found

    async def _query(self, account: AccountAccess, query: str) -> list[dict[str, Any]]:
        if self.api.settings.stream_reports:
            return await self.api.stream(account.token, account.platform_account_id, query)
        return await self.api.rows(account.token, account.platform_account_id, query)

    @staticmethod
    def _rows(level: PerformanceLevel, rows: list[dict[str, Any]], currency: str,
              hourly: bool = False) -> list[PerformanceRow]:
        return [r for row in rows if (r := row_of(level, row, currency, hourly)) is not None]


async def gather_all(jobs: list[Coroutine[Any, Any, T]]) -> list[T]:
    """Every job's result in order; the first failure is raised as itself (not an ExceptionGroup)
    once the others are cancelled, so nothing keeps asking Google after a pull failed."""
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
