"""Events as campaigns and the catalog publish them, for the analytics tests (unit and integration)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from adly_events.contracts.campaigns import CampaignPublished, PerformanceLevel, PerformanceReported, PublishedAd
from adly_events.contracts.catalog import CatalogOrder, OrderAttribution, OrderLine, OrderStatus
from adly_events.contracts.common import AdPlatform, Money

WORKSPACE = UUID("0b6f3a52-1c2d-4e5f-8a9b-0c1d2e3f4a5b")
CAMPAIGN = UUID("3f2b8c1e-5d4a-4e6f-9a7b-0c1d2e3f4a5b")
AD = UUID("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d")
OTHER_AD = UUID("5b1e0c52-7f0e-4d2a-9c4b-6a8d3e2f1b09")
PULLED = datetime(2026, 6, 30, 23, 0, tzinfo=UTC)


def published(platform: AdPlatform = AdPlatform.META) -> CampaignPublished:
    return CampaignPublished(platform=platform, ad_account_id="act_1", platform_campaign_id="c-1",
                             platform_ad_set_ids=["set-1", "set-2"], platform_ad_ids=["ad-1", "ad-2"],
                             ads=[PublishedAd(ad_id=AD, platform_ad_id="ad-1", platform_ad_set_id="set-1"),
                                  PublishedAd(ad_id=OTHER_AD, platform_ad_id="ad-2", platform_ad_set_id="set-2")])


def performance(day: date, spend: str, *, ad: UUID = AD, revision: int = 1, impressions: int = 1000,
                clicks: int = 40, conversions: str = "2", value: str | None = None, currency: str = "SAR",
                level: PerformanceLevel = PerformanceLevel.AD, hour: int | None = None,
                campaign: UUID = CAMPAIGN, reach: int | None = None) -> PerformanceReported:
    object_id = {PerformanceLevel.AD: "ad-1" if ad == AD else "ad-2", PerformanceLevel.AD_SET: "set-1",
                 PerformanceLevel.CAMPAIGN: "c-1"}[level]
    return PerformanceReported(
        campaign_id=campaign, platform=AdPlatform.META, level=level,
        ad_id=ad if level == PerformanceLevel.AD else None, platform_campaign_id="c-1", platform_object_id=object_id,
        day=day, hour=hour, time_zone="UTC", revision=revision, impressions=impressions, reach=reach, clicks=clicks,
        spend=Money(amount=Decimal(spend), currency=currency), conversions=Decimal(conversions),
        conversion_value=Money(amount=Decimal(value or "0"), currency=currency), pulled_at=PULLED)


def tagged(ad: UUID = AD, campaign: UUID = CAMPAIGN) -> OrderAttribution:
    return OrderAttribution(landing_site=f"/products/abaya?utm_source=facebook&adly_c={campaign}&adly_a={ad}")


def order(placed: datetime, total: str, *, attribution: OrderAttribution | None = None,
          status: OrderStatus = OrderStatus.PAID, updated: datetime | None = None, currency: str = "SAR",
          lines: tuple[tuple[str, str], ...] = ()) -> CatalogOrder:
    return CatalogOrder(
        external_id="1001", status=status, platform_status=status.value, currency=currency,
        total=Money(amount=Decimal(total), currency=currency), placed_at=placed, updated_at=updated,
        lines=[OrderLine(product_external_id=p, quantity=1, unit_price=Money(amount=Decimal(a), currency=currency),
                         total=Money(amount=Decimal(a), currency=currency)) for p, a in lines],
        attribution=attribution or OrderAttribution())
