"""Snapchat's side of `AdPublisher`: campaign, ad squad, media, creative and ad, created paused.

Snap has no idempotency keys: every object carries its deterministic name (cut to Snap's 375
characters with ADLY's tag kept whole, the same cut for creating and finding) and `find`
lists the collection it lives in and compares names. Media takes two writes, create then
upload: a media created but never uploaded is not what `find` answers (a creative could not
use it), and `upload_media` takes such a media of the same name and uploads into it instead
of creating a second one. Updates read the entity and write it back whole (client.py).
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from adly_campaigns.adapters.snapchat.client import SnapchatApi
from adly_campaigns.adapters.snapchat.settings import SnapchatSettings
from adly_campaigns.adapters.snapchat.targeting import needs_pixel, objective_type, optimization_goal, targeting
from adly_campaigns.domain.money import budget_units
from adly_campaigns.domain.ports import (
    AccountAccess,
    AdReview,
    AdSetSpec,
    AdSpec,
    CampaignSpec,
    CreativeSpec,
    ErrorKind,
    MediaSpec,
    ObjectKind,
    PlatformError,
    Review,
)
from adly_events.contracts.campaigns import Budget, BudgetKind
from adly_events.contracts.common import AdPlatform
from adly_kit.errors import InvalidInput

log = logging.getLogger(__name__)

NAME_LIMIT, HEADLINE_LIMIT, BRAND_LIMIT = 375, 34, 32
KINDS = {ObjectKind.CAMPAIGN: ("campaigns", "campaign"), ObjectKind.AD_SET: ("adsquads", "adsquad"),
         ObjectKind.IMAGE: ("media", "media"), ObjectKind.VIDEO: ("media", "media"),
         ObjectKind.CREATIVE: ("creatives", "creative"), ObjectKind.AD: ("ads", "ad")}
SWITCHABLE = frozenset({ObjectKind.CAMPAIGN, ObjectKind.AD_SET, ObjectKind.AD})
READ_ONLY = frozenset({"created_at", "updated_at", "delivery_status", "review_status", "review_status_reasons",
                       "targeting_reach_status", "created_by_app_id", "created_by_user", "last_updated_by_app_id",
                       "last_updated_by_user", "effective_status"})
# ADLY's calls to action -> Snap's for web-view creatives (those not listed are sent as they are).
CALLS_TO_ACTION = {"LEARN_MORE": "MORE", "GET_OFFER": "GET_NOW", "CONTACT_US": "MORE", "SEE_MORE": "MORE"}
SNAP_CALLS_TO_ACTION = frozenset({"SHOP_NOW", "BUY_NOW", "ORDER_NOW", "MORE", "GET_NOW", "SIGN_UP", "BOOK_NOW",
                                  "APPLY_NOW", "VIEW", "WATCH", "READ", "LISTEN", "PLAY", "DOWNLOAD"})


def snap_name(name: str) -> str:
    """The name cut to Snap's limit, the trailing `[adly ...]` tag kept whole."""
    if len(name) <= NAME_LIMIT:
        return name
    at = name.rfind(" [adly ")
    if at < 0:
        return name[:NAME_LIMIT]
    tag = name[at:]
    return name[:NAME_LIMIT - len(tag)].rstrip() + tag


def headline_of(text: str) -> str:
    """Snap shows 34 characters: a longer headline is cut at the last word that fits."""
    text = " ".join(text.split())
    if len(text) <= HEADLINE_LIMIT:
        return text
    cut = text[:HEADLINE_LIMIT + 1].rsplit(" ", 1)[0] if " " in text[:HEADLINE_LIMIT + 1] else ""
    return (cut or text[:HEADLINE_LIMIT]).rstrip(" ,.;:-،")


def snap_time(moment: datetime) -> str:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def review_of(ad_id: str, ad: dict[str, Any]) -> AdReview:
    status = str(ad.get("review_status", "")).upper()
    reasons = [str(r) for r in ad.get("review_status_reasons") or [] if r]
    if status == "REJECTED":
        return AdReview(ad_id, Review.DISAPPROVED, "; ".join(reasons) or "Snapchat rejected the ad without saying why.")
    return AdReview(ad_id, Review.APPROVED if status == "APPROVED" else Review.IN_REVIEW)


