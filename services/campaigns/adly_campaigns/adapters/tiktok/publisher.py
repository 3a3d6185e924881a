"""TikTok's side of `AdPublisher`: campaign, ad group, image and video uploads, ad.

No idempotency keys on ads and uploads, and `request_id` (TikTok's own "only one will
succeed" key) only on campaigns and ad groups: every object carries its deterministic name
and `find` looks it up by that name, comparing names itself (the name filters' semantics are
UNVERIFIED: client.py). Uploads get a file name derived from the step's name (TikTok caps
file names well below ADLY's names) and are found by it.

TikTok has no creative object: an ad's creative is part of `/ad/create/`. `create_creative`
checks it and answers a self-contained reference (JSON of what the ad will carry); nothing
is created on TikTok, so there is nothing to find and repeating it is harmless.

The ad is a SINGLE_VIDEO in-feed ad, TikTok's natural format: the ad's 9:16 video with the
ad's image as its cover (TikTok wants a cover of the video's aspect ratio; proposals give
TikTok the 9:16 image first). TikTok does not run single-image ads in its feed, so an ad
without a video is refused with that reason before its ad is created (the lead's plan
checks can refuse it earlier); the paused campaign and ad group stay, spending nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import mimetypes
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from adly_campaigns.adapters.tiktok.client import TikTokApi
from adly_campaigns.adapters.tiktok.errors import DUPLICATE, NAME_TAKEN
from adly_campaigns.adapters.tiktok.settings import TikTokSettings
from adly_campaigns.adapters.tiktok.shapes import (
    AD_TEXT_LIMIT,
    DISAPPROVED,
    DISPLAY_NAME_LIMIT,
    IDS_PER_READ,
    call_to_action,
    file_stem,
    plain_text,
    reject_reasons,
    request_id,
    review_of,
    tiktok_time,
)
from adly_campaigns.adapters.tiktok.targeting import (
    GOALS,
    PLACEMENTS,
    PURCHASE_EVENT,
    LocationResolver,
    ResolvedTargeting,
    needs_pixel,
    objective_type,
)
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
)
from adly_events.contracts.campaigns import Audience, Budget, BudgetKind, Objective
from adly_events.contracts.common import AdPlatform
from adly_kit.errors import InvalidInput

log = logging.getLogger(__name__)

# kind -> (list path, name filter, id field, name field)
LISTS = {ObjectKind.CAMPAIGN: ("campaign/get", "campaign_name", "campaign_id", "campaign_name"),
         ObjectKind.AD_SET: ("adgroup/get", "adgroup_name", "adgroup_id", "adgroup_name"),
         ObjectKind.AD: ("ad/get", "ad_name", "ad_id", "ad_name"),
         ObjectKind.IMAGE: ("file/image/ad/search", None, "image_id", "file_name"),
         ObjectKind.VIDEO: ("file/video/ad/search", None, "video_id", "file_name")}
PARENT_FILTER = {ObjectKind.AD_SET: "campaign_ids", ObjectKind.AD: "adgroup_ids"}
SWITCHES = {ObjectKind.CAMPAIGN: ("campaign/status/update", "campaign_ids"),
            ObjectKind.AD_SET: ("adgroup/status/update", "adgroup_ids"),
            ObjectKind.AD: ("ad/status/update", "ad_ids")}
class TikTokPublisher:
    platform = AdPlatform.TIKTOK

    def __init__(self, settings: TikTokSettings, http: httpx.AsyncClient | None = None, *,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 wall_clock: Callable[[], float] = time.time, api: TikTokApi | None = None) -> None:
        self._owns_api = api is None
        self.api = api or TikTokApi(settings, http, sleep=sleep)
        self.wall_clock = wall_clock
        self.locations = LocationResolver(self.api)

    async def aclose(self) -> None:
        if self._owns_api:
            await self.api.aclose()

    def _refuse(self, kind: ErrorKind, message: str, field: str | None = None) -> PlatformError:
        return self.api.refuse(PlatformError(kind, message, field=field))

    def _id(self, data: Any, key: str) -> str:
        value = data.get(key) if isinstance(data, dict) else None
        if isinstance(value, list) and value:
            value = value[0]
        if value:
            return str(value)
        raise self._refuse(ErrorKind.TRANSIENT, "TikTok's answer had no id; ADLY will look for the object and try again.")

    # --- finding what an earlier attempt created -------------------------------------------

    async def find(self, account: AccountAccess, kind: ObjectKind, name: str, parent_id: str | None) -> str | None:
        if kind is ObjectKind.CREATIVE:
            return None  # nothing of it lives on TikTok (module docstring)
        path, name_filter, key, name_field = LISTS[kind]
        params: dict[str, Any] = {"advertiser_id": account.platform_account_id}
        if name_filter is not None:
            filtering: dict[str, Any] = {name_filter: name}
            if parent_id and kind in PARENT_FILTER:
                filtering[PARENT_FILTER[kind]] = [parent_id]
            params |= {"filtering": filtering, "fields": [key, name_field]}
        wanted = name if name_filter is not None else file_stem(name)
        async for row in self.api.pages(path, account.token, params):
            value = str(row.get(name_field) or "")
            if (value if name_filter is not None else value.rsplit(".", 1)[0]) == wanted and row.get(key):
                return str(row[key])
        return None

    async def _create(self, account: AccountAccess, path: str, body: dict[str, Any], key: str, kind: ObjectKind,
                      parent_id: str | None = None) -> str:
        try:
            return self._id(await self.api.post(path, account.token, body), key)
        except PlatformError as refused:
            if refused.code != str(DUPLICATE):
                raise
            # The same request_id again: an earlier attempt created it, so it is there to find.
            found = await self.find(account, kind, str(body.get("campaign_name") or body.get("adgroup_name")), parent_id)
            if found is None:
                raise
            return found

    # --- creating --------------------------------------------------------------------------

    async def create_campaign(self, account: AccountAccess, spec: CampaignSpec) -> str:
        self._require_pixel(account, spec.objective)
        return await self._create(account, "campaign/create", {
            "advertiser_id": account.platform_account_id, "campaign_name": spec.name,
            "objective_type": objective_type(spec.objective), "budget_mode": "BUDGET_MODE_INFINITE",
            "operation_status": "DISABLE", "request_id": request_id(spec.name)}, "campaign_id", ObjectKind.CAMPAIGN)

    async def create_ad_set(self, account: AccountAccess, spec: AdSetSpec) -> str:
        self._require_pixel(account, spec.objective)
        if spec.budget.kind is BudgetKind.LIFETIME and spec.ends_at is None:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, "A lifetime budget on TikTok needs an end date.", "ends_at")
        amount = self._budget(account, spec.budget)
        resolved = await self.resolve_targeting(account, spec.objective, spec.audience)
        if not resolved.targeting["location_ids"]:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, "TikTok offers none of the campaign's countries "
                               f"({', '.join(spec.audience.countries)}) for this objective.", "audience.countries")
        kind = objective_type(spec.objective)
        goal, billing = GOALS[kind]
        now = datetime.fromtimestamp(self.wall_clock(), UTC)
        starts = spec.starts_at if spec.starts_at is not None and spec.starts_at.astimezone(UTC) > now else now
        body: dict[str, Any] = {
            "advertiser_id": account.platform_account_id, "campaign_id": spec.campaign_id, "adgroup_name": spec.name,
            "promotion_type": None if kind == "REACH" else "WEBSITE", "placement_type": "PLACEMENT_TYPE_NORMAL",
            "placements": PLACEMENTS, "budget_mode": _budget_mode(spec.budget), "budget": amount,
            "schedule_type": "SCHEDULE_START_END" if spec.ends_at else "SCHEDULE_FROM_NOW",
            "schedule_start_time": tiktok_time(starts, account.time_zone),
            "schedule_end_time": tiktok_time(spec.ends_at, account.time_zone) if spec.ends_at else None,
            "optimization_goal": goal, "billing_event": billing, "bid_type": "BID_TYPE_NO_BID",
            "pacing": "PACING_MODE_SMOOTH", "operation_status": "DISABLE", "request_id": request_id(spec.name),
            **resolved.targeting}
        if needs_pixel(spec.objective):
            body |= {"pixel_id": account.pixel_id, "optimization_event": PURCHASE_EVENT}
        return await self._create(account, "adgroup/create", body, "adgroup_id", ObjectKind.AD_SET, spec.campaign_id)

    async def upload_media(self, account: AccountAccess, spec: MediaSpec) -> str:
        if spec.kind not in (ObjectKind.IMAGE, ObjectKind.VIDEO):
            raise self._refuse(ErrorKind.INVALID_PARAMETER, f"TikTok takes images and videos, not {spec.kind}.", "kind")
        try:
            return await self._upload(account, spec)
        except PlatformError as refused:
            if refused.code != str(NAME_TAKEN):
                raise
            # The file name is the step's: an earlier attempt uploaded it and never heard back.
            found = await self.find(account, spec.kind, spec.name, None)
            if found is None:
                raise
            return found

    async def _upload(self, account: AccountAccess, spec: MediaSpec) -> str:
        video = spec.kind is ObjectKind.VIDEO
        extension = mimetypes.guess_extension(spec.media_type) or (".mp4" if video else ".jpg")
        file_name = file_stem(spec.name) + extension
        signature = hashlib.md5(spec.content).hexdigest()  # noqa: S324 - TikTok's own integrity check
        fields = {"advertiser_id": account.platform_account_id, "upload_type": "UPLOAD_BY_FILE", "file_name": file_name}
        if video:
            fields |= {"video_signature": signature, "flaw_detect": "true", "auto_fix_enabled": "true",
                       "auto_bind_enabled": "true"}
            data = await self.api.upload("file/video/ad/upload", account.token, fields,
                                         {"video_file": (file_name, spec.content, spec.media_type)})
            return self._id(data[0] if isinstance(data, list) and data else data, "video_id")
        fields["image_signature"] = signature
        data = await self.api.upload("file/image/ad/upload", account.token, fields,
                                     {"image_file": (file_name, spec.content, spec.media_type)})
        return self._id(data, "image_id")

    async def create_creative(self, account: AccountAccess, spec: CreativeSpec) -> str:
        if not spec.video_ref:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, "TikTok shows video ads in its feed, not single images: "
                               "add a 9:16 video to this ad, or leave TikTok out of the campaign.", "video")
        if not spec.image_ref:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, "A TikTok video ad needs a cover image in the video's "
                               "9:16 format.", "image")
        if not account.page_id:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, "Choose the TikTok identity your ads run as.", "page_id")
        text = plain_text(spec.primary_text, AD_TEXT_LIMIT) or plain_text(spec.headline, AD_TEXT_LIMIT)
        if not text:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, "A TikTok ad needs a text without emoji.", "primary_text")
        creative = {"video_id": spec.video_ref, "image_id": spec.image_ref, "ad_text": text,
                    "display_name": plain_text(spec.headline, DISPLAY_NAME_LIMIT) or text[:DISPLAY_NAME_LIMIT],
                    "call_to_action": call_to_action(spec.call_to_action), "landing_page_url": spec.link}
        return json.dumps(creative, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    async def create_ad(self, account: AccountAccess, spec: AdSpec) -> str:
        try:
            creative = json.loads(spec.creative_id)
        except ValueError:
            creative = None
        if not isinstance(creative, dict) or not creative.get("video_id"):
            raise self._refuse(ErrorKind.INVALID_PARAMETER, "This TikTok ad's creative is not one ADLY made.", "creative")
        data = await self.api.post("ad/create", account.token, {
            "advertiser_id": account.platform_account_id, "adgroup_id": spec.ad_set_id, "creatives": [{
                "ad_name": spec.name, "ad_format": "SINGLE_VIDEO", "video_id": creative["video_id"],
                "image_ids": [creative["image_id"]], "ad_text": creative["ad_text"],
                "display_name": creative["display_name"], "call_to_action": creative["call_to_action"],
                "landing_page_url": creative["landing_page_url"], "identity_type": "CUSTOMIZED_USER",
                "identity_id": account.page_id, "operation_status": "DISABLE"}]})
        return self._id(data, "ad_ids")

    # --- steering --------------------------------------------------------------------------

    async def set_status(self, account: AccountAccess, kind: ObjectKind, platform_id: str, active: bool) -> None:
        if kind not in SWITCHES:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, f"A TikTok {kind} cannot be switched on or off.", "kind")
        path, ids = SWITCHES[kind]
        await self.api.post(path, account.token, {"advertiser_id": account.platform_account_id, ids: [platform_id],
                                                  "operation_status": "ENABLE" if active else "DISABLE"})

    async def set_budget(self, account: AccountAccess, ad_set_id: str, budget: Budget) -> None:
        await self.api.post("adgroup/update", account.token, {
            "advertiser_id": account.platform_account_id, "adgroup_id": ad_set_id,
            "budget_mode": _budget_mode(budget), "budget": self._budget(account, budget)})

    async def set_schedule(self, account: AccountAccess, ad_set_id: str, starts_at: datetime | None,
                           ends_at: datetime | None) -> None:
        body = {k: tiktok_time(v, account.time_zone) for k, v in (("schedule_start_time", starts_at),
                                                                  ("schedule_end_time", ends_at)) if v}
        if body:
            if ends_at:
                body["schedule_type"] = "SCHEDULE_START_END"
            await self.api.post("adgroup/update", account.token,
                                {"advertiser_id": account.platform_account_id, "adgroup_id": ad_set_id, **body})

    async def reviews(self, account: AccountAccess, platform_ad_ids: Sequence[str]) -> list[AdReview]:
        rows: dict[str, dict[str, Any]] = {}
        for start in range(0, len(platform_ad_ids), IDS_PER_READ):
            chunk = list(platform_ad_ids[start:start + IDS_PER_READ])
            params = {"advertiser_id": account.platform_account_id, "filtering": {"ad_ids": chunk},
                      "fields": ["ad_id", "secondary_status", "operation_status"]}
            async for row in self.api.pages("ad/get", account.token, params):
                rows[str(row.get("ad_id"))] = row
        denied = [i for i in platform_ad_ids if str(rows.get(i, {}).get("secondary_status", "")).upper() in DISAPPROVED]
        reasons: dict[str, str] = {}
        if denied:
            reasons = reject_reasons(await self.api.get("ad/review_info", account.token, {
                "advertiser_id": account.platform_account_id, "ad_ids": denied}))
        return [review_of(ad_id, rows[ad_id], reasons) for ad_id in platform_ad_ids if ad_id in rows]

    async def resolve_targeting(self, account: AccountAccess, objective: Objective, audience: Audience) -> ResolvedTargeting:
        """The targeting an ad group gets, and the countries and cities TikTok could not place."""
        return await self.locations.resolve(account.token, account.platform_account_id, objective, audience)

    # --- rules before any call -------------------------------------------------------------

    def _require_pixel(self, account: AccountAccess, objective: Objective) -> None:
        if needs_pixel(objective) and not account.pixel_id:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, "Sales and conversion campaigns on TikTok need a pixel: "
                               "choose the TikTok pixel of your store for this ad account.", "pixel_id")

    def _budget(self, account: AccountAccess, budget: Budget) -> float:
        try:
            converted = budget_units(self.platform, budget.amount, account.currency)
        except InvalidInput as refused:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, str(refused), "budget.amount") from refused
        if converted.rounded:
            log.info("tiktok budget rounded down", extra={"asked": str(budget.amount.amount),
                                                          "sent": str(converted.expressed.amount)})
        return float(converted.expressed.amount)


def _budget_mode(budget: Budget) -> str:
    return "BUDGET_MODE_DAY" if budget.kind is BudgetKind.DAILY else "BUDGET_MODE_TOTAL"
