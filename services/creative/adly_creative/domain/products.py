"""The catalog's products as the creative context knows them: what copy and images may say."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from adly_creative.domain.ports import Money, ProductFacts
from adly_events.contracts.catalog import ProductUpserted


@dataclass(frozen=True)
class ProductRecord:
    id: UUID
    workspace_id: UUID
    name: str
    names: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    url: str | None = None
    vendor: str | None = None
    prices: tuple[tuple[Money, Money | None], ...] = ()
    image_urls: tuple[str, ...] = ()

    @property
    def main_price(self) -> tuple[Money | None, Money | None]:
        """The lowest price among the variants ("from"), with that variant's compare-at price."""
        if not self.prices:
            return None, None
        price, was = min(self.prices, key=lambda pair: pair[0].amount)
        return price, (was if was is not None and was.amount > price.amount else None)

    def facts(self, photos: Sequence[bytes] = (), store_name: str | None = None) -> ProductFacts:
        price, was = self.main_price
        return ProductFacts(
            product_id=str(self.id), name=self.name, names=dict(self.names), description=self.description,
            price=price, compare_at_price=was, url=self.url, photos=tuple(photos), store_name=store_name or self.vendor)


def product_record(product_id: UUID, workspace_id: UUID, payload: ProductUpserted) -> ProductRecord:
    """A catalog ProductUpserted as the record jobs read: every variant's price, images in their order."""
    product = payload.product
    prices = tuple((Money(v.price.amount, v.price.currency),
                    Money(v.compare_at_price.amount, v.compare_at_price.currency) if v.compare_at_price else None)
                   for v in product.variants)
    images = tuple(i.url for i in sorted(product.images, key=lambda i: i.position))
    return ProductRecord(product_id, workspace_id, product.name, dict(product.names), product.description, product.url,
                         product.vendor, prices, images)
