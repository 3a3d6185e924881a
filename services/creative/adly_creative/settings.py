"""Settings of the creative service: asset storage, signed URLs, provider keys and base URLs,
retries and timeouts, the job workers, and the default monthly limits."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import SecretStr, model_validator

from adly_kit.settings import ServiceSettings

MIB = 1024 * 1024


class CreativeSettings(ServiceSettings):
    service_name: str = "creative"

    # -- assets -----------------------------------------------------------------------
    asset_backend: Literal["local", "s3"] = "local"
    asset_dir: Path = Path("var/assets")
    s3_endpoint_url: str | None = None           # any S3-compatible endpoint; None: AWS
    s3_bucket: str = "adly-assets"
    s3_region: str = "us-east-1"
    s3_prefix: str = "assets/"
    s3_access_key_id: SecretStr | None = None    # None: boto3's default chain (instance role...)
    s3_secret_access_key: SecretStr | None = None
    # Signed asset URLs; without a key of their own, a key derived from the internal identity key.
    asset_url_key: SecretStr | None = None
    asset_url_ttl_seconds: int = 3600
    public_base_url: str = ""                    # prefix of asset URLs (e.g. https://api.adly.example)

    # -- providers --------------------------------------------------------------------
    # Platform-wide keys; a workspace's own key (PUT .../creatives/provider-keys/{p}) wins.
    openai_api_key: SecretStr | None = None
    anthropic_api_key: SecretStr | None = None
    stability_api_key: SecretStr | None = None
    elevenlabs_api_key: SecretStr | None = None
    # Base URLs (tests point them at local fakes); None: the provider's own.
    openai_base_url: str | None = None
    anthropic_base_url: str | None = None
    stability_base_url: str | None = None
    elevenlabs_base_url: str | None = None
    provider_timeout_seconds: float = 90.0       # one provider call, whatever the SDK does
    provider_max_attempts: int = 3               # calls of one provider per step, before falling back
    provider_retry_base_seconds: float = 0.5
    provider_retry_max_wait_seconds: float = 20.0

    # -- jobs -------------------------------------------------------------------------
    job_concurrency: int = 4                     # jobs one worker process runs at a time
    job_lease_seconds: float = 120.0
    job_poll_seconds: float = 1.0
    job_max_attempts: int = 5                    # workers a job may crash (or outlive the lease of) before it fails
    product_wait_seconds: float = 30.0           # how long a job waits for a product the catalog has not sent yet
    default_monthly_job_quota: int = 500
    default_monthly_spend_cap_usd: Decimal = Decimal("50")
    # What a campaign's CreativesRequested gets besides copy and the four image formats,
    # unless the workspace chose (PUT .../creatives/settings, `campaign_outputs`).
    campaign_voice_over: bool = True
    campaign_video: bool = True

    # -- product photos ---------------------------------------------------------------
    photo_max_bytes: int = 10 * MIB
    photo_timeout_seconds: float = 10.0
    photos_per_product: int = 3
    # Tests only: lets product photos come from http://127.0.0.1; refused in production.
    photo_allow_loopback: bool = False

    @model_validator(mode="after")
    def _safe_in_production(self) -> CreativeSettings:
        if self.environment == "production":
            if self.photo_allow_loopback:
                raise ValueError("ADLY_PHOTO_ALLOW_LOOPBACK is for tests; it is refused in production")
            if self.asset_url_key is not None and len(self.asset_url_key.get_secret_value()) < 32:
                raise ValueError("ADLY_ASSET_URL_KEY must be at least 32 characters")
        return self

    def platform_key(self, provider: str) -> str | None:
        value = getattr(self, f"{provider}_api_key", None)
        return value.get_secret_value() if value else None

    def base_url(self, provider: str) -> str | None:
        return getattr(self, f"{provider}_base_url", None)
