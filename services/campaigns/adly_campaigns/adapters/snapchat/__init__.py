"""Snapchat's Marketing API: `SnapchatPublisher` (AdPublisher), `SnapchatAccountLink`
(AdAccountLink) and `SnapchatReports` (PerformanceReader) over one `SnapchatApi`, so the three
share the token pacing. `build(settings)` makes them from the service's settings, or None when
no Snapchat OAuth app is configured."""

from __future__ import annotations

from adly_campaigns.adapters.platform_clients import PlatformClients
from adly_campaigns.adapters.snapchat.client import SnapchatApi
from adly_campaigns.adapters.snapchat.link import SnapchatAccountLink
from adly_campaigns.adapters.snapchat.publisher import SnapchatPublisher
from adly_campaigns.adapters.snapchat.reports import SnapchatReports
from adly_campaigns.adapters.snapchat.settings import SnapchatSettings
from adly_campaigns.settings import CampaignsSettings

__all__ = ["SnapchatAccountLink", "SnapchatApi", "SnapchatPublisher", "SnapchatReports", "SnapchatSettings",
           "build", "snapchat_settings"]


def snapchat_settings(settings: CampaignsSettings) -> SnapchatSettings | None:
    secret = settings.snapchat_client_secret.get_secret_value() if settings.snapchat_client_secret else ""
    if not settings.snapchat_client_id or not secret:
        return None
    return SnapchatSettings(client_id=settings.snapchat_client_id, client_secret=secret,
                            api_url=settings.snapchat_api_url, accounts_url=settings.snapchat_accounts_url,
                            timeout=settings.platform_timeout_seconds)


def build(settings: CampaignsSettings) -> PlatformClients | None:
    snapchat = snapchat_settings(settings)
    if snapchat is None:
        return None
    api = SnapchatApi(snapchat)  # its own client: Snap's limits and timeouts are its own
    return PlatformClients(SnapchatPublisher(snapchat, api=api), SnapchatAccountLink(snapchat, api=api),
                           SnapchatReports(snapchat, api=api), api.aclose)
