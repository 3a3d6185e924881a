"""Workspaces, members, invitations, ownership and API keys. Each route names its permission;
the role comes from auth's own membership data (the gateway checks too)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from adly_auth.adapters.container import Adapters
from adly_auth.domain.records import ApiKey
from adly_auth.entrypoints.deps import (
    AdaptersDep,
    ApiKeysCreate,
    ApiKeysRead,
    ApiKeysRevoke,
    CurrentMember,
    CurrentUser,
    MembersChangeRole,
    MembersInvite,
    MembersRead,
    OwnershipTransfer,
    WorkspaceDelete,
    WorkspaceRead,
    WorkspaceUpdate,
)
from adly_auth.entrypoints.schemas import (
    NO_STORE,
    Accepted,
    ApiKeyOut,
    CreatedApiKey,
    InvitationOut,
    MemberOut,
    NewApiKey,
    NewInvitation,
    NewWorkspace,
    RoleChange,
    WorkspaceChange,
    WorkspaceOut,
)
from adly_auth.entrypoints.schemas import (
    OwnershipTransfer as OwnershipTransferBody,
)
from adly_auth.handlers import api_keys, workspaces
from adly_kit.db import unit_of_work
from adly_kit.errors import NotFound

router = APIRouter(prefix="/v1/workspaces", tags=["workspaces"])
invitations_router = APIRouter(prefix="/v1/invitations", tags=["workspaces"])


async def _view(a: Adapters, workspace_id: UUID, user_id: UUID) -> WorkspaceOut:
    async with a.engine.connect() as conn:
        view = await a.workspace_queries.one(conn, workspace_id, user_id)
    if view is None:
        raise NotFound("No such workspace.")
    return WorkspaceOut(id=view.id, name=view.name, role=view.role, created_at=view.created_at)


@router.post("", status_code=201, response_model=WorkspaceOut)
async def create_workspace(body: NewWorkspace, user: CurrentUser, a: AdaptersDep) -> WorkspaceOut:
    """Create a workspace; you become its owner."""
    async with unit_of_work(a.engine) as tx:
        workspace = await workspaces.create(tx, a, body.name, user.user_id)
    return await _view(a, workspace.id, user.user_id)


@router.get("", response_model=list[WorkspaceOut])
async def my_workspaces(user: CurrentUser, a: AdaptersDep) -> list[WorkspaceOut]:
    async with a.engine.connect() as conn:
        views = await a.workspace_queries.mine(conn, user.user_id)
    return [WorkspaceOut(id=v.id, name=v.name, role=v.role, created_at=v.created_at) for v in views]


@router.get("/{workspace_id}", response_model=WorkspaceOut)
async def get_workspace(workspace_id: UUID, member: WorkspaceRead, a: AdaptersDep) -> WorkspaceOut:
    async with a.engine.connect() as conn:
        found = await a.workspace_queries.by_id(conn, workspace_id)
    if found is None:
        raise NotFound("No such workspace.")
    return WorkspaceOut(id=found.id, name=found.name, role=member.role, created_at=found.created_at)


@router.patch("/{workspace_id}", response_model=WorkspaceOut)
async def rename_workspace(workspace_id: UUID, body: WorkspaceChange, member: WorkspaceUpdate, a: AdaptersDep) -> WorkspaceOut:
    async with unit_of_work(a.engine) as tx:
        await workspaces.rename(tx, a, workspace_id, body.name, member.person())
    return await get_workspace(workspace_id, member, a)


@router.delete("/{workspace_id}", status_code=204)
async def delete_workspace(workspace_id: UUID, member: WorkspaceDelete, a: AdaptersDep) -> Response:
    """Delete the workspace (owner, with a 2FA proof); every member and API key loses access."""
    async with unit_of_work(a.engine) as tx:
        await workspaces.delete(tx, a, workspace_id, member.person())
    return Response(status_code=204)


@router.get("/{workspace_id}/members", response_model=list[MemberOut])
async def members(workspace_id: UUID, member: MembersRead, a: AdaptersDep) -> list[MemberOut]:
    async with a.engine.connect() as conn:
        found = await a.workspace_queries.members(conn, workspace_id)
    return [MemberOut(user_id=m.user_id, email=m.email, role=m.role, joined_at=m.joined_at) for m in found]


@router.patch("/{workspace_id}/members/{user_id}", status_code=204)
async def change_role(workspace_id: UUID, user_id: UUID, body: RoleChange, member: MembersChangeRole,
                      a: AdaptersDep) -> Response:
    """Change a member's role (not to or from owner: transfer ownership for that)."""
    async with unit_of_work(a.engine) as tx:
        await workspaces.change_role(tx, a, workspace_id, user_id, body.role, member.person())
    return Response(status_code=204)


