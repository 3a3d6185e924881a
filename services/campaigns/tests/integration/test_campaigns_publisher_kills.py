"""A publisher killed at any step resumes without creating a second object on the ad platform:
Meta, TikTok, Snapchat and Google Ads, each against its fake (platforms_world.KillCase).

The publisher runs as its own OS process, `adly-campaigns serve --roles worker`, against a
real Postgres schema, the test broker, the platform's fake and a stand-in for creative's asset
route. A first campaign is published without interruption, which checks the mutating requests
of a full publish, in order (the case's `requests`: the creates, then the status switches).
Then, for every one of those requests and for both moments (`before` the platform acted, `after`
it did and only the answer is held back), a fresh shop's campaign is published, the fake holds
that request and says so, the process is SIGKILLed, what the platform holds is counted, and a
new process resumes once the dead one's lease runs out. The campaign must become live with
exactly one object of each kind on the shop's account (`kinds`), campaign, ad set and ad
switched on, linked to each other, and the ids ADLY recorded must be those objects.

The order of events is the fake's stall signal and the process's death; nothing sleeps. Each
restarted process is the one killed at the next step, so a platform's test starts 2N + 1
processes.
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
from tests.fakes.server import free_port

from .google_ads_world import GOOGLE_ADS_KILLS
from .platforms_world import META_KILLS, KillCase, PlatformFake
from .publishing_world import CreativeAssets, Shop, campaigns_service, publish, rows, settled
from .snapchat_world import SNAPCHAT_KILLS
from .tiktok_world import TIKTOK_KILLS

CASES = {"meta": META_KILLS, "tiktok": TIKTOK_KILLS, "snapchat": SNAPCHAT_KILLS, "google_ads": GOOGLE_ADS_KILLS}
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


@pytest.fixture(params=list(CASES), ids=list(CASES))
def case(request: pytest.FixtureRequest) -> KillCase:
    return CASES[request.param]


@pytest.fixture
def fake(case: KillCase):
    with case.fake() as server:
        yield server


@pytest.fixture
def assets():
    with CreativeAssets(DEV_IDENTITY_KEY) as server:
        yield server


async def live(a: Adapters, campaign_id: UUID, process: PublisherProcess, what: str) -> None:
    state = await settled(a, campaign_id, timeout=90.0)
    assert state == "live", f"{what}: the campaign is {state}\n--- publisher log ---\n{process.tail()}"


async def assert_one_of_each(a: Adapters, case: KillCase, fake: PlatformFake, shop: Shop, campaign_id: UUID,
                             what: str) -> None:
    found = case.objects_on(fake, shop.meta_account)
    assert {kind: len(objects) for kind, objects in found.items()} == case.kinds, what
    one = {kind: objects[0] for kind, objects in found.items() if objects}
    assert [case.is_on(one[kind]) for kind in ("campaign", "ad_set", "ad")] == [True] * 3, what
    recorded = {step: platform_id for step, platform_id in await rows(
        a, "SELECT step, platform_id FROM {s}.platform_objects WHERE campaign_id = :c", c=campaign_id)}
    case.linked(one, recorded, what)


async def test_a_publisher_killed_at_any_step_resumes_without_a_second_object_on_the_platform(
        postgres_url: str, kafka: Any, case: KillCase, fake: PlatformFake, assets: CreativeAssets,
        tmp_path: Path) -> None:
    settings = case.settings(postgres_url, kafka.bootstrap_servers, kafka.kind, fake, assets.url,
                             publish_lease_seconds=LEASE_SECONDS, publish_poll_seconds=0.2)
    env = case.env(settings)
    async with campaigns_service(settings) as a:
        process = PublisherProcess(env, tmp_path)
        try:
            shop = await case.open_shop(a, fake)
            campaign_id = await case.approved_campaign(a, shop, assets, 0)
            since = len(fake.requests)
            await publish(a, shop, campaign_id)
            await live(a, campaign_id, process, "uninterrupted")
            await assert_one_of_each(a, case, fake, shop, campaign_id, "uninterrupted")
            expected = case.full_publish(case.objects_on(fake, shop.meta_account), shop.meta_account)
            assert case.mutations(fake, since) == expected

            for when in ("before", "after"):
                for n in range(1, len(case.requests) + 1):
                    what = f"killed with request {n} ({case.requests[n - 1]}) held {when} {case.name} acted on it"
                    shop = await case.open_shop(a, fake)
                    campaign_id = await case.approved_campaign(a, shop, assets, n)
                    fake.stall(at_request=n, when=when)
                    await publish(a, shop, campaign_id)
                    held = await asyncio.to_thread(fake.stalled.wait, 60.0)
                    assert held, f"{what}: the publisher never got there\n{process.tail()}"
                    process.kill()
                    assert case.made_so_far(fake, shop) == case.expected_at_kill(n, when), what
                    # "before": never released, the held request ends only with the dead client's
                    # hang-up, so the platform did nothing. "after": it acted either way.
                    if when == "after":
                        fake.release()
                    process = PublisherProcess(env, tmp_path)
                    await live(a, campaign_id, process, what)
                    await assert_one_of_each(a, case, fake, shop, campaign_id, what)
        finally:
            fake.release()
            process.kill()
