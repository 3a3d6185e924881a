"""Settings of the campaigns service: the ad platforms' apps and endpoints, where creative's
assets are fetched, the publisher's pace, and the optional LLM brief parser."""

from __future__ import annotations

from pydantic import SecretStr, model_validator

from adly_kit.settings import ServiceSettings


class CampaignsSettings(ServiceSettings):
    service_name: str = "campaigns"

    # -- where things are -------------------------------------------------------------
    creative_url: str = "http://127.0.0.1:8104"      # creative's internal API: asset bytes to upload
    public_app_url: str = "https://app.adly.example"  # the app the platforms' logins return the merchant to
    platform_timeout_seconds: float = 30.0

    # -- Meta (Marketing API) ---------------------------------------------------------
    meta_app_id: str = ""
    meta_app_secret: SecretStr | None = None
    meta_api_version: str = "v26.0"
    meta_graph_url: str = "https://graph.facebook.com"
    meta_dialog_url: str = "https://www.facebook.com"

    # -- TikTok (API for Business v1.3) -----------------------------------------------
    tiktok_app_id: str = ""
    tiktok_app_secret: SecretStr | None = None
    tiktok_api_url: str = "https://business-api.tiktok.com/open_api/v1.3"
    tiktok_auth_url: str = "https://business-api.tiktok.com/portal/auth"

    # -- Snapchat (Marketing API v1) --------------------------------------------------
    snapchat_client_id: str = ""
    snapchat_client_secret: SecretStr | None = None
    snapchat_api_url: str = "https://adsapi.snapchat.com/v1"
    snapchat_accounts_url: str = "https://accounts.snapchat.com"

    # -- Google Ads (REST) ------------------------------------------------------------
    google_ads_client_id: str = ""
    google_ads_client_secret: SecretStr | None = None
    google_ads_api_url: str = "https://googleads.googleapis.com"
    google_ads_api_version: str = "v26"
    google_oauth_url: str = "https://accounts.google.com"
    google_token_url: str = "https://oauth2.googleapis.com/token"
    google_ads_login_customer_id: str | None = None   # a manager (MCC) account the customers sit under
    google_ads_developer_token: SecretStr | None = None

    # -- performance reporting --------------------------------------------------------
    performance_poll_seconds: float = 3600.0          # hourly by default
    performance_restate_days: int = 7                 # platforms restate recent days: pull them again

    # -- the publisher ----------------------------------------------------------------
    publish_concurrency: int = 8
    publish_poll_seconds: float = 2.0
    publish_lease_seconds: float = 120.0
    publish_max_attempts: int = 6
    review_poll_seconds: float = 60.0

    # -- the optional LLM brief parser (the offline parser always runs) ---------------
    brief_llm_provider: str | None = None             # "openai" | "anthropic"
    openai_api_key: SecretStr | None = None
    anthropic_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    anthropic_base_url: str | None = None

    @model_validator(mode="after")
    def _checked(self) -> CampaignsSettings:
        if self.meta_api_version not in ("v26.0", "v27.0"):
            raise ValueError("ADLY_META_API_VERSION is v26.0 or v27.0")
        if self.environment == "production" and any("127.0.0.1" in url or "localhost" in url for url in (
                self.meta_graph_url, self.meta_dialog_url, self.tiktok_api_url, self.tiktok_auth_url,
                self.snapchat_api_url, self.snapchat_accounts_url, self.google_ads_api_url, self.google_oauth_url,
                self.google_token_url)):
            raise ValueError("production settings never reach a local fake of an ad platform")
        return self
