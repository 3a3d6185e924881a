"""Issue 10: approved campaigns to live ads on Meta (the fake), steadily and all at once.

`adly-campaigns serve` runs as its own process (all roles: API, consumers, outbox relay, the
publisher at its default concurrency, ADLY_PUBLISH_CONCURRENCY=8) on a fresh database of the
bench Postgres and the bench broker. The fake Meta runs as its own process too
(`python -m tests.fakes.meta`, the sandbox account: every ad approved at once), so its CPU is
its own; creative's asset route is a small server in this process
(services/campaigns/tests/integration/publishing_world.py) handing out a distinct
1080x1080 JPEG per campaign, as creative's offline provider would have made.

Seed: one workspace, one product, the fake's ad account connected with its token; then every
campaign drafted, answered by creative (one ad on Meta: campaign, ad set, image, creative, ad,
three status switches) and left in review, all through the service's own handlers. Load:
the merchant's approval and publish request (two transactions, as the two API calls) at
RATE per second; then a burst of campaigns approved all at once.

Measured from the database: approval = the publication's `approved_at` (the publish request's
commit), live = the `occurred_at` of its `CampaignPublished`. Rows: campaigns_published_per_s
= campaigns live / (last live - first approval) at the offered rate (target >= 2/s on 2 cores),
campaigns_p95_approval_to_live_s (target < 3 s), the p50 for information, and the burst's
rate (campaigns_saturated_per_s, information).

    python -c "from bench.campaigns_publish import publish_rows; print(publish_rows(quick=True))"

runs it alone on a stack of its own; `python -m bench.run --only campaigns_publish` once registered.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from adly_kit.devstack._process import ManagedProcess, free_port, tail
from adly_kit.devstack.run import service_command
from adly_kit.settings import DEV_IDENTITY_KEY
from bench.harness import (
    ROOT,
    BenchContext,
    CpuMeter,
    Row,
    percentile,
    run_command,
    server_pgid,
    service_env,
    wait_ready,
)

ISSUE = 10
NAME = "campaigns_publish"
DATABASE = "bench_campaigns"
LOGS = ROOT / "var" / "bench-campaigns"
RATE = 3.0          # approvals per second offered: 50 % above the target of 2


def say(message: str) -> None:
    print(f"  [{NAME}] {message}", flush=True)


def photo(seed: int) -> bytes:
    """A 1080x1080 JPEG, different for every campaign (Meta keys images by their bytes)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1080, 1080), (236, 226, 210))
    draw = ImageDraw.Draw(image)
    draw.ellipse((270, 200, 810, 920), fill=(120, 70, 30))
    draw.rectangle((40, 40, 140 + seed % 800, 120), fill=(seed * 37 % 256, seed * 91 % 256, 90))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


# ----------------------------------------------------------------------- the stack


