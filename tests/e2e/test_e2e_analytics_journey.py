"""What a campaign earned, through the gateway (issue 12, "Done means").

A workspace connects a WooCommerce store (fake) and a Meta ad account (fake), drafts a campaign
from a brief, approves and publishes it: live on the fake Meta. Campaigns pulls its performance
(every second in the stack), the store takes two orders (one whose landing URL is the ad's, with
ADLY's `adly_c` / `adly_a` and utm values, one with no tags) and sends them to the catalog by
webhook. Through the gateway, the dashboard then shows:

- spend equal to the fake Meta's own figures for the ad on the days involved (its insights truth
  function, as services/campaigns/tests/integration/test_campaigns_meta_reports.py reads it);
- Meta's attributed orders and revenue equal to the tagged order (1, its total), ROAS = revenue ÷
  spend computed here, the untagged order counted as unattributed (1), not dropped;
- a rule created through POST /analytics/rules (the ad sets of the campaign, ROAS below a multiple
  the figures make true) fires on the next performance pull and the campaign is paused, on the fake
  Meta and in GET /campaigns/{id};
- the workspace's live socket carries each update: `FiguresUpdated` for the performance and for
  the orders, `RuleFired`, then the campaign's `CampaignPaused`.

The session's stack runs no analytics (conftest.py), so this module starts one (migrated, on the
stack's database and broker: its consumer groups are new and read every topic from the start) and
a gateway of its own whose analytics upstream is it; the live socket is read on that gateway. The
fake Meta's insights clock is frozen while the module runs, so today's figures stand still and the
fake's truth read here is the one campaigns pulled; a restatement of yesterday is what makes the
next pull report something new. The store's orders carry the real time, and the dashboard files
them under their day in Riyadh: the module starts on a Riyadh day with at least `DAY_LEFT` to go
(waiting past midnight when it is later, as a merchant would on a new day), so the orders fall on
the frozen "today" however slowly the machine runs.
Every wait polls what the merchant would read, with a deadline; nothing sleeps and hopes.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from adly_kit.devstack._process import free_port
from adly_kit.devstack.run import service_command

from .conftest import (
    LiveEvents,
    Person,
    ServiceProcess,
    Stack,
    _migrate,
    campaign_after,
    campaign_in_review,
    connect_meta,
    connect_woocommerce,
    eventually,
    extra_gateway,
    plan_of,
    report,
)

ZONE = "Asia/Riyadh"
BRIEF = "Oud Perfume ads on Instagram in Saudi Arabia, 150 SAR a day for two weeks"
CENTS, RATIO = Decimal("0.01"), Decimal("0.0001")
WAIT = 120.0  # a busy 2-core box; every wait ends as soon as its condition holds
DAY_LEFT = timedelta(minutes=12)  # more than the module's every wait together on a busy box


def show(response: httpx.Response) -> str:
    return f"{response.request.method} {response.request.url.path} -> {response.status_code} {response.text[:600]}"


@dataclass
class Shop:
    e2e: Stack
    owner: Person
    workspace: str
    gateway: ServiceProcess        # the module's gateway, whose analytics upstream is the module's analytics
    store: Any                     # the fake WooCommerce store
    product_id: int                # its one product
    account: Any                   # the fake Meta's SeededAccount of this workspace
    ad_account_id: str             # ADLY's id of it
    live: LiveEvents

    def call(self, method: str, tail: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, f"{self.gateway.url}/v1/workspaces/{self.workspace}{tail}",
                             headers=self.owner.bearer, timeout=30, **kwargs)


@pytest.fixture(scope="module")
def analytics(e2e: Stack) -> Iterator[ServiceProcess]:
    port = free_port()
    env = e2e.env | {"ADLY_HTTP_PORT": str(port)}
    _migrate("analytics", env, e2e.logs)
    process = ServiceProcess("analytics", [*service_command("analytics"), "serve"], env, port, e2e.logs)
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def gateway(e2e: Stack, analytics: ServiceProcess) -> Iterator[ServiceProcess]:
    process = extra_gateway(e2e, "analytics", ADLY_UPSTREAM_ANALYTICS=analytics.url,
                            ADLY_UPSTREAM_CAMPAIGNS=e2e.campaigns_url, ADLY_UPSTREAM_CREATIVE=e2e.creative_url)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def frozen_meta(e2e: Stack) -> Iterator[float]:
    """The fake Meta's insights at a standstill (today's figures stop growing) and its new ads
    delivering from yesterday (a whole past day of figures whatever the hour): the moment."""
    insights = e2e.meta.insights
    clock, history = insights.clock, insights.history_days
    riyadh = datetime.now(ZoneInfo(ZONE))
    midnight = datetime.combine(riyadh.date() + timedelta(days=1), datetime.min.time(), ZoneInfo(ZONE))
    if midnight - riyadh < DAY_LEFT:
        time.sleep((midnight - riyadh).total_seconds() + 1)
    now = time.time()
    insights.clock, insights.history_days = (lambda: now), 1
    try:
        yield now
    finally:
        insights.clock, insights.history_days = clock, history


@pytest.fixture(scope="module")
def shop(e2e: Stack, gateway: ServiceProcess, frozen_meta: float) -> Iterator[Shop]:
    from tests.fakes.woocommerce import FakeWooCommerce

    owner = e2e.enable_two_factor(e2e.signup(prefix="earned"))
    workspace = e2e.create_workspace(owner, "Oud earnings")
    account = e2e.meta.seed_account(name="Oud Earnings Ads", currency="SAR", time_zone=ZONE)
    with FakeWooCommerce(store_name="Oud Earnings") as store, LiveEvents(on(gateway), workspace, owner) as live:
        product_id = store.add_product("Oud Perfume", price="180.00", category="Perfume")["id"]
        connect_woocommerce(e2e, owner, workspace, store)
        ad_account_id = connect_meta(e2e, owner, workspace, account)["id"]
        yield Shop(e2e, owner, workspace, gateway, store, product_id, account, ad_account_id, live)


def on(gateway: ServiceProcess) -> Any:
    """What LiveEvents needs of a stack, for the module's gateway: its socket is read there. The
    stack's gateway started before analytics created its topics (adly.analytics.figures) and its
    live reader does not pick up topics created after it started (see the module's report)."""
    return SimpleNamespace(gateway_url=gateway.url)


def truth(e2e: Stack, account_id: str, days: list[date]) -> dict[str, int]:
    """The fake Meta's own figures for every ad of the account over `days` (minor units)."""
    ads = e2e.meta.of_kind("ad", account_id)
    rows = [e2e.meta.insights.figures(ad["id"], day, ZONE) for ad in ads for day in days]
    names = ("impressions", "reach", "clicks", "spend", "purchases", "value", "carts")
    return {name: sum(row[i] for row in rows) for i, name in enumerate(names)}


def money(minor: int) -> dict[str, str]:
    return {"amount": str((Decimal(minor) / 100).quantize(CENTS)), "currency": "SAR"}


def place_order(shop: Shop, landing_url: str | None) -> dict[str, Any]:
    """An order on the store (one perfume), sent to the catalog by the store's `order.created` webhook."""
    attribution = None
    if landing_url is not None:
        tags = {k: v[0] for k, v in parse_qs(urlsplit(landing_url).query).items()}
        attribution = {"source_type": "utm", "session_entry": landing_url,
                       **{f"utm_{k}": tags[f"utm_{k}"] for k in ("source", "medium", "campaign", "content", "id")}}
    order = shop.store.add_order([(shop.product_id, 0, 1)], attribution=attribution)
    answers = asyncio.run(shop.store.deliver("order.created", order["id"]))
    assert answers and all(a.status_code < 300 for a in answers), [(a.status_code, a.text) for a in answers]
    return order


def test_a_campaigns_spend_orders_and_roas_reach_the_dashboard_and_a_rule_pauses_it(e2e: Stack, shop: Shop,
                                                                                   frozen_meta: float):
    meta, account, live = e2e.meta, shop.account, shop.live
    today = datetime.fromtimestamp(frozen_meta, ZoneInfo(ZONE)).date()
    days = [today - timedelta(days=1), today]

    # -- a campaign from a brief, its ads made, approved, published: live on the fake Meta
    plan = plan_of(e2e, shop.owner, shop.workspace, BRIEF)["plan"] | {"variants_per_platform": 1}
    review = campaign_in_review(e2e, shop.owner, shop.workspace, {"name": "Oud earnings", "plan": plan})
    campaign_id = review["id"]
    approved = e2e.request("POST", f"/v1/workspaces/{shop.workspace}/campaigns/{campaign_id}/approval",
                           who=shop.owner, json={})
    assert approved.status_code == 200, show(approved)
    published = e2e.request("POST", f"/v1/workspaces/{shop.workspace}/campaigns/{campaign_id}/publication",
                            who=shop.owner, json={"ad_accounts": {"meta": shop.ad_account_id}})
    assert published.status_code == 202, show(published)
    campaign = campaign_after(e2e, shop.owner, shop.workspace, campaign_id, {"approved", "publishing"})
    run = campaign["platforms"]["meta"]
    assert (campaign["state"], run["status"]) == ("live", "published"), campaign
    on_meta = {kind: meta.of_kind(kind, account.account_id) for kind in ("campaign", "ad_set", "ad")}
    assert [len(on_meta[k]) for k in ("campaign", "ad_set", "ad")] == [1, 1, len(campaign["ads"])], on_meta
    assert meta.objects[run["platform_campaign_id"]]["status"] == "ACTIVE"
    ad = campaign["ads"][0]
    tags = {k: v[0] for k, v in parse_qs(urlsplit(ad["landing_url"]).query).items()}
    assert (tags["adly_c"], tags["adly_a"]) == (campaign_id, ad["ad_id"]), ad["landing_url"]

    # -- performance pulled: the dashboard's spend is the fake's own, day by day and in total
    expected = truth(e2e, account.account_id, days)
    assert expected["spend"] > 0, expected
    period = {"since": days[0].isoformat(), "until": days[-1].isoformat()}

    def overview() -> dict[str, Any]:
        answer = shop.call("GET", "/analytics/overview", params=period)
        assert answer.status_code == 200, show(answer)
        return answer.json()

    # Analytics knows the publication (which ad sits in which ad set) once the ad set shows in the breakdown:
    # an order decided before it would credit no campaign (docs/analytics.md, "Cross-topic order").
    ad_set_id = on_meta["ad_set"][0]["id"]

    def ad_sets() -> list[str | None]:
        answer = shop.call("GET", "/analytics/breakdown", params=period | {"by": "ad_set"})
        assert answer.status_code == 200, show(answer)
        return [row["ad_set_id"] for row in answer.json()["rows"]]

    assert eventually(lambda: ad_sets() == [ad_set_id], timeout=WAIT, interval=0.5), ad_sets()
    seen = eventually(lambda: (o := overview())["current"]["spend"] == money(expected["spend"]) and o,
                      timeout=WAIT, interval=0.5)
    assert seen, f"spend never reached the fake's {money(expected['spend'])}: {overview()['current']}"
    current = seen["current"]
    assert (current["impressions"], current["clicks"]) == (expected["impressions"], expected["clicks"]), current
    assert current["orders"] == 0 and Decimal((current["revenue"] or {"amount": "0"})["amount"]) == 0, current
    series = shop.call("GET", "/analytics/timeseries", params=period | {"campaign_id": campaign_id})
    assert series.status_code == 200, show(series)
    assert [p["figures"]["spend"] for p in series.json()["points"]] == [
        money(truth(e2e, account.account_id, [day])["spend"]) for day in days], series.json()

    # -- two orders: one through the ad's landing URL, one with no tags at all
    tagged = place_order(shop, ad["landing_url"])
    untagged = place_order(shop, None)
    tagged_total, untagged_total = Decimal(tagged["total"]), Decimal(untagged["total"])
    placed = {datetime.fromisoformat(o["date_created_gmt"]).replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(ZONE))
              .date() for o in (tagged, untagged)}
    assert placed == {today}, f"the orders fell on {placed}, not on the frozen day {today}: DAY_LEFT is too short"
    spend = Decimal(expected["spend"]) / 100

    def by_platform() -> dict[str | None, dict[str, Any]]:
        answer = shop.call("GET", "/analytics/breakdown", params=period | {"by": "platform"})
        assert answer.status_code == 200, show(answer)
        return {row["platform"]: row["figures"] for row in answer.json()["rows"]}

    both = lambda rows: rows.get("meta", {}).get("orders") == 1 and rows.get(None, {}).get("orders") == 1  # noqa: E731
    rows = eventually(lambda: (r := by_platform()) and both(r) and r, timeout=WAIT, interval=0.5)
    assert rows, f"the two orders never reached the dashboard: {by_platform()}"
    on_ads, unattributed = rows["meta"], rows[None]
    assert on_ads["spend"] == money(expected["spend"]), on_ads
    assert on_ads["revenue"] == {"amount": str(tagged_total.quantize(CENTS)), "currency": "SAR"}, on_ads
    roas = (tagged_total / spend).quantize(RATIO, ROUND_HALF_EVEN)
    assert Decimal(on_ads["roas"]) == roas, (on_ads, roas)
    assert Decimal(on_ads["cpa"]["amount"]) == spend.quantize(CENTS, ROUND_HALF_EVEN), on_ads
    assert unattributed["orders"] == 1, unattributed
    assert unattributed["revenue"] == {"amount": str(untagged_total.quantize(CENTS)), "currency": "SAR"}
    assert unattributed["spend"] is None or Decimal(unattributed["spend"]["amount"]) == 0, unattributed
    by_campaign = shop.call("GET", "/analytics/breakdown", params=period | {"by": "campaign"})
    assert by_campaign.status_code == 200, show(by_campaign)
    mine = next(r["figures"] for r in by_campaign.json()["rows"] if r["campaign_id"] == campaign_id)
    assert (mine["orders"], mine["revenue"]["amount"], Decimal(mine["roas"])) == (
        1, str(tagged_total.quantize(CENTS)), roas), mine
    # The overview counts every order (the unattributed one too, docs/analytics.md) beside the same spend.
    totals = overview()["current"]
    assert totals["spend"] == money(expected["spend"]), totals
    assert (totals["orders"], Decimal(totals["revenue"]["amount"])) == (2, tagged_total + untagged_total), totals

    # -- a rule the figures make true: the ad set's ROAS of its last day is below that plus one
    last_day = truth(e2e, account.account_id, [today])
    assert last_day["spend"] > 0, last_day
    threshold = (tagged_total / (Decimal(last_day["spend"]) / 100) + 1).quantize(CENTS)
    created = shop.call("POST", "/analytics/rules", json={
        "name": "Pause ad sets that do not pay for themselves",
        "condition": {"metric": "roas", "threshold": str(threshold), "days": 1},
        "scope": {"kind": "ad_sets_of_campaign", "campaign_id": campaign_id},
        "action": {"kind": "pause"}, "dry_run": False, "cooldown_hours": 24})
    assert created.status_code == 201, show(created)
    rule_id = created.json()["rule_id"]
    assert shop.call("GET", f"/analytics/rules/{rule_id}").json()["firings"] == 0

    # Meta restates yesterday: the next pull reports something new, and the rules are evaluated after it.
    meta.restate(days[0])
    paused = eventually(lambda: (c := e2e.request("GET", f"/v1/workspaces/{shop.workspace}/campaigns/{campaign_id}",
                                                  who=shop.owner).json())["state"] == "paused" and c,
                        timeout=WAIT, interval=0.5)
    fired = shop.call("GET", f"/analytics/rules/{rule_id}").json()
    assert paused, f"the campaign was never paused; the rule: {fired}"
    assert fired["firings"] == 1, fired
    assert meta.objects[run["platform_campaign_id"]]["status"] == "PAUSED", meta.objects[run["platform_campaign_id"]]

    # -- the live socket carried each update
    def events(kind: str) -> list[dict[str, Any]]:
        with live._lock:
            return [e for e in live.events if e.get("event_type") == kind]

    def figures_updated(cause: str) -> list[dict[str, Any]]:
        return [e for e in events("FiguresUpdated") if e["payload"]["cause"] == cause
                and campaign_id in e["payload"]["campaign_ids"]]

    assert eventually(lambda: figures_updated("performance") and figures_updated("order")
                      and live.types(rule_id) and "CampaignPaused" in live.types(campaign_id),
                      timeout=30, interval=0.1), (
        " ".join(sorted({f"{e.get('event_type')}/{e.get('payload', {}).get('cause')}" for e in live.events})))
    assert live.types(rule_id) == ["RuleFired"], live.types(rule_id)
    firing = next(e for e in events("RuleFired") if e["aggregate_id"] == rule_id)["payload"]
    assert firing["metric"] == "roas" and not firing["dry_run"], firing
    assert (firing["until"], firing["action"]["kind"]) == (today.isoformat(), "pause"), firing
    assert any(e["payload"]["days"] == [today.isoformat()] for e in figures_updated("order")), figures_updated("order")
    rule_fired = next(e for e in events("RuleFired") if e["aggregate_id"] == rule_id)
    paused_event = next(e for e in events("CampaignPaused") if e["aggregate_id"] == campaign_id)
    assert rule_id in json.dumps(paused_event["payload"]["paused_by"]), paused_event["payload"]
    assert paused_event["causation_id"] == rule_fired["event_id"], (paused_event, rule_fired)
    report(f"analytics journey: spend {spend} SAR, attributed {tagged_total} SAR, ROAS {roas}; "
           f"rule fired, campaign paused; {len(live.events)} live events")
