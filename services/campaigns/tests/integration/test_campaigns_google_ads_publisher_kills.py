"""A publisher killed at any step resumes without creating a second object on Google Ads.

test_campaigns_publisher_kills.py's test against the fake Google Ads: the publisher runs as
its own OS process (`adly-campaigns serve --roles worker`, Google Ads built from its
ADLY_GOOGLE_ADS_* settings) against a real Postgres schema, the test broker and a stand-in
for creative's asset route. An uninterrupted publish counts the mutating requests: the
campaign with its budget (one googleAds:mutate), the ad group with the budget's amount, the
dates, places and languages (another), the image asset, the ad (no request for the creative:
Google has none), then the three status switches. Then, for each of those requests and both
moments (`before` Google did anything, `after` it did and only the answer is held back), a
fresh shop's campaign is published, the fake holds that request, the process is SIGKILLed and
a new one resumes once the lease runs out. The campaign must go live with exactly one
campaign, budget, ad group, image and ad on the shop's customer, one set of criteria, all
switched on, at the merchant's budget, and ADLY's recorded ids must be those objects.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from adly_campaigns.adapters.container import Adapters
from adly_kit.settings import DEV_IDENTITY_KEY
from tests.fakes.google_ads import FakeGoogleAds

from .google_ads_world import approved_google_campaign, google_env, google_settings, objects_on, open_google_shop
from .publishing_world import CreativeAssets, Shop, campaigns_service, publish, rows, settled
from .test_campaigns_publisher_kills import LEASE_SECONDS, PublisherProcess

FULL_PUBLISH = ["googleAds:mutate", "googleAds:mutate", "assets:mutate", "adGroupAds:mutate",
                "adGroupAds:mutate", "adGroups:mutate", "campaigns:mutate"]
CREATES = 4   # campaign (+ budget), ad group (+ criteria), image, ad


@pytest.fixture
def google():
    with FakeGoogleAds() as server:
        yield server


@pytest.fixture
def assets():
    with CreativeAssets(DEV_IDENTITY_KEY) as server:
        yield server


async def live(a: Adapters, campaign_id: UUID, process: PublisherProcess, what: str) -> None:
    state = await settled(a, campaign_id, timeout=90.0)
    assert state == "live", f"{what}: the campaign is {state}\n--- publisher log ---\n{process.tail()}"


async def assert_one_of_each(a: Adapters, google: FakeGoogleAds, shop: Shop, campaign_id: UUID, what: str) -> None:
    found = objects_on(google, shop.meta_account)
    counts = {kind: len(objects) for kind, objects in found.items()}
    assert counts == {"campaign": 1, "budget": 1, "ad_set": 1, "image": 1, "creative": 0, "ad": 1,
                      "criterion": 3}, what
    (campaign,), (budget,), (ad_group,), (image,), (ad,) = (found[k] for k in ("campaign", "budget", "ad_set", "image",
                                                                                "ad"))
    assert [campaign["status"], ad_group["status"], ad["status"]] == ["ENABLED"] * 3, what
    assert campaign["campaignBudget"] == budget["resourceName"] and budget["amountMicros"] == 150_000_000, what
    assert ad_group["campaign"] == campaign["resourceName"] and ad["adGroup"] == ad_group["resourceName"], what
    assert ad["ad"]["demandGenMultiAssetAd"]["logoImages"] == [{"asset": image["resourceName"]}], what
    recorded = {step: platform_id for step, platform_id in await rows(
        a, "SELECT step, platform_id FROM {s}.platform_objects WHERE campaign_id = :c", c=campaign_id)}
    assert recorded["campaign"] == str(campaign["id"]) and recorded["ad_set"] == str(ad_group["id"]), what
    by_kind = {k.rsplit("/", 1)[-1]: v for k, v in recorded.items() if k.startswith("ad/")}
    assert by_kind["image"] == str(image["id"]) and by_kind["creative"].startswith("dg1."), what
    assert by_kind["ad"] == f"{ad_group['id']}~{ad['ad']['id']}", what


def made_so_far(google: FakeGoogleAds, shop: Shop) -> tuple[int, int]:
    """(steps whose objects exist on the customer, how many of campaign, ad group and ad are on)."""
    found = objects_on(google, shop.meta_account)
    made = sum(1 for kind in ("campaign", "ad_set", "image", "ad") if found[kind])
    active = [o for kind in ("campaign", "ad_set", "ad") for o in found[kind] if o["status"] == "ENABLED"]
    return made, len(active)


def expected_at_kill(n: int, when: str) -> tuple[int, int]:
    done = n if when == "after" else n - 1
    return min(done, CREATES), max(done - CREATES, 0)


def mutations(google: FakeGoogleAds, since: int) -> list[str]:
    return [seen.path.rsplit("/", 1)[-1] for seen in google.requests[since:] if seen.path.endswith(":mutate")]


async def test_a_publisher_killed_at_any_step_resumes_without_a_second_object_on_google_ads(
        postgres_url: str, kafka: Any, google: FakeGoogleAds, assets: CreativeAssets, tmp_path: Path) -> None:
    settings = google_settings(postgres_url, kafka.bootstrap_servers, kafka.kind, google, assets.url,
                               publish_lease_seconds=LEASE_SECONDS, publish_poll_seconds=0.2)
    env = google_env(settings)
    async with campaigns_service(settings) as a:
        process = PublisherProcess(env, tmp_path)
        try:
            shop = await open_google_shop(a, google)
            campaign_id = await approved_google_campaign(a, shop, assets)
            since = len(google.requests)
            await publish(a, shop, campaign_id)
            await live(a, campaign_id, process, "uninterrupted")
            await assert_one_of_each(a, google, shop, campaign_id, "uninterrupted")
            assert mutations(google, since) == FULL_PUBLISH

            for when in ("before", "after"):
                for n in range(1, len(FULL_PUBLISH) + 1):
                    what = f"killed with request {n} ({FULL_PUBLISH[n - 1]}) held {when} Google acted on it"
                    shop = await open_google_shop(a, google)
                    campaign_id = await approved_google_campaign(a, shop, assets, seed=n)
                    google.stall(at_request=n, when=when)
                    await publish(a, shop, campaign_id)
                    held = await asyncio.to_thread(google.stalled.wait, 60.0)
                    assert held, f"{what}: the publisher never got there\n{process.tail()}"
                    process.kill()
                    assert made_so_far(google, shop) == expected_at_kill(n, when), what
                    if when == "after":
                        google.release()
                    process = PublisherProcess(env, tmp_path)
                    await live(a, campaign_id, process, what)
                    await assert_one_of_each(a, google, shop, campaign_id, what)
        finally:
            google.release()
            process.kill()
