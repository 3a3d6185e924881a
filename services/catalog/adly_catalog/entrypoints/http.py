"""The HTTP surface of the catalog: workspace store routes and the platforms' callbacks.

The gateway forwards public paths unchanged. The composed router's lifespan builds the
adapters once per process (and closes the platform HTTP pool at the end).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from adly_catalog.adapters.container import Adapters
from adly_catalog.entrypoints import callback_routes, store_routes
from adly_kit.service import Runtime


def router(make_adapters: Callable[[Runtime], Adapters]) -> APIRouter:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.catalog = adapters_of(app.state.runtime, make_adapters)
        yield
        await app.state.catalog.outbound.aclose()

    composed = APIRouter(lifespan=lifespan)
    composed.include_router(store_routes.router)
    composed.include_router(callback_routes.router)
    return composed


def adapters_of(runtime: Runtime, make_adapters: Callable[[Runtime], Adapters]) -> Adapters:
    """One set of adapters per runtime, shared by the routes and the background workers."""
    if not hasattr(runtime, "catalog_adapters"):
        runtime.catalog_adapters = make_adapters(runtime)
    return runtime.catalog_adapters
