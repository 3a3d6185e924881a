"""Zid behind the catalog's ports: OAuth, and deliveries to a per-store URL holding a token
only ADLY knows, proved by a per-store Basic password (Zid signs nothing; zid.py speaks the wire)."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

from adly_catalog.adapters.platforms import zid
from adly_catalog.adapters.platforms.zid import ZidClient
from adly_catalog.domain.identity import secret_hash
from adly_catalog.domain.platform import ChangeKind, Credentials, Page, StoreAddress, WebhookChange
from adly_catalog.domain.ports import Consent, Delivery, Grant, PendingConnection, StoreSecrets, Verdict
from adly_events.contracts.catalog import CatalogOrder, CatalogProduct


class ZidPorts:
    returns_to_callback = True
    own_webhook_secret = True
    url_token = True
    unknown_store = "unknown store"
    products_lack_url = False

    def __init__(self, client: ZidClient) -> None:
        self.client = client

    # Connecting

    async def consent(self, *, state: str, domain: str | None, callback_url: str) -> Consent:
        return Consent(self.client.authorize_url(state=state, redirect_uri=callback_url), domain, callback_url)

    def check_callback(self, query: Mapping[str, str]) -> None:
        """Zid signs no callback: the single-use state is the check."""

    async def exchange(self, query: Mapping[str, str], pending: PendingConnection) -> Grant:
        credentials = await self.client.exchange_code(code=query.get("code", ""), redirect_uri=pending.redirect_uri)
        return Grant(credentials, await self.client.store_info(credentials))

    async def refresh(self, store: StoreAddress, credentials: Credentials) -> Credentials:
        return await self.client.refresh(store, credentials)

    def webhook_url(self, base: str, store_id: UUID, token: str | None) -> str:
        return f"{base}/{store_id}/{token}"

    async def subscribe_webhooks(self, store: StoreAddress, credentials: Credentials, callback_url: str) -> list[str]:
        return await self.client.subscribe_webhooks(store, credentials, callback_url)

    async def unsubscribe_webhooks(self, store: StoreAddress, credentials: Credentials, ids: list[str]) -> None:
        await self.client.unsubscribe_webhooks(store, credentials, ids)

    # Webhooks

    def early_answer(self, delivery: Delivery) -> str | None:
        return None

    def verify(self, delivery: Delivery, secrets: StoreSecrets | None, now: datetime) -> Verdict:
        if secrets is None or secrets.token_hash is None or secrets.webhook_secret is None:
            return Verdict.UNSIGNED
        token_ok = hmac.compare_digest(secrets.token_hash, secret_hash(delivery.token or ""))
        signed = token_ok and zid.verify_webhook(delivery.headers, secrets.webhook_secret)
        return Verdict.GENUINE if signed else Verdict.UNSIGNED

    def store_domain(self, delivery: Delivery) -> str | None:
        return None  # the URL names the store

    def credentials_in(self, delivery: Delivery) -> Credentials | None:
        return None

    def change(self, delivery: Delivery, currency: str) -> WebhookChange:
        # Zid names no event in its deliveries: each subscription's URL carries it (?event=...).
        return zid.parse_webhook(delivery.headers, delivery.body, event=delivery.event,
                                 hash_customer=self.client.hash_customer)

    def delivery_id(self, delivery: Delivery) -> str:
        return zid.webhook_delivery_id(delivery.headers, delivery.body)

    def to_read_back(self, change: WebhookChange) -> str | None:
        """A variant's row or a parent without its variants comes IGNORED with the product to read."""
        return change.external_id if change.kind is ChangeKind.IGNORED and change.external_id else None

    # Reading

    async def fetch_products(self, store: StoreAddress, credentials: Credentials, *, cursor: str | None,
                             updated_since: datetime | None) -> Page[CatalogProduct]:
        return await self.client.fetch_products(store, credentials, cursor=cursor, updated_since=updated_since)

    async def fetch_orders(self, store: StoreAddress, credentials: Credentials, *, cursor: str | None,
                           updated_since: datetime | None) -> Page[CatalogOrder]:
        return await self.client.fetch_orders(store, credentials, cursor=cursor, updated_since=updated_since)

    async def fetch_product(self, store: StoreAddress, credentials: Credentials, external_id: str) -> CatalogProduct | None:
        return await self.client.fetch_product(store, credentials, external_id)
