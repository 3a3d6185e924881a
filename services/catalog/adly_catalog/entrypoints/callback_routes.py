"""/v1/stores/oauth and /v1/stores/webhooks: what platforms call, public at the gateway.

Nothing here trusts the caller: OAuth callbacks are checked by single-use state (and
Shopify's HMAC), webhooks by the platform's signature on the raw body, in constant time.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, BackgroundTasks, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from adly_catalog.domain.platform import PlatformError
from adly_catalog.entrypoints.deps import AdaptersDep
from adly_catalog.handlers import connecting, receiving
from adly_events.contracts.catalog import StorePlatform
from adly_kit.app import problem
from adly_kit.outbound import OutboundError

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/stores", tags=["store callbacks"])


@router.get("/oauth/{platform}/callback", status_code=303, response_class=RedirectResponse)
async def oauth_callback(platform: StorePlatform, request: Request, a: AdaptersDep) -> RedirectResponse:
    """Where the platform sends the merchant back; ADLY then sends them on to the app."""
    app = a.settings.public_app_url
    if platform not in connecting.OAUTH_PLATFORMS:
        return RedirectResponse(f"{app}/stores?{urlencode({'error': 'This platform connects another way.'})}", 303)
    try:
        store = await connecting.finish_authorization(a, platform, dict(request.query_params))
    except (connecting.ConnectionRefused, PlatformError, OutboundError) as error:
        log.warning("store connection refused", extra={"platform": platform.value, "reason": type(error).__name__})
        message = getattr(error, "message", None) or str(error)
        return RedirectResponse(f"{app}/stores?{urlencode({'platform': platform.value, 'error': message})}", 303)
    return RedirectResponse(f"{app}/stores/{store.id}?{urlencode({'connected': platform.value})}", 303)


@router.post("/oauth/woocommerce/callback/{state}", status_code=200)
async def woocommerce_keys(state: str, request: Request, a: AdaptersDep, later: BackgroundTasks) -> Response:
    """WooCommerce's app authorization POSTs the keys it made for ADLY here; the answer goes
    back at once and the connection (key check, webhooks, first sync) follows."""
    try:
        pending, credentials = await connecting.accept_woocommerce_keys(a, state, await request.body())
    except (connecting.ConnectionRefused, PlatformError) as error:
        log.warning("woocommerce keys refused", extra={"reason": type(error).__name__})
        return problem(400, "Connection refused", getattr(error, "message", None) or str(error))
    later.add_task(connecting.finish_woocommerce, a, pending, credentials)
    return JSONResponse({"status": "accepted"})


@router.post("/webhooks/shopify")
async def shopify_webhook(request: Request, a: AdaptersDep) -> Response:
    return await receiving.answer(await receiving.receive(a, StorePlatform.SHOPIFY, request.headers, await request.body()))


@router.post("/webhooks/salla")
async def salla_webhook(request: Request, a: AdaptersDep) -> Response:
    return await receiving.answer(await receiving.receive(a, StorePlatform.SALLA, request.headers, await request.body()))


@router.post("/webhooks/woocommerce/{store_id}")
async def woocommerce_webhook(store_id: UUID, request: Request, a: AdaptersDep) -> Response:
    return await receiving.answer(await receiving.receive(
        a, StorePlatform.WOOCOMMERCE, request.headers, await request.body(), store_id=store_id))


@router.post("/webhooks/zid/{store_id}/{token}")
async def zid_webhook(store_id: UUID, token: str, request: Request, a: AdaptersDep) -> Response:
    return await receiving.answer(await receiving.receive(
        a, StorePlatform.ZID, request.headers, await request.body(), store_id=store_id, token=token,
        event=request.query_params.get("event")))
