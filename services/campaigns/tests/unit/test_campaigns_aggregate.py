"""The campaign aggregate before it runs, on plain constructors (adly_campaigns.domain.campaign):
drafting, plan edits, creatives, the ads chosen, the approval gate, and the state replayed."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from adly_campaigns.domain.campaign import Campaign
from adly_campaigns.domain.lifecycle import IllegalTransition, State
from adly_campaigns.domain.policies import ApprovalPolicy, BudgetPolicy
from adly_events.contracts.campaigns import (
    AdsChosen,
    CampaignApproved,
    CampaignDrafted,
    CampaignPlanChanged,
    CampaignRejected,
    CreativesFailed,
    CreativesReceived,
    CreativesRequested,
)
from adly_events.contracts.common import AdPlatform
from adly_kit.errors import InvalidInput, NotAllowed, NotFound
from adly_kit.permissions import Role

from .journeys import ACCOUNTS, AUTHOR, META, PRODUCT, REVIEWER, TIKTOK, WEEK, Journey, a_plan, an_ad, budget, only

# -- drafting and editing -------------------------------------------------------------------------

def test_a_drafted_campaign_is_a_draft_with_its_plan_its_author_and_a_tidy_name():
    j = Journey(META)
    drafted = only(j.events)
    assert isinstance(drafted, CampaignDrafted) and drafted.name == "Eid sale" and drafted.drafted_by == AUTHOR
    assert j.campaign.state == State.DRAFT and j.campaign.version == 1 and j.campaign.current_plan == a_plan(META)


def test_a_campaign_needs_a_name():
    with pytest.raises(InvalidInput) as refused:
        Campaign(uuid.uuid4()).draft("   ", "", a_plan(), AUTHOR)
    assert refused.value.field == "name"


def test_a_campaign_is_drafted_only_once():
    with pytest.raises(InvalidInput):
        Journey().campaign.draft("Again", "", a_plan(), AUTHOR)


def test_a_campaign_that_was_never_drafted_is_not_found():
    with pytest.raises(NotFound):
        Campaign(uuid.uuid4()).pause(AUTHOR)


def test_a_draft_plan_is_edited_and_an_edit_that_changes_nothing_records_nothing():
    j = Journey(META)
    changed = only(j.campaign.change_plan("Summer", a_plan(META, amount="150"), AUTHOR))
    assert isinstance(changed, CampaignPlanChanged) and changed.name == "Summer"
    assert j.campaign.budget_of(META) == budget("150")
    assert j.campaign.change_plan(None, a_plan(META, amount="150"), AUTHOR) == []


def test_a_plan_cannot_be_edited_once_the_campaign_is_in_review():
    j = Journey(META).in_review()
    with pytest.raises(IllegalTransition, match="waiting for review"):
        j.campaign.change_plan(None, a_plan(META, amount="150"), AUTHOR)


# -- creatives ------------------------------------------------------------------------------------

def test_asking_for_creatives_names_the_plans_products_platforms_and_language():
    j = Journey(META, TIKTOK)
    asked = only(j.campaign.request_creatives(j.request))
    assert asked == CreativesRequested(request_id=j.request, product_ids=[PRODUCT], platforms=[META, TIKTOK],
                                       language="ar", variants_per_platform=2)
    assert j.campaign.state == State.CREATIVES_REQUESTED


def test_creatives_are_asked_for_only_with_a_product_to_show():
    j = Journey(META, products=())
    with pytest.raises(InvalidInput) as refused:
        j.campaign.request_creatives(j.request)
    assert refused.value.field == "plan.product_ids"


def test_creatives_received_put_the_proposed_ads_in_review():
    j = Journey(META).in_review()
    received = j.events[-1]
    assert isinstance(received, CreativesReceived) and received.alternatives == 3
    assert j.campaign.state == State.IN_REVIEW and j.campaign.ads == received.ads


def test_an_answer_to_a_stale_request_is_ignored():
    j = Journey(META)
    j.do(j.campaign.request_creatives(j.request))
    assert j.campaign.receive_creatives(uuid.uuid4(), [an_ad(META)], 0) == []
    assert j.campaign.creatives_failed(uuid.uuid4(), "timeout", None) == []
    assert j.campaign.state == State.CREATIVES_REQUESTED


def test_an_answer_received_twice_is_recorded_once():
    j = Journey(META).in_review()
    assert j.campaign.receive_creatives(j.request, [an_ad(META)], 0) == []


def test_creatives_that_failed_make_the_campaign_a_draft_again_that_may_ask_anew():
    j = Journey(META)
    j.do(j.campaign.request_creatives(j.request))
    failed = only(j.campaign.creatives_failed(j.request, "The provider is down.", "provider-unavailable"))
    assert isinstance(failed, CreativesFailed) and failed.reason == "The provider is down."
    assert j.campaign.state == State.DRAFT
    assert isinstance(only(j.campaign.request_creatives(uuid.uuid4())), CreativesRequested)


def test_an_answer_with_no_ad_is_a_failure():
    j = Journey(META)
    j.do(j.campaign.request_creatives(j.request))
    failed = only(j.campaign.receive_creatives(j.request, [], 0))
    assert isinstance(failed, CreativesFailed) and failed.code == "empty"
    assert j.campaign.state == State.DRAFT


# -- choosing ads ---------------------------------------------------------------------------------

def test_every_platform_needs_an_ad():
    j = Journey(META, TIKTOK).in_review()
    with pytest.raises(InvalidInput, match="tiktok") as refused:
        j.campaign.choose_ads([an_ad(META)], AUTHOR)
    assert refused.value.field == "ads"


def test_an_ad_for_a_platform_the_campaign_does_not_run_on_is_refused_with_its_field_path():
    j = Journey(META).in_review()
    with pytest.raises(InvalidInput) as refused:
        j.campaign.choose_ads([an_ad(META), an_ad(AdPlatform.SNAPCHAT)], AUTHOR)
    assert refused.value.field == "ads.1.platform"


def test_an_ad_is_chosen_once():
    j = Journey(META).in_review()
    ad = an_ad(META)
    with pytest.raises(InvalidInput, match="once"):
        j.campaign.choose_ads([ad, ad], AUTHOR)


def test_chosen_ads_replace_the_proposal_and_choosing_them_again_records_nothing():
    j = Journey(META).in_review()
    mine = [an_ad(META, "My own headline")]
    chosen = only(j.campaign.choose_ads(mine, AUTHOR))
    assert isinstance(chosen, AdsChosen) and j.campaign.ads == mine
    assert j.campaign.choose_ads(mine, AUTHOR) == []


def test_choosing_other_ads_after_approval_asks_for_a_new_review():
    j = Journey(META).approved()
    j.campaign.choose_ads([an_ad(META, "Changed my mind")], AUTHOR)
    assert j.campaign.state == State.IN_REVIEW and j.campaign.approved_by is None


# -- the approval gate ----------------------------------------------------------------------------

def test_without_an_approval_policy_the_author_approves_their_own_campaign():
    j = Journey(META).in_review()
    approved = only(j.campaign.approve(AUTHOR, "marketer", ApprovalPolicy(), note="go"))
    assert approved == CampaignApproved(approved_by=AUTHOR, note="go")
    assert j.campaign.state == State.APPROVED and j.campaign.approved_by == AUTHOR


def test_a_required_approval_needs_the_chosen_role_or_above():
    policy = ApprovalPolicy(required=True, approver_role=Role.ADMIN)
    j = Journey(META).in_review()
    for role in ("marketer", "analyst", None):
        with pytest.raises(NotAllowed) as refused:
            j.campaign.approve(REVIEWER, role, policy)
        assert refused.value.code == "approver-required" and "admin" in str(refused.value)
    assert isinstance(only(j.campaign.approve(REVIEWER, "owner", policy)), CampaignApproved)


def test_a_required_approval_by_someone_else_refuses_the_author_even_an_owner():
    policy = ApprovalPolicy(required=True, approver_role=Role.MARKETER, not_author=True)
    j = Journey(META).in_review()
    with pytest.raises(NotAllowed, match="someone other") as refused:
        j.campaign.approve(AUTHOR, "owner", policy)
    assert refused.value.code == "approver-required"
    assert j.campaign.approve(REVIEWER, "marketer", policy)[0] == CampaignApproved(approved_by=REVIEWER)


def test_a_rejection_keeps_the_campaign_in_review_with_who_and_why():
    j = Journey(META).in_review()
    rejected = only(j.campaign.reject(REVIEWER, "admin", ApprovalPolicy(), "The price in the headline is wrong."))
    assert rejected == CampaignRejected(rejected_by=REVIEWER, reason="The price in the headline is wrong.")
    assert j.campaign.state == State.IN_REVIEW and j.campaign.last_rejection == "The price in the headline is wrong."
    j.campaign.approve(REVIEWER, "admin", ApprovalPolicy())
    assert j.campaign.last_rejection is None


def test_a_rejection_follows_the_same_gate_as_an_approval():
    policy = ApprovalPolicy(required=True, approver_role=Role.ADMIN, not_author=True)
    with pytest.raises(NotAllowed):
        Journey(META).in_review().campaign.reject(AUTHOR, "owner", policy, "no")


def test_an_approved_campaign_can_be_rejected_back_to_review():
    j = Journey(META).approved()
    j.campaign.reject(REVIEWER, "admin", ApprovalPolicy(), "Wait for the new photos.")
    assert j.campaign.state == State.IN_REVIEW and j.campaign.approved_by is None


# -- replay -------------------------------------------------------------------------------------

def test_replaying_a_campaigns_events_gives_the_same_campaign_as_the_live_object():
    j = Journey(META, TIKTOK).publishing()
    j.published_on(META)
    j.failed_on(TIKTOK)
    j.do(j.campaign.request_publish(AUTHOR, ACCOUNTS))
    j.published_on(TIKTOK)
    j.do(j.campaign.review_changed(META, "meta-ad-0", "approved", None))
    j.do(j.campaign.pause(AUTHOR))
    j.do(j.campaign.change_budget(META, budget("250"), AUTHOR, BudgetPolicy(), two_factor=True))
    j.do(j.campaign.change_schedule(WEEK.model_copy(update={"ends_on": date(2031, 3, 30)}), AUTHOR))
    j.do(j.campaign.resume(AUTHOR))
    j.do(j.campaign.end(AUTHOR))
    replayed = Campaign.replay(j.campaign.id, j.events)
    assert replayed == j.campaign
    assert replayed.version == len(j.events) and replayed.state == State.ENDED


def test_a_duplicate_is_a_new_draft_that_names_its_original():
    original = Journey(META).live().campaign
    copy = Campaign(uuid.uuid4())
    drafted = only(copy.draft("Eid sale (copy)", original.brief, original.current_plan, REVIEWER,
                              duplicated_from=original.id))
    assert isinstance(drafted, CampaignDrafted) and drafted.duplicated_from == original.id
    assert copy.state == State.DRAFT and copy.current_plan == original.current_plan and not copy.ads
