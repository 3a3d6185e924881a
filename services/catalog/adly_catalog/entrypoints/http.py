"""The HTTP surface of the catalog: workspace store routes and the platforms' callbacks.
The gateway forwards public paths unchanged."""

from __future__ import annotations

from fastapi import APIRouter

from adly_catalog.entrypoints import callback_routes, store_routes

router = APIRouter()
router.include_router(store_routes.router)
router.include_router(callback_routes.router)
