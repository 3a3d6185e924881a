"""`campaign_creation_duration_seconds{platform}` as Prometheus scrapes it: observed once a
campaign is live on a platform. (`platform_api_errors_total` is checked by each platform
client's tests.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from adly_campaigns.adapters.container import Adapters
from adly_campaigns.entrypoints.runners import publish_campaigns
from adly_kit.settings import DEV_IDENTITY_KEY
from adly_kit.testing.plugin import eventually
from tests.fakes.meta import FakeMeta

from .publishing_world import (
    CreativeAssets,
    approved_campaign,
    campaigns_service,
    campaigns_settings,
    open_shop,
    publish,
    settled,
)


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
    settings = campaigns_settings(postgres_url, kafka.bootstrap_servers, kafka.kind, meta.graph_url, assets.url,
                                  publish_poll_seconds=0.1, publish_lease_seconds=10.0, publish_max_attempts=4)
    async with campaigns_service(settings) as a:
        runner = asyncio.create_task(publish_campaigns(a))
        try:
            yield a
        finally:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)


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