def start_meta(port: int, log: Path) -> tuple[subprocess.Popen, dict[str, Any]]:
    """The fake Meta as its own process; its sandbox account and token, as it prints them."""
    out = open(log, "wb")
    fake = subprocess.Popen([sys.executable, "-m", "tests.fakes.meta", "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=out)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = fake.stdout.readline().decode() if fake.stdout else ""
        found = re.match(r"sandbox meta on (\S+): (\{.*\}); token (\S+)", line)
        if found:
            return fake, json.loads(found.group(2)) | {"url": found.group(1), "token": found.group(3)}
        if fake.poll() is not None:
            break
    fake.kill()
    raise RuntimeError(f"the fake Meta did not start:\n{tail(log, 30)}")


def _env(ctx: BenchContext, url: str, port: int, meta_url: str, creative_url: str) -> dict[str, str]:
    from tests.fakes.meta import APP_ID, APP_SECRET

    return service_env(ctx, url) | {
        "ADLY_HTTP_PORT": str(port), "ADLY_DATABASE_SCHEMA": "campaigns",
        "ADLY_META_APP_ID": APP_ID, "ADLY_META_APP_SECRET": APP_SECRET,
        "ADLY_META_GRAPH_URL": meta_url, "ADLY_META_DIALOG_URL": meta_url, "ADLY_CREATIVE_URL": creative_url,
        "ADLY_INTERNAL_IDENTITY_KEY": DEV_IDENTITY_KEY,
    }


async def start_service(env: dict[str, str], port: int) -> ManagedProcess:
    await run_command([*service_command("campaigns"), "migrate"], env, LOGS / "campaigns.migrate.log")
    process = ManagedProcess("adly-campaigns", [*service_command("campaigns"), "serve"],
                             log_path=LOGS / "campaigns.log", env=env, grace=15.0)
    process.start()
    await wait_ready(f"http://127.0.0.1:{port}", process)
    return process


# ------------------------------------------------------------------------ the load


async def _offer(a: Any, shop: Any, campaign_ids: list[UUID], rate: float) -> None:
    """Approve and publish each campaign at `rate` per second, on schedule (a late one does not delay the next)."""
    from services.campaigns.tests.integration.publishing_world import approve, publish

    async def one(campaign_id: UUID) -> None:
        await approve(a, shop, campaign_id)
        await publish(a, shop, campaign_id)

    started, sent = time.monotonic(), []
    for i, campaign_id in enumerate(campaign_ids):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        sent.append(asyncio.create_task(one(campaign_id)))
    await asyncio.gather(*sent)


async def _all_settled(a: Any, campaign_ids: list[UUID], timeout: float) -> None:
    from services.campaigns.tests.integration.publishing_world import rows

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        (waiting,), = await rows(a, "SELECT count(*) FROM {s}.campaigns WHERE id = ANY(:ids) AND state = 'publishing'",
                                 ids=campaign_ids)
        if not waiting:
            return
        await asyncio.sleep(0.25)


async def _timings(a: Any, campaign_ids: list[UUID]) -> tuple[dict[UUID, float], dict[UUID, float], dict[str, int]]:
    """Each campaign's approval and live moments (epoch seconds), and how many ended in which state."""
    from services.campaigns.tests.integration.publishing_world import rows

    approved = {r[0]: r[1].timestamp() for r in await rows(
        a, "SELECT campaign_id, min(approved_at) FROM {s}.publications WHERE campaign_id = ANY(:ids) GROUP BY 1",
        ids=campaign_ids)}
    live = {r[0]: r[1].timestamp() for r in await rows(
        a, """SELECT aggregate_id, occurred_at FROM {s}.events WHERE event_type = 'CampaignPublished'
              AND aggregate_id = ANY(:ids)""", ids=campaign_ids)}
    states = {r[0]: r[1] for r in await rows(
        a, "SELECT state, count(*) FROM {s}.campaigns WHERE id = ANY(:ids) GROUP BY 1", ids=campaign_ids)}
    return approved, live, states


def _figures(approved: dict[UUID, float], live: dict[UUID, float]) -> dict[str, Any]:
    latencies = sorted(live[c] - approved[c] for c in live if c in approved)
    span = max(live.values(), default=0.0) - min(approved.values(), default=0.0)
    return {"completed": len(latencies), "per_s": len(latencies) / span if latencies and span > 0 else 0.0,
            "p50_s": percentile(latencies, 50), "p95_s": percentile(latencies, 95),
            "p99_s": percentile(latencies, 99), "max_s": latencies[-1] if latencies else None}


# ------------------------------------------------------------------------ the bench


async def run(ctx: BenchContext) -> list[Row]:
    from adly_campaigns.bootstrap import build
    from adly_kit.service import Runtime
    from services.campaigns.tests.integration.publishing_world import (
        CreativeAssets,
        campaign_in_review,
        campaigns_settings,
        open_shop_on,
    )
    from tests.fakes.meta import SeededAccount

    count, burst = (20, 20) if ctx.quick else (60, 40)
    shutil.rmtree(LOGS, ignore_errors=True)
    LOGS.mkdir(parents=True, exist_ok=True)
    url = ctx.fresh_database(DATABASE)
    assets = CreativeAssets(DEV_IDENTITY_KEY).start()
    fake, sandbox = start_meta(free_port(), LOGS / "meta.log")
    port = free_port()
    service = runtime = None
    try:
        say("starting adly-campaigns serve (all roles) and the fake Meta")
        service = await start_service(_env(ctx, url, port, sandbox["url"], assets.url), port)
        settings = campaigns_settings(url, ctx.bootstrap, ctx.broker_kind, sandbox["url"], assets.url,
                                      database_schema="campaigns", topic_partitions=ctx.topic_partitions)
        runtime = Runtime(build(), settings)
        a = await runtime.open(("command",))
        shop = await open_shop_on(a, SeededAccount(sandbox["account_id"], sandbox["page_id"], sandbox["pixel_id"],
                                                   sandbox["token"]))

        total = 3 + count + burst
        say(f"seeding {total} campaigns in review (one Meta ad each, a distinct 1080x1080 image)")
        ready = [await campaign_in_review(a, shop, assets, name=f"Eid oud sale {i + 1}", image=photo(i))
                 for i in range(total)]
        warm, steady, flood = ready[:3], ready[3:3 + count], ready[3 + count:]

        say("warm-up: 3 campaigns")
        await _offer(a, shop, warm, 2.0)
        await _all_settled(a, warm, 60)

        groups = {"postgres": server_pgid(ctx.postgres), "broker": server_pgid(ctx.broker), "campaigns": service.pid}
        pids = {"bench": os.getpid(), "fake_meta": fake.pid}
        say(f"steady load: {count} approvals at {RATE:g}/s")
        meter = CpuMeter(groups, pids).start()
        await _offer(a, shop, steady, RATE)
        await _all_settled(a, steady, 120)
        cpu = meter.stop()

        say(f"saturation: {burst} approvals at once (for information)")
        meter = CpuMeter(groups, pids).start()
        await _offer(a, shop, flood, 1000.0)
        await _all_settled(a, flood, 180)
        flood_cpu = meter.stop()

        approved, live, states = await _timings(a, steady)
        steady_figures = _figures(approved, live)
        approved, live, flood_states = await _timings(a, flood)
        flood_figures = _figures(approved, live)
    finally:
        if runtime is not None:
            await runtime.close()
        if service is not None:
            service.stop()
        fake.terminate()
        fake.wait(10)
        assets.stop()

    rate, p50, p95 = steady_figures["per_s"], steady_figures["p50_s"], steady_figures["p95_s"]
    all_live = steady_figures["completed"] == count and states.get("live") == count
    detail = {"offered_per_s": RATE, "campaigns": count, "states": states, "cpu": cpu,
              "per_campaign": "campaign, ad set, image upload (1080x1080 JPEG), creative, ad, 3 status switches",
              "publisher": "ADLY_PUBLISH_CONCURRENCY 8, poll 2 s, woken by NOTIFY", **steady_figures,
              "saturation": {"campaigns": burst, "states": flood_states, "cpu": flood_cpu, **flood_figures}}
    say(f"{steady_figures['completed']}/{count} live, {rate:.2f} campaigns/s; approval->live p50 {p50:.3f} s, "
        f"p95 {p95:.3f} s; cpu {cpu['cpu_s']}")
    say(f"saturation: {flood_figures['completed']}/{burst} live at {flood_figures['per_s']:.2f}/s, "
        f"p95 {flood_figures['p95_s']:.3f} s; cpu {flood_cpu['cpu_s']}")
    return [
        Row(ISSUE, "campaigns_published_per_s", rate, "campaigns/s", None, None, ">= 2 campaigns/s on 2 cores",
            rate >= 2.0 and all_live, detail),
        Row(ISSUE, "campaigns_p95_approval_to_live_s", p95, "s", None, None, "< 3 s", p95 < 3.0 and all_live),
        Row(ISSUE, "campaigns_p50_approval_to_live_s", p50, "s", None, None, "info", None),
        Row(ISSUE, "campaigns_saturated_per_s", flood_figures["per_s"], "campaigns/s", None, None,
            "info (all approved at once)", None),
    ]


def publish_rows(quick: bool = False, broker: str = "tansu") -> list[dict[str, Any]]:
    """This module alone, on a Postgres and a broker of its own (as bench.run starts them)."""
    from bench.run import start_broker, start_postgres

    postgres = start_postgres()
    server = None
    try:
        server, bootstrap = start_broker(broker)
        ctx = BenchContext(quick=quick, broker_kind=broker, bootstrap=bootstrap, postgres=postgres, broker=server)
        return [row.full() for row in asyncio.run(run(ctx))]
    finally:
        if server is not None:
            server.stop()
        postgres.stop()


if __name__ == "__main__":
    print(json.dumps(publish_rows(quick="--quick" in sys.argv), indent=2, default=str))
