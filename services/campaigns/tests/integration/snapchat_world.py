"""The publishing world of publishing_world.py on Snapchat: the service's settings and process
environment pointed at the fake Snapchat, a shop whose Snapchat ad account is connected with
an hour-long token and its refresh token (its public profile and Snap Pixel chosen), and
campaigns planned on Snapchat whose creatives hold one image: one Snapchat ad each."""

from __future__ import annotations

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
from tests.fakes.server import free_port
from tests.fakes.snapchat import ACCESS_TTL, CLIENT_ID, CLIENT_SECRET, FakeSnapchat

from .publishing_world import MERCHANT, CreativeAssets, Shop, approved_campaign, campaigns_settings, process_env

SNAPCHAT = AdPlatform.SNAPCHAT


def snapchat_settings(database_url: str, bootstrap: str, broker_kind: str, snapchat: FakeSnapchat, creative_url: str,
                      **overrides: Any) -> CampaignsSettings:
    return campaigns_settings(database_url, bootstrap, broker_kind, f"http://127.0.0.1:{free_port()}", creative_url,
                              **({"snapchat_client_id": CLIENT_ID, "snapchat_client_secret": CLIENT_SECRET,
                                  "snapchat_api_url": snapchat.api_url, "snapchat_accounts_url": snapchat.accounts_url}
                                 | overrides))


def snapchat_env(settings: CampaignsSettings) -> dict[str, str]:
    secret = settings.snapchat_client_secret.get_secret_value() if settings.snapchat_client_secret else ""
    return process_env(settings) | {"ADLY_SNAPCHAT_CLIENT_ID": settings.snapchat_client_id,
                                    "ADLY_SNAPCHAT_CLIENT_SECRET": secret,
                                    "ADLY_SNAPCHAT_API_URL": settings.snapchat_api_url,
                                    "ADLY_SNAPCHAT_ACCOUNTS_URL": settings.snapchat_accounts_url}


def snapchat_plan(product_id: UUID, today: date, amount: str = "150") -> CampaignPlan:
    return CampaignPlan(
        objective=Objective.SALES, platforms=[SNAPCHAT],
        budgets=[PlatformBudget(platform=SNAPCHAT, budget=Budget(kind=BudgetKind.DAILY,
                                                                 amount=Money(amount=Decimal(amount), currency="SAR")))],
        schedule=Schedule(starts_on=today + timedelta(days=2), ends_on=today + timedelta(days=16),
                          time_zone="Asia/Riyadh"),
        audience=Audience(countries=["SA", "AE"], languages=["ar"]), product_ids=[product_id],
        creative_language="ar", variants_per_platform=1)


async def open_snapchat_shop(a: Adapters, snapchat: FakeSnapchat) -> Shop:
    """A workspace with one product and its own Snapchat ad account (`Shop.meta_account` holds
    the Snapchat ad account's id)."""
    seeded = snapchat.seed_account()
    workspace_id, product_id = uuid.uuid4(), uuid.uuid4()
    product = CatalogProduct(
        external_id=str(product_id.int % 10**9), name="Oud perfume", names={"ar": "عطر عود"}, status=ProductStatus.ACTIVE,
        url="https://oud.example/products/oud", description="A warm oud.",
        variants=[ProductVariant(external_id="v1", price=Money(amount=Decimal("149"), currency="SAR"))])
    upserted = ProductUpserted(store_id=uuid.uuid4(), platform="salla", product=product)
    envelope = CATALOG.envelope(upserted, aggregate_id=product_id, aggregate_version=1, workspace_id=workspace_id)
    token = PlatformToken(seeded.token, datetime.now(UTC) + timedelta(seconds=ACCESS_TTL), seeded.refresh_token,
                          ["snapchat-marketing-api"])
    found = await ad_accounts.options(a, SNAPCHAT, seeded.token, seeded.account_id)
    async with unit_of_work(a.engine) as tx:
        await catalog.product_upserted(tx, a, upserted, envelope)
        account = await ad_accounts.connect(tx, a, workspace_id, SNAPCHAT, token, found, seeded.profile_id,
                                            seeded.pixel_id, MERCHANT)
    return Shop(workspace_id, product_id, account.id, seeded.account_id, seeded.token)


async def approved_snapchat_campaign(a: Adapters, shop: Shop, assets: CreativeAssets, *, seed: int = 0,
                                     name: str = "Eid oud sale") -> UUID:
    return await approved_campaign(a, shop, assets, name=name, image_seed=seed,
                                   plan=snapchat_plan(shop.product_id, date.today()))


def objects_on(snapchat: FakeSnapchat, account_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every object on the fake's ad account, by kind."""
    return {kind: snapchat.of_kind(kind, account_id) for kind in ("campaign", "ad_set", "image", "creative", "ad")}
