"""A campaign's lifecycle as an explicit state machine: which action is allowed in which state,
and why not otherwise.

    draft ──request creatives──▶ creatives requested ──creatives received──▶ in review
      ▲                                 │ creatives failed                      │ choose ads, reject (stay)
      └─────────────────────────────────┘                                      ▼ approve
                                                                            approved ──publish──▶ publishing
    publishing ──every platform published──▶ live
               ──some published, some failed──▶ partly live ──publish (retry the failed)──▶ publishing
               ──every platform failed──▶ failed ──publish (retry)──▶ publishing
    live / partly live ◀──pause / resume──▶ paused
    live, partly live, paused, failed ──end──▶ ended ──archive──▶ archived

A draft, a campaign in review, an approved or failed one may be archived without ending;
any campaign may be duplicated into a new draft. Changing a budget or the schedule is a
plan edit before publishing and a change on the platforms after.
"""

from __future__ import annotations

from enum import StrEnum

from adly_kit.errors import Conflict


class State(StrEnum):
    DRAFT = "draft"
    CREATIVES_REQUESTED = "creatives_requested"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    PUBLISHING = "publishing"
    LIVE = "live"
    PARTLY_LIVE = "partly_live"
    FAILED = "failed"
    PAUSED = "paused"
    ENDED = "ended"
    ARCHIVED = "archived"


class Action(StrEnum):
    EDIT_PLAN = "edit the plan"
    REQUEST_CREATIVES = "request creatives"
    RECEIVE_CREATIVES = "receive creatives"
    CHOOSE_ADS = "choose ads"
    APPROVE = "approve"
    REJECT = "reject"
    PUBLISH = "publish"
    PAUSE = "pause"
    RESUME = "resume"
    CHANGE_BUDGET = "change the budget"
    CHANGE_SCHEDULE = "change the schedule"
    END = "end"
    ARCHIVE = "archive"


S = State
RUNNING = frozenset({S.LIVE, S.PARTLY_LIVE, S.PAUSED})
ALLOWED: dict[Action, frozenset[State]] = {
    Action.EDIT_PLAN: frozenset({S.DRAFT}),
    Action.REQUEST_CREATIVES: frozenset({S.DRAFT, S.IN_REVIEW}),
    Action.RECEIVE_CREATIVES: frozenset({S.CREATIVES_REQUESTED}),
    # A failed campaign (nothing live) may get other ads, which need approving again.
    Action.CHOOSE_ADS: frozenset({S.IN_REVIEW, S.APPROVED, S.FAILED}),
    Action.APPROVE: frozenset({S.IN_REVIEW}),
    Action.REJECT: frozenset({S.IN_REVIEW, S.APPROVED}),
    Action.PUBLISH: frozenset({S.APPROVED, S.PARTLY_LIVE, S.FAILED}),
    Action.PAUSE: frozenset({S.LIVE, S.PARTLY_LIVE}),
    Action.RESUME: frozenset({S.PAUSED}),
    Action.CHANGE_BUDGET: frozenset({S.DRAFT, *RUNNING}),
    Action.CHANGE_SCHEDULE: frozenset({S.DRAFT, *RUNNING}),
    Action.END: frozenset({S.LIVE, S.PARTLY_LIVE, S.PAUSED, S.FAILED}),
    Action.ARCHIVE: frozenset({S.DRAFT, S.IN_REVIEW, S.APPROVED, S.FAILED, S.ENDED}),
}

# Why an action is refused, said in the merchant's words, by the state it was tried in.
_BECAUSE: dict[State, str] = {
    S.DRAFT: "the campaign is still a draft",
    S.CREATIVES_REQUESTED: "its creatives are still being generated",
    S.IN_REVIEW: "it is waiting for review",
    S.APPROVED: "it is approved and not published yet",
    S.PUBLISHING: "it is being published right now",
    S.LIVE: "it is live",
    S.PARTLY_LIVE: "it is live on some of its platforms",
    S.FAILED: "publishing it failed",
    S.PAUSED: "it is paused",
    S.ENDED: "it has ended",
    S.ARCHIVED: "it is archived",
}


class IllegalTransition(Conflict):
    code = "illegal-transition"


def allowed(state: State, action: Action) -> bool:
    return state in ALLOWED[action]


def require(state: State, action: Action) -> None:
    """Refuse `action` in `state` with a 409 that says why."""
    if not allowed(state, action):
        raise IllegalTransition(f"You cannot {action.value} now: {_BECAUSE[state]}.")


def after_publication(published: int, failed: int, pending: int) -> State:
    """The state once each platform has answered (or still is)."""
    if pending:
        return S.PUBLISHING
    if failed == 0:
        return S.LIVE
    return S.PARTLY_LIVE if published else S.FAILED
