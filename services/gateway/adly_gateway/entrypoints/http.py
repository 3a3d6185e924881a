"""The gateway's HTTP surface, composed: its own routes first, then the proxy's catch-all.

- `audit_routes`: the audit log of a workspace;
- `live`: the live socket of a workspace;
- `proxy`: everything else under `/v1` (and auth's JWKS), to the upstream that serves it.
"""

from fastapi import APIRouter

from adly_gateway.entrypoints import audit_routes, live, proxy

# Internal routes keep the shape's prefix; the gateway has none yet.
router = APIRouter(prefix="/internal/gateway", tags=["gateway"])

public = APIRouter()
public.include_router(audit_routes.router)
public.include_router(live.router)
public.include_router(proxy.router)  # last: `/v1/{path:path}` would shadow the routes above
