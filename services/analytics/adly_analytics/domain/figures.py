"""The figures a merchant reads: platform performance beside ADLY's attributed orders, per workspace,
platform, campaign, ad set, ad, product and day, and rolled up to any period (docs/analytics-attribution.md,
"Figures"). Measures that add up are summed; ratios are always recomputed from the sums, never averaged.
Money keeps its currency: amounts in different currencies stay apart unless a `Rates` value converts them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from adly_analytics.domain.attribution import Attribution, Credit, Entry, ProductAmount
from adly_events.contracts.campaigns import PerformanceLevel, PerformanceReported
from adly_events.contracts.common import AdPlatform, Money
from adly_kit.errors import InvalidInput

DIMENSIONS = ("workspace_id", "platform", "campaign_id", "ad_set_id", "ad_id", "product", "day")
Series = tuple[UUID, AdPlatform, PerformanceLevel, str, date, int | None]


@dataclass(frozen=True)
class Amounts:
    """Money in one or more currencies, each summed on its own: `{"SAR": 120.50, "USD": 10}`."""

    by_currency: tuple[tuple[str, Decimal], ...] = ()

    @classmethod
    def of(cls, *moneys: Money) -> Amounts:
        if len(moneys) == 1:   # the common case (a row's spend), without a merge: ingest makes millions
            return cls(((moneys[0].currency, Decimal(0) + moneys[0].amount),))
        return sum((cls(((m.currency, m.amount),)) for m in moneys), cls())

    def __add__(self, other: Amounts) -> Amounts:
        merged = dict(self.by_currency)
        for currency, amount in other.by_currency:
            merged[currency] = merged.get(currency, Decimal(0)) + amount
        return Amounts(tuple(sorted(merged.items())))

    def __neg__(self) -> Amounts:
        return Amounts(tuple((c, -a) for c, a in self.by_currency))

    def nonzero(self) -> Amounts:
        """Without the currencies that came to nothing (an order in USD, fully refunded)."""
        return Amounts(tuple((c, a) for c, a in self.by_currency if a != 0))

    def single(self) -> Money | None:
        """The one amount when there is one currency; None when there are none or several."""
        if len(self.by_currency) != 1:
            return None
        currency, amount = self.by_currency[0]
        return Money(amount=amount, currency=currency)

    def converted(self, rates: Rates | None, day: date | None) -> Amounts:
        if rates is None or day is None:
            return self
        return sum((rates.convert(currency, amount, day) for currency, amount in self.by_currency), Amounts())


@dataclass(frozen=True)
class Rates:
    """The workspace's own exchange rates into its reporting currency `to`, per day:
    `per_unit[(day, "USD")] = 3.75` means one USD was 3.75 of `to` that day."""

    to: str
    per_unit: Mapping[tuple[date, str], Decimal] = field(default_factory=dict)

    def convert(self, currency: str, amount: Decimal, day: date) -> Amounts:
        """In `to` when that day has a rate; else unchanged, in its own currency."""
        if currency == self.to:
            return Amounts(((currency, amount),))
        rate = self.per_unit.get((day, currency))
        return Amounts(((currency, amount),)) if rate is None else Amounts(((self.to, amount * rate),))


@dataclass(frozen=True)
class Totals:
    """The additive measures. `reach` is not additive (the same people see two ads, or come back the
    next day): it is kept only while one performance row stands behind the totals."""

    impressions: int = 0
    clicks: int = 0
    spend: Amounts = Amounts()
    conversions: Decimal = Decimal(0)          # the platform's own, never ADLY's
    conversion_value: Amounts = Amounts()      # likewise
    orders: int = 0                            # ADLY-attributed orders
    revenue: Amounts = Amounts()               # ADLY-attributed revenue, after refunds
    reach: int | None = None
    reach_rows: int = 0

    def __add__(self, other: Totals) -> Totals:
        reach = self.reach if other.reach_rows == 0 else other.reach if self.reach_rows == 0 else None
        return Totals(self.impressions + other.impressions, self.clicks + other.clicks, self.spend + other.spend,
                      self.conversions + other.conversions, self.conversion_value + other.conversion_value,
                      self.orders + other.orders, self.revenue + other.revenue, reach,
                      self.reach_rows + other.reach_rows)

    def __neg__(self) -> Totals:
        return Totals(-self.impressions, -self.clicks, -self.spend, -self.conversions, -self.conversion_value,
                      -self.orders, -self.revenue)

    def converted(self, rates: Rates | None, day: date | None) -> Totals:
        return replace(self, spend=self.spend.converted(rates, day),
                       conversion_value=self.conversion_value.converted(rates, day),
                       revenue=self.revenue.converted(rates, day))


@dataclass(frozen=True)
class Key:
    """One cell: any dimension left None is summed over (in a rollup, `day` None is the whole period)."""

    workspace_id: UUID
    platform: AdPlatform | None = None
    campaign_id: UUID | None = None
    ad_set_id: str | None = None
    ad_id: UUID | None = None
    product: str | None = None
    day: date | None = None

    def kept(self, by: Collection[str]) -> Key:
        unknown = set(by) - set(DIMENSIONS)
        if unknown:
            raise InvalidInput(f"Figures are not broken down by {', '.join(sorted(unknown))}.", field="by")
        return Key(self.workspace_id, **{d: getattr(self, d) for d in DIMENSIONS[1:] if d in by})


@dataclass(frozen=True)
class PerformanceRow:
    """One platform's figures for one object on one day, at one revision (PerformanceReported)."""

    workspace_id: UUID
    campaign_id: UUID
    platform: AdPlatform
    level: PerformanceLevel
    object_id: str                # the platform's id of the campaign, ad set or ad
    day: date
    revision: int
    impressions: int
    clicks: int
    spend: Money
    conversions: Decimal
    conversion_value: Money
    reach: int | None = None
    ad_set_id: str | None = None  # the platform's ad set id (the object itself at level ad_set)
    ad_id: UUID | None = None
    product: str | None = None    # the product the ad promotes, when the read model knows it
    hour: int | None = None       # today's hourly figures; days are made of daily rows only

    @classmethod
    def of(cls, workspace_id: UUID, event: PerformanceReported, *, ad_set_id: str | None = None,
           product: str | None = None) -> PerformanceRow:
        ad_set = event.platform_object_id if event.level == PerformanceLevel.AD_SET else ad_set_id
        return cls(workspace_id, event.campaign_id, event.platform, event.level, event.platform_object_id,
                   event.day, event.revision, event.impressions, event.clicks, event.spend, event.conversions,
                   event.conversion_value, event.reach, ad_set, event.ad_id, product, event.hour)

    @property
    def series(self) -> Series:
        return (self.campaign_id, self.platform, self.level, self.object_id, self.day, self.hour)

    def key(self) -> Key:
        return Key(self.workspace_id, self.platform, self.campaign_id, self.ad_set_id, self.ad_id, self.product,
                   self.day)

    def totals(self) -> Totals:
        return Totals(self.impressions, self.clicks, Amounts.of(self.spend), self.conversions,
                      Amounts.of(self.conversion_value), reach=self.reach, reach_rows=1)


