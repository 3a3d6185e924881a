"""TikTok's side of `AdAccountLink`: advertiser authorization, accounts, identities, pixels.

The merchant approves ADLY in TikTok's authorization page (`auth_url?app_id&state&
redirect_uri`), which comes back with an `auth_code` good once, for an hour; ADLY exchanges
it at `/oauth2/access_token/` for a long-term advertiser token with the advertiser ids it
may manage. That token has no expiry (it dies when the merchant removes the authorization),
so `long_lived` and `refresh` answer it as it is. Accounts are the authorized advertisers
(`/oauth2/advertiser/get/`) with their currency and time zone (`/advertiser/info/`);
an identity (`/identity/get/`, CUSTOMIZED_USER) is what ads run as, ADLY's "page".
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from adly_campaigns.adapters.tiktok.client import TikTokApi
from adly_campaigns.adapters.tiktok.settings import TikTokSettings
from adly_campaigns.domain.ports import Choice, ErrorKind, PlatformAccount, PlatformError, PlatformToken
from adly_events.contracts.common import AdPlatform

CLOSED = frozenset({"STATUS_DISABLE", "STATUS_LIMIT", "STATUS_CONFIRM_FAIL", "STATUS_CONFIRM_FAIL_END"})
INFO_FIELDS = ["advertiser_id", "name", "currency", "timezone", "display_timezone", "status"]
IDS_PER_READ = 100


def time_zone(row: dict[str, Any]) -> str:
    """The account's IANA zone: TikTok gives `display_timezone` and `timezone`, one of them
    sometimes an offset name; the first a zone database knows wins."""
    for key in ("display_timezone", "timezone"):
        value = str(row.get(key) or "")
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        return value
    return "UTC"


class TikTokAccountLink:
    platform = AdPlatform.TIKTOK

    def __init__(self, settings: TikTokSettings, http: httpx.AsyncClient | None = None, *,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, api: TikTokApi | None = None) -> None:
        self.settings = settings
        self._owns_api = api is None
        self.api = api or TikTokApi(settings, http, sleep=sleep)

    async def aclose(self) -> None:
        if self._owns_api:
            await self.api.aclose()

    def authorize_url(self, state: str, redirect_uri: str) -> str:
        query = urlencode({"app_id": self.settings.app_id, "state": state, "redirect_uri": redirect_uri})
        return f"{self.settings.auth_url}?{query}"

    async def exchange_code(self, code: str, redirect_uri: str) -> PlatformToken:
        data = await self.api.post("oauth2/access_token", None, {
            "app_id": self.settings.app_id, "secret": self.settings.app_secret, "auth_code": code})
        token = data.get("access_token") if isinstance(data, dict) else None
        if not token:
            raise self.api.refuse(PlatformError(ErrorKind.TRANSIENT, "TikTok's token answer had no token."))
        scopes = data.get("scope") if isinstance(data.get("scope"), list) else []
        return PlatformToken(access_token=str(token), expires_at=None, scopes=[str(s) for s in scopes])

    async def long_lived(self, token: PlatformToken) -> PlatformToken:
        return token  # an advertiser token is long-term already

    async def refresh(self, token: PlatformToken) -> PlatformToken:
        return token  # it does not expire: it is revoked, and then only a new login helps

    async def accounts(self, token: str) -> list[PlatformAccount]:
        data = await self.api.get("oauth2/advertiser/get", token, {"app_id": self.settings.app_id,
                                                                   "secret": self.settings.app_secret})
        rows = data.get("list") if isinstance(data, dict) else None
        names = {str(r["advertiser_id"]): str(r.get("advertiser_name") or r["advertiser_id"])
                 for r in rows or [] if isinstance(r, dict) and r.get("advertiser_id")}
        ids, found = list(names), []
        for start in range(0, len(ids), IDS_PER_READ):
            info = await self.api.get("advertiser/info", token, {"advertiser_ids": ids[start:start + IDS_PER_READ],
                                                                 "fields": INFO_FIELDS})
            for row in info.get("list") or [] if isinstance(info, dict) else []:
                advertiser_id = str(row.get("advertiser_id", ""))
                if advertiser_id in names and str(row.get("status", "")) not in CLOSED:
                    found.append(PlatformAccount(advertiser_id, str(row.get("name") or names[advertiser_id]),
                                                 str(row.get("currency", "")), time_zone(row)))
        return found

    async def pages(self, token: str, platform_account_id: str) -> list[Choice]:
        rows = self.api.pages("identity/get", token, {"advertiser_id": platform_account_id,
                                                      "identity_type": "CUSTOMIZED_USER"}, "identity_list")
        return [Choice(str(r["identity_id"]), str(r.get("display_name") or r["identity_id"]))
                async for r in rows if r.get("identity_id")]

    async def pixels(self, token: str, platform_account_id: str) -> list[Choice]:
        rows = self.api.pages("pixel/list", token, {"advertiser_id": platform_account_id}, "pixels", page_size=20)
        return [Choice(str(r["pixel_id"]), str(r.get("pixel_name") or r["pixel_id"])) async for r in rows
                if r.get("pixel_id")]
