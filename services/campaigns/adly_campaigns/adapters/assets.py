"""Creative's asset bytes, fetched from creative's internal API under a service identity for
the asset's workspace (adly_kit.identity.service_identity); checked against their SHA-256."""

from __future__ import annotations

import hashlib
from uuid import UUID

import httpx

from adly_campaigns.domain.ports import Media
from adly_campaigns.settings import CampaignsSettings
from adly_kit.active_requests import waiting_elsewhere
from adly_kit.identity import HEADER, service_identity


class AssetUnavailable(Exception):
    """Creative could not hand over an asset's bytes; publishing retries later."""


class CreativeAssets:
    def __init__(self, http: httpx.AsyncClient, settings: CampaignsSettings) -> None:
        self.http = http
        self.base = settings.creative_url.rstrip("/")
        self.key = settings.internal_identity_key.get_secret_value().encode()

    async def media(self, workspace_id: UUID, asset_id: UUID) -> Media:
        url = f"{self.base}/internal/creative/workspaces/{workspace_id}/assets/{asset_id}"
        try:
            async with waiting_elsewhere():  # on creative: no turn held meanwhile (adly_kit.active_requests)
                answer = await self.http.get(url, headers={HEADER: service_identity("campaigns", workspace_id, self.key)})
        except httpx.HTTPError as error:
            raise AssetUnavailable(f"creative unreachable: {type(error).__name__}") from None
        if answer.status_code != 200:
            raise AssetUnavailable(f"creative answered {answer.status_code} for asset {asset_id}")
        content = answer.content
        sha256 = hashlib.sha256(content).hexdigest()
        if answer.headers.get("etag", "").strip('"') not in ("", sha256):
            raise AssetUnavailable(f"asset {asset_id} arrived damaged")
        return Media(content, answer.headers.get("content-type", "application/octet-stream"), sha256)
