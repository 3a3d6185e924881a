"""What `/ready` and `/health/` report: each dependency's state and the verdict drawn from it.

Every check answers "ok", "degraded" or "down"; the process is as healthy as its worst
check (any down: unhealthy; any degraded: degraded). Down is what makes the process useless
where it stands: no database, or a broker gone for longer than a blip. Degraded is what an
operator should look at but a restart would not fix: a broker blip, a disk or memory near
its limit, a third-party API whose last call failed.
"""

from __future__ import annotations

import asyncio
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Kept here rather than in adly_kit.settings: how long a broker may be unreachable before
# /ready fails. Probes every 10 s with a failure threshold of 3 already ride out ~30 s;
# this grace makes one failed ping harmless on its own, whatever the probe's settings.
READY_BROKER_GRACE_SECONDS = 30.0
CHECK_TIMEOUT_SECONDS = 2.0
DISK_FREE_MIN_BYTES = 512 * 1024 * 1024
MEMORY_HIGH_RATIO = 0.9  # of the cgroup's limit, where there is one

OK, DEGRADED, DOWN = "ok", "degraded", "down"
VERDICTS = {OK: "healthy", DEGRADED: "degraded", DOWN: "unhealthy"}
_RANK = {OK: 0, DEGRADED: 1, DOWN: 2}


def verdict(checks: dict[str, dict[str, Any]]) -> str:
    worst = max((check["status"] for check in checks.values()), key=_RANK.__getitem__, default=OK)
    return VERDICTS[worst]


@dataclass
class Outage:
    """When a dependency was first seen unreachable, so a blip is told from an outage.

    Only probes observe it, so "down for" counts from the first failed probe."""

    grace_seconds: float = READY_BROKER_GRACE_SECONDS
    clock: Callable[[], float] = time.monotonic
    since: float | None = None

    def observe(self, reachable: bool) -> dict[str, Any]:
        if reachable:
            self.since = None
            return {"status": OK}
        now = self.clock()
        if self.since is None:
            self.since = now
        down_for = now - self.since
        return {"status": DEGRADED if down_for < self.grace_seconds else DOWN, "down_for_seconds": round(down_for, 1)}


@dataclass
class _LastCall:
    success: datetime | None = None
    failure: datetime | None = None
    error: str | None = None


@dataclass
class ExternalApis:
    """The last-known outcome of calls to each third party, as the outbound clients saw
    them: /health/ reads it and never calls a platform itself (a probe every few seconds,
    times every pod, would spend rate limits and report the probe's luck)."""

    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    calls: dict[str, _LastCall] = field(default_factory=dict)

    def succeeded(self, name: str) -> None:
        self.calls.setdefault(name, _LastCall()).success = self.now()

    def failed(self, name: str, error: str) -> None:
        last = self.calls.setdefault(name, _LastCall())
        last.failure, last.error = self.now(), error

    def check(self) -> dict[str, Any]:
        apis = {name: _api_state(last) for name, last in sorted(self.calls.items())}
        failing = any(api["status"] != OK for api in apis.values())
        return {"status": DEGRADED if failing else OK, "apis": apis}


def _api_state(last: _LastCall) -> dict[str, Any]:
    failing = last.failure is not None and (last.success is None or last.failure > last.success)
    return {
        "status": DEGRADED if failing else OK,
        "last_success": last.success.isoformat() if last.success else None,
        "last_failure": last.failure.isoformat() if last.failure else None,
        "error": last.error if failing else None,
    }


EXTERNAL_APIS = ExternalApis()  # one per process, written by adly_kit.outbound


async def database_check(is_ready, timeout: float = CHECK_TIMEOUT_SECONDS) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        reachable = await asyncio.wait_for(is_ready(), timeout)
    except TimeoutError:
        reachable = False
    return {"status": OK if reachable else DOWN, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def disk_check(path: Path, min_free: int = DISK_FREE_MIN_BYTES) -> dict[str, Any]:
    while not path.exists() and path != path.parent:
        path = path.parent  # a data dir not made yet lives on its parent's disk
    free = shutil.disk_usage(path).free
    return {"status": OK if free >= min_free else DEGRADED, "free_bytes": free, "threshold_bytes": min_free}


def data_dir(settings: Any) -> Path:
    """Where the service writes: its asset dir when it has one, the temp dir otherwise."""
    return Path(getattr(settings, "asset_dir", None) or tempfile.gettempdir()).absolute()


def memory_check(rss: int | None = None, limit: int | None = None) -> dict[str, Any]:
    rss = resident_bytes() if rss is None else rss
    limit = cgroup_limit_bytes() if limit is None else limit
    high = limit is not None and rss > limit * MEMORY_HIGH_RATIO
    return {"status": DEGRADED if high else OK, "rss_bytes": rss, "limit_bytes": limit}


def resident_bytes() -> int:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        # No /proc (macOS): the peak, not the current size, but the right order of magnitude.
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def cgroup_limit_bytes() -> int | None:
    """The container's memory limit (cgroup v2, then v1); None when unlimited or unknown."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            value = Path(path).read_text().strip()
        except OSError:
            continue
        if value.isdigit() and int(value) < 2**62:  # v1 says "unlimited" with a huge number
            return int(value)
        return None
    return None


def timestamp() -> str:
    return datetime.now(UTC).isoformat()
