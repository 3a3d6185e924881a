"""Events of the campaigns context: topics `adly.campaigns.campaign` and `adly.campaigns.ad_account`.

A campaign's life, in order (docs/campaigns.md): `CampaignDrafted`, `CampaignPlanChanged`*,
`CreativesRequested`, `CreativesReceived` or `CreativesFailed`, `AdsChosen`*,
`CampaignApproved` / `CampaignRejected`, `CampaignPublishRequested`, one
`CampaignPublished` or `CampaignPublishFailed` per platform, `AdReviewChanged`*, then
`CampaignPaused` / `CampaignResumed` / `CampaignBudgetChanged` / `CampaignScheduleChanged`
while it runs, `CampaignEnded`, `CampaignArchived`. The aggregate id (and Kafka key) is the
campaign id; `actor` fields hold a user id or `apikey:<id>`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, ConfigDict, Field

from adly_events.catalog import CATALOG
from adly_events.contracts.common import AdPlatform, Contract, Money

campaign_event = {"version": 1, "context": "campaigns", "aggregate": "campaign"}
campaign_event_v2 = campaign_event | {"version": 2}
ad_account_event = {"version": 1, "context": "campaigns", "aggregate": "ad_account"}
performance_event = {"version": 1, "context": "campaigns", "aggregate": "performance"}

Actor = str  # a user id, or `apikey:<id>` for an API key


class Objective(StrEnum):
    AWARENESS = "awareness"
    TRAFFIC = "traffic"
    CONVERSIONS = "conversions"
    SALES = "sales"


class BudgetKind(StrEnum):
    DAILY = "daily"
    LIFETIME = "lifetime"


class Budget(Contract):
    kind: BudgetKind
    amount: Money


class PlatformBudget(Contract):
    platform: AdPlatform
    budget: Budget


class Schedule(Contract):
    """Calendar days in the workspace's time zone; the campaign runs from the start of
    `starts_on` (or as soon as it is live) to the end of `ends_on` (or until ended)."""

    starts_on: date | None = None
    ends_on: date | None = None
    time_zone: str = Field(default="UTC", description="IANA time zone, e.g. `Asia/Riyadh`.")


class Gender(StrEnum):
    ALL = "all"
    FEMALE = "female"
    MALE = "male"


class Audience(Contract):
    countries: list[str] = Field(min_length=1, description="ISO 3166-1 alpha-2, e.g. `SA`, `AE`.")
    cities: list[str] = Field(default_factory=list, description="City names, where the platform targets cities.")
    languages: list[str] = Field(default_factory=list, description="ISO 639-1 codes.")
    age_min: int = Field(default=18, ge=13, le=65)
    age_max: int = Field(default=65, ge=13, le=65)
    gender: Gender = Gender.ALL


class CampaignPlan(Contract):
    """Everything a campaign needs before creatives: what the brief parser proposes and the
    merchant edits."""

    objective: Objective
    platforms: list[AdPlatform] = Field(min_length=1)
    budgets: list[PlatformBudget] = Field(min_length=1, description="One per platform.")
    schedule: Schedule = Field(default_factory=Schedule)
    audience: Audience
    product_ids: list[UUID] = Field(default_factory=list)
    collection: str | None = Field(default=None, description="A catalog collection the ads promote.")
    landing_url: str | None = Field(default=None, description="Where ads lead; else each product's page.")
    creative_language: str = Field(default="ar", pattern=r"^[a-z]{2}$")
    variants_per_platform: int = Field(default=2, ge=1, le=10)


class AdDraft(Contract):
    """One ad as the merchant will publish it: copy, media and its tagged landing URL."""

    ad_id: UUID = Field(description="ADLY's id of the ad; `adly_a` in its landing URL.")
    platform: AdPlatform
    product_id: UUID | None = None
    headline: str = Field(min_length=1, max_length=255)
    primary_text: str = Field(min_length=1, max_length=2200)
    description: str | None = Field(default=None, max_length=255)
    call_to_action: str
    image_asset_id: UUID | None = None
    video_asset_id: UUID | None = None
    landing_url: str = Field(description="With UTM tags and ADLY's ids (docs/campaigns-tracking.md).")


class PublishedAd(Contract):
    ad_id: UUID
    platform_ad_id: str
    platform_ad_set_id: str


@CATALOG.event("CampaignDrafted", **campaign_event)
class CampaignDraftedV1(Contract):
    """A merchant's brief was accepted and a campaign draft exists."""

    model_config = ConfigDict(title="CampaignDrafted")  # the published v1 schema, unchanged

    name: str = Field(min_length=1, max_length=200)
    brief: str = Field(max_length=5000)
    objective: Objective
    platforms: list[AdPlatform] = Field(min_length=1)
    daily_budget: Money
    product_ids: list[UUID] = Field(default_factory=list)
    starts_on: date | None = None
    ends_on: date | None = None
    drafted_by: UUID


