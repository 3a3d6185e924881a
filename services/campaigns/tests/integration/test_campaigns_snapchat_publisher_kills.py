"""A publisher killed at any step resumes without creating a second object on Snapchat.

The model is test_campaigns_publisher_kills.py (Meta): the publisher runs as its own OS
process, `adly-campaigns serve --roles worker`, against a real Postgres schema, the test
broker, the fake Snapchat and a stand-in for creative's asset route. A first campaign is
published without interruption, which counts the mutating requests of a full publish: the
campaign, the ad squad, the media (created, then uploaded: two requests), the creative, the
ad, then the three status switches (each a PUT of the whole entity). Then, for every one of
those requests and for both moments (`before` Snapchat acted, `after` it did and only the
answer is held back), a fresh shop's campaign is published, the fake holds that request and
says so, the process is SIGKILLed, and a new process resumes once the dead one's lease runs
out. The campaign must become live with exactly one object of each kind on the shop's ad
account, all active, and the ids ADLY recorded must be those objects. A media created but
never uploaded is uploaded into on resume, never created again.

The order of events is the fake's stall signal and the process's death; nothing sleeps.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from adly_campaigns.adapters.container import Adapters
from adly_kit.settings import DEV_IDENTITY_KEY
from tests.fakes.snapchat import FakeSnapchat

from .publishing_world import CreativeAssets, Shop, campaigns_service, publish, rows, settled
from .snapchat_world import (
    approved_snapchat_campaign,
    objects_on,
    open_snapchat_shop,
    snapchat_env,
    snapchat_settings,
)
from .test_campaigns_publisher_kills import PublisherProcess

FULL_PUBLISH = ["adaccounts/{a}/campaigns", "campaigns/{campaign}/adsquads", "adaccounts/{a}/media",
                "media/{image}/upload", "adaccounts/{a}/creatives", "adsquads/{ad_set}/ads",
                "adsquads/{ad_set}/ads", "campaigns/{campaign}/adsquads", "adaccounts/{a}/campaigns"]
CREATING = (1, 2, 3, 5, 6)   # the requests that make a new object; 4 uploads into the media of 3
SWITCHES = 6                 # the requests before the status switches
LEASE_SECONDS = 3.0


@pytest.fixture
def snapchat():
    with FakeSnapchat() as server:
        yield server


@pytest.fixture
def assets():
    with CreativeAssets(DEV_IDENTITY_KEY) as server:
        yield server


async def live(a: Adapters, campaign_id: UUID, process: PublisherProcess, what: str) -> None:
    state = await settled(a, campaign_id, timeout=90.0)
    assert state == "live", f"{what}: the campaign is {state}\n--- publisher log ---\n{process.tail()}"


async def assert_one_of_each(a: Adapters, snapchat: FakeSnapchat, shop: Shop, campaign_id: UUID, what: str) -> None:
    found = objects_on(snapchat, shop.meta_account)
    assert {kind: len(objects) for kind, objects in found.items()} == {
        "campaign": 1, "ad_set": 1, "image": 1, "creative": 1, "ad": 1}, what
    (campaign,), (squad,), (image,), (creative,), (ad,) = found.values()
    assert [campaign["status"], squad["status"], ad["status"]] == ["ACTIVE"] * 3, what
    assert image["media_status"] == "READY", what
    assert squad["campaign_id"] == campaign["id"] and ad["ad_squad_id"] == squad["id"], what
    assert ad["creative_id"] == creative["id"] and creative["top_snap_media_id"] == image["id"], what
    recorded = {step: platform_id for step, platform_id in await rows(
        a, "SELECT step, platform_id FROM {s}.platform_objects WHERE campaign_id = :c", c=campaign_id)}
    assert recorded["campaign"] == campaign["id"] and recorded["ad_set"] == squad["id"], what
    by_kind = {k.rsplit("/", 1)[1]: v for k, v in recorded.items() if k.startswith("ad/")}
    assert (by_kind["image"], by_kind["creative"], by_kind["ad"]) == (image["id"], creative["id"], ad["id"]), what


def made_so_far(snapchat: FakeSnapchat, shop: Shop) -> tuple[int, int]:
    """(objects on the shop's ad account, how many of campaign, ad squad and ad are active)."""
    found = objects_on(snapchat, shop.meta_account)
    active = [o for kind in ("campaign", "ad_set", "ad") for o in found[kind] if o["status"] == "ACTIVE"]
    return sum(len(objects) for objects in found.values()), len(active)


def expected_at_kill(n: int, when: str) -> tuple[int, int]:
    done = n if when == "after" else n - 1
    return len([r for r in CREATING if r <= done]), max(done - SWITCHES, 0)


def mutations(snapchat: FakeSnapchat, since: int) -> list[str]:
    return [seen.path.removeprefix("/v1/") for seen in snapchat.requests[since:]
            if seen.method in ("POST", "PUT") and seen.path.startswith("/v1/")]


async def test_a_publisher_killed_at_any_step_resumes_without_a_second_object_on_snapchat(
        postgres_url: str, kafka: Any, snapchat: FakeSnapchat, assets: CreativeAssets, tmp_path: Path) -> None:
    settings = snapchat_settings(postgres_url, kafka.bootstrap_servers, kafka.kind, snapchat, assets.url,
                                 publish_lease_seconds=LEASE_SECONDS, publish_poll_seconds=0.2)
    env = snapchat_env(settings)
    async with campaigns_service(settings) as a:
        process = PublisherProcess(env, tmp_path)
        try:
            shop = await open_snapchat_shop(a, snapchat)
            campaign_id = await approved_snapchat_campaign(a, shop, assets)
            since = len(snapchat.requests)
            await publish(a, shop, campaign_id)
            await live(a, campaign_id, process, "uninterrupted")
            await assert_one_of_each(a, snapchat, shop, campaign_id, "uninterrupted")
            found = objects_on(snapchat, shop.meta_account)
            ids = {"a": shop.meta_account, **{kind: found[kind][0]["id"] for kind in ("campaign", "ad_set", "image")}}
            assert mutations(snapchat, since) == [path.format(**ids) for path in FULL_PUBLISH]

            for when in ("before", "after"):
                for n in range(1, len(FULL_PUBLISH) + 1):
                    what = f"killed with request {n} ({FULL_PUBLISH[n - 1]}) held {when} Snapchat acted on it"
                    shop = await open_snapchat_shop(a, snapchat)
                    campaign_id = await approved_snapchat_campaign(a, shop, assets, seed=n)
                    snapchat.stall(at_request=n, when=when)
                    await publish(a, shop, campaign_id)
                    held = await asyncio.to_thread(snapchat.stalled.wait, 60.0)
                    assert held, f"{what}: the publisher never got there\n{process.tail()}"
                    process.kill()
                    assert made_so_far(snapchat, shop) == expected_at_kill(n, when), what
                    # "before": never released, the held request ends only with the dead client's
                    # hang-up, so Snapchat did nothing. "after": it acted either way.
                    if when == "after":
                        snapchat.release()
                    process = PublisherProcess(env, tmp_path)
                    await live(a, campaign_id, process, what)
                    await assert_one_of_each(a, snapchat, shop, campaign_id, what)
        finally:
            snapchat.release()
            process.kill()
