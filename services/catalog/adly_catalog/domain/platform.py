"""A store platform's vocabulary, in the catalog's own words: no HTTP here.

The ports (`domain/ports.py`) speak it; each platform adapter (`adapters/platforms/`) turns
its wire format into these and into the published `CatalogProduct` / `CatalogOrder`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Generic, TypeVar

from adly_events.contracts.catalog import CatalogOrder, CatalogProduct, StorePlatform

T = TypeVar("T")

# The customer reference in orders: a keyed hash, so events never carry an email or a
# platform customer id that could be joined back to a person outside ADLY.
CustomerHasher = Callable[[str], str]


@dataclass(frozen=True)
class Credentials:
    """A store's secrets; stored only encrypted (adapters/vault.py)."""

    access_token: str
    refresh_token: str | None = None
    expires_at: datetime | None = None          # of the access token; None = does not expire
    refresh_expires_at: datetime | None = None
    scope: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)  # e.g. Zid's `authorization`, Woo's consumer secret

    def expiring(self, now: datetime, margin: timedelta = timedelta(minutes=5)) -> bool:
        return self.expires_at is not None and self.expires_at - margin <= now

    def refreshed_since(self, used: Credentials, now: datetime) -> bool:
        """These (as stored now) replaced `used` and are still good: another worker refreshed
        meanwhile, and spending the refresh token again would revoke both (Salla)."""
        return self.access_token != used.access_token and not self.expiring(now)


@dataclass(frozen=True)
class StoreAddress:
    """Where a store lives on its platform."""

    platform: StorePlatform
    domain: str  # Shopify shop domain, WooCommerce site URL, Salla merchant id, Zid store id


@dataclass(frozen=True)
class StoreInfo:
    """What connecting learns about the store."""

    domain: str
    name: str | None = None
    currency: str | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None  # opaque, saved with the page's writes; None on the last page


class ChangeKind(StrEnum):
    PRODUCT_UPSERTED = "product_upserted"
    PRODUCT_REMOVED = "product_removed"
    ORDER_UPSERTED = "order_upserted"
    STORE_UNINSTALLED = "store_uninstalled"
    IGNORED = "ignored"  # a topic we do not act on (e.g. WooCommerce's ping)


@dataclass(frozen=True)
class WebhookChange:
    kind: ChangeKind
    product: CatalogProduct | None = None
    order: CatalogOrder | None = None
    external_id: str | None = None  # of a removed product


class PlatformError(Exception):
    """The platform refused or failed; `retryable` says whether trying later can help."""

    def __init__(self, message: str, *, retryable: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.status = status


class CredentialsRejected(PlatformError):
    """401/invalid_grant: refresh once; if that fails the merchant must reconnect."""


class RateLimited(PlatformError):
    """Throttled for longer than a client waits in place; try again after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message, retryable=True, status=429)
        self.retry_after = retry_after
