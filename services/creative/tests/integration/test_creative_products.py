"""The products read model (fed by the catalog's events) and the jobs read model's rebuild."""

import uuid
from decimal import Decimal

from adly_creative.handlers import catalog
from adly_creative.projections.jobs import JobProjection
from adly_events import CATALOG
from adly_events.contracts.catalog import CatalogProduct, ProductRemoved, ProductStatus, ProductUpserted, ProductVariant
from adly_events.contracts.common import Money
from adly_kit.projections import ProjectionRunner


def upserted(name: str, price: str, was: str | None = None) -> ProductUpserted:
    variants = [ProductVariant(external_id="v1", price=Money(amount=Decimal(price), currency="SAR"),
                               compare_at_price=Money(amount=Decimal(was), currency="SAR") if was else None),
                ProductVariant(external_id="v2", price=Money(amount=Decimal("249.00"), currency="SAR"))]
    product = CatalogProduct(external_id="42", name=name, status=ProductStatus.ACTIVE, variants=variants)
    return ProductUpserted(store_id=uuid.uuid4(), platform="zid", product=product)


async def apply(creative, payload, product_id, version, ws):
    envelope = CATALOG.envelope(payload, aggregate_id=product_id, aggregate_version=version, workspace_id=ws)
    handle = catalog.product_upserted if isinstance(payload, ProductUpserted) else catalog.product_removed
    async with creative.runtime.engine.begin() as tx:
        await handle(tx, creative.adapters, payload, envelope)


async def products(creative, ws, product_id):
    async with creative.runtime.engine.connect() as conn:
        return await creative.adapters.products.get_many(conn, ws, [product_id])


async def test_a_product_keeps_its_newest_state_whatever_order_its_events_arrive_in(creative):
    ws, product_id = uuid.uuid4(), uuid.uuid4()
    await apply(creative, upserted("Oud v2", "149.00", was="199.00"), product_id, 2, ws)
    await apply(creative, upserted("Oud v1", "99.00"), product_id, 1, ws)  # late and old: ignored
    record = (await products(creative, ws, product_id))[product_id]
    assert record.name == "Oud v2"
    facts = record.facts()
    assert facts.price.amount == Decimal("149.00") and facts.compare_at_price.amount == Decimal("199.00")
    assert {p.amount for pair in record.prices for p in pair if p} == {Decimal("149.00"), Decimal("199.00"),
                                                                      Decimal("249.00")}


async def test_a_removed_product_is_no_longer_offered_to_jobs(creative):
    ws, product_id = uuid.uuid4(), uuid.uuid4()
    await apply(creative, upserted("Oud", "149.00"), product_id, 1, ws)
    await apply(creative, ProductRemoved(store_id=uuid.uuid4(), platform="zid", external_id="42"), product_id, 2, ws)
    assert await products(creative, ws, product_id) == {}
    started = await creative.start_job(ws, [product_id])
    assert started.status_code == 422


async def test_the_jobs_read_model_rebuilt_from_the_events_equals_the_live_one(creative):
    ws = uuid.uuid4()
    product = await creative.product(ws)
    started = await creative.start_job(ws, [product], modalities={"copy": True, "images": ["1:1"]})
    await creative.finished(ws, started.json()["id"])
    columns = "id, status, steps, steps_done, providers, cost_usd, copies, assets, notes, failure_reason"
    live = await creative.rows(f"SELECT {columns} FROM {{s}}.jobs ORDER BY id")
    runner = ProjectionRunner(creative.runtime.engine, creative.runtime.store, JobProjection(creative.schema))
    assert await runner.rebuild() >= 5
    assert await creative.rows(f"SELECT {columns} FROM {{s}}.jobs ORDER BY id") == live
