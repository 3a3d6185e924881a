"""What the catalog needs from a store platform, as ports that carry no transaction.

Three ports, one implementation of each per platform (`adapters/platforms/*_ports.py`),
picked once by platform in `adapters/container.py`: handlers ask the port and never
branch on which platform they talk to.

- `Connecting`: the merchant's consent, the grant it yields, refreshing it, and the
  webhook subscriptions ADLY holds on the platform.
- `WebhookChecking`: what a delivery is worth: signature, store, change, delivery id.
- `CatalogReading`: pages of products and orders, and one product read back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from adly_catalog.domain.platform import Credentials, Page, StoreAddress, StoreInfo, WebhookChange
from adly_events.contracts.catalog import CatalogOrder, CatalogProduct, StorePlatform


@dataclass(frozen=True)
class PendingConnection:
    """A consent under way: kept (by its state's hash) between the redirect and the callback."""

    workspace_id: UUID
    platform: StorePlatform
    domain: str | None
    requested_by: UUID | None
    redirect_uri: str


@dataclass(frozen=True)
class Consent:
    """Where to send the merchant's browser to approve ADLY on the platform."""

    url: str
    domain: str | None   # the store being connected, checked and normalised (None: the platform says later)
    redirect_uri: str    # where the platform sends the merchant back; the code exchange repeats it


@dataclass(frozen=True)
class Grant:
    """What a consent (or keys) yields: the store's credentials and what it says about itself."""

    credentials: Credentials
    info: StoreInfo


class Connecting(Protocol):
    # The platform sends the merchant back to GET /v1/stores/oauth/{platform}/callback.
    returns_to_callback: bool
    # Deliveries are signed with a secret ADLY sets per store (kept with the credentials),
    # not with the app's; `url_token`: the webhook URL also carries a token only ADLY knows.
    own_webhook_secret: bool
    url_token: bool

    async def consent(self, *, state: str, domain: str | None, callback_url: str) -> Consent: ...

    def check_callback(self, query: Mapping[str, str]) -> None:
        """The callback's own signature, where the platform signs it (checked before anything
        else); raises ConnectionRefused when it does not match."""
        ...

    async def exchange(self, query: Mapping[str, str], pending: PendingConnection) -> Grant:
        """The callback's code for credentials, and the store they open."""
        ...

    async def refresh(self, store: StoreAddress, credentials: Credentials) -> Credentials:
        """New credentials from the refresh token; raises CredentialsRejected when it is refused."""
        ...

    def webhook_url(self, base: str, store_id: UUID, token: str | None) -> str: ...

    async def subscribe_webhooks(self, store: StoreAddress, credentials: Credentials, callback_url: str) -> list[str]:
        """Subscribe every topic the catalog handles; returns the platform's subscription ids."""
        ...

    async def unsubscribe_webhooks(self, store: StoreAddress, credentials: Credentials, ids: list[str]) -> None: ...


class KeyConnecting(Protocol):
    """Connecting with API keys the merchant made (WooCommerce), or the store POSTs to us."""

    def credentials_from_keys(self, consumer_key: str, consumer_secret: str) -> Credentials: ...

    def keys_sent(self, body: bytes) -> tuple[str, Credentials]:
        """The keys a store POSTed to our callback, with the state they were sent for."""
        ...

    async def verify_keys(self, site_url: str, credentials: Credentials) -> StoreInfo: ...


@dataclass(frozen=True)
class Delivery:
    """A webhook delivery as the platform sent it: raw bytes, nothing trusted yet."""

    headers: Mapping[str, str]        # names in lower case
    body: bytes
    store_id: UUID | None = None      # where the URL names the store (WooCommerce, Zid)
    token: str | None = None          # Zid: the token in the URL
    event: str | None = None          # Zid: the event the subscription's URL names


@dataclass(frozen=True)
class StoreSecrets:
    """What a delivery to a store's own URL is checked against."""

    webhook_secret: str | None
    token_hash: str | None


class Verdict(StrEnum):
    GENUINE = "genuine"
    UNSIGNED = "unsigned"
    STALE = "stale"


class WebhookChecking(Protocol):
    # What the answer says when the delivery names a store ADLY does not hold.
    unknown_store: str
    # Product deliveries carry no storefront URL (Shopify's REST-shaped ones): keep the known one.
    products_lack_url: bool

    def early_answer(self, delivery: Delivery) -> str | None:
        """A delivery answered before any check (WooCommerce's unsigned ping)."""
        ...

    def verify(self, delivery: Delivery, secrets: StoreSecrets | None, now: datetime) -> Verdict:
        """On the raw bytes, in constant time; `secrets` when the URL names a connected store."""
        ...

    def store_domain(self, delivery: Delivery) -> str | None:
        """The store a verified delivery names, where its URL does not."""
        ...

    def credentials_in(self, delivery: Delivery) -> Credentials | None:
        """Fresh credentials the platform delivers by webhook (Salla's re-authorization)."""
        ...

    def change(self, delivery: Delivery, currency: str) -> WebhookChange: ...

    def delivery_id(self, delivery: Delivery) -> str: ...

    def to_read_back(self, change: WebhookChange) -> str | None:
        """The product to read from the store when the delivery carries less than a sync reads."""
        ...


class CatalogReading(Protocol):
    """Reading a connected store. Cursors are the platform's own (or a page number)."""

    async def fetch_products(
        self, store: StoreAddress, credentials: Credentials, *, cursor: str | None, updated_since: datetime | None
    ) -> Page[CatalogProduct]: ...

    async def fetch_orders(
        self, store: StoreAddress, credentials: Credentials, *, cursor: str | None, updated_since: datetime | None
    ) -> Page[CatalogOrder]: ...

    async def fetch_product(self, store: StoreAddress, credentials: Credentials, external_id: str) -> CatalogProduct | None:
        """One product as it is now; None when the store no longer has it."""
        ...


@dataclass(frozen=True)
class Platform:
    """One platform behind the catalog's ports."""

    connecting: Connecting
    webhooks: WebhookChecking
    reading: CatalogReading
    keys: KeyConnecting | None = None
