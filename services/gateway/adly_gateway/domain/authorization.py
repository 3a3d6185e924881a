"""Whether a principal may take a route, from its role in the route's workspace.

Rules (docs/identity.md): anonymous on a protected route → 401; not a member of the
workspace, or it does not exist → 404 with the same body either way (no existence leak);
an API key outside its own workspace → 404; a member without the permission → 403; a
permission that needs 2FA without a valid proof → 403 `two-factor-required`. A member may
always remove themselves (leave); the last-owner rule is auth's to enforce.
"""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from adly_gateway.domain.principal import Principal
from adly_gateway.domain.routes import Access, Match
from adly_kit.permissions import allows, needs_two_factor


class Verdict(StrEnum):
    ALLOW = "allow"
    UNAUTHENTICATED = "unauthenticated"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    TWO_FACTOR_REQUIRED = "two_factor_required"


def parse_workspace_id(value: str | None) -> UUID | None:
    if value is None:
        return None
    try:
        return UUID(value)
    except ValueError:
        return None


def authorize(match: Match, principal: Principal | None, role: str | None) -> Verdict:
    """`role` is the principal's role in the route's workspace (None: not a member)."""
    access = match.route.access
    if access is Access.PUBLIC:
        return Verdict.ALLOW
    if principal is None:
        return Verdict.UNAUTHENTICATED
    if access is Access.USER:
        return Verdict.ALLOW if principal.kind == "user" else Verdict.FORBIDDEN
    if access is Access.ANY:
        return Verdict.ALLOW
    if role is None:
        return Verdict.NOT_FOUND
    if match.route.self_service and principal.kind == "user" and match.params.get("user_id") == principal.sub:
        return Verdict.ALLOW
    permission = match.route.permission
    assert permission is not None, "workspace routes name their permission"
    if not allows(role, permission):
        return Verdict.FORBIDDEN
    if needs_two_factor(permission) and not principal.mfa:
        return Verdict.TWO_FACTOR_REQUIRED
    return Verdict.ALLOW


def role_in(principal: Principal, workspace_id: UUID, member_role: str | None) -> str | None:
    """The principal's role in `workspace_id`: an API key only in its own workspace."""
    if principal.kind == "api_key":
        return principal.role if principal.ws == workspace_id else None
    return member_role
