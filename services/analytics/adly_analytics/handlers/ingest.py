"""Events in, facts and cells out: campaigns' ids and publications, platform performance (a higher
revision of a series replaces it), and store orders attributed by the domain. Each use case writes
its facts and the cells' deltas through its ports in the consumer's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_analytics.adapters.container import Adapters
from adly_analytics.domain.attribution import (
    DEFAULT_WINDOW,
    Entry,
    OrderRecord,
    OrderSeen,
    record_order,
    redecide,
)
from adly_analytics.domain.figures import Amounts, Key, PerformanceRow, Totals, facts, merge, restatement
from adly_analytics.handlers.ports import CellDelta
from adly_events import EventEnvelope
from adly_events.contracts.analytics import FiguresUpdated
from adly_events.contracts.campaigns import CampaignPublished, PerformanceLevel, PerformanceReported
from adly_events.contracts.catalog import CatalogOrder
from adly_events.contracts.common import AdPlatform


async def campaign_owned(tx: AsyncConnection, a: Adapters, workspace_id: UUID, campaign_id: UUID, *,
                         caused_by: EventEnvelope | None = None) -> None:
    awaiting = await orders_awaiting_news(tx, a, workspace_id, caused_by)
    await a.directory.drafted(tx, workspace_id, campaign_id)
    await redecide_orders(tx, a, workspace_id, awaiting, caused_by)


async def campaign_published(tx: AsyncConnection, a: Adapters, workspace_id: UUID, campaign_id: UUID,
                             event: CampaignPublished, *, caused_by: EventEnvelope | None = None) -> None:
    awaiting = await orders_awaiting_news(tx, a, workspace_id, caused_by)
    await a.directory.drafted(tx, workspace_id, campaign_id)
    ad_sets = {ad.ad_id: ad.platform_ad_set_id for ad in event.ads}
    await a.directory.published(tx, workspace_id, campaign_id, event.platform, ad_sets)
    await _place_in_ad_sets(tx, a, campaign_id, event.platform, ad_sets)
    await redecide_orders(tx, a, workspace_id, awaiting, caused_by)


async def orders_awaiting_news(tx: AsyncConnection, a: Adapters, workspace_id: UUID, caused_by: EventEnvelope | None, *,
                               window: timedelta = DEFAULT_WINDOW) -> list[tuple[OrderRecord, CatalogOrder]]:
    """The orders a piece of news may credit: those crediting no campaign yet, placed within the
    click window before the news, or after it. Locked first, before the news' transaction touches
    any cell: an order's own transaction locks its row and then its cells, and taking the two in
    the other order could deadlock with it."""
    since = (caused_by.occurred_at if caused_by is not None else datetime.now(UTC)) - window
    return await a.orders.awaiting_credit(tx, workspace_id, since)


async def orders_awaiting_delivery(tx: AsyncConnection, a: Adapters, rows: Sequence[PerformanceRow], *,
                                   window: timedelta = DEFAULT_WINDOW) -> dict[UUID, list[tuple[OrderRecord, CatalogOrder]]]:
    """The orders performance rows may credit: a day with impressions says which campaign was
    delivering on its platform, which names the campaign of an order whose one signal was that
    platform's click id. Those placed from the first such day to a click window after the last
    (a day more each side, whatever the workspace's zone), locked first, as news' orders are."""
    spans: dict[UUID, tuple[set[AdPlatform], date, date]] = {}
    for row in rows:
        if row.impressions > 0:
            platforms, first, last = spans.get(row.workspace_id, (set(), row.day, row.day))
            spans[row.workspace_id] = (platforms | {row.platform}, min(first, row.day), max(last, row.day))
    awaiting = {}
    for workspace_id, (platforms, first, last) in sorted(spans.items()):
        placed_from = datetime.combine(first - timedelta(days=1), time.min, UTC)
        placed_until = datetime.combine(last + window + timedelta(days=2), time.min, UTC)
        awaiting[workspace_id] = await a.orders.awaiting_delivery(tx, workspace_id, sorted(platforms), placed_from,
                                                                  placed_until)
    return awaiting


async def redecide_orders(tx: AsyncConnection, a: Adapters, workspace_id: UUID,
                          awaiting: Sequence[tuple[OrderRecord, CatalogOrder]], caused_by: EventEnvelope | None, *,
                          window: timedelta = DEFAULT_WINDOW) -> tuple[Entry, ...]:
    """Orders read before the news that names their campaign (another topic) are decided again once
    it is recorded: those that now credit a campaign move their sale there."""
    if not awaiting:
        return ()
    tz = ZoneInfo(await a.directory.time_zone(tx, workspace_id))
    earliest = min(order.placed_at for _, order in awaiting)
    campaigns = await a.directory.campaigns(tx, workspace_id, (earliest - window).astimezone(tz).date() - timedelta(days=1))
    moved: list[Entry] = []
    for previous, order in awaiting:
        recorded = redecide(previous, order, campaigns, window=window, tz=tz)
        if recorded.entries:
            await a.orders.redecided(tx, recorded.record, recorded.entries, entry_deltas(recorded.entries))
            moved += recorded.entries
    await announce(tx, a, "order", [(e.workspace_id, e.day, e.credit.campaign_id, e.credit.platform) for e in moved],
                   caused_by)
    return tuple(moved)


async def _place_in_ad_sets(tx: AsyncConnection, a: Adapters, campaign_id: UUID, platform: AdPlatform,
                            ad_sets: Mapping[UUID, str]) -> None:
    """Performance consumed before the publication (the two come on different topics) gets its ads'
    ad sets now, and its figures move to those ad sets' cells."""
    waiting = [row for row in await a.performance.without_ad_set(tx, campaign_id, platform)
               if row.ad_id in ad_sets]
    placed = [replace(row, ad_set_id=ad_sets[row.ad_id]) for row in waiting if row.ad_id is not None]
    if placed:
        deltas = [d for old, new in zip(waiting, placed, strict=True) for d in _replacing(old, new)]
        await a.performance.assign_ad_sets(tx, placed, deltas)
        await announce(tx, a, "performance", [(r.workspace_id, r.day, r.campaign_id, r.platform) for r in placed])


async def ad_account_connected(tx: AsyncConnection, a: Adapters, workspace_id: UUID, time_zone: str) -> None:
    await a.directory.first_time_zone(tx, workspace_id, time_zone)


async def performance_reported(tx: AsyncConnection, a: Adapters,
                               reports: Sequence[tuple[UUID, PerformanceReported]], *,
                               caused_by: EventEnvelope | None = None) -> int:
    """Write the rows that are newer than what is kept, with their cells' deltas; answers how many.
    A replayed or older revision changes nothing."""
    ad_sets = await a.directory.ad_sets(tx, sorted({event.campaign_id for _, event in reports}))
    incoming = merge({}, (_row(workspace_id, event, ad_sets) for workspace_id, event in reports))
    previous = await a.performance.latest(tx, list(incoming))
    changed = [row for series, row in incoming.items() if restatement(previous.get(series), row) is not None]
    if changed:
        awaiting = await orders_awaiting_delivery(tx, a, changed)
        deltas = [d for row in changed for d in _replacing(previous.get(row.series), row)]
        await a.performance.save(tx, changed, deltas)
        await announce(tx, a, "performance", [(r.workspace_id, r.day, r.campaign_id, r.platform) for r in changed],
                       caused_by)
        for workspace_id, orders in awaiting.items():
            await redecide_orders(tx, a, workspace_id, orders, caused_by)
    return len(changed)


async def order_seen(tx: AsyncConnection, a: Adapters, seen: OrderSeen, *, window: timedelta = DEFAULT_WINDOW,
                     caused_by: EventEnvelope | None = None) -> tuple[Entry, ...]:
    """Attribute a new order, or adjust for a newer version of one; an older version adds nothing."""
    previous = await a.orders.record(tx, seen.order_id)
    if previous is not None and seen.version <= previous.version:
        return ()
    tz = ZoneInfo(await a.directory.time_zone(tx, seen.workspace_id))
    since = (seen.order.placed_at - window).astimezone(tz).date() - timedelta(days=1)
    campaigns = await a.directory.campaigns(tx, seen.workspace_id, since)
    recorded = record_order(previous, seen, campaigns, window=window, tz=tz)
    await a.orders.save(tx, recorded.record, seen.order, recorded.entries, entry_deltas(recorded.entries))
    await announce(tx, a, "order", [(e.workspace_id, e.day, e.credit.campaign_id, e.credit.platform)
                                    for e in recorded.entries], caused_by)
    return recorded.entries


async def announce(tx: AsyncConnection, a: Adapters, cause: str,
                   changes: Iterable[tuple[UUID, date, UUID | None, AdPlatform | None]],
                   caused_by: EventEnvelope | None = None) -> None:
    """One `FiguresUpdated` per workspace a batch changed (not per row), in the batch's transaction:
    the outbox publishes it with the figures, and the live socket forwards it to the workspace."""
    touched: dict[UUID, list[tuple[date, UUID | None, AdPlatform | None]]] = {}
    for workspace_id, day, campaign_id, platform in changes:
        touched.setdefault(workspace_id, []).append((day, campaign_id, platform))
    for workspace_id, listed in sorted(touched.items()):
        update = FiguresUpdated(days=sorted({d for d, _, _ in listed}), cause=cause,
                                campaign_ids=sorted({c for _, c, _ in listed if c is not None}),
                                platforms=sorted({p for _, _, p in listed if p is not None}))
        await a.updates.updated(tx, workspace_id, update, causation_id=caused_by.event_id if caused_by else None,
                                correlation_id=caused_by.correlation_id if caused_by else None)


def _row(workspace_id: UUID, event: PerformanceReported, ad_sets: Mapping[UUID, str]) -> PerformanceRow:
    ad_set = ad_sets.get(event.ad_id) if event.ad_id is not None else None
    return PerformanceRow.of(workspace_id, event, ad_set_id=ad_set)


def _replacing(previous: PerformanceRow | None, row: PerformanceRow) -> list[CellDelta]:
    """The new row's cells gain it and the old revision's cells lose it (the same cells, unless the
    ad's ad set became known in between)."""
    gone = [] if previous is None else performance_deltas(previous, sign=-1)
    return gone + performance_deltas(row)


def performance_deltas(row: PerformanceRow, *, sign: int = 1) -> list[CellDelta]:
    """Days are made of daily ad rows (rows of two levels would count spend twice); today's hours of
    hourly campaign rows. Other rows are facts only."""
    totals = Totals(row.impressions, row.clicks, Amounts.of(row.spend), row.conversions,
                    Amounts.of(row.conversion_value), reach_rows=1)
    if sign < 0:
        totals = replace(-totals, reach_rows=-1)
    if row.hour is None and row.level == PerformanceLevel.AD:
        ad = Key(row.workspace_id, row.platform, row.campaign_id, row.ad_set_id, row.ad_id, None, row.day)
        return [CellDelta("ad", ad, totals),
                CellDelta("workspace", Key(row.workspace_id, day=row.day), totals)]
    if row.hour is not None and row.level == PerformanceLevel.CAMPAIGN:
        return [CellDelta("hour", Key(row.workspace_id, row.platform, row.campaign_id, day=row.day), totals, row.hour)]
    return []


def entry_deltas(entries: Iterable[Entry]) -> list[CellDelta]:
    """Attributed orders and revenue into the ad, workspace and product cells of their day."""
    listed = list(entries)
    by_credit = facts((), listed)
    by_product = facts((), listed, by_product=True)
    return [
        *(CellDelta("ad", key, totals) for key, totals in by_credit.items()),
        *(CellDelta("workspace", Key(key.workspace_id, day=key.day), totals) for key, totals in by_credit.items()),
        *(CellDelta("product", Key(key.workspace_id, product=key.product, day=key.day), totals)
          for key, totals in by_product.items()),
    ]
