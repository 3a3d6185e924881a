"""Workspace commands: load the aggregate, let it decide, save its events."""

from __future__ import annotations

import uuid
from urllib.parse import quote
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_auth.adapters.container import Adapters
from adly_auth.domain.credentials import normalise_email
from adly_auth.domain.records import Invitation, Mail
from adly_auth.domain.workspace import Role, Workspace
from adly_auth.handlers.api_keys import revoke_all_keys
from adly_auth.handlers.user_events import known_user
from adly_kit.errors import Conflict, InvalidInput, NotAllowed, NotFound
from adly_kit.sql import utc_now


async def create(tx: AsyncConnection, a: Adapters, name: str, owner_id: UUID) -> Workspace:
    workspace = Workspace(uuid.uuid4())
    await a.workspaces.save(tx, workspace, workspace.create(name, owner_id))
    return workspace


async def rename(tx: AsyncConnection, a: Adapters, workspace_id: UUID, name: str, by: UUID) -> Workspace:
    workspace = await a.workspaces.load(tx, workspace_id)
    await a.workspaces.save(tx, workspace, workspace.rename(name, by))
    return workspace


async def change_role(tx: AsyncConnection, a: Adapters, workspace_id: UUID, user_id: UUID, role: Role, by: UUID) -> None:
    workspace = await a.workspaces.load(tx, workspace_id)
    await a.workspaces.save(tx, workspace, workspace.change_role(user_id, role, by))


async def remove_member(tx: AsyncConnection, a: Adapters, workspace_id: UUID, user_id: UUID, by: UUID) -> None:
    workspace = await a.workspaces.load(tx, workspace_id)
    await a.workspaces.save(tx, workspace, workspace.remove_member(user_id, by))


async def transfer_ownership(tx: AsyncConnection, a: Adapters, workspace_id: UUID, new_owner: UUID, by: UUID) -> None:
    workspace = await a.workspaces.load(tx, workspace_id)
    await a.workspaces.save(tx, workspace, workspace.transfer_ownership(new_owner, by))


async def delete(tx: AsyncConnection, a: Adapters, workspace_id: UUID, by: UUID) -> None:
    workspace = await a.workspaces.load(tx, workspace_id)
    await a.workspaces.save(tx, workspace, workspace.delete(by))
    await revoke_all_keys(tx, a, workspace_id, by)


async def invite(tx: AsyncConnection, a: Adapters, workspace_id: UUID, email: str, role: Role, by: UUID) -> Invitation:
    workspace = await a.workspaces.load(tx, workspace_id)
    actor = workspace.role_of(by)
    if actor is None:
        raise NotFound("No such workspace.")
    email = normalise_email(email)
    if role == Role.OWNER:
        raise NotAllowed("Ownership is only handed over by a transfer.", field="role")
    workspace.may_grant(actor, role)
    invitee = await a.users.by_email(tx, email)
    if invitee is not None and invitee.id in workspace.members:
        raise Conflict("Already a member of this workspace.", field="email")
    invitation, token = await a.invitations.create(tx, workspace_id, email, role, by, a.seconds("invitation_ttl"))
    link = f"{a.settings.public_base_url}/invitations/{quote(token)}"
    await a.mail.enqueue(tx, Mail(email, f"You are invited to {workspace.name} on ADLY",
                                  f"You are invited to join the workspace {workspace.name} on ADLY as {role}.\n\n"
                                  f"{link}\n\nSign in with this email address to accept. The link expires in 7 days."))
    return invitation


async def accept_invitation(tx: AsyncConnection, a: Adapters, token: str, user_id: UUID) -> UUID:
    invitation = await a.invitations.by_token(tx, token)
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= utc_now():
        raise NotFound("The invitation is invalid, used or expired.")
    user = await known_user(tx, a, user_id)
    if user.email != invitation.email:
        raise NotFound("The invitation is invalid, used or expired.")
    if user.email_verified_at is None:
        raise NotAllowed("Verify your email address first.")
    workspace = await a.workspaces.load(tx, invitation.workspace_id)
    if not workspace.exists:
        raise NotFound("The invitation is invalid, used or expired.")
    inviter = invitation.invited_by if workspace.role_of(invitation.invited_by) else None
    if inviter is None and Role(invitation.role) not in (Role.MARKETER, Role.ANALYST):
        raise InvalidInput("The person who invited you is no longer a member; ask for a new invitation.")
    await a.workspaces.save(tx, workspace, workspace.add_member(user_id, Role(invitation.role), inviter))
    await a.invitations.mark_accepted(tx, invitation.id)
    return workspace.id
