"""WooCommerce behind the catalog's ports: keys (pasted, or POSTed by the store after the
merchant's approval), and deliveries to a per-store URL signed with a secret ADLY set
(woocommerce.py speaks the wire)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

from adly_catalog.adapters.platforms import woocommerce, woocommerce_wire
from adly_catalog.adapters.platforms.woocommerce import WooCommerceClient
from adly_catalog.domain.errors import ConnectionRefused
from adly_catalog.domain.platform import ChangeKind, Credentials, Page, StoreAddress, StoreInfo, WebhookChange
from adly_catalog.domain.ports import Consent, Delivery, Grant, PendingConnection, StoreSecrets, Verdict
from adly_events.contracts.catalog import CatalogOrder, CatalogProduct


class WooCommercePorts:
    returns_to_callback = False  # the store POSTs keys to our callback and sends the merchant to the app
    own_webhook_secret = True
    url_token = False
    unknown_store = "unknown store"
    products_lack_url = False

    def __init__(self, client: WooCommerceClient) -> None:
        self.client = client

    # Connecting

    async def consent(self, *, state: str, domain: str | None, callback_url: str) -> Consent:
        site = await self.client.check_site_url(domain or "")
        back = f"{self.client.settings.public_app_url}/stores?platform=woocommerce"
        url = self.client.authorize_url(site_url=site, state=state, return_url=back, callback_url=f"{callback_url}/{state}")
        return Consent(url, site, back)

    def check_callback(self, query: Mapping[str, str]) -> None:
        raise ConnectionRefused("This platform connects another way.")

    async def exchange(self, query: Mapping[str, str], pending: PendingConnection) -> Grant:
        raise ConnectionRefused("This platform connects another way.")

    async def refresh(self, store: StoreAddress, credentials: Credentials) -> Credentials:
        return await self.client.refresh(store, credentials)

    def webhook_url(self, base: str, store_id: UUID, token: str | None) -> str:
        return f"{base}/{store_id}"

    async def subscribe_webhooks(self, store: StoreAddress, credentials: Credentials, callback_url: str) -> list[str]:
        return await self.client.subscribe_webhooks(store, credentials, callback_url)

    async def unsubscribe_webhooks(self, store: StoreAddress, credentials: Credentials, ids: list[str]) -> None:
        await self.client.unsubscribe_webhooks(store, credentials, ids)

    # Keys

    def credentials_from_keys(self, consumer_key: str, consumer_secret: str) -> Credentials:
        return woocommerce.credentials_from_keys(consumer_key, consumer_secret)

    def keys_sent(self, body: bytes) -> tuple[str, Credentials]:
        return woocommerce.parse_authorization_callback(body)

    async def verify_keys(self, site_url: str, credentials: Credentials) -> StoreInfo:
        return await self.client.verify_keys(site_url, credentials.access_token, credentials.extra["consumer_secret"])

    # Webhooks

    def early_answer(self, delivery: Delivery) -> str | None:
        return "ping" if woocommerce_wire.is_ping(delivery.headers, delivery.body) else None  # unsigned, on saving a hook

    def verify(self, delivery: Delivery, secrets: StoreSecrets | None, now: datetime) -> Verdict:
        secret = secrets.webhook_secret if secrets else None
        signed = secret is not None and woocommerce_wire.verify_webhook(delivery.headers, delivery.body, secret)
        return Verdict.GENUINE if signed else Verdict.UNSIGNED

    def store_domain(self, delivery: Delivery) -> str | None:
        return None  # the URL names the store

    def credentials_in(self, delivery: Delivery) -> Credentials | None:
        return None

    def change(self, delivery: Delivery, currency: str) -> WebhookChange:
        return woocommerce_wire.parse_webhook(delivery.headers, delivery.body, currency=currency,
                                              hash_customer=self.client.hash_customer)

    def delivery_id(self, delivery: Delivery) -> str:
        return woocommerce_wire.webhook_delivery_id(delivery.headers, delivery.body)

    def to_read_back(self, change: WebhookChange) -> str | None:
        """A variable product's delivery lists only its variations' ids: read it whole."""
        if change.kind is not ChangeKind.PRODUCT_UPSERTED or not woocommerce_wire.webhook_needs_refetch(change):
            return None
        return change.external_id or (change.product.external_id if change.product else None)

    # Reading

    async def fetch_products(self, store: StoreAddress, credentials: Credentials, *, cursor: str | None,
                             updated_since: datetime | None) -> Page[CatalogProduct]:
        return await self.client.fetch_products(store, credentials, cursor=cursor, updated_since=updated_since)

    async def fetch_orders(self, store: StoreAddress, credentials: Credentials, *, cursor: str | None,
                           updated_since: datetime | None) -> Page[CatalogOrder]:
        return await self.client.fetch_orders(store, credentials, cursor=cursor, updated_since=updated_since)

    async def fetch_product(self, store: StoreAddress, credentials: Credentials, external_id: str) -> CatalogProduct | None:
        return await self.client.fetch_product(store, credentials, external_id)
