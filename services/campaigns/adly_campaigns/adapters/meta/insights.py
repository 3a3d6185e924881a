"""Meta's insights rows, normalised, and the pace of the Insights API (reports.py is the reader).

`rows_of` turns a page of insights into `PerformanceRow`s: every number arrives as a string;
spend is in the account currency's major units; purchases come from `actions` /
`action_values`, where several action types report the SAME purchases, so ONE type is read by
the precedence of `PURCHASE_TYPES` (reports.py says where that was checked), never a sum.

`InsightsGovernor` is the graph's usage governor (usage.py) also slowed by the insights header
`x-fb-ads-insights-throttle` ({"app_id_util_pct", "acc_id_util_pct"}, percent; key names
UNVERIFIED beyond third-party rate limiters), so a pull slows before Meta refuses it.

A page is decoded by msgspec straight into the typed rows below (`PAGE`): only the fields ADLY
reads are built, numbers are converted from Meta's strings in C, and the rows are not tracked by
the cyclic collector; an action list stays raw bytes unless it names a purchase (`listed`). On
the bench (1,000 ads x 30 days, 38,300 rows, 1.3 KB a row as the fake spells Meta's actions,
`python -m bench.campaigns_performance --only meta`): orjson into dicts, then reading them, cost
37.7 ms of client CPU per 1,000 rows, much of it the collector walking the growing heap of
dicts; typed decoding, 21; raw action lists and PerformanceRow as a named tuple, 15-16.
A row whose number does not read answers which field (`$.data[3].impressions`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from typing import Any

import msgspec

from adly_campaigns.adapters.meta.client import MetaGraph
from adly_campaigns.adapters.meta.usage import APP, Usage, UsageGovernor
from adly_campaigns.domain.ports import ErrorKind, PerformanceRow, PlatformError
from adly_events.contracts.campaigns import PerformanceLevel

PURCHASE_TYPES = ("omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase", "onsite_web_purchase",
                  "onsite_web_app_purchase")
_PURCHASES = frozenset(PURCHASE_TYPES)
ZERO = Decimal(0)
HOURLY = "hourly_stats_aggregated_by_advertiser_time_zone"
INSIGHTS_HEADER = "x-fb-ads-insights-throttle"
METRICS = "impressions,clicks,spend,actions,action_values"
LEVELS: dict[str, tuple[PerformanceLevel, str, str]] = {
    "campaign": (PerformanceLevel.CAMPAIGN, "campaign_id", f"campaign_id,reach,{METRICS}"),
    "adset": (PerformanceLevel.AD_SET, "adset_id", f"campaign_id,adset_id,reach,{METRICS}"),
    "ad": (PerformanceLevel.AD, "ad_id", f"campaign_id,adset_id,ad_id,reach,{METRICS}"),
}


class Action(msgspec.Struct, gc=False):
    """One entry of `actions` / `action_values`: a type and its figure (a count or money), kept as
    Meta's string: a row lists a dozen types, and only the purchase is read as a number."""

    action_type: str
    value: str = "0"


NONE_LISTED = msgspec.Raw(b"[]")
ACTIONS = msgspec.json.Decoder(list[Action])


def listed(raw: msgspec.Raw) -> list[Action] | None:
    """An `actions` / `action_values` list, decoded only when it names a purchase: most rows'
    lists do not (engagement, clicks, views), and those are never built."""
    text = bytes(raw)
    return ACTIONS.decode(text) if b"purchase" in text else None


class InsightRow(msgspec.Struct, gc=False):
    """One insights row with the fields ADLY asks for; Meta's numeric strings read as numbers."""

    date_start: date
    campaign_id: str
    adset_id: str | None = None
    ad_id: str | None = None
    reach: int | None = None
    impressions: int = 0
    clicks: int = 0
    spend: Decimal = ZERO
    actions: msgspec.Raw = NONE_LISTED     # decoded only when it names a purchase (listed())
    action_values: msgspec.Raw = NONE_LISTED
    hourly_stats_aggregated_by_advertiser_time_zone: str | None = None


class Cursors(msgspec.Struct):
    after: str | None = None


class Paging(msgspec.Struct):
    cursors: Cursors | None = None
    next: str | None = None


class Page(msgspec.Struct):
    """An insights page, or Meta's error (`error` set, the rest left to the graph's classifier)."""

    data: list[InsightRow] = []
    paging: Paging | None = None
    error: dict[str, Any] | None = None

    @property
    def after(self) -> str | None:
        """The cursor of the next page, when Meta says there is one."""
        paging = self.paging
        if paging is None or not paging.next or paging.cursors is None:
            return None
        return paging.cursors.after or None


PAGE = msgspec.json.Decoder(Page, strict=False)   # strict=False: "123" reads as an int
_OBJECT_OF: dict[str, Any] = {"campaign": attrgetter("campaign_id"), "adset": attrgetter("adset_id"),
                              "ad": attrgetter("ad_id")}


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


def purchase(entries: Sequence[Action] | None, prefer: str | None = None) -> tuple[str | None, Decimal]:
    """The purchases in an `actions` (or `action_values`) list: ONE type's figure, `prefer` if listed."""
    if not entries:
        return None, ZERO
    kinds = [entry.action_type for entry in entries]
    if _PURCHASES.isdisjoint(kinds):
        return None, ZERO
    for kind in (prefer, *PURCHASE_TYPES) if prefer else PURCHASE_TYPES:
        if kind in kinds:
            return kind, Decimal(entries[kinds.index(kind)].value)
    return None, ZERO


def rows_of(data: Sequence[InsightRow], level: str, hourly: bool) -> list[PerformanceRow]:
    """One page of insights, normalised: PerformanceRow's fields by position, in its declared order
    (the hot path of a pull of tens of thousands of rows)."""
    kind, _, _ = LEVELS[level]
    object_of = _OBJECT_OF[level]
    rows: list[PerformanceRow] = []
    append = rows.append
    item: InsightRow | None = None
    try:
        for item in data:
            chosen, conversions = purchase(listed(item.actions))
            value = purchase(listed(item.action_values), chosen)[1] if chosen else ZERO
            hour = item.hourly_stats_aggregated_by_advertiser_time_zone
            append(PerformanceRow(kind, item.campaign_id, object_of(item), item.date_start,
                                  int(hour[:2]) if hourly else None,  # type: ignore[index]
                                  item.impressions, item.clicks, item.spend, conversions, value, item.reach))
    except (InvalidOperation, TypeError, ValueError, msgspec.ValidationError) as error:
        raise PlatformError(ErrorKind.TRANSIENT, f"Meta's report has a {level} row ADLY cannot read "
                            f"({error!r} in {item!r}); ADLY will try again."[:500]) from None
    if any(row.platform_object_id is None for row in rows):
        raise PlatformError(ErrorKind.TRANSIENT, f"Meta's report has a {level} row without its id; "
                            "ADLY will try again.")
    return rows


def decode_page(body: bytes) -> Page:
    """A page of insights, typed; a body that is not one is Meta's answer ADLY cannot read (retried)."""
    try:
        return PAGE.decode(body)
    except msgspec.ValidationError as error:
        raise PlatformError(ErrorKind.TRANSIENT, f"Meta's report could not be read ({error}); "
                            "ADLY will try again.") from None
    except msgspec.DecodeError:
        raise PlatformError(ErrorKind.TRANSIENT, "Meta's report answer is not JSON; ADLY will try again.") from None
