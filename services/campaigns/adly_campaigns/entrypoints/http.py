"""The HTTP surface of the campaigns service; the gateway forwards
`/v1/workspaces/{id}/campaigns/**` (campaigns.read / campaigns.write) and
`/v1/workspaces/{id}/ad-accounts/**` (campaigns.read / ad_accounts.connect / ad_accounts.disconnect)."""

from __future__ import annotations

from fastapi import APIRouter

from adly_campaigns.entrypoints import ad_account_routes, campaign_routes

router = APIRouter()
for part in (campaign_routes.router, ad_account_routes.router):
    router.include_router(part)
