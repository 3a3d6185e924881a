"""In-memory ad platforms for handler tests: `RecordingPublisher` (AdPublisher) keeps every call
in order and every object it created under its id and name, and refuses or loses the answer of
the n-th call when a test says so; `FakeLink` (AdAccountLink) is a platform's login;
`AssetShelf` (AssetSource) is creative's asset bytes."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from adly_campaigns.domain.ports import (
    AccountAccess,
    AdReview,
    AdSetSpec,
    AdSpec,
    CampaignSpec,
    Choice,
    CreativeSpec,
    ErrorKind,
    Media,
    MediaSpec,
    ObjectKind,
    PerformanceRow,
    PlatformAccount,
    PlatformError,
    PlatformToken,
)
from adly_events.contracts.campaigns import Budget
from adly_events.contracts.common import AdPlatform
from adly_kit.sql import utc_now


class AnswerLost(Exception):
    """The platform did the work but its answer never reached ADLY (a killed publisher, a cut line)."""


@dataclass(frozen=True)
class Call:
    method: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Created:
    kind: ObjectKind
    name: str
    parent: str | None
    spec: Any


SWITCHED = frozenset({ObjectKind.CAMPAIGN, ObjectKind.AD_SET, ObjectKind.AD})


class RecordingPublisher:
    """One ad platform. Ids are `<platform>-<kind>-<n>`; `refuse(at_call=n, ...)` refuses the n-th call
    (counted from 1 across every method, `find` included), `lose_answer(at_call=n)` lets it create
    and then never answer."""

    def __init__(self, platform: AdPlatform) -> None:
        self.platform = platform
        self.calls: list[Call] = []
        self.objects: dict[str, Created] = {}
        self.active: dict[str, bool] = {}
        self.budgets: dict[str, Budget] = {}
        self.schedules: dict[str, tuple[datetime | None, datetime | None]] = {}
        self.review_of: dict[str, AdReview] = {}
        self.report: list[PerformanceRow] = []   # what the platform's reports say, whatever is asked
        self._refusals: dict[int, PlatformError] = {}
        self._lost: set[int] = set()

    def refuse(self, kind: ErrorKind, *, at_call: int | None = None, message: str = "Refused by the platform.",
               **details: Any) -> PlatformError:
        """Refuse the n-th call (the next one when not given) with a PlatformError of `kind`."""
        error = PlatformError(kind, message, **details)
        self._refusals[at_call if at_call is not None else len(self.calls) + 1] = error
        return error

    def lose_answer(self, *, at_call: int) -> None:
        self._lost.add(at_call)

    def made(self, kind: ObjectKind) -> list[Created]:
        return [o for o in self.objects.values() if o.kind == kind]

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    def _called(self, method: str, *args: Any) -> None:
        self.calls.append(Call(method, args))
        if (error := self._refusals.pop(len(self.calls), None)) is not None:
            raise error

    def _create(self, kind: ObjectKind, name: str, parent: str | None, spec: Any) -> str:
        self._called(f"create_{kind.value}", spec)
        platform_id = f"{self.platform.value}-{kind.value}-{len(self.objects) + 1}"
        self.objects[platform_id] = Created(kind, name, parent, spec)
        if kind in SWITCHED:
            self.active[platform_id] = False   # created paused, as the port asks
        if len(self.calls) in self._lost:
            raise AnswerLost(f"{self.platform.value} created {platform_id} but the answer was lost")
        return platform_id

    async def find(self, account: AccountAccess, kind: ObjectKind, name: str, parent_id: str | None) -> str | None:
        self._called("find", kind, name, parent_id)
        return next((i for i, o in self.objects.items() if (o.kind, o.name) == (kind, name)
                     and (parent_id is None or o.parent == parent_id)), None)

    async def create_campaign(self, account: AccountAccess, spec: CampaignSpec) -> str:
        return self._create(ObjectKind.CAMPAIGN, spec.name, None, spec)

    async def create_ad_set(self, account: AccountAccess, spec: AdSetSpec) -> str:
        return self._create(ObjectKind.AD_SET, spec.name, spec.campaign_id, spec)

    async def upload_media(self, account: AccountAccess, spec: MediaSpec) -> str:
        return self._create(spec.kind, spec.name, None, spec)

    async def create_creative(self, account: AccountAccess, spec: CreativeSpec) -> str:
        return self._create(ObjectKind.CREATIVE, spec.name, None, spec)

    async def create_ad(self, account: AccountAccess, spec: AdSpec) -> str:
        return self._create(ObjectKind.AD, spec.name, spec.ad_set_id, spec)

    async def set_status(self, account: AccountAccess, kind: ObjectKind, platform_id: str, active: bool) -> None:
        self._called("set_status", kind, platform_id, active)
        self.active[platform_id] = active

    async def set_budget(self, account: AccountAccess, ad_set_id: str, budget: Budget) -> None:
        self._called("set_budget", ad_set_id, budget)
        self.budgets[ad_set_id] = budget

    async def set_schedule(self, account: AccountAccess, ad_set_id: str, starts_at: datetime | None,
                           ends_at: datetime | None) -> None:
        self._called("set_schedule", ad_set_id, starts_at, ends_at)
        self.schedules[ad_set_id] = (starts_at, ends_at)

    async def reviews(self, account: AccountAccess, platform_ad_ids: Sequence[str]) -> list[AdReview]:
        self._called("reviews", tuple(platform_ad_ids))
        return [self.review_of[i] for i in platform_ad_ids if i in self.review_of]

    async def performance(self, account: AccountAccess, platform_campaign_ids: Sequence[str], since: date,
                          until: date, *, hourly_day: date | None = None) -> list[PerformanceRow]:
        self._called("performance", tuple(platform_campaign_ids), since, until, hourly_day)
        return [row for row in self.report
                if row.platform_campaign_id in platform_campaign_ids and since <= row.day <= until]


class AssetShelf:
    """Creative's asset bytes by id; anything else is an asset creative cannot hand over."""

    def __init__(self) -> None:
        self.media_of: dict[tuple[UUID, UUID], Media] = {}
        self.fetched: list[UUID] = []

    def put(self, workspace_id: UUID, content: bytes = b"\x89PNG oud", media_type: str = "image/png") -> UUID:
        asset_id = uuid.uuid4()
        self.media_of[workspace_id, asset_id] = Media(content, media_type, hashlib.sha256(content).hexdigest())
        return asset_id

    async def media(self, workspace_id: UUID, asset_id: UUID) -> Media:
        self.fetched.append(asset_id)
        if (workspace_id, asset_id) not in self.media_of:
            raise LookupError(f"creative has no asset {asset_id} in this workspace")
        return self.media_of[workspace_id, asset_id]


