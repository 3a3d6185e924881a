"""Meta's insights rows, normalised, and the pace of the Insights API (reports.py is the reader).

`rows_of` turns a page of insights into `PerformanceRow`s: every number arrives as a string;
spend is in the account currency's major units; purchases come from `actions` /
`action_values`, where several action types report the SAME purchases, so ONE type is read by
the precedence of `PURCHASE_TYPES` (reports.py says where that was checked), never a sum.

`InsightsGovernor` is the graph's usage governor (usage.py) also slowed by the insights header
`x-fb-ads-insights-throttle` ({"app_id_util_pct", "acc_id_util_pct"}, percent; key names
UNVERIFIED beyond third-party rate limiters), so a pull slows before Meta refuses it.

Pages are parsed with Python's cyclic collector left on. It used to be paused around each page's
read and parse (a process-wide side effect, across an await); measured on the bench (1,000 ads x
30 days, 38,100 rows) the pause saved 5-10 ms of client CPU per 1,000 rows (24-27 ms with it,
30-36 ms without) and little wall time (2.31 s against 2.40 s, 16.5k against 15.9k rows/s, in a quick run; 24.8k
rows/s in a full run without it, 26k before with it), not enough to justify turning the collector
off for every other coroutine of the service while a page is on the wire.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from typing import Any

from adly_campaigns.adapters.meta.client import MetaGraph
from adly_campaigns.adapters.meta.usage import APP, Usage, UsageGovernor
from adly_campaigns.domain.ports import ErrorKind, PerformanceRow, PlatformError
from adly_events.contracts.campaigns import PerformanceLevel

PURCHASE_TYPES = ("omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase", "onsite_web_purchase",
                  "onsite_web_app_purchase")
_PURCHASES = frozenset(PURCHASE_TYPES)
_kind_of = itemgetter("action_type")
HOURLY = "hourly_stats_aggregated_by_advertiser_time_zone"
INSIGHTS_HEADER = "x-fb-ads-insights-throttle"
METRICS = "impressions,clicks,spend,actions,action_values"
LEVELS: dict[str, tuple[PerformanceLevel, str, str]] = {
    "campaign": (PerformanceLevel.CAMPAIGN, "campaign_id", f"campaign_id,reach,{METRICS}"),
    "adset": (PerformanceLevel.AD_SET, "adset_id", f"campaign_id,adset_id,reach,{METRICS}"),
    "ad": (PerformanceLevel.AD, "ad_id", f"campaign_id,adset_id,ad_id,reach,{METRICS}"),
}
ZERO = Decimal(0)


def _headers_json(headers: Mapping[str, str], name: str) -> Any:
    raw = headers.get(name)
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def percent(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


class InsightsGovernor(UsageGovernor):
    """The usage governor, also slowed by the insights header's account and app percentages."""

    def observe(self, account: str | None, headers: Mapping[str, str]) -> None:
        super().observe(account, headers)
        throttle = _headers_json(headers, INSIGHTS_HEADER)
        if not isinstance(throttle, dict):
            return
        now = self.clock()
        for key, name in ((account, "acc_id_util_pct"), (APP, "app_id_util_pct")):
            share = percent(throttle.get(name))
            seen = self.latest.get(key) if key is not None else None
            if key is not None and (seen is None or share > seen.percent):
                self.latest[key] = Usage(share, seen.wait if seen else 0.0, seen.blocked if seen else False, now)


def watch_insights_throttle(graph: MetaGraph) -> None:
    """Make the graph's governor an `InsightsGovernor`, keeping what it has seen (the publisher
    and the account link share the graph; the insights header only comes on insights answers)."""
    current = graph.governor
    if isinstance(current, InsightsGovernor):
        return
    governor = InsightsGovernor(threshold=current.threshold, max_wait=current.max_wait,
                                default_wait=current.default_wait, clock=current.clock, sleep=current.sleep)
    governor.latest = current.latest
    graph.governor = governor


def purchase(entries: Any, prefer: str | None = None) -> tuple[str | None, Decimal]:
    """The purchases in an `actions` (or `action_values`) list: ONE type's figure, `prefer` if listed."""
    if not entries:
        return None, ZERO
    kinds = list(map(_kind_of, entries))
    if _PURCHASES.isdisjoint(kinds):
        return None, ZERO
    for kind in (prefer, *PURCHASE_TYPES) if prefer else PURCHASE_TYPES:
        if kind in kinds:
            return kind, Decimal(entries[kinds.index(kind)].get("value") or 0)
    return None, ZERO


def rows_of(data: Sequence[dict[str, Any]], level: str, hourly: bool) -> list[PerformanceRow]:
    """One page of insights, normalised. The hot path (a pull is tens of thousands of rows): plain
    dict reads, no validation layer, and PerformanceRow's fields by position, in its declared order."""
    kind, id_key, _ = LEVELS[level]
    days: dict[str, date] = {}
    rows: list[PerformanceRow] = []
    append = rows.append
    try:
        for item in data:
            text = item["date_start"]
            day = days.get(text)
            if day is None:
                day = days[text] = date.fromisoformat(text)
            chosen, conversions = purchase(item.get("actions"))
            value = purchase(item.get("action_values"), chosen)[1] if chosen else ZERO
            reach = item.get("reach")
            append(PerformanceRow(kind, item["campaign_id"], item[id_key], day, int(item[HOURLY][:2]) if hourly else None,
                                  int(item.get("impressions") or 0), int(item.get("clicks") or 0),
                                  Decimal(item.get("spend") or 0), conversions, value,
                                  None if reach is None else int(reach)))
    except (KeyError, TypeError, ValueError, InvalidOperation, AttributeError) as error:
        raise PlatformError(ErrorKind.TRANSIENT, f"Meta's report could not be read ({error!r}); "
                            "ADLY will try again.") from None
    return rows
