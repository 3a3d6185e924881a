"""Issue 3: what the gateway costs, against the same request straight to the service.

`adly-auth serve` and `adly-gateway serve` run as processes on 127.0.0.1 (a fresh
database on the bench Postgres, the bench broker, a local SMTP sink for auth's mails).
One signed-up owner and their workspace; then the same authenticated read, same run,
same machine:

- through the gateway: `GET /v1/workspaces/{id}` with `Authorization: Bearer <access
  token>` (JWT check, rate-limit upsert, read-model lookup, signed identity, pooled proxy);
- straight to auth: the same path with the `X-Adly-Identity` header the gateway would
  have sent (`adly_kit.identity.sign` with the development key, re-signed every few
  seconds since it lives 30 s).

Latency: one keep-alive connection, sequential requests, the two targets alternating in
rounds after a warm-up; p50 and p99 of each. Throughput: CONCURRENCY keep-alive clients for
a fixed time per target, alternating, completed requests per second. Every count and
duration is bounded. The gateway's rate limits are raised for the run (ADLY_RATE_LIMIT_*),
so no request is throttled; the client is a minimal HTTP/1.1 one so that its own CPU
weighs little on a 2-core machine.

Rows: gateway_added_p50_ms (target <= 2 ms) and gateway_throughput_ratio (target >= 0.7x
direct), plus the p50/p99 figures for information.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import time
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from typing import Any
from urllib.parse import unquote

import httpx
import jwt

from adly_kit.devstack._process import ManagedProcess, free_port
from adly_kit.devstack.run import service_command
from adly_kit.identity import HEADER, sign
from adly_kit.settings import DEV_IDENTITY_KEY
from bench.harness import (
    ROOT,
    BenchContext,
    CpuMeter,
    Row,
    percentile,
    ratio_row,
    run_command,
    server_pgid,
    service_env,
    wait_ready,
)

ISSUE = 3
NAME = "gateway"
DATABASE = "bench_gateway"
LOGS = ROOT / "var" / "bench-gateway"
UNLIMITED = "100000000/60"
CONCURRENCY = 16
RESIGN_SECONDS = 5.0


def say(message: str) -> None:
    print(f"  [{NAME}] {message}", flush=True)


# ----------------------------------------------------------------------- the stack


# Auth's mails to the bench's people, kept by the SMTP sink (sign-up links).
MAILS: list[Message] = []


@dataclass
class Services:
    auth: ManagedProcess
    gateway: ManagedProcess
    auth_port: int
    gateway_port: int
    smtp: Any

    def stop(self) -> None:
        for process in (self.gateway, self.auth):
            process.stop()
        self.smtp.stop()


async def start_services(ctx: BenchContext) -> Services:
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            MAILS.append(message_from_bytes(envelope.content))
            return "250 OK"

    LOGS.mkdir(parents=True, exist_ok=True)
    url = ctx.fresh_database(DATABASE)
    base = service_env(ctx, url)
    smtp_port, auth_port, gateway_port = free_port(), free_port(), free_port()
    smtp = Controller(Sink(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    closed = f"http://127.0.0.1:{free_port()}"
    auth_env = base | {"ADLY_HTTP_PORT": str(auth_port), "ADLY_SMTP_HOST": "127.0.0.1",
                       "ADLY_SMTP_PORT": str(smtp_port), "ADLY_SMTP_STARTTLS": "false"}
    gateway_env = base | {
        "ADLY_HTTP_PORT": str(gateway_port),
        "ADLY_UPSTREAM_AUTH": f"http://127.0.0.1:{auth_port}",
        **{f"ADLY_UPSTREAM_{name}": closed for name in ("CATALOG", "CAMPAIGNS", "CREATIVE", "ANALYTICS")},
        "ADLY_OPENAPI_FETCH_ATTEMPTS": "1",
        **{f"ADLY_RATE_LIMIT_{name}": UNLIMITED for name in (
            "CLIENT", "IP", "LOGIN", "LOGIN_IP", "TWO_FACTOR", "TWO_FACTOR_IP", "PASSWORD_RESET", "PASSWORD_RESET_IP")},
    }
    try:
        await asyncio.gather(run_command([*service_command("auth"), "migrate"], auth_env, LOGS / "auth.migrate.log"),
                             run_command([*service_command("gateway"), "migrate"], gateway_env, LOGS / "gateway.migrate.log"))
        auth = ManagedProcess("adly-auth", [*service_command("auth"), "serve"], log_path=LOGS / "auth.log",
                              env=auth_env, grace=15.0)
        gateway = ManagedProcess("adly-gateway", [*service_command("gateway"), "serve"], log_path=LOGS / "gateway.log",
                                 env=gateway_env, grace=15.0)
        services = Services(auth, gateway, auth_port, gateway_port, smtp)
        auth.start()
        await wait_ready(f"http://127.0.0.1:{auth_port}", auth)
        gateway.start()
        await wait_ready(f"http://127.0.0.1:{gateway_port}", gateway)
        return services
    except BaseException:
        smtp.stop()
        raise


# ---------------------------------------------------------------------- the client


class Connection:
    """A minimal HTTP/1.1 keep-alive client for one GET with fixed headers (Content-Length bodies only)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> Connection:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        return self

    async def get(self, request: bytes) -> int:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            elif name.strip().lower() == b"transfer-encoding":
                raise RuntimeError("chunked responses are not expected here")
        if length:
            await self.reader.readexactly(length)
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


