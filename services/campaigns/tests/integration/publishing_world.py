"""A shop ready to publish, on a real Postgres schema, through the campaigns service's own
handlers and adapters: a product in the products read model, a Meta ad account (the fake's)
connected with a sealed token, and campaigns walked from draft to approved. Creative's asset
bytes come from `CreativeAssets`, a stand-in for creative's internal route on 127.0.0.1.

Used by the publishing tests in this folder and by bench/campaigns_publish.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adly_campaigns.adapters.container import Adapters
from adly_campaigns.bootstrap import MIGRATIONS, build
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
from adly_events.contracts.creative import AdCopy, AssetReference, CreativeGenerated
from adly_kit import migrations
from adly_kit.db import unit_of_work
from adly_kit.identity import HEADER, verify
from adly_kit.service import Runtime
from adly_kit.testing.plugin import drop_schema
from tests.fakes.meta import APP_ID, APP_SECRET, FakeMeta, SeededAccount
from tests.fakes.server import FakeServer

META = AdPlatform.META
MERCHANT = "user-merchant"


def png(seed: int = 0) -> bytes:
    """A small real PNG, different for every seed (Meta keys images by their bytes)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (seed * 37 % 256, seed * 91 % 256, 120)).save(buffer, format="PNG")
    return buffer.getvalue()


class CreativeAssets(FakeServer):
    """Creative's `GET /internal/creative/workspaces/{ws}/assets/{id}`: the bytes, their media type
    and an ETag of their SHA-256, only for a signed service identity of the asset's own workspace
    (what adly_creative.entrypoints.internal_routes answers)."""

    def __init__(self, identity_key: str) -> None:
        super().__init__()
        self.key = identity_key.encode()
        self.blobs: dict[tuple[UUID, UUID], tuple[bytes, str]] = {}
        self.fetches = 0
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/internal/creative/workspaces/{ws}/assets/{asset}", self._asset)])

    def put(self, workspace_id: UUID, content: bytes, media_type: str = "image/png") -> AssetReference:
        asset_id = uuid.uuid4()
        with self._lock:
            self.blobs[workspace_id, asset_id] = (content, media_type)
        return AssetReference(asset_id=asset_id, kind="image", format="1:1", sha256=hashlib.sha256(content).hexdigest(),
                              media_type=media_type, bytes=len(content))

    async def _asset(self, request: Request) -> Response:
        identity = verify(request.headers.get(HEADER), self.key)
        workspace_id, asset_id = UUID(request.path_params["ws"]), UUID(request.path_params["asset"])
        if identity is None:
            return Response(status_code=401)
        if identity.kind != "service" or identity.ws != workspace_id:
            return Response(status_code=403)
        with self._lock:
            self.fetches += 1
            found = self.blobs.get((workspace_id, asset_id))
        if found is None:
            return Response(status_code=404)
        content, media_type = found
        return Response(content, media_type=media_type, headers={"ETag": f'"{hashlib.sha256(content).hexdigest()}"'})


def campaigns_settings(database_url: str, bootstrap: str, broker_kind: str, meta_url: str, creative_url: str,
                       **overrides: Any) -> CampaignsSettings:
    values: dict[str, Any] = {
        "service_name": "campaigns", "database_schema": f"c{uuid.uuid4().hex[:12]}", "environment": "test",
        "ADLY_DATABASE_URL": database_url, "ADLY_KAFKA_BOOTSTRAP_SERVERS": bootstrap, "kafka_broker_kind": broker_kind,
        "topic_partitions": 3, "topic_replication_factor": 1, "topic_min_insync_replicas": 1,
        "meta_app_id": APP_ID, "meta_app_secret": APP_SECRET, "meta_graph_url": meta_url,
        "meta_dialog_url": meta_url, "creative_url": creative_url, "platform_timeout_seconds": 10.0,
        "publish_poll_seconds": 0.2, "review_poll_seconds": 3600.0,
    }
    return CampaignsSettings(**(values | overrides))


