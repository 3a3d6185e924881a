"""Issue 11: pulling performance for 1,000 ads x 30 days from each ad platform's fake.

Per platform, its fake runs as its own process (`python -m bench.perf_fakes <platform>`: 100
live campaigns, one ad set each, 10 ads per ad set, figures for every day), so its CPU is
measured apart; this process drives the platform's `PerformanceReader`, as the service builds it
(`build(settings)` of the platform's package, pointed at the fake), exactly as the scheduler
calls it: every campaign, the last 30 days (today included, in the ad account's time zone) at the
campaign, ad set and ad levels, plus today's hours at the campaign level.

Measured per pull: normalised rows (`PerformanceRow`s answered) per second of wall time, this
process's CPU (time.process_time: parsing, HTTP, asyncio) per 1,000 rows, and the fake process's
CPU per 1,000 rows (/proc, reported apart: it is not the client's cost, but its serving time is
inside the wall time, so a slow fake lowers rows/s). The fake answers a report query it has
answered before from memory (bench/perf_fakes.py, `ReportMemo`): the first, full pull fills it
while the fake works its figures out (reported apart, as ..._first_pull_rows_per_s), then
REPEATS pulls are measured; the median pull is reported.

Rows: campaigns_perf_<platform>_rows_per_s (target >= 50,000 rows/s),
campaigns_perf_<platform>_client_cpu_ms_per_1k_rows and ..._fake_cpu_ms_per_1k_rows (info),
..._first_pull_rows_per_s (info: the pull that found the fake computing),
..._client_bound_rows_per_s (info: rows per second of the client's CPU, what it would reach
against an instant platform), and campaigns_perf_rows_per_s over every platform measured (target
>= 50,000 rows/s). A platform whose fake or reader is not there yet gets one "skipped" row
instead of failing the module. With 2 cores, the fake and the client each have one; other load
on the machine lowers rows/s (the module prints the load average it started at).

    python -m bench.campaigns_performance [--quick] [--only meta ...]

runs it alone (it needs no Postgres or broker); `python -m bench.run --only campaigns_performance`
once registered in bench/registry.py.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import math
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from adly_kit.devstack._process import free_port, tail
from bench.harness import ROOT, CpuMeter, Row

ISSUE = 11
NAME = "campaigns_performance"
LOGS = ROOT / "var" / "bench-campaigns-performance"
TARGET = 50_000.0
DAYS = 30
SHAPE = {"campaigns": 100, "ad_sets": 1, "ads": 10}   # 1,000 ads
REPEATS = 3
# platform: (module, builder function) giving PlatformClients from CampaignsSettings
BUILDERS = {
    "meta": ("adly_campaigns.adapters.platforms", "build_meta"),
    "tiktok": ("adly_campaigns.adapters.tiktok", "build"),
    "snapchat": ("adly_campaigns.adapters.snapchat", "build"),
    "google_ads": ("adly_campaigns.adapters.google_ads", "build"),
}


class Unavailable(Exception):
    """The platform's fake, seeding or reader is not there yet: a skipped row, not a failure."""


def say(message: str) -> None:
    print(f"  [{NAME}] {message}", flush=True)


def start_fake(platform: str, log: Path) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    command = [sys.executable, "-m", "bench.perf_fakes", platform, "--port", str(free_port()),
               "--campaigns", str(SHAPE["campaigns"]), "--ad-sets", str(SHAPE["ad_sets"]), "--ads", str(SHAPE["ads"])]
    err = open(log, "wb")
    fake = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=err)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = fake.stdout.readline().decode() if fake.stdout else ""
        if line.startswith("{"):
            about = json.loads(line)
            if "unavailable" in about:
                fake.wait(10)
                raise Unavailable(about["unavailable"])
            return fake, about
        if fake.poll() is not None:
            break
    fake.kill()
    raise Unavailable(f"the {platform} fake did not start: {tail(log, 5).strip()[-200:]}")


def build_clients(platform: str, about: dict[str, Any]) -> Any:
    from adly_campaigns.settings import CampaignsSettings

    module, function = BUILDERS[platform]
    try:
        build = getattr(importlib.import_module(module), function)
    except (ImportError, AttributeError) as error:
        raise Unavailable(f"{module}.{function} is not there yet ({error})") from None
    settings = CampaignsSettings(environment="test", ADLY_DATABASE_URL="postgresql://bench@127.0.0.1:9/unused",
                                 ADLY_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:9", platform_timeout_seconds=30.0,
                                 **about["settings"])
    clients = build(settings)
    if clients is None or clients.reports is None:
        raise Unavailable(f"{module}.{function} builds no PerformanceReader yet")
    return clients


