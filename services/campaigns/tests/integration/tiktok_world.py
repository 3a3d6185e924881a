"""The publishing world of publishing_world.py on TikTok: the service's settings and process
environment pointed at the fake TikTok, a shop whose TikTok advertiser is connected, and
campaigns whose creatives hold what a TikTok ad needs (a 9:16 video and its 9:16 cover); and
`TIKTOK_KILLS`, TikTok's case of the kill-between-steps test."""

from __future__ import annotations

import json
import uuid
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from adly_campaigns.adapters.container import Adapters
from adly_campaigns.domain.ports import PlatformToken
from adly_campaigns.handlers import campaigns, creatives
from adly_campaigns.settings import CampaignsSettings
from adly_events import CATALOG
from adly_events.contracts.common import AdPlatform, Money
from adly_events.contracts.creative import AdCopy, CreativeGenerated
from adly_kit.db import unit_of_work
from tests.fakes.server import free_port
from tests.fakes.tiktok import APP_ID, APP_SECRET, FakeTikTok

from .platforms_world import KillCase, Single, connect_shop, plan_on
from .publishing_world import MERCHANT, CreativeAssets, Shop, campaigns_settings, png, process_env

TIKTOK = AdPlatform.TIKTOK


def tiktok_settings(database_url: str, bootstrap: str, broker_kind: str, tiktok: FakeTikTok, creative_url: str,
                    **overrides: Any) -> CampaignsSettings:
    return campaigns_settings(database_url, bootstrap, broker_kind, f"http://127.0.0.1:{free_port()}", creative_url,
                              **({"tiktok_app_id": APP_ID, "tiktok_app_secret": APP_SECRET,
                                  "tiktok_api_url": tiktok.api_url, "tiktok_auth_url": tiktok.auth_url} | overrides))


def tiktok_env(settings: CampaignsSettings) -> dict[str, str]:
    secret = settings.tiktok_app_secret.get_secret_value() if settings.tiktok_app_secret else ""
    return process_env(settings) | {"ADLY_TIKTOK_APP_ID": settings.tiktok_app_id, "ADLY_TIKTOK_APP_SECRET": secret,
                                    "ADLY_TIKTOK_API_URL": settings.tiktok_api_url,
                                    "ADLY_TIKTOK_AUTH_URL": settings.tiktok_auth_url}


async def open_tiktok_shop(a: Adapters, tiktok: FakeTikTok) -> Shop:
    """A workspace with one product and its own TikTok advertiser, connected with its token."""
    seeded = tiktok.seed_account()
    return await connect_shop(a, TIKTOK, PlatformToken(seeded.token), seeded.advertiser_id, seeded.identity_id,
                              seeded.pixel_id)


async def approved_tiktok_campaign(a: Adapters, shop: Shop, assets: CreativeAssets, *, seed: int = 0,
                                   name: str = "Eid oud sale") -> UUID:
    """Drafted, answered by creative with a 9:16 image and a 9:16 video, and approved: one TikTok ad."""
    today = date.today()
    plan = plan_on(TIKTOK, shop.product_id, today)
    async with unit_of_work(a.engine) as tx:
        campaign = await campaigns.draft(tx, a, shop.workspace_id, name, "عيد سعيد: عطر العود", plan, MERCHANT, today)
    async with unit_of_work(a.engine) as tx:
        asked = await campaigns.request_creatives(tx, a, shop.workspace_id, campaign.id)
    assert asked.creatives_request is not None
    image = assets.put(shop.workspace_id, png(seed)).model_copy(update={"format": "9:16", "product_id": shop.product_id})
    clip = b"\x00\x00\x00\x18ftypmp42 sandbox oud clip " + str(seed).encode()
    video = assets.put(shop.workspace_id, clip, "video/mp4").model_copy(
        update={"kind": "video", "format": "9:16", "product_id": shop.product_id})
    answer = CreativeGenerated(
        request_id=asked.creatives_request, campaign_id=campaign.id, assets=[image, video],
        copies=[AdCopy(platform=TIKTOK, language="ar", headline="عطر العود", primary_text="دافئ لكل مساء",
                       call_to_action="SHOP_NOW", product_id=shop.product_id)],
        provider="offline", cost=Money(amount=Decimal("0"), currency="USD"), product_ids=[shop.product_id])
    envelope = CATALOG.envelope(answer, aggregate_id=uuid.uuid4(), aggregate_version=1, workspace_id=shop.workspace_id)
    async with unit_of_work(a.engine) as tx:
        await creatives.generated(tx, a, answer, envelope)
    async with unit_of_work(a.engine) as tx:
        await campaigns.approve(tx, a, shop.workspace_id, campaign.id, MERCHANT, "owner", None)
    return campaign.id


def _linked(one: Single, recorded: dict[str, str], what: str) -> None:
    campaign, group, image, video, ad = (one[k] for k in ("campaign", "ad_set", "image", "video", "ad"))
    assert group["campaign_id"] == campaign["campaign_id"] and ad["adgroup_id"] == group["adgroup_id"], what
    assert (ad["video_id"], ad["image_ids"]) == (video["video_id"], [image["image_id"]]), what
    assert recorded["campaign"] == campaign["campaign_id"] and recorded["ad_set"] == group["adgroup_id"], what
    by_kind = {k.rsplit("/", 1)[1]: v for k, v in recorded.items() if k.startswith("ad/")}
    assert (by_kind["image"], by_kind["video"], by_kind["ad"]) == (image["image_id"], video["video_id"], ad["ad_id"]), what
    assert json.loads(by_kind["creative"])["video_id"] == video["video_id"], what


async def _campaign(a: Adapters, shop: Shop, assets: CreativeAssets, seed: int) -> UUID:
    return await approved_tiktok_campaign(a, shop, assets, seed=seed)


TIKTOK_KILLS = KillCase(
    name="TikTok", fake=FakeTikTok, settings=tiktok_settings, env=tiktok_env, open_shop=open_tiktok_shop,
    approved_campaign=_campaign, kinds={"campaign": 1, "ad_set": 1, "image": 1, "video": 1, "ad": 1},
    # the creative is part of the ad: no request of its own
    requests=("campaign/create", "adgroup/create", "file/image/ad/upload", "file/video/ad/upload", "ad/create",
              "ad/status/update", "adgroup/status/update", "campaign/status/update"),
    # a campaign is born enabled on TikTok: its switch (8) is not counted while publishing
    creating=frozenset(range(1, 6)), switching=frozenset({6, 7}), switched=("ad_set", "ad"),
    mutation=lambda seen: seen.path.removeprefix("/open_api/v1.3/").strip("/") if seen.method == "POST" else None,
    linked=_linked, is_on=lambda o: o["operation_status"] == "ENABLE")
