"""A store platform as the catalog's platform ports see it, scripted by the test, and the
products and orders it holds."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from adly_catalog.domain.platform import (
    ChangeKind,
    Credentials,
    CredentialsRejected,
    Page,
    PlatformError,
    StoreAddress,
    StoreInfo,
    WebhookChange,
)
from adly_catalog.domain.ports import Consent, Delivery, Grant, PendingConnection, StoreSecrets, Verdict
from adly_events.contracts.catalog import CatalogOrder, CatalogProduct, OrderStatus, ProductStatus, ProductVariant
from adly_events.contracts.common import Money


class FakePlatform:
    """A store platform as the ports see it. Deliveries are JSON `WebhookChange`s; headers say
    whether they are signed (`x-signature: valid`), which shop and delivery they are."""

    returns_to_callback = True
    url_token = False
    unknown_store = "unknown shop"
    products_lack_url = False

    def __init__(self, *, own_webhook_secret: bool = False) -> None:
        self.own_webhook_secret = own_webhook_secret
        self.info = StoreInfo("ada.example", "Ada's", "SAR")
        self.products: dict[str | None, Page[CatalogProduct]] = {None: Page([], None)}
        self.orders: dict[str | None, Page[CatalogOrder]] = {None: Page([], None)}
        self.subscribed: list[str] = []
        self.unsubscribed: list[str] = []
        self.read_back: dict[str, CatalogProduct | None] = {}
        self.refusals = 0  # the next reads refused as with a revoked or expired token

    async def consent(self, *, state: str, domain: str | None, callback_url: str) -> Consent:
        return Consent(f"https://platform.test/authorize?state={state}", domain, callback_url)

    def check_callback(self, query: Mapping[str, str]) -> None:
        pass

    async def exchange(self, query: Mapping[str, str], pending: PendingConnection) -> Grant:
        return Grant(Credentials(f"token-for-{query['code']}", refresh_token="refresh"), self.info)

    async def refresh(self, store: StoreAddress, credentials: Credentials) -> Credentials:
        return Credentials(credentials.access_token + "+", refresh_token="refresh")

    def webhook_url(self, base: str, store_id: UUID, token: str | None) -> str:
        return base

    async def subscribe_webhooks(self, store: StoreAddress, credentials: Credentials, callback_url: str) -> list[str]:
        self.subscribed.append(callback_url)
        return ["hook-1", "hook-2"]

    async def unsubscribe_webhooks(self, store: StoreAddress, credentials: Credentials, ids: list[str]) -> None:
        self.unsubscribed += ids

    def early_answer(self, delivery: Delivery) -> str | None:
        return None

    def verify(self, delivery: Delivery, secrets: StoreSecrets | None, now: datetime) -> Verdict:
        return {"valid": Verdict.GENUINE, "stale": Verdict.STALE}.get(delivery.headers.get("x-signature", ""),
                                                                      Verdict.UNSIGNED)

    def store_domain(self, delivery: Delivery) -> str | None:
        return delivery.headers.get("x-shop")

    def credentials_in(self, delivery: Delivery) -> Credentials | None:
        return None

    def change(self, delivery: Delivery, currency: str) -> WebhookChange:
        data = json.loads(delivery.body)
        try:
            product = CatalogProduct.model_validate(data["product"]) if data.get("product") else None
            order = CatalogOrder.model_validate(data["order"]) if data.get("order") else None
        except ValueError as error:
            raise PlatformError(f"not a product or order: {error.errors()[0]['msg']}") from None
        return WebhookChange(ChangeKind(data["kind"]), product, order, data.get("external_id"))

    def delivery_id(self, delivery: Delivery) -> str:
        return delivery.headers["x-delivery"]

    def to_read_back(self, change: WebhookChange) -> str | None:
        return change.external_id if change.kind is ChangeKind.IGNORED else None

    async def fetch_products(self, store: StoreAddress, credentials: Credentials, *, cursor: str | None,
                             updated_since: datetime | None) -> Page[CatalogProduct]:
        if self.refusals:
            self.refusals -= 1
            raise CredentialsRejected("the token was refused", status=401)
        return self.products[cursor]

    async def fetch_orders(self, store: StoreAddress, credentials: Credentials, *, cursor: str | None,
                           updated_since: datetime | None) -> Page[CatalogOrder]:
        return self.orders[cursor]

    async def fetch_product(self, store: StoreAddress, credentials: Credentials, external_id: str) -> CatalogProduct | None:
        return self.read_back[external_id]


def product(external_id: str, price: str = "19.99", name: str = "Linen shirt") -> CatalogProduct:
    return CatalogProduct(external_id=external_id, name=name, status=ProductStatus.ACTIVE, variants=[
        ProductVariant(external_id=f"{external_id}-v1", price=Money(amount=Decimal(price), currency="SAR"))])


def order(external_id: str, status: OrderStatus = OrderStatus.PAID, total: str = "50.00") -> CatalogOrder:
    return CatalogOrder(external_id=external_id, status=status, platform_status=status.value, currency="SAR",
                        total=Money(amount=Decimal(total), currency="SAR"), placed_at=datetime(2026, 3, 1, tzinfo=UTC))
