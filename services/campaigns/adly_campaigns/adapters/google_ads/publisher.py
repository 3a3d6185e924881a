"""Google's side of `AdPublisher`: a Demand Gen campaign, its ad group, image assets and ads.

Why Demand Gen and not Performance Max: ADLY publishes in steps (campaign, ad set, then per
ad its media, creative and ad), each created once and found again by name. A Demand Gen
campaign has exactly that shape: campaign -> ad group -> ad group ad, an ad built from
images, headlines, descriptions, a business name and a logo, reviewed one ad at a time
(`ad_group_ad.policy_summary`) and reported per ad. A Performance Max asset group must be
created in the same request as all of its assets and has no ad-level rows or reviews, so it
fits neither the steps nor the ad-level reports. (platform_rules' Google column still names
PERFORMANCE_MAX / SEARCH / DISPLAY; the channel here is DEMAND_GEN for every objective, the
bidding follows the objective.)

The steps on Google:
- campaign: one atomic `googleAds:mutate` creates the campaign budget (named like the
  campaign, not shared) and the PAUSED campaign that uses it, so a budget is never orphaned.
  The campaign step does not know the merchant's budget yet (CampaignSpec has none), and a
  campaign cannot exist without one, so the budget starts at Google's own Demand Gen daily
  minimum for the account's currency (`currency_constant`), and the campaign stays paused;
- ad_set: one atomic `googleAds:mutate` sets the budget to the merchant's amount, the
  campaign's dates, its places and languages, and creates the PAUSED ad group with its
  demographic exclusions: the budget belongs to this step, and `set_budget` changes it;
- image: `assets:mutate` with the image bytes (Google keys image assets by content too);
  videos are YouTube videos on Google, so a video is refused;
- creative: nothing on Google (creative.py);
- ad: `adGroupAds:mutate`, a PAUSED Demand Gen multi-asset ad; its id is the ad group ad's
  `{ad group id}~{ad id}`.
`find` looks objects up by name through GAQL (the budget goes with its campaign).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx

from adly_campaigns.adapters.google_ads.client import GoogleAdsApi, last_id, number, quoted
from adly_campaigns.adapters.google_ads.creative import CALLS_TO_ACTION, PackedCreative, logo_problem, slot_of, unpack
from adly_campaigns.adapters.google_ads.reviews import review_of
from adly_campaigns.adapters.google_ads.settings import GoogleAdsSettings, digits
from adly_campaigns.adapters.google_ads.targeting import Targeting
from adly_campaigns.domain.money import MICROS, budget_units
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
from adly_campaigns.domain.schedule import zone
from adly_events.contracts.campaigns import Budget, BudgetKind, Objective
from adly_events.contracts.common import AdPlatform
from adly_kit.errors import InvalidInput

log = logging.getLogger(__name__)

CHANNEL = "DEMAND_GEN"
BIDDING: dict[Objective, dict[str, Any]] = {
    Objective.SALES: {"maximizeConversionValue": {}}, Objective.CONVERSIONS: {"maximizeConversions": {}},
    Objective.TRAFFIC: {"targetSpend": {}}, Objective.AWARENESS: {"targetSpend": {}}}
NOT_POLITICAL = "DOES_NOT_CONTAIN_EU_POLITICAL_ADVERTISING"
BUSINESS_NAME_WIDTH = 25
IDS_PER_READ = 200


def _day_time(moment: datetime, time_zone: str, end: bool) -> str:
    """A campaign date in the account's time zone at day granularity (the window's end is the
    next midnight, so the last day is the second before it)."""
    local = (moment - timedelta(seconds=1) if end else moment).astimezone(zone(time_zone))
    return local.strftime("%Y-%m-%d 23:59:59" if end else "%Y-%m-%d 00:00:00")


def _on_budget(error: PlatformError) -> PlatformError:
    """Google's refusal of the budget's micros, pointed at the field the merchant edits."""
    if error.field and "amount_micros" in error.field:
        error.field = "budget.amount"
    return error


class GoogleAdsPublisher:
    platform = AdPlatform.GOOGLE_ADS

    def __init__(self, settings: GoogleAdsSettings, http: httpx.AsyncClient | None = None, *,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 api: GoogleAdsApi | None = None) -> None:
        self._owns_api = api is None
        self.api = api or GoogleAdsApi(settings, http, clock=clock, sleep=sleep)
        self.targeting = Targeting(self.api)

    async def aclose(self) -> None:
        if self._owns_api:
            await self.api.aclose()

    def _refuse(self, kind: ErrorKind, message: str, field: str | None = None) -> PlatformError:
        return self.api.refuse(PlatformError(kind, message, field=field))

    async def _rows(self, account: AccountAccess, query: str) -> list[dict[str, Any]]:
        return await self.api.rows(account.token, account.platform_account_id, query)

    def _rn(self, account: AccountAccess, collection: str, object_id: str) -> str:
        return f"customers/{digits(account.platform_account_id)}/{collection}/{object_id}"

    # --- finding what an earlier attempt created -------------------------------------------

    async def find(self, account: AccountAccess, kind: ObjectKind, name: str, parent_id: str | None) -> str | None:
        if kind is ObjectKind.CAMPAIGN:
            query = (f"SELECT campaign.id FROM campaign WHERE campaign.name = {quoted(name)} "
                     "AND campaign.status != 'REMOVED'")
            path = ("campaign", "id")
        elif kind is ObjectKind.AD_SET:
            query = (f"SELECT ad_group.id FROM ad_group WHERE ad_group.name = {quoted(name)} "
                     "AND ad_group.status != 'REMOVED'" + (f" AND campaign.id = {digits(parent_id)}" if parent_id else ""))
            path = ("adGroup", "id")
        elif kind is ObjectKind.IMAGE:
            query = f"SELECT asset.id FROM asset WHERE asset.name = {quoted(name)} AND asset.type = 'IMAGE'"
            path = ("asset", "id")
        elif kind is ObjectKind.AD:
            query = (f"SELECT ad_group.id, ad_group_ad.ad.id FROM ad_group_ad WHERE ad_group_ad.ad.name = {quoted(name)} "
                     "AND ad_group_ad.status != 'REMOVED'" + (f" AND ad_group.id = {digits(parent_id)}" if parent_id else ""))
            rows = await self._rows(account, query)
            return next((f"{r['adGroup']['id']}~{r['adGroupAd']['ad']['id']}" for r in rows
                         if r.get("adGroup", {}).get("id") and r.get("adGroupAd", {}).get("ad", {}).get("id")), None)
        else:  # a creative is no object on Google; a video is never uploaded
            return None
        rows = await self._rows(account, query)
        return next((str(r[path[0]][path[1]]) for r in rows if r.get(path[0], {}).get(path[1])), None)

    # --- creating --------------------------------------------------------------------------

    async def create_campaign(self, account: AccountAccess, spec: CampaignSpec) -> str:
        budget = self._rn(account, "campaignBudgets", "-1")
        names = await self.api.mutate_together(account.token, account.platform_account_id, [
            {"campaignBudgetOperation": {"create": {
                "resourceName": budget, "name": spec.name, "amountMicros": str(await self._placeholder(account)),
                "deliveryMethod": "STANDARD", "explicitlyShared": False}}},
            {"campaignOperation": {"create": {
                "name": spec.name, "status": "PAUSED", "advertisingChannelType": CHANNEL, "campaignBudget": budget,
                "containsEuPoliticalAdvertising": NOT_POLITICAL, **BIDDING[spec.objective]}}}])
        return self._id(names, 1)

    async def create_ad_set(self, account: AccountAccess, spec: AdSetSpec) -> str:
        micros = self._micros(account, spec.budget)
        targets = await self.targeting.resolve(account, spec.audience)
        campaign = self._rn(account, "campaigns", digits(spec.campaign_id))
        rows = await self._rows(account, f"SELECT campaign.campaign_budget FROM campaign WHERE campaign.id = "
                                         f"{digits(spec.campaign_id)}")
        budget = next((str(r["campaign"]["campaignBudget"]) for r in rows if r.get("campaign", {}).get("campaignBudget")),
                      None)
        if budget is None:
            raise self._refuse(ErrorKind.NOT_FOUND, "The Google Ads campaign is gone; ADLY creates it again.")
        ad_group = self._rn(account, "adGroups", "-2")
        operations: list[dict[str, Any]] = [
            {"campaignBudgetOperation": {"update": {"resourceName": budget, "amountMicros": str(micros)},
                                         "updateMask": "amountMicros"}}]
        dates = self._dates(account, spec.starts_at, spec.ends_at)
        if dates:
            operations.append({"campaignOperation": {"update": {"resourceName": campaign, **dates},
                                                     "updateMask": ",".join(dates)}})
        operations += targets.campaign_criteria(campaign)
        at = len(operations)
        operations.append({"adGroupOperation": {"create": {"resourceName": ad_group, "name": spec.name,
                                                           "campaign": campaign, "status": "PAUSED"}}})
        operations += targets.ad_group_criteria(ad_group)
        try:
            names = await self.api.mutate_together(account.token, account.platform_account_id, operations)
        except PlatformError as refused:
            raise _on_budget(refused) from None
        return self._id(names, at)

    async def upload_media(self, account: AccountAccess, spec: MediaSpec) -> str:
        if spec.kind is not ObjectKind.IMAGE:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, "Google Ads plays videos from YouTube only; ADLY publishes "
                               "image ads on Google Ads.", "video")
        names = await self.api.mutate(account.token, account.platform_account_id, "assets", [{"create": {
            "name": spec.name, "type": "IMAGE", "imageAsset": {"data": base64.b64encode(spec.content).decode()}}}])
        return self._id(names, 0)

    async def create_creative(self, account: AccountAccess, spec: CreativeSpec) -> str:
        if not spec.image_ref:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, "A Google Ads Demand Gen ad needs an image.", "media")
        rows = await self._rows(account, "SELECT asset.id, asset.image_asset.full_size.width_pixels, "
                                         "asset.image_asset.full_size.height_pixels FROM asset WHERE asset.id = "
                                         f"{digits(spec.image_ref)}")
        size = next((r["asset"].get("imageAsset", {}).get("fullSize", {}) for r in rows if r.get("asset")), None)
        if size is None:
            raise self._refuse(ErrorKind.NOT_FOUND, "The ad's image is gone from Google Ads; ADLY uploads it again.")
        width, height = number(size.get("widthPixels")), number(size.get("heightPixels"))
        if problem := logo_problem(width, height):
            raise self._refuse(ErrorKind.INVALID_PARAMETER, problem, "image")
        texts = [t for t in dict.fromkeys([spec.primary_text, spec.description or ""]) if t]
        return PackedCreative(digits(spec.image_ref), width, height, spec.headline, texts, spec.link,
                              CALLS_TO_ACTION.get(spec.call_to_action.upper())).pack()

    async def create_ad(self, account: AccountAccess, spec: AdSpec) -> str:
        creative = unpack(spec.creative_id)
        if creative is None:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, "This creative was not made for Google Ads.", "creative")
        image = {"asset": self._rn(account, "assets", creative.asset_id)}
        ad: dict[str, Any] = {
            "headlines": [{"text": creative.headline}], "descriptions": [{"text": t} for t in creative.descriptions],
            "businessName": await self._business_name(account), "logoImages": [image],
            slot_of(creative.width, creative.height) or "squareMarketingImages": [image]}
        if creative.call_to_action:
            ad["callToActionText"] = creative.call_to_action
        names = await self.api.mutate(account.token, account.platform_account_id, "adGroupAds", [{"create": {
            "adGroup": self._rn(account, "adGroups", digits(spec.ad_set_id)), "status": "PAUSED",
            "ad": {"name": spec.name, "finalUrls": [creative.link], "demandGenMultiAssetAd": ad}}}])
        return self._id(names, 0)

    # --- steering --------------------------------------------------------------------------

    async def set_status(self, account: AccountAccess, kind: ObjectKind, platform_id: str, active: bool) -> None:
        services = {ObjectKind.CAMPAIGN: ("campaigns", "campaigns"), ObjectKind.AD_SET: ("adGroups", "adGroups"),
                    ObjectKind.AD: ("adGroupAds", "adGroupAds")}
        if kind not in services:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, f"A Google Ads {kind} cannot be switched on or off.", "kind")
        service, collection = services[kind]
        await self.api.mutate(account.token, account.platform_account_id, service, [{
            "update": {"resourceName": self._rn(account, collection, platform_id), "status":
                       "ENABLED" if active else "PAUSED"}, "updateMask": "status"}])

    async def set_budget(self, account: AccountAccess, ad_set_id: str, budget: Budget) -> None:
        micros = self._micros(account, budget)
        found = await self._of_ad_group(account, ad_set_id)
        try:
            await self.api.mutate(account.token, account.platform_account_id, "campaignBudgets", [{
                "update": {"resourceName": found["campaignBudget"], "amountMicros": str(micros)},
                "updateMask": "amountMicros"}])
        except PlatformError as refused:
            raise _on_budget(refused) from None

    async def set_schedule(self, account: AccountAccess, ad_set_id: str, starts_at: datetime | None,
                           ends_at: datetime | None) -> None:
        dates = self._dates(account, starts_at, ends_at)
        if dates:
            found = await self._of_ad_group(account, ad_set_id)
            await self.api.mutate(account.token, account.platform_account_id, "campaigns", [{
                "update": {"resourceName": found["resourceName"], **dates}, "updateMask": ",".join(dates)}])

    async def reviews(self, account: AccountAccess, platform_ad_ids: Sequence[str]) -> list[AdReview]:
        found: list[AdReview] = []
        for start in range(0, len(platform_ad_ids), IDS_PER_READ):
            chunk = list(platform_ad_ids[start:start + IDS_PER_READ])
            names = ", ".join(quoted(self._rn(account, "adGroupAds", ad_id)) for ad_id in chunk)
            rows = await self._rows(account, "SELECT ad_group_ad.resource_name, ad_group_ad.policy_summary.approval_status, "
                                             "ad_group_ad.policy_summary.review_status, "
                                             "ad_group_ad.policy_summary.policy_topic_entries FROM ad_group_ad "
                                             f"WHERE ad_group_ad.resource_name IN ({names})")
            by_id = {last_id(str(r["adGroupAd"]["resourceName"])): r["adGroupAd"] for r in rows
                     if r.get("adGroupAd", {}).get("resourceName")}
            found += [review_of(ad_id, by_id[ad_id]) for ad_id in chunk if ad_id in by_id]
        return found

    # --- helpers ---------------------------------------------------------------------------

    async def _of_ad_group(self, account: AccountAccess, ad_set_id: str) -> dict[str, Any]:
        rows = await self._rows(account, "SELECT campaign.resource_name, campaign.campaign_budget FROM ad_group WHERE "
                                         f"ad_group.id = {digits(ad_set_id)}")
        campaign = next((r["campaign"] for r in rows if r.get("campaign", {}).get("campaignBudget")), None)
        if campaign is None:
            raise self._refuse(ErrorKind.NOT_FOUND, "Google Ads no longer has this ad group.")
        return dict(campaign)

    async def _placeholder(self, account: AccountAccess) -> int:
        """Google's Demand Gen daily minimum in the account's currency (one unit without an answer)."""
        rows = await self._rows(account, "SELECT currency_constant.billable_unit_micros, "
                                         "currency_constant.demand_gen_info.minimum_budget_per_day_micros FROM "
                                         f"currency_constant WHERE currency_constant.code = {quoted(account.currency)}")
        constant: dict[str, Any] = next((r["currencyConstant"] for r in rows if r.get("currencyConstant")), {})
        return number(constant.get("demandGenInfo", {}).get("minimumBudgetPerDayMicros")) or MICROS

    async def _business_name(self, account: AccountAccess) -> str:
        rows = await self._rows(account, "SELECT customer.descriptive_name FROM customer")
        name = next((str(r["customer"]["descriptiveName"]) for r in rows
                     if r.get("customer", {}).get("descriptiveName")), "")
        if not name:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, "Give the Google Ads account a name: Google shows it "
                               "as the business name of every ad.", "business_name")
        return name[:BUSINESS_NAME_WIDTH].strip()

    def _dates(self, account: AccountAccess, starts_at: datetime | None, ends_at: datetime | None) -> dict[str, str]:
        dates = {}
        if starts_at is not None:
            dates["startDateTime"] = _day_time(starts_at, account.time_zone, end=False)
        if ends_at is not None:
            dates["endDateTime"] = _day_time(ends_at, account.time_zone, end=True)
        return dates

    def _micros(self, account: AccountAccess, budget: Budget) -> int:
        if budget.kind is not BudgetKind.DAILY:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, "ADLY runs Google Ads Demand Gen campaigns on a daily "
                               "budget: set a daily budget for Google Ads.", "budget.kind")
        try:
            # 10,000 micros: Google's billable unit in nearly every currency
            converted = budget_units(self.platform, budget.amount, account.currency, step=10_000)
        except InvalidInput as refused:
            raise self._refuse(ErrorKind.INVALID_PARAMETER, str(refused), "budget.amount") from refused
        if converted.rounded:
            log.info("google budget rounded down", extra={"asked": str(budget.amount.amount), "micros": converted.units})
        return converted.units

    def _id(self, names: list[str], index: int) -> str:
        if len(names) > index and names[index]:
            return last_id(names[index])
        raise self._refuse(ErrorKind.TRANSIENT, "Google Ads' answer had no resource name; ADLY will look for the "
                           "object and try again.")
