"""Connecting a store: the OAuth round trip (Shopify, Salla, Zid, WooCommerce's wc-auth),
WooCommerce keys given directly, and what follows every connection: credentials sealed,
StoreConnected, webhooks subscribed, the first full sync queued.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID, uuid4

from adly_catalog.adapters.container import Adapters
from adly_catalog.adapters.intake import PendingConnection
from adly_catalog.adapters.stores import StoreRow
from adly_catalog.domain import store as store_rules
from adly_catalog.domain.platform import Credentials, PlatformError, StoreAddress, StoreInfo
from adly_events.contracts.catalog import StoreConnected, StorePlatform, SyncKind

log = logging.getLogger(__name__)
OAUTH_PLATFORMS = (StorePlatform.SHOPIFY, StorePlatform.SALLA, StorePlatform.ZID)
# Platforms whose webhooks we authenticate with a secret of our own, kept with the credentials.
OWN_WEBHOOK_SECRET = (StorePlatform.WOOCOMMERCE, StorePlatform.ZID)


class ConnectionRefused(Exception):
    """The connection cannot go on; the message is what the merchant is told."""


@dataclass(frozen=True)
class Authorization:
    authorize_url: str
    expires_in: int


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def callback_url(a: Adapters, platform: StorePlatform) -> str:
    return f"{a.settings.public_api_url}/v1/stores/oauth/{platform.value}/callback"


async def start_authorization(a: Adapters, platform: StorePlatform, workspace_id: UUID, user_id: UUID | None,
                              domain: str | None) -> Authorization:
    """The platform URL to send the merchant's browser to, with a single-use `state`."""
    client = a.platforms[platform]
    state = secrets.token_hex(32)  # hex: Salla strips hyphens from the state it hands back
    redirect = callback_url(a, platform)
    if platform is StorePlatform.SHOPIFY:
        url = client.authorize_url(shop=domain, state=state, redirect_uri=redirect)
    elif platform is StorePlatform.WOOCOMMERCE:
        redirect = f"{a.settings.public_app_url}/stores?platform=woocommerce"
        url = client.authorize_url(site_url=domain, state=state, return_url=redirect,
                                   callback_url=f"{callback_url(a, platform)}/{state}")
    else:
        url = client.authorize_url(state=state, redirect_uri=redirect)
    async with a.engine.begin() as tx:
        await a.pending.add(tx, state_hash(state), PendingConnection(workspace_id, platform, domain, user_id, redirect),
                            a.settings.oauth_state_ttl_seconds)
    return Authorization(url, a.settings.oauth_state_ttl_seconds)


async def finish_authorization(a: Adapters, platform: StorePlatform, query: Mapping[str, str]) -> StoreRow:
    """The platform sent the merchant back with a code: check it, exchange it, connect."""
    client = a.platforms[platform]
    if platform is StorePlatform.SHOPIFY and not client.verify_callback(query):
        raise ConnectionRefused("The callback's signature is not Shopify's.")
    if query.get("error"):
        raise ConnectionRefused(f"The platform did not authorize ADLY: {query.get('error_description') or query['error']}")
    state, code = query.get("state"), query.get("code")
    if not state or not code:
        raise ConnectionRefused("The callback has no state or code.")
    async with a.engine.begin() as tx:
        pending = await a.pending.take(tx, state_hash(state), platform)
    if pending is None:
        raise ConnectionRefused("This connection link expired or was used already; start connecting again.")
    if platform is StorePlatform.SHOPIFY:
        shop = query.get("shop", "")
        if shop != pending.domain:
            raise ConnectionRefused("The callback is for another shop than the one being connected.")
        credentials = await client.exchange_code(shop=shop, code=code)
        info = await client.store_info(StoreAddress(platform, shop), credentials)
    else:
        credentials = await client.exchange_code(code=code, redirect_uri=pending.redirect_uri)
        info = await client.store_info(credentials)
    return await connect(a, pending.workspace_id, platform, info, credentials, pending.requested_by)


async def accept_woocommerce_keys(a: Adapters, state: str, body: bytes) -> tuple[PendingConnection, Credentials]:
    """wc-auth: the store POSTs (unsigned) the keys it made for us to the callback URL that
    holds our single-use state. WooCommerce waits at most 60 s and deletes the keys on any
    answer but 200, so this only checks and spends the state; `finish_woocommerce` runs after."""
    from adly_catalog.adapters.platforms.woocommerce import parse_authorization_callback

    user_id, credentials = parse_authorization_callback(body)
    if not secrets.compare_digest(user_id, state):
        raise ConnectionRefused("The keys were sent for another connection.")
    async with a.engine.begin() as tx:
        pending = await a.pending.take(tx, state_hash(state), StorePlatform.WOOCOMMERCE)
    if pending is None or pending.domain is None:
        raise ConnectionRefused("This connection link expired or was used already; start connecting again.")
    return pending, credentials