@dataclass(frozen=True)
class Figures:
    """Totals with the ratios recomputed from them; a ratio over zero (or over several currencies
    without a rate) is None."""

    totals: Totals

    @property
    def spend(self) -> Money | None:
        return self.totals.spend.single()

    @property
    def revenue(self) -> Money | None:
        return _or_zero(self.totals.revenue, self.totals.spend)

    @property
    def conversion_value(self) -> Money | None:
        return _or_zero(self.totals.conversion_value, self.totals.spend)

    @property
    def ctr(self) -> Decimal | None:
        return _ratio(Decimal(self.totals.clicks), Decimal(self.totals.impressions))

    @property
    def cpc(self) -> Money | None:
        return _per(self.spend, Decimal(self.totals.clicks))

    @property
    def cpm(self) -> Money | None:
        return _per(self.spend, Decimal(self.totals.impressions) / 1000)

    @property
    def cpa(self) -> Money | None:
        """Spend per ADLY-attributed order."""
        return _per(self.spend, Decimal(self.totals.orders))

    @property
    def platform_roas(self) -> Decimal | None:
        return _roas(self.totals.conversion_value, self.spend)

    @property
    def roas(self) -> Decimal | None:
        """ADLY-attributed revenue over spend."""
        return _roas(self.totals.revenue, self.spend)

    def values(self) -> dict[str, Decimal | Money | None]:
        t = self.totals
        return {"spend": self.spend, "impressions": Decimal(t.impressions), "clicks": Decimal(t.clicks),
                "ctr": self.ctr, "cpc": self.cpc, "cpm": self.cpm, "conversions": t.conversions,
                "conversion_value": self.conversion_value, "platform_roas": self.platform_roas,
                "orders": Decimal(t.orders), "revenue": self.revenue, "roas": self.roas, "cpa": self.cpa}


@dataclass(frozen=True)
class Change:
    current: Decimal | Money | None
    previous: Decimal | Money | None
    change: Decimal | None
    percent: Decimal | None       # None when the previous value is 0 or unknown


# -- performance rows: restatements --------------------------------------------------------------

def merge(rows: Mapping[Series, PerformanceRow], incoming: Iterable[PerformanceRow]) -> dict[Series, PerformanceRow]:
    """The rows after `incoming`: a higher revision of a series replaces it; the same or a lower one
    (a replayed or duplicated event) changes nothing."""
    merged = dict(rows)
    for row in incoming:
        if row.series not in merged or row.revision > merged[row.series].revision:
            merged[row.series] = row
    return merged


def restatement(previous: PerformanceRow | None, incoming: PerformanceRow) -> Totals | None:
    """What a rollup adds when `incoming` arrives: its totals less the revision it replaces; None when
    it replaces nothing newer (the rollup stays as it is). Reach is not in it: a read model keeps reach
    on the series' own row, which the new revision overwrites."""
    if previous is not None and incoming.revision <= previous.revision:
        return None
    delta = incoming.totals() if previous is None else incoming.totals() + -previous.totals()
    return replace(delta, reach=None, reach_rows=0)


