"""Shopify behind the catalog's ports: OAuth with a signed callback, app-signed webhooks
that name their shop in a header, GraphQL pages (shopify.py speaks the wire)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

from adly_catalog.adapters.platforms.shopify import ShopifyClient
from adly_catalog.domain.errors import ConnectionRefused
from adly_catalog.domain.platform import Credentials, Page, PlatformError, StoreAddress, WebhookChange
from adly_catalog.domain.ports import Consent, Delivery, Grant, PendingConnection, StoreSecrets, Verdict
from adly_events.contracts.catalog import CatalogOrder, CatalogProduct, StorePlatform


class ShopifyPorts:
    returns_to_callback = True
    own_webhook_secret = False
    url_token = False
    unknown_store = "unknown shop"
    products_lack_url = True  # REST-shaped product deliveries carry no storefront URL

    def __init__(self, client: ShopifyClient) -> None:
        self.client = client

    # Connecting

    async def consent(self, *, state: str, domain: str | None, callback_url: str) -> Consent:
        url = self.client.authorize_url(shop=domain or "", state=state, redirect_uri=callback_url)
        return Consent(url, domain, callback_url)

    def check_callback(self, query: Mapping[str, str]) -> None:
        if not self.client.verify_callback(query):
            raise ConnectionRefused("The callback's signature is not Shopify's.")

    async def exchange(self, query: Mapping[str, str], pending: PendingConnection) -> Grant:
        shop = query.get("shop", "")
        if shop != pending.domain:
            raise ConnectionRefused("The callback is for another shop than the one being connected.")
        credentials = await self.client.exchange_code(shop=shop, code=query.get("code", ""))
        return Grant(credentials, await self.client.store_info(StoreAddress(StorePlatform.SHOPIFY, shop), credentials))

    async def refresh(self, store: StoreAddress, credentials: Credentials) -> Credentials:
        return await self.client.refresh(store, credentials)

    def webhook_url(self, base: str, store_id: UUID, token: str | None) -> str:
        return base  # one URL for every shop: deliveries name theirs

    async def subscribe_webhooks(self, store: StoreAddress, credentials: Credentials, callback_url: str) -> list[str]:
        return await self.client.subscribe_webhooks(store, credentials, callback_url)

    async def unsubscribe_webhooks(self, store: StoreAddress, credentials: Credentials, ids: list[str]) -> None:
        await self.client.unsubscribe_webhooks(store, credentials, ids)

    # Webhooks

    def early_answer(self, delivery: Delivery) -> str | None:
        return None

    def verify(self, delivery: Delivery, secrets: StoreSecrets | None, now: datetime) -> Verdict:
        if not self.client.verify_webhook(delivery.headers, delivery.body):
            return Verdict.UNSIGNED
        return Verdict.GENUINE if self.client.webhook_is_fresh(delivery.headers, now) else Verdict.STALE

    def store_domain(self, delivery: Delivery) -> str | None:
        return ShopifyClient.webhook_shop(delivery.headers)

    def credentials_in(self, delivery: Delivery) -> Credentials | None:
        return None

    def change(self, delivery: Delivery, currency: str) -> WebhookChange:
        return self.client.parse_webhook(delivery.headers, delivery.body, currency=currency)

    def delivery_id(self, delivery: Delivery) -> str:
        return ShopifyClient.webhook_delivery_id(delivery.headers)

    def to_read_back(self, change: WebhookChange) -> str | None:
        return None  # deliveries carry the whole product

    # Reading

    async def fetch_products(self, store: StoreAddress, credentials: Credentials, *, cursor: str | None,
                             updated_since: datetime | None) -> Page[CatalogProduct]:
        return await self.client.fetch_products(store, credentials, cursor=cursor, updated_since=updated_since)

    async def fetch_orders(self, store: StoreAddress, credentials: Credentials, *, cursor: str | None,
                           updated_since: datetime | None) -> Page[CatalogOrder]:
        return await self.client.fetch_orders(store, credentials, cursor=cursor, updated_since=updated_since)

    async def fetch_product(self, store: StoreAddress, credentials: Credentials, external_id: str) -> CatalogProduct | None:
        raise PlatformError("Shopify's deliveries carry the whole product; there is nothing to read back")
