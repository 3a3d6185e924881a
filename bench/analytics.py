"""Issue 12: analytics ingest against bare COPY, and dashboard queries over 10,000,000 fact rows.

Ingest. A fresh database with the analytics schema migrated; 100 campaigns published (10 ads
each, through `handlers.ingest.campaign_published`), then ROWS daily ad-level performance rows
(1,000,000; 100 campaigns x 10 ads x 1,000 days) through the service's batch path exactly as a
consumed batch runs: per batch of BATCH rows (the kit consumer's `max_records`, 200), one
transaction that claims the batch's event ids in the inbox (the consumer's own statement) and
calls `handlers.ingest.performance_reported` with the list (facts COPYed and upserted, cells'
deltas COPYed and added, one `FiguresUpdated` with its outbox row), then commits: what the
service's performance consumer does with a batch, whose reports it handles as one run
(`Subscription.on_run`), less the rules, of which this workspace has none. Building the
events (what the consumer's decoding does) is outside the timing; the transaction is inside.
Baseline, same run: the same rows as tuples, COPYed by asyncpg (`copy_records_to_table`, one call)
into a bare logged table of the same columns with no key or index. Row analytics_ingest_rows_per_s
(target >= 0.7x the bare COPY), the same path with batches of BACKFILL rows (info), and the same
rows COPYed into the service's facts table with its key and index and nothing else (info: no
ingest that keeps one fact per series, let alone its rollups, can be faster than that), the same
rows upserted by hand through a temporary table in batches of BACKFILL (info: the least a correct
ingest does in SQL, still without inbox or rollups), and the
consumer's own transaction per batch of BATCH with no handler, inbox claim and fsynced commit
(info: the ceiling of any handler at the consumer's batch size).

Dashboard. Another fresh database: one workspace with FACTS daily ad rows (10,000,000; 1,000,000
with --quick, said in the row) over 730 days, 4 other workspaces with a fifth of that between
them, their orders' attribution entries, all COPYed, and their cells (what ingest maintains)
COPYed beside them. A separate process (`python -m bench.analytics --dashboard ...`, so its
memory is the dashboard's alone) opens the service's runtime and asks its HTTP app in-process,
signed like the gateway: the overview of 30 days (with the 30 before), the daily time series of
one campaign, and the top 10 products by attributed revenue, on random periods and campaigns, for
DASH_SECONDS or DASH_QUERIES each. Rows: analytics_dashboard_p99_ms (target < 30 ms, every query),
one p99 per query (info), and the process's RSS (info).

    python -m bench.analytics [--quick]

runs it alone on the bench's embedded Postgres (127.0.0.1 only; no broker: nothing here is
published); `python -m bench.run --only analytics` with the others.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.harness import ROOT, BenchContext, Row, percentile, ratio_row

ISSUE = 12
NAME = "analytics"
LOGS = ROOT / "var" / "bench-analytics"
SCHEMA = "analytics"
ROWS, QUICK_ROWS = 1_000_000, 200_000
BATCH, BACKFILL = 200, 5000
FACTS, QUICK_FACTS = 10_000_000, 1_000_000
DAYS, ADS = 730, 10
LAST_DAY = date(2026, 11, 30)
DASH_SECONDS, DASH_QUERIES = 20.0, 500
TARGET_RATIO, TARGET_P99_MS = 0.7, 30.0
PERFORMANCE_COLUMNS = ("campaign_id", "platform", "level", "object_id", "day", "hour", "workspace_id", "revision",
                       "impressions", "clicks", "spend", "spend_currency", "conversions", "conversion_value",
                       "value_currency", "reach", "ad_set_id", "ad_id", "product")
CELL_COLUMNS = ("workspace_id", "grain", "day", "hour", "platform", "campaign_id", "ad_set_id", "ad_id", "product",
                "currency", "rows", "impressions", "clicks", "spend", "conversions", "conversion_value", "orders",
                "revenue")
NO_ID = uuid.UUID(int=0)


def say(message: str) -> None:
    print(f"  [{NAME}] {message}", flush=True)


def settings(url: str) -> Any:
    from adly_kit.settings import ServiceSettings

    return ServiceSettings(service_name="analytics", database_schema=SCHEMA, environment="test",
                           ADLY_DATABASE_URL=url, ADLY_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:9",  # never reached
                           kafka_broker_kind="tansu", topic_replication_factor=1, topic_min_insync_replicas=1)


async def open_service(url: str) -> Any:
    from adly_analytics.bootstrap import MIGRATIONS, build
    from adly_kit import migrations
    from adly_kit.service import Runtime

    chosen = settings(url)
    await asyncio.to_thread(migrations.upgrade, chosen, str(MIGRATIONS))
    runtime = Runtime(build(), chosen)
    await runtime.open(("command",))
    return runtime


# ------------------------------------------------------------------------------ ingest


def campaign_ids(count: int) -> list[uuid.UUID]:
    return [uuid.UUID(int=(1 << 64) + n) for n in range(count)]


def ad_id(campaign: uuid.UUID, n: int) -> uuid.UUID:
    return uuid.UUID(int=campaign.int + ((n + 1) << 32))


def figures(c: int, d: int, n: int) -> tuple[int, int, Decimal, Decimal, Decimal]:
    seed = c * 7919 + d * 104729 + n * 31
    impressions = 500 + seed % 4500
    return (impressions, impressions // 40 + seed % 7, Decimal(seed % 90_000) / 100 + 1, Decimal(seed % 3),
            Decimal(seed % 50_000) / 100)


def ingest_rows(workspace: uuid.UUID, rows: int) -> Iterator[tuple[uuid.UUID, int, uuid.UUID, int, date, int]]:
    """(campaign, its index, ad, the ad's index, day, day's index): campaign by campaign, day by day, as pulls report."""
    campaigns = campaign_ids(max(1, rows // (ADS * 1000)))
    days = -(-rows // (len(campaigns) * ADS))
    made = 0
    for c, campaign in enumerate(campaigns):
        for d in range(days):
            for n in range(ADS):
                if made == rows:
                    return
                made += 1
                yield campaign, c, ad_id(campaign, n), n, LAST_DAY - timedelta(days=d), d


def reported(rows: list[tuple[Any, ...]]) -> list[Any]:
    from adly_events.contracts.campaigns import PerformanceLevel, PerformanceReported
    from adly_events.contracts.common import AdPlatform, Money

    pulled = datetime.now(UTC)
    made = []
    for campaign, c, ad, n, day, d in rows:
        impressions, clicks, spend, conversions, value = figures(c, d, n)
        made.append(PerformanceReported(
            campaign_id=campaign, platform=AdPlatform.META, level=PerformanceLevel.AD, ad_id=ad,
            platform_campaign_id=f"c-{c}", platform_object_id=f"ad-{c}-{n}", day=day, time_zone="UTC", revision=1,
            impressions=impressions, clicks=clicks, spend=Money(amount=spend, currency="SAR"),
            conversions=conversions, conversion_value=Money(amount=value, currency="SAR"), pulled_at=pulled))
    return made


def bare_record(workspace: uuid.UUID, row: tuple[Any, ...]) -> tuple[Any, ...]:
    campaign, c, ad, n, day, d = row
    impressions, clicks, spend, conversions, value = figures(c, d, n)
    return (campaign, "meta", "ad", f"ad-{c}-{n}", day, -1, workspace, 1, impressions, clicks, spend, "SAR",
            conversions, value, "SAR", None, f"set-{c}-{n % 2}", ad, None)


async def publish_campaigns(runtime: Any, workspace: uuid.UUID, count: int) -> None:
    from adly_analytics.handlers import ingest
    from adly_events.contracts.campaigns import CampaignPublished, PublishedAd
    from adly_events.contracts.common import AdPlatform
    from adly_kit.db import unit_of_work

    a = runtime.adapters
    async with unit_of_work(runtime.engine) as tx:
        for c, campaign in enumerate(campaign_ids(count)):
            ads = [PublishedAd(ad_id=ad_id(campaign, n), platform_ad_id=f"ad-{c}-{n}",
                               platform_ad_set_id=f"set-{c}-{n % 2}") for n in range(ADS)]
            await ingest.campaign_published(tx, a, workspace, campaign, CampaignPublished(
                platform=AdPlatform.META, ad_account_id="act_1", platform_campaign_id=f"c-{c}",
                platform_ad_set_ids=[f"set-{c}-0", f"set-{c}-1"], platform_ad_ids=[ad.platform_ad_id for ad in ads],
                ads=ads))


async def through_service(runtime: Any, workspace: uuid.UUID, rows: int, batch: int, *,
                          handled: bool = True) -> dict[str, Any]:
    """The consumer's transaction per batch: inbox claim, the batch handler (unless not `handled`:
    what the consumer costs before any handler), commit."""
    from sqlalchemy import text

    from adly_analytics.handlers import ingest
    from adly_kit.db import unit_of_work

    claim = text(f"INSERT INTO {SCHEMA}.inbox (consumer, event_id) SELECT :consumer, "
                 "unnest(CAST(:event_ids AS uuid[])) ON CONFLICT DO NOTHING RETURNING event_id")
    a, timed, written, pending = runtime.adapters, 0.0, 0, []
    cpu = time.process_time()
    for row in [*ingest_rows(workspace, rows), None]:
        if row is not None:
            pending.append(row)
        if len(pending) < batch and not (row is None and pending):
            continue
        events, ids = reported(pending), [uuid.uuid4() for _ in pending]
        pending = []
        started = time.perf_counter()
        async with unit_of_work(runtime.engine) as tx:
            await tx.execute(claim, {"consumer": "adly.analytics.performance", "event_ids": ids})
            if handled:
                written += await ingest.performance_reported(tx, a, [(workspace, e) for e in events])
            else:
                written += len(events)
        timed += time.perf_counter() - started
    return {"rows": written, "seconds": timed, "rows_per_s": written / timed, "batch": batch,
            "process_cpu_s_incl_event_building": time.process_time() - cpu}


async def bare_copy(url: str, workspace: uuid.UUID, rows: int, *, keyed: bool = False) -> dict[str, Any]:
    """COPY of the rows into a bare table (no key, no index), or, `keyed`, into the service's facts
    table with its key and index and nothing else (no rollup, no revision check): the most any
    ingest that keeps one fact per series can reach, emptied again afterwards."""
    import asyncpg

    records = [bare_record(workspace, row) for row in ingest_rows(workspace, rows)]
    connection = await asyncpg.connect(url)
    table, schema = ("performance", SCHEMA) if keyed else ("bench_bare_performance", None)
    try:
        if not keyed:
            await connection.execute("DROP TABLE IF EXISTS bench_bare_performance")
            await connection.execute(f"CREATE TABLE bench_bare_performance (LIKE {SCHEMA}.performance)")
        started = time.perf_counter()
        await connection.copy_records_to_table(table, schema_name=schema, records=records,
                                               columns=list(PERFORMANCE_COLUMNS))
        seconds = time.perf_counter() - started
        if keyed:
            await connection.execute(f"TRUNCATE {SCHEMA}.performance")
    finally:
        await connection.close()
    return {"rows": len(records), "seconds": seconds, "rows_per_s": len(records) / seconds}


async def staged_upsert(url: str, workspace: uuid.UUID, rows: int, batch: int) -> dict[str, Any]:
    """The least a correct ingest does in SQL, by hand: per batch, COPY into a temporary table and
    upsert into the keyed facts table where the revision is newer, one commit; no inbox, no
    rollup, no Python per row but the tuples. Emptied again afterwards."""
    import asyncpg

    records = [bare_record(workspace, row) for row in ingest_rows(workspace, rows)]
    series = "campaign_id, platform, level, object_id, day, hour"
    newer = ", ".join(f"{c} = excluded.{c}" for c in PERFORMANCE_COLUMNS if c not in series.split(", "))
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(f"CREATE TEMP TABLE staged (LIKE {SCHEMA}.performance) ON COMMIT DELETE ROWS")
        started = time.perf_counter()
        for first in range(0, len(records), batch):
            async with connection.transaction():
                await connection.copy_records_to_table("staged", records=records[first:first + batch],
                                                       columns=list(PERFORMANCE_COLUMNS))
                await connection.execute(
                    f"INSERT INTO {SCHEMA}.performance SELECT * FROM staged ON CONFLICT ({series}) "
                    f"DO UPDATE SET {newer} WHERE performance.revision < excluded.revision")
        seconds = time.perf_counter() - started
        await connection.execute(f"TRUNCATE {SCHEMA}.performance")
    finally:
        await connection.close()
    return {"rows": len(records), "seconds": seconds, "rows_per_s": len(records) / seconds, "batch": batch}


async def ingest_rows_measured(ctx: BenchContext) -> list[Row]:
    from sqlalchemy import text

    rows = QUICK_ROWS if ctx.quick else ROWS
    url = ctx.fresh_database("bench_analytics_ingest")
    runtime = await open_service(url)
    try:
        workspace = uuid.uuid4()
        await publish_campaigns(runtime, workspace, max(1, rows // (ADS * 1000)))
        say(f"bare COPY of {rows:,} rows")
        plain = url.replace("postgresql+asyncpg://", "postgresql://")
        bare = await bare_copy(plain, workspace, rows)
        keyed = await bare_copy(plain, workspace, rows, keyed=True)
        upserted = await staged_upsert(plain, workspace, rows, BACKFILL)
        say(f"bare COPY: {bare['rows_per_s']:,.0f} rows/s, into the keyed facts table {keyed['rows_per_s']:,.0f}; "
            f"the service's batch path, batches of {BATCH}")
        ours = await through_service(runtime, workspace, rows, BATCH)
        say(f"service: {ours['rows_per_s']:,.0f} rows/s ({ours['seconds']:.1f} s)")
        async with runtime.engine.begin() as tx:
            await tx.execute(text(f"TRUNCATE {SCHEMA}.performance, {SCHEMA}.cells, {SCHEMA}.inbox"))
        backfill_rows = rows // 5
        backfill = await through_service(runtime, workspace, backfill_rows, BACKFILL)
        say(f"service, batches of {BACKFILL}: {backfill['rows_per_s']:,.0f} rows/s over {backfill_rows:,} rows")
        consumer_only = await through_service(runtime, workspace, backfill_rows, BATCH, handled=False)
        say(f"the consumer alone (inbox claim and commit), batches of {BATCH}: "
            f"{consumer_only['rows_per_s']:,.0f} rows/s")
        async with runtime.engine.connect() as conn:
            updates = (await conn.execute(text(
                f"SELECT count(*) FROM {SCHEMA}.events WHERE event_type = 'FiguresUpdated'"))).scalar_one()
    finally:
        await runtime.close()
    detail = {"service": ours, "bare_copy": bare, "figures_updated_events": updates,
              "quick": ctx.quick, "rows": rows}
    return [
        ratio_row(ISSUE, "analytics_ingest_rows_per_s", ours["rows_per_s"], bare["rows_per_s"], "rows/s",
                  TARGET_RATIO, **detail),
        Row(ISSUE, "analytics_bare_copy_rows_per_s", bare["rows_per_s"], "rows/s", None, None,
            "info (the baseline: asyncpg COPY into a bare table)", None),
        Row(ISSUE, "analytics_keyed_copy_rows_per_s", keyed["rows_per_s"], "rows/s", bare["rows_per_s"],
            keyed["rows_per_s"] / bare["rows_per_s"],
            "info (COPY into the keyed facts table alone: the ceiling of any ingest)", None, keyed),
        Row(ISSUE, f"analytics_staged_upsert{BACKFILL}_rows_per_s", upserted["rows_per_s"], "rows/s", bare["rows_per_s"],
            upserted["rows_per_s"] / bare["rows_per_s"],
            f"info (COPY to a temporary table and upsert into the facts, batches of {BACKFILL}: no inbox, no rollup)",
            None, upserted),
        Row(ISSUE, "analytics_consumer_alone_rows_per_s", consumer_only["rows_per_s"], "rows/s", bare["rows_per_s"],
            consumer_only["rows_per_s"] / bare["rows_per_s"],
            f"info (inbox claim and commit per batch of {BATCH}, no handler: the ceiling at that size)", None,
            consumer_only),
        Row(ISSUE, f"analytics_ingest_batch{BACKFILL}_rows_per_s", backfill["rows_per_s"], "rows/s",
            bare["rows_per_s"], backfill["rows_per_s"] / bare["rows_per_s"], f"info (batches of {BACKFILL})",
            None, backfill),
    ]


# --------------------------------------------------------------------------- dashboard


def dashboard_shape(facts: int) -> dict[str, Any]:
    campaigns = max(1, facts // (DAYS * ADS))
    return {"facts": campaigns * DAYS * ADS, "campaigns": campaigns, "days": DAYS, "ads": ADS, "products": 500,
            "others": 4, "other_campaigns": max(1, campaigns // 20), "orders_per_day": 100}


def performance_records(workspace: uuid.UUID, campaigns: list[uuid.UUID]) -> Iterator[tuple[Any, ...]]:
    for c, campaign in enumerate(campaigns):
        for d in range(DAYS):
            day = LAST_DAY - timedelta(days=d)
            for n in range(ADS):
                yield bare_record(workspace, (campaign, c, ad_id(campaign, n), n, day, d))


def ad_cells(workspace: uuid.UUID, campaigns: list[uuid.UUID]) -> Iterator[tuple[Any, ...]]:
    """The ad cell of each fact (one daily ad row each, one currency), as ingest keeps it."""
    for record in performance_records(workspace, campaigns):
        campaign, _, _, _, day, _, _, _, impressions, clicks, spend, _, conversions, value, _, _, ad_set, ad, _ = record
        yield (workspace, "ad", day, -1, "meta", campaign, ad_set, ad, "", "SAR", 1, impressions, clicks, spend,
               conversions, value, 0, Decimal(0))


def order_cells(workspace: uuid.UUID, campaigns: list[uuid.UUID], shape: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    """Attributed orders: product cells, and their orders and revenue in the ad cells of their credit."""
    rng = random.Random(str(workspace))
    for d in range(DAYS):
        day = LAST_DAY - timedelta(days=d)
        products: dict[str, tuple[int, Decimal]] = {}
        for _ in range(shape["orders_per_day"]):
            product = f"p-{rng.randrange(shape['products'])}"
            orders, revenue = products.get(product, (0, Decimal(0)))
            products[product] = (orders + 1, revenue + Decimal(rng.randrange(2000, 90000)) / 100)
        for product, (orders, revenue) in products.items():
            yield (workspace, "product", day, -1, "", NO_ID, "", NO_ID, product, "SAR", 0, 0, 0, Decimal(0),
                   Decimal(0), Decimal(0), orders, revenue)


async def copy_all(connection: Any, table: str, columns: tuple[str, ...], records: Iterator[tuple[Any, ...]]) -> int:
    """COPY in slices of 200,000 records, so seeding holds one slice in memory at a time."""
    count = 0
    while True:
        chunk = [r for _, r in zip(range(200_000), records, strict=False)]
        if not chunk:
            return count
        await connection.copy_records_to_table(table, schema_name=SCHEMA, records=chunk, columns=list(columns))
        count += len(chunk)


async def seed_dashboard(url: str, workspace: uuid.UUID, shape: dict[str, Any]) -> dict[str, Any]:
    import asyncpg

    connection = await asyncpg.connect(url)
    started = time.perf_counter()
    facts = 0
    try:
        owners = [(workspace, campaign_ids(shape["campaigns"]))] + [
            (uuid.uuid4(), [uuid.UUID(int=(o + 2 << 96) + n) for n in range(shape["other_campaigns"])])
            for o in range(shape["others"])]
        for owner, campaigns in owners:
            facts += await copy_all(connection, "performance", PERFORMANCE_COLUMNS,
                                    performance_records(owner, campaigns))
            await copy_all(connection, "cells", CELL_COLUMNS, ad_cells(owner, campaigns))
            await copy_all(connection, "cells", CELL_COLUMNS, order_cells(owner, campaigns, shape))
            await connection.execute(
                f"INSERT INTO {SCHEMA}.cells ({', '.join(CELL_COLUMNS)}) SELECT workspace_id, 'workspace', day, -1, "
                f"'', '{NO_ID}', '', '{NO_ID}', '', currency, sum(rows), sum(impressions), sum(clicks), sum(spend), "
                "sum(conversions), sum(conversion_value), sum(orders), sum(revenue) "
                f"FROM {SCHEMA}.cells WHERE workspace_id = $1 AND grain IN ('ad', 'product') "
                "GROUP BY workspace_id, day, currency", owner)
            say(f"seeded workspace {owner} ({facts:,} fact rows so far, {time.perf_counter() - started:.0f} s)")
        await connection.execute(f"ANALYZE {SCHEMA}.cells")
        await connection.execute(f"ANALYZE {SCHEMA}.performance")
        target = await connection.fetchval(f"SELECT count(*) FROM {SCHEMA}.performance WHERE workspace_id = $1",
                                           workspace)
        cells = await connection.fetchval(f"SELECT count(*) FROM {SCHEMA}.cells")
    finally:
        await connection.close()
    return {"fact_rows_total": facts, "fact_rows_workspace": target, "cells": cells,
            "seed_seconds": round(time.perf_counter() - started, 1)}


async def dashboard_measured(ctx: BenchContext) -> list[Row]:
    facts = QUICK_FACTS if ctx.quick else FACTS
    shape = dashboard_shape(facts)
    url = ctx.fresh_database("bench_analytics_dashboard")
    runtime = await open_service(url)   # migrates the schema
    await runtime.close()
    workspace = uuid.uuid4()
    say(f"seeding {shape['facts']:,} fact rows in one workspace, {shape['others']} others beside it (COPY)")
    seeded = await seed_dashboard(url.replace("postgresql+asyncpg://", "postgresql://"), workspace, shape)
    say(f"seeded: {seeded}")
    LOGS.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "bench.analytics", "--dashboard", url, str(workspace), str(shape["campaigns"]),
               str(DASH_SECONDS / (2 if ctx.quick else 1))]
    with open(LOGS / "dashboard.log", "wb") as log:
        done = await asyncio.to_thread(subprocess.run, command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log,
                                       timeout=600, env=dict(os.environ) | {"PYTHONUNBUFFERED": "1"})
    if done.returncode != 0:
        raise RuntimeError(f"the dashboard process failed ({done.returncode}); see {LOGS / 'dashboard.log'}")
    result = json.loads(done.stdout.decode().strip().splitlines()[-1])
    everything = sorted(ms for kind in result["latencies"].values() for ms in kind)
    p99 = percentile(everything, 99)
    scale = f"{shape['facts']:,} fact rows" + (" (--quick: 1M, not 10M)" if ctx.quick else "")
    detail = {**seeded, "shape": shape, **{k: v for k, v in result.items() if k != "latencies"},
              "per_query": {k: summary(v) for k, v in result["latencies"].items()}}
    say(f"dashboard over {scale}: p99 {p99:.1f} ms; {detail['per_query']}; RSS {result['rss_mb']} MB")
    rows = [Row(ISSUE, "analytics_dashboard_p99_ms", p99, "ms", None, None, f"< 30 ms over {scale}",
                p99 < TARGET_P99_MS, detail)]
    rows += [Row(ISSUE, f"analytics_dashboard_{kind}_p99_ms", summary(v)["p99_ms"], "ms", None, None,
                 f"info ({len(v)} queries)", None) for kind, v in result["latencies"].items()]
    rows.append(Row(ISSUE, "analytics_dashboard_rss_mb", result["rss_mb"], "MB", None, None,
                    f"info (the serving process; peak {result['peak_rss_mb']} MB)", None))
    return rows


def summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"count": len(ordered), "p50_ms": round(percentile(ordered, 50), 2),
            "p99_ms": round(percentile(ordered, 99), 2), "max_ms": round(ordered[-1], 2)}


async def serve_dashboard(url: str, workspace: uuid.UUID, campaigns: int, seconds: float) -> dict[str, Any]:
    """In its own process: the service's HTTP app in-process, the three dashboard queries."""
    import httpx

    from adly_analytics.bootstrap import build
    from adly_kit.app import create_app
    from adly_kit.identity import sign
    from adly_kit.service import Runtime

    runtime = Runtime(build(), settings(url))
    await runtime.open(("api",))
    app = create_app(runtime, ("api",))
    claims = {"sub": str(uuid.uuid4()), "kind": "user", "sid": str(uuid.uuid4()), "mfa": False,
              "ws": str(workspace), "role": "analyst", "rid": "bench"}
    headers = {"X-Adly-Identity": sign(claims, runtime.settings.internal_identity_key.get_secret_value().encode())}
    rng = random.Random(12)
    ids = campaign_ids(campaigns)
    latencies: dict[str, list[float]] = {"overview_30d": [], "campaign_timeseries_30d": [], "top_products_30d": []}

    def period() -> dict[str, str]:
        until = LAST_DAY - timedelta(days=rng.randrange(DAYS - 60))
        return {"since": (until - timedelta(days=29)).isoformat(), "until": until.isoformat()}

    def ask() -> dict[str, tuple[str, dict[str, Any]]]:
        return {"overview_30d": ("/overview", period()),
                "campaign_timeseries_30d": ("/timeseries", {**period(), "campaign_id": str(rng.choice(ids))}),
                "top_products_30d": ("/breakdown", {**period(), "by": "product", "limit": 10})}

    base = f"/v1/workspaces/{workspace}/analytics"
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as client:
            for _ in range(20):   # warm-up: connections in the pool, code paths imported
                for tail, params in ask().values():
                    assert (await client.get(base + tail, params=params, headers=headers)).status_code == 200
            deadline = time.monotonic() + seconds
            peak = rss_mb()
            while time.monotonic() < deadline and len(latencies["overview_30d"]) < DASH_QUERIES:
                for kind, (tail, params) in ask().items():
                    started = time.perf_counter()
                    answer = await client.get(base + tail, params=params, headers=headers)
                    latencies[kind].append((time.perf_counter() - started) * 1000)
                    assert answer.status_code == 200, answer.text
                peak = max(peak, rss_mb())
    finally:
        await runtime.close()
    return {"latencies": latencies, "rss_mb": rss_mb(), "peak_rss_mb": max(peak, rss_mb(), hwm_mb())}


