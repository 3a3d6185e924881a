"""What every benchmark module shares: the result row, the running stack, CPU accounting."""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from adly_kit.devstack._process import ManagedProcess, tail
from adly_kit.settings import ServiceSettings

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
ROW_KEYS = ("issue", "name", "value", "unit", "baseline", "ratio", "target", "passed")


@dataclass
class Row:
    """One measured figure, against a baseline and/or a target.

    `passed` is None for a figure reported for information only (no target).
    `detail` goes to the module's own JSON file, not to latest.json.
    """

    issue: int
    name: str
    value: float
    unit: str
    baseline: float | None
    ratio: float | None
    target: str
    passed: bool | None
    detail: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {k: _clean(getattr(self, k)) for k in ROW_KEYS}

    def full(self) -> dict[str, Any]:
        return {k: _clean(v) for k, v in asdict(self).items()}


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def ratio_row(issue: int, name: str, ours: float, baseline: float, unit: str, at_least: float, **detail: Any) -> Row:
    """A throughput row whose target is `ours >= at_least x baseline`."""
    ratio = ours / baseline if baseline else float("nan")
    return Row(issue, name, ours, unit, baseline, ratio, f">= {at_least:g}x baseline", ratio >= at_least, detail)


@dataclass
class BenchContext:
    """The stack one `bench.run` invocation shares between modules."""

    quick: bool
    broker_kind: str  # "tansu" or "kafka"
    bootstrap: str
    postgres: Any  # adly_kit.devstack.EmbeddedPostgres
    broker: Any  # TansuBroker or ApacheKafka
    topic_partitions: int = 3

    def fresh_database(self, name: str) -> str:
        """Drop and create database `name`; return its plain postgresql:// URL."""
        self.postgres.psql(
            "SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', :'dbname')\\gexec\n",
            variables={"dbname": name},
        )
        return self.postgres.create_database(name)

    def settings(self, service_name: str, database_url: str, schema: str, **overrides: Any) -> ServiceSettings:
        """Service settings for this stack: 3 partitions, replication 1, the broker's kind."""
        values: dict[str, Any] = {
            "service_name": service_name,
            "ADLY_DATABASE_URL": database_url,
            "ADLY_KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "database_schema": schema,
            "kafka_broker_kind": self.broker_kind,
            "topic_partitions": self.topic_partitions,
            "topic_replication_factor": 1,
            "topic_min_insync_replicas": 1,
        }
        values.update(overrides)
        return ServiceSettings(**values)


# ------------------------------------------------------------------ CPU accounting

_TICK = os.sysconf("SC_CLK_TCK")


def _stats() -> dict[int, list[str]]:
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stats[int(entry)] = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
    return stats


def _cpu_of(fields: list[str], children: bool) -> float:
    # utime, stime (and cutime, cstime: reaped children, e.g. a closed Postgres backend)
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _TICK


