"""`adly-dev run --check --sandbox` on ports of its own, as CI runs `adly-dev run --check`:
every service, the sandbox stores, embedded PostgreSQL and Tansu as real processes on
127.0.0.1, then a newcomer's journey through the gateway (sign up, 2FA, connect each
sandbox store, first sync, products and orders, a creative generated and its image fetched,
the sandbox Meta ad account connected and a campaign drafted, approved, published and live
on it, disconnect). Moved ports prove the wiring: the gateway reaches every service on
`--base-port`+n (nothing listens on 8101-8106 for it), and the platforms send the merchant
back to the gateway on `--gateway-port` (the catalog's public URL), which the journey checks.

And the README's promise: its "Sandbox" session, run as written (only the gateway's port and
the data directory moved) against `adly-dev run --sandbox`, ends with a creative on disk.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from adly_kit.devstack._process import port_is_free, tail
from adly_kit.devstack.run import port_taken

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHECK_TIMEOUT = 600  # the run takes about a minute; only a hang reaches this


def free_ports() -> tuple[int, int]:
    """A base port whose services (+1..+5) and sandbox (+10..+15) ports are free, and a
    gateway port apart from them: below the kernel's ephemeral range (from 32768 by
    default), where the stack's own outgoing connections would take ports meanwhile."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for _ in range(200):
        base = random.randrange(10_000, min(low, 32_768) - 50, 50)
        gateway = base + 27
        ports = [gateway, *range(base + 1, base + 6), *range(base + 10, base + 16)]
        if all(port_is_free("127.0.0.1", p) for p in ports):
            return base, gateway
    raise AssertionError("no free block of ports found")


def test_check_walks_the_sandbox_journey_on_moved_ports():
    base, gateway = free_ports()
    data_dir = _data_dir()
    try:
        _check(base, gateway, data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _check(base: int, gateway: int, data_dir: Path) -> None:
    env = _hermetic_env()
    command = [str(BIN / "adly-dev"), "run", "--check", "--sandbox", "--data-dir",
               str(data_dir), "--base-port", str(base), "--gateway-port", str(gateway)]
    run = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=CHECK_TIMEOUT)
    out = run.stdout
    logs = data_dir / "logs"
    assert run.returncode == 0, out + "".join(f"\n--- {p.name} ---\n{tail(p, 25)}" for p in sorted(logs.glob("*.log")))

    table = {row[0]: row[1:3] for line in out.splitlines() if len(row := line.split()) >= 3 and row[1].startswith("http")}
    assert table == {"gateway": [f"http://127.0.0.1:{gateway}", "yes"], "sandbox": [f"http://127.0.0.1:{base + 10}", "yes"]} | {
        service: [f"http://127.0.0.1:{base + n}", "yes"]
        for n, service in enumerate(("auth", "catalog", "campaigns", "creative", "analytics", "notifications"), start=1)}
    assert "a first session works" in out
    for store in ("Shopify", "WooCommerce", "Salla", "Zid"):
        assert any(f"ADLY Sandbox ({store})" in line and "connected" in line and "synced" in line
                   for line in out.splitlines()), store
    assert "creative job" in out and "the sandbox journey works" in out
    assert any("campaign" in line and "live on ADLY Sandbox ad account (Meta)" in line for line in out.splitlines()), out

    # Everything stopped with the check: a server could bind every port again.
    assert not any(port_taken("127.0.0.1", p) for p in (gateway, *range(base + 1, base + 7), *range(base + 10, base + 16)))


def _data_dir() -> Path:
    # Under the test var dir, not /tmp: the embedded PostgreSQL runs as its own user, who must reach it.
    return Path(os.environ.get("ADLY_TEST_VAR", ROOT / "var" / "test")) / f"sandbox-{uuid.uuid4().hex[:8]}"


def _hermetic_env() -> dict[str, str]:
    """Embedded PostgreSQL and Tansu of its own, as on a fresh clone: nothing from the test session."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith("ADLY_") and k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")}


def readme_session() -> str:
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"^## Sandbox.*?^```sh\n(.*?)^```", readme, re.S | re.M)
    assert found, "README.md has no Sandbox section with a sh block"
    return found.group(1)


@pytest.mark.skipif(not shutil.which("curl") or not shutil.which("bash"), reason="the README's session needs curl and bash")
def test_the_readme_sandbox_session_works_as_written(tmp_path: Path):
    base, gateway = free_ports()
    data_dir = _data_dir()
    log = tmp_path / "adly-dev.log"
    command = [str(BIN / "adly-dev"), "run", "--sandbox", "--data-dir", str(data_dir), "--base-port", str(base),
               "--gateway-port", str(gateway)]
    with open(log, "w") as out:
        stack = subprocess.Popen(command, cwd=ROOT, env=_hermetic_env(), stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300  # it says "press Ctrl-C" once all is ready; only a hang takes this long
        while "press Ctrl-C" not in log.read_text() and stack.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert "press Ctrl-C" in log.read_text(), log.read_text()
        assert "SANDBOX" in log.read_text() and "ADLY Sandbox (Shopify)" in log.read_text()

        script = readme_session()
        for old, new in (("API=http://127.0.0.1:8000", f"API=http://127.0.0.1:{gateway}"),
                         (".venv/bin/", f"{BIN}/"),
                         ("adly-dev mail $EMAIL", f"adly-dev mail --data-dir {data_dir} $EMAIL")):
            assert old in script, old
            script = script.replace(old, new)
        script = "set -eu\n" + script + '\necho "RESULT store=$STORE product=$PRODUCT job=$JOB"\n'
        session = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=_hermetic_env(), stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, timeout=300)
        assert session.returncode == 0 and "RESULT store=" in session.stdout, session.stdout + tail(data_dir / "logs" / "catalog.log", 30)
        assert '"status":"succeeded"' in session.stdout, session.stdout
        creative = (tmp_path / "creative.jpg").read_bytes()
        assert creative[:3] == b"\xff\xd8\xff", creative[:200]
    finally:
        stack.send_signal(signal.SIGINT)  # adly-dev stops the services, the sandbox, the broker, PostgreSQL
        try:
            stack.wait(timeout=120)
        except subprocess.TimeoutExpired:
            stack.kill()
            stack.wait()
        shutil.rmtree(data_dir, ignore_errors=True)
    assert stack.returncode == 0, log.read_text()
