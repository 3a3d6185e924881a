"""/v1/stores/oauth and /v1/stores/webhooks: what platforms call, public at the gateway.

Nothing here trusts the caller: OAuth callbacks are checked by single-use state (and
Shopify's HMAC), webhooks by the platform's signature on the raw body, in constant time.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse, RedirectResponse

from adly_catalog.adapters.container import Adapters
from adly_catalog.domain.errors import ConnectionRefused, KeysRefused
from adly_catalog.domain.platform import PlatformError
from adly_catalog.domain.ports import Delivery
from adly_catalog.entrypoints.connections import connect_by_callback, connect_sent_keys
from adly_catalog.entrypoints.deps import AdaptersDep
from adly_catalog.handlers import connecting, receiving
from adly_events.contracts.catalog import StorePlatform
from adly_kit.db import unit_of_work
from adly_kit.outbound import OutboundError

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/stores", tags=["store callbacks"])


@router.get("/oauth/{platform}/callback", status_code=303, response_class=RedirectResponse)
async def oauth_callback(platform: StorePlatform, request: Request, a: AdaptersDep) -> RedirectResponse:
    """Where the platform sends the merchant back; ADLY then sends them on to the app."""
    app = a.settings.public_app_url
    if not a.platforms[platform].connecting.returns_to_callback:
        return RedirectResponse(f"{app}/stores?{urlencode({'error': 'This platform connects another way.'})}", 303)
    try:
        store = await connect_by_callback(a, platform, dict(request.query_params))
    except (ConnectionRefused, PlatformError, OutboundError) as error:
        log.warning("store connection refused", extra={"platform": platform.value, "reason": type(error).__name__})
        message = getattr(error, "message", None) or str(error)
        return RedirectResponse(f"{app}/stores?{urlencode({'platform': platform.value, 'error': message})}", 303)
    return RedirectResponse(f"{app}/stores/{store.id}?{urlencode({'connected': platform.value})}", 303)


@router.post("/oauth/woocommerce/callback/{state}", status_code=200)
async def woocommerce_keys(state: str, request: Request, a: AdaptersDep, later: BackgroundTasks) -> JSONResponse:
    """WooCommerce's app authorization POSTs the keys it made for ADLY here; the answer goes
    back at once (the store deletes the keys unless it gets a 200 within 60 s) and the
    connection (key check, webhooks, first sync) follows."""
    platform = StorePlatform.WOOCOMMERCE
    try:
        credentials = connecting.keys_sent(a, platform, state, await request.body())
        async with unit_of_work(a.engine) as tx:
            pending = await connecting.spend_keys_state(tx, a, platform, state)
    except (ConnectionRefused, PlatformError) as error:
        log.warning("woocommerce keys refused", extra={"reason": type(error).__name__})
        raise KeysRefused(getattr(error, "message", None) or str(error)) from None
    later.add_task(connect_sent_keys, a, pending, credentials)
    return JSONResponse({"status": "accepted"})


async def receive(a: Adapters, platform: StorePlatform, delivery: Delivery) -> JSONResponse:
    """Checked in one transaction, completed from the store outside any, applied in another."""
    async with unit_of_work(a.engine) as tx:
        checked = await receiving.check(tx, a, platform, delivery)
    if isinstance(checked, receiving.Outcome):
        return JSONResponse({"status": checked.status})
    change = await receiving.complete(a, checked)
    async with unit_of_work(a.engine) as tx:
        outcome = await receiving.apply(tx, a, checked, change)
    return JSONResponse({"status": outcome.status})


def _delivery(request: Request, body: bytes, store_id: UUID | None = None, token: str | None = None,
              event: str | None = None) -> Delivery:
    return Delivery({k.lower(): v for k, v in request.headers.items()}, body, store_id, token, event)


@router.post("/webhooks/shopify")
async def shopify_webhook(request: Request, a: AdaptersDep) -> JSONResponse:
    return await receive(a, StorePlatform.SHOPIFY, _delivery(request, await request.body()))


@router.post("/webhooks/salla")
async def salla_webhook(request: Request, a: AdaptersDep) -> JSONResponse:
    """App events (the Partner Portal's URL), signed with the app's webhook secret."""
    return await receive(a, StorePlatform.SALLA, _delivery(request, await request.body()))


@router.post("/webhooks/salla/{store_id}/{event}")
async def salla_store_webhook(store_id: UUID, event: str, request: Request, a: AdaptersDep) -> JSONResponse:
    """A store's subscriptions, one URL per event, signed with the secret ADLY set on them."""
    delivery = _delivery(request, await request.body(), store_id=store_id, event=event)
    return await receive(a, StorePlatform.SALLA, delivery)


@router.post("/webhooks/woocommerce/{store_id}")
async def woocommerce_webhook(store_id: UUID, request: Request, a: AdaptersDep) -> JSONResponse:
    return await receive(a, StorePlatform.WOOCOMMERCE, _delivery(request, await request.body(), store_id=store_id))


@router.post("/webhooks/zid/{store_id}/{token}")
async def zid_webhook(store_id: UUID, token: str, request: Request, a: AdaptersDep) -> JSONResponse:
    delivery = _delivery(request, await request.body(), store_id=store_id, token=token,
                         event=request.query_params.get("event"))
    return await receive(a, StorePlatform.ZID, delivery)
