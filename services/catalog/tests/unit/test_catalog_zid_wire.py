"""Zid's wire format as a merchant would notice it: names, prices, stock, statuses, customers, webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from adly_catalog.adapters.platforms import zid_wire as wire
from adly_catalog.adapters.platforms.zid import (
    StoreRateLimiter,
    parse_webhook,
    verify_webhook,
    webhook_delivery_id,
    webhook_target,
)
from adly_catalog.domain.platform import ChangeKind, Credentials, PlatformError
from adly_events.contracts.catalog import OrderStatus, ProductStatus


def hasher(value: str) -> str:
    return hmac.new(b"test-key", value.encode(), hashlib.sha256).hexdigest()


def product_row(**changes):
    row = {
        "id": "a1477bb2-72ea-4be9-b2cf-093cefc721bb", "sku": "Z.1770805225810645", "parent_id": None,
        "name": {"ar": "عطر العود", "en": "Oud Perfume"}, "slug": "oud", "price": 19.99, "sale_price": None,
        "currency": "SAR", "quantity": 4, "is_infinite": False, "has_options": False, "is_draft": False,
        "description": {"ar": "عطر فاخر", "en": "A fine perfume"}, "html_url": "https://ward.zid.store/products/oud",
        "images": [
            {"display_order": 1, "image": {"full_size": "https://media.zid.store/b.jpg"}, "alt_text": "الخلف"},
            {"display_order": 0, "image": {"thumbnail": "https://media.zid.store/a-t.jpg", "full_size": "https://media.zid.store/a.jpg"}},
        ],
        "keywords": ["oud"], "product_class": None, "updated_at": "2026-02-03 10:00:00",
    }
    return row | changes


def variant_row(k, colour_ar, colour_en, **changes):
    return {"id": f"child-{k}", "parent_id": "parent", "sku": f"SKU-{k}", "price": 144, "sale_price": None,
            "attributes": [{"slug": "color", "name": "اللون", "value": {"ar": colour_ar, "en": colour_en}}],
            "stocks": [{"available_quantity": 44, "is_infinite": False}, {"available_quantity": 6, "is_infinite": False}]} | changes


def order_row(**changes):
    row = {
        "id": 60407024, "code": "YMK3VPgkhy", "currency_code": "SAR",
        "order_status": {"name": "جديد", "code": "new"}, "payment_status": "paid",
        "customer": {"id": 1441, "name": "John Doe", "email": "Test@Mail.com", "mobile": "966123456789"},
        "order_total": "124.15000000000000", "order_total_string": "124.15 SAR",
        "source": "المتجر الإلكتروني", "source_code": "catalog", "referer_code": "YNPN79LC",
        "created_at": "2024-12-05 12:27:15", "updated_at": "2024-12-05 12:27:22",
        "products": [{"id": "child-1", "parent_id": "parent", "sku": "SKU-1", "name": "عطر", "quantity": 2,
                      "price": 62.075, "total": 124.15}],
    }
    return row | changes


# --- products ------------------------------------------------------------------------

def test_a_product_is_named_in_arabic_and_keeps_both_languages():
    product = wire.parse_product(product_row())
    assert product.name == "عطر العود"
    assert product.names == {"ar": "عطر العود", "en": "Oud Perfume"}
    assert product.description == "عطر فاخر"


def test_a_product_with_only_an_english_name_is_named_in_english():
    product = wire.parse_product(product_row(name={"ar": "", "en": "Oud Perfume"}))
    assert product.name == "Oud Perfume" and product.names == {"en": "Oud Perfume"}


def test_a_float_price_keeps_its_exact_decimal_value():
    variant = wire.parse_product(product_row(price=0.1 + 0.2)).variants[0]
    assert variant.price.amount == Decimal("0.30000000000000004")
    assert wire.parse_product(product_row(price=19.99)).variants[0].price.amount == Decimal("19.99")
    assert variant.price.currency == "SAR"


def test_a_sale_price_is_what_the_customer_pays_and_the_price_is_crossed_out():
    variant = wire.parse_product(product_row(price=400.0, sale_price=250.0)).variants[0]
    assert variant.price.amount == Decimal("250.00")
    assert variant.compare_at_price.amount == Decimal("400.00")


def test_unlimited_stock_is_not_reported_as_a_quantity():
    assert wire.parse_product(product_row(is_infinite=True, quantity=0)).variants[0].inventory_quantity is None
    assert wire.parse_product(product_row(quantity=0)).variants[0].inventory_quantity == 0


def test_images_come_in_display_order_at_full_size_with_their_alt_text():
    images = wire.parse_product(product_row()).images
    assert [(i.url, i.alt, i.position) for i in images] == [
        ("https://media.zid.store/a.jpg", None, 0), ("https://media.zid.store/b.jpg", "الخلف", 1)]


def test_a_standalone_product_is_its_own_single_variant():
    product = wire.parse_product(product_row())
    assert [(v.external_id, v.sku, v.options) for v in product.variants] == [(product.external_id, "Z.1770805225810645", {})]
    assert product.status is ProductStatus.ACTIVE and product.url == "https://ward.zid.store/products/oud"
    assert product.updated_at == datetime(2026, 2, 3, 10, tzinfo=UTC)


def test_a_draft_product_is_a_draft():
    assert wire.parse_product(product_row(is_draft=True)).status is ProductStatus.DRAFT


def test_a_parent_product_lists_its_children_as_variants_with_their_colours():
    variants = [variant_row(1, "أحمر", "Red"), variant_row(2, "أزرق", "Blue", sale_price=122, stocks=[{"is_infinite": True}])]
    product = wire.parse_product(product_row(has_options=True), variants=variants)
    assert [o.model_dump() for o in product.options] == [{"name": "اللون", "values": ["أحمر", "أزرق"]}]
    red, blue = product.variants
    assert (red.external_id, red.options, red.title, red.inventory_quantity) == ("child-1", {"اللون": "أحمر"}, "أحمر", 50)
    assert (blue.price.amount, blue.compare_at_price.amount, blue.inventory_quantity) == (Decimal("122.00"), Decimal("144.00"), None)


def test_declared_options_follow_the_product_language():
    options = [{"name": {"en": "Size", "ar": "الحجم"}, "slug": "size", "values": {"en": ["S", "M"], "ar": ["صغير", "وسط"]}}]
    product = wire.parse_product(product_row(name={"en": "Shirt"}, options=options, has_options=True), variants=[])
    assert [o.model_dump() for o in product.options] == [{"name": "Size", "values": ["S", "M"]}]


def test_a_product_without_an_id_or_currency_is_refused_clearly():
    with pytest.raises(PlatformError, match="without `id`"):
        wire.parse_product(product_row(id=None))
    with pytest.raises(PlatformError, match="without `currency`"):
        wire.parse_product(product_row(currency=None))


def test_the_next_product_page_is_read_from_the_next_url_not_followed():
    body = {"next": "http://api.zid.sa/v1/products/?is_infinite=false&page=2&page_size=15"}
    assert wire.next_product_page(body, 1) == 2
    assert wire.next_product_page({"next": None}, 7) is None


# --- orders --------------------------------------------------------------------------

def test_an_order_total_is_exact_and_loses_the_trailing_zeros():
    order = wire.parse_order(order_row(), hasher)
    assert str(order.total.amount) == "124.15" and order.total.currency == "SAR"
    kuwaiti = wire.parse_order(order_row(currency_code="KWD", order_total="12.12500000000000"), hasher)
    assert str(kuwaiti.total.amount) == "12.125" and kuwaiti.currency == "KWD"


def test_an_order_without_a_total_string_falls_back_to_the_display_string():
    order = wire.parse_order(order_row(order_total=None, order_total_string="124.15 SAR"), hasher)
    assert order.total.amount == Decimal("124.15")


@pytest.mark.parametrize(("code", "payment", "expected"), [
    ("new", "pending", OrderStatus.PENDING),
    ("new", "paid", OrderStatus.PAID),
    ("preparing", "paid", OrderStatus.PAID),
    ("ready", "pending", OrderStatus.PENDING),
    ("indelivery", "pending", OrderStatus.FULFILLED),
    ("inDelivery", "paid", OrderStatus.FULFILLED),
    ("delivered", "paid", OrderStatus.FULFILLED),
    ("cancelled", "paid", OrderStatus.CANCELLED),
    ("canceled", "pending", OrderStatus.CANCELLED),
    ("voided", "pending", OrderStatus.CANCELLED),
    ("refunded", "refunded", OrderStatus.REFUNDED),
    ("reversed", "paid", OrderStatus.REFUNDED),
    ("chargeback", "paid", OrderStatus.REFUNDED),
    ("delivered", "refunded", OrderStatus.REFUNDED),
    ("delivered", "partially_refunded", OrderStatus.PARTIALLY_REFUNDED),
    ("failed", "pending", OrderStatus.FAILED),
    ("reverse_in_progress", "paid", OrderStatus.PAID),
])
def test_zid_statuses_map_to_ours_and_are_kept_verbatim(code, payment, expected):
    order = wire.parse_order(order_row(order_status={"code": code, "name": code}, payment_status=payment), hasher)
    assert (order.status, order.platform_status) == (expected, code)


def test_order_times_are_utc():
    order = wire.parse_order(order_row(), hasher)
    assert order.placed_at == datetime(2024, 12, 5, 12, 27, 15, tzinfo=UTC)
    assert order.updated_at - order.placed_at == timedelta(seconds=7)


def test_a_variant_line_points_at_its_parent_product():
    line = wire.parse_order(order_row(), hasher).lines[0]
    assert (line.product_external_id, line.variant_external_id, line.sku, line.quantity) == ("parent", "child-1", "SKU-1", 2)
    assert (line.unit_price.amount, line.total.amount) == (Decimal("62.075"), Decimal("124.15"))


def test_the_customer_is_hashed_from_the_lower_cased_email():
    assert wire.parse_order(order_row(), hasher).customer_ref == hasher("test@mail.com")


def test_a_marketplace_order_with_a_masked_email_is_hashed_from_the_customer_id():
    masked = order_row(is_marketplace_order=True, customer={"id": 1441, "name": "J*** D***", "email": "t***@."})
    assert wire.parse_order(masked, hasher).customer_ref == hasher("1441")


def test_a_guest_with_neither_email_nor_id_has_no_customer_reference():
    assert wire.parse_order(order_row(customer={"id": None, "name": "ضيف", "email": None}), hasher).customer_ref is None


def test_the_order_source_and_referral_code_are_its_attribution():
    attribution = wire.parse_order(order_row(), hasher).attribution
    assert attribution.source_name == "catalog"
    assert attribution.click_ids == {"zid_referer_code": "YNPN79LC"}


def test_a_landing_page_if_zid_ever_sends_one_gives_utm_and_click_ids():
    landing = "https://ward.zid.store/?utm_source=snap&utm_campaign=eid&ScCid=abc"
    attribution = wire.parse_order(order_row(landing_page=landing, referer="https://snapchat.com/", referer_code=None), hasher).attribution
    assert (attribution.landing_site, attribution.referrer) == (landing, "https://snapchat.com/")
    assert (attribution.utm.source, attribution.utm.campaign, attribution.click_ids) == ("snap", "eid", {"ScCid": "abc"})


def test_an_order_without_its_date_or_with_a_broken_total_is_refused_clearly():
    with pytest.raises(PlatformError, match="without `created_at`"):
        wire.parse_order(order_row(created_at=None), hasher)
    with pytest.raises(PlatformError, match="not an amount"):
        wire.parse_order(order_row(order_total="12,5"), hasher)


# --- connecting ----------------------------------------------------------------------

def test_the_profile_gives_the_store_id_name_and_currency_code():
    body = {"status": "object", "user": {"id": 3, "store": {"id": 130216, "title": "Test",
            "currency": {"id": 4, "name": "ريال سعودي", "code": "SAR", "symbol": " ر.س "}}}}
    info = wire.parse_profile(body)
    assert (info.domain, info.name, info.currency) == ("130216", "Test", "SAR")
    body["user"]["store"]["currency"] = "sar"
    assert wire.parse_profile(body).currency == "SAR"


def test_a_refresh_answer_keeps_what_it_leaves_out():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    previous = Credentials("old", "refresh-1", extra={"authorization": "partner-1", "webhook_secret": "s3cret"})
    renewed = wire.parse_token({"access_token": "new", "expires_in": 3600}, now=now, previous=previous)
    assert (renewed.access_token, renewed.refresh_token, renewed.expires_at) == ("new", "refresh-1", now + timedelta(hours=1))
    assert renewed.extra == {"authorization": "partner-1", "webhook_secret": "s3cret"}
    rotated = wire.parse_token({"access_token": "n", "Authorization": "partner-2", "refresh_token": "r2"}, now=now, previous=previous)
    assert (rotated.extra["authorization"], rotated.refresh_token) == ("partner-2", "r2")


def test_a_first_token_answer_without_the_partner_token_is_refused():
    with pytest.raises(PlatformError, match="authorization"):
        wire.parse_token({"access_token": "a", "refresh_token": "r"}, now=datetime.now(UTC))


# --- webhooks ------------------------------------------------------------------------

def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_a_delivery_with_our_basic_credentials_is_accepted():
    assert verify_webhook(basic("adly", "s3cret-password"), "s3cret-password")
    assert verify_webhook({"authorization": basic("adly", "s3cret-password")["Authorization"].replace("Basic", "basic")}, "s3cret-password")


def test_a_delivery_with_one_byte_changed_or_the_wrong_secret_or_user_is_refused():
    header = basic("adly", "s3cret-password")["Authorization"]
    assert not verify_webhook({"Authorization": header[:-3] + ("A" if header[-3] != "A" else "B") + header[-2:]}, "s3cret-password")
    assert not verify_webhook(basic("adly", "s3cret-passwore"), "s3cret-password")
    assert not verify_webhook(basic("adly", "s3cret-password"), "another-secret")
    assert not verify_webhook(basic("intruder", "s3cret-password"), "s3cret-password")


def test_a_delivery_without_credentials_or_against_no_secret_is_refused():
    assert not verify_webhook({}, "s3cret-password")
    assert not verify_webhook({"Authorization": "Bearer s3cret-password"}, "s3cret-password")
    assert not verify_webhook(basic("adly", ""), "")


def test_the_delivery_id_is_the_bodys_sha256_and_changes_with_one_byte():
    body = json.dumps(order_row()).encode()
    assert webhook_delivery_id({}, body) == hashlib.sha256(body).hexdigest()
    assert webhook_delivery_id({}, body) != webhook_delivery_id({}, body[:-2] + b" }")


def test_the_target_url_names_its_event_and_keeps_the_lead_token():
    target = webhook_target("https://api.adly.example/webhooks/zid/tok3n?store=9", "order.status.update")
    assert target == "https://api.adly.example/webhooks/zid/tok3n?store=9&event=order.status.update"
    assert webhook_target(target, "product.delete").endswith("store=9&event=product.delete")


def test_an_order_event_upserts_the_order():
    change = parse_webhook({}, json.dumps(order_row()).encode(), event="order.status.update", hash_customer=hasher)
    assert change.kind is ChangeKind.ORDER_UPSERTED and change.order.external_id == "60407024"


def test_an_order_delivery_without_an_event_name_is_still_recognised():
    change = parse_webhook({}, json.dumps(order_row()).encode(), event=None, hash_customer=hasher)
    assert change.kind is ChangeKind.ORDER_UPSERTED


def test_product_events_upsert_or_remove_the_product():
    updated = parse_webhook({}, json.dumps(product_row()).encode(), event="product.update", hash_customer=hasher)
    assert updated.kind is ChangeKind.PRODUCT_UPSERTED and updated.product.name == "عطر العود"
    removed = parse_webhook({}, b'{"id": "a1477bb2"}', event="product.delete", hash_customer=hasher)
    assert (removed.kind, removed.external_id) == (ChangeKind.PRODUCT_REMOVED, "a1477bb2")


def test_a_product_delivery_that_cannot_stand_for_the_whole_product_does_not_overwrite_it():
    parent = parse_webhook({}, json.dumps(product_row(has_options=True)).encode(), event="product.update", hash_customer=hasher)
    assert (parent.kind, parent.product, parent.external_id) == (ChangeKind.IGNORED, None, "a1477bb2-72ea-4be9-b2cf-093cefc721bb")
    child = parse_webhook({}, json.dumps(variant_row(1, "أحمر", "Red", currency="SAR")).encode(), event="product.update",
                          hash_customer=hasher)
    assert (child.kind, child.external_id) == (ChangeKind.IGNORED, "parent")
    whole = product_row(has_options=True, variants=[variant_row(1, "أحمر", "Red")])
    assert parse_webhook({}, json.dumps(whole).encode(), event="product.publish", hash_customer=hasher).product.variants[0].sku == "SKU-1"


def test_a_product_delivery_without_an_event_name_is_not_guessed():
    change = parse_webhook({}, json.dumps(product_row()).encode(), event=None, hash_customer=hasher)
    assert change.kind is ChangeKind.IGNORED


def test_the_app_uninstall_event_names_itself_in_the_body():
    body = json.dumps({"app_id": 7367, "store_id": 507530, "event_name": "app.market.application.uninstall"}).encode()
    assert parse_webhook({}, body, event=None, hash_customer=hasher).kind is ChangeKind.STORE_UNINSTALLED


def test_other_events_are_ignored_and_a_broken_body_is_refused():
    assert parse_webhook({}, b'{"id": 1}', event="abandoned_cart.created", hash_customer=hasher).kind is ChangeKind.IGNORED
    assert parse_webhook({}, b'{"event_name": "app.market.subscription.warning"}', event=None,
                         hash_customer=hasher).kind is ChangeKind.IGNORED
    with pytest.raises(PlatformError, match="not JSON"):
        parse_webhook({}, b"{not json", event="order.create", hash_customer=hasher)


# --- the client's own bucket -----------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_bucket_lets_a_burst_through_then_spaces_calls():
    clock = Clock()
    limiter = StoreRateLimiter(60, clock=clock)
    waits = [limiter.reserve("store") for _ in range(12)]
    assert waits == pytest.approx([0.0] * 10 + [1.2, 2.4], abs=1e-9)
    assert limiter.reserve("another-store") == 0.0


def test_no_minute_ever_carries_more_than_the_limit():
    clock = Clock()
    limiter = StoreRateLimiter(60, clock=clock)
    starts = []
    for _ in range(200):
        starts.append(clock.now + limiter.reserve("store"))
        clock.now += 0.05
    assert max(sum(1 for s in starts if t <= s < t + 60) for t in starts) <= 60


def test_a_throttled_store_waits_until_it_is_unblocked():
    clock = Clock()
    limiter = StoreRateLimiter(60, clock=clock)
    limiter.block("store", 7.5)
    assert limiter.reserve("store") == pytest.approx(7.5)
    assert limiter.reserve("another-store") == 0.0
