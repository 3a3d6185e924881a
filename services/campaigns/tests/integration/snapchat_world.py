"""The publishing world of publishing_world.py on Snapchat: the service's settings and process
environment pointed at the fake Snapchat, a shop whose Snapchat ad account is connected with
an hour-long token and its refresh token (its public profile and Snap Pixel chosen), and
campaigns planned on Snapchat whose creatives hold one image: one Snapchat ad each; and
`SNAPCHAT_KILLS`, Snapchat's case of the kill-between-steps test."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from adly_campaigns.adapters.container import Adapters
from adly_campaigns.domain.ports import PlatformToken
from adly_campaigns.settings import CampaignsSettings
from adly_events.contracts.common import AdPlatform
from tests.fakes.server import free_port
from tests.fakes.snapchat import ACCESS_TTL, CLIENT_ID, CLIENT_SECRET, FakeSnapchat

from .platforms_world import KillCase, Single, connect_shop, plan_on
from .publishing_world import CreativeAssets, Shop, approved_campaign, campaigns_settings, process_env

SNAPCHAT = AdPlatform.SNAPCHAT


def snapchat_settings(database_url: str, bootstrap: str, broker_kind: str, snapchat: FakeSnapchat, creative_url: str,
                      **overrides: Any) -> CampaignsSettings:
    return campaigns_settings(database_url, bootstrap, broker_kind, f"http://127.0.0.1:{free_port()}", creative_url,
                              **({"snapchat_client_id": CLIENT_ID, "snapchat_client_secret": CLIENT_SECRET,
                                  "snapchat_api_url": snapchat.api_url, "snapchat_accounts_url": snapchat.accounts_url}
                                 | overrides))


def snapchat_env(settings: CampaignsSettings) -> dict[str, str]:
    secret = settings.snapchat_client_secret.get_secret_value() if settings.snapchat_client_secret else ""
    return process_env(settings) | {"ADLY_SNAPCHAT_CLIENT_ID": settings.snapchat_client_id,
                                    "ADLY_SNAPCHAT_CLIENT_SECRET": secret,
                                    "ADLY_SNAPCHAT_API_URL": settings.snapchat_api_url,
                                    "ADLY_SNAPCHAT_ACCOUNTS_URL": settings.snapchat_accounts_url}


async def open_snapchat_shop(a: Adapters, snapchat: FakeSnapchat) -> Shop:
    """A workspace with one product and its own Snapchat ad account, connected with an
    hour-long token and its refresh token."""
    seeded = snapchat.seed_account()
    token = PlatformToken(seeded.token, datetime.now(UTC) + timedelta(seconds=ACCESS_TTL), seeded.refresh_token,
                          ["snapchat-marketing-api"])
    return await connect_shop(a, SNAPCHAT, token, seeded.account_id, seeded.profile_id, seeded.pixel_id)


async def approved_snapchat_campaign(a: Adapters, shop: Shop, assets: CreativeAssets, *, seed: int = 0,
                                     name: str = "Eid oud sale") -> UUID:
    return await approved_campaign(a, shop, assets, name=name, image_seed=seed,
                                   plan=plan_on(SNAPCHAT, shop.product_id, date.today()))


def _linked(one: Single, recorded: dict[str, str], what: str) -> None:
    campaign, squad, image, creative, ad = (one[k] for k in ("campaign", "ad_set", "image", "creative", "ad"))
    assert image["media_status"] == "READY", what
    assert squad["campaign_id"] == campaign["id"] and ad["ad_squad_id"] == squad["id"], what
    assert ad["creative_id"] == creative["id"] and creative["top_snap_media_id"] == image["id"], what
    assert recorded["campaign"] == campaign["id"] and recorded["ad_set"] == squad["id"], what
    by_kind = {k.rsplit("/", 1)[1]: v for k, v in recorded.items() if k.startswith("ad/")}
    assert (by_kind["image"], by_kind["creative"], by_kind["ad"]) == (image["id"], creative["id"], ad["id"]), what


async def _campaign(a: Adapters, shop: Shop, assets: CreativeAssets, seed: int) -> UUID:
    return await approved_snapchat_campaign(a, shop, assets, seed=seed)


def _mutation(seen: Any) -> str | None:
    return seen.path.removeprefix("/v1/") if seen.method in ("POST", "PUT") and seen.path.startswith("/v1/") else None


SNAPCHAT_KILLS = KillCase(
    name="Snapchat", fake=FakeSnapchat, settings=snapchat_settings, env=snapchat_env, open_shop=open_snapchat_shop,
    approved_campaign=_campaign, kinds={"campaign": 1, "ad_set": 1, "image": 1, "creative": 1, "ad": 1},
    # the media is created, then uploaded into (4: never created again on resume); each switch
    # on is a PUT of the whole entity
    requests=("adaccounts/{a}/campaigns", "campaigns/{campaign}/adsquads", "adaccounts/{a}/media",
              "media/{image}/upload", "adaccounts/{a}/creatives", "adsquads/{ad_set}/ads",
              "adsquads/{ad_set}/ads", "campaigns/{campaign}/adsquads", "adaccounts/{a}/campaigns"),
    creating=frozenset({1, 2, 3, 5, 6}), switching=frozenset({7, 8, 9}),
    mutation=_mutation, linked=_linked, is_on=lambda o: o["status"] == "ACTIVE")
