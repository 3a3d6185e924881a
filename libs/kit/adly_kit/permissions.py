"""Workspace roles and what each may do: the one permission table (docs/identity.md)."""

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MARKETER = "marketer"
    ANALYST = "analyst"


RANK = {Role.OWNER: 4, Role.ADMIN: 3, Role.MARKETER: 2, Role.ANALYST: 1}

_EVERYONE = frozenset(Role)
_MANAGERS = frozenset({Role.OWNER, Role.ADMIN})
_MAKERS = frozenset({Role.OWNER, Role.ADMIN, Role.MARKETER})
_OWNER = frozenset({Role.OWNER})

# permission -> (roles allowed, needs a fresh 2FA proof)
PERMISSIONS: dict[str, tuple[frozenset[Role], bool]] = {
    **{p: (_EVERYONE, False) for p in (
        "workspace.read", "members.read", "campaigns.read", "creatives.read", "stores.read", "analytics.read",
        "notifications.read")},
    **{p: (_MANAGERS, False) for p in (
        "workspace.update", "members.invite", "api_keys.read", "api_keys.revoke", "audit_log.read",
        "webhooks.read")},
    **{p: (_MANAGERS, True) for p in (
        "members.change_role", "members.remove", "api_keys.create", "stores.connect", "stores.disconnect",
        "ad_accounts.connect", "ad_accounts.disconnect", "data.export", "webhooks.manage")},
    **{p: (_OWNER, True) for p in ("workspace.delete", "ownership.transfer")},
    **{p: (_MAKERS, False) for p in ("campaigns.write", "creatives.generate", "stores.sync")},
    "budget.increase_above_threshold": (_MAKERS, True),
}


def allows(role: Role | str | None, permission: str) -> bool:
    roles, _ = PERMISSIONS[permission]
    return role is not None and Role(role) in roles


def needs_two_factor(permission: str) -> bool:
    return PERMISSIONS[permission][1]


def can_assign(assigner: Role | str, role: Role | str) -> bool:
    """Only an owner hands out `owner` (by transfer); nobody grants above their own rank."""
    assigner, role = Role(assigner), Role(role)
    return role != Role.OWNER and RANK[role] <= RANK[assigner]
