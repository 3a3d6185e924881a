"""The publishing world of publishing_world.py on Google Ads: the service's settings and process
environment pointed at the fake Google Ads, a shop whose Google Ads customer is connected with
an hour-long access token and its refresh token (its purchase conversion action chosen), and
campaigns planned on Google Ads whose creatives hold one square image: one Demand Gen ad each."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from adly_campaigns.adapters.container import Adapters
from adly_campaigns.domain.ports import PlatformToken
from adly_campaigns.handlers import ad_accounts, catalog
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
from adly_kit.db import unit_of_work
from tests.fakes.google_ads import ACCESS_TTL, CLIENT_ID, CLIENT_SECRET, SCOPE, FakeGoogleAds
from tests.fakes.server import free_port

from .publishing_world import (
    MERCHANT,
    CreativeAssets,
    Shop,
    approve,
    campaign_in_review,
    campaigns_settings,
    process_env,
)

GOOGLE = AdPlatform.GOOGLE_ADS


def square_png(seed: int = 0) -> bytes:
    """A 300x300 PNG, different for every seed: Google's logo and square image sizes take it."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), (seed * 37 % 256, seed * 91 % 256, 140)).save(buffer, format="PNG")
    return buffer.getvalue()


def google_settings(database_url: str, bootstrap: str, broker_kind: str, google: FakeGoogleAds, creative_url: str,
                    **overrides: Any) -> CampaignsSettings:
    return campaigns_settings(database_url, bootstrap, broker_kind, f"http://127.0.0.1:{free_port()}", creative_url,
                              **({"google_ads_client_id": CLIENT_ID, "google_ads_client_secret": CLIENT_SECRET,
                                  "google_ads_api_url": google.api_url, "google_oauth_url": google.oauth_url,
                                  "google_token_url": google.token_url} | overrides))


def google_env(settings: CampaignsSettings) -> dict[str, str]:
    secret = settings.google_ads_client_secret.get_secret_value() if settings.google_ads_client_secret else ""
    return process_env(settings) | {"ADLY_GOOGLE_ADS_CLIENT_ID": settings.google_ads_client_id,
                                    "ADLY_GOOGLE_ADS_CLIENT_SECRET": secret,
                                    "ADLY_GOOGLE_ADS_API_URL": settings.google_ads_api_url,
                                    "ADLY_GOOGLE_OAUTH_URL": settings.google_oauth_url,
                                    "ADLY_GOOGLE_TOKEN_URL": settings.google_token_url}


def google_plan(product_id: UUID, today: date, amount: str = "150") -> CampaignPlan:
    return CampaignPlan(
        objective=Objective.SALES, platforms=[GOOGLE],
        budgets=[PlatformBudget(platform=GOOGLE, budget=Budget(kind=BudgetKind.DAILY,
                                                               amount=Money(amount=Decimal(amount), currency="SAR")))],
        schedule=Schedule(starts_on=today + timedelta(days=2), ends_on=today + timedelta(days=16),
                          time_zone="Asia/Riyadh"),
        audience=Audience(countries=["SA", "AE"], languages=["ar"]), product_ids=[product_id],
        creative_language="ar", variants_per_platform=1)


async def open_google_shop(a: Adapters, google: FakeGoogleAds) -> Shop:
    """A workspace with one product and its own Google Ads customer (`Shop.meta_account` holds
    the customer id)."""
    seeded = google.seed_account()
    workspace_id, product_id = uuid.uuid4(), uuid.uuid4()
    product = CatalogProduct(
        external_id=str(product_id.int % 10**9), name="Oud perfume", names={"ar": "عطر عود"}, status=ProductStatus.ACTIVE,
        url="https://oud.example/products/oud", description="A warm oud.",
        variants=[ProductVariant(external_id="v1", price=Money(amount=Decimal("149"), currency="SAR"))])
    upserted = ProductUpserted(store_id=uuid.uuid4(), platform="salla", product=product)
    envelope = CATALOG.envelope(upserted, aggregate_id=product_id, aggregate_version=1, workspace_id=workspace_id)
    token = PlatformToken(seeded.token, datetime.now(UTC) + timedelta(seconds=ACCESS_TTL), seeded.refresh_token, [SCOPE])
    found = await ad_accounts.options(a, GOOGLE, seeded.token, seeded.customer_id)
    async with unit_of_work(a.engine) as tx:
        await catalog.product_upserted(tx, a, upserted, envelope)
        account = await ad_accounts.connect(tx, a, workspace_id, GOOGLE, token, found, None,
                                            seeded.conversion_action_id, MERCHANT)
    return Shop(workspace_id, product_id, account.id, seeded.customer_id, seeded.token)


async def approved_google_campaign(a: Adapters, shop: Shop, assets: CreativeAssets, *, seed: int = 0,
                                   name: str = "Eid oud sale") -> UUID:
    campaign_id = await campaign_in_review(a, shop, assets, name=name, image=square_png(seed),
                                           plan=google_plan(shop.product_id, date.today()))
    await approve(a, shop, campaign_id)
    return campaign_id


def objects_on(google: FakeGoogleAds, customer_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every object on the fake's customer, by kind (a creative is never one on Google)."""
    return {kind: google.of_kind(kind, customer_id)
            for kind in ("campaign", "budget", "ad_set", "image", "creative", "ad", "criterion")}
