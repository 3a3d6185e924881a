"""The campaign aggregate: a merchant's plan, its ads, its review and its life on each platform.

Each command checks the lifecycle (domain/lifecycle.py) and the rules against the state
rebuilt from the campaign's events and returns the new events; `apply` is the only place
state changes. Ad sets and ads live inside the campaign: one ad set per platform, the
chosen ads under it, each with ADLY's own id that its landing URL carries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from adly_campaigns.domain.lifecycle import Action, State, after_publication, require
from adly_campaigns.domain.policies import ApprovalPolicy, BudgetPolicy
from adly_events.contracts.campaigns import (
    AdDraft,
    AdReviewChanged,
    AdsChosen,
    Budget,
    CampaignApproved,
    CampaignArchived,
    CampaignBudgetChanged,
    CampaignDrafted,
    CampaignEnded,
    CampaignPaused,
    CampaignPlan,
    CampaignPlanChanged,
    CampaignPublished,
    CampaignPublishFailed,
    CampaignPublishRequested,
    CampaignRejected,
    CampaignResumed,
    CampaignScheduleChanged,
    CreativesFailed,
    CreativesReceived,
    CreativesRequested,
    PlatformBudget,
    PublishedAd,
    Schedule,
)
from adly_events.contracts.common import AdPlatform, Contract
from adly_kit.errors import InvalidInput, NotFound


@dataclass
class PlatformRun:
    """One platform's side of a published campaign."""

    status: str = "pending"              # pending | published | failed
    ad_account_id: UUID | None = None
    platform_campaign_id: str | None = None
    ads: dict[UUID, PublishedAd] = field(default_factory=dict)
    reason: str | None = None
    error_code: str | None = None
    retryable: bool = False


