"""One ad platform's fake, seeded with live ads that have figures (stored straight into the fake, as its publishing path
would leave them; delivering from HISTORY_DAYS ago), as a process of its own (the
campaigns_performance bench measures its CPU apart from the client's).

    python -m bench.perf_fakes meta|tiktok|snapchat|google_ads --port N [--campaigns 100] [--ad-sets 1] [--ads 10]

prints one JSON line, {"platform", "url", "settings": CampaignsSettings overrides that point the
platform's client at this fake, "account": AccountAccess fields, "campaign_ids"}, then serves
until SIGTERM. Exit status 3 with {"unavailable": why} when the platform's fake (or its
seeding) is not there yet.

A memo stands in front of the fake's app (`ReportMemo`): the report reads (`REPORT_READS`) are
answered from memory once computed, keyed by method, path, query and body, so the bench's
measured pulls time the client and the HTTP stack, not the fake working out thousands of days of
figures in Python (for TikTok and Google Ads that took longer than the client's whole pull). The
bench's first, full pull is the one that fills it (its rate is reported apart). The figures
frozen this way are the fake's own, unchanged; only their cost is paid once.
"""

from __future__ import annotations

import argparse
import importlib
import json
import signal
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

HISTORY_DAYS = 35   # every ad delivers from before the bench's 30-day window


class Unavailable(Exception):
    pass


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise Unavailable(f"{name} cannot be imported ({error})") from None


def meta(port: int, campaigns: int, ad_sets: int, ads: int) -> tuple[Any, dict[str, Any]]:
    fakes = _module("tests.fakes.meta")
    fake = fakes.FakeMeta(port, review_on_create="approved")
    seeded = fake.seed_account(name="Bench Oud House", currency="SAR", time_zone="Asia/Riyadh")
    ids = fake.insights.seed_delivery(seeded.account_id, campaigns=campaigns, ad_sets_per_campaign=ad_sets,
                                      ads_per_ad_set=ads, prefix="Bench")
    about = {"settings": {"meta_app_id": fakes.APP_ID, "meta_app_secret": fakes.APP_SECRET,
                          "meta_graph_url": fake.graph_url, "meta_dialog_url": fake.dialog_url},
             "account": {"platform_account_id": seeded.account_id, "token": seeded.token, "currency": "SAR",
                         "time_zone": "Asia/Riyadh", "page_id": seeded.page_id, "pixel_id": seeded.pixel_id},
             "campaign_ids": ids}
    return fake, about


def tiktok(port: int, campaigns: int, ad_sets: int, ads: int) -> tuple[Any, dict[str, Any]]:
    fakes = _module("tests.fakes.tiktok")
    fake = fakes.FakeTikTok(port, review_on_create="approved")
    seeded = fake.seed_account(name="Bench Oud House", currency="SAR", time_zone="Asia/Riyadh")
    advertiser = seeded.advertiser_id
    first = (datetime.now(ZoneInfo("Asia/Riyadh")) - timedelta(days=HISTORY_DAYS)).date()
    ids = []
    with fake._lock:  # the objects its publishing path would leave, delivering for HISTORY_DAYS
        for c in range(1, campaigns + 1):
            campaign = fake._store("campaign", advertiser, {
                "campaign_name": f"Bench campaign {c}", "objective_type": "WEB_CONVERSIONS",
                "operation_status": "ENABLE", "budget_mode": "BUDGET_MODE_INFINITE"})
            for s in range(1, ad_sets + 1):
                group = fake._store("adgroup", advertiser, {
                    "adgroup_name": f"Bench ad group {c}.{s}", "campaign_id": campaign["campaign_id"],
                    "operation_status": "ENABLE", "budget_mode": "BUDGET_MODE_DAY", "budget": "100.00"})
                for a in range(1, ads + 1):
                    fake._store("ad", advertiser, {
                        "ad_name": f"Bench ad {c}.{s}.{a}", "adgroup_id": group["adgroup_id"],
                        "campaign_id": campaign["campaign_id"], "operation_status": "ENABLE",
                        "_review": "approved", "_reasons": [], "_from": first})
            ids.append(campaign["campaign_id"])
    about = {"settings": {"tiktok_app_id": fakes.APP_ID, "tiktok_app_secret": fakes.APP_SECRET,
                          "tiktok_api_url": fake.api_url, "tiktok_auth_url": fake.auth_url},
             "account": {"platform_account_id": advertiser, "token": seeded.token, "currency": "SAR",
                         "time_zone": "Asia/Riyadh", "page_id": seeded.identity_id, "pixel_id": seeded.pixel_id},
             "campaign_ids": ids}
    return fake, about


