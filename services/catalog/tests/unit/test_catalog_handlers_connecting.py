"""Connecting a store, driven through adly_catalog.handlers on in-memory ports (no Postgres)."""

from __future__ import annotations

import uuid

import pytest

from adly_catalog.domain.errors import ConnectionRefused
from adly_catalog.domain.identity import secret_hash
from adly_catalog.handlers import connecting
from adly_events.contracts.catalog import StoreConnected, StorePlatform, SyncKind
from adly_kit.testing.doubles import NO_DATABASE

from .doubles import World, world

SHOPIFY = StorePlatform.SHOPIFY


async def consent_and_callback(w: World, workspace_id: uuid.UUID, code: str = "c0de") -> connecting.Connection:
    started = await connecting.consent(w.a, SHOPIFY, "ada.example")
    await connecting.remember(NO_DATABASE, w.a, SHOPIFY, started, workspace_id, None)
    query = {"state": started.state, "code": code}
    pending = await connecting.spend_state(NO_DATABASE, w.a, SHOPIFY, query)
    grant = await connecting.exchange(w.a, SHOPIFY, query, pending)
    return await connecting.record_connection(NO_DATABASE, w.a, pending.workspace_id, SHOPIFY, grant, None)


async def connect(w: World, workspace_id: uuid.UUID) -> connecting.Connection:
    connection = await consent_and_callback(w, workspace_id)
    ids = await connecting.subscribe_webhooks(w.a, connection)
    await connecting.start_syncing(NO_DATABASE, w.a, connection, ids, None)
    return connection


async def test_a_consent_sends_the_merchant_to_the_platform_and_comes_back_to_adlys_callback():
    w = world()
    started = await connecting.consent(w.a, SHOPIFY, "ada.example")
    assert started.state in started.consent.url
    assert started.consent.redirect_uri == "https://api.adly.test/v1/stores/oauth/shopify/callback"
    authorization = await connecting.remember(NO_DATABASE, w.a, SHOPIFY, started, uuid.uuid4(), None)
    assert authorization.expires_in == w.a.settings.oauth_state_ttl_seconds


async def test_a_connected_store_has_sealed_credentials_webhooks_and_its_first_full_sync_queued():
    w, workspace_id = world(), uuid.uuid4()
    connection = await connect(w, workspace_id)
    store = w.stores.rows[connection.store.id]
    assert [type(e.payload) for e in w.log] == [StoreConnected]
    assert (store.workspace_id, store.domain, store.webhook_ids) == (workspace_id, "ada.example", ["hook-1", "hook-2"])
    assert w.vault.sealed[store.id].access_token == "token-for-c0de"
    assert w.platform.subscribed == ["https://api.adly.test/v1/stores/webhooks/shopify"]
    (sync,) = w.syncs.rows.values()
    assert (sync.store_id, sync.kind, sync.state) == (store.id, SyncKind.FULL.value, "queued")


async def test_a_platform_that_signs_with_our_secret_gets_one_minted_with_the_credentials():
    w = world(own_webhook_secret=True)
    connection = await consent_and_callback(w, uuid.uuid4())
    assert len(w.vault.sealed[connection.store.id].extra["webhook_secret"]) >= 32


async def test_a_replayed_callback_connects_nothing():
    w = world()
    started = await connecting.consent(w.a, SHOPIFY, "ada.example")
    await connecting.remember(NO_DATABASE, w.a, SHOPIFY, started, uuid.uuid4(), None)
    query = {"state": started.state, "code": "c0de"}
    await connecting.spend_state(NO_DATABASE, w.a, SHOPIFY, query)
    with pytest.raises(ConnectionRefused, match="expired or was used already"):
        await connecting.spend_state(NO_DATABASE, w.a, SHOPIFY, query)


async def test_a_callback_saying_the_merchant_declined_is_refused_with_the_platforms_words():
    w = world()
    with pytest.raises(ConnectionRefused, match="did not authorize ADLY: The merchant said no"):
        await connecting.spend_state(NO_DATABASE, w.a, SHOPIFY, {"error": "access_denied",
                                                                 "error_description": "The merchant said no"})


async def test_a_store_connected_to_another_workspace_is_refused_and_reconnecting_here_records_nothing_new():
    w, mine = world(), uuid.uuid4()
    first = await connect(w, mine)
    with pytest.raises(ConnectionRefused, match="another ADLY workspace") as refused:
        await consent_and_callback(w, uuid.uuid4())
    assert refused.value.status == 409
    again = await consent_and_callback(w, mine, code="n3w")
    assert again.store.id == first.store.id and len(w.log) == 1
    assert w.vault.sealed[first.store.id].access_token == "token-for-n3w"


async def test_the_state_is_kept_only_as_a_hash():
    w = world()
    started = await connecting.consent(w.a, SHOPIFY, None)
    await connecting.remember(NO_DATABASE, w.a, SHOPIFY, started, uuid.uuid4(), None)
    (state_hash, _), = w.pending.held
    assert state_hash == secret_hash(started.state) != started.state
