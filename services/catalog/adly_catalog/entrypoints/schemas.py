"""The catalog API's request and response bodies: unknown fields are refused (RELIABILITY S3)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from adly_events.contracts.catalog import StorePlatform, SyncKind


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Connection(Body):
    @property
    def domain(self) -> str | None:
        """The store being connected, where the merchant names it before consenting."""
        return None


class ShopifyConnection(Connection):
    platform: Literal["shopify"]
    shop: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$", examples=["ada-store.myshopify.com"])

    @property
    def domain(self) -> str | None:
        return self.shop


class WooCommerceConnection(Connection):
    platform: Literal["woocommerce"]
    site_url: str = Field(max_length=300, examples=["https://shop.example.com"])

    @property
    def domain(self) -> str | None:
        return self.site_url


class SallaConnection(Connection):
    platform: Literal["salla"]


class ZidConnection(Connection):
    platform: Literal["zid"]


NewConnection = Annotated[ShopifyConnection | WooCommerceConnection | SallaConnection | ZidConnection,
                          Field(discriminator="platform")]


class Authorization(BaseModel):
    """Send the merchant's browser to `authorize_url`; the platform sends it back to ADLY."""

    authorize_url: str
    expires_in: int = Field(description="Seconds the link stays valid.")


class WooCommerceKeys(Body):
    """REST API keys the merchant made in WooCommerce > Settings > Advanced > REST API (read/write)."""

    platform: Literal["woocommerce"]
    site_url: str = Field(max_length=300)
    consumer_key: str = Field(pattern=r"^ck_[A-Za-z0-9]{10,100}$")
    consumer_secret: str = Field(pattern=r"^cs_[A-Za-z0-9]{10,100}$")


class SyncRequest(Body):
    kind: SyncKind = SyncKind.INCREMENTAL


class ResourceProgress(BaseModel):
    pages: int
    seen: int
    changed: int


class SyncOut(BaseModel):
    id: UUID
    store_id: UUID
    kind: SyncKind
    state: Literal["queued", "running", "completed", "failed", "cancelled"]
    resource: str | None = Field(description="What it is reading now.")
    progress: dict[str, ResourceProgress]
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class StoreOut(BaseModel):
    id: UUID
    platform: StorePlatform
    domain: str
    name: str | None
    currency: str | None
    status: Literal["connected", "disconnected"]
    connected_at: datetime
    disconnected_at: datetime | None
    disconnect_reason: str | None
    last_synced_at: datetime | None
    webhooks: int = Field(description="Webhook subscriptions ADLY holds on the platform.")


class ItemOut(BaseModel):
    id: UUID
    external_id: str
    synced_at: datetime
    data: dict[str, Any] = Field(description="The normalised product or order (see the ProductUpserted / OrderPlaced schemas).")


class ItemPage(BaseModel):
    items: list[ItemOut]
    next_after: str | None = Field(description="Pass as `after` for the next page; null on the last page.")
