"""TikTok's side of `PerformanceReader`: `/report/integrated/get/` at three levels.

BASIC reports per data level (AUCTION_CAMPAIGN, AUCTION_ADGROUP, AUCTION_AD) with the
object's id and `stat_time_day` as dimensions, the campaign id as an attribute metric, and
`stat_time_hour` for the campaign level of `hourly_day`. Days are the advertiser's own (TikTok
reports in the account's time zone). Windows longer than `report_days` are asked for in
pieces, every page read (`page_info`), throttles waited out by the client.

Units, exactly: every metric arrives as a string; `spend` is in the account currency's
major units; `complete_payment` counts purchases and `total_complete_payment_rate` is,
despite its name, their total value (INTEGRATIONS.md §6). A "-" (not available, e.g. reach
by the hour) reads as nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from adly_campaigns.adapters.tiktok.client import TikTokApi
from adly_campaigns.domain.ports import AccountAccess, PerformanceRow
from adly_events.contracts.campaigns import PerformanceLevel
from adly_events.contracts.common import AdPlatform

LEVELS = ((PerformanceLevel.CAMPAIGN, "AUCTION_CAMPAIGN", "campaign_id"),
          (PerformanceLevel.AD_SET, "AUCTION_ADGROUP", "adgroup_id"),
          (PerformanceLevel.AD, "AUCTION_AD", "ad_id"))
METRICS = ["spend", "impressions", "reach", "clicks", "complete_payment", "total_complete_payment_rate"]
IDS_PER_FILTER = 100


def number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value).replace(",", ""))
    except (InvalidOperation, ValueError):
        return None


def count(value: Any) -> int:
    parsed = number(value)
    return int(parsed) if parsed is not None else 0


def row_of(level: PerformanceLevel, key: str, entry: dict[str, Any], hourly: bool) -> PerformanceRow | None:
    dimensions, metrics = entry.get("dimensions") or {}, entry.get("metrics") or {}
    moment_text = str(dimensions.get("stat_time_hour" if hourly else "stat_time_day") or "")
    object_id = str(dimensions.get(key) or "")
    try:
        moment = datetime.strptime(moment_text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    campaign_id = object_id if level is PerformanceLevel.CAMPAIGN else str(metrics.get("campaign_id") or "")
    if not object_id or not campaign_id:
        return None
    reach = number(metrics.get("reach"))
    return PerformanceRow(level=level, platform_campaign_id=campaign_id, platform_object_id=object_id,
                          day=moment.date(), hour=moment.hour if hourly else None,
                          impressions=count(metrics.get("impressions")), clicks=count(metrics.get("clicks")),
                          spend=number(metrics.get("spend")) or Decimal(0),
                          conversions=number(metrics.get("complete_payment")) or Decimal(0),
                          conversion_value=number(metrics.get("total_complete_payment_rate")) or Decimal(0),
                          reach=int(reach) if reach is not None else None)


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
        rows: list[PerformanceRow] = []
        ids = list(dict.fromkeys(platform_campaign_ids))
        for start in range(0, len(ids), IDS_PER_FILTER):
            chunk = ids[start:start + IDS_PER_FILTER]
            for level, data_level, key in LEVELS:
                for first, last in windows(since, until, self.api.settings.report_days):
                    rows += await self._report(account, chunk, level, data_level, key, first, last, hourly=False)
            if hourly_day is not None:
                rows += await self._report(account, chunk, PerformanceLevel.CAMPAIGN, "AUCTION_CAMPAIGN",
                                           "campaign_id", hourly_day, hourly_day, hourly=True)
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


def _json_list(values: list[str]) -> str:
    return "[" + ",".join(f'"{v}"' for v in values) + "]"
