"""What the kill-between-steps test (test_campaigns_publisher_kills.py) needs to know of each ad
platform, and the parts of a platform's publishing world that do not depend on the platform.

A `KillCase` tells how to start the platform's fake, the service's settings and process env
pointed at it, how to open a shop and approve a one-ad campaign on it, which objects the fake
holds afterwards (and how they link up), and the mutating requests of one uninterrupted
publish, in order, with the ones that create an object and the ones that switch one on.
Meta's case is here (its world is publishing_world.py); the others' are in <platform>_world.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol
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
from tests.fakes.meta import FakeMeta

from .publishing_world import (
    MERCHANT,
    CreativeAssets,
    Shop,
    approved_campaign,
    campaigns_settings,
    open_shop,
    process_env,
)

Found = dict[str, list[dict[str, Any]]]      # every object on the shop's account, by kind
Single = dict[str, dict[str, Any]]           # the one object of each kind, once counted


class PlatformFake(Protocol):
    """The test API every platform fake shares (tests/fakes/<platform>.py)."""

    requests: list[Any]
    stalled: Any

    def stall(self, at_request: int, when: str = "before") -> None: ...
    def release(self) -> None: ...
    def of_kind(self, kind: str, account_id: str | None = None) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class KillCase:
    name: str                                                        # in the messages: "Meta acted on it"
    fake: Callable[[], AbstractContextManager[Any]]
    settings: Callable[..., CampaignsSettings]                       # (db, bootstrap, broker, fake, creative_url, **o)
    env: Callable[[CampaignsSettings], dict[str, str]]
    open_shop: Callable[[Adapters, Any], Awaitable[Shop]]
    approved_campaign: Callable[[Adapters, Shop, CreativeAssets, int], Awaitable[UUID]]   # (..., image seed)
    kinds: dict[str, int]               # what an uninterrupted publish leaves on the account, by kind
    requests: tuple[str, ...]           # its mutating requests, in order; {a} the account, {<kind>} an object's id
    creating: frozenset[int]            # which of them (1-based) make a new object
    switching: frozenset[int]           # which of them switch on an object of `switched`
    mutation: Callable[[Any], str | None]   # a request seen by the fake as in `requests`, None if not mutating
    linked: Callable[[Single, dict[str, str], str], None]   # the objects link up and are those ADLY recorded
    is_on: Callable[[dict[str, Any]], bool]
    switched: tuple[str, ...] = ("campaign", "ad_set", "ad")
    made: tuple[str, ...] = field(default=())   # the kinds counted while publishing; () all of `kinds`

    def objects_on(self, fake: PlatformFake, account_id: str) -> Found:
        return {kind: fake.of_kind(kind, account_id) for kind in self.kinds}

    def made_so_far(self, fake: PlatformFake, shop: Shop) -> tuple[int, int]:
        """(objects on the shop's account, how many of `switched` are on)."""
        found = self.objects_on(fake, shop.meta_account)
        on = [o for kind in self.switched for o in found[kind] if self.is_on(o)]
        return sum(len(found[kind]) for kind in self.made or self.kinds), len(on)

    def expected_at_kill(self, n: int, when: str) -> tuple[int, int]:
        """What the platform holds when the process dies at request n."""
        done = n if when == "after" else n - 1
        return len([r for r in self.creating if r <= done]), len([r for r in self.switching if r <= done])

    def mutations(self, fake: PlatformFake, since: int) -> list[str]:
        return [m for seen in fake.requests[since:] if (m := self.mutation(seen)) is not None]

    def full_publish(self, found: Found, account_id: str) -> list[str]:
        ids = {"a": account_id} | {kind: objects[0]["id"] for kind, objects in found.items()
                                   if objects and "id" in objects[0]}
        return [request.format(**ids) for request in self.requests]


def plan_on(platform: AdPlatform, product_id: UUID, today: date, amount: str = "150") -> CampaignPlan:
    """A daily SAR budget on one platform, one ad."""
    return CampaignPlan(
        objective=Objective.SALES, platforms=[platform],
        budgets=[PlatformBudget(platform=platform, budget=Budget(kind=BudgetKind.DAILY,
                                                                 amount=Money(amount=Decimal(amount), currency="SAR")))],
        schedule=Schedule(starts_on=today + timedelta(days=2), ends_on=today + timedelta(days=16),
                          time_zone="Asia/Riyadh"),
        audience=Audience(countries=["SA", "AE"], languages=["ar"]), product_ids=[product_id],
        creative_language="ar", variants_per_platform=1)


async def connect_shop(a: Adapters, platform: AdPlatform, token: PlatformToken, account_id: str,
                       page_id: str | None, pixel_id: str | None) -> Shop:
    """A workspace with one product and its own ad account on `platform`, connected with `token`
    (`Shop.meta_account` holds the platform's account id)."""
    workspace_id, product_id = uuid.uuid4(), uuid.uuid4()
    product = CatalogProduct(
        external_id=str(product_id.int % 10**9), name="Oud perfume", names={"ar": "عطر عود"}, status=ProductStatus.ACTIVE,
        url="https://oud.example/products/oud", description="A warm oud.",
        variants=[ProductVariant(external_id="v1", price=Money(amount=Decimal("149"), currency="SAR"))])
    upserted = ProductUpserted(store_id=uuid.uuid4(), platform="salla", product=product)
    envelope = CATALOG.envelope(upserted, aggregate_id=product_id, aggregate_version=1, workspace_id=workspace_id)
    found = await ad_accounts.options(a, platform, token.access_token, account_id)
    async with unit_of_work(a.engine) as tx:
        await catalog.product_upserted(tx, a, upserted, envelope)
        account = await ad_accounts.connect(tx, a, workspace_id, platform, token, found, page_id, pixel_id, MERCHANT)
    return Shop(workspace_id, product_id, account.id, account_id, token.access_token)


# ----------------------------------------------------------------------------- Meta


def _meta_settings(database_url: str, bootstrap: str, broker_kind: str, meta: FakeMeta, creative_url: str,
                   **overrides: Any) -> CampaignsSettings:
    return campaigns_settings(database_url, bootstrap, broker_kind, meta.graph_url, creative_url, **overrides)


async def _meta_campaign(a: Adapters, shop: Shop, assets: CreativeAssets, seed: int) -> UUID:
    return await approved_campaign(a, shop, assets, image_seed=seed)


def _meta_linked(one: Single, recorded: dict[str, str], what: str) -> None:
    campaign, ad_set, image, creative, ad = (one[k] for k in ("campaign", "ad_set", "image", "creative", "ad"))
    assert ad_set["campaign_id"] == campaign["id"] and ad["adset_id"] == ad_set["id"], what
    assert ad["creative"]["id"] == creative["id"], what
    assert creative["object_story_spec"]["link_data"]["image_hash"] == image["hash"], what
    assert recorded["campaign"] == campaign["id"] and recorded["ad_set"] == ad_set["id"], what
    assert sorted(v for k, v in recorded.items() if k.startswith("ad/")) == sorted(
        [image["hash"], creative["id"], ad["id"]]), what


META_KILLS = KillCase(
    name="Meta", fake=FakeMeta, settings=_meta_settings, env=process_env, open_shop=open_shop,
    approved_campaign=_meta_campaign,
    kinds={"campaign": 1, "ad_set": 1, "image": 1, "creative": 1, "ad": 1},
    # the campaign, the ad set, the image upload, the creative, the ad, then the three switches on
    requests=("act_{a}/campaigns", "act_{a}/adsets", "act_{a}/adimages", "act_{a}/adcreatives", "act_{a}/ads",
              "{ad}", "{ad_set}", "{campaign}"),
    creating=frozenset(range(1, 6)), switching=frozenset({6, 7, 8}),
    mutation=lambda seen: seen.path.split("/", 2)[2] if seen.method == "POST" else None,
    linked=_meta_linked, is_on=lambda o: o["status"] == "ACTIVE")
