"""Run the benchmarks on one embedded Postgres and one broker, print one table, write JSON.

    python -m bench.run [--quick] [--broker tansu|kafka] [--only NAME ...]

- Postgres: `adly_kit.devstack.EmbeddedPostgres` with its data in var/bench-pg,
  durability on (fsync, synchronous_commit, full_page_writes: the defaults) and
  `track_commit_timestamp = on` (set once with ALTER SYSTEM; it only records commit
  times, which the end-to-end latency reads). Every module gets a fresh database.
- Broker: Tansu (memory storage) by default, or Apache Kafka (KRaft, one node, data in
  var/bench-kafka, wiped at every run) with `--broker kafka`.
- Modules: `bench.registry.MODULES`; each returns rows (see `bench.harness.Row`).
- Output: the table on stdout, bench/results/<module>.json (rows with details and the
  environment) and bench/results/latest.json (the summary rows of every issue; rows of
  modules not run this time are kept).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import platform
import shutil
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness import RESULTS, ROOT, BenchContext, Row, table
from bench.registry import MODULES

PG_DIR = ROOT / "var" / "bench-pg"
KAFKA_DIR = ROOT / "var" / "bench-kafka"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts, about a minute in all")
    parser.add_argument("--broker", choices=("tansu", "kafka"), default="tansu")
    parser.add_argument("--only", nargs="*", default=None, help="module NAMEs to run (default: all)")
    return parser.parse_args(argv)


def start_postgres() -> Any:
    from adly_kit.devstack.postgres import EmbeddedPostgres

    postgres = EmbeddedPostgres(PG_DIR)
    postgres.start()
    if postgres.psql("SHOW track_commit_timestamp").strip() != "on":
        # A restart-only setting; postgresql.auto.conf keeps it for later runs.
        postgres.psql("ALTER SYSTEM SET track_commit_timestamp = on")
        postgres.stop()
        postgres.start()
    return postgres


def start_broker(kind: str) -> tuple[Any, str]:
    if kind == "kafka":
        from adly_kit.devstack.apache_kafka import ApacheKafka

        shutil.rmtree(KAFKA_DIR, ignore_errors=True)
        broker = ApacheKafka(KAFKA_DIR)
    else:
        from adly_kit.devstack.tansu import TansuBroker

        broker = TansuBroker()
    return broker, broker.start()


def kit_version() -> dict[str, Any]:
    """The commit measured, and whether the kit or events library differed from it."""
    import hashlib
    import subprocess

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    digest = hashlib.sha256()
    for path in sorted([*(ROOT / "libs/kit/adly_kit").rglob("*.py"), *(ROOT / "libs/events/adly_events").rglob("*.py")]):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return {
        "commit": git("rev-parse", "--short", "HEAD") or None,
        "libs_modified_since_commit": bool(git("status", "--porcelain", "--", "libs/kit", "libs/events")),
        "libs_sha256": digest.hexdigest()[:16],
    }


def environment(ctx: BenchContext) -> dict[str, Any]:
    return {
        "code": kit_version(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgres": ctx.postgres.psql("SELECT version()").strip(),
        "postgres_settings": {
            name: ctx.postgres.psql(f"SHOW {name}").strip()
            for name in ("fsync", "synchronous_commit", "full_page_writes", "wal_sync_method", "track_commit_timestamp")
        },
        "broker": ctx.broker_kind,
        "quick": ctx.quick,
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
    }


def write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


def merge_latest(rows: list[Row], issues_run: set[int]) -> list[dict[str, Any]]:
    """This run's rows, plus the rows of issues this run did not measure."""
    path = RESULTS / "latest.json"
    kept: list[dict[str, Any]] = []
    if path.exists():
        try:
            kept = [r for r in json.loads(path.read_text()) if r.get("issue") not in issues_run]
        except (ValueError, AttributeError):
            kept = []
    return sorted(kept + [r.summary() for r in rows], key=lambda r: r["issue"])


async def run_modules(ctx: BenchContext, names: list[str] | None) -> tuple[list[Row], set[int], bool]:
    all_rows: list[Row] = []
    issues: set[int] = set()
    ok = True
    env = environment(ctx)
    for module_path in MODULES:
        try:
            module = importlib.import_module(module_path)
        except Exception:
            print(f"cannot import {module_path}:\n{traceback.format_exc()}", file=sys.stderr, flush=True)
            ok = False
            continue
        if names and module.NAME not in names and module_path not in names:
            continue
        print(f"== {module.NAME} (issue {module.ISSUE})", flush=True)
        started = time.monotonic()
        error = None
        try:
            rows = await module.run(ctx)
        except Exception:
            error = traceback.format_exc()
            print(error, file=sys.stderr, flush=True)
            rows, ok = [], False
        wall = time.monotonic() - started
        print(f"   {module.NAME}: {wall:.1f} s", flush=True)
        write_json(RESULTS / f"{module.NAME}.json", {
            "issue": module.ISSUE,
            "module": module.NAME,
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "wall_seconds": round(wall, 1),
            "command": "python -m bench.run" + (" --quick" if ctx.quick else "") + f" --broker {ctx.broker_kind}",
            "environment": env,
            "error": error,
            "rows": [r.full() for r in rows],
        })  # fmt: skip
        all_rows += rows
        if rows:
            issues.add(module.ISSUE)
    return all_rows, issues, ok


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from adly_kit.telemetry import setup_telemetry

    setup_telemetry("bench")  # what `serve` does in every service process
    started = time.monotonic()
    RESULTS.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: load average {load:.2f} before the run; other processes will skew the figures")
    postgres = broker = None
    try:
        postgres = start_postgres()
        broker, bootstrap = start_broker(args.broker)
        print(f"stack: postgres {postgres.url}  {args.broker} {bootstrap}  ({time.monotonic() - started:.1f} s)")
        ctx = BenchContext(quick=args.quick, broker_kind=args.broker, bootstrap=bootstrap, postgres=postgres,
                           broker=broker)  # fmt: skip
        import uvloop

        rows, issues, ok = uvloop.run(run_modules(ctx, args.only))
    finally:
        if broker is not None:
            broker.stop()
        if postgres is not None:
            postgres.stop()
    print()
    print(table(rows))
    if rows:
        write_json(RESULTS / "latest.json", merge_latest(rows, issues))
    print(f"\nwall time {time.monotonic() - started:.1f} s; results in {RESULTS.relative_to(ROOT)}/")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
