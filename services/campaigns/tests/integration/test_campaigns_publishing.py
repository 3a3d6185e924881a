"""Publishing on Meta through the service's own runner, in-process, on a real Postgres schema
and the fake Meta over HTTP: the happy path, and how each class of Meta's refusals ends.

- a throttled create waits as Meta says and is retried, never failed;
- a policy refusal (368) fails Meta with Meta's reason, not retryable; publishing again after
  the fix resumes where it stopped and creates nothing twice;
- a revoked token fails the campaign and turns the account to `access_lost`
  (AdAccountAccessLost); nothing retries until the merchant reconnects;
- one platform failing leaves another live (TikTok here is a refusing double of the port:
  only Meta has a client yet).
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from adly_campaigns.adapters.container import Adapters
from adly_campaigns.domain.ports import AccountAccess, ErrorKind, ObjectKind, PlatformError, PlatformToken
from adly_campaigns.entrypoints.runners import publish_campaigns
from adly_campaigns.handlers.ports import AdAccount
from adly_events.contracts.campaigns import Budget, BudgetKind, PlatformBudget
from adly_events.contracts.common import AdPlatform, Money
from adly_kit.db import unit_of_work
from adly_kit.errors import InvalidInput
from adly_kit.settings import DEV_IDENTITY_KEY
from adly_kit.testing.plugin import eventually
from tests.fakes.meta import FakeMeta

from .publishing_world import (
    MERCHANT,
    CreativeAssets,
    Shop,
    a_plan,
    approved_campaign,
    campaigns_service,
    campaigns_settings,
    events_of,
    objects_on,
    open_shop,
    png,
    publish,
    rows,
    settled,
)

TIKTOK = AdPlatform.TIKTOK


@pytest.fixture
def meta():
    with FakeMeta() as server:
        yield server


@pytest.fixture
def assets():
    with CreativeAssets(DEV_IDENTITY_KEY) as server:
        yield server


@pytest.fixture
async def service(postgres_url: str, kafka: Any, meta: FakeMeta, assets: CreativeAssets) -> AsyncIterator[Adapters]:
    """The adapters, with the publisher runner working in the background as the worker role runs it."""
    settings = campaigns_settings(postgres_url, kafka.bootstrap_servers, kafka.kind, meta.graph_url, assets.url,
                                  publish_poll_seconds=0.1, publish_lease_seconds=10.0, publish_max_attempts=4)
    async with campaigns_service(settings) as a:
        runner = asyncio.create_task(publish_campaigns(a))
        try:
            yield a
        finally:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)


async def run_of(a: Adapters, campaign_id: uuid.UUID, platform: AdPlatform = AdPlatform.META) -> dict[str, Any]:
    (row,) = await rows(a, "SELECT runs FROM {s}.campaigns WHERE id = :id", id=campaign_id)
    return dict(row[0][platform.value])


async def publication(a: Adapters, campaign_id: uuid.UUID, platform: AdPlatform = AdPlatform.META) -> dict[str, Any]:
    found = await rows(a, """SELECT state, attempts, last_error FROM {s}.publications
        WHERE campaign_id = :c AND platform = :p ORDER BY created_at DESC""", c=campaign_id, p=platform.value)
    state, attempts, last_error = found[0]
    return {"state": state, "attempts": attempts, "last_error": last_error}


def one_of_each(meta: FakeMeta, shop: Shop) -> dict[str, dict[str, Any]]:
    found = objects_on(meta, shop.meta_account)
    assert {kind: len(objects) for kind, objects in found.items()} == {
        "campaign": 1, "ad_set": 1, "image": 1, "creative": 1, "ad": 1}
    return {kind: objects[0] for kind, objects in found.items()}


async def test_an_approved_campaign_goes_live_on_meta_built_paused_then_switched_on(
        service: Adapters, meta: FakeMeta, assets: CreativeAssets) -> None:
    shop = await open_shop(service, meta)
    campaign_id = await approved_campaign(service, shop, assets)
    since = len(meta.requests)

    await publish(service, shop, campaign_id)

    assert await settled(service, campaign_id) == "live"
    made = one_of_each(meta, shop)
    assert [made[k]["status"] for k in ("campaign", "ad_set", "ad")] == ["ACTIVE"] * 3
    posts = [(s.path.split("/", 2)[2], s.params) for s in meta.requests[since:] if s.method == "POST"]
    created = {path.rsplit("/", 1)[1]: params for path, params in posts[:5]}
    assert [created[edge]["status"] for edge in ("campaigns", "adsets", "ads")] == ["PAUSED"] * 3
    assert [path for path, _ in posts[5:]] == [made["ad"]["id"], made["ad_set"]["id"], made["campaign"]["id"]]
    assert made["ad_set"]["daily_budget"] == "15000"            # 150 SAR in halalas, as Meta counts SAR
    assert made["image"]["hash"] == hashlib.md5(png(0)).hexdigest()  # noqa: S324 - Meta's own content key
    link = made["creative"]["object_story_spec"]["link_data"]["link"]
    tags = parse_qs(urlsplit(link).query)
    assert tags["utm_source"] == ["facebook"] and tags["adly_c"] == [str(campaign_id)]

    run = await run_of(service, campaign_id)
    assert run["status"] == "published" and run["platform_campaign_id"] == made["campaign"]["id"]
    assert [ad["platform_ad_id"] for ad in run["ads"]] == [made["ad"]["id"]]
    (published,) = await events_of(service, campaign_id, "CampaignPublished")
    assert published["platform_campaign_id"] == made["campaign"]["id"]
    assert published["platform_ad_set_ids"] == [made["ad_set"]["id"]]
    assert (await publication(service, campaign_id))["state"] == "done"


async def test_a_throttled_create_is_retried_when_meta_says_and_never_failed(
        service: Adapters, meta: FakeMeta, assets: CreativeAssets) -> None:
    shop = await open_shop(service, meta)
    campaign_id = await approved_campaign(service, shop, assets)
    meta.fail_next("account_throttle", path=f"act_{shop.meta_account}/adsets", method="POST", regain_minutes=0.005)

    await publish(service, shop, campaign_id)

    assert await settled(service, campaign_id) == "live"
    one_of_each(meta, shop)
    assert len(meta.posts(f"act_{shop.meta_account}/adsets")) == 2      # refused once, then created
    done = await publication(service, campaign_id)
    assert done["state"] == "done" and done["attempts"] == 2
    assert await events_of(service, campaign_id, "CampaignPublishFailed") == []


async def test_a_policy_refusal_fails_meta_with_its_reason_and_publishing_again_after_the_fix_resumes(
        service: Adapters, meta: FakeMeta, assets: CreativeAssets) -> None:
    shop = await open_shop(service, meta)
    campaign_id = await approved_campaign(service, shop, assets)
    meta.fail_next("policy", path=f"act_{shop.meta_account}/ads", method="POST")

    await publish(service, shop, campaign_id)

    assert await settled(service, campaign_id) == "failed"
    (failed,) = await events_of(service, campaign_id, "CampaignPublishFailed")
    assert failed["platform"] == "meta" and failed["retryable"] is False and failed["platform_error_code"] == "368/1404006"
    assert "deemed abusive" in failed["reason"]
    run = await run_of(service, campaign_id)
    assert run["status"] == "failed" and run["retryable"] is False and "deemed abusive" in run["reason"]
    assert (await publication(service, campaign_id))["attempts"] == 1      # not retried on its own
    assert objects_on(meta, shop.meta_account)["ad"] == []

    await publish(service, shop, campaign_id)                             # the merchant fixed the ad

    assert await settled(service, campaign_id) == "live"
    one_of_each(meta, shop)                                               # resumed: the first objects reused


async def test_a_revoked_token_fails_the_campaign_and_the_account_loses_its_access_until_reconnected(
        service: Adapters, meta: FakeMeta, assets: CreativeAssets) -> None:
    shop = await open_shop(service, meta)
    campaign_id = await approved_campaign(service, shop, assets)
    meta.revoke(shop.token)

    await publish(service, shop, campaign_id)

    assert await settled(service, campaign_id) == "failed"
    (failed,) = await events_of(service, campaign_id, "CampaignPublishFailed")
    assert failed["retryable"] is False and failed["platform_error_code"] == "190/460"
    (status, reason), = await rows(service, "SELECT status, status_reason FROM {s}.ad_accounts WHERE id = :id",
                                   id=shop.ad_account_id)
    assert status == "access_lost" and "password" in reason
    (lost,) = await events_of(service, shop.ad_account_id, "AdAccountAccessLost")
    assert lost["platform_account_id"] == shop.meta_account and lost["platform_error_code"] == "190/460"
    assert await events_of(service, shop.ad_account_id, "AdAccountConnected") != []
    assert (await publication(service, campaign_id))["attempts"] == 1
    assert sum(objects_on(meta, shop.meta_account).values(), []) == []

    with pytest.raises(InvalidInput) as refused:
        await publish(service, shop, campaign_id)
    assert refused.value.code == "ad-account-access-lost"

    await reconnect(service, meta, shop)
    await publish(service, shop, campaign_id)
    assert await settled(service, campaign_id) == "live"
    one_of_each(meta, shop)


async def reconnect(a: Adapters, meta: FakeMeta, shop: Shop) -> None:
    from adly_campaigns.handlers import ad_accounts

    token = meta.issue_token()
    found = await ad_accounts.options(a, AdPlatform.META, token, shop.meta_account)
    page, pixel = found.pages[0].id, found.pixels[0].id
    async with unit_of_work(a.engine) as tx:
        await ad_accounts.connect(tx, a, shop.workspace_id, AdPlatform.META, PlatformToken(token), found, page, pixel,
                                  MERCHANT)


class RefusingTikTok:
    """TikTok's side of the port, refusing every campaign for policy (TikTok has no client yet)."""

    platform = TIKTOK

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def find(self, account: AccountAccess, kind: ObjectKind, name: str, parent_id: str | None) -> str | None:
        return None

    async def create_campaign(self, account: AccountAccess, spec: Any) -> str:
        self.asked.append(spec.name)
        raise PlatformError(ErrorKind.POLICY, "This ad violates TikTok's advertising policies.", code="40100")

    async def set_status(self, account: AccountAccess, kind: ObjectKind, platform_id: str, active: bool) -> None:
        raise AssertionError("nothing was created on TikTok")

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"TikTok was asked to {name} after refusing the campaign")


