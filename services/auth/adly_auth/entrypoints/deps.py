"""The vocabulary of the auth API: adapters, the signed-in user, a workspace member with a permission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends

from adly_auth.adapters.container import Adapters
from adly_auth.domain.errors import SessionEnded, TwoFactorRequired
from adly_auth.domain.workspace import Role
from adly_kit.app import adapters
from adly_kit.errors import NotAllowed, NotFound
from adly_kit.identity import CurrentIdentity, Identity
from adly_kit.permissions import allows, needs_two_factor

AdaptersDep = Annotated[Adapters, Depends(adapters)]


@dataclass(frozen=True)
class SignedIn:
    identity: Identity
    user_id: UUID
    sid: UUID


async def signed_in_user(identity: CurrentIdentity, a: AdaptersDep) -> SignedIn:
    """A person (not an API key) whose session is still live."""
    if identity.kind != "user" or identity.sid is None or identity.user_id is None:
        raise NotAllowed("This needs a signed-in user.")
    try:
        sid = UUID(identity.sid)
    except ValueError:
        raise SessionEnded() from None
    async with a.engine.connect() as conn:
        if not await a.sessions.is_live(conn, sid, identity.user_id):
            raise SessionEnded()
    return SignedIn(identity, identity.user_id, sid)


CurrentUser = Annotated[SignedIn, Depends(signed_in_user)]


@dataclass(frozen=True)
class Member:
    identity: Identity
    workspace_id: UUID
    role: Role
    user_id: UUID | None  # None for an API key

    def may(self, permission: str) -> None:
        if not allows(self.role, permission):
            raise NotAllowed("Your role does not allow this.")
        if needs_two_factor(permission) and not self.identity.mfa:
            raise TwoFactorRequired()

    def person(self) -> UUID:
        if self.user_id is None:
            raise NotAllowed("API keys cannot do this; a signed-in member can.")
        return self.user_id


async def workspace_member(workspace_id: UUID, identity: CurrentIdentity, a: AdaptersDep) -> Member:
    """The caller's role in the workspace from auth's own data; not a member → 404, as if
    the workspace did not exist."""
    if identity.ws is not None and identity.ws != workspace_id:
        raise NotFound("No such workspace.")
    if identity.kind == "user":
        user = await signed_in_user(identity, a)
        async with a.engine.connect() as conn:
            role = await a.workspace_queries.role(conn, workspace_id, user.user_id)
        user_id: UUID | None = user.user_id
    else:
        role, user_id = await _api_key_role(a, identity, workspace_id), None
    if role is None:
        raise NotFound("No such workspace.")
    return Member(identity, workspace_id, Role(role), user_id)


async def _api_key_role(a: Adapters, identity: Identity, workspace_id: UUID) -> str | None:
    try:
        key_id = UUID(identity.sub.removeprefix("apikey:"))
    except ValueError:
        return None
    async with a.engine.connect() as conn:
        key = await a.api_keys.get(conn, key_id)
        if key is None or key.revoked_at is not None or key.workspace_id != workspace_id:
            return None
        return key.role if await a.workspace_queries.exists(conn, workspace_id) else None


def permission(name: str) -> Any:
    async def check(member: Annotated[Member, Depends(workspace_member)]) -> Member:
        member.may(name)
        return member

    return Annotated[Member, Depends(check)]


CurrentMember = Annotated[Member, Depends(workspace_member)]
WorkspaceRead = permission("workspace.read")
WorkspaceUpdate = permission("workspace.update")
WorkspaceDelete = permission("workspace.delete")
MembersRead = permission("members.read")
MembersInvite = permission("members.invite")
MembersChangeRole = permission("members.change_role")
OwnershipTransfer = permission("ownership.transfer")
ApiKeysRead = permission("api_keys.read")
ApiKeysCreate = permission("api_keys.create")
ApiKeysRevoke = permission("api_keys.revoke")
