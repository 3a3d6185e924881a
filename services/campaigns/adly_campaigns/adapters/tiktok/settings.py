"""How ADLY talks to TikTok: the app, the API's address, and the client's own limits."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TikTokSettings:
    app_id: str
    app_secret: str
    api_url: str = "https://business-api.tiktok.com/open_api/v1.3"
    auth_url: str = "https://business-api.tiktok.com/portal/auth"
    timeout: float = 15.0                 # seconds, per call
    throttle_retries: int = 4             # TikTok throttles without saying for how long: back off and ask again
    throttle_backoff: float = 1.0         # the first wait, doubled each time
    max_backoff: float = 30.0             # the longest single wait
    max_pages: int = 20                   # pages of a list read before giving up looking
    page_size: int = 100                  # rows per page of the management lists
    report_page_size: int = 1000          # the most /report/integrated/get/ gives per page
    report_days: int = 30                 # days per daily report request

    def __post_init__(self) -> None:
        if not self.app_id or not self.app_secret:
            raise ValueError("TikTok needs an app id and an app secret")
        if not self.api_url.rstrip("/").endswith("/v1.3"):
            raise ValueError("ADLY speaks TikTok's Marketing API v1.3; the API address must end in /open_api/v1.3")
