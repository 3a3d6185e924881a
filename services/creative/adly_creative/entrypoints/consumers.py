"""Subscriptions of the creative service, each under its own consumer group:
campaigns' CreativesRequested start jobs; the catalog's products feed the products read model."""

from __future__ import annotations

from collections.abc import Callable

from adly_creative.adapters.container import Adapters
from adly_creative.handlers.catalog import on_product_event
from adly_creative.handlers.jobs import on_campaign_event
from adly_kit.service import Subscription


def subscriptions(adapters: Callable[[], Adapters]) -> list[Subscription]:
    """`adapters()` gives the process's adapters when an event arrives (see bootstrap.Wiring)."""

    async def creatives_requested(tx, envelope, payload) -> None:
        await on_campaign_event(tx, adapters(), envelope, payload)

    async def products(tx, envelope, payload) -> None:
        await on_product_event(tx, adapters(), envelope, payload)

    return [
        Subscription("creatives_requested", ["adly.campaigns.campaign"], creatives_requested),
        Subscription("products", ["adly.catalog.product"], products),
    ]
