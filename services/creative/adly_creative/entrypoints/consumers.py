"""Subscriptions of the creative service, each under its own consumer group: campaigns'
CreativesRequested start jobs; the catalog's product events feed the products read model.

Each handler runs in the consumer's transaction (`delivery.tx`), which also records the
event in the inbox: a redelivered event has no second effect.
"""

from __future__ import annotations

from adly_creative.adapters.container import Adapters
from adly_creative.handlers import catalog, jobs
from adly_events.contracts.campaigns import CreativesRequested
from adly_events.contracts.catalog import ProductRemoved, ProductUpserted
from adly_kit.service import Delivery, Subscription

creatives_requested = Subscription("creatives_requested")
products = Subscription("products")


@creatives_requested.on(CreativesRequested)
async def start_job(event: CreativesRequested, delivery: Delivery[Adapters]) -> None:
    await jobs.creatives_requested(delivery.tx, delivery.adapters, event, delivery.envelope)


@products.on(ProductUpserted)
async def keep_product(event: ProductUpserted, delivery: Delivery[Adapters]) -> None:
    await catalog.product_upserted(delivery.tx, delivery.adapters, event, delivery.envelope)


@products.on(ProductRemoved)
async def drop_product(event: ProductRemoved, delivery: Delivery[Adapters]) -> None:
    await catalog.product_removed(delivery.tx, delivery.adapters, event, delivery.envelope)


subscriptions = [creatives_requested, products]
