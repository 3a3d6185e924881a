"""Rate limits (S11): GCRA in Postgres, exact across two gateway processes; credential routes stricter."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.asyncio(loop_scope="module")

# Windows of a day: a spent request comes back only hours later, so however slow the machine,
# none does during a test and the counts below are exact.
DAY = 86400
GATEWAY_SETTINGS = {"rate_limit_login": f"3/{DAY}", "rate_limit_login_ip": f"5/{DAY}", "rate_limit_password_reset": f"2/{DAY}"}
POLICY = re.compile(r'^"[a-z-]+";q=\d+;w=\d+(, "[a-z-]+";q=\d+;w=\d+)*$')
LIMIT = re.compile(r'^"[a-z-]+";r=\d+;t=\d+(, "[a-z-]+";r=\d+;t=\d+)*$')


async def test_headers_follow_the_draft_syntax(stack, client):
    response = await client.get("/v1/auth/me", headers=stack.bearer(uuid.uuid4()))
    assert POLICY.match(response.headers["ratelimit-policy"]), response.headers["ratelimit-policy"]
    assert LIMIT.match(response.headers["ratelimit"]), response.headers["ratelimit"]
    assert '"default";q=600;w=60' in response.headers["ratelimit-policy"]


async def test_login_is_limited_per_account_and_per_ip_without_storing_the_email(stack, client):
    email = f"victim-{uuid.uuid4().hex[:6]}@example.com"
    statuses = []
    for i in range(5):  # the same account from five IPs: 3 per account
        response = await client.post("/v1/auth/login", json={"email": email.upper() if i % 2 else email, "password": "x"},
                                     headers={"X-Forwarded-For": f"10.1.{i}.1"})
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429, 429]
    limited = response
    assert int(limited.headers["retry-after"]) >= 1
    assert '"login";r=0' in limited.headers["ratelimit"]
    assert limited.headers["content-type"].startswith("application/problem+json")
    statuses = []
    for i in range(7):  # many accounts from one IP: 5 per IP
        response = await client.post("/v1/auth/login", json={"email": f"u{i}-{uuid.uuid4().hex[:4]}@example.com", "password": "x"},
                                     headers={"X-Forwarded-For": "10.2.0.1"})
        statuses.append(response.status_code)
    assert statuses == [200] * 5 + [429] * 2
    keys = [r["key"] for r in await stack.db.fetch(f"SELECT key FROM {stack.schema}.rate_limits")]
    assert not any("@" in k or "10.2.0.1" in k for k in keys)
    # Password reset has its own, stricter budget.
    resets = [(await client.post("/v1/auth/password/forgot", json={"email": email},
                                 headers={"X-Forwarded-For": "10.3.0.1"})).status_code for _ in range(3)]
    assert resets == [200, 200, 429]


def _serve(env: dict[str, str], log: Path) -> subprocess.Popen:
    executable = Path(sys.executable).with_name("adly-gateway")
    return subprocess.Popen([str(executable), "serve", "--roles", "api"], env=env, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)


async def _ready(url: str, process: subprocess.Popen, log: Path) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(1200):  # a start-up deadline (2 min), generous for a busy machine
            if process.poll() is not None:
                raise AssertionError(f"gateway exited: {log.read_text()[-3000:]}")
            try:
                if (await http.get(f"{url}/health")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"gateway not up: {log.read_text()[-3000:]}")


async def test_two_gateway_processes_admit_exactly_the_quota(stack, tmp_path, process_env):
    """q + k concurrent requests of one client, split across two processes: exactly q admitted.

    The quota's window is a day (one request back every 72 minutes), so the count is exact
    however long the 50 requests take."""
    make_env, free_port = process_env
    quota, extra = 20, 30
    processes, urls = [], []
    try:
        for n in range(2):
            port = free_port()
            env = make_env(stack.settings, port, ADLY_RATE_LIMIT_CLIENT=f"{quota}/{DAY}", ADLY_RATE_LIMIT_IP="100000/60")
            log = tmp_path / f"gateway-{n}.log"
            processes.append((_serve(env, log), log))
            urls.append(f"http://127.0.0.1:{port}")
        for (process, log), url in zip(processes, urls, strict=True):
            await _ready(url, process, log)
        headers = stack.bearer(uuid.uuid4())
        async with httpx.AsyncClient(timeout=30) as http:
            for url in urls:  # warm up: JWKS fetched, connections open (costs nothing: another client)
                assert (await http.get(f"{url}/v1/auth/me", headers=stack.bearer(uuid.uuid4()))).status_code == 200
            responses = await asyncio.gather(*(
                http.get(f"{urls[i % 2]}/v1/auth/me", headers=headers) for i in range(quota + extra)
            ))
        statuses = [r.status_code for r in responses]
        assert statuses.count(200) == quota, statuses
        assert statuses.count(429) == extra
        by_process = [sum(1 for i, r in enumerate(responses) if i % 2 == n and r.status_code == 200) for n in range(2)]
        assert all(by_process), by_process  # both processes admitted some: the store is shared
        denied = [r for r in responses if r.status_code == 429]
        assert all(int(r.headers["retry-after"]) >= 1 and "ratelimit" in r.headers and "ratelimit-policy" in r.headers for r in denied)
        print(f"\ntwo gateways: {statuses.count(200)} of {quota + extra} admitted for q={quota} (per process {by_process})")
    finally:
        for process, _ in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process, _ in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