def rss_mb() -> float:
    return _status("VmRSS")


def hwm_mb() -> float:
    return _status("VmHWM")


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


# --------------------------------------------------------------------------------- run


async def run(ctx: BenchContext) -> list[Row]:
    LOGS.mkdir(parents=True, exist_ok=True)
    return [*await ingest_rows_measured(ctx), *await dashboard_measured(ctx)]


def main(argv: list[str] | None = None) -> int:
    import argparse

    from bench.harness import table
    from bench.run import start_postgres

    parser = argparse.ArgumentParser(prog="python -m bench.analytics")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:,} ingested rows, {QUICK_FACTS:,} facts")
    parser.add_argument("--only", choices=("ingest", "dashboard"), default=None)
    parser.add_argument("--dashboard", nargs=4, metavar=("URL", "WORKSPACE", "CAMPAIGNS", "SECONDS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.dashboard:
        url, workspace, campaigns, seconds = args.dashboard
        result = asyncio.run(serve_dashboard(url, uuid.UUID(workspace), int(campaigns), float(seconds)))
        print(json.dumps(result))
        return 0
    postgres = start_postgres()
    try:
        ctx = BenchContext(quick=args.quick, broker_kind="tansu", bootstrap="127.0.0.1:9", postgres=postgres,
                           broker=None)
        measured = {"ingest": ingest_rows_measured, "dashboard": dashboard_measured}
        chosen = [measured[args.only]] if args.only else list(measured.values())

        async def each() -> list[Row]:
            return [row for step in chosen for row in await step(ctx)]

        rows = asyncio.run(each())
    finally:
        postgres.stop()
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
