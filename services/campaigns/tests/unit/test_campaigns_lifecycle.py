"""A campaign's lifecycle, read as sentences: what a merchant may do in which state, and the
409 that says why not otherwise (adly_campaigns.domain.lifecycle)."""

from __future__ import annotations

from itertools import product

import pytest

from adly_campaigns.domain.lifecycle import (
    ALLOWED,
    Action,
    IllegalTransition,
    State,
    after_publication,
    allowed,
    require,
)
from adly_kit.errors import Conflict

# What the 409 says about each state, in the merchant's words (the whole reason is longer).
REASONS = {
    State.DRAFT: "still a draft",
    State.CREATIVES_REQUESTED: "creatives are still being generated",
    State.IN_REVIEW: "waiting for review",
    State.APPROVED: "approved and not published yet",
    State.PUBLISHING: "being published right now",
    State.LIVE: "it is live",
    State.PARTLY_LIVE: "live on some of its platforms",
    State.FAILED: "publishing it failed",
    State.PAUSED: "it is paused",
    State.ENDED: "it has ended",
    State.ARCHIVED: "it is archived",
}


def refusal(state: State, action: Action) -> IllegalTransition:
    with pytest.raises(IllegalTransition) as refused:
        require(state, action)
    return refused.value


# -- sentences ------------------------------------------------------------------------------------

def test_a_draft_cannot_be_paused():
    assert "still a draft" in str(refusal(State.DRAFT, Action.PAUSE))


def test_a_draft_can_be_edited_and_asks_for_creatives():
    require(State.DRAFT, Action.EDIT_PLAN)
    require(State.DRAFT, Action.REQUEST_CREATIVES)


def test_a_plan_cannot_be_edited_once_it_left_the_draft():
    for state in set(State) - {State.DRAFT}:
        assert not allowed(state, Action.EDIT_PLAN), state


def test_a_campaign_waiting_for_creatives_cannot_be_approved():
    assert "still being generated" in str(refusal(State.CREATIVES_REQUESTED, Action.APPROVE))


def test_only_a_campaign_waiting_for_creatives_receives_them():
    assert {s for s in State if allowed(s, Action.RECEIVE_CREATIVES)} == {State.CREATIVES_REQUESTED}


def test_a_campaign_in_review_can_be_approved_or_rejected_but_not_published():
    require(State.IN_REVIEW, Action.APPROVE)
    require(State.IN_REVIEW, Action.REJECT)
    assert "waiting for review" in str(refusal(State.IN_REVIEW, Action.PUBLISH))


def test_an_approved_campaign_publishes_and_cannot_be_approved_twice():
    require(State.APPROVED, Action.PUBLISH)
    assert "approved and not published yet" in str(refusal(State.APPROVED, Action.APPROVE))


def test_a_campaign_being_published_can_do_nothing_but_wait():
    assert not [a for a in Action if allowed(State.PUBLISHING, a)]


def test_a_live_campaign_pauses_and_cannot_be_resumed():
    require(State.LIVE, Action.PAUSE)
    assert "it is live" in str(refusal(State.LIVE, Action.RESUME))


def test_a_paused_campaign_resumes_to_live():
    require(State.PAUSED, Action.RESUME)
    assert after_publication(published=1, failed=0, pending=0) == State.LIVE


def test_a_paused_campaign_cannot_be_paused_again():
    assert "it is paused" in str(refusal(State.PAUSED, Action.PAUSE))


def test_a_running_campaign_changes_its_budget_and_schedule():
    for state in (State.DRAFT, State.LIVE, State.PARTLY_LIVE, State.PAUSED):
        require(state, Action.CHANGE_BUDGET)
        require(state, Action.CHANGE_SCHEDULE)


def test_a_campaign_in_review_cannot_change_its_budget_without_going_back_to_draft():
    assert "waiting for review" in str(refusal(State.IN_REVIEW, Action.CHANGE_BUDGET))


def test_a_campaign_live_on_one_platform_and_failed_on_another_is_partly_live():
    assert after_publication(published=1, failed=1, pending=0) == State.PARTLY_LIVE


def test_a_campaign_live_on_every_platform_is_live():
    assert after_publication(published=3, failed=0, pending=0) == State.LIVE


def test_a_campaign_that_failed_everywhere_is_failed():
    assert after_publication(published=0, failed=2, pending=0) == State.FAILED


def test_a_campaign_with_a_platform_still_answering_is_publishing():
    assert after_publication(published=1, failed=1, pending=1) == State.PUBLISHING


def test_a_partly_live_or_failed_campaign_publishes_again_to_retry():
    require(State.PARTLY_LIVE, Action.PUBLISH)
    require(State.FAILED, Action.PUBLISH)


def test_a_live_campaign_is_not_published_again():
    assert "it is live" in str(refusal(State.LIVE, Action.PUBLISH))


def test_a_failed_campaign_can_be_ended_or_archived_but_not_paused():
    require(State.FAILED, Action.END)
    require(State.FAILED, Action.ARCHIVE)
    assert "publishing it failed" in str(refusal(State.FAILED, Action.PAUSE))


def test_a_running_campaign_must_end_before_it_is_archived():
    for state in (State.LIVE, State.PARTLY_LIVE, State.PAUSED):
        require(state, Action.END)
        assert not allowed(state, Action.ARCHIVE), state


def test_an_ended_campaign_cannot_be_resumed_and_the_409_says_why():
    error = refusal(State.ENDED, Action.RESUME)
    assert isinstance(error, Conflict)
    assert error.status == 409
    assert error.code == "illegal-transition"
    assert str(error) == "You cannot resume now: it has ended."


def test_an_ended_campaign_can_only_be_archived():
    assert [a for a in Action if allowed(State.ENDED, a)] == [Action.ARCHIVE]


def test_an_archived_campaign_can_do_nothing_more():
    assert not [a for a in Action if allowed(State.ARCHIVED, a)]
    assert "it is archived" in str(refusal(State.ARCHIVED, Action.ARCHIVE))


# -- every pair ----------------------------------------------------------------------------------

PAIRS = list(product(State, Action))


@pytest.mark.parametrize(("state", "action"), [(s, a) for s, a in PAIRS if s in ALLOWED[a]],
                         ids=lambda v: str(v.value))
def test_an_allowed_action_passes(state: State, action: Action):
    assert allowed(state, action)
    require(state, action)


@pytest.mark.parametrize(("state", "action"), [(s, a) for s, a in PAIRS if s not in ALLOWED[a]],
                         ids=lambda v: str(v.value))
def test_a_refused_action_is_a_409_naming_the_action_and_why(state: State, action: Action):
    error = refusal(state, action)
    assert error.status == 409 and error.code == "illegal-transition"
    assert str(error).startswith(f"You cannot {action.value} now: ")
    assert REASONS[state] in str(error)


def test_every_action_has_its_states_and_every_state_allows_something_but_the_last():
    assert set(ALLOWED) == set(Action)
    stuck = {s for s in State if not any(allowed(s, a) for a in Action)}
    assert stuck == {State.PUBLISHING, State.ARCHIVED}
