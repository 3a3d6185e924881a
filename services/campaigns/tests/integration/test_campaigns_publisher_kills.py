"""A publisher killed at any step resumes without creating a second object on Meta.

The publisher runs as its own OS process, `adly-campaigns serve --roles worker`, against a
real Postgres schema, the test broker, the fake Meta and a stand-in for creative's asset
route. A first campaign is published without interruption, which counts the mutating requests of a full publish: the campaign, the ad set,
the image upload, the creative, the ad, then the three status switches. Then, for every one
of those requests and for both moments (`before` Meta created anything, `after` it created
the object and only the answer is held back), a fresh shop's campaign is published, the fake
holds that request and says so, the process is SIGKILLed, and a new process resumes once the
dead one's lease runs out. The campaign must become live with exactly one object of each kind
on the shop's ad account, all active, and the ids ADLY recorded must be those objects.

The order of events is the fake's stall signal and the process's death; nothing sleeps. Each
restarted process is the one killed at the next step, so the test starts 2N + 1 processes.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from adly_campaigns.adapters.container import Adapters
from adly_kit.devstack._process import ManagedProcess, tail
from adly_kit.devstack.run import service_command
from adly_kit.settings import DEV_IDENTITY_KEY
from tests.fakes.meta import FakeMeta
from tests.fakes.server import free_port

from .publishing_world import (
    CreativeAssets,
    Shop,
    approved_campaign,
    campaigns_service,
    campaigns_settings,
    objects_on,
    open_shop,
    process_env,
    publish,
    rows,
    settled,
)

FULL_PUBLISH = ["act_{a}/campaigns", "act_{a}/adsets", "act_{a}/adimages", "act_{a}/adcreatives", "act_{a}/ads",
                "{ad}", "{ad_set}", "{campaign}"]   # the mutating requests of one ad's publish, in order
LEASE_SECONDS = 3.0   # a killed worker's claim runs out this fast; a restart takes about as long anyway


class PublisherProcess:
    """One `adly-campaigns serve --roles worker` under the devstack watchdog (which stops it if
    this test dies); `kill` SIGKILLs its process group: nothing of it runs after."""

    started = 0

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        PublisherProcess.started += 1
        self.process = ManagedProcess(
            "adly-campaigns", [*service_command("campaigns"), "serve", "--roles", "worker"],
            log_path=logs / f"publisher-{PublisherProcess.started}.log",
            env=os.environ | env | {"ADLY_HTTP_PORT": str(free_port())})
        self.process.start()

    def kill(self) -> None:
        self.process.stop(10.0, sig=signal.SIGKILL)

    def tail(self) -> str:
        return tail(self.process.log_path, 30)


@pytest.fixture
def meta():
    with FakeMeta() as server:
        yield server


@pytest.fixture
def assets():
    with CreativeAssets(DEV_IDENTITY_KEY) as server:
        yield server


async def live(a: Adapters, campaign_id: UUID, process: PublisherProcess, what: str) -> None:
    state = await settled(a, campaign_id, timeout=90.0)
    assert state == "live", f"{what}: the campaign is {state}\n--- publisher log ---\n{process.tail()}"


async def assert_one_of_each(a: Adapters, meta: FakeMeta, shop: Shop, campaign_id: UUID, what: str) -> None:
    found = objects_on(meta, shop.meta_account)
    counts = {kind: len(objects) for kind, objects in found.items()}
    assert counts == {"campaign": 1, "ad_set": 1, "image": 1, "creative": 1, "ad": 1}, what
    (campaign,), (ad_set,), (image,), (creative,), (ad,) = found.values()
    assert [campaign["status"], ad_set["status"], ad["status"]] == ["ACTIVE"] * 3, what
    assert ad_set["campaign_id"] == campaign["id"] and ad["adset_id"] == ad_set["id"], what
    assert ad["creative"]["id"] == creative["id"], what
    assert creative["object_story_spec"]["link_data"]["image_hash"] == image["hash"], what
    recorded = {step: platform_id for step, platform_id in await rows(
        a, "SELECT step, platform_id FROM {s}.platform_objects WHERE campaign_id = :c", c=campaign_id)}
    assert recorded["campaign"] == campaign["id"] and recorded["ad_set"] == ad_set["id"], what
    assert sorted(v for k, v in recorded.items() if k.startswith("ad/")) == sorted(
        [image["hash"], creative["id"], ad["id"]]), what


def made_so_far(meta: FakeMeta, shop: Shop) -> tuple[int, int]:
    """(objects on the shop's account, how many of campaign, ad set and ad are switched on)."""
    found = objects_on(meta, shop.meta_account)
    active = [o for kind in ("campaign", "ad_set", "ad") for o in found[kind] if o["status"] == "ACTIVE"]
    return sum(len(objects) for objects in found.values()), len(active)


def expected_at_kill(n: int, when: str) -> tuple[int, int]:
    """What Meta holds when the process dies at request n: creates 1-5, then switches 6-8."""
    done = n if when == "after" else n - 1
    return min(done, 5), max(done - 5, 0)


def mutations(meta: FakeMeta, since: int) -> list[str]:
    return [seen.path.split("/", 2)[2] for seen in meta.requests[since:] if seen.method == "POST"]


async def test_a_publisher_killed_at_any_step_resumes_without_a_second_object_on_meta(
        postgres_url: str, kafka: Any, meta: FakeMeta, assets: CreativeAssets, tmp_path: Path) -> None:
    settings = campaigns_settings(postgres_url, kafka.bootstrap_servers, kafka.kind, meta.graph_url, assets.url,
                                  publish_lease_seconds=LEASE_SECONDS, publish_poll_seconds=0.2)
    env = process_env(settings)
    async with campaigns_service(settings) as a:
        process = PublisherProcess(env, tmp_path)
        try:
            shop = await open_shop(a, meta)
            campaign_id = await approved_campaign(a, shop, assets)
            since = len(meta.requests)
            await publish(a, shop, campaign_id)
            await live(a, campaign_id, process, "uninterrupted")
            await assert_one_of_each(a, meta, shop, campaign_id, "uninterrupted")
            found = objects_on(meta, shop.meta_account)
            ids = {"a": shop.meta_account, "campaign": found["campaign"][0]["id"],
                   "ad_set": found["ad_set"][0]["id"], "ad": found["ad"][0]["id"]}
            assert mutations(meta, since) == [path.format(**ids) for path in FULL_PUBLISH]

            for when in ("before", "after"):
                for n in range(1, len(FULL_PUBLISH) + 1):
                    what = f"killed with request {n} ({FULL_PUBLISH[n - 1]}) held {when} Meta acted on it"
                    shop = await open_shop(a, meta)
                    campaign_id = await approved_campaign(a, shop, assets, image_seed=n)
                    meta.stall(at_request=n, when=when)
                    await publish(a, shop, campaign_id)
                    held = await asyncio.to_thread(meta.stalled.wait, 60.0)
                    assert held, f"{what}: the publisher never got there\n{process.tail()}"
                    process.kill()
                    assert made_so_far(meta, shop) == expected_at_kill(n, when), what
                    # "before": never released, the held request ends only with the dead client's
                    # hang-up, so Meta created nothing. "after": the object exists either way.
                    if when == "after":
                        meta.release()
                    process = PublisherProcess(env, tmp_path)
                    await live(a, campaign_id, process, what)
                    await assert_one_of_each(a, meta, shop, campaign_id, what)
        finally:
            meta.release()
            process.kill()
