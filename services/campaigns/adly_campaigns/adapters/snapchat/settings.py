"""How ADLY talks to Snapchat: the OAuth app, the endpoints, and the client's own limits."""

from __future__ import annotations

from dataclasses import dataclass

SCOPE = "snapchat-marketing-api"


@dataclass(frozen=True)
class SnapchatSettings:
    client_id: str
    client_secret: str
    api_url: str = "https://adsapi.snapchat.com/v1"
    accounts_url: str = "https://accounts.snapchat.com"
    timeout: float = 15.0                   # seconds, per call
    scope: str = SCOPE
    requests_per_second: float = 10.0       # Snap's average per token; 0 lets calls go unpaced
    burst: int = 20                         # calls a token may make at once before the average applies
    throttle_seconds: float = 30.0          # retry_after of a 429, which says nothing of how long
    read_retries: int = 2                   # a throttled read is tried again this often before giving up
    read_retry_wait: float = 1.0            # seconds before it is (Snap's limits are per-second averages)
    page_size: int = 1000                   # Snap takes limit=50..1000 on lists
    max_pages: int = 20                     # pages of a list read before giving up looking
    media_poll_attempts: int = 10           # reads of an uploaded media's status before giving up (retryable)
    media_poll_interval: float = 1.0        # seconds between them
    stats_days_per_query: int = 31          # Snap answers at most 31 days of DAY stats per query

    def __post_init__(self) -> None:
        if not self.client_id or not self.client_secret:
            raise ValueError("Snapchat needs an OAuth client id and secret")
        if not 50 <= self.page_size <= 1000:
            raise ValueError("Snapchat pages hold 50 to 1000 rows")
        if not 1 <= self.stats_days_per_query <= 31:
            raise ValueError("Snapchat answers 1 to 31 days of DAY stats per query")

    @property
    def base(self) -> str:
        return self.api_url.rstrip("/")

    @property
    def token_url(self) -> str:
        return f"{self.accounts_url.rstrip('/')}/login/oauth2/access_token"

    @property
    def authorize_endpoint(self) -> str:
        return f"{self.accounts_url.rstrip('/')}/login/oauth2/authorize"
