"""What a workspace configured for its creatives: its brand kit, its routing and limits, its keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from adly_creative.domain.limits import Limits
from adly_creative.domain.ports import BrandKit


@dataclass(frozen=True)
class StoredBrandKit:
    kit: BrandKit                 # without the logo bytes
    logo_asset_id: UUID | None
    updated_at: datetime


@dataclass(frozen=True)
class WorkspaceSettings:
    routing: dict[str, list[str]]          # modality -> provider order; a missing modality: the default
    monthly_job_quota: int | None          # None: the platform default
    monthly_spend_cap_usd: Decimal | None
    campaign_outputs: dict[str, Any] | None = None   # what a CreativesRequested gets; None: the platform default

    def limits(self, default_quota: int, default_cap: Decimal) -> Limits:
        quota = default_quota if self.monthly_job_quota is None else self.monthly_job_quota
        cap = default_cap if self.monthly_spend_cap_usd is None else self.monthly_spend_cap_usd
        return Limits(monthly_jobs=quota, monthly_spend_cap_usd=cap)


NO_SETTINGS = WorkspaceSettings({}, None, None)


@dataclass(frozen=True)
class KeyInfo:
    """That a workspace has its own key for a provider, never the key."""

    provider: str
    updated_at: datetime