class Target:
    """One way to ask for the workspace: its port and a request that stays valid."""

    def __init__(self, name: str, port: int, path: str, headers: dict[str, str], identity: dict | None = None) -> None:
        self.name, self.port, self.path, self.headers, self.identity = name, port, path, headers, identity
        self._request = b""
        self._signed_at = 0.0

    def request(self) -> bytes:
        now = time.monotonic()
        if not self._request or (self.identity is not None and now - self._signed_at > RESIGN_SECONDS):
            headers = dict(self.headers)
            if self.identity is not None:
                headers[HEADER] = sign(self.identity, DEV_IDENTITY_KEY.encode())
            lines = [f"GET {self.path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", *(f"{k}: {v}" for k, v in headers.items())]
            self._request = ("\r\n".join(lines) + "\r\n\r\n").encode()
            self._signed_at = now
        return self._request


async def sequential(target: Target, count: int) -> list[float]:
    """Latencies (ms) of `count` requests one after the other on one connection."""
    connection = await Connection(target.port).open()
    samples: list[float] = []
    try:
        for _ in range(count):
            request = target.request()
            started = time.perf_counter()
            status = await connection.get(request)
            samples.append((time.perf_counter() - started) * 1000.0)
            if status != 200:
                raise RuntimeError(f"{target.name}: HTTP {status}")
    finally:
        await connection.close()
    return samples


async def concurrent(target: Target, clients: int, seconds: float, cap: int) -> tuple[int, float]:
    """(completed requests, elapsed s) of `clients` connections looping for `seconds` (at most `cap` requests)."""
    connections = [await Connection(target.port).open() for _ in range(clients)]
    done = 0
    stop_at = time.perf_counter() + seconds

    async def loop(connection: Connection) -> None:
        nonlocal done
        while time.perf_counter() < stop_at and done < cap:
            status = await connection.get(target.request())
            if status != 200:
                raise RuntimeError(f"{target.name}: HTTP {status}")
            done += 1

    started = time.perf_counter()
    try:
        await asyncio.gather(*(loop(c) for c in connections))
    finally:
        elapsed = time.perf_counter() - started
        for connection in connections:
            await connection.close()
    return done, elapsed


# ------------------------------------------------------------------------ the bench


async def _signup_token(email: str) -> str:
    """The token of the sign-up link auth mailed to `email` (a sign-up is confirmed by mail)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for mail in reversed([m for m in MAILS if m["To"] == email]):
            if found := re.search(r"confirm-signup\?token=([^\s]+)", mail.get_payload(decode=True).decode()):
                return unquote(found.group(1))
        await asyncio.sleep(0.05)
    raise RuntimeError(f"auth never mailed the sign-up link to {email}")


async def _owner_and_workspace(gateway_url: str) -> tuple[dict[str, Any], str, str]:
    """(access-token claims, access token, workspace id), once the gateway's read model knows the owner."""
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as client:
        email = f"bench-{secrets.token_hex(6)}@example.com"
        signup = await client.post("/v1/auth/signup", json={"email": email, "password": "correct horse battery staple"})
        signup.raise_for_status()
        confirmed = await client.post("/v1/auth/signup/confirm", json={"token": await _signup_token(email)})
        confirmed.raise_for_status()
        token = confirmed.json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        created = await client.post("/v1/workspaces", headers=bearer, json={"name": "bench"})
        created.raise_for_status()
        workspace_id = created.json()["id"]
        deadline = time.monotonic() + 30
        while (await client.get(f"/v1/workspaces/{workspace_id}", headers=bearer)).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("the gateway's read model never learned of the workspace")
            await asyncio.sleep(0.05)
        return jwt.decode(token, options={"verify_signature": False}), token, workspace_id


