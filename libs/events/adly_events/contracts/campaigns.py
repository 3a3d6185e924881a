"""Events of the campaigns context (topic `adly.campaigns.campaign`)."""

from datetime import date
from enum import StrEnum
from uuid import UUID

from pydantic import Field

from adly_events.catalog import CATALOG
from adly_events.contracts.common import AdPlatform, Contract, Money

campaign_event = {"version": 1, "context": "campaigns", "aggregate": "campaign"}


class Objective(StrEnum):
    AWARENESS = "awareness"
    TRAFFIC = "traffic"
    CONVERSIONS = "conversions"
    SALES = "sales"


@CATALOG.event("CampaignDrafted", **campaign_event)
class CampaignDrafted(Contract):
    """A merchant's brief was accepted and a campaign draft exists."""

    name: str = Field(min_length=1, max_length=200)
    brief: str = Field(max_length=5000)
    objective: Objective
    platforms: list[AdPlatform] = Field(min_length=1)
    daily_budget: Money
    product_ids: list[UUID] = Field(default_factory=list)
    starts_on: date | None = None
    ends_on: date | None = None
    drafted_by: UUID


@CATALOG.event("CreativesRequested", **campaign_event)
class CreativesRequested(Contract):
    """The campaign's plan needs ad creatives; the creative service answers."""

    request_id: UUID
    product_ids: list[UUID] = Field(min_length=1)
    platforms: list[AdPlatform] = Field(min_length=1)
    language: str = Field(pattern=r"^[a-z]{2}$", description="ISO 639-1, e.g. `ar` or `en`.")
    variants_per_platform: int = Field(ge=1, le=10)


@CATALOG.event("CampaignPublished", **campaign_event)
class CampaignPublished(Contract):
    """The campaign is live on one ad platform, under the platform's own ids."""

    platform: AdPlatform
    ad_account_id: str
    platform_campaign_id: str
    platform_ad_set_ids: list[str] = Field(default_factory=list)
    platform_ad_ids: list[str] = Field(default_factory=list)


@CATALOG.event("CampaignPublishFailed", **campaign_event)
class CampaignPublishFailed(Contract):
    """An ad platform refused the campaign; `reason` is what the merchant can act on."""

    platform: AdPlatform
    reason: str
    platform_error_code: str | None = None
    retryable: bool
