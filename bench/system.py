"""Issue 16: how long `make run` takes to be ready, and what each service process holds in memory.

`make run` is `adly-dev run` once `make install` has nothing left to do (a warm install: the
virtualenv, the embedded PostgreSQL and Tansu binaries already there). Here it runs as
`adly-dev run --data-dir var/bench-system/data` on ports of its own (127.0.0.1 only), with its
own embedded PostgreSQL and Tansu, not the benchmark's, exactly as a developer's terminal would:

1. first start, on an empty data directory (initdb, every schema migrated): seconds from the
   command to its table saying every service is ready (`Gateway listening on`). Information.
2. a second start on that data directory, the warm start a developer sees every day:
   system_make_run_ready_s (report), and each service's resident memory once ready
   (system_<service>_rss_after_start_mb: the server process and any children, not the
   devstack watchdog). A service idling above 200 MB is a finding to explain
   (docs/benchmarks.md).
3. `adly-dev run --sandbox` (the same, with the sandbox stores and ad accounts beside it),
   then the end-to-end load: JOURNEYS newcomer journeys through the gateway (`sandbox.Journey`,
   what `adly-dev run --check` walks: sign up, 2FA, connect every sandbox store and sync it,
   generate creatives, draft, approve and publish a campaign on the sandbox Meta ad account,
   disconnect), each one checked; then each service's resident memory again
   (system_<service>_rss_after_load_mb).

Each start is stopped with SIGINT, as Ctrl-C would, and the seconds it took are in the details.

    python -m bench.run --only system
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from adly_kit.devstack.run import SERVICES, port_taken
from bench.harness import ROOT, BenchContext, Row, descendants

ISSUE = 16
NAME = "system"
LOGS = ROOT / "var" / "bench-system"
GATEWAY_PORT, BASE_PORT = 18700, 18800   # the sandbox takes BASE_PORT + 10 and the ports after it
JOURNEYS, QUICK_JOURNEYS = 3, 1
READY_TIMEOUT = 300.0
IDLE_FINDING_MB = 200.0
READY_LINE, NOT_READY_LINE = "Gateway listening on", "Gateway is NOT ready"


def say(message: str) -> None:
    print(f"  [{NAME}] {message}", flush=True)


def _command(data: Path, *extra: str) -> list[str]:
    return [str(Path(sys.executable).with_name("adly-dev")), "run", "--data-dir", str(data),
            "--gateway-port", str(GATEWAY_PORT), "--base-port", str(BASE_PORT),
            "--ready-timeout", str(READY_TIMEOUT), *extra]


def _environment() -> dict[str, str]:
    """The developer's environment without anything that would point the stack elsewhere."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith("ADLY_") and k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")}


