"""The HTTP surface of the auth service: /v1/auth, /v1/workspaces, /v1/invitations and the JWKS.

The gateway forwards public paths unchanged. The composed router's lifespan builds the
adapters once per process and makes sure a signing key exists before the first request.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from adly_auth.adapters.container import Adapters
from adly_auth.entrypoints import auth_routes, workspace_routes
from adly_kit.service import Runtime


def router(make_adapters: Callable[[Runtime], Adapters] = Adapters.for_runtime) -> APIRouter:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        adapters = make_adapters(app.state.runtime)
        async with adapters.engine.begin() as tx:
            await adapters.keys.ensure_active(tx)
        app.state.auth = adapters
        yield
        for provider in adapters.providers.values():
            await provider.client.aclose()

    composed = APIRouter(lifespan=lifespan)
    for part in (auth_routes.router, auth_routes.jwks_router, workspace_routes.router, workspace_routes.invitations_router):
        composed.include_router(part)
    return composed
