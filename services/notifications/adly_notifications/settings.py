"""Settings of the notifications service: webhook delivery's pace, retries, limits and exceptions;
mail's server (adly_kit.mail), retries, digest hour, and the services it asks at send time."""

from __future__ import annotations

from pydantic import SecretStr, model_validator

from adly_kit.mail import SmtpSettings
from adly_kit.settings import ServiceSettings


class NotificationsSettings(SmtpSettings, ServiceSettings):
    service_name: str = "notifications"

    # -- mail (docs/notifications.md#email); the server's settings are adly_kit.mail's -----
    auth_url: str = "http://127.0.0.1:8101"          # auth's internal API: members' addresses
    analytics_url: str = "http://127.0.0.1:8105"     # analytics' internal API: digest figures
    public_app_url: str = "http://localhost:3000"    # the web app: where a mail's button points
    public_api_url: str = "http://127.0.0.1:8000"    # the gateway: where unsubscribe links point
    # Seconds before each retry of a mail (jittered +-20%): about 8 hours in all, then it failed.
    mail_retry_delays: list[float] = [30, 120, 600, 1800, 3600, 7200, 14400]
    mail_concurrency: int = 8
    mail_lease_seconds: float = 120.0                # longer than a send may take (smtp timeout)
    digest_hour: int = 8                             # the member's local hour the digest goes out
    digest_check_seconds: float = 300.0
    # Signs one-click unsubscribe links; unset, it is derived from ADLY_ENCRYPTION_KEYS.
    unsubscribe_key: SecretStr | None = None

    # -- outbound webhooks (docs/notifications.md#webhooks) ------------------------------
    webhook_timeout_seconds: float = 10.0          # connect + read of one delivery
    webhook_max_response_bytes: int = 65_536       # read no more of a receiver's answer
    webhook_excerpt_chars: int = 512               # kept in the delivery log
    # Seconds before each retry after the first try (jittered +-20%): about 28 hours in all.
    webhook_retry_delays: list[float] = [5, 300, 1800, 7200, 18000, 36000, 36000]
    webhook_disable_after_hours: float = 72.0      # an endpoint failing this long is disabled
    webhook_secret_overlap_hours: float = 24.0     # a rotated secret still signs this long
    webhook_concurrency: int = 64                  # deliveries in flight per process
    webhook_lease_seconds: float = 60.0
    # host:port pairs on private addresses that may receive webhooks over plain http: local
    # development and tests only (the sandbox's receiver); refused in production.
    webhook_private_hosts: list[str] = []

    @model_validator(mode="after")
    def _no_private_hosts_in_production(self) -> NotificationsSettings:
        if self.webhook_private_hosts and self.environment == "production":
            raise ValueError("ADLY_WEBHOOK_PRIVATE_HOSTS is for development and tests; production "
                             "delivers to public https endpoints only")
        return self
