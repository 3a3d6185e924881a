"""Issue 13: signed webhook deliveries to a local receiver, per second and p99 from enqueue to delivery.

Three processes on the bench Postgres (a fresh database, the notifications schema migrated):

- the runner: `python -m bench.notifications --runner` opens the notifications service's
  adapters (`Runtime(build(), settings)`, roles worker) and runs its webhook runner,
  `deliver_webhooks`, unchanged: claims under a lease, two short transactions per delivery,
  each POST signed (Standard Webhooks, HMAC-SHA256), the host checked, the answer capped;
- the receiver: `python -m bench.notifications --receiver PORT`, a small HTTP/1.1 server on
  127.0.0.1 that verifies every delivery with the `standardwebhooks` package, as a
  merchant's system would, and answers 204 (its CPU is measured apart);
- this process: registers ENDPOINTS endpoints (one workspace each, all to the receiver,
  allowed through ADLY_WEBHOOK_PRIVATE_HOSTS) and enqueues notices through the service's
  own `handlers.webhooks.enqueue`, in transactions of BATCH, as the intake would.

Load: a steady RATE of deliveries per second (20 % above the target of 1,000) for
STEADY deliveries, then a burst of BURST enqueued at once (the saturated rate, information).
Measured from the database: enqueue = the delivery row's `created_at` (its transaction's
start), delivered = its `delivered_at` (the commit of the outcome). Rows:
notifications_webhooks_per_s = delivered / (last delivered - first enqueued) under the steady
load (target >= 1,000/s on 2 cores), notifications_webhook_p99_enqueue_to_delivery_ms under it
(information: no target was set; p50 beside it), and the burst's rate. Every delivery must
be delivered and verified by the receiver for the throughput row to pass. Bounded: at most
STEADY + BURST deliveries and DEADLINE seconds per phase.

    python -m bench.notifications [--quick]

runs it alone on a Postgres of its own; `python -m bench.run --only notifications` once registered.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from uuid import UUID

from adly_kit.devstack._process import free_port, tail
from bench.harness import ROOT, BenchContext, CpuMeter, Row, percentile, server_pgid

ISSUE = 13
NAME = "notifications"
DATABASE = "bench_notifications"
LOGS = ROOT / "var" / "bench-notifications"
TARGET = 1000.0
RATE = 1200.0
BATCH = 20
ENDPOINTS = 4
DEADLINE = 120.0
RUNNERS = 2         # worker processes, one per core: a runner spends most of its CPU in the HTTP client


def say(message: str) -> None:
    print(f"  [{NAME}] {message}", flush=True)


# ----------------------------------------------------------------------- the receiver


async def _receive(port: int) -> None:
    """HTTP/1.1 with keep-alive, just enough for the sender: read the head and the body,
    verify, answer 204. `GET /stats` answers the counts as JSON."""
    from standardwebhooks import Webhook

    secrets: list[str] = json.loads(os.environ["BENCH_WEBHOOK_SECRETS"])
    verifiers = [Webhook(s) for s in secrets]
    counts = {"verified": 0, "unverified": 0}

    def verified(body: bytes, headers: dict[str, str]) -> bool:
        for verifier in verifiers:
            try:
                verifier.verify(body, headers, json_parse=False)
                return True
            except Exception:
                continue
        return False

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if lines[0].startswith("GET /stats"):
                    answer = json.dumps(counts).encode()
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                                 + str(len(answer)).encode() + b"\r\n\r\n" + answer)
                else:
                    counts["verified" if verified(body, headers) else "unverified"] += 1
                    writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", port, backlog=1024)
    print(f"receiving on {port}", flush=True)
    async with server:
        await server.serve_forever()


# ----------------------------------------------------------------------- the runner


def _settings(url: str, schema: str, receiver_port: int) -> Any:
    from adly_notifications.settings import NotificationsSettings

    return NotificationsSettings(
        service_name="notifications", database_schema=schema, environment="test", ADLY_DATABASE_URL=url,
        ADLY_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:9",  # the runner never touches the broker
        kafka_broker_kind="tansu", topic_replication_factor=1, topic_min_insync_replicas=1,
        webhook_private_hosts=[f"127.0.0.1:{receiver_port}"], database_pool_size=20)


async def _run_runner(url: str, schema: str, receiver_port: int) -> None:
    from adly_kit.service import Runtime
    from adly_notifications.bootstrap import build
    from adly_notifications.entrypoints.runners import deliver_webhooks

    runtime = Runtime(build(), _settings(url, schema, receiver_port))
    try:
        a = await runtime.open(("worker",))
        print("runner started", flush=True)
        await deliver_webhooks(a)
    finally:
        await runtime.close()


def _spawn(args: list[str], log: Path, ready: str, env: dict[str, str]) -> subprocess.Popen:
    out = open(log, "wb")
    process = subprocess.Popen([sys.executable, "-m", "bench.notifications", *args], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=out)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline().decode() if process.stdout else ""
        if ready in line:
            return process
        if process.poll() is not None:
            break
    process.kill()
    raise RuntimeError(f"{args[0]} did not start:\n{tail(log, 30)}")


def _stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


# ----------------------------------------------------------------------- the load


async def _enqueue(a: Any, workspaces: list[UUID], count: int, rate: float | None) -> None:
    """`count` notices spread over the workspaces, BATCH per transaction, at `rate` per second
    (on schedule: a late batch does not delay the next) or all at once."""
    from adly_kit.db import unit_of_work
    from adly_notifications.handlers import webhooks
    from services.notifications.tests.integration.webhook_world import a_notice

    async def batch(n: int) -> None:
        async with unit_of_work(a.engine) as tx:
            for i in range(n):
                await webhooks.enqueue(tx, a, a_notice(workspaces[i % len(workspaces)]))

    started, sent = time.monotonic(), []
    for first in range(0, count, BATCH):
        if rate is not None:
            delay = started + first / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        sent.append(asyncio.create_task(batch(min(BATCH, count - first))))
    await asyncio.gather(*sent)


async def _settled(a: Any, since: float, count: int) -> dict[str, Any]:
    """Once `count` deliveries made after `since` are finished (or DEADLINE passed): the figures."""
    from sqlalchemy import text

    sql = a.settings.schema
    deadline = time.monotonic() + DEADLINE
    while True:
        async with a.engine.connect() as conn:
            done = (await conn.execute(text(f"""SELECT count(*) FROM {sql}.webhook_deliveries
                WHERE created_at >= to_timestamp(:since) AND state IN ('delivered', 'failed')"""),
                {"since": since})).scalar_one()
        if done >= count or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    async with a.engine.connect() as conn:
        rows = (await conn.execute(text(f"""SELECT extract(epoch FROM created_at), extract(epoch FROM delivered_at),
            state FROM {sql}.webhook_deliveries WHERE created_at >= to_timestamp(:since)"""), {"since": since})).all()
    delivered = [(float(r[0]), float(r[1])) for r in rows if r[2] == "delivered"]
    latencies = sorted((end - start) * 1000 for start, end in delivered)
    span = max((e for _, e in delivered), default=0.0) - min((s for s, _ in delivered), default=0.0)
    return {"enqueued": len(rows), "delivered": len(delivered), "per_s": len(delivered) / span if span > 0 else 0.0,
            "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99),
            "max_ms": latencies[-1] if latencies else None}


async def _stats(port: int) -> dict[str, int]:
    import httpx

    async with httpx.AsyncClient(timeout=5) as client:
        return dict((await client.get(f"http://127.0.0.1:{port}/stats")).json())


# ----------------------------------------------------------------------- the bench


async def run(ctx: BenchContext) -> list[Row]:
    from adly_kit import migrations
    from adly_kit.db import unit_of_work
    from adly_kit.service import Runtime
    from adly_notifications.bootstrap import MIGRATIONS, build
    from adly_notifications.domain.webhooks import target_of
    from adly_notifications.handlers import webhooks

    steady, burst = (3000, 3000) if ctx.quick else (12000, 10000)
    shutil.rmtree(LOGS, ignore_errors=True)
    LOGS.mkdir(parents=True, exist_ok=True)
    url, schema, port = ctx.fresh_database(DATABASE), "notifications", free_port()
    settings = _settings(url, schema, port)
    await asyncio.to_thread(migrations.upgrade, settings, str(MIGRATIONS))
    runtime = Runtime(build(), settings)
    receiver, runners = None, []
    try:
        a = await runtime.open(("command",))
        workspaces, secrets = [uuid.uuid4() for _ in range(ENDPOINTS)], []
        target = target_of(f"http://127.0.0.1:{port}/hooks", settings.webhook_private_hosts)
        for workspace_id in workspaces:
            async with unit_of_work(a.engine) as tx:
                made = await webhooks.register(tx, a, workspace_id, target, [], "bench", "bench")
            secrets.append(made.secret)
        env = dict(os.environ) | {"BENCH_WEBHOOK_SECRETS": json.dumps(secrets), "PYTHONUNBUFFERED": "1"}
        receiver = _spawn(["--receiver", str(port)], LOGS / "receiver.log", "receiving on", env)
        runners = [_spawn(["--runner", url, schema, str(port)], LOGS / f"runner{i}.log", "runner started", env)
                   for i in range(RUNNERS)]

        say("warm-up: 200 deliveries")
        since = time.time()
        await _enqueue(a, workspaces, 200, None)
        await _settled(a, since, 200)

        groups = {"postgres": server_pgid(ctx.postgres)}
        pids = {f"runner{i}": r.pid for i, r in enumerate(runners)} | {"receiver": receiver.pid, "bench": os.getpid()}
        say(f"steady load: {steady} deliveries at {RATE:g}/s")
        meter, since = CpuMeter(groups, pids).start(), time.time()
        await _enqueue(a, workspaces, steady, RATE)
        steady_figures = await _settled(a, since, steady)
        cpu = meter.stop()

        say(f"saturation: {burst} deliveries enqueued at once (for information)")
        meter, since = CpuMeter(groups, pids).start(), time.time()
        await _enqueue(a, workspaces, burst, None)
        burst_figures = await _settled(a, since, burst)
        burst_cpu = meter.stop()
        received = await _stats(port)
    finally:
        for runner in runners:
            _stop(runner)
        _stop(receiver)
        await runtime.close()

    rate, p50, p99 = steady_figures["per_s"], steady_figures["p50_ms"], steady_figures["p99_ms"]
    all_verified = received["unverified"] == 0 and received["verified"] >= 200 + steady + burst
    complete = steady_figures["delivered"] == steady and all_verified
    detail = {"offered_per_s": RATE, "endpoints": ENDPOINTS, "batch": BATCH, "cpu": cpu, "receiver": received,
              **steady_figures, "saturation": {**burst_figures, "cpu": burst_cpu},
              "runner": f"{RUNNERS} processes of deliver_webhooks, ADLY_WEBHOOK_CONCURRENCY 64 each, woken by NOTIFY"}
    say(f"{steady_figures['delivered']}/{steady} delivered at {rate:,.0f}/s; enqueue->delivery p50 {p50:.1f} ms, "
        f"p99 {p99:.1f} ms; cpu {cpu['cpu_s']}; receiver {received}")
    say(f"saturation: {burst_figures['delivered']}/{burst} at {burst_figures['per_s']:,.0f}/s, "
        f"p99 {burst_figures['p99_ms']:.0f} ms; cpu {burst_cpu['cpu_s']}")
    return [
        Row(ISSUE, "notifications_webhooks_per_s", rate, "deliveries/s", None, None, ">= 1,000/s on 2 cores",
            rate >= TARGET and complete, detail),
        Row(ISSUE, "notifications_webhook_p99_enqueue_to_delivery_ms", p99, "ms", None, None,
            f"info (at {RATE:g}/s offered)", None),
        Row(ISSUE, "notifications_webhook_p50_enqueue_to_delivery_ms", p50, "ms", None, None, "info", None),
        Row(ISSUE, "notifications_webhooks_saturated_per_s", burst_figures["per_s"], "deliveries/s", None, None,
            "info (all enqueued at once)", None),
    ]


def notifications_rows(quick: bool = False) -> list[dict[str, Any]]:
    """This module alone, on a Postgres of its own (as bench.run starts it); no broker is needed."""
    from bench.run import start_postgres

    postgres = start_postgres()
    try:
        ctx = BenchContext(quick=quick, broker_kind="tansu", bootstrap="127.0.0.1:9", postgres=postgres, broker=None)
        return [row.full() for row in asyncio.run(run(ctx))]
    finally:
        postgres.stop()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--receiver"]:
        asyncio.run(_receive(int(sys.argv[2])))
    elif sys.argv[1:2] == ["--runner"]:
        asyncio.run(_run_runner(sys.argv[2], sys.argv[3], int(sys.argv[4])))
    else:
        print(json.dumps(notifications_rows(quick="--quick" in sys.argv), indent=2, default=str))