async def test_one_platform_failing_leaves_the_other_live(service: Adapters, meta: FakeMeta,
                                                          assets: CreativeAssets) -> None:
    shop = await open_shop(service, meta)
    tiktok = RefusingTikTok()
    service.publishers = {**service.publishers, TIKTOK: tiktok}
    async with unit_of_work(service.engine) as tx:
        await service.ad_accounts.save_connection(tx, AdAccount(
            uuid.uuid4(), shop.workspace_id, TIKTOK, "7100000000000001", "Oud House TikTok", "SAR", "Asia/Riyadh",
            "connected"), PlatformToken("tiktok-advertiser-token"), MERCHANT)
    plan = a_plan(shop.product_id, date.today())
    plan = plan.model_copy(update={"platforms": [AdPlatform.META, TIKTOK], "budgets": budgets(plan.budgets, TIKTOK)})
    campaign_id = await approved_campaign(service, shop, assets, plan=plan)

    await publish(service, shop, campaign_id)

    assert await settled(service, campaign_id) == "partly_live"
    assert len(tiktok.asked) == 1
    made = one_of_each(meta, shop)
    assert [made[k]["status"] for k in ("campaign", "ad_set", "ad")] == ["ACTIVE"] * 3
    assert (await run_of(service, campaign_id))["status"] == "published"
    tiktok_run = await run_of(service, campaign_id, TIKTOK)
    assert tiktok_run["status"] == "failed" and tiktok_run["reason"] == "This ad violates TikTok's advertising policies."
    (failed,) = await events_of(service, campaign_id, "CampaignPublishFailed")
    assert failed["platform"] == "tiktok" and failed["retryable"] is False
    assert [e["platform"] for e in await events_of(service, campaign_id, "CampaignPublished")] == ["meta"]