async def measure(platform: str, repeats: int) -> dict[str, Any]:
    from adly_campaigns.domain.ports import AccountAccess

    fake, about = start_fake(platform, LOGS / f"{platform}.log")
    clients = None
    try:
        clients = build_clients(platform, about)
        access = AccountAccess(**about["account"])
        ids = about["campaign_ids"]
        today = datetime.now(ZoneInfo(access.time_zone)).date()
        since = today - timedelta(days=DAYS - 1)
        reader = clients.reports
        started = time.perf_counter()
        first = len(await reader.performance(access, ids, since, today, hourly_day=today))
        first_rate = first / (time.perf_counter() - started)
        pulls = []
        for _ in range(repeats):
            meter = CpuMeter({}, {"fake": fake.pid}).start()
            cpu, started = time.process_time(), time.perf_counter()
            rows = await reader.performance(access, ids, since, today, hourly_day=today)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            fake_cpu = meter.stop()["cpu_s"].get("fake", float("nan"))
            pulls.append({"rows": len(rows), "wall_s": wall, "client_cpu_s": cpu, "fake_cpu_s": fake_cpu,
                          "rows_per_s": len(rows) / wall if wall else 0.0,
                          "by_level": dict(Counter(f"{r.level.value}{'/hour' if r.hour is not None else ''}"
                                                   for r in rows))})
            del rows  # the next pull starts on the heap a service would have
        median = sorted(pulls, key=lambda p: p["rows_per_s"])[len(pulls) // 2]
        return {**median, "pulls": pulls, "first_pull_rows_per_s": first_rate, "since": since.isoformat(), "until": today.isoformat(),
                "load_average_1m": round(os.getloadavg()[0], 2),
                "campaigns": len(ids), "ads": SHAPE["campaigns"] * SHAPE["ad_sets"] * SHAPE["ads"]}
    finally:
        if clients is not None:
            await clients.aclose()
        fake.terminate()
        try:
            fake.wait(10)
        except subprocess.TimeoutExpired:
            fake.kill()


def per_thousand(seconds: float, rows: int) -> float:
    return 1000.0 * seconds * 1000.0 / rows if rows else float("nan")


async def measure_all(quick: bool, only: list[str] | None = None) -> list[Row]:
    LOGS.mkdir(parents=True, exist_ok=True)
    say(f"load average {os.getloadavg()[0]:.2f} at the start")
    rows: list[Row] = []
    measured: dict[str, dict[str, Any]] = {}
    for platform in BUILDERS:
        if only and platform not in only:
            continue
        try:
            result = await measure(platform, 1 if quick else REPEATS)
        except Unavailable as why:
            say(f"{platform}: skipped ({why})")
            rows.append(Row(ISSUE, f"campaigns_perf_{platform}_rows_per_s", float("nan"), "rows/s", None, None,
                            f"skipped: {str(why)[:90]}", None, {"skipped": str(why)}))
            continue
        except Exception as error:  # the reader failed the pull: a failed row, the other platforms still run
            say(f"{platform}: failed ({error!r})")
            rows.append(Row(ISSUE, f"campaigns_perf_{platform}_rows_per_s", float("nan"), "rows/s", None, None,
                            f">= 50,000 rows/s; failed: {str(error)[:80]}", False, {"error": repr(error)}))
            continue
        measured[platform] = result
        rate, count = result["rows_per_s"], result["rows"]
        client_ms, fake_ms = per_thousand(result["client_cpu_s"], count), per_thousand(result["fake_cpu_s"], count)
        say(f"{platform} pulls: " + ", ".join(f"{p['rows_per_s']:,.0f} rows/s ({p['client_cpu_s']:.2f} s CPU)"
                                              for p in result["pulls"]))
        say(f"{platform}: {count} rows in {result['wall_s']:.2f} s = {rate:,.0f} rows/s; client CPU "
            f"{client_ms:.1f} ms/1k rows, fake CPU {fake_ms:.1f} ms/1k rows; {result['by_level']}")
        rows += [
            Row(ISSUE, f"campaigns_perf_{platform}_rows_per_s", rate, "rows/s", None, None, ">= 50,000 rows/s",
                rate >= TARGET, result),
            Row(ISSUE, f"campaigns_perf_{platform}_client_cpu_ms_per_1k_rows", client_ms, "ms", None, None,
                "info (CPU of the client per 1,000 rows)", None),
            Row(ISSUE, f"campaigns_perf_{platform}_fake_cpu_ms_per_1k_rows", fake_ms, "ms", None, None,
                "info (the fake's own CPU, apart)", None),
            Row(ISSUE, f"campaigns_perf_{platform}_first_pull_rows_per_s", result["first_pull_rows_per_s"], "rows/s",
                None, None, "info (the fake computing its figures: its time, not the client's)", None),
            Row(ISSUE, f"campaigns_perf_{platform}_client_bound_rows_per_s", 1e6 / client_ms if client_ms else 0.0,
                "rows/s", None, None, "info (rows per client CPU second: an instant platform)", None),
        ]
    if measured:
        total = sum(r["rows"] for r in measured.values())
        wall = sum(r["wall_s"] for r in measured.values())
        client = sum(r["client_cpu_s"] for r in measured.values())
        fake = sum(r["fake_cpu_s"] for r in measured.values() if not math.isnan(r["fake_cpu_s"]))
        rate = total / wall if wall else 0.0
        rows += [
            Row(ISSUE, "campaigns_perf_rows_per_s", rate, "rows/s", None, None,
                f">= 50,000 rows/s ({len(measured)}/{len(BUILDERS)} platforms)", rate >= TARGET,
                {"platforms": sorted(measured), "rows": total, "wall_s": wall, "client_cpu_s": client,
                 "fake_cpu_s": fake}),
            Row(ISSUE, "campaigns_perf_client_cpu_ms_per_1k_rows", per_thousand(client, total), "ms", None, None,
                "info (all platforms measured)", None),
        ]
    return rows


async def run(ctx: Any) -> list[Row]:
    return await measure_all(bool(getattr(ctx, "quick", False)))


def main(argv: list[str] | None = None) -> int:
    import argparse

    from bench.harness import table

    parser = argparse.ArgumentParser(prog="python -m bench.campaigns_performance")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args(argv)
    rows = asyncio.run(measure_all(args.quick, args.only))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

