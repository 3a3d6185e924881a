"""Issue 4: a full Shopify sync of 100,000 products (3 variants each), 250 per page.

The fake Shopify Admin GraphQL endpoint (`tests/fakes/shopify.py`) runs as its own
process, so the catalog's figures are its own; `adly-catalog serve` runs as a process on
the bench stack (fresh database, the bench broker, all roles: API, sync runner, outbox
relay). The store is connected the merchant's way (authorize URL -> the fake's consent
redirect -> the OAuth callback), which queues the first full sync; the clock runs from the
sync's start to its completion as the catalog records them.

The fake's GraphQL cost bucket is set large enough that 250-per-page queries are never
throttled: the row measures the catalog, not Shopify's plan (throttling is tested in
services/catalog/tests). Orders are left empty here.

Rows: catalog_full_sync_products_per_s (target >= 5,000/s) and catalog_sync_peak_rss_mb
(target < 250 MB: pages stream into the store, nothing accumulates).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from adly_kit.devstack._process import ManagedProcess, free_port, tail
from adly_kit.devstack.run import service_command
from adly_kit.identity import HEADER, sign
from adly_kit.settings import DEV_IDENTITY_KEY
from bench.harness import ROOT, BenchContext, CpuMeter, Row, run_command, server_pgid, service_env, wait_ready

ISSUE = 4
NAME = "catalog"
DATABASE = "bench_catalog"
LOGS = ROOT / "var" / "bench-catalog"
SHOP = "adly-test.myshopify.com"  # the fake's shop
CLIENT_ID, CLIENT_SECRET = "fake-shopify-client-id", "fake-shopify-client-secret"


def say(message: str) -> None:
    print(f"  [{NAME}] {message}", flush=True)


def start_fake(products: int, port: int, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "tests.fakes.shopify", "--port", str(port), "--products", str(products),
               "--variants", "3", "--max-query-cost", "10000000", "--bucket", "100000000", "--restore", "100000000",
               "--client-secret", CLIENT_SECRET]
    out = open(log, "wb")
    fake = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=out)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = fake.stdout.readline().decode()
        if line.startswith("ready"):
            return fake
        if fake.poll() is not None:
            break
    fake.kill()
    raise RuntimeError(f"the fake Shopify did not start:\n{tail(log, 30)}")


def peak_rss_mb(group: int | None) -> float:
    """The largest VmHWM (peak resident set) among the server processes of a process group."""
    peak = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == group:
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[2]) != group:
                continue
            for line in Path(f"/proc/{entry}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (OSError, ValueError, IndexError):
            continue
    return peak / 1024


def identity(workspace_id: str, user_id: str) -> dict[str, str]:
    claims = {"sub": user_id, "kind": "user", "ws": workspace_id, "role": "owner", "sid": str(uuid.uuid4()),
              "mfa": True, "rid": None}
    return {HEADER: sign(claims, DEV_IDENTITY_KEY.encode())}


async def connect_and_wait(url: str, timeout: float) -> dict:
    workspace_id, user_id = str(uuid.uuid4()), str(uuid.uuid4())
    base = f"{url}/v1/workspaces/{workspace_id}/stores"
    async with httpx.AsyncClient(timeout=30.0) as client:
        started = await client.post(f"{base}/connections", json={"platform": "shopify", "shop": SHOP},
                                    headers=identity(workspace_id, user_id))
        started.raise_for_status()
        consent = await client.get(started.json()["authorize_url"])  # the fake approves at once
        callback = await client.get(consent.headers["location"])
        if callback.status_code != 303 or "/stores/" not in callback.headers["location"]:
            raise RuntimeError(f"connecting failed: {callback.status_code} {callback.headers.get('location')}")
        store_id = callback.headers["location"].split("/stores/")[1].split("?")[0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            syncs = (await client.get(f"{base}/{store_id}/syncs", headers=identity(workspace_id, user_id))).json()
            if syncs and syncs[0]["state"] not in ("queued", "running"):
                return syncs[0]
            await asyncio.sleep(0.5)
    raise RuntimeError(f"the sync did not finish in {timeout:.0f}s")


async def run(ctx: BenchContext) -> list[Row]:
    products = 10_000 if ctx.quick else 100_000
    LOGS.mkdir(parents=True, exist_ok=True)
    fake_port, port = free_port(), free_port()
    say(f"fake Shopify with {products:,} products x 3 variants")
    fake = start_fake(products, fake_port, LOGS / "fake-shopify.log")
    database = ctx.fresh_database(DATABASE)
    url = f"http://127.0.0.1:{port}"
    env = service_env(ctx, database) | {
        "ADLY_HTTP_PORT": str(port), "ADLY_PUBLIC_API_URL": url, "ADLY_PUBLIC_APP_URL": "http://127.0.0.1:9",
        "ADLY_SHOPIFY_BASE_URL": f"http://127.0.0.1:{fake_port}", "ADLY_SHOPIFY_CLIENT_ID": CLIENT_ID,
        "ADLY_SHOPIFY_CLIENT_SECRET": CLIENT_SECRET, "ADLY_SYNC_POLL_SECONDS": "0.2",
    }
    command = service_command("catalog")
    # The deployment shape of docs/ARCHITECTURE-SHAPE.md split in two pods: API + sync
    # worker in one process (the one measured), the outbox relay in another.
    catalog = ManagedProcess("adly-catalog", [*command, "serve", "--roles", "api,worker"], log_path=LOGS / "catalog.log",
                             env=env, grace=15.0)
    relay = ManagedProcess("adly-catalog-relay", [*command, "serve", "--roles", "relay"], log_path=LOGS / "relay.log",
                           env=env | {"ADLY_HTTP_PORT": str(free_port())}, grace=15.0)
    try:
        await run_command([*command, "migrate"], env, LOGS / "catalog.migrate.log")
        catalog.start()
        relay.start()
        await wait_ready(url, catalog)
        say("connecting the store; the first full sync starts")
        meter = CpuMeter({"postgres": server_pgid(ctx.postgres), "catalog": catalog.pid, "relay": relay.pid},
                         {"bench": os.getpid()}).start()
        sync = await connect_and_wait(url, timeout=900)
        cpu = meter.stop()
        peak = peak_rss_mb(catalog.pid)
    finally:
        catalog.stop()
        relay.stop()
        fake.kill()
        fake.wait()
    if sync["state"] != "completed":
        raise RuntimeError(f"the sync ended {sync['state']}: {sync['error']}\n{tail(LOGS / 'catalog.log', 30)}")
    seconds = _seconds(sync["started_at"], sync["finished_at"])
    seen = sync["progress"]["products"]["seen"]
    rate = seen / seconds
    say(f"{seen:,} products in {seconds:.1f} s = {rate:,.0f}/s, peak RSS {peak:.0f} MB")
    detail = {"products": seen, "changed": sync["progress"]["products"]["changed"], "seconds": seconds,
              "page_size": 250, "variants_per_product": 3, "cpu": cpu}
    return [
        Row(ISSUE, "catalog_full_sync_products_per_s", rate, "products/s", None, None, ">= 5000", rate >= 5000, detail),
        Row(ISSUE, "catalog_sync_peak_rss_mb", peak, "MB", None, None, "< 250", peak < 250, {"products": seen}),
    ]


def _seconds(started: str, finished: str) -> float:
    from datetime import datetime

    return (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()
