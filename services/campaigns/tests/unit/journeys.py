"""A campaign walked through its life on plain constructors: the plans, ads and journeys the
aggregate tests and the handler tests start from."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from adly_campaigns.domain.campaign import Campaign
from adly_campaigns.domain.policies import ApprovalPolicy
from adly_events.contracts.campaigns import (
    AdDraft,
    Audience,
    Budget,
    BudgetKind,
    CampaignPlan,
    Objective,
    PlatformBudget,
    PublishedAd,
    Schedule,
)
from adly_events.contracts.common import AdPlatform, Contract, Money

META, TIKTOK = AdPlatform.META, AdPlatform.TIKTOK
AUTHOR, REVIEWER = "user-author", "user-reviewer"
PRODUCT = UUID("0b9b1c3e-51a1-4f5e-8d7e-6a0f2c4b8d11")
ACCOUNTS = {META: UUID("11111111-1111-4111-8111-111111111111"), TIKTOK: UUID("22222222-2222-4222-8222-222222222222")}
WEEK = Schedule(starts_on=date(2031, 3, 1), ends_on=date(2031, 3, 7), time_zone="Asia/Riyadh")


def budget(amount: str, kind: BudgetKind = BudgetKind.DAILY, currency: str = "SAR") -> Budget:
    return Budget(kind=kind, amount=Money(amount=Decimal(amount), currency=currency))


def a_plan(*platforms: AdPlatform, amount: str = "100", kind: BudgetKind = BudgetKind.DAILY,
           schedule: Schedule = WEEK, products: tuple[UUID, ...] = (PRODUCT,)) -> CampaignPlan:
    platforms = platforms or (META,)
    return CampaignPlan(
        objective=Objective.SALES, platforms=list(platforms),
        budgets=[PlatformBudget(platform=p, budget=budget(amount, kind)) for p in platforms],
        schedule=schedule, audience=Audience(countries=["SA", "AE"], languages=["ar"]),
        product_ids=list(products), creative_language="ar", variants_per_platform=2)


def an_ad(platform: AdPlatform, headline: str = "عطر العود") -> AdDraft:
    ad_id = uuid.uuid4()
    return AdDraft(ad_id=ad_id, platform=platform, product_id=PRODUCT, headline=headline, primary_text="دافئ لكل مساء",
                   call_to_action="SHOP_NOW", image_asset_id=uuid.uuid4(),
                   landing_url=f"https://oud.example/p?adly_a={ad_id}")


class Journey:
    """A campaign and every event its commands returned, so a test can replay them."""

    def __init__(self, *platforms: AdPlatform, **plan: Any) -> None:
        self.campaign = Campaign(uuid.uuid4())
        self.events: list[Contract] = []
        self.request = uuid.uuid4()
        self.do(self.campaign.draft("  Eid   sale ", "عيد سعيد", a_plan(*platforms, **plan), AUTHOR))

    def do(self, events: list[Contract]) -> list[Contract]:
        self.events += events
        return events

    def in_review(self) -> Journey:
        c = self.campaign
        self.do(c.request_creatives(self.request))
        self.do(c.receive_creatives(self.request, [an_ad(p) for p in c.current_plan.platforms], alternatives=3))
        return self

    def approved(self) -> Journey:
        self.in_review().do(self.campaign.approve(AUTHOR, "marketer", ApprovalPolicy()))
        return self

    def publishing(self) -> Journey:
        self.approved().do(self.campaign.request_publish(AUTHOR, ACCOUNTS))
        return self

    def published_on(self, platform: AdPlatform) -> list[Contract]:
        ads = [PublishedAd(ad_id=ad.ad_id, platform_ad_id=f"{platform.value}-ad-{n}",
                           platform_ad_set_id=f"{platform.value}-set")
               for n, ad in enumerate(self.campaign.ads_on(platform))]
        return self.do(self.campaign.published(platform, f"act_{platform.value}", f"{platform.value}-campaign", ads))

    def failed_on(self, platform: AdPlatform, retryable: bool = False) -> list[Contract]:
        return self.do(self.campaign.publish_failed(platform, "Your page is restricted.", "368", retryable))

    def live(self) -> Journey:
        self.publishing()
        for platform in self.campaign.current_plan.platforms:
            self.published_on(platform)
        return self


def only(events: list[Contract]) -> Contract:
    (event,) = events
    return event
