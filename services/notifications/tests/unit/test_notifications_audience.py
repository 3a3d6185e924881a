"""Who is told of a notice: by role, the member it is about, `only_to`, minus who turned it off."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from adly_events.contracts.auth import WorkspaceRole as Role
from adly_notifications.domain.audience import Member, recipients
from adly_notifications.domain.kinds import KINDS
from adly_notifications.domain.notices import Notice

OWNER, ADMIN, MARKETER, ANALYST = (Member(uuid.uuid4(), role) for role in Role)
TEAM = [OWNER, ADMIN, MARKETER, ANALYST]
WORKSPACE = uuid.uuid4()


def notice(kind: str, **fields) -> Notice:
    return Notice(kind=kind, workspace_id=WORKSPACE, source_event_id=uuid.uuid4(), occurred_at=datetime.now(UTC),
                  **fields)


def test_a_failed_sync_tells_owners_admins_and_marketers_but_not_analysts():
    told = recipients(KINDS["sync.failed"], notice("sync.failed"), TEAM, set())
    assert set(told) == {OWNER.user_id, ADMIN.user_id, MARKETER.user_id}


def test_a_member_who_turned_a_mutable_kind_off_is_not_told():
    told = recipients(KINDS["sync.failed"], notice("sync.failed"), TEAM, {MARKETER.user_id})
    assert set(told) == {OWNER.user_id, ADMIN.user_id}


def test_a_kind_that_is_not_mutable_reaches_even_who_turned_it_off():
    told = recipients(KINDS["store.disconnected"], notice("store.disconnected"), TEAM, {OWNER.user_id})
    assert set(told) == {OWNER.user_id, ADMIN.user_id}


def test_a_campaign_awaiting_approval_tells_the_approvers_only():
    told = recipients(KINDS["campaign.awaiting_approval"], notice("campaign.awaiting_approval"), TEAM, set())
    assert set(told) == {OWNER.user_id, ADMIN.user_id}


def test_a_new_member_hears_of_joining_with_the_owners():
    newcomer = Member(uuid.uuid4(), Role.ANALYST)
    told = recipients(KINDS["member.invited"], notice("member.invited", data={"user_id": str(newcomer.user_id)}),
                      [*TEAM, newcomer], set())
    assert told == [OWNER.user_id, newcomer.user_id]


def test_only_to_names_the_members_told_and_never_an_outsider():
    outsider = uuid.uuid4()
    told = recipients(KINDS["sync.failed"], notice("sync.failed", only_to=(ANALYST.user_id, outsider)), TEAM, set())
    assert told == [ANALYST.user_id]


def test_nobody_is_told_in_a_workspace_without_members():
    assert recipients(KINDS["sync.failed"], notice("sync.failed"), [], set()) == []
