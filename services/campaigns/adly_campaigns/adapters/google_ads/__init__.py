"""Google Ads (REST): `GoogleAdsPublisher` (AdPublisher), `GoogleAdsAccountLink` (AdAccountLink),
`GoogleAdsReports` (PerformanceReader) over one `GoogleAdsApi`, and `build` for the service."""

from __future__ import annotations

from adly_campaigns.adapters.google_ads.client import GoogleAdsApi
from adly_campaigns.adapters.google_ads.link import GoogleAdsAccountLink
from adly_campaigns.adapters.google_ads.publisher import GoogleAdsPublisher
from adly_campaigns.adapters.google_ads.reports import GoogleAdsReports
from adly_campaigns.adapters.google_ads.settings import GoogleAdsSettings
from adly_campaigns.adapters.platform_clients import PlatformClients
from adly_campaigns.settings import CampaignsSettings

__all__ = ["GoogleAdsAccountLink", "GoogleAdsApi", "GoogleAdsPublisher", "GoogleAdsReports", "GoogleAdsSettings",
           "build", "google_ads_settings"]


def google_ads_settings(settings: CampaignsSettings) -> GoogleAdsSettings | None:
    secret = settings.google_ads_client_secret.get_secret_value() if settings.google_ads_client_secret else ""
    if not settings.google_ads_client_id or not secret:
        return None
    developer = settings.google_ads_developer_token.get_secret_value() if settings.google_ads_developer_token else None
    return GoogleAdsSettings(
        client_id=settings.google_ads_client_id, client_secret=secret, api_url=settings.google_ads_api_url,
        api_version=settings.google_ads_api_version, oauth_url=settings.google_oauth_url,
        token_url=settings.google_token_url, login_customer_id=settings.google_ads_login_customer_id or None,
        developer_token=developer or None, timeout=settings.platform_timeout_seconds)


def build(settings: CampaignsSettings) -> PlatformClients | None:
    """The three Google clients over one connection (None when no OAuth client is configured)."""
    google = google_ads_settings(settings)
    if google is None:
        return None
    api = GoogleAdsApi(google)
    return PlatformClients(GoogleAdsPublisher(google, api=api), GoogleAdsAccountLink(google, api=api),
                           GoogleAdsReports(api), api.aclose)