@CATALOG.event("CampaignDrafted", **campaign_event_v2)
class CampaignDrafted(Contract):
    """A campaign draft exists, from a brief, an edited plan or a duplicate."""

    name: str = Field(min_length=1, max_length=200)
    brief: str = Field(default="", max_length=5000)
    plan: CampaignPlan
    drafted_by: Actor
    duplicated_from: UUID | None = None


@CATALOG.upcaster("CampaignDrafted", from_version=1)
def _drafted_v1_to_v2(old: dict[str, Any]) -> dict[str, Any]:
    budget = {"kind": "daily", "amount": old["daily_budget"]}
    return {
        "name": old["name"], "brief": old["brief"], "drafted_by": str(old["drafted_by"]),
        "plan": {
            "objective": old["objective"], "platforms": old["platforms"],
            "budgets": [{"platform": p, "budget": budget} for p in old["platforms"]],
            "schedule": {"starts_on": old.get("starts_on"), "ends_on": old.get("ends_on"), "time_zone": "UTC"},
            "audience": {"countries": ["SA"]}, "product_ids": old.get("product_ids", []),
        },
    }


@CATALOG.event("CampaignPlanChanged", **campaign_event)
class CampaignPlanChanged(Contract):
    """The merchant edited the draft's name or plan."""

    name: str = Field(min_length=1, max_length=200)
    plan: CampaignPlan
    changed_by: Actor


@CATALOG.event("CreativesRequested", **campaign_event)
class CreativesRequested(Contract):
    """The campaign's plan needs ad creatives; the creative service answers."""

    request_id: UUID
    product_ids: list[UUID] = Field(min_length=1)
    platforms: list[AdPlatform] = Field(min_length=1)
    language: str = Field(pattern=r"^[a-z]{2}$", description="ISO 639-1, e.g. `ar` or `en`.")
    variants_per_platform: int = Field(ge=1, le=10)


@CATALOG.event("CreativesReceived", **campaign_event)
class CreativesReceived(Contract):
    """Creative answered: the ads ADLY proposes from its variants, ready for the merchant's review."""

    request_id: UUID
    ads: list[AdDraft]
    alternatives: int = Field(default=0, ge=0, description="Variants not proposed, still to pick from.")


@CATALOG.event("CreativesFailed", **campaign_event)
class CreativesFailed(Contract):
    """Creative gave up; the campaign is a draft again, so the merchant can ask anew."""

    request_id: UUID
    reason: str
    code: str | None = None


@CATALOG.event("AdsChosen", **campaign_event)
class AdsChosen(Contract):
    """The merchant picked or edited the ads to publish (replaces the previous choice)."""

    ads: list[AdDraft] = Field(min_length=1)
    chosen_by: Actor


@CATALOG.event("CampaignApproved", **campaign_event)
class CampaignApproved(Contract):
    approved_by: Actor
    note: str | None = Field(default=None, max_length=1000)


@CATALOG.event("CampaignRejected", **campaign_event)
class CampaignRejected(Contract):
    """A reviewer asked for changes; the campaign stays in review."""

    rejected_by: Actor
    reason: str = Field(min_length=1, max_length=1000)


@CATALOG.event("CampaignPublishRequested", **campaign_event)
class CampaignPublishRequested(Contract):
    """Publishing started (or restarted) on these platforms, each into its ad account."""

    requested_by: Actor
    platforms: list[AdPlatform] = Field(min_length=1)
    ad_accounts: dict[str, UUID] = Field(default_factory=dict, description="platform -> ADLY ad account id.")


@CATALOG.event("CampaignPublished", **campaign_event)
class CampaignPublishedV1(Contract):
    """The campaign is live on one ad platform, under the platform's own ids."""

    model_config = ConfigDict(title="CampaignPublished")  # the published v1 schema, unchanged

    platform: AdPlatform
    ad_account_id: str
    platform_campaign_id: str
    platform_ad_set_ids: list[str] = Field(default_factory=list)
    platform_ad_ids: list[str] = Field(default_factory=list)


@CATALOG.event("CampaignPublished", **campaign_event_v2)
class CampaignPublished(Contract):
    """The campaign is live on one ad platform, under the platform's own ids."""

    platform: AdPlatform
    ad_account_id: str = Field(description="The platform's id of the ad account.")
    platform_campaign_id: str
    platform_ad_set_ids: list[str] = Field(default_factory=list)
    platform_ad_ids: list[str] = Field(default_factory=list)
    ads: list[PublishedAd] = Field(default_factory=list, description="ADLY ad id -> the platform's ids.")


@CATALOG.upcaster("CampaignPublished", from_version=1)
def _published_v1_to_v2(old: dict[str, Any]) -> dict[str, Any]:
    return old | {"ads": []}


