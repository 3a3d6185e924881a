"""Settings of the auth service: token lifetimes, signing-key overlap, SMTP, Google sign-in."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr, model_validator

from adly_kit.settings import ServiceSettings


class AuthSettings(ServiceSettings):
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

    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_use_tls: bool = False
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "ADLY <no-reply@adly.example>"
    # "log" is the development override for a stack with no mail server (`adly-dev run`):
    # each mail, links included, is written to the service log instead of being sent.
    # Refused in production, where a log must never hold a sign-in link.
    mail_transport: Literal["smtp", "log"] = "smtp"
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

    @model_validator(mode="after")
    def _mail_goes_out_in_production(self) -> AuthSettings:
        if self.environment == "production" and self.mail_transport != "smtp":
            raise ValueError("ADLY_MAIL_TRANSPORT=log is for development: production sends mail over SMTP")
        return self

    @property
    def google_configured(self) -> bool:
        return bool(self.oidc_google_client_id and self.oidc_google_client_secret and self.oidc_google_redirect_uri)
