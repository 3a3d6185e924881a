"""Google's side of `AdAccountLink`: Google OAuth, tokens, customers and conversion actions.

- Login: `{oauth}/o/oauth2/v2/auth?client_id&redirect_uri&response_type=code&scope=
  https://www.googleapis.com/auth/adwords&access_type=offline&prompt=consent&state`;
  offline access with consent is what makes Google answer a refresh token every time.
- Tokens: `POST {token_url}` with grant_type=authorization_code (code, redirect_uri) or
  refresh_token; an access token lasts about an hour (`expires_in`), the refresh token until
  revoked (Google does not rotate it: a refresh answer without one keeps the old one).
  `long_lived` has nothing to do (the refresh token is the long-lived part); `refresh`
  performs the refresh grant.
- Accounts: `GET customers:listAccessibleCustomers`, then each customer's `customer.id,
  descriptive_name, currency_code, time_zone, manager, status` through googleAds:search; a
  manager account (MCC) is not where ads run, so its client accounts are listed instead
  (`customer_client`, level 1, not managers), reachable with `login-customer-id` when
  ADLY_GOOGLE_ADS_LOGIN_CUSTOMER_ID names that manager. Only ENABLED customers are offered;
  one ADLY may not read is left out rather than failing the list.
- Pages: Google Ads has none: the business name is the account's name and the logo is the
  ad's own image (creative.py), so the list is empty.
- Pixels: the account's enabled conversion actions (`conversion_action`), which Demand Gen's
  conversion bidding optimises for.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from adly_campaigns.adapters.google_ads.client import GoogleAdsApi
from adly_campaigns.adapters.google_ads.settings import SCOPE, GoogleAdsSettings, digits
from adly_campaigns.domain.ports import Choice, ErrorKind, PlatformAccount, PlatformError, PlatformToken
from adly_events.contracts.common import AdPlatform

SKIPPED = frozenset({ErrorKind.PERMISSION, ErrorKind.NOT_FOUND, ErrorKind.INVALID_PARAMETER})
CUSTOMER = ("SELECT customer.id, customer.descriptive_name, customer.currency_code, customer.time_zone, "
            "customer.manager, customer.status FROM customer")
CLIENTS = ("SELECT customer_client.id, customer_client.descriptive_name, customer_client.currency_code, "
           "customer_client.time_zone, customer_client.manager, customer_client.status FROM customer_client "
           "WHERE customer_client.level = 1 AND customer_client.manager = FALSE")


class GoogleAdsAccountLink:
    platform = AdPlatform.GOOGLE_ADS

    def __init__(self, settings: GoogleAdsSettings, http: httpx.AsyncClient | None = None, *,
                 clock: Callable[[], float] = time.monotonic, wall_clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, api: GoogleAdsApi | None = None) -> None:
        self.settings = settings
        self._owns_api = api is None
        self.api = api or GoogleAdsApi(settings, http, clock=clock, wall_clock=wall_clock, sleep=sleep)

    async def aclose(self) -> None:
        if self._owns_api:
            await self.api.aclose()

    def authorize_url(self, state: str, redirect_uri: str) -> str:
        query = urlencode({"client_id": self.settings.client_id, "redirect_uri": redirect_uri, "response_type": "code",
                           "scope": SCOPE, "access_type": "offline", "prompt": "consent", "state": state,
                           "include_granted_scopes": "true"})
        return f"{self.settings.oauth_url.rstrip('/')}/o/oauth2/v2/auth?{query}"

    async def exchange_code(self, code: str, redirect_uri: str) -> PlatformToken:
        return self._token(await self.api.token({"grant_type": "authorization_code", "code": code,
                                                 "redirect_uri": redirect_uri}), None)

    async def long_lived(self, token: PlatformToken) -> PlatformToken:
        return token

    async def refresh(self, token: PlatformToken) -> PlatformToken:
        if token.refresh_token is None:
            if token.expires_at is None:
                return token
            raise self.api.refuse(PlatformError(ErrorKind.TOKEN_INVALID, "Google gave ADLY no offline access to "
                                                "this account: connect it again and allow offline access."))
        return self._token(await self.api.token({"grant_type": "refresh_token", "refresh_token": token.refresh_token}),
                           token)

    async def accounts(self, token: str) -> list[PlatformAccount]:
        found: dict[str, PlatformAccount] = {}
        for customer_id in await self.api.accessible_customers(token):
            try:
                rows = await self.api.rows(token, customer_id, CUSTOMER)
                customer = next((r["customer"] for r in rows if r.get("customer")), None)
                if customer is None:
                    continue
                if customer.get("manager"):
                    rows = await self.api.rows(token, customer_id, CLIENTS)
                    clients = [r["customerClient"] for r in rows if r.get("customerClient")]
                else:
                    clients = [customer]
            except PlatformError as error:
                if error.kind in SKIPPED:
                    continue
                raise
            for entity in clients:
                if entity.get("id") and str(entity.get("status", "ENABLED")) == "ENABLED" and not entity.get("manager"):
                    account_id = digits(str(entity["id"]))
                    found.setdefault(account_id, PlatformAccount(
                        account_id, str(entity.get("descriptiveName") or account_id), str(entity.get("currencyCode", "")),
                        str(entity.get("timeZone") or "UTC")))
        return list(found.values())

    async def pages(self, token: str, platform_account_id: str) -> list[Choice]:
        return []

    async def pixels(self, token: str, platform_account_id: str) -> list[Choice]:
        rows = await self.api.rows(token, platform_account_id, "SELECT conversion_action.id, conversion_action.name "
                                   "FROM conversion_action WHERE conversion_action.status = 'ENABLED'")
        return [Choice(str(r["conversionAction"]["id"]), str(r["conversionAction"].get("name") or
                                                               r["conversionAction"]["id"]))
                for r in rows if r.get("conversionAction", {}).get("id")]

    def _token(self, body: dict[str, Any], previous: PlatformToken | None) -> PlatformToken:
        try:
            seconds = int(body.get("expires_in") or 0)
        except (TypeError, ValueError):
            seconds = 0
        expires_at = datetime.fromtimestamp(self.api.wall_clock() + seconds, UTC) if seconds else None
        scopes = str(body.get("scope") or "").split() or (previous.scopes if previous else [])
        refresh = str(body["refresh_token"]) if body.get("refresh_token") else (previous.refresh_token if previous else None)
        return PlatformToken(access_token=str(body["access_token"]), expires_at=expires_at, refresh_token=refresh,
                             scopes=scopes)
