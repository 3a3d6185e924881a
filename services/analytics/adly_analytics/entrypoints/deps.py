"""The vocabulary of the analytics API: adapters, a member of the path's workspace allowed to read
analytics (the gateway signs the caller's role into X-Adly-Identity), and the notifications service
acting for the path's workspace (internal routes)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends

from adly_analytics.adapters.container import Adapters
from adly_kit.app import adapters
from adly_kit.errors import NotAllowed
from adly_kit.identity import CurrentIdentity, Identity, workspace_permission

AdaptersDep = Annotated[Adapters, Depends(adapters)]
AnalyticsRead = workspace_permission("analytics.read")
DataExport = workspace_permission("data.export")
RulesWrite = workspace_permission("analytics.read", "campaigns.write")  # owner, admin, marketer


async def notifications_for_workspace(workspace_id: UUID, identity: CurrentIdentity) -> Identity:
    """Its signed service identity (`service_identity("notifications", workspace_id, key)`), nobody else's."""
    if identity.kind != "service" or identity.sub != "service:notifications" or identity.ws != workspace_id:
        raise NotAllowed("Only ADLY's notifications service reads a workspace's digest here.")
    return identity


NotificationsService = Annotated[Identity, Depends(notifications_for_workspace)]
