"""Settings of the auth service: token lifetimes, signing-key overlap, SMTP, Google sign-in."""

from __future__ import annotations

from pydantic import SecretStr, model_validator

from adly_kit.mail import SmtpSettings
from adly_kit.settings import ServiceSettings


class AuthSettings(ServiceSettings, SmtpSettings):
    # smtp_* , mail_from and mail_transport (with its production check) come from SmtpSettings.
    issuer: str = "adly-auth"
    audience: str = "adly-api"
    access_token_ttl_seconds: int = 600
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    signing_key_overlap_seconds: int = 3600
    two_factor_token_ttl_seconds: int = 300
    email_verification_ttl_seconds: int = 24 * 3600
    password_reset_ttl_seconds: int = 3600
    invitation_ttl_seconds: int = 7 * 24 * 3600
    totp_max_failures: int = 5
    totp_lockout_seconds: int = 900
    # Where links in mails point (the web app), e.g. https://app.adly.example
    public_base_url: str = "http://localhost:3000"

    mail_poll_seconds: float = 5.0
    mail_max_attempts: int = 8

    oidc_google_issuer: str = "https://accounts.google.com"
    oidc_google_client_id: str | None = None
    oidc_google_client_secret: SecretStr | None = None
    oidc_google_redirect_uri: str | None = None
    oidc_http_timeout_seconds: float = 10.0

    @model_validator(mode="after")
    def _overlap_outlives_access_tokens(self) -> AuthSettings:
        if self.signing_key_overlap_seconds < self.access_token_ttl_seconds:
            raise ValueError("ADLY_SIGNING_KEY_OVERLAP_SECONDS must be at least the access-token TTL")
        return self

    @property
    def google_configured(self) -> bool:
        return bool(self.oidc_google_client_id and self.oidc_google_client_secret and self.oidc_google_redirect_uri)
