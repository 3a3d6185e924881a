"""The HTTP surface of the analytics service; the gateway forwards
`/v1/workspaces/{id}/analytics/**` (analytics.read). `/internal/analytics/**` is for other services
only (internal_routes.py)."""

from __future__ import annotations

from fastapi import APIRouter

from adly_analytics.entrypoints import analytics_routes, export_routes, internal_routes, rule_routes

router = APIRouter()
router.include_router(analytics_routes.router)
router.include_router(export_routes.router)
router.include_router(rule_routes.router)
router.include_router(internal_routes.router)
