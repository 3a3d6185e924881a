"""The fake Meta's Insights API (tests/fakes/meta.py routes `/insights` and report runs here).

- `GET /act_{id}/insights` (and `/{campaign|adset|ad id}/insights`) with `level` campaign |
  adset | ad, `fields`, `time_range` {"since","until"}, `time_increment` 1 (per day) or
  all_days, `filtering` on campaign.id / adset.id / ad.id (IN, NOT_IN, EQUAL), `breakdowns`
  hourly_stats_aggregated_by_advertiser_time_zone ("13:00:00 - 13:59:59"), `limit` and an
  opaque `after` cursor over a snapshot taken at the first page (`paging.next` is a real URL).
  Every number is a string; `actions` / `action_values` list the same purchases under four
  action types (offsite_conversion.fb_pixel_purchase, omni_purchase, onsite_web_purchase,
  purchase) with equal values, among engagement, link clicks, landing page views and the
  view / add-to-cart / checkout families (about 16 types, as a real shop's rows carry); rows
  without impressions are left out, as Meta does; reach is not reported per hour.
- Async: `POST /act_{id}/insights` answers {"report_run_id"}; `GET /{run}` reads "Job Not
  Started", then "Job Running" with a growing `async_percent_completion`, and "Job Completed"
  (100) at the `report_polls`-th read; `GET /{run}/insights` pages its rows.
- A sync query of more than `max_sync_rows` rows is refused with 100/1487534 (too much data);
  a job of more than `max_async_rows` fails with that error in its error fields.
- `x-fb-ads-insights-throttle` on every insights answer: `set_throttle(acc_pct, app_pct)`.

Figures: per ad and day, a deterministic function of (`seed`, ad id, day, revision), from the
day the ad was created (less `history_days`; `seed_delivery`'s ads have every past day): a
complete day is fixed; today grows with the fake's `clock` along an hourly curve (quiet
nights, busy evenings), so per-hour figures add up to the day exactly. `restate(day)` bumps a
past day's revision (Meta restating late conversions): its figures change. Adset and
campaign rows are sums of their ads (reach: 90 % of the sum, as audiences overlap).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import orjson

HOURLY = "hourly_stats_aggregated_by_advertiser_time_zone"
INSIGHTS_HEADER = "x-fb-ads-insights-throttle"
LEVEL_KEYS = {"campaign": "campaign_id", "adset": "adset_id", "ad": "id"}
FILTER_KEYS = {"campaign.id": "campaign_id", "adset.id": "adset_id", "ad.id": "id"}
# the same purchases under four types (never to be summed), in no particular order, as Meta lists them
PURCHASE_TYPES = ("offsite_conversion.fb_pixel_purchase", "omni_purchase", "onsite_web_purchase", "purchase")
VIEW_TYPES = ("view_content", "omni_view_content", "offsite_conversion.fb_pixel_view_content")
CART_TYPES = ("add_to_cart", "omni_add_to_cart", "offsite_conversion.fb_pixel_add_to_cart")
CHECKOUT_TYPES = ("initiate_checkout", "offsite_conversion.fb_pixel_initiate_checkout")
# hour weights of a day, in thousandths: quiet nights, busy evenings
WEIGHTS = (10, 6, 4, 3, 3, 5, 12, 22, 34, 42, 48, 52, 55, 52, 50, 50, 54, 60, 70, 82, 92, 90, 70, 34)
CUMULATIVE = tuple(itertools.accumulate(WEIGHTS, initial=0))
assert CUMULATIVE[-1] == 1000
# impressions, reach, clicks, spend (minor units), purchases, purchase value (minor units), add-to-carts
Figures = tuple[int, int, int, int, int, int, int]
NOTHING: Figures = (0, 0, 0, 0, 0, 0, 0)


def share(amount: int, hours: float) -> int:
    """What of a day's `amount` has happened `hours` into the day, along the curve."""
    if hours >= 24:
        return amount
    whole = int(hours)
    return int(amount * (CUMULATIVE[whole] + WEIGHTS[whole] * (hours - whole)) / 1000)