class SnapchatPublisher:
    platform = AdPlatform.SNAPCHAT

    def __init__(self, settings: SnapchatSettings, http: httpx.AsyncClient | None = None, *,
                 clock: Callable[[], float] = time.monotonic, wall_clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, api: SnapchatApi | None = None) -> None:
        self._owns_api = api is None
        self.api = api or SnapchatApi(settings, http, clock=clock, wall_clock=wall_clock, sleep=sleep)
        self._brands: dict[str, str] = {}

    async def aclose(self) -> None:
        if self._owns_api:
            await self.api.aclose()

    def _refuse(self, kind: ErrorKind, message: str, field: str | None = None) -> PlatformError:
        return self.api.refuse(PlatformError(kind, message, field=field))

    async def _create(self, account: AccountAccess, path: str, kind: ObjectKind, entity: dict[str, Any]) -> str:
        plural, singular = KINDS[kind]
        answer = await self.api.write("POST", path, account.token, plural, singular, entity, singular)
        if not answer.get("id"):
            raise self._refuse(ErrorKind.TRANSIENT, "Snapchat's answer had no id; ADLY will look for the object "
                               "and try again.")
        return str(answer["id"])

    # --- finding what an earlier attempt created -------------------------------------------

    async def find(self, account: AccountAccess, kind: ObjectKind, name: str, parent_id: str | None) -> str | None:
        wanted = snap_name(name)
        async for row in self._rows(account, kind, parent_id):
            if row.get("name") == wanted and row.get("id"):
                if kind in (ObjectKind.IMAGE, ObjectKind.VIDEO) and not self._ready(row, kind):
                    continue
                return str(row["id"])
        return None

    def _rows(self, account: AccountAccess, kind: ObjectKind, parent_id: str | None) -> Any:
        plural, singular = KINDS[kind]
        owner = f"adaccounts/{account.platform_account_id}"
        if parent_id and kind is ObjectKind.AD_SET:
            owner = f"campaigns/{parent_id}"
        elif parent_id and kind is ObjectKind.AD:
            owner = f"adsquads/{parent_id}"
        return self.api.rows(f"{owner}/{plural}", account.token, plural, singular)

    @staticmethod
    def _ready(media: dict[str, Any], kind: ObjectKind) -> bool:
        return str(media.get("type", "")).upper() == kind.name and str(media.get("media_status", "")).upper() == "READY"

    # --- creating --------------------------------------------------------------------------

    async def create_campaign(self, account: AccountAccess, spec: CampaignSpec) -> str:
        self._require_pixel(account, spec)
        return await self._create(account, f"adaccounts/{account.platform_account_id}/campaigns", ObjectKind.CAMPAIGN, {
            "name": snap_name(spec.name), "ad_account_id": account.platform_account_id, "status": "PAUSED",
            "start_time": snap_time(datetime.fromtimestamp(self.api.wall_clock(), UTC)),
            "objective_v2_properties": {"objective_v2_type": objective_type(spec.objective)}})

    async def create_ad_set(self, account: AccountAccess, spec: AdSetSpec) -> str:
        self._require_pixel(account, spec)
        if spec.budget.kind is BudgetKind.LIFETIME and spec.ends_at is None:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, "A lifetime budget on Snapchat needs an end date.", "ends_at")
        try:
            spec_targeting = targeting(spec.audience)
        except PlatformError as refused:
            raise self.api.refuse(refused) from None
        if spec.audience.cities:
            log.info("snapchat targets countries: cities left out", extra={"cities": spec.audience.cities})
        budget_field, micros = self._budget(account, spec.budget)
        starts = spec.starts_at or datetime.fromtimestamp(self.api.wall_clock(), UTC)
        entity: dict[str, Any] = {
            "campaign_id": spec.campaign_id, "name": snap_name(spec.name), "type": "SNAP_ADS", "status": "PAUSED",
            "placement_v2": {"config": "AUTOMATIC"}, "billing_event": "IMPRESSION", "bid_strategy": "AUTO_BID",
            "optimization_goal": optimization_goal(spec.objective), "targeting": spec_targeting,
            budget_field: micros, "start_time": snap_time(starts)}
        if spec.ends_at is not None:
            entity["end_time"] = snap_time(spec.ends_at)
        if needs_pixel(spec.objective):
            entity["pixel_id"] = account.pixel_id
        return await self._create(account, f"campaigns/{spec.campaign_id}/adsquads", ObjectKind.AD_SET, entity)

    async def upload_media(self, account: AccountAccess, spec: MediaSpec) -> str:
        if spec.kind not in (ObjectKind.IMAGE, ObjectKind.VIDEO):
            raise self._refuse(ErrorKind.INVALID_PARAMETER, f"Snapchat takes images and videos, not {spec.kind}.", "kind")
        name = snap_name(spec.name)
        media_id = await self._pending_media(account, spec.kind, name) or await self._create(
            account, f"adaccounts/{account.platform_account_id}/media", spec.kind,
            {"name": name, "type": spec.kind.name, "ad_account_id": account.platform_account_id})
        extension = mimetypes.guess_extension(spec.media_type) or (".mp4" if spec.kind is ObjectKind.VIDEO else ".jpg")
        answer = await self.api.upload(f"media/{media_id}/upload", account.token,
                                       {"file": (f"{spec.sha256[:16]}{extension}", spec.content, spec.media_type)})
        result = answer.get("result")
        if not (isinstance(result, dict) and str(result.get("media_status", "")).upper() == "READY"):
            await self._ready_media(account, media_id, spec.kind)
        return media_id

    async def _pending_media(self, account: AccountAccess, kind: ObjectKind, name: str) -> str | None:
        async for row in self._rows(account, kind, None):
            if row.get("name") == name and str(row.get("type", "")).upper() == kind.name and row.get("id") and \
                    str(row.get("media_status", "")).upper() == "PENDING_UPLOAD":
                return str(row["id"])
        return None

    async def _ready_media(self, account: AccountAccess, media_id: str, kind: ObjectKind) -> None:
        settings = self.api.settings
        attempts = max(1, settings.media_poll_attempts)
        for attempt in range(attempts):
            body = await self.api.get(f"media/{media_id}", account.token)
            found = self.api.entities(body, "media", "media", "media", strict=False)
            status = str(found[0].get("media_status", "")).upper() if found else ""
            if status == "READY":
                return
            if status == "ERROR":
                raise self._refuse(ErrorKind.INVALID_PARAMETER, f"Snapchat could not process the {kind.value}; "
                                   "upload another one.", "media")
            if attempt < attempts - 1:
                await self.api.sleep(settings.media_poll_interval)
        raise self._refuse(ErrorKind.TRANSIENT, f"Snapchat is still processing the {kind.value}; ADLY will try again.")

    async def create_creative(self, account: AccountAccess, spec: CreativeSpec) -> str:
        if not account.page_id:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, "Choose the Snapchat public profile your ads run as.",
                               "page_id")
        media = spec.video_ref or spec.image_ref
        if not media:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, "A Snapchat ad needs an image or a video.", "media")
        headline = headline_of(spec.headline)
        if headline != spec.headline.strip():
            log.info("snapchat headline cut to 34 characters", extra={"asked": spec.headline, "sent": headline})
        action = CALLS_TO_ACTION.get(spec.call_to_action.upper(), spec.call_to_action.upper())
        return await self._create(account, f"adaccounts/{account.platform_account_id}/creatives", ObjectKind.CREATIVE, {
            "ad_account_id": account.platform_account_id, "name": snap_name(spec.name), "type": "WEB_VIEW",
            "headline": headline, "brand_name": await self._brand(account), "shareable": True,
            "call_to_action": action if action in SNAP_CALLS_TO_ACTION else "MORE", "top_snap_media_id": media,
            "profile_properties": {"profile_id": account.page_id}, "web_view_properties": {"url": spec.link}})

    async def create_ad(self, account: AccountAccess, spec: AdSpec) -> str:
        return await self._create(account, f"adsquads/{spec.ad_set_id}/ads", ObjectKind.AD, {
            "ad_squad_id": spec.ad_set_id, "creative_id": spec.creative_id, "name": snap_name(spec.name),
            "type": "SNAP_AD", "status": "PAUSED"})

    async def _brand(self, account: AccountAccess) -> str:
        """The brand shown on the ad: the ad account's name, read once per account."""
        account_id = account.platform_account_id
        if account_id not in self._brands:
            body = await self.api.get(f"adaccounts/{account_id}", account.token)
            found = self.api.entities(body, "adaccounts", "adaccount", "ad account")
            self._brands[account_id] = str(found[0].get("name") or "Snapchat")[:BRAND_LIMIT].strip()
        return self._brands[account_id]

    # --- steering --------------------------------------------------------------------------

    async def _update(self, account: AccountAccess, kind: ObjectKind, platform_id: str,
                      change: Callable[[dict[str, Any]], dict[str, Any] | None]) -> None:
        """Read the entity, change it, write it back whole to its collection (skipped when unchanged)."""
        plural, singular = KINDS[kind]
        body = await self.api.get(f"{plural}/{platform_id}", account.token)
        entity = {k: v for k, v in self.api.entities(body, plural, singular, singular)[0].items() if k not in READ_ONLY}
        changed = change(dict(entity))
        if changed is None or changed == entity:
            return
        owner = {ObjectKind.CAMPAIGN: f"adaccounts/{account.platform_account_id}",
                 ObjectKind.AD_SET: f"campaigns/{entity.get('campaign_id')}",
                 ObjectKind.AD: f"adsquads/{entity.get('ad_squad_id')}"}[kind]
        await self.api.write("PUT", f"{owner}/{plural}", account.token, plural, singular, changed, singular)

    async def set_status(self, account: AccountAccess, kind: ObjectKind, platform_id: str, active: bool) -> None:
        if kind not in SWITCHABLE:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, f"A Snapchat {kind} cannot be switched on or off.", "kind")
        await self._update(account, kind, platform_id, lambda e: e | {"status": "ACTIVE" if active else "PAUSED"})

    async def set_budget(self, account: AccountAccess, ad_set_id: str, budget: Budget) -> None:
        budget_field, micros = self._budget(account, budget)

        def rebudget(entity: dict[str, Any]) -> dict[str, Any]:
            entity.pop("daily_budget_micro", None)
            entity.pop("lifetime_budget_micro", None)
            return entity | {budget_field: micros}
        await self._update(account, ObjectKind.AD_SET, ad_set_id, rebudget)

    async def set_schedule(self, account: AccountAccess, ad_set_id: str, starts_at: datetime | None,
                           ends_at: datetime | None) -> None:
        times = {k: snap_time(v) for k, v in (("start_time", starts_at), ("end_time", ends_at)) if v}
        if times:
            await self._update(account, ObjectKind.AD_SET, ad_set_id, lambda e: e | times)

    async def reviews(self, account: AccountAccess, platform_ad_ids: Sequence[str]) -> list[AdReview]:
        wanted = set(platform_ad_ids)
        found: dict[str, AdReview] = {}
        async for ad in self._rows(account, ObjectKind.AD, None):
            if str(ad.get("id")) in wanted:
                found[str(ad["id"])] = review_of(str(ad["id"]), ad)
        return [found[ad_id] for ad_id in platform_ad_ids if ad_id in found]

    # --- rules before any call -------------------------------------------------------------

    def _require_pixel(self, account: AccountAccess, spec: CampaignSpec | AdSetSpec) -> None:
        if needs_pixel(spec.objective) and not account.pixel_id:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, "Sales and conversion campaigns on Snapchat need a pixel: "
                               "choose the Snap Pixel of your store for this ad account.", "pixel_id")

    def _budget(self, account: AccountAccess, budget: Budget) -> tuple[str, int]:
        try:
            converted = budget_units(self.platform, budget.amount, account.currency)
        except InvalidInput as refused:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, str(refused), "budget.amount") from refused
        field = "daily_budget_micro" if budget.kind is BudgetKind.DAILY else "lifetime_budget_micro"
        return field, converted.units