def snapchat(port: int, campaigns: int, ad_sets: int, ads: int) -> tuple[Any, dict[str, Any]]:
    fakes = _module("tests.fakes.snapchat")
    fake = fakes.FakeSnapchat(port, review_on_create="APPROVED", history_days=HISTORY_DAYS)
    seeded = fake.seed_account(name="Bench Oud House", currency="SAR", time_zone="Asia/Riyadh")
    account = fake.accounts[seeded.account_id]
    since = fake.now() - HISTORY_DAYS * 86400
    ids = []
    with fake._lock:
        for c in range(1, campaigns + 1):
            campaign = fake._store("campaign", account, {
                "name": f"Bench campaign {c}", "ad_account_id": account.account_id, "status": "ACTIVE",
                "objective": "WEB_CONVERSION", "start_time": fakes.utc_iso(since)})
            for s in range(1, ad_sets + 1):
                squad = fake._store("adsquad", account, {
                    "name": f"Bench ad squad {c}.{s}", "campaign_id": campaign["id"], "status": "ACTIVE",
                    "type": "SNAP_ADS", "billing_event": "IMPRESSION", "daily_budget_micro": 100_000_000})
                for a in range(1, ads + 1):
                    fake._store("ad", account, {
                        "name": f"Bench ad {c}.{s}.{a}", "ad_squad_id": squad["id"], "creative_id": "",
                        "status": "ACTIVE", "type": "SNAP_AD", "render_type": "STATIC", "_campaign": campaign["id"],
                        "review_status": "APPROVED", "review_status_reasons": [], "_since": since})
            ids.append(campaign["id"])
    pair = fake.issue_token(expires=False)
    about = {"settings": {"snapchat_client_id": fakes.CLIENT_ID, "snapchat_client_secret": fakes.CLIENT_SECRET,
                          "snapchat_api_url": fake.api_url, "snapchat_accounts_url": fake.accounts_url},
             "account": {"platform_account_id": account.account_id, "token": pair.access_token, "currency": "SAR",
                         "time_zone": "Asia/Riyadh", "page_id": seeded.profile_id, "pixel_id": seeded.pixel_id},
             "campaign_ids": ids}
    return fake, about


def google_ads(port: int, campaigns: int, ad_sets: int, ads: int) -> tuple[Any, dict[str, Any]]:
    fakes = _module("tests.fakes.google_ads")
    fake = fakes.FakeGoogleAds(port, review_on_create="approved", history_days=HISTORY_DAYS)
    seeded = fake.seed_account(name="Bench Oud House", currency="SAR", time_zone="Asia/Riyadh")
    customer = seeded.customer_id
    created = datetime.now(UTC)
    ids = []

    def store(collection: str, kind: str, object_id: str, fields: dict[str, Any]) -> str:
        name = f"customers/{customer}/{collection}/{object_id}"
        numeric = object_id.split("~")[-1]
        fake.objects[name] = {"_kind": kind, "_customer": customer, "_created": created, "resourceName": name,
                              "id": int(numeric)} | fields
        return name

    with fake._lock:
        for c in range(1, campaigns + 1):
            campaign_id = str(fake._next_id())
            campaign = store("campaigns", "campaign", campaign_id, {
                "name": f"Bench campaign {c}", "status": "ENABLED", "advertisingChannelType": "DEMAND_GEN"})
            for s in range(1, ad_sets + 1):
                group_id = str(fake._next_id())
                group = store("adGroups", "ad_group", group_id, {
                    "name": f"Bench ad group {c}.{s}", "status": "ENABLED", "campaign": campaign})
                for a in range(1, ads + 1):
                    ad_id = str(fake._next_id())
                    store("adGroupAds", "ad_group_ad", f"{group_id}~{ad_id}", {
                        "status": "ENABLED", "adGroup": group, "ad": {"id": int(ad_id), "name": f"Bench ad {c}.{s}.{a}",
                        "resourceName": f"customers/{customer}/ads/{ad_id}"},
                        "policySummary": {"approvalStatus": "APPROVED", "reviewStatus": "REVIEWED"}})
            ids.append(campaign_id)
    about = {"settings": {"google_ads_client_id": fakes.CLIENT_ID, "google_ads_client_secret": fakes.CLIENT_SECRET,
                          "google_ads_api_url": fake.api_url, "google_oauth_url": fake.oauth_url,
                          "google_token_url": fake.token_url},
             "account": {"platform_account_id": customer, "token": seeded.token, "currency": "SAR",
                         "time_zone": "Asia/Riyadh"},
             "campaign_ids": ids}
    return fake, about


REPORT_READS: dict[str, Callable[[str, str], bool]] = {
    "meta": lambda method, path: method == "GET" and path.endswith("/insights"),
    "tiktok": lambda method, path: path.endswith("/report/integrated/get/"),
    "snapchat": lambda method, path: method == "GET" and path.endswith("/stats"),
    "google_ads": lambda method, path: path.endswith((":search", ":searchStream")),
}


class ReportMemo:
    """ASGI middleware: a report read's successful answer, replayed for the same request."""

    def __init__(self, app: Any, reads: Callable[[str, str], bool]) -> None:
        self.app, self.reads = app, reads
        self.answers: dict[tuple[str, str, bytes, bytes], list[dict[str, Any]]] = {}
        self.hits = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not self.reads(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        key = (scope["method"], scope["path"], scope["query_string"], body)
        known = self.answers.get(key)
        if known is not None:
            self.hits += 1
            for message in known:
                await send(message)
            return
        sent: list[dict[str, Any]] = []

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def keep(message: dict[str, Any]) -> None:
            sent.append(message)
            await send(message)

        await self.app(scope, replay, keep)
        if sent and sent[0].get("status") == 200:
            self.answers[key] = sent


LAUNCHERS: dict[str, Callable[[int, int, int, int], tuple[Any, dict[str, Any]]]] = {
    "meta": meta, "tiktok": tiktok, "snapchat": snapchat, "google_ads": google_ads}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("platform", choices=("meta", "tiktok", "snapchat", "google_ads"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--campaigns", type=int, default=100)
    parser.add_argument("--ad-sets", type=int, default=1)
    parser.add_argument("--ads", type=int, default=10)
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        launcher = LAUNCHERS.get(args.platform)
        if launcher is None:
            raise Unavailable(f"no launcher for {args.platform} yet")
        fake, about = launcher(args.port, args.campaigns, args.ad_sets, args.ads)
    except Unavailable as why:
        print(json.dumps({"unavailable": str(why)}), flush=True)
        return 3
    fake.app = ReportMemo(fake.app, REPORT_READS[args.platform])
    with fake:
        print(json.dumps({"platform": args.platform, "url": fake.url, **about}), flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
