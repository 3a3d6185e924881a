"""Events of the auth context. No email addresses or other personal data (RELIABILITY S15)."""

from enum import StrEnum
from uuid import UUID

from pydantic import Field

from adly_events.catalog import CATALOG
from adly_events.contracts.common import Contract

user_event = {"version": 1, "context": "auth", "aggregate": "user"}
workspace_event = {"version": 1, "context": "auth", "aggregate": "workspace"}
api_key_event = {"version": 1, "context": "auth", "aggregate": "api_key"}
session_event = {"version": 1, "context": "auth", "aggregate": "session"}


class WorkspaceRole(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MARKETER = "marketer"
    ANALYST = "analyst"


@CATALOG.event("UserRegistered", **user_event)
class UserRegistered(Contract):
    """A person signed up (with a password or an external identity provider)."""

    method: str = Field(description="`password` or the provider, e.g. `google`.")


@CATALOG.event("EmailVerified", **user_event)
class EmailVerified(Contract):
    """The user proved they own their email address."""


@CATALOG.event("TwoFactorEnabled", **user_event)
class TwoFactorEnabled(Contract):
    """The user turned on TOTP two-factor authentication."""


@CATALOG.event("WorkspaceCreated", **workspace_event)
class WorkspaceCreated(Contract):
    """A workspace exists, with its creator as owner."""

    name: str
    owner_id: UUID


@CATALOG.event("WorkspaceRenamed", **workspace_event)
class WorkspaceRenamed(Contract):
    """The workspace has a new name."""

    name: str
    renamed_by: UUID


@CATALOG.event("MemberAdded", **workspace_event)
class MemberAdded(Contract):
    """A user joined the workspace with a role."""

    user_id: UUID
    role: WorkspaceRole
    invited_by: UUID | None = None


@CATALOG.event("MemberRoleChanged", **workspace_event)
class MemberRoleChanged(Contract):
    """A member's role changed."""

    user_id: UUID
    old_role: WorkspaceRole
    new_role: WorkspaceRole
    changed_by: UUID


@CATALOG.event("MemberRemoved", **workspace_event)
class MemberRemoved(Contract):
    """A member left or was removed; their access ends."""

    user_id: UUID
    removed_by: UUID


@CATALOG.event("OwnershipTransferred", **workspace_event)
class OwnershipTransferred(Contract):
    """The owner handed ownership to another member and became an admin."""

    previous_owner_id: UUID
    new_owner_id: UUID


@CATALOG.event("WorkspaceDeleted", **workspace_event)
class WorkspaceDeleted(Contract):
    """The workspace is gone; every member loses access."""

    deleted_by: UUID


@CATALOG.event("ApiKeyCreated", **api_key_event)
class ApiKeyCreated(Contract):
    """A machine credential for one workspace and role. `secret_sha256` lets the gateway
    verify keys locally; the key has 256 random bits, so its hash reveals nothing usable."""

    name: str
    role: WorkspaceRole
    secret_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    created_by: UUID


@CATALOG.event("ApiKeyRevoked", **api_key_event)
class ApiKeyRevoked(Contract):
    """The key stops working everywhere."""

    revoked_by: UUID | None = None


@CATALOG.event("SessionRevoked", **session_event)
class SessionRevoked(Contract):
    """A login session (refresh-token family) ended: logout, reuse detected, or log-out-everywhere.
    Access tokens carrying this `sid` stop working."""

    user_id: UUID
    reason: str = Field(description="`logout`, `logout_everywhere`, `refresh_token_reuse`, `password_reset`.")
