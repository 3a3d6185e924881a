"""Workspaces, members and invitations, driven through adly_auth.handlers on in-memory ports."""

from __future__ import annotations

import uuid
from uuid import UUID

import pytest

from adly_auth.domain.workspace import Role
from adly_auth.handlers import accounts, api_keys, workspaces
from adly_events.contracts.auth import (
    ApiKeyRevoked,
    MemberAdded,
    MemberRoleChanged,
    OwnershipTransferred,
    WorkspaceCreated,
    WorkspaceDeleted,
    WorkspaceRenamed,
)
from adly_kit.errors import Conflict, NotAllowed, NotFound
from adly_kit.testing.doubles import NO_DATABASE

from .doubles import World, claims_of, world


async def person(w: World, email: str, *, verified: bool = True) -> UUID:
    """A signed-up person; unverified ones (accounts from before sign-up links) are added as such."""
    if not verified:
        user_id = uuid.uuid4()
        await w.users.add(NO_DATABASE, user_id, email, "plain:correct horse battery staple", verified=False)
        return user_id
    await accounts.signup(NO_DATABASE, w.a, email, "correct horse battery staple")
    tokens = await accounts.confirm_signup(NO_DATABASE, w.a, w.outbox.link_token(email, "confirm-signup"))
    return UUID(claims_of(tokens.access_token)["sub"])


async def join(w: World, workspace_id: UUID, email: str, role: Role, by: UUID) -> UUID:
    user_id = await person(w, email)
    await workspaces.invite(NO_DATABASE, w.a, workspace_id, email, role, by)
    await workspaces.accept_invitation(NO_DATABASE, w.a, w.outbox.link_token(email, "invitations"), user_id)
    return user_id


async def shop(w: World) -> tuple[UUID, UUID]:
    owner = await person(w, "owner@example.com")
    workspace = await workspaces.create(NO_DATABASE, w.a, "Ada's shop", owner)
    return workspace.id, owner


async def test_creating_a_workspace_makes_its_creator_the_owner_and_records_it():
    w = world()
    workspace_id, owner = await shop(w)
    assert w.log.of(workspace_id) == [WorkspaceCreated(name="Ada's shop", owner_id=owner)]
    assert (await w.a.workspaces.load(NO_DATABASE, workspace_id)).role_of(owner) == Role.OWNER


async def test_renaming_records_the_new_name_and_the_same_name_again_records_nothing():
    w = world()
    workspace_id, owner = await shop(w)
    renamed = await workspaces.rename(NO_DATABASE, w.a, workspace_id, "  Ada's   bakery ", owner)
    await workspaces.rename(NO_DATABASE, w.a, workspace_id, "Ada's bakery", owner)
    assert renamed.name == "Ada's bakery"
    assert w.log.of(workspace_id)[1:] == [WorkspaceRenamed(name="Ada's bakery", renamed_by=owner)]


async def test_a_stranger_renaming_a_workspace_is_told_it_does_not_exist():
    w = world()
    workspace_id, _ = await shop(w)
    with pytest.raises(NotFound) as refused:
        await workspaces.rename(NO_DATABASE, w.a, workspace_id, "Mine now", uuid.uuid4())
    assert refused.value.status == 404 and refused.value.code == "not-found"


async def test_an_invitation_mails_a_link_with_which_the_invited_person_joins_in_the_offered_role():
    w = world()
    workspace_id, owner = await shop(w)
    marketer = await person(w, "mia@example.com")
    invitation = await workspaces.invite(NO_DATABASE, w.a, workspace_id, "Mia@Example.com", Role.MARKETER, owner)
    mail = w.outbox.to("mia@example.com")[-1]
    assert invitation.email == "mia@example.com" and "Ada's shop" in mail.subject
    assert "https://app.adly.test/invitations/" in mail.body

    joined = await workspaces.accept_invitation(NO_DATABASE, w.a, w.outbox.link_token(mail.to, "invitations"), marketer)
    assert joined == workspace_id
    assert w.log.of(workspace_id)[-1] == MemberAdded(user_id=marketer, role=Role.MARKETER, invited_by=owner)


async def test_an_invitation_works_once():
    w = world()
    workspace_id, owner = await shop(w)
    mia = await join(w, workspace_id, "mia@example.com", Role.ANALYST, owner)
    token = w.outbox.link_token("mia@example.com", "invitations")
    with pytest.raises(NotFound):
        await workspaces.accept_invitation(NO_DATABASE, w.a, token, mia)


async def test_an_invitation_taken_by_another_address_looks_like_no_invitation_at_all():
    w = world()
    workspace_id, owner = await shop(w)
    await workspaces.invite(NO_DATABASE, w.a, workspace_id, "mia@example.com", Role.ANALYST, owner)
    eve = await person(w, "eve@example.com")
    with pytest.raises(NotFound) as refused:
        await workspaces.accept_invitation(NO_DATABASE, w.a, w.outbox.link_token("mia@example.com", "invitations"), eve)
    assert str(refused.value) == "The invitation is invalid, used or expired."
    assert not any(isinstance(e.payload, MemberAdded) for e in w.log)


