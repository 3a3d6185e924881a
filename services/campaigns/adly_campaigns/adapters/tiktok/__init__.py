"""TikTok's Marketing API v1.3: `TikTokPublisher`, `TikTokAccountLink`, `TikTokReports` and
`build`, which makes the three over one connection (client.py says what was verified)."""

from __future__ import annotations

from adly_campaigns.adapters.platform_clients import PlatformClients
from adly_campaigns.adapters.tiktok.client import TikTokApi
from adly_campaigns.adapters.tiktok.link import TikTokAccountLink
from adly_campaigns.adapters.tiktok.publisher import TikTokPublisher
from adly_campaigns.adapters.tiktok.reports import TikTokReports
from adly_campaigns.adapters.tiktok.settings import TikTokSettings
from adly_campaigns.settings import CampaignsSettings


def tiktok_settings(settings: CampaignsSettings) -> TikTokSettings | None:
    secret = settings.tiktok_app_secret.get_secret_value() if settings.tiktok_app_secret else ""
    if not settings.tiktok_app_id or not secret:
        return None
    return TikTokSettings(app_id=settings.tiktok_app_id, app_secret=secret, api_url=settings.tiktok_api_url,
                          auth_url=settings.tiktok_auth_url, timeout=settings.platform_timeout_seconds)


def build(settings: CampaignsSettings) -> PlatformClients | None:
    """The three TikTok clients over one connection, or None when no TikTok app is configured."""
    tiktok = tiktok_settings(settings)
    if tiktok is None:
        return None
    api = TikTokApi(tiktok)
    return PlatformClients(TikTokPublisher(tiktok, api=api), TikTokAccountLink(tiktok, api=api), TikTokReports(api),
                           api.aclose)


__all__ = ["TikTokAccountLink", "TikTokApi", "TikTokPublisher", "TikTokReports", "TikTokSettings", "build",
           "tiktok_settings"]
