"""The one place that wires the gateway service: catalog, migrations, routes, consumers, adapters."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from prometheus_client import Histogram
from starlette.middleware.cors import CORSMiddleware

import adly_events.contracts  # noqa: F401  (importing it registers every event type in CATALOG)
from adly_events import CATALOG
from adly_gateway.adapters.audit import AuditLog
from adly_gateway.adapters.idempotency import IdempotencyStore
from adly_gateway.adapters.live import LiveFeed
from adly_gateway.adapters.openapi import OpenApiMerger
from adly_gateway.adapters.rate_limits import RateLimiter
from adly_gateway.adapters.read_model import ReadModel
from adly_gateway.adapters.tokens import JWKS, TokenVerifier
from adly_gateway.adapters.upstream import Upstreams, make_client
from adly_gateway.entrypoints.consumers import subscriptions
from adly_gateway.entrypoints.http import public, router
from adly_gateway.entrypoints.middleware import EdgeMiddleware
from adly_gateway.handlers.admission import Admitter
from adly_gateway.projections import projections
from adly_gateway.settings import GatewaySettings
from adly_kit.app import document_problems
from adly_kit.cli import main_for
from adly_kit.service import Service, topics_of
from adly_kit.settings import ServiceSettings

NAME = "gateway"
CONTEXT = "gateway"
MIGRATIONS = Path(__file__).parent / "migrations"
CLEANUP_SECONDS = 60.0
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc")
EXPOSED_HEADERS = ["RateLimit", "RateLimit-Policy", "Retry-After", "X-Request-ID", "Idempotent-Replayed", "Location"]
ALLOWED_HEADERS = ["Authorization", "Content-Type", "Accept", "Idempotency-Key", "X-2FA-Token", "X-Request-ID"]

log = logging.getLogger(__name__)

REQUESTS = Histogram(
    "adly_gateway_request_seconds", "Time spent on a proxied request, by method and status class.", ["method", "status"]
)


@dataclass
class GatewayService(Service):
    """A `Service` that also shapes its FastAPI app (hooks read by `adly_kit.app.create_app`)."""

    def app_options(self, settings: ServiceSettings) -> dict[str, Any]:
        if settings.environment == "production":
            return {"docs_url": None, "redoc_url": None, "openapi_url": None}
        return {"redoc_url": None}

    def extend_app(self, app: FastAPI, roles: tuple[str, ...]) -> None:
        extend_app(app, roles)


def build() -> Service:
    return GatewayService(
        name=NAME,
        catalog=CATALOG,
        migrations=str(MIGRATIONS),
        routers=[router, public],
        subscriptions=list(subscriptions),
        projections=list(projections),
        produces=topics_of(CATALOG, CONTEXT),
        settings_class=GatewaySettings,
    )



@dataclass
class Gateway:
    """The adapters one gateway process serves requests with (app.state.gateway)."""

    settings: GatewaySettings
    identity_key: bytes
    pool: asyncpg.Pool
    admitter: Admitter
    upstreams: Upstreams
    idempotency: IdempotencyStore
    audit: AuditLog
    rate_limiter: RateLimiter
    jwks: JWKS
    openapi: OpenApiMerger
    live: LiveFeed
    tasks: list[asyncio.Task] = field(default_factory=list)

    @staticmethod
    def observe(method: str, status: int, seconds: float) -> None:
        REQUESTS.labels(method, f"{status // 100}xx").observe(seconds)


@asynccontextmanager
async def running_gateway(settings: GatewaySettings) -> AsyncIterator[Gateway]:
    key = settings.internal_identity_key.get_secret_value().encode()
    pool = await asyncpg.create_pool(
        settings.asyncpg_dsn,
        min_size=1,
        max_size=max(settings.database_pool_size, 2),
        server_settings={"application_name": f"adly-{settings.service_name}-edge"},
    )
    client = make_client(
        timeout=settings.upstream_timeout_seconds,
        connect_timeout=settings.upstream_connect_timeout_seconds,
        max_connections=settings.upstream_max_connections,
        max_keepalive=settings.upstream_max_keepalive,
    )
    jwks = JWKS(settings.jwks_endpoint, client, min_refresh_seconds=settings.jwks_refresh_min_seconds,
                timeout=settings.jwks_fetch_timeout_seconds)
    tokens = TokenVerifier(jwks, issuer=settings.jwt_issuer, audience=settings.jwt_audience,
                           two_factor_audience=settings.two_factor_audience, leeway=settings.jwt_leeway_seconds)
    limiter = RateLimiter(pool, settings.schema)
    gateway = Gateway(
        settings=settings,
        identity_key=key,
        pool=pool,
        admitter=Admitter(tokens, ReadModel(pool, settings.schema), limiter, settings.quotas(), key),
        upstreams=Upstreams(client, settings.upstream_urls()),
        idempotency=IdempotencyStore(pool, settings.schema, retention_seconds=settings.idempotency_retention_seconds,
                                     lock_seconds=settings.upstream_timeout_seconds + 10.0),
        audit=AuditLog(pool, settings.schema),
        rate_limiter=limiter,
        jwks=jwks,
        openapi=OpenApiMerger(client, settings.upstream_urls(), attempts=settings.openapi_fetch_attempts,
                              timeout=settings.openapi_fetch_timeout_seconds),
        live=LiveFeed(settings.kafka_bootstrap_servers, refresh_seconds=settings.live_topic_refresh_seconds,
                      queue_size=settings.live_queue_size, client_id=f"adly-{settings.service_name}-live"),
    )
    gateway.live.start()
    gateway.tasks += [
        asyncio.create_task(jwks.refresh(), name="gateway-jwks"),
        asyncio.create_task(gateway.openapi.fetch_all(), name="gateway-openapi"),
        asyncio.create_task(_cleanup(gateway), name="gateway-cleanup"),
    ]
    try:
        yield gateway
    finally:
        for task in gateway.tasks:
            task.cancel()
        await asyncio.gather(*gateway.tasks, return_exceptions=True)
        await gateway.live.stop()
        await client.aclose()
        await pool.close()


async def _cleanup(gateway: Gateway) -> None:
    """Forget what carries no state any more: idle rate-limit rows, expired idempotency keys."""
    while True:
        await asyncio.sleep(CLEANUP_SECONDS)
        try:
            await gateway.rate_limiter.cleanup()
            await gateway.idempotency.cleanup()
        except Exception as error:  # the database is away: try again next round
            log.warning("gateway cleanup failed: %s", type(error).__name__)


def extend_app(app: FastAPI, roles: tuple[str, ...]) -> None:
    """Gateway-specific app setup: adapters in the lifespan, edge middleware, merged OpenAPI."""
    runtime = app.state.runtime
    settings: GatewaySettings = runtime.settings
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI):
        async with inner(application) as state:
            if "api" not in roles:
                yield state
                return
            async with running_gateway(settings) as gateway:
                application.state.gateway = gateway
                yield state

    app.router.lifespan_context = lifespan
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        allow_credentials=False,
        max_age=600,
    )
    docs = frozenset(DOCS_PATHS) if app.docs_url else frozenset()
    app.add_middleware(EdgeMiddleware, max_body_bytes=settings.max_body_bytes, docs_paths=docs)
    if app.openapi_url:
        _merge_openapi(app)


def _merge_openapi(app: FastAPI) -> None:
    own: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not own:
            own.update(document_problems(get_openapi(
                title="ADLY API", version="1", routes=app.routes,
                description="The public API of ADLY: the gateway's routes and every service's, in one document.",
            )))
        gateway: Gateway | None = getattr(app.state, "gateway", None)
        if gateway is None:
            return own
        if len(gateway.openapi.documents) < len(gateway.openapi.urls):
            with contextlib.suppress(RuntimeError):
                gateway.tasks.append(asyncio.get_running_loop().create_task(gateway.openapi.refresh_missing()))
        return gateway.openapi.merge(own)

    app.openapi = openapi  # type: ignore[method-assign]


main = main_for(build)
