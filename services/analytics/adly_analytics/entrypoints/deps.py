"""The vocabulary of the analytics API: adapters, and a member of the path's workspace allowed to
read analytics (the gateway signs the caller's role into X-Adly-Identity)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from adly_analytics.adapters.container import Adapters
from adly_kit.app import adapters
from adly_kit.identity import workspace_permission

AdaptersDep = Annotated[Adapters, Depends(adapters)]
AnalyticsRead = workspace_permission("analytics.read")
DataExport = workspace_permission("data.export")
RulesWrite = workspace_permission("analytics.read", "campaigns.write")  # owner, admin, marketer
