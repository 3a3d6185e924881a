"""Events of the catalog context: store connections, products, orders and syncs.

One normalised product and order model for Shopify, WooCommerce, Salla and Zid: money
is an exact decimal with its currency, names keep every language the platform gives,
and an order carries every attribution signal the platform reports. Customers appear
only as a keyed hash (RELIABILITY S15).
"""

from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime, Field

from adly_events.catalog import CATALOG
from adly_events.contracts.common import Contract, Money

store_event = {"version": 1, "context": "catalog", "aggregate": "store"}
product_event = {"version": 1, "context": "catalog", "aggregate": "product"}
order_event = {"version": 1, "context": "catalog", "aggregate": "order"}
sync_event = {"version": 1, "context": "catalog", "aggregate": "sync"}


class StorePlatform(StrEnum):
    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"
    SALLA = "salla"
    ZID = "zid"


class ProductStatus(StrEnum):
    ACTIVE = "active"
    DRAFT = "draft"
    ARCHIVED = "archived"


class ProductImage(Contract):
    url: str
    alt: str | None = None
    position: int = Field(ge=0)


class ProductOption(Contract):
    name: str
    values: list[str]


class ProductVariant(Contract):
    external_id: str
    sku: str | None = None
    title: str | None = None
    price: Money
    compare_at_price: Money | None = None
    inventory_quantity: int | None = Field(default=None, description="Null when the platform does not track stock.")
    options: dict[str, str] = Field(default_factory=dict, description="Option name -> value.")


class CatalogProduct(Contract):
    """A product as ADLY sees it, whatever the platform."""

    external_id: str = Field(description="The platform's id, as a string (Shopify GIDs are reduced to the number).")
    name: str = Field(description="In the store's main language.")
    names: dict[str, str] = Field(default_factory=dict, description="ISO 639-1 language -> name, e.g. Zid's ar and en.")
    description: str | None = None
    handle: str | None = None
    url: str | None = None
    status: ProductStatus
    vendor: str | None = None
    product_type: str | None = None
    tags: list[str] = Field(default_factory=list)
    options: list[ProductOption] = Field(default_factory=list)
    variants: list[ProductVariant] = Field(default_factory=list)
    images: list[ProductImage] = Field(default_factory=list)
    updated_at: AwareDatetime | None = None


class OrderStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"
    FAILED = "failed"


class UtmParameters(Contract):
    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    content: str | None = None
    term: str | None = None


class Visit(Contract):
    """One visit of a customer journey (Shopify's `customerJourneySummary`)."""

    landing_page: str | None = None
    referrer: str | None = None
    source: str | None = None
    utm: UtmParameters = Field(default_factory=UtmParameters)
    occurred_at: AwareDatetime | None = None


class OrderAttribution(Contract):
    """Every signal the platform gives about where the order came from."""

    landing_site: str | None = None
    referrer: str | None = None
    source_name: str | None = Field(default=None, description="e.g. Shopify `source_name`, Woo `source_type`.")
    utm: UtmParameters = Field(default_factory=UtmParameters)
    click_ids: dict[str, str] = Field(default_factory=dict, description="fbclid, gclid, ttclid, ScCid, ... -> value.")
    device_type: str | None = None
    first_visit: Visit | None = None
    last_visit: Visit | None = None
    days_to_conversion: int | None = None
    journey_ready: bool | None = Field(default=None, description="Shopify: false while still attributing.")


class OrderLine(Contract):
    product_external_id: str | None = None
    variant_external_id: str | None = None
    sku: str | None = None
    name: str | None = None
    quantity: int = Field(ge=0)
    unit_price: Money
    total: Money


class CatalogOrder(Contract):
    """An order as ADLY sees it, whatever the platform."""

    external_id: str
    number: str | None = None
    status: OrderStatus
    platform_status: str = Field(description="The platform's own status word, kept verbatim.")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    subtotal: Money | None = None
    total: Money
    tax: Money | None = None
    discounts: Money | None = None
    shipping: Money | None = None
    lines: list[OrderLine] = Field(default_factory=list)
    customer_ref: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$", description="Keyed SHA-256 of the customer.")
    placed_at: AwareDatetime
    updated_at: AwareDatetime | None = None
    attribution: OrderAttribution = Field(default_factory=OrderAttribution)


class DisconnectReason(StrEnum):
    MERCHANT = "merchant"
    UNINSTALLED = "uninstalled"
    CREDENTIALS_REVOKED = "credentials_revoked"


@CATALOG.event("StoreConnected", **store_event)
class StoreConnected(Contract):
    """A merchant connected a store; its catalog and orders will sync."""

    platform: StorePlatform
    domain: str = Field(description="Shop domain, site URL, or the platform's store/merchant id.")
    name: str | None = None
    currency: str | None = None
    connected_by: UUID | None = None


@CATALOG.event("StoreDisconnected", **store_event)
class StoreDisconnected(Contract):
    """The store's credentials are gone and its syncs stopped."""

    platform: StorePlatform
    reason: DisconnectReason


@CATALOG.event("ProductUpserted", **product_event)
class ProductUpserted(Contract):
    """A product is new or changed; the payload is its whole current state."""

    store_id: UUID
    platform: StorePlatform
    product: CatalogProduct


@CATALOG.event("ProductRemoved", **product_event)
class ProductRemoved(Contract):
    """A product was deleted on the platform."""

    store_id: UUID
    platform: StorePlatform
    external_id: str


@CATALOG.event("OrderPlaced", **order_event)
class OrderPlaced(Contract):
    """ADLY learned of a new order; the payload is its whole current state."""

    store_id: UUID
    platform: StorePlatform
    order: CatalogOrder


@CATALOG.event("OrderUpdated", **order_event)
class OrderUpdated(Contract):
    """An order changed (status, totals, refunds); the payload is its whole current state."""

    store_id: UUID
    platform: StorePlatform
    order: CatalogOrder


class SyncKind(StrEnum):
    FULL = "full"
    INCREMENTAL = "incremental"


class SyncResource(StrEnum):
    PRODUCTS = "products"
    ORDERS = "orders"


@CATALOG.event("SyncStarted", **sync_event)
class SyncStarted(Contract):
    """A sync of a store's products and orders began."""

    store_id: UUID
    kind: SyncKind
    resources: list[SyncResource]
    updated_since: AwareDatetime | None = None


@CATALOG.event("SyncProgressed", **sync_event)
class SyncProgressed(Contract):
    """A sync finished another stretch of pages of one resource."""

    store_id: UUID
    resource: SyncResource
    pages: int = Field(ge=0)
    seen: int = Field(ge=0, description="Items read from the platform so far in this resource.")
    changed: int = Field(ge=0, description="Items that were new or different (and so produced events).")


@CATALOG.event("SyncCompleted", **sync_event)
class SyncCompleted(Contract):
    """A sync read everything it set out to read."""

    store_id: UUID
    products_seen: int = Field(ge=0)
    products_changed: int = Field(ge=0)
    orders_seen: int = Field(ge=0)
    orders_changed: int = Field(ge=0)


@CATALOG.event("SyncFailed", **sync_event)
class SyncFailed(Contract):
    """A sync gave up; `reason` is what the merchant can act on."""

    store_id: UUID
    reason: str
    retryable: bool
