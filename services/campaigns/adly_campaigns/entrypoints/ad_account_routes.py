"""Ad accounts: /v1/workspaces/{workspace_id}/ad-accounts/...

Facebook Login (and the other platforms' logins) the way a single-page app does it: start a
login (`POST /logins`) and send the merchant to `authorize_url`; the platform returns them to
the app's callback page with `code` and `state`, which the app posts to `/logins/code`; the
app lists the accounts, pages and pixels that login reaches and connects one
(`POST /ad-accounts` with `login_id`). An admin may instead paste a system-user token
(`POST /ad-accounts` with `access_token`). Connecting and disconnecting need a fresh 2FA
proof (`ad_accounts.connect` / `ad_accounts.disconnect`).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, model_validator

from adly_campaigns.domain.ports import PlatformToken
from adly_campaigns.entrypoints.deps import AccountsConnect, AccountsDisconnect, AdaptersDep, CampaignsRead
from adly_campaigns.handlers import ad_accounts
from adly_campaigns.handlers.ports import AdAccount
from adly_events.contracts.common import AdPlatform
from adly_kit.db import unit_of_work
from adly_kit.errors import NotFound

router = APIRouter(prefix="/v1/workspaces/{workspace_id}/ad-accounts", tags=["ad accounts"])


class LoginIn(BaseModel):
    platform: AdPlatform = AdPlatform.META


class LoginOut(BaseModel):
    login_id: UUID
    authorize_url: str = Field(description="Send the merchant here; the platform returns them to the app with a code.")
    expires_at: datetime | None = None


class CodeIn(BaseModel):
    code: str = Field(min_length=1, max_length=2000)
    state: str = Field(min_length=1, max_length=300)


class AccountChoice(BaseModel):
    platform_account_id: str
    name: str
    currency: str
    time_zone: str


class LoginAccounts(BaseModel):
    login_id: UUID
    platform: AdPlatform
    accounts: list[AccountChoice]


class NamedChoice(BaseModel):
    id: str
    name: str


class AccountOptionsOut(BaseModel):
    account: AccountChoice
    pages: list[NamedChoice]
    pixels: list[NamedChoice]


class ConnectIn(BaseModel):
    platform: AdPlatform = AdPlatform.META
    platform_account_id: str = Field(min_length=1, max_length=100, examples=["act_1234567890"])
    login_id: UUID | None = Field(default=None, description="A finished login (`/logins/code`)...")
    access_token: str | None = Field(default=None, min_length=10, max_length=4000,
                                     description="...or a system-user token; it is sealed at once and never shown.")
    page_id: str | None = Field(default=None, max_length=100)
    pixel_id: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _one_credential(self) -> ConnectIn:
        if (self.login_id is None) == (self.access_token is None):
            raise ValueError("give either login_id or access_token")
        return self


class ChoiceIn(BaseModel):
    page_id: str | None = Field(default=None, max_length=100)
    pixel_id: str | None = Field(default=None, max_length=100)


class AdAccountOut(BaseModel):
    id: UUID
    platform: AdPlatform
    platform_account_id: str
    name: str
    currency: str
    time_zone: str
    status: str = Field(description="`connected`, `access_lost` (reconnect it) or `disconnected`.")
    status_reason: str | None
    page_id: str | None
    pixel_id: str | None
    token_expires_at: datetime | None


def account_out(account: AdAccount) -> AdAccountOut:
    return AdAccountOut(id=account.id, platform=account.platform, platform_account_id=account.platform_account_id,
                        name=account.name, currency=account.currency, time_zone=account.time_zone,
                        status=account.status, status_reason=account.status_reason, page_id=account.page_id,
                        pixel_id=account.pixel_id, token_expires_at=account.token_expires_at)


@router.get("", response_model=list[AdAccountOut], summary="Connected ad accounts")
async def list_accounts(workspace_id: UUID, member: CampaignsRead, a: AdaptersDep) -> list[AdAccountOut]:
    async with a.engine.connect() as conn:
        return [account_out(acc) for acc in await a.ad_accounts.connected(conn, workspace_id)]


@router.get("/{account_id}", response_model=AdAccountOut, summary="One ad account")
async def get_account(workspace_id: UUID, account_id: UUID, member: CampaignsRead, a: AdaptersDep) -> AdAccountOut:
    async with a.engine.connect() as conn:
        account = await a.ad_accounts.get(conn, workspace_id, account_id)
    if account is None or account.status == "disconnected":
        raise NotFound("No such ad account.")
    return account_out(account)


@router.post("/logins", response_model=LoginOut, status_code=201, summary="Start the platform's login")
async def start_login(workspace_id: UUID, body: LoginIn, member: AccountsConnect, a: AdaptersDep) -> LoginOut:
    async with unit_of_work(a.engine) as tx:
        login_id, _, url = await ad_accounts.start_login(tx, a, workspace_id, body.platform, member.actor)
    return LoginOut(login_id=login_id, authorize_url=url)


@router.post("/logins/code", response_model=LoginAccounts, summary="Finish the login with the platform's code")
async def finish_login(workspace_id: UUID, body: CodeIn, member: AccountsConnect, a: AdaptersDep) -> LoginAccounts:
    async with unit_of_work(a.engine) as tx:
        login = await ad_accounts.open_login(tx, a, workspace_id, body.state)
    token = await ad_accounts.exchange(a, login, body.code)
    found = await ad_accounts.accounts(a, login.platform, token.access_token)
    async with unit_of_work(a.engine) as tx:
        await ad_accounts.keep_token(tx, a, login, token)
    return LoginAccounts(login_id=login.id, platform=login.platform,
                         accounts=[AccountChoice(**vars(acc)) for acc in found])


@router.get("/logins/{login_id}/accounts/{platform_account_id}", response_model=AccountOptionsOut,
            summary="The pages and pixels a login can use with an account")
async def account_options(workspace_id: UUID, login_id: UUID, platform_account_id: str, member: AccountsConnect,
                          a: AdaptersDep) -> AccountOptionsOut:
    async with a.engine.connect() as conn:
        login = await ad_accounts.logged_in(conn, a, workspace_id, login_id)
    assert login.token is not None
    found = await ad_accounts.options(a, login.platform, login.token.access_token, platform_account_id)
    return AccountOptionsOut(account=AccountChoice(**vars(found.account)),
                             pages=[NamedChoice(**vars(p)) for p in found.pages],
                             pixels=[NamedChoice(**vars(p)) for p in found.pixels])


@router.post("", response_model=AdAccountOut, status_code=201, summary="Connect an ad account")
async def connect(workspace_id: UUID, body: ConnectIn, member: AccountsConnect, a: AdaptersDep,
                  response: Response) -> AdAccountOut:
    login = None
    if body.login_id is not None:
        async with a.engine.connect() as conn:
            login = await ad_accounts.logged_in(conn, a, workspace_id, body.login_id)
        assert login.token is not None
        token, platform = login.token, login.platform
    else:
        assert body.access_token is not None
        token, platform = PlatformToken(body.access_token), body.platform
    found = await ad_accounts.options(a, platform, token.access_token, body.platform_account_id)
    async with unit_of_work(a.engine) as tx:
        account = await ad_accounts.connect(tx, a, workspace_id, platform, token, found, body.page_id, body.pixel_id,
                                            member.actor, login)
    response.headers["Location"] = f"/v1/workspaces/{workspace_id}/ad-accounts/{account.id}"
    return account_out(account)


@router.patch("/{account_id}", response_model=AdAccountOut, summary="Choose the account's page and pixel")
async def choose(workspace_id: UUID, account_id: UUID, body: ChoiceIn, member: AccountsConnect,
                 a: AdaptersDep) -> AdAccountOut:
    async with a.engine.connect() as conn:
        account = await a.ad_accounts.get(conn, workspace_id, account_id)
        access = await a.ad_accounts.access(conn, account_id) if account else None
    if account is None or access is None:
        raise NotFound("No such connected ad account.")
    found = await ad_accounts.options(a, account.platform, access.token, account.platform_account_id)
    ad_accounts.checked_choice(found, body.page_id, body.pixel_id)
    async with unit_of_work(a.engine) as tx:
        chosen = await ad_accounts.choose(tx, a, workspace_id, account_id, body.page_id, body.pixel_id)
    return account_out(chosen)


@router.delete("/{account_id}", status_code=204, summary="Disconnect: the token is forgotten at once")
async def disconnect(workspace_id: UUID, account_id: UUID, member: AccountsDisconnect, a: AdaptersDep) -> Response:
    async with unit_of_work(a.engine) as tx:
        await ad_accounts.disconnect(tx, a, workspace_id, account_id, member.actor)
    return Response(status_code=204)
