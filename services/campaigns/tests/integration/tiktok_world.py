"""The publishing world of publishing_world.py on TikTok: the service's settings and process
environment pointed at the fake TikTok, a shop whose TikTok advertiser is connected, and
campaigns whose creatives hold what a TikTok ad needs (a 9:16 video and its 9:16 cover)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from adly_campaigns.adapters.container import Adapters
from adly_campaigns.domain.ports import PlatformToken
from adly_campaigns.handlers import ad_accounts, campaigns, catalog, creatives
from adly_campaigns.settings import CampaignsSettings
from adly_events import CATALOG
from adly_events.contracts.campaigns import (
    Audience,
    Budget,
    BudgetKind,
    CampaignPlan,
    Objective,
    PlatformBudget,
    Schedule,
)
from adly_events.contracts.catalog import CatalogProduct, ProductStatus, ProductUpserted, ProductVariant
from adly_events.contracts.common import AdPlatform, Money
from adly_events.contracts.creative import AdCopy, CreativeGenerated
from adly_kit.db import unit_of_work
from tests.fakes.server import free_port
from tests.fakes.tiktok import APP_ID, APP_SECRET, FakeTikTok

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


def tiktok_plan(product_id: UUID, today: date, amount: str = "150") -> CampaignPlan:
    return CampaignPlan(
        objective=Objective.SALES, platforms=[TIKTOK],
        budgets=[PlatformBudget(platform=TIKTOK, budget=Budget(kind=BudgetKind.DAILY,
                                                               amount=Money(amount=Decimal(amount), currency="SAR")))],
        schedule=Schedule(starts_on=today + timedelta(days=2), ends_on=today + timedelta(days=16),
                          time_zone="Asia/Riyadh"),
        audience=Audience(countries=["SA", "AE"], languages=["ar"]), product_ids=[product_id],
        creative_language="ar", variants_per_platform=1)


async def open_tiktok_shop(a: Adapters, tiktok: FakeTikTok) -> Shop:
    """A workspace with one product and its own TikTok advertiser, connected with its token."""
    seeded = tiktok.seed_account()
    workspace_id, product_id = uuid.uuid4(), uuid.uuid4()
    product = CatalogProduct(
        external_id=str(product_id.int % 10**9), name="Oud perfume", names={"ar": "عطر عود"}, status=ProductStatus.ACTIVE,
        url="https://oud.example/products/oud", description="A warm oud.",
        variants=[ProductVariant(external_id="v1", price=Money(amount=Decimal("149"), currency="SAR"))])
    upserted = ProductUpserted(store_id=uuid.uuid4(), platform="salla", product=product)
    envelope = CATALOG.envelope(upserted, aggregate_id=product_id, aggregate_version=1, workspace_id=workspace_id)
    found = await ad_accounts.options(a, TIKTOK, seeded.token, seeded.advertiser_id)
    async with unit_of_work(a.engine) as tx:
        await catalog.product_upserted(tx, a, upserted, envelope)
        account = await ad_accounts.connect(tx, a, workspace_id, TIKTOK, PlatformToken(seeded.token), found,
                                            seeded.identity_id, seeded.pixel_id, MERCHANT)
    return Shop(workspace_id, product_id, account.id, seeded.advertiser_id, seeded.token)


async def approved_tiktok_campaign(a: Adapters, shop: Shop, assets: CreativeAssets, *, seed: int = 0,
                                   name: str = "Eid oud sale") -> UUID:
    """Drafted, answered by creative with a 9:16 image and a 9:16 video, and approved: one TikTok ad."""
    today = date.today()
    plan = tiktok_plan(shop.product_id, today)
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


def objects_on(tiktok: FakeTikTok, advertiser_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every object on the fake's advertiser, by kind."""
    return {kind: tiktok.of_kind(kind, advertiser_id) for kind in ("campaign", "ad_set", "image", "video", "ad")}