async def test_an_unverified_address_cannot_accept_an_invitation():
    w = world()
    workspace_id, owner = await shop(w)
    mia = await person(w, "mia@example.com", verified=False)
    await workspaces.invite(NO_DATABASE, w.a, workspace_id, "mia@example.com", Role.ANALYST, owner)
    with pytest.raises(NotAllowed) as refused:
        await workspaces.accept_invitation(NO_DATABASE, w.a, w.outbox.link_token("mia@example.com", "invitations"), mia)
    assert refused.value.status == 403 and "Verify your email" in str(refused.value)


async def test_nobody_invites_above_their_own_role():
    w = world()
    workspace_id, owner = await shop(w)
    marketer = await join(w, workspace_id, "mia@example.com", Role.MARKETER, owner)
    with pytest.raises(NotAllowed) as refused:
        await workspaces.invite(NO_DATABASE, w.a, workspace_id, "ann@example.com", Role.ADMIN, marketer)
    assert refused.value.path == "body/role"
    assert w.outbox.to("ann@example.com") == []


async def test_inviting_someone_who_is_a_member_already_is_a_conflict_on_the_email():
    w = world()
    workspace_id, owner = await shop(w)
    await join(w, workspace_id, "mia@example.com", Role.ANALYST, owner)
    with pytest.raises(Conflict) as refused:
        await workspaces.invite(NO_DATABASE, w.a, workspace_id, "mia@example.com", Role.MARKETER, owner)
    assert (refused.value.status, refused.value.path) == (409, "body/email")


async def test_an_admin_changes_a_marketers_role_and_the_change_is_recorded():
    w = world()
    workspace_id, owner = await shop(w)
    admin = await join(w, workspace_id, "adam@example.com", Role.ADMIN, owner)
    marketer = await join(w, workspace_id, "mia@example.com", Role.MARKETER, admin)
    await workspaces.change_role(NO_DATABASE, w.a, workspace_id, marketer, Role.ANALYST, admin)
    assert w.log.of(workspace_id)[-1] == MemberRoleChanged(user_id=marketer, old_role=Role.MARKETER,
                                                           new_role=Role.ANALYST, changed_by=admin)


async def test_the_owner_cannot_be_demoted_by_a_role_change():
    w = world()
    workspace_id, owner = await shop(w)
    with pytest.raises(Conflict) as refused:
        await workspaces.change_role(NO_DATABASE, w.a, workspace_id, owner, Role.ADMIN, owner)
    assert refused.value.code == "conflict"


async def test_transferring_ownership_makes_the_new_owner_owner_and_the_old_one_an_admin():
    w = world()
    workspace_id, owner = await shop(w)
    admin = await join(w, workspace_id, "adam@example.com", Role.ADMIN, owner)
    await workspaces.transfer_ownership(NO_DATABASE, w.a, workspace_id, admin, owner)
    assert w.log.of(workspace_id)[-1] == OwnershipTransferred(previous_owner_id=owner, new_owner_id=admin)
    workspace = await w.a.workspaces.load(NO_DATABASE, workspace_id)
    assert (workspace.role_of(admin), workspace.role_of(owner)) == (Role.OWNER, Role.ADMIN)


async def test_only_the_owner_hands_over_ownership():
    w = world()
    workspace_id, owner = await shop(w)
    admin = await join(w, workspace_id, "adam@example.com", Role.ADMIN, owner)
    with pytest.raises(NotAllowed):
        await workspaces.transfer_ownership(NO_DATABASE, w.a, workspace_id, admin, admin)


async def test_deleting_a_workspace_revokes_its_api_keys_with_it():
    w = world()
    workspace_id, owner = await shop(w)
    key, _ = await api_keys.create(NO_DATABASE, w.a, workspace_id, "shop sync", Role.MARKETER, owner, Role.OWNER)
    await workspaces.delete(NO_DATABASE, w.a, workspace_id, owner)
    assert w.log.of(workspace_id)[-1] == WorkspaceDeleted(deleted_by=owner)
    assert w.log.of(key.id)[-1] == ApiKeyRevoked(revoked_by=owner)
    assert w.api_keys.rows[key.id].revoked_at is not None
    assert not (await w.a.workspaces.load(NO_DATABASE, workspace_id)).exists


async def test_only_the_owner_deletes_a_workspace():
    w = world()
    workspace_id, owner = await shop(w)
    admin = await join(w, workspace_id, "adam@example.com", Role.ADMIN, owner)
    with pytest.raises(NotAllowed):
        await workspaces.delete(NO_DATABASE, w.a, workspace_id, admin)
    assert (await w.a.workspaces.load(NO_DATABASE, workspace_id)).exists
