"""Connecting ad accounts: the platform's login, then the merchant picks an account, its page
and its pixel; or a system-user token pasted by an admin. Platform calls happen between the
transactions the routes open (three steps, like handlers/steering.py)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_campaigns.adapters.container import Adapters
from adly_campaigns.domain.ports import AdAccountLink, Choice, PlatformAccount, PlatformError, PlatformToken
from adly_campaigns.handlers.errors import refusal_of
from adly_campaigns.handlers.ports import AdAccount, Login
from adly_events.contracts.campaigns import AdAccountConnected, AdAccountDisconnected
from adly_events.contracts.common import AdPlatform
from adly_kit.errors import InvalidInput, NotFound


def redirect_uri(a: Adapters, platform: AdPlatform) -> str:
    """The app page the platform returns the merchant to; the app posts the code back to us."""
    return f"{a.settings.public_app_url.rstrip('/')}/ad-accounts/{platform.value}/callback"


def link_of(a: Adapters, platform: AdPlatform) -> AdAccountLink:
    link = a.links.get(platform)
    if link is None:
        raise InvalidInput(f"Connecting {platform.value} ad accounts is not available yet.", field="platform")
    return link


async def start_login(tx: AsyncConnection, a: Adapters, workspace_id: UUID, platform: AdPlatform, by: str
                      ) -> tuple[UUID, str, str]:
    link = link_of(a, platform)
    state = secrets.token_urlsafe(32)
    login_id = await a.logins.start(tx, workspace_id, platform, state, by)
    return login_id, state, link.authorize_url(f"{login_id}.{state}", redirect_uri(a, platform))


def split_state(value: str) -> tuple[UUID, str]:
    """The `state` we sent: `<login id>.<secret>`; anything else is not ours."""
    try:
        login, secret = value.split(".", 1)
        return UUID(login), secret
    except ValueError:
        raise InvalidInput("This login is not one we started.", field="state") from None


async def open_login(tx: AsyncConnection, a: Adapters, workspace_id: UUID, state: str) -> Login:
    login_id, secret = split_state(state)
    login = await a.logins.by_state(tx, workspace_id, login_id, secret)
    if login is None:
        raise InvalidInput("This login expired or is not one we started; start again.", field="state")
    return login


async def exchange(a: Adapters, login: Login, code: str) -> PlatformToken:
    link = link_of(a, login.platform)
    try:
        short = await link.exchange_code(code, redirect_uri(a, login.platform))
        return await link.long_lived(short)
    except PlatformError as error:
        raise refusal_of(login.platform, error) from None


async def keep_token(tx: AsyncConnection, a: Adapters, login: Login, token: PlatformToken) -> None:
    await a.logins.keep_token(tx, login.id, token)


async def logged_in(tx: AsyncConnection, a: Adapters, workspace_id: UUID, login_id: UUID) -> Login:
    login = await a.logins.get(tx, workspace_id, login_id)
    if login is None or login.token is None:
        raise NotFound("No such login, or it expired: start again.")
    return login


@dataclass(frozen=True)
class AccountOptions:
    account: PlatformAccount
    pages: list[Choice]
    pixels: list[Choice]


async def accounts(a: Adapters, platform: AdPlatform, token: str) -> list[PlatformAccount]:
    try:
        return await link_of(a, platform).accounts(token)
    except PlatformError as error:
        raise refusal_of(platform, error) from None


async def options(a: Adapters, platform: AdPlatform, token: str, platform_account_id: str) -> AccountOptions:
    link = link_of(a, platform)
    try:
        found = next((acc for acc in await link.accounts(token) if acc.platform_account_id == platform_account_id), None)
        if found is None:
            raise NotFound("This login cannot reach that ad account.", field="platform_account_id")
        return AccountOptions(found, await link.pages(token, platform_account_id),
                              await link.pixels(token, platform_account_id))
    except PlatformError as error:
        raise refusal_of(platform, error) from None


def checked_choice(found: AccountOptions, page_id: str | None, pixel_id: str | None) -> None:
    if page_id is not None and page_id not in {p.id for p in found.pages}:
        raise InvalidInput("This page is not one the login can advertise with.", field="page_id")
    if pixel_id is not None and pixel_id not in {p.id for p in found.pixels}:
        raise InvalidInput("This pixel does not belong to the ad account.", field="pixel_id")


async def connect(tx: AsyncConnection, a: Adapters, workspace_id: UUID, platform: AdPlatform, token: PlatformToken,
                  found: AccountOptions, page_id: str | None, pixel_id: str | None, by: str,
                  login: Login | None = None) -> AdAccount:
    checked_choice(found, page_id, pixel_id)
    account = await a.ad_accounts.save_connection(tx, AdAccount(
        uuid.uuid4(), workspace_id, platform, found.account.platform_account_id, found.account.name,
        found.account.currency, found.account.time_zone, "connected", page_id, pixel_id), token, by)
    await a.ad_accounts.record(tx, account, [AdAccountConnected(
        platform=platform, platform_account_id=account.platform_account_id, name=account.name,
        currency=account.currency, time_zone=account.time_zone, connected_by=by)])
    if login is not None:
        await a.logins.finish(tx, login.id)
    return account


async def disconnect(tx: AsyncConnection, a: Adapters, workspace_id: UUID, account_id: UUID, by: str) -> None:
    account = await a.ad_accounts.get(tx, workspace_id, account_id)
    if account is None or account.status == "disconnected":
        return  # disconnecting twice is the same as once
    await a.ad_accounts.set_status(tx, account_id, "disconnected", None)
    await a.ad_accounts.record(tx, account, [AdAccountDisconnected(
        platform=account.platform, platform_account_id=account.platform_account_id, disconnected_by=by)])


async def choose(tx: AsyncConnection, a: Adapters, workspace_id: UUID, account_id: UUID, page_id: str | None,
                 pixel_id: str | None) -> AdAccount:
    account = await a.ad_accounts.get(tx, workspace_id, account_id)
    if account is None or account.status == "disconnected":
        raise NotFound("No such ad account.")
    await a.ad_accounts.choose(tx, account_id, page_id, pixel_id)
    chosen = await a.ad_accounts.get(tx, workspace_id, account_id)
    assert chosen is not None
    return chosen
