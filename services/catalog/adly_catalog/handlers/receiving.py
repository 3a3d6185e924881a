"""Webhook deliveries: checked the platform's way on the raw body, applied once.

Three steps, so no transaction waits on the store's platform: `check` (the signature
first, then the store it names, the change it carries), `complete` (reads back from the
store what a delivery lacks; no transaction), `apply`. The delivery id is recorded
in the same transaction as the change it causes, so a platform's retry or a duplicate has
no second effect, and a failed change rolls the record back for the retry to try again.
A bad signature gets 401 and is logged without its payload.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_catalog.adapters.container import Adapters
from adly_catalog.domain.errors import WebhookRefused, WebhookUnsigned
from adly_catalog.domain.identity import product_id
from adly_catalog.domain.platform import ChangeKind, Credentials, PlatformError, WebhookChange
from adly_catalog.domain.ports import Delivery, StoreSecrets, Verdict, WebhookChecking
from adly_catalog.domain.store import Store
from adly_catalog.handlers import disconnecting, mirroring
from adly_catalog.handlers.credentials import with_credentials
from adly_events.contracts.catalog import CatalogProduct, DisconnectReason, StorePlatform

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What a delivery that was not refused came to (answered 200: the platform stops retrying)."""

    status: str


@dataclass(frozen=True)
class Verified:
    store: Store
    change: WebhookChange
    delivery_id: str


async def check(tx: AsyncConnection, a: Adapters, platform: StorePlatform, delivery: Delivery) -> Verified | Outcome:
    """Signature first, on the raw bytes, before the payload is parsed."""
    webhooks = a.platforms[platform].webhooks
    if (early := webhooks.early_answer(delivery)) is not None:
        return Outcome(early)
    try:
        return await _check(tx, a, platform, webhooks, delivery)
    except PlatformError as error:
        raise WebhookRefused(error.message) from None


async def _check(tx: AsyncConnection, a: Adapters, platform: StorePlatform, webhooks: WebhookChecking,
                 delivery: Delivery) -> Verified | Outcome:
    named = await a.stores.get(tx, delivery.store_id) if delivery.store_id is not None else None
    verdict = webhooks.verify(delivery, await _secrets(tx, a, named), datetime.now(UTC))
    if verdict is Verdict.UNSIGNED:
        log.warning("webhook signature refused", extra={"platform": platform.value, "bytes": len(delivery.body)})
        raise WebhookUnsigned("The signature does not match.")
    if verdict is Verdict.STALE:
        raise WebhookRefused("The delivery is too old.")
    domain = webhooks.store_domain(delivery)
    if named is not None and domain is not None and domain != named.domain:
        # Signed with this store's secret yet naming another store: nothing to apply it to.
        raise WebhookRefused("The delivery names another store than its URL.")
    store = named or await _by_domain(tx, a, platform, domain)
    if store is None:
        return Outcome(webhooks.unknown_store)
    if (credentials := webhooks.credentials_in(delivery)) is not None and store.connected:
        await _save_fresh(tx, a, store, credentials)
    return Verified(store, webhooks.change(delivery, store.currency or "USD"), webhooks.delivery_id(delivery))


async def _save_fresh(tx: AsyncConnection, a: Adapters, store: Store, credentials: Credentials) -> None:
    """Fresh tokens delivered by webhook (e.g. after an app update), keeping what ADLY keeps
    beside them (the webhook secret it set on the store's subscriptions)."""
    stored = await a.vault.load(tx, store.workspace_id, store.id)
    kept = {**stored.extra, **credentials.extra} if stored else dict(credentials.extra)
    await a.vault.save(tx, store.workspace_id, store.id, replace(credentials, extra=kept))


async def complete(a: Adapters, verified: Verified) -> WebhookChange:
    """The change, with the product read back where the delivery carries less than a sync reads."""
    store = verified.store
    platform = a.platforms[store.platform]
    external_id = platform.webhooks.to_read_back(verified.change)
    if external_id is None:
        return verified.change
    try:
        product = await with_credentials(a, store, lambda c: platform.reading.fetch_product(store.address, c, external_id))
    except PlatformError as error:
        raise WebhookRefused(error.message) from None
    if product is None:
        return WebhookChange(ChangeKind.PRODUCT_REMOVED, external_id=external_id)
    return WebhookChange(ChangeKind.PRODUCT_UPSERTED, product=product)


async def apply(tx: AsyncConnection, a: Adapters, verified: Verified, change: WebhookChange) -> Outcome:
    store = verified.store
    if change.kind is ChangeKind.IGNORED:
        return Outcome("ignored")
    if change.kind is ChangeKind.STORE_UNINSTALLED:
        # The platform dropped our webhooks and our token with them: nothing to unsubscribe.
        await disconnecting.disconnect(tx, a, store.id, DisconnectReason.UNINSTALLED)
        return Outcome("disconnected")
    if not store.connected:
        return Outcome("store disconnected")
    if not await a.deliveries.first_time(tx, store.platform, verified.delivery_id, store.id, change.kind.value):
        return Outcome("duplicate")
    if change.kind is ChangeKind.PRODUCT_UPSERTED and change.product is not None:
        await mirroring.products(tx, a, store.ref, [await _with_known_url(tx, a, store, change.product)])
    elif change.kind is ChangeKind.PRODUCT_REMOVED and change.external_id is not None:
        await mirroring.remove_product(tx, a, store.ref, change.external_id)
    elif change.kind is ChangeKind.ORDER_UPSERTED and change.order is not None:
        await mirroring.orders(tx, a, store.ref, [change.order])
    return Outcome("applied")


async def _with_known_url(tx: AsyncConnection, a: Adapters, store: Store, product: CatalogProduct) -> CatalogProduct:
    """Where deliveries carry no storefront URL, keep the one the last sync read, or every
    webhook would look like a change and clear it."""
    if product.url is not None or not a.platforms[store.platform].webhooks.products_lack_url:
        return product
    known = await a.mirror.one(tx, "products", store.id, product_id(store.id, product.external_id))
    url = known["data"].get("url") if known else None
    return product.model_copy(update={"url": url}) if url else product


async def _secrets(tx: AsyncConnection, a: Adapters, store: Store | None) -> StoreSecrets | None:
    """What a delivery to a store's own URL is checked against; None unless it is connected."""
    if store is None or not store.connected:
        return None
    credentials = await a.vault.load(tx, store.workspace_id, store.id)
    secret = credentials.extra.get("webhook_secret") if credentials else None
    return StoreSecrets(secret, store.webhook_token_hash)


async def _by_domain(tx: AsyncConnection, a: Adapters, platform: StorePlatform, domain: str | None) -> Store | None:
    return await a.stores.by_domain(tx, platform, domain) if domain else None
