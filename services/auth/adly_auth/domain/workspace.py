"""The workspace aggregate: members and roles, decided here, recorded as contract events.

Each command checks the rules against the state rebuilt from the workspace's events and
returns the new events; `apply` is the only place state changes, for replay and for new
events alike. Who may *attempt* a command is the permission table's business
(`adly_kit.permissions`); the rules here hold whoever asks: one owner, who cannot leave or
be demoted; nobody grants or removes above their own rank; `owner` only by transfer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias
from uuid import UUID

from adly_events.contracts.auth import (
    MemberAdded,
    MemberRemoved,
    MemberRoleChanged,
    OwnershipTransferred,
    WorkspaceCreated,
    WorkspaceDeleted,
    WorkspaceRenamed,
    WorkspaceRole,
)
from adly_events.contracts.common import Contract
from adly_kit.errors import Conflict, InvalidInput, NotAllowed, NotFound

Role: TypeAlias = WorkspaceRole
RANK = {Role.OWNER: 4, Role.ADMIN: 3, Role.MARKETER: 2, Role.ANALYST: 1}
MAX_NAME_LENGTH = 100


def clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise InvalidInput(f"A workspace name has 1 to {MAX_NAME_LENGTH} characters.", field="name")
    return name


@dataclass
class Workspace:
    id: UUID
    version: int = 0
    name: str = ""
    members: dict[UUID, Role] = field(default_factory=dict)
    deleted: bool = False

    @classmethod
    def replay(cls, workspace_id: UUID, history: list[Contract]) -> Workspace:
        workspace = cls(workspace_id)
        for event in history:
            workspace.apply(event)
        return workspace

    @property
    def exists(self) -> bool:
        return self.version > 0 and not self.deleted

    @property
    def owner_id(self) -> UUID | None:
        return next((user for user, role in self.members.items() if role == Role.OWNER), None)

    def role_of(self, user_id: UUID) -> Role | None:
        return self.members.get(user_id) if self.exists else None

    # -- commands ---------------------------------------------------------------------

    def create(self, name: str, owner_id: UUID) -> list[Contract]:
        if self.version:
            raise Conflict("This workspace exists already.")
        return self._record(WorkspaceCreated(name=clean_name(name), owner_id=owner_id))

    def rename(self, name: str, by: UUID) -> list[Contract]:
        self._actor_role(by)
        name = clean_name(name)
        return [] if name == self.name else self._record(WorkspaceRenamed(name=name, renamed_by=by))

    def add_member(self, user_id: UUID, role: Role, invited_by: UUID | None) -> list[Contract]:
        self._must_exist()
        if user_id in self.members:
            raise Conflict("Already a member of this workspace.")
        if role == Role.OWNER:
            raise NotAllowed("Ownership is only handed over by a transfer.", field="role")
        if invited_by is not None:
            self.may_grant(self._actor_role(invited_by), role)
        return self._record(MemberAdded(user_id=user_id, role=role, invited_by=invited_by))

    def change_role(self, user_id: UUID, role: Role, by: UUID) -> list[Contract]:
        actor = self._actor_role(by)
        current = self._member(user_id)
        if current == Role.OWNER:
            raise Conflict("The owner cannot be demoted; transfer ownership first.")
        if role == Role.OWNER:
            raise NotAllowed("Ownership is only handed over by a transfer.", field="role")
        self.may_grant(actor, current)
        self.may_grant(actor, role)
        if role == current:
            return []
        return self._record(MemberRoleChanged(user_id=user_id, old_role=current, new_role=role, changed_by=by))

    def remove_member(self, user_id: UUID, by: UUID) -> list[Contract]:
        actor = self._actor_role(by)
        current = self._member(user_id)
        if current == Role.OWNER:
            raise Conflict("The owner cannot leave or be removed; transfer ownership first.")
        if user_id != by:
            self.may_grant(actor, current)
        return self._record(MemberRemoved(user_id=user_id, removed_by=by))

    def transfer_ownership(self, new_owner_id: UUID, by: UUID) -> list[Contract]:
        if self._actor_role(by) != Role.OWNER:
            raise NotAllowed("Only the owner hands over ownership.")
        self._member(new_owner_id)
        if new_owner_id == by:
            raise Conflict("You own this workspace already.", field="user_id")
        return self._record(OwnershipTransferred(previous_owner_id=by, new_owner_id=new_owner_id))

    def delete(self, by: UUID) -> list[Contract]:
        if self._actor_role(by) != Role.OWNER:
            raise NotAllowed("Only the owner deletes a workspace.")
        return self._record(WorkspaceDeleted(deleted_by=by))

    # -- state ------------------------------------------------------------------------

    def apply(self, event: Contract) -> None:
        self.version += 1
        match event:
            case WorkspaceCreated(name=name, owner_id=owner):
                self.name, self.members = name, {owner: Role.OWNER}
            case WorkspaceRenamed(name=name):
                self.name = name
            case MemberAdded(user_id=user, role=role):
                self.members[user] = Role(role)
            case MemberRoleChanged(user_id=user, new_role=role):
                self.members[user] = Role(role)
            case MemberRemoved(user_id=user):
                self.members.pop(user, None)
            case OwnershipTransferred(previous_owner_id=previous, new_owner_id=new):
                self.members[previous], self.members[new] = Role.ADMIN, Role.OWNER
            case WorkspaceDeleted():
                self.deleted, self.members = True, {}

    def _record(self, event: Contract) -> list[Contract]:
        self.apply(event)
        return [event]

    def _must_exist(self) -> None:
        if not self.exists:
            raise NotFound("No such workspace.")

    def _actor_role(self, user_id: UUID) -> Role:
        role = self.role_of(user_id)
        if role is None:  # not a member and no such workspace look the same
            raise NotFound("No such workspace.")
        return role

    def _member(self, user_id: UUID) -> Role:
        if user_id not in self.members:
            raise NotFound("No such member.", field="user_id")
        return self.members[user_id]

    @staticmethod
    def may_grant(actor: Role, role: Role) -> None:
        if RANK[Role(role)] > RANK[actor]:
            raise NotAllowed("You cannot grant or change a role above your own.", field="role")