def budgets(existing: Sequence[PlatformBudget], platform: AdPlatform) -> list[PlatformBudget]:
    daily = Budget(kind=BudgetKind.DAILY, amount=Money(amount=Decimal("100"), currency="SAR"))
    return [*existing, PlatformBudget(platform=platform, budget=daily)]


# -- campaign_creation_duration_seconds{platform}, as Prometheus scrapes it ------------------

def scraped(name: str) -> list[Any]:
    """The samples of one metric family, read back from the text /metrics serves."""
    families = text_string_to_metric_families(generate_latest(REGISTRY).decode())
    return next((f.samples for f in families if f.name == name), [])


def creations_on(platform: str) -> float:
    return sum(s.value for s in scraped("campaign_creation_duration_seconds")
               if s.name == "campaign_creation_duration_seconds_count" and s.labels["platform"] == platform)


async def test_a_campaign_live_on_meta_is_one_more_creation_observed_for_meta(
        service: Adapters, meta: FakeMeta, assets: CreativeAssets) -> None:
    shop = await open_shop(service, meta)
    campaign_id = await approved_campaign(service, shop, assets)
    before = creations_on("meta")

    await publish(service, shop, campaign_id)

    assert await settled(service, campaign_id) == "live"

    async def observed() -> bool:  # the runner observes just after the commit the test saw
        return creations_on("meta") == before + 1

    assert await eventually(observed), creations_on("meta")