def process_env(settings: CampaignsSettings) -> dict[str, str]:
    """The environment of an `adly-campaigns` process that shares `settings`' schema and fakes."""
    secret = settings.meta_app_secret.get_secret_value() if settings.meta_app_secret else ""
    return {
        "PYTHONUNBUFFERED": "1", "ADLY_ENVIRONMENT": "test", "ADLY_LOG_LEVEL": "WARNING",
        "ADLY_DATABASE_URL": settings.database_url, "ADLY_DATABASE_SCHEMA": settings.schema,
        "ADLY_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "ADLY_KAFKA_BROKER_KIND": settings.kafka_broker_kind, "ADLY_TOPIC_PARTITIONS": str(settings.topic_partitions),
        "ADLY_TOPIC_REPLICATION_FACTOR": "1", "ADLY_TOPIC_MIN_INSYNC_REPLICAS": "1",
        "ADLY_INTERNAL_IDENTITY_KEY": settings.internal_identity_key.get_secret_value(),
        "ADLY_ENCRYPTION_KEYS": settings.encryption_keys.get_secret_value(),
        "ADLY_META_APP_ID": settings.meta_app_id, "ADLY_META_APP_SECRET": secret,
        "ADLY_META_GRAPH_URL": settings.meta_graph_url, "ADLY_META_DIALOG_URL": settings.meta_dialog_url,
        "ADLY_CREATIVE_URL": settings.creative_url,
        "ADLY_PUBLISH_LEASE_SECONDS": str(settings.publish_lease_seconds),
        "ADLY_PUBLISH_POLL_SECONDS": str(settings.publish_poll_seconds),
        "ADLY_PUBLISH_CONCURRENCY": str(settings.publish_concurrency),
        "ADLY_PUBLISH_MAX_ATTEMPTS": str(settings.publish_max_attempts),
        "ADLY_REVIEW_POLL_SECONDS": str(settings.review_poll_seconds),
    }


@asynccontextmanager
async def campaigns_service(settings: CampaignsSettings) -> AsyncIterator[Adapters]:
    """The service's adapters on a freshly migrated schema (dropped afterwards); no runner runs."""
    await asyncio.to_thread(migrations.upgrade, settings, str(MIGRATIONS))
    runtime = Runtime(build(), settings)
    try:
        yield await runtime.open(("worker",))
    finally:
        await runtime.close()
        await drop_schema(settings)


# ----------------------------------------------------------------------------- the shop


@dataclass(frozen=True)
class Shop:
    workspace_id: UUID
    product_id: UUID
    ad_account_id: UUID
    meta_account: str      # the fake's ad account id (no act_ prefix)
    token: str


def a_plan(product_id: UUID, today: date, amount: str = "150") -> CampaignPlan:
    schedule = Schedule(starts_on=today + timedelta(days=2), ends_on=today + timedelta(days=16), time_zone="Asia/Riyadh")
    return CampaignPlan(
        objective=Objective.SALES, platforms=[META],
        budgets=[PlatformBudget(platform=META, budget=Budget(kind=BudgetKind.DAILY,
                                                             amount=Money(amount=Decimal(amount), currency="SAR")))],
        schedule=schedule, audience=Audience(countries=["SA", "AE"], languages=["ar"]),
        product_ids=[product_id], creative_language="ar", variants_per_platform=2)


async def open_shop(a: Adapters, meta: FakeMeta) -> Shop:
    """A workspace with one product and its own Meta ad account (connected with a system-user token)."""
    return await open_shop_on(a, meta.seed_account())


async def open_shop_on(a: Adapters, seeded: SeededAccount) -> Shop:
    workspace_id, product_id = uuid.uuid4(), uuid.uuid4()
    product = CatalogProduct(
        external_id=str(product_id.int % 10**9), name="Oud perfume", names={"ar": "عطر عود"}, status=ProductStatus.ACTIVE,
        url="https://oud.example/products/oud", description="A warm oud.",
        variants=[ProductVariant(external_id="v1", price=Money(amount=Decimal("149"), currency="SAR"))])
    upserted = ProductUpserted(store_id=uuid.uuid4(), platform="salla", product=product)
    envelope = CATALOG.envelope(upserted, aggregate_id=product_id, aggregate_version=1, workspace_id=workspace_id)
    found = await ad_accounts.options(a, META, seeded.token, seeded.account_id)
    async with unit_of_work(a.engine) as tx:
        await catalog.product_upserted(tx, a, upserted, envelope)
        account = await ad_accounts.connect(tx, a, workspace_id, META, PlatformToken(seeded.token), found,
                                            seeded.page_id, seeded.pixel_id, MERCHANT)
    return Shop(workspace_id, product_id, account.id, seeded.account_id, seeded.token)


