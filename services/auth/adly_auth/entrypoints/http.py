"""The HTTP surface of the auth service: /v1/auth, /v1/workspaces, /v1/invitations, the JWKS,
and /internal/auth for other services.

The gateway forwards public paths unchanged and never routes /internal/**."""

from __future__ import annotations

from fastapi import APIRouter

from adly_auth.entrypoints import auth_routes, internal_routes, workspace_routes

router = APIRouter()
for part in (auth_routes.router, auth_routes.jwks_router, workspace_routes.router, workspace_routes.invitations_router,
             internal_routes.router):
    router.include_router(part)
