"""Subscriptions of the analytics service, each under its own consumer group: campaigns' ids and
publications (who owns which campaign, which ad sits in which ad set), the platforms' performance
that campaigns pulls, and the stores' orders from the catalog.

Each handler runs in the consumer's transaction (`delivery.tx`), which also records the event in
the inbox: a redelivered event has no second effect, and a replayed older revision of a series or
version of an order changes nothing either (the handlers compare revisions and versions).
Performance is handled in runs (`Subscription.on_run`): the consecutive `PerformanceReported` of a
consumed batch (up to 200) are written together, the path `bench/analytics.py` measures.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from adly_analytics.adapters.container import Adapters
from adly_analytics.domain.attribution import OrderSeen
from adly_analytics.handlers import ingest, rules
from adly_events.contracts.campaigns import (
    AdAccountConnected,
    CampaignDrafted,
    CampaignPublished,
    PerformanceReported,
)
from adly_events.contracts.catalog import CatalogOrder, OrderPlaced, OrderUpdated
from adly_kit.service import Delivery, Subscription

campaigns = Subscription("campaigns")
performance = Subscription("performance")
orders = Subscription("orders")


@campaigns.on(CampaignDrafted)
async def campaign_drafted(event: CampaignDrafted, delivery: Delivery[Adapters]) -> None:
    await ingest.campaign_owned(delivery.tx, delivery.adapters, _workspace(delivery), delivery.envelope.aggregate_id,
                                caused_by=delivery.envelope)


@campaigns.on(CampaignPublished)
async def campaign_published(event: CampaignPublished, delivery: Delivery[Adapters]) -> None:
    await ingest.campaign_published(delivery.tx, delivery.adapters, _workspace(delivery),
                                    delivery.envelope.aggregate_id, event, caused_by=delivery.envelope)


@campaigns.on(AdAccountConnected)
async def ad_account_connected(event: AdAccountConnected, delivery: Delivery[Adapters]) -> None:
    await ingest.ad_account_connected(delivery.tx, delivery.adapters, _workspace(delivery), event.time_zone)


@performance.on_run(PerformanceReported)
async def performance_reported(run: Sequence[tuple[PerformanceReported, Delivery[Adapters]]]) -> None:
    """A pull's rows arrive as a run of events: each workspace's are written in one go (one COPY of
    facts and one of cell deltas), then its rules are evaluated once, as of its latest event."""
    by_workspace: dict[UUID, list[tuple[PerformanceReported, Delivery[Adapters]]]] = {}
    for event, delivery in run:
        by_workspace.setdefault(_workspace(delivery), []).append((event, delivery))
    for workspace_id, events in by_workspace.items():
        tx, adapters, latest = events[-1][1].tx, events[-1][1].adapters, events[-1][1].envelope
        if await ingest.performance_reported(tx, adapters, [(workspace_id, event) for event, _ in events],
                                             caused_by=latest):
            await rules.performance_updated(tx, adapters, workspace_id, now=latest.occurred_at,
                                            causation_id=latest.event_id, correlation_id=latest.correlation_id)


@orders.on(OrderPlaced)
async def order_placed(event: OrderPlaced, delivery: Delivery[Adapters]) -> None:
    await ingest.order_seen(delivery.tx, delivery.adapters, _seen(event.order, delivery), caused_by=delivery.envelope)


@orders.on(OrderUpdated)
async def order_updated(event: OrderUpdated, delivery: Delivery[Adapters]) -> None:
    await ingest.order_seen(delivery.tx, delivery.adapters, _seen(event.order, delivery), caused_by=delivery.envelope)


def _seen(order: CatalogOrder, delivery: Delivery[Adapters]) -> OrderSeen:
    envelope = delivery.envelope
    return OrderSeen(_workspace(delivery), envelope.aggregate_id, envelope.aggregate_version, order,
                     envelope.occurred_at)


def _workspace(delivery: Delivery[Adapters]) -> UUID:
    workspace_id = delivery.envelope.workspace_id
    if workspace_id is None:
        raise ValueError(f"{delivery.envelope.event_type} {delivery.envelope.event_id} names no workspace")
    return workspace_id


subscriptions = [campaigns, performance, orders]
