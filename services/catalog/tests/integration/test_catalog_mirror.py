"""The mirror and the vault on real Postgres: one event per real change, secrets sealed to their row."""

from __future__ import annotations

import base64
import os
import uuid
from decimal import Decimal

import pytest

from adly_catalog.adapters.vault import CredentialVault
from adly_catalog.domain.identity import product_id
from adly_catalog.domain.platform import Credentials
from adly_catalog.domain.store import StoreRef
from adly_catalog.handlers import mirroring
from adly_events.contracts.catalog import CatalogProduct, ProductStatus, ProductVariant, StorePlatform
from adly_events.contracts.common import Money
from adly_kit.crypto import DecryptionFailed, Keyring
from adly_kit.eventstore import ConcurrencyConflict


def product(external_id: str, price: str = "19.99", name: str = "Linen shirt") -> CatalogProduct:
    return CatalogProduct(external_id=external_id, name=name, status=ProductStatus.ACTIVE, variants=[
        ProductVariant(external_id=f"{external_id}-v1", price=Money(amount=Decimal(price), currency="SAR"))])


@pytest.fixture
def catalog_roles():
    return ("api",)


@pytest.fixture
def store(catalog) -> StoreRef:
    return StoreRef(uuid.uuid4(), catalog.workspace_id, StorePlatform.SHOPIFY)


async def write(catalog, store, items) -> int:
    async with catalog.runtime.engine.begin() as tx:
        return await mirroring.products(tx, catalog.adapters, store, items)


async def test_reading_an_unchanged_product_again_records_no_second_event(catalog, store):
    assert await write(catalog, store, [product("1"), product("2")]) == 2
    assert await write(catalog, store, [product("1"), product("2")]) == 0
    assert len(await catalog.events("ProductUpserted")) == 2


async def test_a_changed_price_is_one_new_event_with_the_exact_decimal(catalog, store):
    await write(catalog, store, [product("1")])
    assert await write(catalog, store, [product("1", price="17.50")]) == 1
    upserts = await catalog.events("ProductUpserted")
    assert [p["product"]["variants"][0]["price"]["amount"] for _, p in upserts] == ["19.99", "17.50"]
    (version,), = await catalog.rows("SELECT version FROM {s}.products WHERE id = :id", id=product_id(store.id, "1"))
    assert version == 2


async def test_a_page_listing_one_product_twice_changes_it_once(catalog, store):
    assert await write(catalog, store, [product("1"), product("1", price="5.00")]) == 1
    upserts = await catalog.events("ProductUpserted")
    assert [p["product"]["variants"][0]["price"]["amount"] for _, p in upserts] == ["5.00"]


async def test_a_racing_writer_makes_the_whole_page_conflict_and_write_nothing(catalog, store):
    await write(catalog, store, [product("1")])
    async with catalog.runtime.engine.begin() as tx:  # someone else moved product 1 on since we read it
        await mirroring.products(tx, catalog.adapters, store, [product("1", price="1.00")])
    stale = catalog.adapters.mirror
    with pytest.raises(ConcurrencyConflict):
        async with catalog.runtime.engine.begin() as tx:
            await stale.events.append_many(tx, [
                (stale.envelopes(_upsert(store, product("9")), product_id(store.id, "9"), 0, store), 0),
                (stale.envelopes(_upsert(store, product("1", price="2.00")), product_id(store.id, "1"), 1, store), 1),
            ])
    assert not await catalog.rows("SELECT 1 FROM {s}.events WHERE aggregate_id = :id", id=product_id(store.id, "9"))


def _upsert(store, item):
    from adly_events.contracts.catalog import ProductUpserted

    return ProductUpserted(store_id=store.id, platform=store.platform, product=item)


async def test_removing_a_product_is_recorded_once(catalog, store):
    await write(catalog, store, [product("1")])
    async with catalog.runtime.engine.begin() as tx:
        assert await mirroring.remove_product(tx, catalog.adapters, store, "1")
        assert not await mirroring.remove_product(tx, catalog.adapters, store, "1")
    assert len(await catalog.events("ProductRemoved")) == 1


async def _stores_row(catalog, store_id, workspace_id):
    async with catalog.runtime.engine.begin() as tx:
        await tx.execute(__import__("sqlalchemy").text(f"""
            INSERT INTO {catalog.settings.schema}.stores (id, workspace_id, platform, domain, status, version, connected_at)
            VALUES (:id, :w, 'shopify', :d, 'connected', 1, now())"""), {"id": store_id, "w": workspace_id, "d": f"{store_id}.myshopify.com"})


async def test_credentials_are_sealed_to_their_store_and_survive_key_rotation(catalog):
    secret = "shpat_canary_0123456789"
    a, b = uuid.uuid4(), uuid.uuid4()
    for store_id in (a, b):
        await _stores_row(catalog, store_id, catalog.workspace_id)
    vault = catalog.adapters.vault
    async with catalog.runtime.engine.begin() as tx:
        await vault.save(tx, catalog.workspace_id, a, Credentials(secret, refresh_token="refresh-canary"))
    (sealed,), = await catalog.rows("SELECT sealed FROM {s}.store_credentials WHERE store_id = :id", id=a)
    assert secret not in sealed and "refresh-canary" not in sealed
    async with catalog.runtime.engine.begin() as tx:  # the ciphertext moved to another store's row does not open
        await tx.execute(vault.sql("INSERT INTO {s}.store_credentials (store_id, sealed, kek_id) VALUES (:id, :s, 'dev1')"),
                         {"id": b, "s": sealed})
    async with catalog.runtime.engine.connect() as conn:
        with pytest.raises(DecryptionFailed):
            await vault.load(conn, catalog.workspace_id, b)
    old = catalog.settings.encryption_keys.get_secret_value()
    rotated = CredentialVault(catalog.settings.schema, Keyring.from_setting(f"k2:{base64.b64encode(os.urandom(32)).decode()},{old}"))
    async with catalog.runtime.engine.begin() as tx:
        await tx.execute(vault.sql("DELETE FROM {s}.store_credentials WHERE store_id = :id"), {"id": b})
        assert await rotated.rewrap_all(tx) == 1
    (kek,), = await catalog.rows("SELECT kek_id FROM {s}.store_credentials WHERE store_id = :id", id=a)
    assert kek == "k2"
    async with catalog.runtime.engine.connect() as conn:
        assert (await rotated.load(conn, catalog.workspace_id, a)).access_token == secret
