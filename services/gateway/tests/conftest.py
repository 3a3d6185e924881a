"""The gateway under test, for real: embedded Postgres, the broker, an echo upstream on uvicorn.

The echo upstream plays every service (and auth's JWKS): it verifies the X-Adly-Identity
it receives with the kit and answers with it, so tests see exactly what a service would.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import hashlib
import json
import os
import secrets
import socket
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
import pytest_asyncio
import uvicorn
from aiokafka import AIOKafkaProducer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from adly_events import CATALOG
from adly_gateway.adapters.container import Adapters
from adly_gateway.bootstrap import MIGRATIONS, build
from adly_gateway.settings import GatewaySettings
from adly_kit import identity as kit_identity
from adly_kit import migrations
from adly_kit.app import create_app
from adly_kit.service import Runtime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Keys:
    """An Ed25519 signing key published in the echo upstream's JWKS, like auth's."""

    def __init__(self, kid: str | None = None) -> None:
        self.kid = kid or f"k{secrets.token_hex(6)}"
        self.private = Ed25519PrivateKey.generate()

    def jwk(self) -> dict:
        raw = self.private.public_key().public_bytes_raw()
        return {"kty": "OKP", "crv": "Ed25519", "x": b64(raw), "kid": self.kid, "alg": "EdDSA", "use": "sig"}

    def sign(self, claims: dict, headers: dict | None = None, typ: str = "at+jwt") -> str:
        return jwt.encode(claims, self.private, algorithm="EdDSA", headers={"kid": self.kid, "typ": typ} | (headers or {}))

    def access(self, sub: str, *, sid: str | None = None, **overrides: Any) -> str:
        now = int(time.time())
        claims = {"iss": "adly-auth", "aud": "adly-api", "sub": sub, "iat": now, "nbf": now, "exp": now + 600,
                  "jti": uuid.uuid4().hex, "sid": sid or str(uuid.uuid4())}
        claims.update(overrides)
        return self.sign({k: v for k, v in claims.items() if v is not None})

    def two_factor(self, sub: str) -> str:
        now = int(time.time())
        return self.sign({"iss": "adly-auth", "aud": "adly-2fa", "sub": sub, "iat": now, "exp": now + 300,
                          "jti": uuid.uuid4().hex}, typ="2fa+jwt")


@dataclass
class Echo:
    """The fake upstream: records calls, answers with the identity it verified."""

    keys: list[Keys]
    identity_key: bytes
    calls: Counter = field(default_factory=Counter)
    jwks_fetches: int = 0
    seen: list[dict] = field(default_factory=list)
    # (arrived, release): while set, a POST …/campaigns signals its arrival and waits for release.
    holding: tuple[asyncio.Event, asyncio.Event] | None = None
    # `…/slow` answers when this is set (or after `?seconds=`): a stalled upstream the test releases.
    slow_release: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> FastAPI:
        app = FastAPI(title="echo")

        @app.get("/.well-known/jwks.json")
        async def jwks():
            self.jwks_fetches += 1
            return {"keys": [k.jwk() for k in self.keys]}

        @app.get("/v1/workspaces/{workspace_id}/campaigns", summary="List campaigns (echo)")
        async def campaigns(request: Request, workspace_id: str):
            return self._answer(request, 200)

        @app.get("/internal/echo/secret", summary="must not be merged")
        async def internal():
            return {}

        @app.api_route("/v1/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
        async def anything(request: Request, path: str):
            body = await request.body()
            self.calls[(request.method, request.url.path)] += 1
            if "slow" in request.url.path:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.slow_release.wait(), float(request.query_params.get("seconds", "60")))
            if request.method == "POST" and request.url.path.endswith("/campaigns"):
                if self.holding is not None:
                    arrived, release = self.holding
                    arrived.set()
                    await release.wait()
                return self._answer(request, 201, {"id": str(uuid.uuid4()), "body": body.decode(errors="replace")})
            return self._answer(request, 200, {"body": body.decode(errors="replace")})

        return app

    def _answer(self, request: Request, status: int, extra: dict | None = None) -> JSONResponse:
        verified = kit_identity.verify(request.headers.get(kit_identity.HEADER), self.identity_key)
        record = {
            "identity": verified.model_dump(mode="json") if verified else None,
            "identity_header_present": kit_identity.HEADER.lower() in request.headers,
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "headers": {k: v for k, v in request.headers.items() if k in (
                "x-request-id", "authorization", "content-type", "x-forwarded-for", "connection", "x-custom",
                "idempotency-key", "traceparent", "tracestate", "baggage")},
        } | (extra or {})
        self.seen.append(record)
        return JSONResponse(record, status_code=status)


class Server:
    """A uvicorn server in this event loop."""

    def __init__(self, app, port: int | None = None) -> None:
        self.port = port or free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on",
                                                   timeout_graceful_shutdown=2))
        self.task: asyncio.Task | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Server:
        self.task = asyncio.create_task(self.server.serve())
        for _ in range(2400):  # a start-up deadline (2 min), generous for a busy machine
            if self.server.started:
                return self
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.05)
        raise RuntimeError("server did not start")

    async def __aexit__(self, *exc) -> None:
        self.server.should_exit = True
        await asyncio.wait_for(self.task, 30)


@dataclass
class Stack:
    url: str
    settings: GatewaySettings
    keys: Keys
    echo: Echo
    echo_url: str
    db: asyncpg.Pool
    bootstrap: str
    runtime: Runtime

    @property
    def schema(self) -> str:
        return self.settings.schema

    @property
    def adapters(self) -> Adapters:
        """The gateway's own adapters: the test reaches into them to stall, observe or set the clock."""
        return self.runtime.adapters

    async def member(self, ws: uuid.UUID, user: uuid.UUID, role: str) -> None:
        await self.db.execute(f"INSERT INTO {self.schema}.workspaces (id) VALUES ($1) ON CONFLICT DO NOTHING", ws)
        await self.db.execute(
            f"INSERT INTO {self.schema}.memberships (workspace_id, user_id, role) VALUES ($1, $2, $3) "
            "ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = EXCLUDED.role", ws, user, role)

    async def api_key(self, ws: uuid.UUID, role: str, *, revoked: bool = False) -> str:
        key_id = uuid.uuid4()
        key = f"adly_sk_{key_id}_{secrets.token_urlsafe(32)}"
        await self.db.execute(
            f"INSERT INTO {self.schema}.api_keys (id, workspace_id, role, secret_sha256, revoked) VALUES ($1, $2, $3, $4, $5)",
            key_id, ws, role, hashlib.sha256(key.encode()).hexdigest(), revoked)
        return key

    def bearer(self, sub: uuid.UUID | str, **claims) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys.access(str(sub), **claims)}"}

    async def publish(self, payload, *, aggregate_id: uuid.UUID, version: int, workspace_id: uuid.UUID | None) -> None:
        envelope = CATALOG.envelope(payload, aggregate_id=aggregate_id, aggregate_version=version, workspace_id=workspace_id)
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(CATALOG.type_of(payload).topic, envelope.to_json(), key=envelope.key)
        finally:
            await producer.stop()


