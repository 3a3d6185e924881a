"""The workspace aggregate's rules, in plain Python."""

from uuid import uuid4

import pytest

from adly_auth.domain.workspace import Role, Workspace
from adly_events.contracts.auth import MemberAdded, MemberRoleChanged, OwnershipTransferred, WorkspaceCreated
from adly_kit.errors import Conflict, NotAllowed, NotFound

OWNER, ADMIN, MARKETER, ANALYST, STRANGER = (uuid4() for _ in range(5))


def team() -> Workspace:
    workspace = Workspace(uuid4())
    workspace.create("Shop", OWNER)
    workspace.add_member(ADMIN, Role.ADMIN, OWNER)
    workspace.add_member(MARKETER, Role.MARKETER, ADMIN)
    workspace.add_member(ANALYST, Role.ANALYST, None)
    return workspace


def test_the_creator_becomes_the_owner():
    events = Workspace(uuid4()).create("  My   shop ", OWNER)
    assert events == [WorkspaceCreated(name="My shop", owner_id=OWNER)]


def test_replaying_the_events_rebuilds_the_same_workspace():
    workspace = team()
    history = [WorkspaceCreated(name="Shop", owner_id=OWNER), MemberAdded(user_id=ADMIN, role=Role.ADMIN)]
    assert Workspace.replay(workspace.id, history).members == {OWNER: Role.OWNER, ADMIN: Role.ADMIN}


def test_the_owner_cannot_leave():
    with pytest.raises(Conflict):
        team().remove_member(OWNER, OWNER)


def test_the_owner_cannot_be_demoted_even_by_themselves():
    with pytest.raises(Conflict):
        team().change_role(OWNER, Role.ADMIN, OWNER)


def test_nobody_is_made_owner_by_a_role_change():
    with pytest.raises(NotAllowed):
        team().change_role(MARKETER, Role.OWNER, OWNER)


def test_an_admin_cannot_remove_the_owner():
    with pytest.raises(Conflict):
        team().remove_member(OWNER, ADMIN)


def test_an_admin_changes_a_marketer_into_an_analyst():
    events = team().change_role(MARKETER, Role.ANALYST, ADMIN)
    assert events == [MemberRoleChanged(user_id=MARKETER, old_role=Role.MARKETER, new_role=Role.ANALYST, changed_by=ADMIN)]


def test_a_marketer_cannot_promote_anyone_above_marketer():
    with pytest.raises(NotAllowed):
        team().change_role(ANALYST, Role.ADMIN, MARKETER)


def test_a_member_may_leave():
    workspace = team()
    workspace.remove_member(ANALYST, ANALYST)
    assert ANALYST not in workspace.members


def test_a_stranger_sees_no_workspace():
    with pytest.raises(NotFound):
        team().rename("New", STRANGER)


def test_ownership_transfer_makes_the_previous_owner_an_admin():
    workspace = team()
    assert workspace.transfer_ownership(MARKETER, OWNER) == [OwnershipTransferred(previous_owner_id=OWNER, new_owner_id=MARKETER)]
    assert workspace.members[OWNER] == Role.ADMIN and workspace.members[MARKETER] == Role.OWNER


def test_only_the_owner_transfers_ownership():
    with pytest.raises(NotAllowed):
        team().transfer_ownership(MARKETER, ADMIN)


def test_a_deleted_workspace_has_no_members_and_takes_no_commands():
    workspace = team()
    workspace.delete(OWNER)
    assert workspace.members == {} and not workspace.exists
    with pytest.raises(NotFound):
        workspace.rename("Again", OWNER)


def test_the_same_person_cannot_join_twice():
    with pytest.raises(Conflict):
        team().add_member(ANALYST, Role.ANALYST, OWNER)


def test_each_decision_moves_the_version_by_its_events():
    assert team().version == 4
