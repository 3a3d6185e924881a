"""Meta's side of `AdAccountLink`: Facebook Login, tokens, ad accounts, pages and pixels.

- Login: `{dialog}/v{N}/dialog/oauth?client_id&redirect_uri&state&scope&response_type=code`;
  the code is exchanged at `GET /oauth/access_token?client_id&redirect_uri&client_secret&code`
  and the short-lived token for a long-lived one (~60 days) with
  `grant_type=fb_exchange_token`; `expires_in` becomes `expires_at`.
- A token that says no expiry (a Business Manager system-user token, entered as it is) is kept
  as it is: `long_lived` returns it unchanged.
- Accounts: `GET /me/adaccounts` (account_id, name, currency, timezone_name, account_status);
  only accounts that can run ads are offered (status 1 active, 9 in grace period).
- Pages: `GET /act_{id}/promote_pages` (the pages this account may advertise for), else the
  pages the person manages (`GET /me/accounts`, permission pages_show_list).
- Pixels: `GET /act_{id}/adspixels`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from adly_campaigns.adapters.meta.client import MetaGraph, act
from adly_campaigns.adapters.meta.settings import MetaSettings
from adly_campaigns.domain.ports import Choice, ErrorKind, PlatformAccount, PlatformError, PlatformToken
from adly_events.contracts.common import AdPlatform

RUNNABLE_STATUSES = frozenset({1, 9})


class MetaAccountLink:
    platform = AdPlatform.META

    def __init__(self, settings: MetaSettings, http: httpx.AsyncClient | None = None, *,
                 clock: Callable[[], float] = time.monotonic, wall_clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, graph: MetaGraph | None = None) -> None:
        self.settings = settings
        self._owns_graph = graph is None
        self.graph = graph or MetaGraph(settings, http, clock=clock, wall_clock=wall_clock, sleep=sleep)

    async def aclose(self) -> None:
        if self._owns_graph:
            await self.graph.aclose()

    def authorize_url(self, state: str, redirect_uri: str) -> str:
        query = urlencode({"client_id": self.settings.app_id, "redirect_uri": redirect_uri, "state": state,
                           "scope": ",".join(self.settings.scopes), "response_type": "code"})
        return f"{self.settings.dialog_url.rstrip('/')}/{self.settings.api_version}/dialog/oauth?{query}"

    async def exchange_code(self, code: str, redirect_uri: str) -> PlatformToken:
        return await self._token({"client_id": self.settings.app_id, "client_secret": self.settings.app_secret,
                                  "redirect_uri": redirect_uri, "code": code})

    async def refresh(self, token: PlatformToken) -> PlatformToken:
        """A long-lived user token is extended by exchanging it again while it still works; a
        system-user token (no expiry) stays as it is."""
        return await self.long_lived(token) if token.expires_at is not None else token

    async def long_lived(self, token: PlatformToken) -> PlatformToken:
        if token.expires_at is None:
            return token
        fresh = await self._token({"grant_type": "fb_exchange_token", "client_id": self.settings.app_id,
                                   "client_secret": self.settings.app_secret, "fb_exchange_token": token.access_token})
        return replace(fresh, scopes=fresh.scopes or token.scopes)

    async def accounts(self, token: str) -> list[PlatformAccount]:
        params = {"fields": "account_id,name,currency,timezone_name,account_status", "limit": 100}
        found = []
        async for row in self.graph.pages("me/adaccounts", token, params):
            account_id = str(row.get("account_id") or str(row.get("id", "")).removeprefix("act_"))
            if account_id and _int(row.get("account_status")) in RUNNABLE_STATUSES:
                found.append(PlatformAccount(account_id, str(row.get("name") or account_id), str(row.get("currency", "")),
                                             str(row.get("timezone_name") or "UTC")))
        return found

    async def pages(self, token: str, platform_account_id: str) -> list[Choice]:
        params = {"fields": "id,name", "limit": 100}
        pages = await self._choices(f"{act(platform_account_id)}/promote_pages", token, params, platform_account_id)
        return pages or await self._choices("me/accounts", token, params, None)

    async def pixels(self, token: str, platform_account_id: str) -> list[Choice]:
        return await self._choices(f"{act(platform_account_id)}/adspixels", token, {"fields": "id,name", "limit": 100},
                                   platform_account_id)

    async def _choices(self, path: str, token: str, params: dict[str, Any], account: str | None) -> list[Choice]:
        rows = self.graph.pages(path, token, params, account=act(account) if account else None)
        return [Choice(str(r["id"]), str(r.get("name") or r["id"])) async for r in rows if r.get("id")]

    async def _token(self, params: dict[str, Any]) -> PlatformToken:
        body = await self.graph.get("oauth/access_token", None, params)
        if not isinstance(body, dict) or not body.get("access_token"):
            raise self.graph.refuse(PlatformError(ErrorKind.TRANSIENT, "Meta's token answer had no token."))
        seconds = _int(body.get("expires_in"))
        expires_at = None if not seconds else datetime.fromtimestamp(self.graph.wall_clock() + seconds, UTC)
        return PlatformToken(access_token=str(body["access_token"]), expires_at=expires_at)


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None
