"""The analytics API's answers (OpenAPI with examples a frontend can paste). Money is a decimal
string with its currency; ratios are decimal strings (CTR a fraction, ROAS a multiple); figures in
several currencies are listed per currency and their combined figure is null."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from adly_analytics.domain.digest import CampaignLine, Digest
from adly_analytics.domain.figures import Amounts, Change, Figures
from adly_analytics.handlers.reading import Overview, Page, Point
from adly_events.contracts.common import AdPlatform, Money

CENTS, RATIO = Decimal("0.01"), Decimal("0.0001")

FIGURES_EXAMPLE: dict[str, Any] = {
    "spend": {"amount": "1250.00", "currency": "SAR"}, "spend_by_currency": [{"amount": "1250.00", "currency": "SAR"}],
    "impressions": 84000, "reach": None, "clicks": 2100, "ctr": "0.0250", "cpc": {"amount": "0.60", "currency": "SAR"},
    "cpm": {"amount": "14.88", "currency": "SAR"}, "conversions": "41", "conversion_value":
    {"amount": "5330.00", "currency": "SAR"}, "conversion_value_by_currency": [{"amount": "5330.00", "currency": "SAR"}],
    "platform_roas": "4.2640", "orders": 35, "revenue": {"amount": "4480.00", "currency": "SAR"},
    "revenue_by_currency": [{"amount": "4480.00", "currency": "SAR"}], "roas": "3.5840",
    "cpa": {"amount": "35.71", "currency": "SAR"},
}


class MoneyOut(BaseModel):
    amount: Decimal = Field(examples=["1250.00"])
    currency: str = Field(examples=["SAR"])

    @classmethod
    def of(cls, money: Money | None) -> MoneyOut | None:
        return None if money is None else cls(amount=money.amount.quantize(CENTS, ROUND_HALF_EVEN),
                                              currency=money.currency)


class FiguresOut(BaseModel):
    """Platform-reported conversions beside ADLY's store-attributed orders, never mixed."""

    model_config = ConfigDict(json_schema_extra={"examples": [FIGURES_EXAMPLE]})

    spend: MoneyOut | None = Field(description="Null when spend is in several currencies (see spend_by_currency).")
    spend_by_currency: list[MoneyOut]
    impressions: int
    reach: int | None = Field(description="Only where one platform row stands behind the figure; never summed.")
    clicks: int
    ctr: Decimal | None = Field(description="Clicks ÷ impressions, a fraction.")
    cpc: MoneyOut | None
    cpm: MoneyOut | None
    conversions: Decimal = Field(description="Purchases the platforms attribute to themselves.")
    conversion_value: MoneyOut | None
    conversion_value_by_currency: list[MoneyOut]
    platform_roas: Decimal | None = Field(description="Platform conversion value ÷ spend.")
    orders: int = Field(description="Store orders ADLY attributed (refunds and cancellations taken back).")
    revenue: MoneyOut | None = Field(description="ADLY-attributed revenue after refunds.")
    revenue_by_currency: list[MoneyOut]
    roas: Decimal | None = Field(description="ADLY-attributed revenue ÷ spend.")
    cpa: MoneyOut | None = Field(description="Spend ÷ ADLY-attributed orders.")

    @classmethod
    def of(cls, figures: Figures, reach: int | None = None) -> FiguresOut:
        t = figures.totals
        return cls(spend=MoneyOut.of(figures.spend), spend_by_currency=_listed(t.spend),
                   impressions=t.impressions, reach=reach, clicks=t.clicks, ctr=_ratio(figures.ctr),
                   cpc=MoneyOut.of(figures.cpc), cpm=MoneyOut.of(figures.cpm), conversions=t.conversions.normalize(),
                   conversion_value=MoneyOut.of(figures.conversion_value),
                   conversion_value_by_currency=_listed(t.conversion_value), platform_roas=_ratio(figures.platform_roas),
                   orders=t.orders, revenue=MoneyOut.of(figures.revenue), revenue_by_currency=_listed(t.revenue),
                   roas=_ratio(figures.roas), cpa=MoneyOut.of(figures.cpa))


class ChangeOut(BaseModel):
    change: Decimal | None = Field(description="This period less the previous one.")
    percent: Decimal | None = Field(description="Null when the previous figure was 0, unknown or in another currency.")

    @classmethod
    def of(cls, change: Change) -> ChangeOut:
        return cls(change=_ratio(change.change), percent=None if change.percent is None else
                   change.percent.quantize(CENTS, ROUND_HALF_EVEN))


class OverviewOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "since": "2026-11-01", "until": "2026-11-30", "previous_since": "2026-10-02", "previous_until": "2026-10-31",
        "current": FIGURES_EXAMPLE, "previous": FIGURES_EXAMPLE,
        "changes": {"spend": {"change": "150.0000", "percent": "13.64"}, "roas": {"change": "-0.2100",
                                                                                  "percent": "-5.53"}}}]})

    since: date
    until: date
    previous_since: date
    previous_until: date
    current: FiguresOut
    previous: FiguresOut
    changes: dict[str, ChangeOut] = Field(description="Per figure name of `current`.")

    @classmethod
    def of(cls, o: Overview) -> OverviewOut:
        return cls(since=o.period.start, until=o.period.end, previous_since=o.previous.start,
                   previous_until=o.previous.end, current=FiguresOut.of(o.figures, o.reach),
                   previous=FiguresOut.of(o.before), changes={k: ChangeOut.of(c) for k, c in o.changes.items()})


class PointOut(BaseModel):
    day: date
    hour: int | None = Field(description="Set at granularity `hour`.")
    figures: FiguresOut


class TimeseriesOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "granularity": "day", "points": [{"day": "2026-11-01", "hour": None, "figures": FIGURES_EXAMPLE}]}]})

    granularity: Literal["day", "hour"]
    points: list[PointOut]

    @classmethod
    def of(cls, granularity: Literal["day", "hour"], points: list[Point]) -> TimeseriesOut:
        return cls(granularity=granularity,
                   points=[PointOut(day=p.day, hour=p.hour, figures=FiguresOut.of(p.figures)) for p in points])


class GroupOut(BaseModel):
    platform: AdPlatform | None = Field(description="Null for orders no ad platform is credited with.")
    campaign_id: UUID | None
    ad_set_id: str | None
    ad_id: UUID | None
    product: str | None = Field(description="The store's product id.")
    figures: FiguresOut


class BreakdownOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "by": "campaign", "rows": [{"platform": None, "campaign_id": "0b7e6a52-3f0c-4d55-9d0e-6f1f3c2b8a11",
                                    "ad_set_id": None, "ad_id": None, "product": None, "figures": FIGURES_EXAMPLE}],
        "next_cursor": "bzo1MA"}]})

    by: str
    rows: list[GroupOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")

    @classmethod
    def of(cls, by: str, page: Page) -> BreakdownOut:
        return cls(by=by, next_cursor=page.next_cursor, rows=[
            GroupOut(platform=k.platform, campaign_id=k.campaign_id, ad_set_id=k.ad_set_id, ad_id=k.ad_id,
                     product=k.product, figures=FiguresOut.of(f)) for k, f in page.rows])


class DigestCampaignOut(BaseModel):
    campaign_id: UUID
    name: str | None = Field(description="Null: analytics keeps no campaign names yet.")
    spend: Decimal | None
    revenue: Decimal | None
    orders: int
    roas: Decimal | None

    @classmethod
    def of(cls, line: CampaignLine) -> DigestCampaignOut:
        return cls(campaign_id=line.campaign_id, name=line.name, spend=_cents(line.spend),
                   revenue=_cents(line.revenue), orders=line.orders, roas=_cents(line.roas))


class DigestOut(BaseModel):
    """One workspace day for the notifications service's digest mail (internal). Money is a decimal
    string in `currency`; an amount in another currency or in several is null (nothing is converted)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "workspace_id": "3f2b8c1e-7a4d-4e9b-8c2a-1d5e6f7a8b9c", "day": "2026-12-05", "currency": "SAR",
        "spend": "123.45", "revenue": "456.00", "orders": 3, "roas": "3.69", "impressions": 1000, "clicks": 40,
        "campaigns": [{"campaign_id": "0b7e6a52-3f0c-4d55-9d0e-6f1f3c2b8a11", "name": None, "spend": "100.00",
                       "revenue": "400.00", "orders": 2, "roas": "4.00"}]}]})

    workspace_id: UUID
    day: date = Field(description="The workspace's day.")
    currency: str | None = Field(description="Null on a day with no money, or money in several currencies.")
    spend: Decimal | None
    revenue: Decimal | None = Field(description="ADLY-attributed revenue after refunds.")
    orders: int
    roas: Decimal | None = Field(description="ADLY-attributed revenue ÷ spend, to 2 places.")
    impressions: int
    clicks: int
    campaigns: list[DigestCampaignOut] = Field(description="Top 5 by attributed revenue, then spend.")

    @classmethod
    def of(cls, d: Digest) -> DigestOut:
        return cls(workspace_id=d.workspace_id, day=d.day, currency=d.currency, spend=_cents(d.spend),
                   revenue=_cents(d.revenue), orders=d.orders, roas=_cents(d.roas), impressions=d.impressions,
                   clicks=d.clicks, campaigns=[DigestCampaignOut.of(line) for line in d.campaigns])


def _cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENTS, ROUND_HALF_EVEN)


def _listed(amounts: Amounts) -> list[MoneyOut]:
    return [MoneyOut(amount=a.quantize(CENTS, ROUND_HALF_EVEN), currency=c) for c, a in amounts.nonzero().by_currency]


def _ratio(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(RATIO, ROUND_HALF_EVEN)