def gateway_settings(postgres_url: str, kafka, echo_url: str, **overrides) -> GatewaySettings:
    schema = f"gw_{uuid.uuid4().hex[:10]}"
    values = dict(
        database_url=postgres_url,
        database_schema=schema,
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        kafka_broker_kind=kafka.kind,
        topic_partitions=3,
        topic_replication_factor=1,
        topic_min_insync_replicas=1,
        consumer_retry_backoff_seconds=0.05,
        environment="test",
        upstream_auth=echo_url,
        upstream_catalog=echo_url,
        upstream_campaigns=echo_url,
        upstream_creative=echo_url,
        upstream_analytics=echo_url,
        upstream_notifications=echo_url,
        jwks_refresh_min_seconds=1.0,
        # Deadlines for answers that do come, far from what a busy machine takes: a test about
        # timing out sets its own and stalls the upstream until it has seen the outcome.
        upstream_timeout_seconds=30.0,
        cors_origins=["https://app.adly.test"],
        live_auth_timeout_seconds=5.0,
        live_recheck_seconds=0.5,
        live_topic_refresh_seconds=1.0,
        openapi_fetch_attempts=2,
        openapi_fetch_timeout_seconds=10.0,
    )
    values.update(overrides)
    return GatewaySettings(**values)


async def migrate(settings: GatewaySettings) -> None:
    await asyncio.to_thread(migrations.upgrade, settings, str(MIGRATIONS))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(postgres_url, kafka, request):
    """One gateway in this loop, in front of the echo upstream, per test module."""
    overrides = getattr(request.module, "GATEWAY_SETTINGS", {})
    keys = Keys()
    settings_probe = GatewaySettings(database_url=postgres_url, kafka_bootstrap_servers=kafka.bootstrap_servers)
    echo = Echo([keys], settings_probe.internal_identity_key.get_secret_value().encode())
    async with Server(echo.app()) as upstream:
        settings = gateway_settings(postgres_url, kafka, upstream.url, **overrides)
        await migrate(settings)
        service = dataclasses.replace(build(), name=f"gw{uuid.uuid4().hex[:8]}")
        roles = getattr(request.module, "GATEWAY_ROLES", ("api",))  # the worker only where events are consumed
        runtime = Runtime(service, settings)
        app = create_app(runtime, roles)
        pool = await asyncpg.create_pool(settings.asyncpg_dsn, min_size=1, max_size=4)
        try:
            async with Server(app) as gateway:
                yield Stack(gateway.url, settings, keys, echo, upstream.url, pool, kafka.bootstrap_servers, runtime)
        finally:
            await pool.close()


@pytest_asyncio.fixture(loop_scope="module")
async def client(stack):
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        yield http


def workspace_env(settings: GatewaySettings, port: int, **extra: str) -> dict[str, str]:
    """The environment of an `adly-gateway serve` subprocess mirroring `settings`."""
    env = dict(os.environ)
    env.update({
        "ADLY_DATABASE_URL": settings.database_url,
        "ADLY_DATABASE_SCHEMA": settings.schema,
        "ADLY_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "ADLY_KAFKA_BROKER_KIND": settings.kafka_broker_kind,
        "ADLY_TOPIC_PARTITIONS": "3",
        "ADLY_TOPIC_REPLICATION_FACTOR": "1",
        "ADLY_TOPIC_MIN_INSYNC_REPLICAS": "1",
        "ADLY_HTTP_PORT": str(port),
        "ADLY_ENVIRONMENT": "test",
        "ADLY_LOG_LEVEL": "WARNING",
        **{f"ADLY_UPSTREAM_{name.upper()}": url for name, url in settings.upstream_urls().items()},
        "ADLY_JWKS_URL": settings.jwks_endpoint,
        "ADLY_OPENAPI_FETCH_ATTEMPTS": "1",
    })
    env.update(extra)
    return env


def problem_of(response: httpx.Response) -> dict:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return response.json()


__all__ = ["Keys", "Stack", "Server", "problem_of", "json"]


@pytest.fixture
def keys_factory():
    return Keys


@pytest.fixture
def server_factory():
    return Server


@pytest.fixture
def process_env():
    """(environment builder for `adly-gateway serve` subprocesses, free-port picker)."""
    return workspace_env, free_port
