"""The catalog's rules in plain Python: sync positions, store connections, ids, fingerprints."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from adly_catalog.domain import store as store_rules
from adly_catalog.domain.identity import fingerprint, order_id, order_ids, product_id, product_ids
from adly_catalog.domain.sync import (
    ALL_RESOURCES,
    Counts,
    SyncPosition,
    reports_progress,
    retry_delay_seconds,
    should_retry,
)
from adly_events.contracts.catalog import (
    CatalogProduct,
    DisconnectReason,
    ProductStatus,
    ProductVariant,
    StoreConnected,
    StorePlatform,
    SyncKind,
    SyncResource,
)
from adly_events.contracts.common import Money


def test_a_sync_moves_to_orders_after_the_last_page_of_products():
    position = SyncPosition(SyncKind.FULL, ALL_RESOURCES)
    position = position.after_page(seen=250, changed=250, next_cursor="c1")
    assert (position.resource, position.cursor) == (SyncResource.PRODUCTS, "c1")
    position = position.after_page(seen=10, changed=3, next_cursor=None)
    assert (position.resource, position.cursor) == (SyncResource.ORDERS, None)
    assert position.of(SyncResource.PRODUCTS) == Counts(pages=2, seen=260, changed=253)
    assert position.after_page(seen=0, changed=0, next_cursor=None).done


def test_progress_is_reported_every_few_pages_and_at_the_end_of_a_resource():
    assert not reports_progress(Counts(pages=3), finished_resource=False, every_pages=10)
    assert reports_progress(Counts(pages=10), finished_resource=False, every_pages=10)
    assert reports_progress(Counts(pages=3), finished_resource=True, every_pages=10)


def test_only_retryable_failures_are_retried_and_not_forever():
    assert should_retry(1, retryable=True)
    assert not should_retry(1, retryable=False)
    assert not should_retry(5, retryable=True)
    assert retry_delay_seconds(1) < retry_delay_seconds(3) <= 300
    assert retry_delay_seconds(1, retry_after=42) == 42


def _connected(workspace_id):
    return StoreConnected(platform=StorePlatform.SHOPIFY, domain="ada.myshopify.com")


def test_a_store_connected_in_another_workspace_cannot_be_connected_again():
    existing = store_rules.StoreState(uuid.uuid4(), uuid.uuid4(), StorePlatform.SHOPIFY, "ada.myshopify.com", True, 1)
    with pytest.raises(store_rules.StoreTakenElsewhere):
        store_rules.connect_store(existing, uuid.uuid4(), _connected(None))


def test_reconnecting_a_connected_store_records_nothing_new_but_a_disconnected_one_connects_again():
    ws = uuid.uuid4()
    live = store_rules.StoreState(uuid.uuid4(), ws, StorePlatform.SHOPIFY, "ada.myshopify.com", True, 1)
    assert store_rules.connect_store(live, ws, _connected(ws)) is None
    gone = store_rules.StoreState(live.id, ws, StorePlatform.SHOPIFY, "ada.myshopify.com", False, 2)
    assert store_rules.connect_store(gone, ws, _connected(ws)) is not None


def test_a_disconnected_store_cannot_be_disconnected_twice():
    gone = store_rules.StoreState(uuid.uuid4(), uuid.uuid4(), StorePlatform.ZID, "42", False, 2)
    with pytest.raises(store_rules.StoreNotConnected):
        store_rules.disconnect_store(gone, DisconnectReason.MERCHANT)


def test_the_same_platform_product_always_has_the_same_id_and_other_stores_do_not_share_it():
    store, other = uuid.uuid4(), uuid.uuid4()
    assert product_id(store, "123") == product_id(store, "123")
    assert product_id(store, "123") != product_id(other, "123")
    assert product_id(store, "123") != order_id(store, "123")


def test_product_and_order_ids_are_the_ones_already_stored():
    """Ids are derived, never looked up: a change in how they are computed would give every
    mirrored product a second aggregate. These are RFC 4122 name-based (v5) ids, as the
    standard library's uuid5 made them when the first stores were synced."""
    store = uuid.UUID("0b4e7f3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b")
    assert product_id(store, "منتج-١٢٣") == uuid.UUID("163016f6-5dac-5fb6-841c-ca20c71cd247")
    assert order_id(store, "1001") == uuid.UUID("b1d4844e-b318-524f-99dd-0d240fe1ecdf")
    assert product_ids(store)("منتج-١٢٣") == product_id(store, "منتج-١٢٣")
    assert order_ids(store)("1001") == order_id(store, "1001")


def test_the_fingerprint_changes_with_the_price_but_not_with_a_reread():
    def shirt(price: str) -> CatalogProduct:
        return CatalogProduct(external_id="1", name="Shirt", status=ProductStatus.ACTIVE, variants=[
            ProductVariant(external_id="v", price=Money(amount=Decimal(price), currency="USD"))])

    assert fingerprint(shirt("10.00")) == fingerprint(shirt("10.00"))
    assert fingerprint(shirt("10.00")) != fingerprint(shirt("10.01"))


def test_a_changes_event_payload_is_the_events_own_dump():
    """The payload is assembled from the item's JSON (made once, for the fingerprint and the
    row); what the envelope carries must still be exactly the event's `model_dump_json`."""
    from datetime import UTC, datetime, timedelta, timezone

    from adly_catalog.domain import changes
    from adly_catalog.domain.store import StoreRef
    from adly_events.contracts.catalog import (
        CatalogOrder,
        OrderPlaced,
        OrderStatus,
        ProductImage,
        ProductOption,
        ProductUpserted,
    )

    store = StoreRef(uuid.uuid4(), uuid.uuid4(), StorePlatform.SALLA)
    riyadh = timezone(timedelta(hours=3))
    gown = CatalogProduct(
        external_id="٧٧", name="فستان سهرة \"ليلى\"", names={"ar": "فستان", "en": "Gown\u2028"}, description="a\nb\t<c>/",
        status=ProductStatus.DRAFT, tags=["😀", ""], options=[ProductOption(name="Size", values=["S", "M"])],
        variants=[ProductVariant(external_id="v1", price=Money(amount=Decimal("1234567.10"), currency="SAR"),
                                 compare_at_price=Money(amount=Decimal("0.5"), currency="SAR"), inventory_quantity=-3,
                                 options={"Size": "S"})],
        images=[ProductImage(url="https://cdn.example/a.jpg?x=1&y=2", alt=None, position=0)],
        updated_at=datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=riyadh))
    order = CatalogOrder(external_id="1001", status=OrderStatus.PARTIALLY_REFUNDED, platform_status="partial",
                         currency="SAR", total=Money(amount=Decimal("99.999"), currency="SAR"),
                         placed_at=datetime(2026, 3, 1, tzinfo=UTC))
    found = (changes.product_changes(store, changes.products_keyed(store.id, [gown]), {})
             + changes.order_changes(store, changes.orders_keyed(store.id, [order]), {}))
    made = [ProductUpserted(store_id=store.id, platform=store.platform, product=gown),
            OrderPlaced(store_id=store.id, platform=store.platform, order=order)]
    assert [c.payload for c in found] == [event.model_dump_json() for event in made]  # byte for byte
    assert [c.event_type for c in found] == [ProductUpserted, OrderPlaced]
    assert found[0].data == gown.model_dump_json()  # the row, and what the fingerprint is of
