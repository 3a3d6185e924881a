"""Webhook deliveries: verified the platform's way on the raw body, applied once.

The delivery id is recorded in the same transaction as the change it causes, so a
platform's retry or a duplicate delivery has no second effect; a failed change rolls the
record back and the platform's retry tries again. A bad signature gets 401 and is logged
without its payload. Answering takes one short transaction, well inside Shopify's 5 s.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from fastapi import Response
from fastapi.responses import JSONResponse

from adly_catalog.adapters.container import Adapters
from adly_catalog.adapters.mirror import StoreRef
from adly_catalog.adapters.platforms import salla, woocommerce_wire, zid
from adly_catalog.adapters.platforms.shopify import ShopifyClient
from adly_catalog.adapters.stores import StoreRow
from adly_catalog.domain.identity import product_id
from adly_catalog.domain.platform import ChangeKind, PlatformError, WebhookChange
from adly_catalog.handlers import disconnecting
from adly_catalog.handlers.credentials import with_credentials
from adly_events.contracts.catalog import DisconnectReason, StorePlatform
from adly_kit.app import problem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    status: int
    detail: str


UNSIGNED = Outcome(401, "The signature does not match.")


async def answer(outcome: Outcome) -> Response:
    if outcome.status >= 400:
        return problem(outcome.status, "Webhook refused", outcome.detail)
    return JSONResponse({"status": outcome.detail}, status_code=outcome.status)


async def receive(a: Adapters, platform: StorePlatform, headers: Mapping[str, str], body: bytes, *,
                  store_id: UUID | None = None, token: str | None = None, event: str | None = None) -> Outcome:
    headers = {k.lower(): v for k, v in headers.items()}
    try:
        verified = await _verify(a, platform, headers, body, store_id, token, event)
    except PlatformError as error:
        return Outcome(400, error.message)
    if isinstance(verified, Outcome):
        if verified.status == 401:
            log.warning("webhook signature refused", extra={"platform": platform.value, "bytes": len(body)})
        return verified
    store, change, delivery_id = verified
    return await _apply(a, store, change, delivery_id, headers)


async def _verify(a: Adapters, platform: StorePlatform, headers: dict, body: bytes, store_id: UUID | None,
                  token: str | None, event: str | None) -> Outcome | tuple[StoreRow, WebhookChange, str]:
    """Signature first, on the raw bytes, before any parsing of the payload."""
    if platform is StorePlatform.SHOPIFY:
        client: ShopifyClient = a.platforms[platform]
        if not client.verify_webhook(headers, body):
            return UNSIGNED
        if not client.webhook_is_fresh(headers, datetime.now(UTC)):
            return Outcome(400, "The delivery is too old.")
        store = await _by_domain(a, platform, ShopifyClient.webhook_shop(headers))
        if store is None:
            return Outcome(200, "unknown shop")
        change = client.parse_webhook(headers, body, currency=store.currency or "USD")
        return store, change, ShopifyClient.webhook_delivery_id(headers)
    if platform is StorePlatform.SALLA:
        if not salla.verify_webhook(headers, body, a.settings.salla_webhook_secret.get_secret_value()):
            return UNSIGNED
        store = await _by_domain(a, platform, salla.webhook_merchant(body))
        if store is None:
            return Outcome(200, "unknown merchant")
        await _reauthorized(a, store, body)
        return store, salla.parse_webhook(headers, body, hash_customer=a.hash_customer), salla.webhook_delivery_id(headers, body)
    store = await _by_id(a, store_id)
    secret = await _webhook_secret(a, store)
    if platform is StorePlatform.WOOCOMMERCE:
        if woocommerce_wire.is_ping(headers, body):  # sent unsigned when a webhook is saved
            return Outcome(200, "ping")
        if store is None or secret is None or not woocommerce_wire.verify_webhook(headers, body, secret):
            return UNSIGNED
        change = woocommerce_wire.parse_webhook(headers, body, currency=store.currency or "USD", hash_customer=a.hash_customer)
        change = await _complete(a, store, change)
        return store, change, woocommerce_wire.webhook_delivery_id(headers, body)
    token_ok = store is not None and store.webhook_token_hash is not None and hmac.compare_digest(
        store.webhook_token_hash, hashlib.sha256((token or "").encode()).hexdigest())
    if not token_ok or secret is None or not zid.verify_webhook(headers, secret):
        return UNSIGNED
    # Zid names no event in its deliveries: each subscription's URL carries it (?event=...).
    change = zid.parse_webhook(headers, body, event=event, hash_customer=a.hash_customer)
    change = await _complete(a, store, change)
    return store, change, zid.webhook_delivery_id(headers, body)


async def _apply(a: Adapters, store: StoreRow, change: WebhookChange, delivery_id: str, headers: dict) -> Outcome:
    if change.kind is ChangeKind.IGNORED:
        return Outcome(200, "ignored")
    if change.kind is ChangeKind.STORE_UNINSTALLED:
        await disconnecting.disconnect(a, store, DisconnectReason.UNINSTALLED)
        return Outcome(200, "disconnected")
    if store.status != "connected":
        return Outcome(200, "store disconnected")
    ref = StoreRef(store.id, store.workspace_id, store.platform)
    async with a.engine.begin() as tx:
        if not await a.deliveries.first_time(tx, store.platform, delivery_id, store.id, change.kind.value):
            return Outcome(200, "duplicate")
        if change.kind is ChangeKind.PRODUCT_UPSERTED:
            await a.mirror.products(tx, ref, [await _with_known_url(a, tx, store, change.product)])
        elif change.kind is ChangeKind.PRODUCT_REMOVED:
            await a.mirror.remove_product(tx, ref, change.external_id)
        elif change.kind is ChangeKind.ORDER_UPSERTED:
            await a.mirror.orders(tx, ref, [change.order])
    return Outcome(200, "applied")


async def _with_known_url(a: Adapters, tx, store: StoreRow, product):
    """Shopify's REST-shaped product webhooks carry no storefront URL; keep the one the last
    sync read, or every webhook would look like a change and clear it."""
    if product.url is not None or store.platform is not StorePlatform.SHOPIFY:
        return product
    known = await a.mirror.one(tx, "products", store.id, product_id(store.id, product.external_id))
    url = known["data"].get("url") if known else None
    return product.model_copy(update={"url": url}) if url else product


def _incomplete(store: StoreRow, change: WebhookChange) -> str | None:
    """The product to read back when a delivery carries less than a sync reads: a
    WooCommerce variable product (variation ids only), a Zid variant row or a parent
    without its variants (the client returns those as IGNORED with the product's id)."""
    if store.platform is StorePlatform.WOOCOMMERCE and change.kind is ChangeKind.PRODUCT_UPSERTED \
            and woocommerce_wire.webhook_needs_refetch(change):
        return change.external_id or change.product.external_id
    if store.platform is StorePlatform.ZID and change.kind is ChangeKind.IGNORED and change.external_id:
        return change.external_id
    return None


async def _complete(a: Adapters, store: StoreRow, change: WebhookChange) -> WebhookChange:
    external_id = _incomplete(store, change)
    if external_id is None:
        return change
    client = a.platforms[store.platform]
    product = await with_credentials(a, store, lambda c: client.fetch_product(store.address, c, external_id))
    if product is None:
        return WebhookChange(ChangeKind.PRODUCT_REMOVED, external_id=external_id)
    return WebhookChange(ChangeKind.PRODUCT_UPSERTED, product=product)


async def _reauthorized(a: Adapters, store: StoreRow, body: bytes) -> None:
    """Salla re-sends `app.store.authorize` (new tokens) after app updates: keep them."""
    credentials = salla.authorization_from_webhook(body)
    if credentials is not None and store.status == "connected":
        async with a.engine.begin() as tx:
            await a.vault.save(tx, store.workspace_id, store.id, credentials)


async def _by_domain(a: Adapters, platform: StorePlatform, domain: str | None) -> StoreRow | None:
    if not domain:
        return None
    async with a.engine.connect() as conn:
        return await a.stores.by_domain(conn, platform, domain)


async def _by_id(a: Adapters, store_id: UUID | None) -> StoreRow | None:
    if store_id is None:
        return None
    async with a.engine.connect() as conn:
        return await a.stores.get(conn, store_id)


async def _webhook_secret(a: Adapters, store: StoreRow | None) -> str | None:
    if store is None or store.status != "connected":
        return None
    async with a.engine.connect() as conn:
        credentials = await a.vault.load(conn, store.workspace_id, store.id)
    return credentials.extra.get("webhook_secret") if credentials else None
