"""The vocabulary of the campaigns API: adapters, and a workspace member holding a permission
(the gateway signs the caller's role in the route's workspace into X-Adly-Identity)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends

from adly_campaigns.adapters.container import Adapters
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

    @property
    def two_factor(self) -> bool:
        """A fresh X-2FA-Token came with the request (an API key never has one)."""
        return self.identity.mfa


def permission(*names: str):  # type: ignore[no-untyped-def]
    allowed = workspace_permission(*names).__metadata__[0]

    async def check(identity: Identity = allowed) -> Member:
        assert identity.ws is not None and identity.role is not None
        return Member(identity, identity.ws, Role(identity.role))

    return Annotated[Member, Depends(check)]


CampaignsRead = permission("campaigns.read")
CampaignsWrite = permission("campaigns.write")
CampaignsConfigure = permission("campaigns.write", "workspace.update")
AccountsConnect = permission("ad_accounts.connect")
AccountsDisconnect = permission("ad_accounts.disconnect")