def _tree(stats: dict[int, list[str]], root: int) -> list[int]:
    """`root` and all its living descendants."""
    kids: dict[int, list[int]] = {}
    for pid, fields in stats.items():
        kids.setdefault(int(fields[1]), []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += kids.get(pid, [])
    return found


def descendants(root: int) -> list[int]:
    """The living descendants of process `root` (not `root` itself)."""
    return _tree(_stats(), root)[1:]


def _tree_cpu(stats: dict[int, list[str]], root: int) -> float:
    """CPU seconds of `root` and all its descendants, including reaped ones."""
    return sum(_cpu_of(stats[pid], children=True) for pid in _tree(stats, root) if pid in stats)


def server_pgid(server: Any) -> int | None:
    """Pid of a devstack server's watchdog (the root of its process tree), if exposed."""
    proc = getattr(server, "_proc", None)
    return getattr(proc, "pid", None)


class CpuMeter:
    """CPU seconds used by named process trees / processes between start() and stop()."""

    def __init__(self, groups: dict[str, int | None], pids: dict[str, int] | None = None) -> None:
        self.groups = {k: v for k, v in groups.items() if v}
        self.pids = dict(pids or {})
        self._start: dict[str, float] = {}
        self._wall = 0.0
        self._machine: tuple[int, int, int, int] = (0, 0, 0, 0)

    def _sample(self) -> dict[str, float]:
        stats = _stats()
        sample = {name: _tree_cpu(stats, root) for name, root in self.groups.items()}
        sample |= {name: _cpu_of(stats[pid], children=False) for name, pid in self.pids.items() if pid in stats}
        return sample

    @staticmethod
    def _machine_ticks() -> tuple[int, int, int, int]:
        """(busy, total, irq + softirq, steal) ticks of all CPUs since boot."""
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        idle = values[3] + values[4]
        return sum(values) - idle, sum(values), values[5] + values[6], values[7]

    def start(self) -> CpuMeter:
        self._start = self._sample()
        self._wall = time.monotonic()
        self._machine = self._machine_ticks()
        return self

    def stop(self) -> dict[str, Any]:
        end = self._sample()
        wall = time.monotonic() - self._wall
        busy0, total0, irq0, steal0 = self._machine
        busy1, total1, irq1, steal1 = self._machine_ticks()
        used = {name: round(end[name] - self._start.get(name, 0.0), 2) for name in end}
        busy_s = (busy1 - busy0) / _TICK
        irq_s, steal_s = (irq1 - irq0) / _TICK, (steal1 - steal0) / _TICK
        return {
            "wall_s": round(wall, 2),
            "cpu_s": used,
            "machine_busy_pct": round(100.0 * (busy1 - busy0) / max(total1 - total0, 1), 1),
            "irq_softirq_s": round(irq_s, 2),
            "steal_s": round(steal_s, 2),
            # CPU of processes outside the benchmark: noise if large.
            "others_cpu_s": round(max(busy_s - irq_s - steal_s - sum(used.values()), 0.0), 2),
        }


# ------------------------------------------------------------------ statistics


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(q / 100.0 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def fmt(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if unit in ("ms",):
        return f"{value:,.1f}"
    if float(value).is_integer():
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def table(rows: Iterable[Row]) -> str:
    header = ("issue", "name", "ours", "baseline", "ratio", "target", "result")
    lines = [header]
    for r in rows:
        result = "info" if r.passed is None else ("PASS" if r.passed else "FAIL")
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}x"
        lines.append(
            (str(r.issue), r.name, f"{fmt(r.value, r.unit)} {r.unit}",
             "-" if r.baseline is None else f"{fmt(r.baseline, r.unit)} {r.unit}", ratio, r.target, result)
        )  # fmt: skip
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(cell.ljust(widths[i]) if i < 2 or i >= 5 else cell.rjust(widths[i])
                             for i, cell in enumerate(line)).rstrip())  # fmt: skip
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


# ----------------------------------------------------------- service processes


def service_env(ctx: BenchContext, url: str) -> dict[str, str]:
    """What a service process of the bench stack reads: its database, the bench broker."""
    return dict(os.environ) | {
        "PYTHONUNBUFFERED": "1",
        "ADLY_ENVIRONMENT": "test",
        "ADLY_LOG_LEVEL": "WARNING",
        "ADLY_HTTP_HOST": "127.0.0.1",
        "ADLY_DATABASE_URL": url,
        "ADLY_KAFKA_BOOTSTRAP_SERVERS": ctx.bootstrap,
        "ADLY_KAFKA_BROKER_KIND": ctx.broker_kind,
        "ADLY_TOPIC_REPLICATION_FACTOR": "1",
        "ADLY_TOPIC_MIN_INSYNC_REPLICAS": "1",
        "ADLY_TOPIC_PARTITIONS": str(ctx.topic_partitions),
    }


async def run_command(command: list[str], env: dict[str, str], log: Path) -> None:
    with open(log, "wb") as out:
        proc = await asyncio.create_subprocess_exec(*command, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT)
        try:
            code = await asyncio.wait_for(proc.wait(), 180)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            code = -1
    if code != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({code}):\n{tail(log, 30)}")


async def wait_ready(url: str, process: ManagedProcess, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if not process.is_running():
                raise RuntimeError(f"{process.name} exited:\n{tail(process.log_path, 40)}")
            try:
                if (await client.get(f"{url}/ready")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{process.name} not ready in {timeout:.0f}s:\n{tail(process.log_path, 40)}")