# -- facts: day cells ----------------------------------------------------------------------------

def facts(rows: Iterable[PerformanceRow], entries: Iterable[Entry], *,
          level: PerformanceLevel = PerformanceLevel.AD, by_product: bool = False) -> dict[Key, Totals]:
    """Day cells from the latest daily rows of one level (rows of two levels would count spend twice;
    hourly rows are today's, and their day's daily row counts instead) and the attribution entries. `by_product`: orders and revenue per product, where an order of two
    products counts once for each; those cells are never summed across products."""
    cells: dict[Key, Totals] = {}
    for key, totals in [*_performance(rows, level, by_product), *_attributed(entries, by_product)]:
        cells[key] = cells.get(key, Totals()) + totals
    return cells


def _performance(rows: Iterable[PerformanceRow], level: PerformanceLevel,
                 by_product: bool) -> Iterable[tuple[Key, Totals]]:
    latest = merge({}, (row for row in rows if row.level == level and row.hour is None))
    for row in latest.values():
        key = row.key()
        yield (key if by_product else replace(key, product=None)), row.totals()


def _attributed(entries: Iterable[Entry], by_product: bool) -> Iterable[tuple[Key, Totals]]:
    for entry in entries:
        money = entry.revenue if isinstance(entry, Attribution) else entry.amount
        base = _credit_key(entry.workspace_id, entry.credit, entry.day)
        if not by_product:
            yield base, Totals(orders=entry.orders, revenue=Amounts.of(money))
            continue
        for part in entry.products or (ProductAmount(None, money),):
            yield replace(base, product=part.product), Totals(orders=entry.orders, revenue=Amounts.of(part.amount))


def _credit_key(workspace_id: UUID, credit: Credit, day: date) -> Key:
    return Key(workspace_id, credit.platform, credit.campaign_id, credit.ad_set_id, credit.ad_id, None, day)


# -- rollups and comparisons ---------------------------------------------------------------------

def rollup(cells: Mapping[Key, Totals], *, by: Collection[str], start: date, end: date,
           rates: Rates | None = None) -> dict[Key, Figures]:
    """The cells from `start` to `end` (both included) grouped by the dimensions `by`: measures summed
    (each day's money converted at that day's rate first, when `rates` has one), ratios recomputed."""
    grouped: dict[Key, Totals] = {}
    for key, totals in sorted(cells.items(), key=lambda item: _order(item[0])):
        if key.day is not None and start <= key.day <= end:
            group = key.kept(by)
            grouped[group] = grouped.get(group, Totals()) + totals.converted(rates, key.day)
    return {key: Figures(totals) for key, totals in grouped.items()}


def total(cells: Mapping[Key, Totals], *, start: date, end: date, rates: Rates | None = None) -> Figures:
    """One workspace's whole period (the cells are the workspace's)."""
    found = rollup(cells, by=(), start=start, end=end, rates=rates)
    return next(iter(found.values()), Figures(Totals()))


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length just before: 1-30 June gives 2-31 May."""
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


def compare(current: Figures, previous: Figures) -> dict[str, Change]:
    """Each figure beside the previous period's: the change, and the percent change (None when the
    previous figure is 0, unknown, or in another currency)."""
    before = previous.values()
    return {name: _change(value, before[name]) for name, value in current.values().items()}


def _change(now: Decimal | Money | None, then: Decimal | Money | None) -> Change:
    a, b = _amount(now), _amount(then)
    comparable = a is not None and b is not None and _currency(now) == _currency(then)
    if not comparable or a is None or b is None:
        return Change(now, then, None, None)
    return Change(now, then, a - b, None if b == 0 else (a - b) * 100 / b)


def _amount(value: Decimal | Money | None) -> Decimal | None:
    return value.amount if isinstance(value, Money) else value


def _currency(value: Decimal | Money | None) -> str | None:
    return value.currency if isinstance(value, Money) else None


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    return None if denominator == 0 else numerator / denominator


def _per(money: Money | None, count: Decimal) -> Money | None:
    if money is None or count == 0:
        return None
    return Money(amount=money.amount / count, currency=money.currency)


def _roas(value: Amounts, spend: Money | None) -> Decimal | None:
    if spend is None or spend.amount == 0:
        return None
    single = value.nonzero().single()
    if single is None:
        return Decimal(0) if not value.nonzero().by_currency else None
    return single.amount / spend.amount if single.currency == spend.currency else None


def _or_zero(value: Amounts, spend: Amounts) -> Money | None:
    """A single-currency amount; currencies that came to nothing are left out, and nothing at all is
    zero in the spend's currency."""
    if value.nonzero().by_currency:
        return value.nonzero().single()
    currency = spend.single() or value.single()
    return Money(amount=Decimal(0), currency=currency.currency) if currency is not None else None


def _order(key: Key) -> tuple[str, ...]:
    return tuple("" if getattr(key, f.name) is None else str(getattr(key, f.name)) for f in fields(key))