def creatives_for(shop: Shop, campaign_id: UUID, request_id: UUID, image: AssetReference,
                  platforms: list[AdPlatform]) -> CreativeGenerated:
    image = image.model_copy(update={"product_id": shop.product_id})
    return CreativeGenerated(
        request_id=request_id, campaign_id=campaign_id, assets=[image],
        copies=[AdCopy(platform=p, language="ar", headline="عطر العود", primary_text="دافئ لكل مساء",
                       call_to_action="SHOP_NOW", product_id=shop.product_id) for p in platforms],
        provider="offline", cost=Money(amount=Decimal("0"), currency="USD"), product_ids=[shop.product_id])


async def campaign_in_review(a: Adapters, shop: Shop, assets: CreativeAssets, *, name: str = "Eid oud sale",
                             image: bytes | None = None, plan: CampaignPlan | None = None) -> UUID:
    """Drafted and answered by creative: one image and a copy per platform, so one ad per platform."""
    today = date.today()
    plan = plan or a_plan(shop.product_id, today)
    async with unit_of_work(a.engine) as tx:
        campaign = await campaigns.draft(tx, a, shop.workspace_id, name, "عيد سعيد: عطر العود", plan, MERCHANT, today)
    async with unit_of_work(a.engine) as tx:
        asked = await campaigns.request_creatives(tx, a, shop.workspace_id, campaign.id)
    assert asked.creatives_request is not None
    answer = creatives_for(shop, campaign.id, asked.creatives_request, assets.put(shop.workspace_id, image or png()),
                           list(plan.platforms))
    envelope = CATALOG.envelope(answer, aggregate_id=uuid.uuid4(), aggregate_version=1, workspace_id=shop.workspace_id)
    async with unit_of_work(a.engine) as tx:
        await creatives.generated(tx, a, answer, envelope)
    return campaign.id


async def approve(a: Adapters, shop: Shop, campaign_id: UUID) -> None:
    async with unit_of_work(a.engine) as tx:
        await campaigns.approve(tx, a, shop.workspace_id, campaign_id, MERCHANT, "owner", None)


async def approved_campaign(a: Adapters, shop: Shop, assets: CreativeAssets, *, name: str = "Eid oud sale",
                            image_seed: int = 0, plan: CampaignPlan | None = None) -> UUID:
    campaign_id = await campaign_in_review(a, shop, assets, name=name, image=png(image_seed), plan=plan)
    await approve(a, shop, campaign_id)
    return campaign_id


async def publish(a: Adapters, shop: Shop, campaign_id: UUID) -> None:
    """The merchant's `POST /campaigns/{id}/publication`: one publication queued per platform."""
    async with unit_of_work(a.engine) as tx:
        await campaigns.publish(tx, a, shop.workspace_id, campaign_id, MERCHANT, {})


# ----------------------------------------------------------------------------- reading back


async def rows(a: Adapters, sql: str, **params: Any) -> list[Any]:
    async with a.engine.connect() as conn:
        return list(await conn.execute(text(sql.replace("{s}", a.settings.schema)), params))


async def state_of(a: Adapters, campaign_id: UUID) -> str:
    (row,) = await rows(a, "SELECT state FROM {s}.campaigns WHERE id = :id", id=campaign_id)
    return str(row[0])


async def settled(a: Adapters, campaign_id: UUID, timeout: float = 60.0) -> str:
    """The campaign's state once publishing has answered on every platform (or the timeout, a bound only)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        state = await state_of(a, campaign_id)
        if state != "publishing" or asyncio.get_running_loop().time() > deadline:
            return state
        await asyncio.sleep(0.05)


async def events_of(a: Adapters, aggregate_id: UUID, event_type: str | None = None) -> list[dict[str, Any]]:
    found = await rows(a, """SELECT event_type, envelope->'payload' FROM {s}.events WHERE aggregate_id = :id
        ORDER BY aggregate_version""", id=aggregate_id)
    return [payload for kind, payload in found if event_type in (None, kind)]


def objects_on(meta: FakeMeta, account_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every object on the fake's ad account, by kind."""
    return {kind: meta.of_kind(kind, account_id) for kind in ("campaign", "ad_set", "image", "creative", "ad")}
