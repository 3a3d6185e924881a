"""The HTTP surface of the creative service; the gateway forwards public paths unchanged:
`/v1/workspaces/{id}/creatives/**` and `/v1/workspaces/{id}/brand-kit` (signed identity,
creatives.read / creatives.generate) and `/v1/assets/**` (public, signed URLs)."""

from __future__ import annotations

from fastapi import APIRouter

from adly_creative.entrypoints import asset_routes, config_routes, internal_routes, job_routes

router = APIRouter()
for part in (job_routes.router, config_routes.router, asset_routes.router, internal_routes.router):
    router.include_router(part)
