"""Last-click attribution of store orders to ADLY's ads, and the adjustments refunds and cancellations
make afterwards (docs/analytics-attribution.md, rule by rule). Pure: the same inputs give the same
outputs; what the workspace's campaigns are comes in as a `Campaigns` value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from uuid import UUID

from adly_analytics.domain.touches import Signal, Touch, read_touches
from adly_events.contracts.catalog import CatalogOrder, OrderAttribution, OrderStatus
from adly_events.contracts.common import AdPlatform, Money

DEFAULT_WINDOW = timedelta(days=7)
NOT_SOLD = frozenset({OrderStatus.CANCELLED, OrderStatus.REFUNDED, OrderStatus.FAILED})


class Level(StrEnum):
    AD = "ad"
    CAMPAIGN = "campaign"
    PLATFORM = "platform"
    NONE = "none"


class Reason(StrEnum):
    REFUND = "refund"
    CANCELLATION = "cancellation"
    CHANGE = "change"          # an edit of the order's total, or a cancelled order restored
    MOVED = "moved"            # the order's signals changed and another touch now wins


@dataclass(frozen=True)
class Publication:
    """A campaign live on one platform (CampaignPublished), and the days it delivered (performance
    with impressions, in the ad account's days)."""

    campaign_id: UUID
    platform: AdPlatform
    ad_sets: Mapping[UUID, str] = field(default_factory=dict)   # ADLY ad id -> the platform's ad set id
    delivering: frozenset[date] = frozenset()


@dataclass(frozen=True)
class Campaigns:
    """What analytics knows of one workspace's campaigns: every id it owns (drafted or later) and
    where each is published. Ids of another workspace's campaign credit nothing."""

    owned: frozenset[UUID] = frozenset()
    published: tuple[Publication, ...] = ()

    def owns(self, campaign_id: UUID) -> bool:
        return campaign_id in self.owned or any(p.campaign_id == campaign_id for p in self.published)

    def of(self, campaign_id: UUID) -> list[Publication]:
        return [p for p in self.published if p.campaign_id == campaign_id]


@dataclass(frozen=True)
class Credit:
    """Who an order's revenue is credited to."""

    level: Level
    platform: AdPlatform | None = None
    campaign_id: UUID | None = None
    ad_set_id: str | None = None
    ad_id: UUID | None = None

    @property
    def awaits_campaign(self) -> bool:
        """No campaign is credited (unattributed, or a platform only): later news of the workspace's
        campaigns or of their delivery may still name one."""
        return self.campaign_id is None


UNATTRIBUTED = Credit(Level.NONE)


@dataclass(frozen=True)
class ProductAmount:
    product: str | None          # the store's product id; None for lines without one
    amount: Money


@dataclass(frozen=True)
class Attribution:
    """An order credited: to an ad, a campaign, a platform or nobody (`Level.NONE`), on its day."""

    order_id: UUID
    workspace_id: UUID
    credit: Credit
    touch: Touch | None
    revenue: Money
    orders: int                  # 1, or 0 for an order already cancelled, refunded or failed when seen
    day: date
    products: tuple[ProductAmount, ...] = ()


@dataclass(frozen=True)
class Adjustment:
    """A change to an order's credited revenue, on the day it happened, to the order's same credit."""

    order_id: UUID
    workspace_id: UUID
    credit: Credit
    reason: Reason
    amount: Money                # negative for a refund or a cancellation
    orders: int                  # -1 when the order stops counting as a sale, +1 when it is restored
    day: date
    products: tuple[ProductAmount, ...] = ()


Entry = Attribution | Adjustment


@dataclass(frozen=True)
class OrderSeen:
    """One version of an order as the catalog published it (OrderPlaced, OrderUpdated)."""

    workspace_id: UUID
    order_id: UUID               # the catalog's order aggregate id
    version: int                 # the event's aggregate version
    order: CatalogOrder
    received_at: datetime        # the event's time: when the change happened if the order gives none


@dataclass(frozen=True)
class OrderRecord:
    """What analytics remembers of an order between its versions."""

    workspace_id: UUID
    order_id: UUID
    version: int
    credit: Credit
    touch: Touch | None
    signals: OrderAttribution
    net: Money
    counted: bool

    @property
    def awaiting_delivery(self) -> AdPlatform | None:
        """The platform whose delivery may still name this order's campaign: the order credits that
        platform alone, from a click id (the one campaign delivering there in its window would win)."""
        if self.credit.level is Level.PLATFORM and self.touch is not None and self.touch.signal is Signal.CLICK_ID:
            return self.credit.platform
        return None


@dataclass(frozen=True)
class Recorded:
    record: OrderRecord
    entries: tuple[Entry, ...]


def record_order(previous: OrderRecord | None, seen: OrderSeen, campaigns: Campaigns, *,
                 window: timedelta = DEFAULT_WINDOW, tz: tzinfo = UTC) -> Recorded:
    """The entries one version of an order adds: its attribution when first seen; afterwards the
    difference from what was credited, on the day of the change. An old or repeated version adds none."""
    if previous is not None and seen.version <= previous.version:
        return Recorded(previous, ())
    order = seen.order
    if previous is not None and previous.signals == order.attribution:
        credit, touch = previous.credit, previous.touch
    else:
        credit, touch = decide(order, campaigns, window=window, tz=tz)
    record = OrderRecord(seen.workspace_id, seen.order_id, seen.version, credit, touch, order.attribution,
                         net_revenue(order), order.status not in NOT_SOLD)
    if previous is None:
        return Recorded(record, (_attribution(record, order, order.placed_at.astimezone(tz).date()),))
    return Recorded(record, _moved(previous, record, order, tz) + _changed(previous, record, seen, tz))


def redecide(previous: OrderRecord, order: CatalogOrder, campaigns: Campaigns, *,
             window: timedelta = DEFAULT_WINDOW, tz: tzinfo = UTC) -> Recorded:
    """An order that credits no campaign yet, decided again now that more is known: campaigns,
    publications, performance and orders come on different topics, so an order can be read before
    the campaign its tags name, or before the performance that shows the one campaign delivering on
    the platform its click id names. If a touch now credits a campaign, the sale moves there (from
    unattributed, or from the platform alone) on the order's own day (`order` is the order's
    latest version). A campaign once credited is never taken back by news of another, so only
    orders that credit none are looked at, and each moves at most once."""
    if not previous.credit.awaits_campaign:
        return Recorded(previous, ())
    credit, touch = decide(order, campaigns, window=window, tz=tz)
    if credit.awaits_campaign:
        return Recorded(previous, ())
    record = replace(previous, credit=credit, touch=touch)
    return Recorded(record, _moved(previous, record, order, tz))


def decide(order: CatalogOrder, campaigns: Campaigns, *, window: timedelta = DEFAULT_WINDOW,
           tz: tzinfo = UTC) -> tuple[Credit, Touch | None]:
    """Last click: of the touches within `window` before the order, the latest wins; at the same
    time the stronger signal, then the one read first. No qualifying touch: unattributed."""
    start = order.placed_at - window
    days = _days(start, order.placed_at, tz)
    credited = [(touch, credit) for touch in read_touches(order.attribution, order.placed_at)
                if start <= touch.at <= order.placed_at
                for credit in [credit_of(touch, campaigns, days)] if credit is not None]
    if not credited:
        return UNATTRIBUTED, None
    touch, credit = max(credited, key=lambda pair: (pair[0].at, pair[0].signal.strength, -pair[0].position))
    return credit, touch


def credit_of(touch: Touch, campaigns: Campaigns, window_days: frozenset[date]) -> Credit | None:
    """What a touch credits, or None when it names a campaign the workspace does not own."""
    if touch.campaign_id is not None:
        return _tagged(touch, touch.campaign_id, campaigns) if campaigns.owns(touch.campaign_id) else None
    if touch.platform is None:
        return None
    if touch.signal is Signal.CLICK_ID:
        live = {p.campaign_id for p in campaigns.published
                if p.platform == touch.platform and p.delivering & window_days}
        if len(live) == 1:
            return Credit(Level.CAMPAIGN, touch.platform, live.pop())
    return Credit(Level.PLATFORM, touch.platform)


def _tagged(touch: Touch, campaign_id: UUID, campaigns: Campaigns) -> Credit:
    """An ADLY campaign (and ad) named by ids: the ad's publication says its platform and ad set; an
    ad id the campaign's published ads do not hold credits the campaign alone."""
    publications, ad = campaigns.of(campaign_id), touch.ad_id
    holding = next((p for p in publications if ad is not None and ad in p.ad_sets), None)
    if holding is not None and ad is not None:
        return Credit(Level.AD, holding.platform, campaign_id, holding.ad_sets[ad], ad)
    platform = touch.platform or (publications[0].platform if len(publications) == 1 else None)
    if ad is not None and not any(p.ad_sets for p in publications):
        return Credit(Level.AD, platform, campaign_id, None, ad)
    return Credit(Level.CAMPAIGN, platform, campaign_id)


def net_revenue(order: CatalogOrder) -> Money:
    """What the order is worth now: its total (stores report it after refunds), nothing once it is
    cancelled, fully refunded or its payment failed."""
    return Money(amount=Decimal(0), currency=order.total.currency) if order.status in NOT_SOLD else order.total


def split(amount: Money, order: CatalogOrder) -> tuple[ProductAmount, ...]:
    """An amount spread over the order's products in proportion to their line totals; rounded to the
    amount's decimals, the remainder on the largest line so the parts add up exactly."""
    weights: dict[str | None, Decimal] = {}
    for line in order.lines:
        weights[line.product_external_id] = weights.get(line.product_external_id, Decimal(0)) + line.total.amount
    whole = sum(weights.values(), Decimal(0))
    if not weights or whole <= 0:
        return ()
    exponent = amount.amount.as_tuple().exponent
    unit = Decimal(1).scaleb(min(exponent, -2) if isinstance(exponent, int) else -2)
    parts = {p: (amount.amount * w / whole).quantize(unit, rounding=ROUND_HALF_EVEN) for p, w in weights.items()}
    largest = max(weights, key=lambda p: (weights[p], p or ""))
    parts[largest] += amount.amount - sum(parts.values(), Decimal(0))
    return tuple(ProductAmount(p, Money(amount=a, currency=amount.currency)) for p, a in parts.items())


def _attribution(record: OrderRecord, order: CatalogOrder, day: date, net: Money | None = None,
                 counted: bool | None = None) -> Attribution:
    revenue = record.net if net is None else net
    counts = record.counted if counted is None else counted
    return Attribution(record.order_id, record.workspace_id, record.credit, record.touch, revenue,
                       int(counts), day, split(revenue, order))


def _moved(previous: OrderRecord, record: OrderRecord, order: CatalogOrder, tz: tzinfo) -> tuple[Entry, ...]:
    """Signals that changed (a journey Shopify finished attributing) can change the winner: the sale as
    it stood moves from the old credit to the new one, on the order's own day."""
    if record.credit == previous.credit:
        return ()
    day = order.placed_at.astimezone(tz).date()
    gone = Adjustment(previous.order_id, previous.workspace_id, previous.credit, Reason.MOVED,
                      _negated(previous.net), -int(previous.counted), day, split(_negated(previous.net), order))
    return gone, _attribution(record, order, day, previous.net, previous.counted)


def _changed(previous: OrderRecord, record: OrderRecord, seen: OrderSeen, tz: tzinfo) -> tuple[Entry, ...]:
    order = seen.order
    day = (order.updated_at or seen.received_at).astimezone(tz).date()
    reason = _reason(order.status)
    if record.net.currency != previous.net.currency:
        return (_adjustment(record, reason, _negated(previous.net), -int(previous.counted), day, order),
                _adjustment(record, reason, record.net, int(record.counted), day, order))
    amount = Money(amount=record.net.amount - previous.net.amount, currency=record.net.currency)
    orders = int(record.counted) - int(previous.counted)
    if amount.amount == 0 and orders == 0:
        return ()
    return (_adjustment(record, reason, amount, orders, day, order),)


def _adjustment(record: OrderRecord, reason: Reason, amount: Money, orders: int, day: date,
                order: CatalogOrder) -> Adjustment:
    return Adjustment(record.order_id, record.workspace_id, record.credit, reason, amount, orders, day,
                      split(amount, order))


def _reason(status: OrderStatus) -> Reason:
    if status in (OrderStatus.CANCELLED, OrderStatus.FAILED):
        return Reason.CANCELLATION
    if status in (OrderStatus.REFUNDED, OrderStatus.PARTIALLY_REFUNDED):
        return Reason.REFUND
    return Reason.CHANGE


def _negated(money: Money) -> Money:
    return Money(amount=-money.amount, currency=money.currency)


def _days(start: datetime, end: datetime, tz: tzinfo) -> frozenset[date]:
    first, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    return frozenset(first + timedelta(days=n) for n in range((last - first).days + 1))
