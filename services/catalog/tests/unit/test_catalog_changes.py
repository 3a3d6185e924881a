"""The catalog's decision "new, changed or unchanged" in plain Python."""

from __future__ import annotations

import uuid

from adly_catalog.domain import changes
from adly_catalog.domain.changes import Known
from adly_catalog.domain.identity import fingerprint, order_id, product_id
from adly_catalog.domain.store import StoreRef
from adly_events.contracts.catalog import OrderPlaced, OrderStatus, OrderUpdated, ProductUpserted, StorePlatform

from .fake_platform import order, product

STORE = StoreRef(uuid.uuid4(), uuid.uuid4(), StorePlatform.SALLA)


def known_as(item, version: int = 1) -> dict:
    make_id = product_id if hasattr(item, "variants") else order_id
    return {make_id(STORE.id, item.external_id): Known(version, fingerprint(item))}


def test_a_product_never_seen_is_new_at_version_one():
    (change,) = changes.product_changes(STORE, changes.products_keyed(STORE.id, [product("1")]), {})
    assert (change.version, change.new_version, change.aggregate_id) == (0, 1, product_id(STORE.id, "1"))
    assert change.event_type.model_validate_json(change.payload) == ProductUpserted(  # what consumers read
        store_id=STORE.id, platform=STORE.platform, product=product("1"))
    assert change.fingerprint == fingerprint(product("1")) and change.data == product("1").model_dump_json()


def test_a_product_read_again_unchanged_is_no_change():
    page = changes.products_keyed(STORE.id, [product("1")])
    assert changes.product_changes(STORE, page, known_as(product("1"))) == []


def test_a_changed_price_is_a_change_at_the_next_version():
    page = changes.products_keyed(STORE.id, [product("1", price="17.50")])
    (change,) = changes.product_changes(STORE, page, known_as(product("1"), version=4))
    assert (change.version, change.new_version) == (4, 5)


def test_a_page_listing_an_item_twice_keeps_its_last_state():
    page = changes.products_keyed(STORE.id, [product("1", price="1.00"), product("2"), product("1", price="5.00")])
    assert [item for _, item in page] == [product("1", price="5.00"), product("2")]
    assert len(changes.product_changes(STORE, page, {})) == 2


def test_a_new_order_is_placed_and_a_changed_one_updated():
    placed = changes.order_changes(STORE, changes.orders_keyed(STORE.id, [order("9", OrderStatus.PENDING)]), {})
    assert placed[0].event_type is OrderPlaced and placed[0].placed_at == order("9").placed_at
    paid = changes.orders_keyed(STORE.id, [order("9", OrderStatus.PAID)])
    (updated,) = changes.order_changes(STORE, paid, known_as(order("9", OrderStatus.PENDING)))
    assert updated.event_type is OrderUpdated and updated.new_version == 2


def test_a_product_is_removed_once_and_only_if_held():
    held = Known(3, fingerprint(product("1")))
    removal = changes.removal(STORE, "1", held, removed=False)
    assert removal is not None and removal.version == 3 and removal.event.external_id == "1"
    assert changes.removal(STORE, "1", held, removed=True) is None
    assert changes.removal(STORE, "1", None, removed=False) is None