async def finish_woocommerce(a: Adapters, pending: PendingConnection, credentials: Credentials) -> StoreRow | None:
    client = a.platforms[StorePlatform.WOOCOMMERCE]
    try:
        info = await client.verify_keys(pending.domain, credentials.access_token, credentials.extra["consumer_secret"])
        return await connect(a, pending.workspace_id, StorePlatform.WOOCOMMERCE, info, credentials, pending.requested_by)
    except (ConnectionRefused, PlatformError) as error:
        log.warning("woocommerce connection failed after authorization", extra={"reason": type(error).__name__})
        return None


async def connect_with_keys(a: Adapters, workspace_id: UUID, user_id: UUID | None, site_url: str,
                            consumer_key: str, consumer_secret: str) -> StoreRow:
    """WooCommerce REST keys made by the merchant in their admin."""
    from adly_catalog.adapters.platforms.woocommerce import credentials_from_keys

    client = a.platforms[StorePlatform.WOOCOMMERCE]
    credentials = credentials_from_keys(consumer_key, consumer_secret)
    info = await client.verify_keys(site_url, credentials.access_token, credentials.extra["consumer_secret"])
    return await connect(a, workspace_id, StorePlatform.WOOCOMMERCE, info, credentials, user_id)


async def connect(a: Adapters, workspace_id: UUID, platform: StorePlatform, info: StoreInfo,
                  credentials: Credentials, user_id: UUID | None) -> StoreRow:
    webhook_token = secrets.token_urlsafe(32) if platform is StorePlatform.ZID else None
    if platform in OWN_WEBHOOK_SECRET and "webhook_secret" not in credentials.extra:
        credentials = Credentials(**{**credentials.__dict__, "extra": {**credentials.extra,
                                                                      "webhook_secret": secrets.token_urlsafe(32)}})
    async with a.engine.begin() as tx:
        existing = await a.stores.by_domain(tx, platform, info.domain)
        event = StoreConnected(platform=platform, domain=info.domain, name=info.name, currency=info.currency,
                               connected_by=user_id)
        try:
            decided = store_rules.connect(existing.state if existing else None, workspace_id, event)
        except store_rules.StoreTakenElsewhere:
            raise ConnectionRefused("This store is connected to another ADLY workspace; disconnect it there first.") from None
        same = existing is not None and existing.workspace_id == workspace_id
        store_id = existing.id if same else uuid4()
        if decided is not None:
            await a.stores.record_connected(tx, store_id, workspace_id, existing.version if same else 0, decided)
        await a.vault.save(tx, workspace_id, store_id, credentials)
        store = await a.stores.get(tx, store_id)
    await subscribe_webhooks(a, store, credentials, webhook_token)
    async with a.engine.begin() as tx:
        await a.syncs.queue(tx, store.id, workspace_id, SyncKind.FULL, None, user_id)
        return await a.stores.get(tx, store.id)


def webhook_url(a: Adapters, store: StoreRow, token: str | None) -> str:
    base = f"{a.settings.public_api_url}/v1/stores/webhooks/{store.platform.value}"
    if store.platform is StorePlatform.WOOCOMMERCE:
        return f"{base}/{store.id}"
    if store.platform is StorePlatform.ZID:
        return f"{base}/{store.id}/{token}"
    return base


async def subscribe_webhooks(a: Adapters, store: StoreRow, credentials: Credentials, token: str | None) -> None:
    """Best effort: a store whose webhooks could not be set still syncs on schedule."""
    client = a.platforms[store.platform]
    try:
        ids = await client.subscribe_webhooks(store.address, credentials, webhook_url(a, store, token))
    except Exception as error:  # noqa: BLE001 - the connection stands; incremental syncs catch up
        log.warning("webhook subscription failed", extra={"store": str(store.id), "error": type(error).__name__})
        ids = []
    async with a.engine.begin() as tx:
        await a.stores.set_webhooks(tx, store.id, ids, state_hash(token) if token else None)


__all__ = ["ConnectionRefused", "PlatformError", "connect", "connect_with_keys", "finish_authorization",
           "accept_woocommerce_keys", "finish_woocommerce", "start_authorization", "OAUTH_PLATFORMS"]