@CATALOG.event("CampaignPublishFailed", **campaign_event)
class CampaignPublishFailed(Contract):
    """An ad platform refused the campaign; `reason` is what the merchant can act on."""

    platform: AdPlatform
    reason: str
    platform_error_code: str | None = None
    retryable: bool


@CATALOG.event("AdReviewChanged", **campaign_event)
class AdReviewChanged(Contract):
    """The platform's review of one ad moved on."""

    platform: AdPlatform
    ad_id: UUID
    platform_ad_id: str
    review: Literal["in_review", "approved", "disapproved"]
    reason: str | None = None


@CATALOG.event("CampaignPaused", **campaign_event)
class CampaignPaused(Contract):
    paused_by: Actor


@CATALOG.event("CampaignResumed", **campaign_event)
class CampaignResumed(Contract):
    resumed_by: Actor


@CATALOG.event("CampaignBudgetChanged", **campaign_event)
class CampaignBudgetChanged(Contract):
    platform: AdPlatform
    budget: Budget
    previous: Budget
    changed_by: Actor


@CATALOG.event("CampaignScheduleChanged", **campaign_event)
class CampaignScheduleChanged(Contract):
    schedule: Schedule
    changed_by: Actor


@CATALOG.event("CampaignEnded", **campaign_event)
class CampaignEnded(Contract):
    ended_by: Actor
    reason: str | None = None


@CATALOG.event("CampaignArchived", **campaign_event)
class CampaignArchived(Contract):
    archived_by: Actor


@CATALOG.event("RuleActionAwaitingApproval", **campaign_event)
class RuleActionAwaitingApproval(Contract):
    """An automated rule (analytics' `RuleFired`) asked for a change campaigns will not make on its own:
    a budget increase above the workspace's threshold needs a person's 2FA, and ADLY pauses a whole
    campaign only. Nothing changed on the platforms; a maker with 2FA carries it out through the usual
    commands, or lets it be."""

    rule_id: UUID
    rule_event_id: UUID = Field(description="The RuleFired event asking for it.")
    action: str = Field(description="`pause`, `change_budget` or `move_budget`.")
    budgets: list[PlatformBudget] = Field(default_factory=list, description="The budgets the rule asked for.")
    previous: list[PlatformBudget] = Field(default_factory=list)
    target_platform_ad_set_id: str | None = None
    target_ad_id: UUID | None = None
    reason: str = Field(description="Why campaigns did not carry it out.")
    reasoning: str = Field(description="The rule's own reasoning, with its figures.")


# --- ad accounts: rows the campaigns service keeps, with these events beside them -----------


@CATALOG.event("AdAccountConnected", **ad_account_event)
class AdAccountConnected(Contract):
    """A workspace connected (or reconnected) an ad account; no token ever leaves the service."""

    platform: AdPlatform
    platform_account_id: str
    name: str
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    time_zone: str
    connected_by: Actor


@CATALOG.event("AdAccountDisconnected", **ad_account_event)
class AdAccountDisconnected(Contract):
    platform: AdPlatform
    platform_account_id: str
    disconnected_by: Actor


@CATALOG.event("AdAccountAccessLost", **ad_account_event)
class AdAccountAccessLost(Contract):
    """The platform refused the account's token (revoked, expired, password changed):
    nothing publishes until the merchant reconnects."""

    platform: AdPlatform
    platform_account_id: str
    reason: str
    platform_error_code: str | None = None


# --- performance: what the platforms report, pulled by the campaigns service -------------------


class PerformanceLevel(StrEnum):
    CAMPAIGN = "campaign"
    AD_SET = "ad_set"
    AD = "ad"


@CATALOG.event("PerformanceReported", **performance_event)
class PerformanceReported(Contract):
    """One platform's figures for one object of a campaign over one day (or one hour of today)
    in the ad account's time zone, as the platform reported them. The aggregate (and Kafka key)
    is the series (campaign, platform, level, object, day, hour); each revision is its next
    version, published only when the platform restated a figure: the highest revision of a
    series replaces the ones before it, and no figure is ever reported twice as two rows."""

    campaign_id: UUID
    platform: AdPlatform
    level: PerformanceLevel
    ad_id: UUID | None = Field(default=None, description="ADLY's ad id, at level `ad`.")
    platform_campaign_id: str
    platform_object_id: str = Field(description="The platform's id of the campaign, ad set or ad.")
    day: date = Field(description="In the ad account's time zone.")
    hour: int | None = Field(default=None, ge=0, le=23, description="Set for today's hourly figures.")
    time_zone: str
    revision: int = Field(ge=1)
    impressions: int = Field(ge=0)
    reach: int | None = Field(default=None, ge=0)
    clicks: int = Field(ge=0)
    spend: Money
    conversions: Decimal = Field(ge=0, description="Purchases the platform attributes to itself (Google's may be fractional).")
    conversion_value: Money = Field(description="Their value, as the platform reports it; never ADLY's own attribution.")
    pulled_at: AwareDatetime
