"""How ADLY talks to Google Ads: the OAuth client, the API version, and the client's own limits."""

from __future__ import annotations

import re
from dataclasses import dataclass

SCOPE = "https://www.googleapis.com/auth/adwords"


def digits(customer_id: str) -> str:
    """A customer id as the API wants it: `123-456-7890` -> `1234567890`."""
    return re.sub(r"\D", "", customer_id)


@dataclass(frozen=True)
class GoogleAdsSettings:
    client_id: str
    client_secret: str
    api_url: str = "https://googleads.googleapis.com"
    api_version: str = "v26"
    oauth_url: str = "https://accounts.google.com"
    token_url: str = "https://oauth2.googleapis.com/token"
    login_customer_id: str | None = None   # the manager (MCC) account the customers are reached through
    developer_token: str | None = None     # sent only when configured: Google ignores it since 2026-09-09
    timeout: float = 30.0                  # seconds, per call
    max_wait_seconds: float = 60.0         # the longest a call waits out Google's retryDelay itself
    default_throttle_seconds: float = 30.0  # retry_after when Google throttles without saying how long
    read_retries: int = 2                  # a throttled read is sent again this often after waiting
    stream_reports: bool = False           # reports through searchStream (one answer) instead of search pages
    max_pages: int = 200                   # pages of one search read before giving up (2,000,000 rows)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"v\d+", self.api_version):
            raise ValueError(f"Google Ads API version {self.api_version!r} is not like v26")
        if not self.client_id or not self.client_secret:
            raise ValueError("Google Ads needs an OAuth client id and secret")
        if self.login_customer_id is not None and not digits(self.login_customer_id):
            raise ValueError("the Google Ads login customer id has no digits")

    @property
    def base(self) -> str:
        return f"{self.api_url.rstrip('/')}/{self.api_version}"
