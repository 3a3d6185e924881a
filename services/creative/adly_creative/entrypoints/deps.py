"""The vocabulary of the creative API: adapters, and a workspace member holding a permission.

The gateway resolves the caller's membership for every `/v1/workspaces/{id}/...` route and
signs it into X-Adly-Identity as `ws` (the route's workspace) and `role` (the caller's
role there); for an API key, its one workspace and role. So the role is trusted from the
identity, and an identity for another workspace (or none) reads as "no such workspace".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends

from adly_creative.adapters.container import Adapters
from adly_kit.app import adapters
from adly_kit.identity import Identity, workspace_permission
from adly_kit.permissions import Role

AdaptersDep = Annotated[Adapters, Depends(adapters)]


@dataclass(frozen=True)
class Member:
    identity: Identity
    workspace_id: UUID
    role: Role

    @property
    def actor(self) -> str:
        """Who did it, for the records: the user id or `apikey:<id>`, never an email."""
        return self.identity.sub


def permission(*names: str):
    """The member holding every permission in `names`, checked by the kit's one rule."""

    allowed = workspace_permission(*names).__metadata__[0]  # the Depends(...) of the kit's alias

    async def check(identity: Identity = allowed) -> Member:
        return Member(identity, identity.ws, Role(identity.role))

    return Annotated[Member, Depends(check)]


CreativesRead = permission("creatives.read")
CreativesGenerate = permission("creatives.generate")
# Keys and limits spend the workspace's money: makers may generate, managers configure.
CreativesConfigure = permission("creatives.generate", "workspace.update")