@dataclass
class Campaign:
    id: UUID
    version: int = 0
    state: State = State.DRAFT
    name: str = ""
    brief: str = ""
    plan: CampaignPlan | None = None
    drafted_by: str | None = None
    creatives_request: UUID | None = None
    ads: list[AdDraft] = field(default_factory=list)
    approved_by: str | None = None
    last_rejection: str | None = None
    platforms: dict[AdPlatform, PlatformRun] = field(default_factory=dict)
    reviews: dict[UUID, str] = field(default_factory=dict)

    @classmethod
    def replay(cls, campaign_id: UUID, history: Sequence[Contract]) -> Campaign:
        campaign = cls(campaign_id)
        for event in history:
            campaign.apply(event)
        return campaign

    @property
    def exists(self) -> bool:
        return self.version > 0

    def must_exist(self) -> None:
        if not self.exists:
            raise NotFound("No such campaign.")

    @property
    def current_plan(self) -> CampaignPlan:
        self.must_exist()
        assert self.plan is not None
        return self.plan

    def budget_of(self, platform: AdPlatform) -> Budget:
        for entry in self.current_plan.budgets:
            if entry.platform == platform:
                return entry.budget
        raise NotFound(f"The campaign does not run on {platform.value}.", field="platform")

    def ads_on(self, platform: AdPlatform) -> list[AdDraft]:
        return [ad for ad in self.ads if ad.platform == platform]

    def published_platforms(self) -> list[AdPlatform]:
        return [p for p, run in self.platforms.items() if run.status == "published"]

    # -- commands ---------------------------------------------------------------------

    def draft(self, name: str, brief: str, plan: CampaignPlan, by: str, duplicated_from: UUID | None = None
              ) -> list[Contract]:
        if self.exists:
            raise InvalidInput("This campaign exists already.")
        return self._record(CampaignDrafted(name=_clean_name(name), brief=brief, plan=plan, drafted_by=by,
                                            duplicated_from=duplicated_from))

    def change_plan(self, name: str | None, plan: CampaignPlan, by: str) -> list[Contract]:
        self._require(Action.EDIT_PLAN)
        name = _clean_name(name) if name is not None else self.name
        if name == self.name and plan == self.plan:
            return []
        return self._record(CampaignPlanChanged(name=name, plan=plan, changed_by=by))

    def request_creatives(self, request_id: UUID) -> list[Contract]:
        self._require(Action.REQUEST_CREATIVES)
        plan = self.current_plan
        if not plan.product_ids:
            raise InvalidInput("Pick at least one product for the ads to show.", field="plan.product_ids")
        return self._record(CreativesRequested(
            request_id=request_id, product_ids=plan.product_ids, platforms=plan.platforms,
            language=plan.creative_language, variants_per_platform=plan.variants_per_platform))

    def receive_creatives(self, request_id: UUID, proposed: Sequence[AdDraft], alternatives: int,
                          why_none: str = "Creative produced no ad for this campaign.") -> list[Contract]:
        if self.state != State.CREATIVES_REQUESTED or request_id != self.creatives_request:
            return []  # an answer to an older request, or one received already
        if not proposed:
            return self.creatives_failed(request_id, why_none, "empty")
        return self._record(CreativesReceived(request_id=request_id, ads=list(proposed), alternatives=alternatives))

    def creatives_failed(self, request_id: UUID, reason: str, code: str | None) -> list[Contract]:
        if self.state != State.CREATIVES_REQUESTED or request_id != self.creatives_request:
            return []
        return self._record(CreativesFailed(request_id=request_id, reason=reason, code=code))

    def choose_ads(self, ads: Sequence[AdDraft], by: str) -> list[Contract]:
        self._require(Action.CHOOSE_ADS)
        platforms = set(self.current_plan.platforms)
        for index, ad in enumerate(ads):
            if ad.platform not in platforms:
                raise InvalidInput(f"The campaign does not run on {ad.platform.value}.", field=f"ads.{index}.platform")
        missing = sorted(p.value for p in platforms - {ad.platform for ad in ads})
        if missing:
            raise InvalidInput(f"Choose at least one ad for {', '.join(missing)}.", field="ads")
        if len({ad.ad_id for ad in ads}) != len(ads):
            raise InvalidInput("Each ad appears once.", field="ads")
        if list(ads) == self.ads and self.state == State.IN_REVIEW:
            return []
        return self._record(AdsChosen(ads=list(ads), chosen_by=by))

    def approve(self, by: str, role: str | None, policy: ApprovalPolicy, note: str | None = None) -> list[Contract]:
        self._require(Action.APPROVE)
        policy.check_reviewer(by, role, self.drafted_by)
        return self._record(CampaignApproved(approved_by=by, note=note))

    def reject(self, by: str, role: str | None, policy: ApprovalPolicy, reason: str) -> list[Contract]:
        self._require(Action.REJECT)
        policy.check_reviewer(by, role, self.drafted_by)
        return self._record(CampaignRejected(rejected_by=by, reason=reason))

    def request_publish(self, by: str, accounts: Mapping[AdPlatform, UUID]) -> list[Contract]:
        self._require(Action.PUBLISH)
        waiting = [p for p in self.current_plan.platforms if self.platforms.get(p, PlatformRun()).status != "published"]
        unconnected = [p.value for p in waiting if p not in accounts]
        if unconnected:
            raise InvalidInput(f"Connect an ad account on {', '.join(unconnected)} first.", field="ad_accounts")
        return self._record(CampaignPublishRequested(
            requested_by=by, platforms=waiting, ad_accounts={p.value: accounts[p] for p in waiting}))

    def published(self, platform: AdPlatform, account: str, campaign_id: str, ads: Sequence[PublishedAd]
                  ) -> list[Contract]:
        if self.state != State.PUBLISHING or self.platforms.get(platform, PlatformRun()).status != "pending":
            return []
        return self._record(CampaignPublished(
            platform=platform, ad_account_id=account, platform_campaign_id=campaign_id,
            platform_ad_set_ids=sorted({ad.platform_ad_set_id for ad in ads}),
            platform_ad_ids=[ad.platform_ad_id for ad in ads], ads=list(ads)))

    def publish_failed(self, platform: AdPlatform, reason: str, code: str | None, retryable: bool) -> list[Contract]:
        if self.state != State.PUBLISHING or self.platforms.get(platform, PlatformRun()).status != "pending":
            return []
        return self._record(CampaignPublishFailed(platform=platform, reason=reason, platform_error_code=code,
                                                  retryable=retryable))

    def review_changed(self, platform: AdPlatform, platform_ad_id: str, review: str, reason: str | None
                       ) -> list[Contract]:
        run = self.platforms.get(platform)
        ad_id = next((a.ad_id for a in (run.ads.values() if run else ()) if a.platform_ad_id == platform_ad_id), None)
        if ad_id is None or self.reviews.get(ad_id) == review:
            return []
        return self._record(AdReviewChanged(platform=platform, ad_id=ad_id, platform_ad_id=platform_ad_id,
                                            review=review, reason=reason))

    def pause(self, by: str) -> list[Contract]:
        self._require(Action.PAUSE)
        return self._record(CampaignPaused(paused_by=by))

    def resume(self, by: str) -> list[Contract]:
        self._require(Action.RESUME)
        return self._record(CampaignResumed(resumed_by=by))

    def change_budget(self, platform: AdPlatform, budget: Budget, by: str, policy: BudgetPolicy, *,
                      two_factor: bool) -> list[Contract]:
        self._require(Action.CHANGE_BUDGET)
        previous = self.budget_of(platform)
        if budget.amount.amount <= 0:
            raise InvalidInput("A budget is more than zero; to stop spending, pause or end the campaign.",
                               field="budget.amount.amount")
        if budget == previous:
            return []
        if budget.amount.currency != previous.amount.currency:
            raise InvalidInput(f"The budget stays in {previous.amount.currency}, the ad account's currency.",
                               field="budget.amount.currency")
        if budget.kind != previous.kind:
            raise InvalidInput(f"The budget stays a {previous.kind.value} budget.", field="budget.kind")
        policy.check_increase(previous, budget, self.current_plan.schedule, two_factor=two_factor)
        return self._record(CampaignBudgetChanged(platform=platform, budget=budget, previous=previous, changed_by=by))

    def change_schedule(self, schedule: Schedule, by: str) -> list[Contract]:
        self._require(Action.CHANGE_SCHEDULE)
        current = self.current_plan.schedule
        if schedule == current:
            return []
        if schedule.starts_on and schedule.ends_on and schedule.ends_on < schedule.starts_on:
            raise InvalidInput("The campaign ends after it starts.", field="schedule.ends_on")
        if self.state != State.DRAFT and schedule.starts_on != current.starts_on and self.published_platforms():
            raise InvalidInput("A live campaign keeps its start date; change its end date.", field="schedule.starts_on")
        return self._record(CampaignScheduleChanged(schedule=schedule, changed_by=by))

    def end(self, by: str, reason: str | None = None) -> list[Contract]:
        self._require(Action.END)
        return self._record(CampaignEnded(ended_by=by, reason=reason))

    def archive(self, by: str) -> list[Contract]:
        self._require(Action.ARCHIVE)
        return self._record(CampaignArchived(archived_by=by))

    # -- state ------------------------------------------------------------------------

    def apply(self, event: Contract) -> None:
        self.version += 1
        match event:
            case CampaignDrafted(name=name, brief=brief, plan=plan, drafted_by=by):
                self.state, self.name, self.brief, self.plan, self.drafted_by = State.DRAFT, name, brief, plan, by
            case CampaignPlanChanged(name=name, plan=plan):
                self.name, self.plan = name, plan
            case CreativesRequested(request_id=request_id):
                self.state, self.creatives_request = State.CREATIVES_REQUESTED, request_id
            case CreativesReceived(ads=ads):
                self.state, self.ads = State.IN_REVIEW, list(ads)
            case CreativesFailed():
                self.state = State.DRAFT
            case AdsChosen(ads=ads):
                self.state, self.ads, self.approved_by = State.IN_REVIEW, list(ads), None
            case CampaignApproved(approved_by=by):
                self.state, self.approved_by, self.last_rejection = State.APPROVED, by, None
            case CampaignRejected(reason=reason):
                self.state, self.approved_by, self.last_rejection = State.IN_REVIEW, None, reason
            case CampaignPublishRequested(platforms=platforms, ad_accounts=accounts):
                self.state = State.PUBLISHING
                for platform in platforms:
                    self.platforms[platform] = PlatformRun(ad_account_id=accounts.get(platform.value))
            case CampaignPublished(platform=platform, platform_campaign_id=campaign_id, ads=ads):
                run = self.platforms.setdefault(platform, PlatformRun())
                run.status, run.platform_campaign_id, run.reason = "published", campaign_id, None
                run.ads = {ad.ad_id: ad for ad in ads}
                self._settle()
            case CampaignPublishFailed(platform=platform, reason=reason, platform_error_code=code, retryable=retry):
                run = self.platforms.setdefault(platform, PlatformRun())
                run.status, run.reason, run.error_code, run.retryable = "failed", reason, code, retry
                self._settle()
            case AdReviewChanged(ad_id=ad_id, review=review):
                self.reviews[ad_id] = review
            case CampaignPaused():
                self.state = State.PAUSED
            case CampaignResumed():
                self._settle()
            case CampaignBudgetChanged(platform=platform, budget=budget):
                plan = self.current_plan
                budgets = [PlatformBudget(platform=platform, budget=budget) if b.platform == platform else b
                           for b in plan.budgets]
                self.plan = plan.model_copy(update={"budgets": budgets})
            case CampaignScheduleChanged(schedule=schedule):
                self.plan = self.current_plan.model_copy(update={"schedule": schedule})
            case CampaignEnded():
                self.state = State.ENDED
            case CampaignArchived():
                self.state = State.ARCHIVED

    def _settle(self) -> None:
        if self.state not in (State.PUBLISHING, State.PAUSED, State.LIVE, State.PARTLY_LIVE, State.FAILED):
            return
        runs = [self.platforms.get(p, PlatformRun()) for p in self.current_plan.platforms]
        self.state = after_publication(
            published=sum(r.status == "published" for r in runs), failed=sum(r.status == "failed" for r in runs),
            pending=sum(r.status == "pending" for r in runs))

    def _record(self, event: Contract) -> list[Contract]:
        self.apply(event)
        return [event]

    def _require(self, action: Action) -> None:
        self.must_exist()
        require(self.state, action)


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 200:
        raise InvalidInput("A campaign name has 1 to 200 characters.", field="name")
    return name

