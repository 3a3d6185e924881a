"""The campaign aggregate once it publishes, on plain constructors (adly_campaigns.domain.campaign):
one platform's answer never undoes another's, reviews, pause and resume, budgets under the
workspace's 2FA threshold, schedules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from adly_campaigns.domain.lifecycle import IllegalTransition, State
from adly_campaigns.domain.policies import BudgetPolicy, TwoFactorRequired
from adly_events.contracts.campaigns import (
    AdReviewChanged,
    BudgetKind,
    CampaignBudgetChanged,
    CampaignPublished,
    CampaignPublishRequested,
    CampaignScheduleChanged,
    PublishedAd,
    Schedule,
)
from adly_kit.errors import InvalidInput, NotFound

from .journeys import ACCOUNTS, AUTHOR, META, TIKTOK, WEEK, Journey, budget, only

# -- publishing, platform by platform -------------------------------------------------------------

def test_publishing_starts_on_every_platform_each_into_its_account():
    j = Journey(META, TIKTOK).approved()
    asked = only(j.campaign.request_publish(AUTHOR, ACCOUNTS))
    assert asked == CampaignPublishRequested(requested_by=AUTHOR, platforms=[META, TIKTOK],
                                             ad_accounts={"meta": ACCOUNTS[META], "tiktok": ACCOUNTS[TIKTOK]})
    assert j.campaign.state == State.PUBLISHING
    assert {p: (r.status, r.ad_account_id) for p, r in j.campaign.platforms.items()} == {
        META: ("pending", ACCOUNTS[META]), TIKTOK: ("pending", ACCOUNTS[TIKTOK])}


def test_publishing_needs_an_account_on_every_platform():
    j = Journey(META, TIKTOK).approved()
    with pytest.raises(InvalidInput, match="tiktok") as refused:
        j.campaign.request_publish(AUTHOR, {META: ACCOUNTS[META]})
    assert refused.value.field == "ad_accounts" and j.campaign.state == State.APPROVED


def test_a_campaign_is_publishing_until_every_platform_answered():
    j = Journey(META, TIKTOK).publishing()
    j.published_on(META)
    assert j.campaign.state == State.PUBLISHING


def test_the_published_event_maps_each_adly_ad_to_the_platforms_ids():
    j = Journey(META).publishing()
    published = only(j.published_on(META))
    (ad,) = j.campaign.ads
    assert isinstance(published, CampaignPublished)
    assert published.ads == [PublishedAd(ad_id=ad.ad_id, platform_ad_id="meta-ad-0", platform_ad_set_id="meta-set")]
    assert published.platform_ad_set_ids == ["meta-set"] and published.platform_ad_ids == ["meta-ad-0"]
    assert j.campaign.state == State.LIVE and j.campaign.platforms[META].platform_campaign_id == "meta-campaign"


def test_one_platform_failing_never_rolls_back_another():
    j = Journey(META, TIKTOK).publishing()
    j.published_on(META)
    j.failed_on(TIKTOK)
    assert j.campaign.state == State.PARTLY_LIVE
    meta, tiktok = j.campaign.platforms[META], j.campaign.platforms[TIKTOK]
    assert meta.status == "published" and meta.platform_campaign_id == "meta-campaign" and len(meta.ads) == 1
    assert (tiktok.status, tiktok.reason, tiktok.error_code) == ("failed", "Your page is restricted.", "368")
    assert j.campaign.published_platforms() == [META]


def test_a_campaign_that_failed_on_every_platform_is_failed():
    j = Journey(META, TIKTOK).publishing()
    j.failed_on(TIKTOK, retryable=True)
    j.failed_on(META)
    assert j.campaign.state == State.FAILED and j.campaign.platforms[TIKTOK].retryable


def test_a_retry_publishes_only_the_failed_platform_and_then_the_campaign_is_live():
    j = Journey(META, TIKTOK).publishing()
    j.published_on(META)
    j.failed_on(TIKTOK)
    retry = only(j.do(j.campaign.request_publish(AUTHOR, ACCOUNTS)))
    assert isinstance(retry, CampaignPublishRequested) and retry.platforms == [TIKTOK]
    assert j.campaign.platforms[META].status == "published" and j.campaign.platforms[TIKTOK].status == "pending"
    j.published_on(TIKTOK)
    assert j.campaign.state == State.LIVE


def test_an_answer_for_a_platform_that_answered_already_is_ignored():
    j = Journey(META, TIKTOK).publishing()
    j.published_on(META)
    assert j.published_on(META) == []
    assert j.failed_on(META) == []
    assert j.campaign.platforms[META].status == "published"


# -- the platforms' reviews ----------------------------------------------------------------------

def test_a_review_change_is_recorded_once():
    j = Journey(META).live()
    (ad,) = j.campaign.ads
    changed = only(j.campaign.review_changed(META, "meta-ad-0", "disapproved", "Before-and-after images"))
    assert changed == AdReviewChanged(platform=META, ad_id=ad.ad_id, platform_ad_id="meta-ad-0",
                                      review="disapproved", reason="Before-and-after images")
    assert j.campaign.review_changed(META, "meta-ad-0", "disapproved", "Before-and-after images") == []
    assert j.campaign.reviews == {ad.ad_id: "disapproved"}


def test_a_review_of_an_ad_that_is_not_the_campaigns_is_ignored():
    j = Journey(META).live()
    assert j.campaign.review_changed(META, "someone-elses-ad", "approved", None) == []
    assert j.campaign.review_changed(TIKTOK, "meta-ad-0", "approved", None) == []


# -- pause, resume, end, archive -----------------------------------------------------------------

def test_a_live_campaign_pauses_and_resumes_to_live():
    j = Journey(META).live()
    j.do(j.campaign.pause(AUTHOR))
    assert j.campaign.state == State.PAUSED
    j.do(j.campaign.resume(AUTHOR))
    assert j.campaign.state == State.LIVE


def test_a_partly_live_campaign_resumes_to_partly_live():
    j = Journey(META, TIKTOK).publishing()
    j.published_on(META)
    j.failed_on(TIKTOK)
    j.do(j.campaign.pause(AUTHOR))
    j.do(j.campaign.resume(AUTHOR))
    assert j.campaign.state == State.PARTLY_LIVE


def test_a_paused_campaign_ends_and_is_archived_and_then_nothing_more():
    j = Journey(META).live()
    j.do(j.campaign.pause(AUTHOR))
    j.do(j.campaign.end(AUTHOR, "Eid is over"))
    assert j.campaign.state == State.ENDED
    with pytest.raises(IllegalTransition, match="ended"):
        j.campaign.resume(AUTHOR)
    j.do(j.campaign.archive(AUTHOR))
    assert j.campaign.state == State.ARCHIVED


def test_a_draft_is_archived_without_ending_but_a_live_campaign_is_not():
    draft = Journey(META)
    draft.campaign.archive(AUTHOR)
    assert draft.campaign.state == State.ARCHIVED
    with pytest.raises(IllegalTransition, match="it is live"):
        Journey(META).live().campaign.archive(AUTHOR)


# -- budgets ------------------------------------------------------------------------------------

def test_a_budget_change_on_a_live_campaign_changes_that_platform_only():
    j = Journey(META, TIKTOK).live()
    changed = only(j.campaign.change_budget(TIKTOK, budget("80"), AUTHOR, BudgetPolicy(), two_factor=False))
    assert changed == CampaignBudgetChanged(platform=TIKTOK, budget=budget("80"), previous=budget("100"),
                                            changed_by=AUTHOR)
    assert j.campaign.budget_of(TIKTOK) == budget("80") and j.campaign.budget_of(META) == budget("100")


def test_a_budget_stays_in_its_currency():
    with pytest.raises(InvalidInput, match="SAR") as refused:
        Journey(META).live().campaign.change_budget(META, budget("100", currency="AED"), AUTHOR, BudgetPolicy(),
                                                    two_factor=True)
    assert refused.value.field == "budget.amount.currency"


def test_a_budget_stays_daily_or_lifetime():
    with pytest.raises(InvalidInput) as refused:
        Journey(META).live().campaign.change_budget(META, budget("700", BudgetKind.LIFETIME), AUTHOR, BudgetPolicy(),
                                                    two_factor=True)
    assert refused.value.field == "budget.kind"


def test_the_same_budget_records_nothing():
    assert Journey(META).live().campaign.change_budget(META, budget("100.00"), AUTHOR, BudgetPolicy(),
                                                       two_factor=False) == []


@pytest.mark.parametrize("amount", ["0", "-5"])
@pytest.mark.parametrize("stage", ["draft", "live"])
def test_a_budget_changed_to_nothing_or_less_is_refused(stage: str, amount: str):
    j = Journey(META) if stage == "draft" else Journey(META).live()
    with pytest.raises(InvalidInput) as refused:
        j.campaign.change_budget(META, budget(amount), AUTHOR, BudgetPolicy(), two_factor=True)
    assert refused.value.field == "budget.amount.amount"
    assert j.campaign.budget_of(META) == budget("100")


def test_a_budget_on_a_platform_the_campaign_does_not_run_on_is_not_found():
    with pytest.raises(NotFound) as refused:
        Journey(META).live().campaign.change_budget(TIKTOK, budget("50"), AUTHOR, BudgetPolicy(), two_factor=True)
    assert refused.value.field == "platform"


def test_an_increase_above_the_threshold_without_2fa_needs_a_fresh_proof():
    j = Journey(META).live()
    policy = BudgetPolicy({"SAR": Decimal("200")})
    with pytest.raises(TwoFactorRequired) as refused:
        j.campaign.change_budget(META, budget("250"), AUTHOR, policy, two_factor=False)
    assert refused.value.code == "two-factor-required" and refused.value.status == 403
    assert "200" in str(refused.value) and "SAR" in str(refused.value)
    assert j.campaign.budget_of(META) == budget("100")


def test_an_increase_above_the_threshold_with_2fa_passes():
    j = Journey(META).live()
    j.campaign.change_budget(META, budget("250"), AUTHOR, BudgetPolicy({"SAR": Decimal("200")}), two_factor=True)
    assert j.campaign.budget_of(META) == budget("250")


def test_an_increase_up_to_the_threshold_needs_no_2fa():
    j = Journey(META).live()
    j.campaign.change_budget(META, budget("200"), AUTHOR, BudgetPolicy({"SAR": Decimal("200")}), two_factor=False)
    assert j.campaign.budget_of(META) == budget("200")


def test_a_decrease_never_needs_2fa_even_without_a_threshold():
    j = Journey(META, amount="500").live()
    j.campaign.change_budget(META, budget("400"), AUTHOR, BudgetPolicy(), two_factor=False)
    assert j.campaign.budget_of(META) == budget("400")


def test_without_a_threshold_every_increase_needs_2fa():
    with pytest.raises(TwoFactorRequired, match="without a threshold"):
        Journey(META).live().campaign.change_budget(META, budget("100.01"), AUTHOR, BudgetPolicy(), two_factor=False)


def test_a_threshold_in_another_currency_is_no_threshold():
    with pytest.raises(TwoFactorRequired):
        Journey(META).live().campaign.change_budget(META, budget("101"), AUTHOR, BudgetPolicy({"AED": Decimal("1000")}),
                                                    two_factor=False)


def test_a_lifetime_budget_is_held_to_the_threshold_per_day_of_its_schedule():
    policy = BudgetPolicy({"SAR": Decimal("150")})
    j = Journey(META, amount="700", kind=BudgetKind.LIFETIME).live()   # 7 days of WEEK: 100 a day
    j.campaign.change_budget(META, budget("1050", BudgetKind.LIFETIME), AUTHOR, policy, two_factor=False)  # 150 a day
    with pytest.raises(TwoFactorRequired):
        j.campaign.change_budget(META, budget("1057", BudgetKind.LIFETIME), AUTHOR, policy, two_factor=False)


def test_a_draft_changes_its_budget_too_but_a_campaign_in_review_does_not():
    draft = Journey(META)
    draft.campaign.change_budget(META, budget("90"), AUTHOR, BudgetPolicy(), two_factor=False)
    assert draft.campaign.budget_of(META) == budget("90")
    with pytest.raises(IllegalTransition):
        Journey(META).in_review().campaign.change_budget(META, budget("90"), AUTHOR, BudgetPolicy(), two_factor=False)


# -- schedules ----------------------------------------------------------------------------------

def test_a_schedule_that_ends_before_it_starts_is_refused():
    with pytest.raises(InvalidInput) as refused:
        Journey(META).campaign.change_schedule(Schedule(starts_on=date(2031, 3, 5), ends_on=date(2031, 3, 4)), AUTHOR)
    assert refused.value.field == "schedule.ends_on"


def test_a_live_campaign_changes_its_end_date_but_keeps_its_start_date():
    j = Journey(META).live()
    longer = WEEK.model_copy(update={"ends_on": date(2031, 3, 14)})
    changed = only(j.campaign.change_schedule(longer, AUTHOR))
    assert changed == CampaignScheduleChanged(schedule=longer, changed_by=AUTHOR)
    assert j.campaign.current_plan.schedule == longer
    with pytest.raises(InvalidInput) as refused:
        j.campaign.change_schedule(longer.model_copy(update={"starts_on": date(2031, 3, 2)}), AUTHOR)
    assert refused.value.field == "schedule.starts_on"


def test_the_same_schedule_records_nothing():
    assert Journey(META).live().campaign.change_schedule(WEEK, AUTHOR) == []
