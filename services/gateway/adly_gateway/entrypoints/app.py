"""The gateway's public app around the kit's: edge middleware, CORS, its own answers, one OpenAPI document,
and a readiness that includes auth's JWKS.

`app_options` (FastAPI's constructor options, from the settings) and `extend_app` (a last
say over the finished app) are the `Service` fields the kit reads in `create_app`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.middleware.cors import CORSMiddleware

from adly_gateway.domain.refusals import Refusal
from adly_gateway.entrypoints.deps import AdaptersDep
from adly_gateway.entrypoints.errors import refused
from adly_gateway.entrypoints.middleware import EdgeMiddleware
from adly_gateway.settings import GatewaySettings
from adly_kit.app import document_problems
from adly_kit.settings import ServiceSettings

DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc")
EXPOSED_HEADERS = ["RateLimit", "RateLimit-Policy", "Retry-After", "X-Request-ID", "Idempotent-Replayed", "Location"]
ALLOWED_HEADERS = ["Authorization", "Content-Type", "Accept", "Idempotency-Key", "X-2FA-Token", "X-Request-ID"]


def app_options(settings: ServiceSettings) -> dict[str, Any]:
    assert isinstance(settings, GatewaySettings), "the gateway runs with GatewaySettings"
    production = settings.environment == "production"
    docs = {"docs_url": None, "redoc_url": None, "openapi_url": None} if production else {"redoc_url": None}
    return docs | {
        "exception_handlers": {Refusal: refused},
    }


def extend_app(app: FastAPI, settings: ServiceSettings, roles: tuple[str, ...]) -> None:
    assert isinstance(settings, GatewaySettings), "the gateway runs with GatewaySettings"
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        allow_credentials=False,
        max_age=600,
    )
    # Added last, so outermost: its answers (413, its own 500) carry the security headers
    # too, and the X-Request-ID it checked is the one the kit's RequestIds logs and returns.
    docs = frozenset(DOCS_PATHS) if app.docs_url else frozenset()
    app.add_middleware(EdgeMiddleware, max_body_bytes=settings.max_body_bytes, docs_paths=docs)
    if app.openapi_url:
        _merged_openapi(app, roles)
    if "api" in roles:
        _ready_with_jwks(app)


def _ready_with_jwks(app: FastAPI) -> None:
    """The kit's `/ready` (database, broker) and, where the API is served, auth's JWKS: a
    gateway that cannot verify a token, or proxies to an auth that is not there (say, started
    on other ports than its settings name), is not ready. `/health` (liveness) is left alone:
    restarting the gateway does not bring auth back."""
    kit = next((r for r in app.router.routes if isinstance(r, APIRoute) and r.path == "/ready"), None)
    if kit is None:
        return
    kit_ready: Callable[[], Awaitable[JSONResponse]] = kit.endpoint
    app.router.routes.remove(kit)

    async def ready(a: AdaptersDep) -> JSONResponse:
        answer = await kit_ready()
        body = json.loads(bytes(answer.body))
        jwks = await a.edge.jwks.ready()
        body.setdefault("checks", {})["jwks"] = jwks
        status = 200 if answer.status_code == 200 and jwks else 503
        if status != 200:  # otherwise the kit's word stands: "ready", or "degraded" in a broker blip
            body["status"] = "unavailable"
        return JSONResponse(body, status)

    app.add_api_route("/ready", ready, methods=["GET"], include_in_schema=False)


def _merged_openapi(app: FastAPI, roles: tuple[str, ...]) -> None:
    """`app.openapi()` describes the gateway's own routes; with the "api" role, the document
    served at `openapi_url` adds every upstream's public paths (adapters.openapi)."""
    own: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not own:
            own.update(document_problems(get_openapi(
                title="ADLY API", version="1", routes=app.routes,
                description="The public API of ADLY: the gateway's routes and every service's, in one document.",
            )))
        return own

    app.openapi = openapi  # type: ignore[method-assign]
    if "api" not in roles:
        return
    url = app.openapi_url
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", None) != url]

    async def merged(request: Request, a: AdaptersDep) -> JSONResponse:
        a.edge.openapi.refresh_missing_soon()
        return JSONResponse(a.edge.openapi.merge(request.app.openapi()))

    app.add_api_route(url, merged, methods=["GET", "HEAD"], include_in_schema=False)
