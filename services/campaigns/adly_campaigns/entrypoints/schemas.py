"""The campaigns API's bodies and answers (OpenAPI with examples)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from adly_events.contracts.campaigns import AdDraft, Budget, CampaignPlan, Schedule
from adly_events.contracts.common import AdPlatform

PLAN_EXAMPLE: dict[str, Any] = {
    "objective": "sales", "platforms": ["meta"],
    "budgets": [{"platform": "meta", "budget": {"kind": "daily", "amount": {"amount": "200", "currency": "SAR"}}}],
    "schedule": {"starts_on": "2026-12-13", "ends_on": "2026-12-26", "time_zone": "Asia/Riyadh"},
    "audience": {"countries": ["SA"], "cities": ["Riyadh"], "languages": ["ar"], "age_min": 18, "age_max": 35,
                 "gender": "female"},
    "product_ids": ["3f1c2a9e-6b0d-4c1e-9f7a-2d5e8b4c6a10"], "creative_language": "ar", "variants_per_platform": 2,
}


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BriefIn(Body):
    brief: str = Field(min_length=1, max_length=5000, examples=["عندي عباية جديدة، ابغى اعلان في سناب وانستقرام "
                                                                "للرياض وجدة، الميزانية ٢٠٠ ريال يوميا لمدة اسبوعين"])
    time_zone: str = Field(default="Asia/Riyadh", description="The workspace's IANA time zone, for relative dates.")


class SpanOut(BaseModel):
    start: int
    end: int
    text: str


class FindingOut(BaseModel):
    value: Any
    source: SpanOut | None
    confidence: float


class ProblemOut(BaseModel):
    path: str
    message: str


class QuestionOut(BaseModel):
    field: str
    message: str


class PlanOut(BaseModel):
    language: str
    parser: str = Field(description="`offline`, or the LLM provider whose proposal passed the same checks.")
    fields: dict[str, FindingOut]
    not_understood: list[SpanOut]
    questions: list[QuestionOut] = Field(description="What the merchant must still say (a missing budget, a currency).")
    plan: CampaignPlan | None = Field(description="Present when complete; edit it freely before drafting.")
    problems: list[ProblemOut] = Field(description="What each chosen platform would refuse in the plan.")


class NewCampaign(Body):
    name: str = Field(min_length=1, max_length=200, examples=["عبايات الشتاء"])
    brief: str = Field(default="", max_length=5000)
    plan: CampaignPlan = Field(examples=[PLAN_EXAMPLE])


class CampaignChange(Body):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    plan: CampaignPlan | None = None


class AdChoice(Body):
    ad_id: UUID | None = Field(default=None, description="Keep an ad's id to edit it; omit for a new ad.")
    platform: AdPlatform
    product_id: UUID | None = None
    headline: str = Field(min_length=1, max_length=255)
    primary_text: str = Field(min_length=1, max_length=2200)
    description: str | None = Field(default=None, max_length=255)
    call_to_action: str = Field(default="SHOP_NOW", min_length=1, max_length=40)
    image_asset_id: UUID | None = None
    video_asset_id: UUID | None = None
    landing_url: str | None = Field(default=None, max_length=2000,
                                    description="Else the product's page or the plan's URL; ADLY tags it either way.")


class AdsChoice(Body):
    ads: list[AdChoice] = Field(min_length=1, max_length=50)


class ApprovalIn(Body):
    note: str | None = Field(default=None, max_length=1000)


class RejectionIn(Body):
    reason: str = Field(min_length=1, max_length=1000)


class PublicationIn(Body):
    ad_accounts: dict[AdPlatform, UUID] = Field(default_factory=dict,
                                                description="Which connected account per platform, when several are.")


class EndIn(Body):
    reason: str | None = Field(default=None, max_length=500)


class BudgetIn(Body):
    budget: Budget


class ScheduleIn(Body):
    schedule: Schedule


class RunOut(BaseModel):
    status: str = Field(description="`pending`, `published` or `failed`.")
    ad_account_id: UUID | None
    platform_campaign_id: str | None
    ads: list[dict[str, Any]]
    reason: str | None
    error_code: str | None
    retryable: bool


class CampaignOut(BaseModel):
    id: UUID
    name: str
    state: str = Field(description="draft, creatives_requested, in_review, approved, publishing, live, partly_live, "
                                   "failed, paused, ended, archived")
    version: int
    plan: CampaignPlan
    brief: str
    ads: list[AdDraft]
    platforms: dict[str, RunOut]
    reviews: dict[str, str] = Field(description="ADLY ad id -> in_review, approved or disapproved.")
    drafted_by: str | None
    approved_by: str | None
    last_rejection: str | None
    created_at: datetime
    updated_at: datetime
    steps: list[dict[str, Any]] = Field(default_factory=list,
                                        description="Objects created on the platforms so far, by step.")


class CampaignPage(BaseModel):
    items: list[CampaignOut]
    next_cursor: str | None


class CreativeSetOut(BaseModel):
    request_id: UUID
    assets: list[dict[str, Any]]
    copies: list[dict[str, Any]]
    received_at: datetime


class PoliciesIn(Body):
    approval_required: bool = False
    approver_role: Literal["owner", "admin", "marketer"] = "admin"
    approver_not_author: bool = False
    budget_thresholds: dict[str, str] = Field(
        default_factory=dict, examples=[{"SAR": "500", "AED": "500"}],
        description="Currency -> daily amount above which a budget increase needs a fresh 2FA proof. A currency "
                    "without a threshold: every increase needs one.")


class PoliciesOut(PoliciesIn):
    pass



class FiguresOut(BaseModel):
    platform: str
    platform_object_id: str
    day: date
    hour: int | None = Field(description="Set for today's hourly figures.")
    revision: int = Field(description="How many times the platform restated this day (1: as first reported).")
    impressions: int
    reach: int | None
    clicks: int
    spend: Decimal
    conversions: Decimal = Field(description="Purchases the platform attributes to itself.")
    conversion_value: Decimal
    currency: str
    pulled_at: datetime
