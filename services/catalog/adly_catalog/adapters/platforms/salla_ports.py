"""Salla behind the catalog's ports: OAuth; store events delivered to a per-store URL (one per
event) signed with a secret ADLY set on each subscription; app events (re-authorizations,
uninstalls) to the app's URL signed with the app's secret, naming their merchant in the body
(salla.py speaks the wire)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

from adly_catalog.adapters.platforms import salla
from adly_catalog.adapters.platforms.salla import SallaClient
from adly_catalog.domain.platform import Credentials, Page, StoreAddress, WebhookChange
from adly_catalog.domain.ports import Consent, Delivery, Grant, PendingConnection, StoreSecrets, Verdict
from adly_events.contracts.catalog import CatalogOrder, CatalogProduct


class SallaPorts:
    returns_to_callback = True
    own_webhook_secret = True
    url_token = False
    unknown_store = "unknown merchant"
    products_lack_url = False

    def __init__(self, client: SallaClient) -> None:
        self.client = client

    # Connecting

    async def consent(self, *, state: str, domain: str | None, callback_url: str) -> Consent:
        return Consent(self.client.authorize_url(state=state, redirect_uri=callback_url), domain, callback_url)

    def check_callback(self, query: Mapping[str, str]) -> None:
        """Salla signs no callback: the single-use state is the check."""

    async def exchange(self, query: Mapping[str, str], pending: PendingConnection) -> Grant:
        credentials = await self.client.exchange_code(code=query.get("code", ""), redirect_uri=pending.redirect_uri)
        return Grant(credentials, await self.client.store_info(credentials))

    async def refresh(self, store: StoreAddress, credentials: Credentials) -> Credentials:
        return await self.client.refresh(store, credentials)

    def webhook_url(self, base: str, store_id: UUID, token: str | None) -> str:
        return f"{base}/{store_id}"  # each event then gets its own path under it (salla.webhook_target)

    async def subscribe_webhooks(self, store: StoreAddress, credentials: Credentials, callback_url: str) -> list[str]:
        return await self.client.subscribe_webhooks(store, credentials, callback_url)

    async def unsubscribe_webhooks(self, store: StoreAddress, credentials: Credentials, ids: list[str]) -> None:
        await self.client.unsubscribe_webhooks(store, credentials, ids)

    # Webhooks

    def early_answer(self, delivery: Delivery) -> str | None:
        return None

    def verify(self, delivery: Delivery, secrets: StoreSecrets | None, now: datetime) -> Verdict:
        if delivery.store_id is None:  # the app's URL: app events, and subscriptions made before per-store secrets
            app_secret = self.client.settings.salla_webhook_secret.get_secret_value()
            signed = salla.verify_webhook(delivery.headers, delivery.body, app_secret)
        else:  # a store's own URL: signed with the secret ADLY set on its subscriptions, nothing else
            store_secret = secrets.webhook_secret if secrets else None
            signed = bool(store_secret) and salla.verify_webhook(delivery.headers, delivery.body, store_secret or "",
                                                                 token_allowed=False)
        return Verdict.GENUINE if signed else Verdict.UNSIGNED

    def store_domain(self, delivery: Delivery) -> str | None:
        return salla.webhook_merchant(delivery.body)

    def credentials_in(self, delivery: Delivery) -> Credentials | None:
        return salla.authorization_from_webhook(delivery.body)

    def change(self, delivery: Delivery, currency: str) -> WebhookChange:
        return salla.parse_webhook(delivery.headers, delivery.body, hash_customer=self.client.hash_customer)

    def delivery_id(self, delivery: Delivery) -> str:
        return salla.webhook_delivery_id(delivery.headers, delivery.body)

    def to_read_back(self, change: WebhookChange) -> str | None:
        return None

    # Reading

    async def fetch_products(self, store: StoreAddress, credentials: Credentials, *, cursor: str | None,
                             updated_since: datetime | None) -> Page[CatalogProduct]:
        return await self.client.fetch_products(store, credentials, cursor=cursor, updated_since=updated_since)

    async def fetch_orders(self, store: StoreAddress, credentials: Credentials, *, cursor: str | None,
                           updated_since: datetime | None) -> Page[CatalogOrder]:
        return await self.client.fetch_orders(store, credentials, cursor=cursor, updated_since=updated_since)

    async def fetch_product(self, store: StoreAddress, credentials: Credentials, external_id: str) -> CatalogProduct | None:
        return await self.client.fetch_product(store, credentials, external_id)