class FakeLink:
    """A platform's login: codes it accepts, the accounts, pages and pixels its tokens reach."""

    def __init__(self, platform: AdPlatform) -> None:
        self.platform = platform
        self.codes: dict[str, PlatformToken] = {}
        self.reachable: dict[str, list[PlatformAccount]] = {}   # access token -> accounts
        self.page_choices: dict[str, list[Choice]] = {}
        self.pixel_choices: dict[str, list[Choice]] = {}
        self.refusal: PlatformError | None = None

    def refuse_next(self, kind: ErrorKind, message: str = "Refused by the platform.") -> None:
        self.refusal = PlatformError(kind, message)

    def _answer(self) -> None:
        error, self.refusal = self.refusal, None
        if error is not None:
            raise error

    def authorize_url(self, state: str, redirect_uri: str) -> str:
        return f"https://login.{self.platform.value}.test/dialog?state={state}&redirect_uri={redirect_uri}"

    async def exchange_code(self, code: str, redirect_uri: str) -> PlatformToken:
        self._answer()
        if code not in self.codes:
            raise PlatformError(ErrorKind.INVALID_PARAMETER, "This code was used or has expired.", field="code")
        return self.codes[code]

    async def refresh(self, token: PlatformToken) -> PlatformToken:
        self._answer()
        return replace(token, access_token=f"{token.access_token}+", expires_at=utc_now() + timedelta(hours=1))

    async def long_lived(self, token: PlatformToken) -> PlatformToken:
        self._answer()
        return replace(token, access_token=f"long-{token.access_token}", expires_at=utc_now() + timedelta(days=60))

    async def accounts(self, token: str) -> list[PlatformAccount]:
        self._answer()
        return self.reachable.get(token, [])

    async def pages(self, token: str, platform_account_id: str) -> list[Choice]:
        self._answer()
        return self.page_choices.get(platform_account_id, [])

    async def pixels(self, token: str, platform_account_id: str) -> list[Choice]:
        self._answer()
        return self.pixel_choices.get(platform_account_id, [])