async def run(ctx: BenchContext) -> list[Row]:
    warmup, rounds, per_round = (200, 2, 500) if ctx.quick else (500, 4, 1000)
    seconds, cap = (3.0, 200_000) if ctx.quick else (6.0, 500_000)
    say("starting auth and the gateway")
    services = await start_services(ctx)
    try:
        claims, token, workspace_id = await _owner_and_workspace(f"http://127.0.0.1:{services.gateway_port}")
        path = f"/v1/workspaces/{workspace_id}"
        via_gateway = Target("gateway", services.gateway_port, path, {"Authorization": f"Bearer {token}"})
        direct = Target("direct", services.auth_port, path, {}, identity={
            "sub": claims["sub"], "kind": "user", "ws": workspace_id, "role": "owner", "sid": claims["sid"],
            "mfa": False, "rid": None,
        })
        targets = (direct, via_gateway)
        for target in targets:
            await sequential(target, warmup)

        say(f"latency: {rounds} rounds x {per_round} sequential requests per target")
        latency: dict[str, list[float]] = {t.name: [] for t in targets}
        meter = CpuMeter({"postgres": server_pgid(ctx.postgres), "gateway": services.gateway.pid,
                          "auth": services.auth.pid}, {"bench": os.getpid()}).start()
        for r in range(rounds):
            for target in targets if r % 2 == 0 else reversed(targets):
                latency[target.name] += await sequential(target, per_round)
        latency_cpu = meter.stop()

        say(f"throughput: {CONCURRENCY} clients, {seconds:.0f} s per target, twice each")
        completed = {t.name: 0 for t in targets}
        elapsed = {t.name: 0.0 for t in targets}
        cpu: dict[str, Any] = {}
        for r in range(2):
            for target in targets if r % 2 == 0 else reversed(targets):
                meter = CpuMeter({"postgres": server_pgid(ctx.postgres), "gateway": services.gateway.pid,
                                  "auth": services.auth.pid}, {"bench": os.getpid()}).start()
                n, s = await concurrent(target, CONCURRENCY, seconds, cap)
                cpu[f"{target.name}_r{r}"] = meter.stop()
                completed[target.name] += n
                elapsed[target.name] += s
    finally:
        services.stop()

    stats = {}
    for name, samples in latency.items():
        ordered = sorted(samples)
        stats[name] = {"p50": percentile(ordered, 50), "p99": percentile(ordered, 99), "n": len(ordered)}
    rps = {name: completed[name] / elapsed[name] for name in completed}
    added = stats["gateway"]["p50"] - stats["direct"]["p50"]
    detail = {
        "latency_ms": stats, "requests_per_s": rps, "concurrency": CONCURRENCY, "throughput_seconds": elapsed,
        "request": "GET /v1/workspaces/{id} (auth), as its owner", "cpu": cpu, "latency_cpu": latency_cpu,
        "rate_limits": f"every ADLY_RATE_LIMIT_* = {UNLIMITED}",
    }
    rows = [
        Row(ISSUE, "gateway_added_p50_ms", added, "ms", None, None, "<= 2 ms", added <= 2.0, detail),
        Row(ISSUE, "gateway_get_p50_ms", stats["gateway"]["p50"], "ms", stats["direct"]["p50"],
            stats["gateway"]["p50"] / stats["direct"]["p50"], "info (baseline: straight to auth)", None),
        Row(ISSUE, "gateway_get_p99_ms", stats["gateway"]["p99"], "ms", stats["direct"]["p99"],
            stats["gateway"]["p99"] / stats["direct"]["p99"], "info (baseline: straight to auth)", None),
        ratio_row(ISSUE, "gateway_throughput_ratio", rps["gateway"], rps["direct"], "req/s", 0.7, **detail),
    ]
    say(f"p50: gateway {stats['gateway']['p50']:.2f} ms, direct {stats['direct']['p50']:.2f} ms (+{added:.2f} ms); "
        f"p99: gateway {stats['gateway']['p99']:.2f} ms, direct {stats['direct']['p99']:.2f} ms")
    say(f"throughput: gateway {rps['gateway']:,.0f}/s, direct {rps['direct']:,.0f}/s "
        f"({rps['gateway'] / rps['direct']:.2f}x)")
    return rows
