"""The publishing world of publishing_world.py on Google Ads: the service's settings and process
environment pointed at the fake Google Ads, a shop whose Google Ads customer is connected with
an hour-long access token and its refresh token (its purchase conversion action chosen), and
campaigns planned on Google Ads whose creatives hold one square image: one Demand Gen ad each;
and `GOOGLE_ADS_KILLS`, Google's case of the kill-between-steps test."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from adly_campaigns.adapters.container import Adapters
from adly_campaigns.domain.ports import PlatformToken
from adly_campaigns.settings import CampaignsSettings
from adly_events.contracts.common import AdPlatform
from tests.fakes.google_ads import ACCESS_TTL, CLIENT_ID, CLIENT_SECRET, SCOPE, FakeGoogleAds
from tests.fakes.server import free_port

from .platforms_world import KillCase, Single, connect_shop, plan_on
from .publishing_world import CreativeAssets, Shop, approve, campaign_in_review, campaigns_settings, process_env

GOOGLE = AdPlatform.GOOGLE_ADS


def square_png(seed: int = 0) -> bytes:
    """A 300x300 PNG, different for every seed: Google's logo and square image sizes take it."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (300, 300), (seed * 37 % 256, seed * 91 % 256, 140)).save(buffer, format="PNG")
    return buffer.getvalue()


def google_settings(database_url: str, bootstrap: str, broker_kind: str, google: FakeGoogleAds, creative_url: str,
                    **overrides: Any) -> CampaignsSettings:
    return campaigns_settings(database_url, bootstrap, broker_kind, f"http://127.0.0.1:{free_port()}", creative_url,
                              **({"google_ads_client_id": CLIENT_ID, "google_ads_client_secret": CLIENT_SECRET,
                                  "google_ads_api_url": google.api_url, "google_oauth_url": google.oauth_url,
                                  "google_token_url": google.token_url} | overrides))


def google_env(settings: CampaignsSettings) -> dict[str, str]:
    secret = settings.google_ads_client_secret.get_secret_value() if settings.google_ads_client_secret else ""
    return process_env(settings) | {"ADLY_GOOGLE_ADS_CLIENT_ID": settings.google_ads_client_id,
                                    "ADLY_GOOGLE_ADS_CLIENT_SECRET": secret,
                                    "ADLY_GOOGLE_ADS_API_URL": settings.google_ads_api_url,
                                    "ADLY_GOOGLE_OAUTH_URL": settings.google_oauth_url,
                                    "ADLY_GOOGLE_TOKEN_URL": settings.google_token_url}


async def open_google_shop(a: Adapters, google: FakeGoogleAds) -> Shop:
    """A workspace with one product and its own Google Ads customer, connected with an
    hour-long access token and its refresh token."""
    seeded = google.seed_account()
    token = PlatformToken(seeded.token, datetime.now(UTC) + timedelta(seconds=ACCESS_TTL), seeded.refresh_token, [SCOPE])
    return await connect_shop(a, GOOGLE, token, seeded.customer_id, None, seeded.conversion_action_id)


async def approved_google_campaign(a: Adapters, shop: Shop, assets: CreativeAssets, *, seed: int = 0,
                                   name: str = "Eid oud sale") -> UUID:
    campaign_id = await campaign_in_review(a, shop, assets, name=name, image=square_png(seed),
                                           plan=plan_on(GOOGLE, shop.product_id, date.today()))
    await approve(a, shop, campaign_id)
    return campaign_id


def _linked(one: Single, recorded: dict[str, str], what: str) -> None:
    campaign, budget, ad_group, image, ad = (one[k] for k in ("campaign", "budget", "ad_set", "image", "ad"))
    assert campaign["campaignBudget"] == budget["resourceName"] and budget["amountMicros"] == 150_000_000, what
    assert ad_group["campaign"] == campaign["resourceName"] and ad["adGroup"] == ad_group["resourceName"], what
    assert ad["ad"]["demandGenMultiAssetAd"]["logoImages"] == [{"asset": image["resourceName"]}], what
    assert recorded["campaign"] == str(campaign["id"]) and recorded["ad_set"] == str(ad_group["id"]), what
    by_kind = {k.rsplit("/", 1)[-1]: v for k, v in recorded.items() if k.startswith("ad/")}
    assert by_kind["image"] == str(image["id"]) and by_kind["creative"].startswith("dg1."), what
    assert by_kind["ad"] == f"{ad_group['id']}~{ad['ad']['id']}", what


async def _campaign(a: Adapters, shop: Shop, assets: CreativeAssets, seed: int) -> UUID:
    return await approved_google_campaign(a, shop, assets, seed=seed)


GOOGLE_ADS_KILLS = KillCase(
    name="Google", fake=FakeGoogleAds, settings=google_settings, env=google_env, open_shop=open_google_shop,
    approved_campaign=_campaign,
    # a creative is never an object on Google; the ad group's places and languages are criteria
    kinds={"campaign": 1, "budget": 1, "ad_set": 1, "image": 1, "creative": 0, "ad": 1, "criterion": 3},
    # the campaign with its budget (one googleAds:mutate), the ad group with its criteria
    # (another), the image asset, the ad, then the three switches on
    requests=("googleAds:mutate", "googleAds:mutate", "assets:mutate", "adGroupAds:mutate",
              "adGroupAds:mutate", "adGroups:mutate", "campaigns:mutate"),
    creating=frozenset(range(1, 5)), switching=frozenset({5, 6, 7}), made=("campaign", "ad_set", "image", "ad"),
    mutation=lambda seen: seen.path.rsplit("/", 1)[-1] if seen.path.endswith(":mutate") else None,
    linked=_linked, is_on=lambda o: o["status"] == "ENABLED")
