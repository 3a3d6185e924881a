"""Meta's side of `AdPublisher`: campaign, ad set, media, creative and ad, created paused.

Meta has no idempotency keys: every object carries its deterministic name and `find` looks it
up by that name (the `filtering` parameter, then an exact comparison here, since the filter's
semantics per edge are UNVERIFIED: client.py). Images are keyed by content on Meta's side too:
the same bytes give the same hash, so uploading them again creates nothing new.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from adly_campaigns.adapters.meta.client import MetaGraph, act
from adly_campaigns.adapters.meta.settings import MetaSettings
from adly_campaigns.adapters.meta.targeting import (
    OBJECTIVES,
    PURCHASE,
    AudienceResolver,
    ResolvedTargeting,
    needs_pixel,
)
from adly_campaigns.domain.money import budget_units, from_platform_units
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
from adly_events.contracts.campaigns import Audience, Budget, BudgetKind
from adly_events.contracts.common import AdPlatform
from adly_kit.errors import InvalidInput

log = logging.getLogger(__name__)

EDGES = {ObjectKind.CAMPAIGN: "campaigns", ObjectKind.AD_SET: "adsets", ObjectKind.CREATIVE: "adcreatives",
         ObjectKind.AD: "ads", ObjectKind.IMAGE: "adimages", ObjectKind.VIDEO: "advideos"}
SWITCHABLE = frozenset({ObjectKind.CAMPAIGN, ObjectKind.AD_SET, ObjectKind.AD})
IN_REVIEW = frozenset({"PENDING_REVIEW", "IN_PROCESS"})
IDS_PER_READ = 50


def _meta_time(moment: datetime, time_zone: str) -> str:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(time_zone))
    return aware.strftime("%Y-%m-%dT%H:%M:%S%z")


def _units(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def _feedback(raw: Any) -> str | None:
    if not isinstance(raw, dict):
        return None
    notes: list[str] = []
    for scope in (raw.get("global"), *(raw.get("placement_specific") or {}).values()):
        for title, text in (scope or {}).items() if isinstance(scope, dict) else []:
            note = f"{title}: {text}" if text else str(title)
            if note not in notes:
                notes.append(note)
    return "; ".join(notes) or None


def review_of(ad_id: str, row: dict[str, Any]) -> AdReview:
    status = str(row.get("effective_status", "")).upper()
    reason = _feedback(row.get("ad_review_feedback"))
    if status == "DISAPPROVED" or (status == "WITH_ISSUES" and reason):
        return AdReview(ad_id, Review.DISAPPROVED, reason or "Meta disapproved the ad without saying why.")
    return AdReview(ad_id, Review.IN_REVIEW if status in IN_REVIEW else Review.APPROVED)


class MetaPublisher:
    platform = AdPlatform.META

    def __init__(self, settings: MetaSettings, http: httpx.AsyncClient | None = None, *,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 graph: MetaGraph | None = None) -> None:
        self._owns_graph = graph is None
        self.graph = graph or MetaGraph(settings, http, clock=clock, sleep=sleep)
        self.audiences = AudienceResolver(self.graph)

    async def aclose(self) -> None:
        if self._owns_graph:
            await self.graph.aclose()

    def _refuse(self, kind: ErrorKind, message: str, field: str | None = None) -> PlatformError:
        return self.graph.refuse(PlatformError(kind, message, field=field))

    async def _post(self, account: AccountAccess, path: str, data: dict[str, Any], **files: Any) -> Any:
        return await self.graph.post(path, account.token, data, files=files or None, account=act(account.platform_account_id))

    async def _get(self, account: AccountAccess, path: str, params: dict[str, Any]) -> Any:
        return await self.graph.get(path, account.token, params, account=act(account.platform_account_id))

    def _id(self, body: Any, key: str = "id") -> str:
        if isinstance(body, dict) and body.get(key):
            return str(body[key])
        raise self._refuse(ErrorKind.TRANSIENT, "Meta's answer had no id; ADLY will look for the object and try again.")

    # --- finding what an earlier attempt created -------------------------------------------

    async def find(self, account: AccountAccess, kind: ObjectKind, name: str, parent_id: str | None) -> str | None:
        owner = parent_id if parent_id and kind in (ObjectKind.AD_SET, ObjectKind.AD) else act(account.platform_account_id)
        params: dict[str, Any] = {"limit": 100}
        if kind is ObjectKind.IMAGE:
            params["fields"], key = "hash,name", "hash"
        elif kind is ObjectKind.VIDEO:
            params["fields"], key = "id,title,name", "id"
        else:
            params |= {"fields": "id,name", "filtering": [{"field": "name", "operator": "EQUAL", "value": name}]}
            key = "id"
        async for row in self.graph.pages(f"{owner}/{EDGES[kind]}", account.token, params,
                                          account=act(account.platform_account_id)):
            names = {str(row.get("name", "")), str(row.get("title", ""))}
            if name in names or name in {n.rsplit(".", 1)[0] for n in names}:
                return str(row[key]) if row.get(key) else None
        return None

    # --- creating --------------------------------------------------------------------------

    async def create_campaign(self, account: AccountAccess, spec: CampaignSpec) -> str:
        self._require_pixel(account, spec.objective)
        return self._id(await self._post(account, f"{act(account.platform_account_id)}/campaigns", {
            "name": spec.name, "objective": OBJECTIVES[spec.objective][0], "status": "PAUSED",
            "special_ad_categories": [], "buying_type": "AUCTION", "is_adset_budget_sharing_enabled": False}))

    async def create_ad_set(self, account: AccountAccess, spec: AdSetSpec) -> str:
        self._require_pixel(account, spec.objective)
        if spec.budget.kind is BudgetKind.LIFETIME and spec.ends_at is None:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, "A lifetime budget on Meta needs an end date.", "ends_at")
        budget_field, units = self._budget(account, spec.budget)
        resolved = await self.resolve_targeting(account, spec.audience)
        data: dict[str, Any] = {
            "name": spec.name, "campaign_id": spec.campaign_id, budget_field: str(units), "billing_event": "IMPRESSIONS",
            "optimization_goal": OBJECTIVES[spec.objective][1], "bid_strategy": "LOWEST_COST_WITHOUT_CAP",
            "targeting": resolved.targeting, "status": "PAUSED"}
        if needs_pixel(spec.objective):
            data["promoted_object"] = {"pixel_id": account.pixel_id, "custom_event_type": PURCHASE}
        if spec.starts_at is not None:
            data["start_time"] = _meta_time(spec.starts_at, account.time_zone)
        if spec.ends_at is not None:
            data["end_time"] = _meta_time(spec.ends_at, account.time_zone)
        return self._id(await self._post(account, f"{act(account.platform_account_id)}/adsets", data))

    async def upload_media(self, account: AccountAccess, spec: MediaSpec) -> str:
        extension = mimetypes.guess_extension(spec.media_type) or (".mp4" if spec.kind is ObjectKind.VIDEO else ".jpg")
        filename = f"{spec.name}{extension}"
        owner = act(account.platform_account_id)
        if spec.kind is ObjectKind.IMAGE:
            body = await self._post(account, f"{owner}/adimages", {},
                                    filename=(filename, spec.content, spec.media_type))
            images = body.get("images") if isinstance(body, dict) else None
            if isinstance(images, dict) and images:
                return self._id(images.get(filename) or next(iter(images.values())), "hash")
            raise self._refuse(ErrorKind.TRANSIENT, "Meta's answer to the image upload had no hash.")
        if spec.kind is ObjectKind.VIDEO:
            video_id = self._id(await self._post(account, f"{owner}/advideos", {"name": spec.name, "title": spec.name},
                                                 source=(filename, spec.content, spec.media_type)))
            await self._ready_video(account, video_id)
            return video_id
        raise self._refuse(ErrorKind.INVALID_PARAMETER, f"Meta takes images and videos, not {spec.kind}.", "kind")

    async def create_creative(self, account: AccountAccess, spec: CreativeSpec) -> str:
        if not account.page_id:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, "Choose the Facebook page your ads run as.", "page_id")
        action = {"type": spec.call_to_action.upper(), "value": {"link": spec.link}}
        story: dict[str, Any] = {"page_id": account.page_id}
        if spec.video_ref:
            picture = await self._ready_video(account, spec.video_ref)
            video: dict[str, Any] = {"video_id": spec.video_ref, "message": spec.primary_text, "title": spec.headline,
                                     "call_to_action": action}
            if spec.description:
                video["link_description"] = spec.description
            if spec.image_ref:
                video["image_hash"] = spec.image_ref
            elif picture:
                video["image_url"] = picture
            story["video_data"] = video
        elif spec.image_ref:
            story["link_data"] = {"link": spec.link, "message": spec.primary_text, "name": spec.headline,
                                  "image_hash": spec.image_ref, "call_to_action": action}
            if spec.description:
                story["link_data"]["description"] = spec.description
        else:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, "A Meta ad needs an image or a video.", "media")
        return self._id(await self._post(account, f"{act(account.platform_account_id)}/adcreatives",
                                         {"name": spec.name, "object_story_spec": story}))

    async def create_ad(self, account: AccountAccess, spec: AdSpec) -> str:
        return self._id(await self._post(account, f"{act(account.platform_account_id)}/ads", {
            "name": spec.name, "adset_id": spec.ad_set_id, "creative": {"creative_id": spec.creative_id},
            "status": "PAUSED"}))

    async def _ready_video(self, account: AccountAccess, video_id: str) -> str | None:
        """Wait (a bounded number of reads) until Meta has processed the video; its thumbnail."""
        attempts = max(1, self.graph.settings.video_poll_attempts)
        for attempt in range(attempts):
            body = await self._get(account, video_id, {"fields": "status,picture"})
            status = body.get("status") if isinstance(body, dict) else None
            state = str(status.get("video_status", "")) if isinstance(status, dict) else ""
            if state == "ready":
                picture = body.get("picture")
                return str(picture) if picture else None
            if state == "error":
                raise self._refuse(ErrorKind.INVALID_PARAMETER, "Meta could not process the video; "
                                   "upload another one.", "video")
            if attempt < attempts - 1:
                await self.graph.sleep(self.graph.settings.video_poll_interval)
        raise self._refuse(ErrorKind.TRANSIENT, "Meta is still processing the video; ADLY will try again.")

    # --- steering --------------------------------------------------------------------------

    async def set_status(self, account: AccountAccess, kind: ObjectKind, platform_id: str, active: bool) -> None:
        if kind not in SWITCHABLE:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, f"A Meta {kind} cannot be switched on or off.", "kind")
        await self._post(account, platform_id, {"status": "ACTIVE" if active else "PAUSED"})

    async def set_budget(self, account: AccountAccess, ad_set_id: str, budget: Budget) -> None:
        budget_field, units = self._budget(account, budget)
        await self._post(account, ad_set_id, {budget_field: str(units)})

    async def set_schedule(self, account: AccountAccess, ad_set_id: str, starts_at: datetime | None,
                           ends_at: datetime | None) -> None:
        data = {k: _meta_time(v, account.time_zone) for k, v in (("start_time", starts_at), ("end_time", ends_at)) if v}
        if data:
            await self._post(account, ad_set_id, data)

    async def reviews(self, account: AccountAccess, platform_ad_ids: Sequence[str]) -> list[AdReview]:
        found: list[AdReview] = []
        for start in range(0, len(platform_ad_ids), IDS_PER_READ):
            chunk = list(platform_ad_ids[start:start + IDS_PER_READ])
            body = await self._get(account, "", {"ids": ",".join(chunk), "fields": "effective_status,ad_review_feedback"})
            rows = body if isinstance(body, dict) else {}
            found += [review_of(ad_id, rows[ad_id]) for ad_id in chunk if isinstance(rows.get(ad_id), dict)]
        return found

    async def ad_set_budget(self, account: AccountAccess, ad_set_id: str) -> Budget | None:
        """The ad set's budget as Meta holds it now (its numbers arrive as strings)."""
        row = await self._get(account, ad_set_id, {"fields": "daily_budget,lifetime_budget"})
        row = row if isinstance(row, dict) else {}
        for kind, key in ((BudgetKind.DAILY, "daily_budget"), (BudgetKind.LIFETIME, "lifetime_budget")):
            if units := _units(row.get(key)):
                return Budget(kind=kind, amount=from_platform_units(self.platform, units, account.currency))
        return None

    async def resolve_targeting(self, account: AccountAccess, audience: Audience) -> ResolvedTargeting:
        """The targeting an ad set gets, and the cities and languages Meta could not place."""
        return await self.audiences.resolve(account.token, audience)

    # --- rules before any call -------------------------------------------------------------

    def _require_pixel(self, account: AccountAccess, objective: Any) -> None:
        if needs_pixel(objective) and not account.pixel_id:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, "Sales and conversion campaigns on Meta need a pixel: "
                               "choose the Meta pixel of your store for this ad account.", "pixel_id")

    def _budget(self, account: AccountAccess, budget: Budget) -> tuple[str, int]:
        try:
            converted = budget_units(self.platform, budget.amount, account.currency)
        except InvalidInput as refused:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, str(refused), "budget.amount") from refused
        if converted.rounded:
            log.info("meta budget rounded down", extra={"asked": str(budget.amount.amount),
                                                        "sent": str(converted.expressed.amount)})
        return ("daily_budget" if budget.kind is BudgetKind.DAILY else "lifetime_budget"), converted.units