class Stack:
    """One `adly-dev run` in its own session, read line by line."""

    def __init__(self, data: Path, *extra: str, log: Path) -> None:
        self.data, self.lines, self.log = data, queue.Queue[str | None](), log
        self.started = time.perf_counter()
        self.process = subprocess.Popen(_command(data, *extra), cwd=ROOT, env=_environment(), text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        with open(self.log, "a") as log:
            for line in self.process.stdout:
                log.write(line)
                self.lines.put(line)
        self.lines.put(None)

    def ready_seconds(self) -> float:
        """Seconds from the command to its table saying every service is ready."""
        deadline = self.started + READY_TIMEOUT + 60
        while (left := deadline - time.perf_counter()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None or NOT_READY_LINE in line:
                break
            if READY_LINE in line:
                return time.perf_counter() - self.started
        raise RuntimeError(f"adly-dev run was not ready; see {self.log}")

    def resident_mb(self) -> dict[str, float]:
        """Each service's server process (with its children), not the watchdog above it."""
        held = {}
        for name in SERVICES:
            watchdog = int(json.loads((self.data / "run" / f"{name}.pid").read_text())["pgid"])
            held[name] = round(sum(_rss_kb(pid) for pid in descendants(watchdog)) / 1024, 1)
        return held

    def stop(self) -> float:
        started = time.perf_counter()
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return time.perf_counter() - started


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _refuse_busy_ports() -> None:
    for port in (GATEWAY_PORT, *range(BASE_PORT, BASE_PORT + 30)):
        if port_taken("127.0.0.1", port):
            raise RuntimeError(f"port {port} is taken; the system benchmark needs {GATEWAY_PORT} and "
                                   f"{BASE_PORT}-{BASE_PORT + 29} free")


def _journeys(data: Path, count: int) -> list[float]:
    from adly_kit.devstack.cli import options_of, parser
    from adly_kit.devstack.sandbox import Journey, log_mailbox

    options = options_of(parser().parse_args(_command(data, "--sandbox")[1:]))
    assert options.sandbox_plan is not None
    seconds = []
    for n in range(count):
        started = time.perf_counter()
        journey = Journey(options.url_of("gateway"), options.sandbox_plan, lambda m, n=n: say(f"journey {n + 1}: {m}"),
                          log_mailbox(data / "logs" / "auth.log"))
        if not journey.run():
            raise RuntimeError(f"the end-to-end journey {n + 1} failed; see {data / 'logs'}")
        seconds.append(round(time.perf_counter() - started, 1))
    return seconds


def measure(ctx: BenchContext) -> list[Row]:
    _refuse_busy_ports()
    shutil.rmtree(LOGS, ignore_errors=True)
    LOGS.mkdir(parents=True)
    data, log = LOGS / "data", LOGS / "adly-dev.log"
    detail: dict[str, Any] = {"command": " ".join(_command(data)[1:]), "services_measured": "server process + children"}

    say("first start on an empty data directory (initdb, migrations)")
    first = Stack(data, log=log)
    try:
        detail["first_start_ready_s"] = round(first.ready_seconds(), 2)
        detail["first_start_rss_mb"] = first.resident_mb()
    finally:
        detail["first_stop_s"] = round(first.stop(), 2)
    say(f"first start ready in {detail['first_start_ready_s']} s; the warm start")
    warm = Stack(data, log=log)
    try:
        ready = warm.ready_seconds()
        time.sleep(5)  # settled: consumers joined, first polls done
        after_start = warm.resident_mb()
    finally:
        detail["warm_stop_s"] = round(warm.stop(), 2)
    say(f"warm start ready in {ready:.1f} s; resident memory {after_start}")

    journeys = QUICK_JOURNEYS if ctx.quick else JOURNEYS
    say(f"with the sandbox: {journeys} end-to-end journeys through the gateway")
    loaded = Stack(data, "--sandbox", log=log)
    try:
        detail["sandbox_start_ready_s"] = round(loaded.ready_seconds(), 2)
        detail["journey_seconds"] = _journeys(data, journeys)
        after_load = loaded.resident_mb()
    finally:
        detail["sandbox_stop_s"] = round(loaded.stop(), 2)
    say(f"after the load: resident memory {after_load}")

    rows = [Row(ISSUE, "system_make_run_ready_s", ready, "s", None, None,
                "report (warm install, warm data directory)", None, detail),
            Row(ISSUE, "system_make_run_first_ready_s", detail["first_start_ready_s"], "s", None, None,
                "info (empty data directory: initdb, migrations)", None)]
    for name in sorted(after_start):
        mb = after_start[name]
        rows.append(Row(ISSUE, f"system_{name}_rss_after_start_mb", mb, "MB", None, None,
                        f"report (idle above {IDLE_FINDING_MB:.0f} MB: a finding)", None))
    for name in sorted(after_load):
        rows.append(Row(ISSUE, f"system_{name}_rss_after_load_mb", after_load[name], "MB", None, None,
                        f"report (after {journeys} journeys)", None))
    return rows


async def run(ctx: BenchContext) -> list[Row]:
    import asyncio

    return await asyncio.to_thread(measure, ctx)