@router.delete("/{workspace_id}/members/{user_id}", status_code=204)
async def remove_member(workspace_id: UUID, user_id: UUID, member: CurrentMember, a: AdaptersDep) -> Response:
    """Remove a member (`members.remove`, with a 2FA proof), or leave (your own user id)."""
    member.may("workspace.read" if user_id == member.user_id else "members.remove")
    async with unit_of_work(a.engine) as tx:
        await workspaces.remove_member(tx, a, workspace_id, user_id, member.person())
    return Response(status_code=204)


@router.post("/{workspace_id}/ownership", status_code=204)
async def transfer_ownership(workspace_id: UUID, body: OwnershipTransferBody, member: OwnershipTransfer,
                             a: AdaptersDep) -> Response:
    """Hand ownership to another member; you become an admin."""
    async with unit_of_work(a.engine) as tx:
        await workspaces.transfer_ownership(tx, a, workspace_id, body.user_id, member.person())
    return Response(status_code=204)


@router.post("/{workspace_id}/invitations", status_code=201, response_model=InvitationOut)
async def invite(workspace_id: UUID, body: NewInvitation, member: MembersInvite, a: AdaptersDep) -> InvitationOut:
    """Invite someone by email; the link in the mail expires in 7 days."""
    async with unit_of_work(a.engine) as tx:
        invitation = await workspaces.invite(tx, a, workspace_id, body.email, body.role, member.person())
    return InvitationOut(id=invitation.id, workspace_id=workspace_id, email=invitation.email, role=invitation.role,
                         expires_at=invitation.expires_at)


@invitations_router.post("/{token}/accept", response_model=Accepted)
async def accept_invitation(token: str, user: CurrentUser, a: AdaptersDep) -> Accepted:
    """Join the workspace; the invitation must be for your (verified) email address."""
    async with unit_of_work(a.engine) as tx:
        workspace_id = await workspaces.accept_invitation(tx, a, token, user.user_id)
    return Accepted(workspace_id=workspace_id)


def _key_out(key: ApiKey) -> dict:
    return ApiKeyOut(id=key.id, workspace_id=key.workspace_id, name=key.name, role=key.role, created_by=key.created_by,
                     created_at=key.created_at, revoked_at=key.revoked_at).model_dump(mode="json")


@router.post("/{workspace_id}/api-keys", status_code=201, response_model=CreatedApiKey)
async def create_api_key(workspace_id: UUID, body: NewApiKey, member: ApiKeysCreate, a: AdaptersDep):
    """Create an API key; its secret is in this answer only."""
    async with unit_of_work(a.engine) as tx:
        key, secret = await api_keys.create(tx, a, workspace_id, body.name, body.role, member.person(), member.role)
    return JSONResponse(_key_out(key) | {"secret": secret}, 201, headers=NO_STORE)


@router.get("/{workspace_id}/api-keys", response_model=list[ApiKeyOut])
async def list_api_keys(workspace_id: UUID, member: ApiKeysRead, a: AdaptersDep):
    async with a.engine.connect() as conn:
        keys = await a.api_keys.of_workspace(conn, workspace_id)
    return JSONResponse([_key_out(key) for key in keys])


@router.delete("/{workspace_id}/api-keys/{key_id}", status_code=204)
async def revoke_api_key(workspace_id: UUID, key_id: UUID, member: ApiKeysRevoke, a: AdaptersDep) -> Response:
    async with unit_of_work(a.engine) as tx:
        await api_keys.revoke(tx, a, workspace_id, key_id, member.user_id)
    return Response(status_code=204)
