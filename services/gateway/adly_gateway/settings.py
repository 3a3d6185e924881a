"""The gateway's settings (`ADLY_*` environment variables); defaults are the production values."""

from __future__ import annotations

from typing import Annotated

from pydantic import field_validator, model_validator
from pydantic_settings import NoDecode

from adly_gateway.domain.ratelimit import Quota
from adly_gateway.domain.routes import RatePolicy
from adly_kit.settings import ServiceSettings

UPSTREAMS = ("auth", "catalog", "campaigns", "creative", "analytics", "notifications")
MIB = 1024 * 1024


class GatewaySettings(ServiceSettings):
    service_name: str = "gateway"
    # The gateway's port is the public one: metrics always have a listener of their own
    # (ADLY_METRICS_PORT; 0 lets the OS pick, as several gateways on one host need).
    metrics_port: int | None = 0
    # Upstreams, on the ports `adly-dev run` gives them.
    upstream_auth: str = "http://127.0.0.1:8101"
    upstream_catalog: str = "http://127.0.0.1:8102"
    upstream_campaigns: str = "http://127.0.0.1:8103"
    upstream_creative: str = "http://127.0.0.1:8104"
    upstream_analytics: str = "http://127.0.0.1:8105"
    upstream_notifications: str = "http://127.0.0.1:8106"
    upstream_timeout_seconds: float = 10.0
    upstream_connect_timeout_seconds: float = 3.0
    upstream_max_connections: int = 256
    # Tokens (docs/identity.md).
    jwt_issuer: str = "adly-auth"
    jwt_audience: str = "adly-api"
    two_factor_audience: str = "adly-2fa"
    jwt_leeway_seconds: int = 5
    jwks_url: str | None = None  # default: the auth upstream's /.well-known/jwks.json
    jwks_refresh_min_seconds: float = 30.0
    jwks_fetch_timeout_seconds: float = 3.0
    # Browser access: exact origins only, never reflected.
    cors_origins: Annotated[list[str], NoDecode] = []
    # Rate limits as "<requests>/<seconds>" (GCRA in the UNLOGGED gateway.rate_limits table).
    rate_limit_client: str = "600/60"
    rate_limit_ip: str = "1200/60"
    rate_limit_login: str = "10/300"
    rate_limit_login_ip: str = "30/300"
    rate_limit_two_factor: str = "5/300"
    rate_limit_two_factor_ip: str = "20/300"
    rate_limit_password_reset: str = "5/3600"
    rate_limit_password_reset_ip: str = "20/3600"
    # Requests.
    max_body_bytes: int = MIB
    idempotency_retention_seconds: int = 24 * 3600
    idempotency_key_required: bool = False  # True: POSTs without Idempotency-Key get 400
    audit_page_max: int = 100
    # OpenAPI of the upstreams, merged at startup.
    openapi_fetch_attempts: int = 5
    openapi_fetch_timeout_seconds: float = 3.0
    # WebSocket /v1/workspaces/{id}/live.
    live_auth_timeout_seconds: float = 5.0
    live_recheck_seconds: float = 5.0
    live_topic_refresh_seconds: float = 10.0
    live_queue_size: int = 1000

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        for origin in value:
            if origin == "*" or not origin.startswith(("https://", "http://")) or origin.endswith("/"):
                raise ValueError(f"CORS origins are exact scheme://host[:port] values, not {origin!r}")
        return value

    @model_validator(mode="after")
    def _quotas_parse(self) -> GatewaySettings:
        self.quotas()
        return self

    @model_validator(mode="after")
    def _metrics_off_the_public_port(self) -> GatewaySettings:
        if self.metrics_port is None:
            raise ValueError("ADLY_METRICS_PORT must be set for the gateway: its own port is public")
        return self

    def upstream_urls(self) -> dict[str, str]:
        return {name: getattr(self, f"upstream_{name}").rstrip("/") for name in UPSTREAMS}

    @property
    def jwks_endpoint(self) -> str:
        return self.jwks_url or f"{self.upstream_auth.rstrip('/')}/.well-known/jwks.json"

    def quotas(self) -> dict[str, Quota]:
        """Policy name → quota; `<policy>` is per account, `<policy>-ip` per IP."""
        return {
            "default": Quota.parse(self.rate_limit_client),
            "ip": Quota.parse(self.rate_limit_ip),
            RatePolicy.LOGIN.value: Quota.parse(self.rate_limit_login),
            f"{RatePolicy.LOGIN.value}-ip": Quota.parse(self.rate_limit_login_ip),
            RatePolicy.TWO_FACTOR.value: Quota.parse(self.rate_limit_two_factor),
            f"{RatePolicy.TWO_FACTOR.value}-ip": Quota.parse(self.rate_limit_two_factor_ip),
            RatePolicy.PASSWORD_RESET.value: Quota.parse(self.rate_limit_password_reset),
            f"{RatePolicy.PASSWORD_RESET.value}-ip": Quota.parse(self.rate_limit_password_reset_ip),
        }
