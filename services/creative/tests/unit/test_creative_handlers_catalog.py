"""The catalog's product events feeding the products read model, driven through
adly_creative.handlers on in-memory ports."""

from __future__ import annotations

import uuid
from decimal import Decimal

from adly_creative.handlers import catalog
from adly_events import CATALOG
from adly_events.contracts.catalog import (
    CatalogProduct,
    ProductImage,
    ProductRemoved,
    ProductStatus,
    ProductUpserted,
    ProductVariant,
)
from adly_events.contracts.common import Money
from adly_kit.testing.doubles import NO_DATABASE

from .doubles import Studio, studio


def upserted(name: str, price: str, was: str | None = None) -> ProductUpserted:
    variants = [ProductVariant(external_id="v1", price=Money(amount=Decimal(price), currency="SAR"),
                               compare_at_price=Money(amount=Decimal(was), currency="SAR") if was else None)]
    images = [ProductImage(url="https://cdn.example/2.jpg", position=2), ProductImage(url="https://cdn.example/1.jpg",
                                                                                       position=1)]
    product = CatalogProduct(external_id="42", name=name, names={"ar": "عطر"}, status=ProductStatus.ACTIVE,
                             variants=variants, images=images)
    return ProductUpserted(store_id=uuid.uuid4(), platform="zid", product=product)


async def deliver(s: Studio, payload, product_id: uuid.UUID, version: int, ws: uuid.UUID | None) -> None:
    envelope = CATALOG.envelope(payload, aggregate_id=product_id, aggregate_version=version, workspace_id=ws)
    if isinstance(payload, ProductUpserted):
        await catalog.product_upserted(NO_DATABASE, s.adapters, payload, envelope)
    else:
        await catalog.product_removed(NO_DATABASE, s.adapters, payload, envelope)


async def test_a_product_event_updates_the_read_model_jobs_read_their_facts_from():
    s, ws, product_id = studio(), uuid.uuid4(), uuid.uuid4()

    await deliver(s, upserted("Oud", "149.00", was="199.00"), product_id, 1, ws)

    record = (await s.products.get_many(NO_DATABASE, ws, [product_id]))[product_id]
    facts = record.facts()
    assert (facts.name, facts.names, facts.price.amount, facts.compare_at_price.amount) == (
        "Oud", {"ar": "عطر"}, Decimal("149.00"), Decimal("199.00"))
    assert record.image_urls == ("https://cdn.example/1.jpg", "https://cdn.example/2.jpg")


async def test_an_older_event_arriving_late_changes_nothing():
    s, ws, product_id = studio(), uuid.uuid4(), uuid.uuid4()

    await deliver(s, upserted("Oud v2", "149.00"), product_id, 2, ws)
    await deliver(s, upserted("Oud v1", "99.00"), product_id, 1, ws)

    assert (await s.products.get_many(NO_DATABASE, ws, [product_id]))[product_id].name == "Oud v2"


async def test_a_removed_product_is_no_longer_offered_to_jobs():
    s, ws, product_id = studio(), uuid.uuid4(), uuid.uuid4()
    await deliver(s, upserted("Oud", "149.00"), product_id, 1, ws)

    await deliver(s, ProductRemoved(store_id=uuid.uuid4(), platform="zid", external_id="42"), product_id, 2, ws)

    assert await s.products.missing(NO_DATABASE, ws, [product_id]) == [product_id]


async def test_a_product_of_no_workspace_is_passed_over():
    s = studio()

    await deliver(s, upserted("Oud", "149.00"), uuid.uuid4(), 1, None)

    assert s.products.rows == {}
