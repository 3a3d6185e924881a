"""An ad platform's refusal, said to the merchant in ADLY's error vocabulary."""

from __future__ import annotations

from adly_campaigns.domain.ports import ErrorKind, PlatformError
from adly_events.contracts.common import AdPlatform
from adly_kit.errors import Conflict, DomainError, InvalidInput, TooManyAttempts, UpstreamFailed

NAMES = {AdPlatform.META: "Meta", AdPlatform.TIKTOK: "TikTok", AdPlatform.SNAPCHAT: "Snapchat",
         AdPlatform.GOOGLE_ADS: "Google Ads"}


def refusal_of(platform: AdPlatform, error: PlatformError) -> DomainError:
    said = f"{NAMES[platform]}: {error.message}"
    match error.kind:
        case ErrorKind.INVALID_PARAMETER:
            return InvalidInput(said, field=error.field, code="platform-refused")
        case ErrorKind.POLICY:
            return InvalidInput(said, code="platform-policy")
        case ErrorKind.TOKEN_INVALID:
            return Conflict(f"{said} Reconnect the ad account.", code="ad-account-access-lost")
        case ErrorKind.PERMISSION:
            return Conflict(f"{said} The connected account lacks a permission on the platform.",
                            code="ad-account-permission")
        case ErrorKind.THROTTLED:
            return TooManyAttempts(said, retry_after=int(error.retry_after or 60), code="platform-throttled")
        case ErrorKind.NOT_FOUND:
            return Conflict(said, code="platform-object-missing")
        case _:
            return UpstreamFailed(said, code="platform-unavailable")
