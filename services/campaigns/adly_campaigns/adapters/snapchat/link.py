"""Snapchat's side of `AdAccountLink`: Snap's OAuth login, its one-hour tokens and their
refresh, and the organizations' ad accounts, public profiles and pixels.

Snapchat has no pages: an ad runs as a public profile of the organization (creatives need
`profile_properties.profile_id` since February 2024), so `pages` lists the organization's
public profiles for the merchant to pick, and the publisher sends the pick as the profile.
The listing endpoint is UNVERIFIED (client.py): a refusal that is not about the token or a
permission reads as "no profiles", and the merchant is then told to choose one.

`refresh` spends the refresh token: the service calls it under the account row's lock
(adapters/tokens.py) and keeps what it answers, the rotated refresh token included.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from adly_campaigns.adapters.snapchat.client import SnapchatApi
from adly_campaigns.adapters.snapchat.settings import SnapchatSettings
from adly_campaigns.domain.ports import Choice, ErrorKind, PlatformAccount, PlatformError, PlatformToken
from adly_events.contracts.common import AdPlatform

RUNNABLE = frozenset({"ACTIVE"})
SOFT = frozenset({ErrorKind.NOT_FOUND, ErrorKind.INVALID_PARAMETER})


class SnapchatAccountLink:
    platform = AdPlatform.SNAPCHAT

    def __init__(self, settings: SnapchatSettings, http: httpx.AsyncClient | None = None, *,
                 clock: Callable[[], float] = time.monotonic, wall_clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, api: SnapchatApi | None = None) -> None:
        self.settings = settings
        self._owns_api = api is None
        self.api = api or SnapchatApi(settings, http, clock=clock, wall_clock=wall_clock, sleep=sleep)

    async def aclose(self) -> None:
        if self._owns_api:
            await self.api.aclose()

    def authorize_url(self, state: str, redirect_uri: str) -> str:
        query = urlencode({"client_id": self.settings.client_id, "redirect_uri": redirect_uri, "response_type": "code",
                           "scope": self.settings.scope, "state": state})
        return f"{self.settings.authorize_endpoint}?{query}"

    async def exchange_code(self, code: str, redirect_uri: str) -> PlatformToken:
        return await self._grant({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri})

    async def long_lived(self, token: PlatformToken) -> PlatformToken:
        return token   # Snap has no longer-lived token: the refresh token keeps the access alive

    async def refresh(self, token: PlatformToken) -> PlatformToken:
        if not token.refresh_token:
            raise self.api.refuse(PlatformError(ErrorKind.TOKEN_INVALID, "Snapchat's access cannot be renewed without "
                                                "its refresh token: reconnect the ad account."))
        fresh = await self._grant({"grant_type": "refresh_token", "refresh_token": token.refresh_token})
        return PlatformToken(fresh.access_token, fresh.expires_at, fresh.refresh_token or token.refresh_token,
                             fresh.scopes or token.scopes)

    async def accounts(self, token: str) -> list[PlatformAccount]:
        found: list[PlatformAccount] = []
        async for organization in self.api.rows("me/organizations", token, "organizations", "organization",
                                                {"with_ad_accounts": "true"}):
            for account in organization.get("ad_accounts") or []:
                if isinstance(account, dict) and account.get("id") and \
                        str(account.get("status", "ACTIVE")).upper() in RUNNABLE:
                    found.append(PlatformAccount(str(account["id"]), str(account.get("name") or account["id"]),
                                                 str(account.get("currency", "")), str(account.get("timezone") or "UTC")))
        return found

    async def pages(self, token: str, platform_account_id: str) -> list[Choice]:
        organization = await self._organization_of(token, platform_account_id)
        if organization is None:
            return []
        try:
            return [Choice(str(p["id"]), str(p.get("display_name") or p["id"])) async for p in self.api.rows(
                f"organizations/{organization}/public_profiles", token, "public_profiles", "public_profile") if p.get("id")]
        except PlatformError as refused:
            if refused.kind in SOFT:
                return []
            raise

    async def pixels(self, token: str, platform_account_id: str) -> list[Choice]:
        return [Choice(str(p["id"]), str(p.get("name") or p["id"])) async for p in self.api.rows(
            f"adaccounts/{platform_account_id}/pixels", token, "pixels", "pixel") if p.get("id")]

    async def _organization_of(self, token: str, platform_account_id: str) -> str | None:
        body = await self.api.get(f"adaccounts/{platform_account_id}", token)
        found = self.api.entities(body, "adaccounts", "adaccount", "ad account", strict=False)
        return str(found[0]["organization_id"]) if found and found[0].get("organization_id") else None

    async def _grant(self, form: dict[str, str]) -> PlatformToken:
        status, body = await self.api.token_grant(
            form | {"client_id": self.settings.client_id, "client_secret": self.settings.client_secret})
        if status >= 400 or not isinstance(body, dict) or not body.get("access_token"):
            raise self.api.refuse(_grant_refused(status, body, self.settings.throttle_seconds))
        seconds = _int(body.get("expires_in"))
        expires_at = datetime.fromtimestamp(self.api.wall_clock() + seconds, UTC) if seconds else None
        scopes = str(body.get("scope") or "").split()
        return PlatformToken(str(body["access_token"]), expires_at, str(body["refresh_token"]) if body.get(
            "refresh_token") else None, scopes)


def _grant_refused(status: int, body: Any, throttle_seconds: float) -> PlatformError:
    error = str(body.get("error", "")) if isinstance(body, dict) else ""
    said = str(body.get("error_description") or error) if isinstance(body, dict) else ""
    if error == "invalid_grant" or status == 401 and error != "invalid_client":
        return PlatformError(ErrorKind.TOKEN_INVALID, "Snapchat no longer accepts this login (it was revoked, expired "
                             f"or already used): reconnect the ad account. {said}".strip(), code=error or str(status))
    if status == 429:
        return PlatformError(ErrorKind.THROTTLED, "Snapchat's login is limiting requests; ADLY will try again.",
                             code="429", retry_after=throttle_seconds)
    if status >= 500 or status < 400:
        return PlatformError(ErrorKind.TRANSIENT, f"Snapchat's login answered {status}; ADLY will try again.",
                             code=str(status))
    return PlatformError(ErrorKind.PERMISSION if error == "invalid_client" else ErrorKind.INVALID_PARAMETER,
                         f"Snapchat refused the login: {said or status}", code=error or str(status))


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0
