"""Webhook deliveries through adly_catalog.handlers on in-memory ports: applied once,
duplicates ignored, forged or stale ones refused, an uninstall disconnects."""

from __future__ import annotations

import json

import pytest

from adly_catalog.domain.errors import WebhookRefused, WebhookUnsigned
from adly_catalog.domain.platform import ChangeKind
from adly_catalog.domain.ports import Delivery
from adly_catalog.handlers import receiving
from adly_events.contracts.catalog import ProductRemoved, ProductUpserted, StoreDisconnected, StorePlatform
from adly_kit.testing.doubles import NO_DATABASE

from .doubles import World, connected_store, world
from .fake_platform import product

SHOPIFY = StorePlatform.SHOPIFY


def delivery(change: dict, *, signature: str = "valid", delivery_id: str = "d-1", shop: str = "ada.example") -> Delivery:
    headers = {"x-signature": signature, "x-delivery": delivery_id, "x-shop": shop}
    return Delivery(headers, json.dumps(change).encode())


def upsert(price: str = "19.99") -> dict:
    return {"kind": ChangeKind.PRODUCT_UPSERTED.value, "product": product("7", price).model_dump(mode="json")}


async def receive(w: World, sent: Delivery) -> str:
    checked = await receiving.check(NO_DATABASE, w.a, SHOPIFY, sent)
    if isinstance(checked, receiving.Outcome):
        return checked.status
    change = await receiving.complete(w.a, checked)
    return (await receiving.apply(NO_DATABASE, w.a, checked, change)).status


async def test_a_signed_delivery_is_applied_once_and_its_duplicate_changes_nothing():
    w = world()
    await connected_store(w)
    assert await receive(w, delivery(upsert())) == "applied"
    assert await receive(w, delivery(upsert("1.00"))) == "duplicate"  # same delivery id: a platform's retry
    (event,) = w.log.of(ProductUpserted)
    assert event.product.variants[0].price.amount == product("7").variants[0].price.amount


async def test_a_new_delivery_of_an_unchanged_product_records_no_event():
    w = world()
    await connected_store(w)
    assert await receive(w, delivery(upsert(), delivery_id="d-1")) == "applied"
    assert await receive(w, delivery(upsert(), delivery_id="d-2")) == "applied"
    assert len(w.log.of(ProductUpserted)) == 1


async def test_a_forged_delivery_is_refused_before_anything_is_applied():
    w = world()
    await connected_store(w)
    with pytest.raises(WebhookUnsigned) as refused:
        await receive(w, delivery(upsert(), signature="forged"))
    assert (refused.value.status, str(refused.value), refused.value.title) == (401, "The signature does not match.",
                                                                             "Webhook refused")
    assert w.log.of(ProductUpserted) == [] and w.deliveries.seen == set()


async def test_a_delivery_older_than_the_platform_retries_is_refused():
    w = world()
    await connected_store(w)
    with pytest.raises(WebhookRefused, match="too old") as refused:
        await receive(w, delivery(upsert(), signature="stale"))
    assert refused.value.status == 400


async def test_a_delivery_for_a_shop_adly_does_not_hold_is_answered_and_dropped():
    w = world()
    assert await receive(w, delivery(upsert(), shop="someone-else.example")) == "unknown shop"
    assert w.log.of(ProductUpserted) == []


async def test_an_unreadable_delivery_is_refused_with_what_was_wrong():
    w = world()
    await connected_store(w)
    with pytest.raises(WebhookRefused):
        await receive(w, delivery({"kind": ChangeKind.PRODUCT_UPSERTED.value, "product": {"external_id": "7"}}))


async def test_a_delivery_that_names_only_a_product_is_completed_from_the_store():
    w = world()
    await connected_store(w)
    w.platform.read_back["7"] = product("7", "12.00")
    assert await receive(w, delivery({"kind": ChangeKind.IGNORED.value, "external_id": "7"})) == "applied"
    (event,) = w.log.of(ProductUpserted)
    assert str(event.product.variants[0].price.amount) == "12.00"
    w.platform.read_back["7"] = None  # gone from the store since
    assert await receive(w, delivery({"kind": ChangeKind.IGNORED.value, "external_id": "7"}, delivery_id="d-2")) == "applied"
    assert len(w.log.of(ProductRemoved)) == 1


async def test_an_uninstall_disconnects_the_store_and_later_deliveries_change_nothing():
    w = world()
    store = await connected_store(w)
    assert await receive(w, delivery({"kind": ChangeKind.STORE_UNINSTALLED.value})) == "disconnected"
    (event,) = w.log.of(StoreDisconnected)
    assert event.reason.value == "uninstalled" and store.id not in w.vault.sealed
    assert await receive(w, delivery(upsert(), delivery_id="d-2")) == "store disconnected"
    assert w.platform.unsubscribed == []  # the platform dropped them itself
