"""Subscriptions of the campaigns service, each under its own consumer group: creative's
answers move campaigns on (the creation saga); the catalog's product events feed the
products read model briefs and ads read from; analytics' rule firings are carried out.

Each handler runs in the consumer's transaction (`delivery.tx`), which also records the
event in the inbox: a redelivered event has no second effect.
"""

from __future__ import annotations

from adly_campaigns.adapters.container import Adapters
from adly_campaigns.handlers import catalog, creatives, rules
from adly_events.contracts.analytics import RuleFired
from adly_events.contracts.catalog import ProductRemoved, ProductUpserted
from adly_events.contracts.creative import CreativeGenerated, CreativeGenerationFailed
from adly_kit.service import Delivery, Subscription

creative_answers = Subscription("creative_answers")
products = Subscription("products")
rule_firings = Subscription("rule_firings")


@creative_answers.on(CreativeGenerated)
async def creatives_generated(event: CreativeGenerated, delivery: Delivery[Adapters]) -> None:
    await creatives.generated(delivery.tx, delivery.adapters, event, delivery.envelope)


@creative_answers.on(CreativeGenerationFailed)
async def creatives_failed(event: CreativeGenerationFailed, delivery: Delivery[Adapters]) -> None:
    await creatives.failed(delivery.tx, delivery.adapters, event, delivery.envelope)


@products.on(ProductUpserted)
async def keep_product(event: ProductUpserted, delivery: Delivery[Adapters]) -> None:
    await catalog.product_upserted(delivery.tx, delivery.adapters, event, delivery.envelope)


@products.on(ProductRemoved)
async def drop_product(event: ProductRemoved, delivery: Delivery[Adapters]) -> None:
    await catalog.product_removed(delivery.tx, delivery.adapters, event, delivery.envelope)


@rule_firings.on(RuleFired)
async def carry_out_rule(event: RuleFired, delivery: Delivery[Adapters]) -> None:
    """Analytics' automated rules: a pause or a budget change as `rule:<id>`, or an approval request."""
    await rules.rule_fired(delivery.tx, delivery.adapters, event, delivery.envelope)


subscriptions = [creative_answers, products, rule_firings]
