"""Every adapter of the gateway, built once per process by the runtime (`open_adapters`).

The read-model writer is built in every process: the consumers that feed it run with the
"worker" role, and `replay-dlt` runs them too. The edge (pool, upstream client, JWKS,
admission, idempotency, audit, rate limits, OpenAPI, live feed and their background
tasks) is built only where the process serves the public API, the "api" role.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import aiohttp
import asyncpg
import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from adly_gateway.adapters.audit import AuditLog
from adly_gateway.adapters.idempotency import IdempotencyStore
from adly_gateway.adapters.live import LiveFeed
from adly_gateway.adapters.openapi import OpenApiMerger
from adly_gateway.adapters.rate_limits import MemberAdmission, RateLimiter
from adly_gateway.adapters.read_model import ReadModel, ReadModelWriter
from adly_gateway.adapters.tokens import JWKS, TokenVerifier
from adly_gateway.adapters.upstream import Upstreams, make_session
from adly_gateway.handlers.admission import Admitter
from adly_gateway.handlers.ports import IdentityRecords
from adly_gateway.settings import GatewaySettings
from adly_kit.service import Runtime

log = logging.getLogger(__name__)
CLEANUP_SECONDS = 60.0


@dataclass
class Edge:
    """What serving the public API takes; built only in a process with the "api" role."""

    settings: GatewaySettings
    identity_key: bytes
    admitter: Admitter
    upstreams: Upstreams
    idempotency: IdempotencyStore
    audit: AuditLog
    rate_limiter: RateLimiter
    jwks: JWKS
    openapi: OpenApiMerger
    live: LiveFeed


@dataclass
class Adapters:
    settings: GatewaySettings
    engine: AsyncEngine
    identities: IdentityRecords
    serving: Edge | None = None

    @property
    def edge(self) -> Edge:
        if self.serving is None:
            raise RuntimeError("the gateway's edge is built only in a process with the api role")
        return self.serving


@asynccontextmanager
async def open_adapters(runtime: Runtime) -> AsyncIterator[Adapters]:
    settings = runtime.settings
    assert isinstance(settings, GatewaySettings), "the gateway runs with GatewaySettings"
    adapters = Adapters(settings, runtime.engine, ReadModelWriter(settings.schema))
    if "api" not in runtime.roles:
        yield adapters
        return
    async with open_edge(settings) as edge:
        adapters.serving = edge
        yield adapters


@asynccontextmanager
async def open_edge(settings: GatewaySettings) -> AsyncIterator[Edge]:
    async with AsyncExitStack() as opened:
        # A pool of its own beside the runtime's SQLAlchemy engine, for latency: every request
        # makes two statements (read model, rate limits), a mutating one a third (audit), each
        # autocommitted on its own, and the gateway's budget is 2 ms added per request
        # (docs/benchmarks.md, issue 3). The read-model lookup measured p50 0.36-0.42 ms on
        # asyncpg's pool and 0.65-0.76 ms through the engine (checkout, compilation, rows), on 2
        # cores: the engine would spend a third of the budget on two statements. The consumers
        # keep the engine: they write in the inbox's transaction.
        pool = await asyncpg.create_pool(
            settings.asyncpg_dsn,
            min_size=1,
            max_size=max(settings.database_pool_size, 2),
            server_settings={"application_name": f"adly-{settings.service_name}-edge"},
            # asyncpg's default reset is a statement per release (UNLISTEN, RESET ALL, ...): two
            # more round trips a request. The edge's statements leave no session state behind (no
            # SET, LISTEN, advisory lock or cursor), and an open transaction is still rolled back.
            reset=_session_untouched,
        )
        opened.push_async_callback(pool.close)
        session = make_session(
            timeout=settings.upstream_timeout_seconds,
            connect_timeout=settings.upstream_connect_timeout_seconds,
            max_connections=settings.upstream_max_connections,
        )
        opened.push_async_callback(session.close)
        # JWKS and the OpenAPI documents: a few calls an hour, on httpx like the other services.
        client = httpx.AsyncClient(timeout=settings.upstream_timeout_seconds, follow_redirects=False,
                                   trust_env=False)
        opened.push_async_callback(client.aclose)
        edge = _edge(settings, pool, client, session)
        edge.live.start()
        opened.push_async_callback(edge.live.stop)
        opened.push_async_callback(edge.openapi.close)
        tasks = [
            asyncio.create_task(edge.jwks.refresh(), name="gateway-jwks"),
            asyncio.create_task(edge.openapi.fetch_all(), name="gateway-openapi"),
            asyncio.create_task(_cleanup(edge), name="gateway-cleanup"),
        ]
        opened.push_async_callback(_cancel, tasks)
        yield edge


def _edge(settings: GatewaySettings, pool: asyncpg.Pool, client: httpx.AsyncClient,
          session: aiohttp.ClientSession) -> Edge:
    key = settings.internal_identity_key.get_secret_value().encode()
    jwks = JWKS(settings.jwks_endpoint, client, min_refresh_seconds=settings.jwks_refresh_min_seconds,
                timeout=settings.jwks_fetch_timeout_seconds)
    tokens = TokenVerifier(jwks, issuer=settings.jwt_issuer, audience=settings.jwt_audience,
                           two_factor_audience=settings.two_factor_audience, leeway=settings.jwt_leeway_seconds)
    limiter = RateLimiter(pool, settings.schema)
    return Edge(
        settings=settings,
        identity_key=key,
        admitter=Admitter(tokens, ReadModel(pool, settings.schema), limiter, MemberAdmission(pool, settings.schema),
                          settings.quotas(), key),
        upstreams=Upstreams(session, settings.upstream_urls()),
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


async def _cleanup(edge: Edge) -> None:
    """Forget what carries no state any more: idle rate-limit rows, expired idempotency keys."""
    while True:
        await asyncio.sleep(CLEANUP_SECONDS)
        try:
            await edge.rate_limiter.cleanup()
            await edge.idempotency.cleanup()
        except Exception as error:  # the database is away: try again next round
            log.warning("gateway cleanup failed: %s", type(error).__name__)


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _session_untouched(connection: asyncpg.Connection) -> None:
    """Nothing to reset on the edge pool's connections (see `create_pool` above)."""
