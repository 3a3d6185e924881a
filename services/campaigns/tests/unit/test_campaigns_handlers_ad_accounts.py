"""Connecting ad accounts and keeping the catalog's products, driven through adly_campaigns.handlers
(ad_accounts.py, catalog.py) on in-memory ports and a fake platform login."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import pytest

from adly_campaigns.domain.ports import Choice, ErrorKind, PlatformAccount, PlatformToken
from adly_campaigns.handlers import ad_accounts, catalog
from adly_campaigns.handlers.ports import AdAccount, Login
from adly_events.contracts.campaigns import AdAccountConnected, AdAccountDisconnected
from adly_events.contracts.catalog import CatalogProduct, ProductRemoved, ProductStatus, ProductUpserted, StorePlatform
from adly_kit.errors import Conflict, InvalidInput, NotFound
from adly_kit.testing.doubles import NO_DATABASE

from .doubles import World, world
from .flows import META, TIKTOK, envelope
from .journeys import AUTHOR

WS = UUID("5e0b7f57-3c55-4a4c-9f57-3b8f0e6e2a10")
ACT = PlatformAccount("act_4242", "Oud House SA", "SAR", "Asia/Riyadh")


def meta_world() -> World:
    w = world(public_app_url="https://app.adly.test/")
    link = w.links[META]
    link.codes["good-code"] = PlatformToken("short")
    link.reachable["long-short"] = [ACT]
    link.page_choices[ACT.platform_account_id] = [Choice("page-1", "Oud House")]
    link.pixel_choices[ACT.platform_account_id] = [Choice("pixel-1", "Store pixel")]
    return w


async def logged_in(w: World) -> Login:
    login_id, state, _ = await ad_accounts.start_login(NO_DATABASE, w.adapters, WS, META, AUTHOR)
    login = await ad_accounts.open_login(NO_DATABASE, w.adapters, WS, f"{login_id}.{state}")
    token = await ad_accounts.exchange(w.adapters, login, "good-code")
    await ad_accounts.keep_token(NO_DATABASE, w.adapters, login, token)
    return await ad_accounts.logged_in(NO_DATABASE, w.adapters, WS, login_id)


async def connected(w: World) -> AdAccount:
    login = await logged_in(w)
    assert login.token is not None
    found = await ad_accounts.options(w.adapters, META, login.token.access_token, ACT.platform_account_id)
    return await ad_accounts.connect(NO_DATABASE, w.adapters, WS, META, login.token, found, "page-1", "pixel-1",
                                     AUTHOR, login)


# -- the login ------------------------------------------------------------------------------------

async def test_a_login_sends_the_merchant_to_the_platform_with_a_state_only_we_know():
    w = meta_world()
    login_id, state, url = await ad_accounts.start_login(NO_DATABASE, w.adapters, WS, META, AUTHOR)
    sent = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert sent == {"state": f"{login_id}.{state}",
                    "redirect_uri": "https://app.adly.test/ad-accounts/meta/callback"}


async def test_a_platform_without_a_login_yet_is_refused():
    with pytest.raises(InvalidInput) as refused:
        await ad_accounts.start_login(NO_DATABASE, meta_world().adapters, WS, TIKTOK, AUTHOR)
    assert refused.value.field == "platform"


@pytest.mark.parametrize("state", ["not-ours", f"{uuid.uuid4()}.secret"])
async def test_a_state_we_did_not_send_is_refused(state: str):
    with pytest.raises(InvalidInput) as refused:
        await ad_accounts.open_login(NO_DATABASE, meta_world().adapters, WS, state)
    assert refused.value.field == "state"


async def test_another_workspace_cannot_finish_the_login():
    w = meta_world()
    login_id, state, _ = await ad_accounts.start_login(NO_DATABASE, w.adapters, WS, META, AUTHOR)
    with pytest.raises(InvalidInput):
        await ad_accounts.open_login(NO_DATABASE, w.adapters, uuid.uuid4(), f"{login_id}.{state}")


async def test_the_code_is_exchanged_for_a_long_lived_token_kept_with_the_login():
    login = await logged_in(meta_world())
    assert login.token is not None and login.token.access_token == "long-short"


async def test_a_login_without_a_token_yet_is_not_found():
    w = meta_world()
    login_id, _, _ = await ad_accounts.start_login(NO_DATABASE, w.adapters, WS, META, AUTHOR)
    with pytest.raises(NotFound):
        await ad_accounts.logged_in(NO_DATABASE, w.adapters, WS, login_id)


async def test_a_refused_code_is_said_in_adlys_words():
    w = meta_world()
    login_id, state, _ = await ad_accounts.start_login(NO_DATABASE, w.adapters, WS, META, AUTHOR)
    login = await ad_accounts.open_login(NO_DATABASE, w.adapters, WS, f"{login_id}.{state}")
    with pytest.raises(InvalidInput) as refused:
        await ad_accounts.exchange(w.adapters, login, "used-code")
    assert refused.value.code == "platform-refused" and refused.value.field == "code"
    w.links[META].refuse_next(ErrorKind.TOKEN_INVALID, "Session expired.")
    with pytest.raises(Conflict):
        await ad_accounts.accounts(w.adapters, META, "long-short")


# -- choosing and connecting ----------------------------------------------------------------------

async def test_the_accounts_pages_and_pixels_the_login_reaches_are_offered():
    w = meta_world()
    assert await ad_accounts.accounts(w.adapters, META, "long-short") == [ACT]
    found = await ad_accounts.options(w.adapters, META, "long-short", ACT.platform_account_id)
    assert (found.account, [p.id for p in found.pages], [p.id for p in found.pixels]) == (ACT, ["page-1"], ["pixel-1"])
    with pytest.raises(NotFound) as refused:
        await ad_accounts.options(w.adapters, META, "long-short", "act_someone_else")
    assert refused.value.field == "platform_account_id"


@pytest.mark.parametrize(("page", "pixel", "at_fault"), [("page-9", None, "page_id"), ("page-1", "pixel-9", "pixel_id")])
async def test_only_a_page_and_pixel_the_login_offered_are_accepted(page: str, pixel: str | None, at_fault: str):
    w = meta_world()
    found = await ad_accounts.options(w.adapters, META, "long-short", ACT.platform_account_id)
    with pytest.raises(InvalidInput) as refused:
        await ad_accounts.connect(NO_DATABASE, w.adapters, WS, META, PlatformToken("long-short"), found, page, pixel,
                                  AUTHOR)
    assert refused.value.field == at_fault and not w.accounts.rows


async def test_connecting_keeps_the_account_its_token_and_says_so_once_the_login_is_finished():
    w = meta_world()
    account = await connected(w)
    assert (account.platform_account_id, account.currency, account.status, account.page_id) == (
        "act_4242", "SAR", "connected", "page-1")
    assert w.accounts.events[account.id] == [AdAccountConnected(
        platform=META, platform_account_id="act_4242", name="Oud House SA", currency="SAR", time_zone="Asia/Riyadh",
        connected_by=AUTHOR)]
    access = await w.accounts.access(NO_DATABASE, account.id)
    assert access is not None and access.token == "long-short" and access.pixel_id == "pixel-1"
    assert all(finished for _, _, finished in w.logins.rows.values())


async def test_reconnecting_an_account_that_lost_its_access_restores_the_same_account():
    w = meta_world()
    first = await connected(w)
    await w.accounts.set_status(NO_DATABASE, first.id, "access_lost", "Token revoked")
    again = await connected(w)
    assert again.id == first.id and again.status == "connected"


async def test_disconnecting_forgets_the_token_and_says_so_once():
    w = meta_world()
    account = await connected(w)
    for _ in range(2):
        await ad_accounts.disconnect(NO_DATABASE, w.adapters, WS, account.id, AUTHOR)
    assert w.accounts.events[account.id][1:] == [AdAccountDisconnected(
        platform=META, platform_account_id="act_4242", disconnected_by=AUTHOR)]
    assert await w.accounts.access(NO_DATABASE, account.id) is None
    with pytest.raises(NotFound):
        await ad_accounts.choose(NO_DATABASE, w.adapters, WS, account.id, "page-1", None)


async def test_another_page_and_pixel_are_chosen_for_a_connected_account():
    w = meta_world()
    account = await connected(w)
    chosen = await ad_accounts.choose(NO_DATABASE, w.adapters, WS, account.id, "page-2", None)
    assert (chosen.page_id, chosen.pixel_id) == ("page-2", None)
    with pytest.raises(NotFound):
        await ad_accounts.choose(NO_DATABASE, w.adapters, uuid.uuid4(), account.id, "page-2", None)


# -- the catalog's products -----------------------------------------------------------------------

def upserted(title: str, status: ProductStatus = ProductStatus.ACTIVE) -> ProductUpserted:
    return ProductUpserted(store_id=uuid.uuid4(), platform=StorePlatform.SALLA, product=CatalogProduct(
        external_id="991", name=title, names={"ar": "عطر العود", "en": title}, url="https://oud.example/p/oud",
        status=status, vendor="Oud House", product_type="Perfume", tags=["oud", "eid"]))


async def test_a_product_from_the_catalog_is_kept_for_briefs_and_landing_pages():
    w = world()
    product_id = uuid.uuid4()
    event = upserted("Oud perfume")
    await catalog.product_upserted(NO_DATABASE, w.adapters, event, envelope(WS, event, product_id))
    (item,) = await w.products.catalog(NO_DATABASE, WS)
    assert (item.id, item.title, item.tags, item.collections) == (
        product_id, "Oud perfume / عطر العود", ("oud", "eid"), ("Perfume", "Oud House"))
    assert (await w.products.facts(NO_DATABASE, WS, [product_id]))[product_id].url == "https://oud.example/p/oud"

    removed = ProductRemoved(store_id=event.store_id, platform=StorePlatform.SALLA, external_id="991")
    await catalog.product_removed(NO_DATABASE, w.adapters, removed, envelope(WS, removed, product_id))
    assert await w.products.catalog(NO_DATABASE, WS) == []


async def test_a_product_event_without_a_workspace_is_ignored():
    w = world()
    event = upserted("Oud perfume")
    await catalog.product_upserted(NO_DATABASE, w.adapters, event, envelope(None, event))
    assert not w.products.rows
