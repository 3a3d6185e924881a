"""How ADLY talks to Meta: the app, the Graph API version, and the client's own limits."""

from __future__ import annotations

from dataclasses import dataclass

# Facebook Login permissions: ads_management / ads_read (Marketing API access page),
# business_management (ad accounts owned by a Business Manager), pages_show_list (the
# merchant's pages), pages_read_engagement and pages_manage_ads (a page-backed creative).
DEFAULT_SCOPES = ("ads_management", "ads_read", "business_management", "pages_show_list",
                  "pages_read_engagement", "pages_manage_ads")


@dataclass(frozen=True)
class MetaSettings:
    app_id: str
    app_secret: str
    graph_url: str = "https://graph.facebook.com"
    dialog_url: str = "https://www.facebook.com"
    api_version: str = "v26.0"
    allowed_versions: tuple[str, ...] = ("v26.0", "v27.0")
    timeout: float = 15.0                  # seconds, per call
    appsecret_proof: bool = True           # sign every call with the app secret (Meta can require it)
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    usage_threshold: float = 90.0          # percent of any usage metric at which calls wait first
    max_wait_seconds: float = 60.0         # the longest a call waits for Meta's usage to reset
    default_throttle_seconds: float = 60.0  # retry_after when Meta throttles without saying how long
    video_poll_attempts: int = 30          # reads of a video's status before giving up (retryable)
    video_poll_interval: float = 2.0       # seconds between them
    max_pages: int = 10                    # pages of a list read before giving up looking

    def __post_init__(self) -> None:
        if self.api_version not in self.allowed_versions:
            raise ValueError(f"Meta API version {self.api_version} is not one of {', '.join(self.allowed_versions)}")
        if not self.app_id or not self.app_secret:
            raise ValueError("Meta needs an app id and an app secret")

    @property
    def api_url(self) -> str:
        return f"{self.graph_url.rstrip('/')}/{self.api_version}"
