"""Ad-account tokens, fresh: refreshed before they expire (Snapchat's and Google's last an hour,
Meta's long-lived ones sixty days).

A refresh may spend a single-use refresh token (Snapchat rotates them), so it happens under the
account row's lock, in a transaction of its own held across the platform's answer: a second
worker waits on the lock, then finds the successor saved and uses it instead of spending the
old token again (the catalog refreshes Salla's tokens the same way). It is the only
transaction in the campaigns service that waits on a platform, and it locks one row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from adly_campaigns.adapters.ad_accounts import AdAccountRepository
from adly_campaigns.domain.ports import AccountAccess, AdAccountLink, ErrorKind, PlatformError
from adly_events.contracts.common import AdPlatform
from adly_kit.sql import utc_now

MARGIN = timedelta(minutes=5)     # refresh this long before the platform would refuse the token


def expiring(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is not None and expires_at - now <= MARGIN


class RefreshingTokens:
    def __init__(self, engine: AsyncEngine, accounts: AdAccountRepository,
                 links: Mapping[AdPlatform, AdAccountLink]) -> None:
        self.engine, self.accounts, self.links = engine, accounts, links

    async def fresh(self, access: AccountAccess) -> AccountAccess:
        if access.account_id is None or not expiring(access.expires_at, utc_now()):
            return access
        async with self.engine.begin() as tx:
            stored = await self.accounts.locked_token(tx, access.account_id)
            if stored is None:
                raise PlatformError(ErrorKind.TOKEN_INVALID, "The ad account is not connected any more: reconnect it.")
            platform, token = stored
            if not expiring(token.expires_at, utc_now()):
                return replace(access, token=token.access_token, expires_at=token.expires_at)
            link = self.links.get(platform)
            if link is None:
                raise PlatformError(ErrorKind.TOKEN_INVALID, "ADLY cannot renew this platform's access: reconnect it.")
            renewed = await link.refresh(token)
            if renewed.refresh_token is None and token.refresh_token is not None:
                renewed = replace(renewed, refresh_token=token.refresh_token)  # a platform that does not rotate
            await self.accounts.keep_token(tx, access.account_id, renewed)
            return replace(access, token=renewed.access_token, expires_at=renewed.expires_at)
