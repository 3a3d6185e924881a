"""The ports to the ad platforms, one shape for Meta, TikTok, Snapchat and Google Ads.

Publishing is a sequence of creates the domain plans (domain/publishing.py): a campaign,
its ad set (Meta's ad set, TikTok's ad group, Snapchat's ad squad, Google's ad group with
its budget), per ad the media upload, the creative, the ad; then everything is switched
on. No platform but Google offers idempotency keys, so every object is created under a
deterministic name (`publishing.object_name`) and, before any create is repeated, looked
up by that name: `find` answers the platform id of an object of that kind and name under
`parent_id` (or in the account when `parent_id` is None), else None. Uploads are keyed by
the content's SHA-256 the same way.

Money crosses this port as `Money` in major units; each client converts to its platform's
unit (Meta's currency offsets, Snapchat's and Google's micros, TikTok's major units). A
client raises `PlatformError` for every refusal, already classified; it never raises a
transport exception.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple, Protocol
from uuid import UUID

from adly_events.contracts.campaigns import Audience, Budget, Objective, PerformanceLevel
from adly_events.contracts.common import AdPlatform


class ObjectKind(StrEnum):
    CAMPAIGN = "campaign"
    AD_SET = "ad_set"
    IMAGE = "image"
    VIDEO = "video"
    CREATIVE = "creative"
    AD = "ad"


class ErrorKind(StrEnum):
    TOKEN_INVALID = "token_invalid"          # revoked, expired, password changed: reconnect
    PERMISSION = "permission"                # the token lacks a scope or a role on the account
    INVALID_PARAMETER = "invalid_parameter"  # the platform refused a field: the merchant edits it
    POLICY = "policy"                        # blocked by the platform's ad policies
    THROTTLED = "throttled"                  # rate limited: retry after `retry_after`
    TRANSIENT = "transient"                  # the platform's own hiccup: retry
    NOT_FOUND = "not_found"                  # the object is gone on the platform


RETRYABLE = frozenset({ErrorKind.THROTTLED, ErrorKind.TRANSIENT})


class PlatformError(Exception):
    """A refusal by an ad platform, classified. `message` is what the merchant can act on."""

    def __init__(self, kind: ErrorKind, message: str, *, code: str | None = None, subcode: str | None = None,
                 field: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.code = code
        self.subcode = subcode
        self.field = field
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE

    @property
    def error_code(self) -> str | None:
        """`code` or `code/subcode`, as recorded in events."""
        if self.code is None:
            return None
        return f"{self.code}/{self.subcode}" if self.subcode else self.code


@dataclass(frozen=True)
class AccountAccess:
    """What a client needs to act on one ad account; the token is decrypted only in memory."""

    platform_account_id: str
    token: str
    currency: str
    time_zone: str
    page_id: str | None = None       # Meta: the Facebook page ads run as; TikTok: the identity
    pixel_id: str | None = None      # the conversion pixel of the promoted object
    account_id: UUID | None = None   # ADLY's id of the ad account, for a refresh to save its token
    expires_at: datetime | None = None


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    objective: Objective


@dataclass(frozen=True)
class AdSetSpec:
    name: str
    campaign_id: str
    objective: Objective
    budget: Budget
    audience: Audience
    starts_at: datetime | None
    ends_at: datetime | None
    landing_url: str


@dataclass(frozen=True)
class MediaSpec:
    name: str
    kind: ObjectKind             # IMAGE or VIDEO
    content: bytes
    media_type: str
    sha256: str


@dataclass(frozen=True)
class CreativeSpec:
    name: str
    headline: str
    primary_text: str
    description: str | None
    call_to_action: str
    link: str
    image_ref: str | None = None   # what upload_media answered for the image (Meta: the image hash)
    video_ref: str | None = None


@dataclass(frozen=True)
class AdSpec:
    name: str
    ad_set_id: str
    creative_id: str


class Review(StrEnum):
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    DISAPPROVED = "disapproved"


@dataclass(frozen=True)
class AdReview:
    platform_ad_id: str
    review: Review
    reason: str | None = None


@dataclass(frozen=True)
class PlatformAccount:
    platform_account_id: str
    name: str
    currency: str
    time_zone: str


@dataclass(frozen=True)
class Choice:
    """A page, identity or pixel the merchant picks for an account."""

    id: str
    name: str


@dataclass(frozen=True)
class PlatformToken:
    access_token: str
    expires_at: datetime | None = None   # None: does not expire (system user, TikTok advertiser)
    refresh_token: str | None = None
    scopes: list[str] = field(default_factory=list)


class AdPublisher(Protocol):
    """Creates and steers a campaign's objects on one platform."""

    platform: AdPlatform

    async def find(self, account: AccountAccess, kind: ObjectKind, name: str, parent_id: str | None) -> str | None: ...

    async def create_campaign(self, account: AccountAccess, spec: CampaignSpec) -> str: ...

    async def create_ad_set(self, account: AccountAccess, spec: AdSetSpec) -> str: ...

    async def upload_media(self, account: AccountAccess, spec: MediaSpec) -> str: ...

    async def create_creative(self, account: AccountAccess, spec: CreativeSpec) -> str: ...

    async def create_ad(self, account: AccountAccess, spec: AdSpec) -> str: ...

    async def set_status(self, account: AccountAccess, kind: ObjectKind, platform_id: str, active: bool) -> None: ...

    async def set_budget(self, account: AccountAccess, ad_set_id: str, budget: Budget) -> None: ...

    async def set_schedule(self, account: AccountAccess, ad_set_id: str, starts_at: datetime | None,
                           ends_at: datetime | None) -> None: ...

    async def reviews(self, account: AccountAccess, platform_ad_ids: Sequence[str]) -> list[AdReview]: ...


