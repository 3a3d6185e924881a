"""A publisher killed at any step resumes without creating a second object on TikTok.

The model is test_campaigns_publisher_kills.py (Meta): the publisher runs as its own OS
process, `adly-campaigns serve --roles worker`, against a real Postgres schema, the test
broker, the fake TikTok and a stand-in for creative's asset route. A first campaign is
published without interruption, which counts the mutating requests of a full publish: the
campaign, the ad group, the cover image and the video uploads, the ad (TikTok's creative is
part of the ad: no request of its own), then the three status switches. Then, for every one
of those requests and for both moments (`before` TikTok created anything, `after` it did and
only the answer is held back), a fresh shop's campaign is published, the fake holds that
request and says so, the process is SIGKILLed, and a new process resumes once the dead one's
lease runs out. The campaign must become live with exactly one object of each kind on the
shop's advertiser, all enabled, and the ids ADLY recorded must be those objects.

The order of events is the fake's stall signal and the process's death; nothing sleeps.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from adly_campaigns.adapters.container import Adapters
from adly_kit.settings import DEV_IDENTITY_KEY
from tests.fakes.tiktok import FakeTikTok

from .publishing_world import CreativeAssets, Shop, campaigns_service, publish, rows, settled
from .test_campaigns_publisher_kills import PublisherProcess
from .tiktok_world import approved_tiktok_campaign, objects_on, open_tiktok_shop, tiktok_env, tiktok_settings

FULL_PUBLISH = ["campaign/create", "adgroup/create", "file/image/ad/upload", "file/video/ad/upload", "ad/create",
                "ad/status/update", "adgroup/status/update", "campaign/status/update"]
CREATES = 5
LEASE_SECONDS = 3.0


@pytest.fixture
def tiktok():
    with FakeTikTok() as server:
        yield server


@pytest.fixture
def assets():
    with CreativeAssets(DEV_IDENTITY_KEY) as server:
        yield server


async def live(a: Adapters, campaign_id: UUID, process: PublisherProcess, what: str) -> None:
    state = await settled(a, campaign_id, timeout=90.0)
    assert state == "live", f"{what}: the campaign is {state}\n--- publisher log ---\n{process.tail()}"


async def assert_one_of_each(a: Adapters, tiktok: FakeTikTok, shop: Shop, campaign_id: UUID, what: str) -> None:
    found = objects_on(tiktok, shop.meta_account)
    assert {kind: len(objects) for kind, objects in found.items()} == {
        "campaign": 1, "ad_set": 1, "image": 1, "video": 1, "ad": 1}, what
    (campaign,), (group,), (image,), (video,), (ad,) = found.values()
    assert [campaign["operation_status"], group["operation_status"], ad["operation_status"]] == ["ENABLE"] * 3, what
    assert group["campaign_id"] == campaign["campaign_id"] and ad["adgroup_id"] == group["adgroup_id"], what
    assert (ad["video_id"], ad["image_ids"]) == (video["video_id"], [image["image_id"]]), what
    recorded = {step: platform_id for step, platform_id in await rows(
        a, "SELECT step, platform_id FROM {s}.platform_objects WHERE campaign_id = :c", c=campaign_id)}
    assert recorded["campaign"] == campaign["campaign_id"] and recorded["ad_set"] == group["adgroup_id"], what
    by_kind = {k.rsplit("/", 1)[1]: v for k, v in recorded.items() if k.startswith("ad/")}
    assert (by_kind["image"], by_kind["video"], by_kind["ad"]) == (image["image_id"], video["video_id"], ad["ad_id"])
    assert json.loads(by_kind["creative"])["video_id"] == video["video_id"], what


def made_so_far(tiktok: FakeTikTok, shop: Shop) -> tuple[int, int]:
    """(objects on the shop's advertiser, how many of ad group and ad are enabled; the campaign
    is born enabled on TikTok, so it is left out)."""
    found = objects_on(tiktok, shop.meta_account)
    enabled = [o for kind in ("ad_set", "ad") for o in found[kind] if o["operation_status"] == "ENABLE"]
    return sum(len(objects) for objects in found.values()), len(enabled)


def expected_at_kill(n: int, when: str) -> tuple[int, int]:
    done = n if when == "after" else n - 1
    return min(done, CREATES), min(max(done - CREATES, 0), 2)


def mutations(tiktok: FakeTikTok, since: int) -> list[str]:
    return [seen.path.removeprefix("/open_api/v1.3/").strip("/") for seen in tiktok.requests[since:]
            if seen.method == "POST"]


async def test_a_publisher_killed_at_any_step_resumes_without_a_second_object_on_tiktok(
        postgres_url: str, kafka: Any, tiktok: FakeTikTok, assets: CreativeAssets, tmp_path: Path) -> None:
    settings = tiktok_settings(postgres_url, kafka.bootstrap_servers, kafka.kind, tiktok, assets.url,
                               publish_lease_seconds=LEASE_SECONDS, publish_poll_seconds=0.2)
    env = tiktok_env(settings)
    async with campaigns_service(settings) as a:
        process = PublisherProcess(env, tmp_path)
        try:
            shop = await open_tiktok_shop(a, tiktok)
            campaign_id = await approved_tiktok_campaign(a, shop, assets)
            since = len(tiktok.requests)
            await publish(a, shop, campaign_id)
            await live(a, campaign_id, process, "uninterrupted")
            await assert_one_of_each(a, tiktok, shop, campaign_id, "uninterrupted")
            assert mutations(tiktok, since) == FULL_PUBLISH

            for when in ("before", "after"):
                for n in range(1, len(FULL_PUBLISH) + 1):
                    what = f"killed with request {n} ({FULL_PUBLISH[n - 1]}) held {when} TikTok acted on it"
                    shop = await open_tiktok_shop(a, tiktok)
                    campaign_id = await approved_tiktok_campaign(a, shop, assets, seed=n)
                    tiktok.stall(at_request=n, when=when)
                    await publish(a, shop, campaign_id)
                    held = await asyncio.to_thread(tiktok.stalled.wait, 60.0)
                    assert held, f"{what}: the publisher never got there\n{process.tail()}"
                    process.kill()
                    assert made_so_far(tiktok, shop) == expected_at_kill(n, when), what
                    if when == "after":
                        tiktok.release()
                    process = PublisherProcess(env, tmp_path)
                    await live(a, campaign_id, process, what)
                    await assert_one_of_each(a, tiktok, shop, campaign_id, what)
        finally:
            tiktok.release()
            process.kill()