def part(full: Figures, start: float, end: float) -> Figures:
    """A day's figures between two moments of it (hours); the purchase value follows the purchases
    at the day's basket, so value never comes without a purchase."""
    if start <= 0 and end >= 24:
        return full
    counts = [share(x, end) - share(x, start) for x in full]
    counts[5] = counts[4] * (full[5] // full[4]) if full[4] else 0
    return tuple(counts)  # type: ignore[return-value]


def money(minor: int) -> str:
    """Meta's spelling of an amount: "12.5", "12", "12.05"."""
    whole, cents = divmod(minor, 100)
    return str(whole) if not cents else f"{whole}.{cents:02d}".rstrip("0")


def encode(body: Any) -> bytes:
    """A Graph answer's JSON (orjson: insights pages are large; the stdlib for anything it refuses)."""
    try:
        return orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return json.dumps(body, ensure_ascii=False).encode()


def _cursor(snapshot: int, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{snapshot}:{offset}".encode()).decode()


class MetaInsights:
    def __init__(self, fake: Any, *, seed: int = 11, clock: Callable[[], float] = time.time, report_polls: int = 2,
                 max_sync_rows: int | None = None, max_async_rows: int | None = None, page_cap: int = 500) -> None:
        self.fake, self.seed, self.clock = fake, seed, clock
        self.report_polls, self.max_sync_rows, self.max_async_rows = report_polls, max_sync_rows, max_async_rows
        self.page_cap = page_cap
        self.history_days = 0       # an ad published now delivers from today; the sandbox may give it a past
        self.throttle = (3.0, 2.0)  # account, app percent
        self.revisions: dict[tuple[str | None, date], int] = {}
        self.snapshots: dict[int, list[dict[str, Any]]] = {}
        self._cache: dict[tuple[str, date, int], Figures] = {}
        self._rendered: dict[Any, dict[str, Any]] = {}  # rows of complete days and hours, until a restatement
        self._epoch = 0
        self._snapshot_ids = itertools.count(1)
        self._runs = itertools.count(6120000000001)

    # --- knobs ------------------------------------------------------------------------------

    def restate(self, day: date, ad_id: str | None = None) -> None:
        """Meta restates `day` (for one ad, or all): its figures change from the next read on."""
        key = (ad_id, day)
        self.revisions[key] = self.revisions.get(key, 0) + 1
        self._epoch += 1

    def set_throttle(self, account_percent: float, app_percent: float = 2.0) -> None:
        self.throttle = (account_percent, app_percent)

    def header(self) -> str:
        account, app = self.throttle
        return (f'{{"app_id_util_pct": {app}, "acc_id_util_pct": {account}, '
                '"ads_api_access_tier": "standard_access"}')

    def today(self, time_zone: str) -> tuple[date, float]:
        """The account's day now, and the hours gone in it."""
        now = datetime.fromtimestamp(self.clock(), ZoneInfo(time_zone))
        return now.date(), now.hour + now.minute / 60 + now.second / 3600

    def figures(self, ad_id: str, day: date, time_zone: str = "Asia/Riyadh", hour: int | None = None) -> Figures:
        """The truth a test compares with: one ad's figures for a day (or one hour of it), as now."""
        today, gone = self.today(time_zone)
        if day > today or day < self.first_day(self.fake.objects[ad_id], time_zone):
            return NOTHING
        full = self._full(ad_id, day)
        upto = gone if day == today else 24.0
        if hour is None:
            return part(full, 0, upto)
        return NOTHING if hour >= upto else part(full, hour, min(hour + 1, upto))

    def first_day(self, ad: dict[str, Any], time_zone: str) -> date:
        """The day an ad starts delivering: its creation's, less `history_days` (kept on the ad)."""
        first = ad.get("_from")
        if first is None:
            created = datetime.strptime(ad["created_time"], "%Y-%m-%dT%H:%M:%S%z").astimezone(ZoneInfo(time_zone))
            first = ad["_from"] = created.date() - timedelta(days=self.history_days)
        return first

    def _full(self, ad_id: str, day: date) -> Figures:
        revision = self.revisions.get((ad_id, day), 0) + self.revisions.get((None, day), 0)
        key = (ad_id, day, revision)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        digest = hashlib.blake2b(f"{self.seed}|{ad_id}|{day.isoformat()}|{revision}".encode(), digest_size=16).digest()
        h = int.from_bytes(digest, "big")
        impressions = 400 + h % 4600
        clicks = impressions * (8 + (h >> 16) % 33) // 1000            # 0.8 - 4 % click-through
        spend = impressions * (900 + (h >> 24) % 2100) // 1000         # 9 - 30 per thousand impressions
        purchases = clicks * ((h >> 36) % 70) // 1000                  # 0 - 7 % of clicks
        value = purchases * (4_990 + (h >> 44) % 35_000)               # 49.90 - 399.90 a basket
        reach = impressions * (600 + (h >> 60) % 300) // 1000
        carts = purchases + clicks * ((h >> 72) % 40) // 1000
        figures = (impressions, reach, clicks, spend, purchases, value, carts)
        self._cache[key] = figures
        return figures

    def seed_delivery(self, account_id: str, *, campaigns: int, ad_sets_per_campaign: int = 1, ads_per_ad_set: int = 10,
                      prefix: str = "Seeded") -> list[str]:
        """Live campaigns with ad sets and approved ads, straight into the fake (no publishing): the
        campaign ids. Every ad has figures for every day up to now."""
        fake = self.fake
        account = fake.accounts[account_id]
        campaign_ids = []
        with fake._lock:
            for c in range(1, campaigns + 1):
                campaign = fake._store("campaign", account, {
                    "name": f"{prefix} campaign {c}", "objective": "OUTCOME_SALES", "status": "ACTIVE",
                    "special_ad_categories": [], "buying_type": "AUCTION", "is_adset_budget_sharing_enabled": False})
                for s in range(1, ad_sets_per_campaign + 1):
                    ad_set = fake._store("ad_set", account, {
                        "name": f"{prefix} ad set {c}.{s}", "campaign_id": campaign["id"], "status": "ACTIVE",
                        "daily_budget": "10000", "billing_event": "IMPRESSIONS", "optimization_goal": "OFFSITE_CONVERSIONS"})
                    for a in range(1, ads_per_ad_set + 1):
                        fake._store("ad", account, {
                            "name": f"{prefix} ad {c}.{s}.{a}", "adset_id": ad_set["id"], "campaign_id": campaign["id"],
                            "creative": {"id": "0"}, "status": "ACTIVE", "_review": "approved", "_feedback": None,
                            "_from": date.min})
                campaign_ids.append(campaign["id"])
        return campaign_ids

    # --- the edge ---------------------------------------------------------------------------

    def concerns(self, rest: list[str]) -> bool:
        if len(rest) == 2 and rest[1] == "insights":
            return True
        return len(rest) == 1 and self.fake.objects.get(rest[0], {}).get("_kind") == "report_run"

    def serve(self, method: str, rest: list[str], params: dict[str, Any]) -> Any:
        from tests.fakes.meta import Refused, graph_error, invalid, missing

        owner = self.fake.objects.get(rest[0])
        if owner is not None and owner["_kind"] == "report_run":
            if method != "GET":
                raise invalid("Report runs cannot be changed")
            if len(rest) == 1:
                return self._status(owner)
            if owner["_polls"] < self.report_polls or owner.get("_error"):
                raise Refused(graph_error("(#100) The report is not ready yet", 100))
            return self._page(owner["_snapshot"], params, f"{owner['id']}/insights")
        account, scope = self._scope(rest[0], owner, missing)
        if method == "POST":
            return self._start(account, scope, params)
        if params.get("after"):
            return self._page(None, params, "/".join(rest))
        rows = self._rows(account, scope, params)
        if self.max_sync_rows is not None and len(rows) > self.max_sync_rows:
            raise Refused(graph_error("Please reduce the amount of data you're asking for, then retry your request",
                                      100, 1487534, title="Too much data",
                                      user_msg="Reduce the date range or the number of objects, or run it async."))
        return self._page(self._keep(rows), params, "/".join(rest))

    def _scope(self, head: str, owner: dict[str, Any] | None, missing: Any) -> tuple[Any, tuple[str, str] | None]:
        if head.startswith("act_"):
            return self.fake.accounts[head.removeprefix("act_")], None
        if owner is None or owner["_kind"] not in ("campaign", "ad_set", "ad"):
            raise missing(head)
        key = {"campaign": "campaign_id", "ad_set": "adset_id", "ad": "id"}[owner["_kind"]]
        return self.fake.accounts[owner["_account"]], (key, owner["id"])

    def _start(self, account: Any, scope: tuple[str, str] | None, params: dict[str, Any]) -> dict[str, Any]:
        rows = self._rows(account, scope, params)
        run_id = str(next(self._runs))
        error = None
        if self.max_async_rows is not None and len(rows) > self.max_async_rows:
            error = (100, 1487534, "Please reduce the amount of data you're asking for, then retry your request")
        self.fake.objects[run_id] = {"_kind": "report_run", "_account": account.account_id, "id": run_id,
                                     "_polls": 0, "_snapshot": self._keep(rows), "_error": error,
                                     "_range": params.get("time_range", "")}
        return {"report_run_id": run_id}

    def _status(self, run: dict[str, Any]) -> dict[str, Any]:
        run["_polls"] += 1
        done = run["_polls"] >= self.report_polls
        answer: dict[str, Any] = {"id": run["id"], "account_id": run["_account"], "time_ref": int(self.clock())}
        if run["_error"] and done:
            code, subcode, message = run["_error"]
            return answer | {"async_status": "Job Failed", "async_percent_completion": 0, "error_code": code,
                             "error_subcode": subcode, "error_message": message, "error_user_msg": message}
        if done:
            return answer | {"async_status": "Job Completed", "async_percent_completion": 100,
                             "time_completed": int(self.clock())}
        status = "Job Not Started" if run["_polls"] == 1 else "Job Running"
        return answer | {"async_status": status, "async_percent_completion": 100 * (run["_polls"] - 1) // self.report_polls}

    def _keep(self, rows: list[dict[str, Any]]) -> int:
        snapshot = next(self._snapshot_ids)
        self.snapshots[snapshot] = rows
        for old in [k for k in self.snapshots if k < snapshot - 64]:
            del self.snapshots[old]
        return snapshot

    def _page(self, snapshot: int | None, params: dict[str, Any], path: str) -> dict[str, Any]:
        from tests.fakes.meta import invalid

        offset = 0
        if params.get("after"):
            try:
                snapshot_text, offset_text = base64.urlsafe_b64decode(params["after"].encode()).decode().split(":")
                snapshot, offset = int(snapshot_text), int(offset_text)
            except ValueError:
                raise invalid("Invalid cursor", "after") from None
        rows = self.snapshots.get(snapshot or 0)
        if rows is None:
            raise invalid("The cursor has expired; run the query again", "after")
        limit = max(1, min(int(params.get("limit", 25)), self.page_cap))
        shown = rows[offset:offset + limit]
        answer: dict[str, Any] = {"data": shown}
        if shown:
            answer["paging"] = {"cursors": {"before": _cursor(snapshot or 0, offset),
                                            "after": _cursor(snapshot or 0, offset + len(shown))}}
            if offset + len(shown) < len(rows):
                query = {k: v for k, v in params.items() if k not in ("access_token", "appsecret_proof", "after")}
                query["after"] = _cursor(snapshot or 0, offset + len(shown))
                answer["paging"]["next"] = f"{self.fake.url}/{self.fake.versions[0]}/{path}?{urlencode(query)}"
        return answer

    # --- the figures of a query -------------------------------------------------------------

    def _rows(self, account: Any, scope: tuple[str, str] | None, params: dict[str, Any]) -> list[dict[str, Any]]:
        from tests.fakes.meta import invalid, parse_json

        level = params.get("level", "ad" if scope and scope[0] == "id" else "campaign")
        if level not in LEVEL_KEYS:
            raise invalid("Param level must be one of {ad, adset, campaign}", "level")
        fields = tuple(f for f in str(params.get("fields", "impressions,spend")).split(",") if f)
        window = parse_json(params, "time_range") if params.get("time_range") else {}
        try:
            since, until = date.fromisoformat(window["since"]), date.fromisoformat(window["until"])
        except (KeyError, TypeError, ValueError):
            raise invalid("Param time_range must be {'since':'YYYY-MM-DD','until':'YYYY-MM-DD'}", "time_range") from None
        if since > until:
            raise invalid("time_range: since must not be after until", "time_range")
        increment = str(params.get("time_increment", "all_days"))
        if increment not in ("1", "all_days"):
            raise invalid("This fake reports per day (1) or over the whole range (all_days)", "time_increment")
        breakdowns = [b for b in str(params.get("breakdowns", "")).split(",") if b]
        if breakdowns not in ([], [HOURLY]):
            raise invalid(f"Breakdowns {breakdowns} are not supported by this fake", "breakdowns")
        ads = [o for o in self.fake.objects.values() if o["_kind"] == "ad" and o["_account"] == account.account_id
               and o.get("status") != "DELETED" and (scope is None or o.get(scope[0]) == scope[1])]
        for rule in parse_json(params, "filtering", list) if params.get("filtering") else []:
            key, wanted, operator = FILTER_KEYS.get(rule.get("field")), rule.get("value"), rule.get("operator")
            if key is None or operator not in ("IN", "NOT_IN", "EQUAL"):
                raise invalid(f"Filtering on {rule.get('field')} {operator} is not supported", "filtering")
            allowed = set(map(str, wanted if isinstance(wanted, list) else [wanted]))
            ads = [o for o in ads if (str(o.get(key)) in allowed) == (operator != "NOT_IN")]
        groups: dict[str, list[dict[str, Any]]] = {}
        for ad in ads:
            groups.setdefault(ad[LEVEL_KEYS[level]], []).append(ad)
        today, gone = self.today(account.time_zone)
        days = [since + timedelta(days=i) for i in range((min(until, today) - since).days + 1)]
        hours: list[int | None] = list(range(24)) if breakdowns else [None]
        if increment == "all_days":
            return [row for members in groups.values()
                    if (row := self._row(members, days, None, today, gone, fields, level, (since, until),
                                             account.time_zone))]
        rows = []
        for group, members in groups.items():
            for day in days:
                for hour in hours:
                    complete = day < today or (hour is not None and hour + 1 <= gone and day == today)
                    key = (level, group, day, hour, fields, self._epoch, len(members)) if complete else None
                    row = self._rendered.get(key) if key else None
                    if row is None:
                        row = self._row(members, [day], hour, today, gone, fields, level, (day, day), account.time_zone)
                        if key:
                            if len(self._rendered) > 400_000:
                                self._rendered.clear()
                            self._rendered[key] = row
                    if row:
                        rows.append(row)
        return rows

    def _row(self, members: list[dict[str, Any]], days: list[date], hour: int | None, today: date, gone: float,
             fields: tuple[str, ...], level: str, dates: tuple[date, date], zone: str) -> dict[str, Any]:
        """The summed figures of `members` over `days` (one hour of each, or whole), rendered; {} when none."""
        total = [0] * 7
        for ad in members:
            first = self.first_day(ad, zone)
            for day in days:
                if day < first:
                    continue
                full = self._full(ad["id"], day)
                upto = gone if day == today else 24.0
                if hour is None:
                    figures = part(full, 0, upto)
                elif hour >= upto:
                    continue
                else:
                    figures = part(full, hour, min(hour + 1, upto))
                for i, x in enumerate(figures):
                    total[i] += x
        if total[0] == 0:
            return {}
        return render(members[0], total, len(members) * len(days), fields, level, hour, dates)


def render(ad: dict[str, Any], total: list[int], members: int, fields: tuple[str, ...], level: str, hour: int | None,
           dates: tuple[date, date]) -> dict[str, Any]:
    """One insights row as Meta spells it: numbers as strings, actions as typed lists."""
    impressions, reach, clicks, spend, purchases, value, carts = total
    views, checkouts = clicks * 7 // 10, (carts + purchases) // 2 + purchases
    row: dict[str, Any] = {}
    ids = {"campaign_id": ad["campaign_id"], "adset_id": ad["adset_id"] if level != "campaign" else None,
           "ad_id": ad["id"] if level == "ad" else None}
    for name in fields:
        if ids.get(name) is not None:
            row[name] = ids[name]
        elif name == "impressions":
            row[name] = str(impressions)
        elif name == "clicks":
            row[name] = str(clicks)
        elif name == "spend":
            row[name] = money(spend)
        elif name == "reach" and hour is None:
            row[name] = str(reach if members == 1 else reach - reach // 10)
        elif name == "actions" and clicks:
            counts = {"post_engagement": clicks + impressions // 40, "page_engagement": clicks + impressions // 38,
                      "link_click": clicks, "landing_page_view": views, **dict.fromkeys(VIEW_TYPES, views // 2),
                      **dict.fromkeys(CART_TYPES, carts), **dict.fromkeys(CHECKOUT_TYPES, checkouts),
                      **dict.fromkeys(PURCHASE_TYPES, purchases)}
            row[name] = [{"action_type": t, "value": str(n)} for t, n in counts.items() if n]
        elif name == "action_values" and (carts or purchases):
            basket = value // purchases if purchases else 9_990
            amounts = {**dict.fromkeys(VIEW_TYPES, views // 2 * basket), **dict.fromkeys(CART_TYPES, carts * basket),
                       **dict.fromkeys(CHECKOUT_TYPES, checkouts * basket), **dict.fromkeys(PURCHASE_TYPES, value)}
            row[name] = [{"action_type": t, "value": money(n)} for t, n in amounts.items() if n]
    row["date_start"], row["date_stop"] = dates[0].isoformat(), dates[1].isoformat()
    if hour is not None:
        row[HOURLY] = f"{hour:02d}:00:00 - {hour:02d}:59:59"
    return row
