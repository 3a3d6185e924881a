"""Events of the analytics context (topic `adly.analytics.campaign_performance`)."""

from datetime import date
from uuid import UUID

from pydantic import Field

from adly_events.catalog import CATALOG
from adly_events.contracts.common import AdPlatform, Contract, Money


@CATALOG.event("MetricsReported", version=1, context="analytics", aggregate="campaign_performance")
class MetricsReported(Contract):
    """An ad platform reported a campaign's performance for one day."""

    campaign_id: UUID
    platform: AdPlatform
    day: date
    impressions: int = Field(ge=0)
    clicks: int = Field(ge=0)
    spend: Money
    platform_conversions: int = Field(ge=0)