class AdAccountLink(Protocol):
    """Connecting ad accounts: the platform's login, its tokens, its accounts and their pages and pixels."""

    platform: AdPlatform

    def authorize_url(self, state: str, redirect_uri: str) -> str: ...

    async def exchange_code(self, code: str, redirect_uri: str) -> PlatformToken: ...

    async def long_lived(self, token: PlatformToken) -> PlatformToken: ...

    async def accounts(self, token: str) -> list[PlatformAccount]: ...

    async def pages(self, token: str, platform_account_id: str) -> list[Choice]: ...

    async def pixels(self, token: str, platform_account_id: str) -> list[Choice]: ...

    async def refresh(self, token: PlatformToken) -> PlatformToken:
        """A fresh access token for one about to expire (Snapchat, Google: an hour); a platform
        whose tokens do not expire answers the token it was given."""
        ...


@dataclass(frozen=True)
class Media:
    content: bytes
    media_type: str
    sha256: str


class FreshTokens(Protocol):
    """An account's access with a token good for the next calls: refreshed first when it is
    about to expire, under the account's lock, so a single-use refresh token is spent once."""

    async def fresh(self, access: AccountAccess) -> AccountAccess: ...


class AssetSource(Protocol):
    """The bytes of a creative's asset (creative keeps them; campaigns uploads them)."""

    async def media(self, workspace_id: UUID, asset_id: UUID) -> Media: ...


class PerformanceRow(NamedTuple):
    """One object's figures for one day (or one hour of `hourly_day`), normalised: money in
    major units of the account's currency, counts as integers, conversions as decimals.

    A named tuple rather than a frozen dataclass: a pull builds tens of thousands of them, and
    a tuple is built four times faster (the campaigns_performance bench)."""

    level: PerformanceLevel
    platform_campaign_id: str
    platform_object_id: str
    day: date
    hour: int | None
    impressions: int
    clicks: int
    spend: Decimal
    conversions: Decimal
    conversion_value: Decimal
    reach: int | None = None


class PerformanceReader(Protocol):
    """Reads a platform's reports for some of an account's campaigns."""

    platform: AdPlatform

    async def performance(self, account: AccountAccess, platform_campaign_ids: Sequence[str], since: date,
                          until: date, *, hourly_day: date | None = None) -> list[PerformanceRow]:
        """Per day from `since` to `until` (inclusive, the account's time zone) at the campaign,
        ad set and ad levels; plus per hour of `hourly_day` at the campaign level. Pagination,
        async report jobs and the platform's rate limits are the reader's business."""
        ...
