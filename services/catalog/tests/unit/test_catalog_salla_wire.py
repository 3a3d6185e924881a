"""Salla's payloads (shaped like docs.salla.dev's examples) into the published catalog models."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from adly_catalog.adapters.platforms import salla_wire as wire
from adly_catalog.adapters.platforms.salla import (
    authorization_from_webhook,
    parse_webhook,
    state_matches,
    verify_webhook,
    webhook_delivery_id,
    webhook_merchant,
)
from adly_catalog.domain.platform import ChangeKind, PlatformError
from adly_events.contracts.catalog import OrderStatus, ProductStatus

SECRET = "app-webhook-secret"


def hash_customer(identity: str) -> str:
    return hmac.new(b"unit-key", identity.encode(), hashlib.sha256).hexdigest()


def product_payload() -> dict:
    return {
        "id": 1025569331, "sku": "ABY-001", "mpn": None, "gtin": None, "type": "product", "name": "عباية سوداء",
        "short_link_code": "aezvrRn",
        "urls": {"customer": "https://salla.sa/dev-store/abaya/p1025569331",
                 "admin": "https://s.salla.sa/products/1025569331"},
        "price": {"amount": Decimal("299"), "currency": "SAR"},
        "taxed_price": {"amount": Decimal("343.85"), "currency": "SAR"},
        "sale_price": {"amount": Decimal("249.90"), "currency": "SAR"},
        "regular_price": {"amount": Decimal("299"), "currency": "SAR"},
        "description": "<p>قماش كريب</p>", "quantity": "20", "status": "sale", "unlimited_quantity": False,
        "brand": {"id": 1, "name": "دار الأناقة"}, "tags": [{"id": 5, "name": "رمضان"}],
        "images": [
            {"id": 2, "url": "https://cdn.salla.sa/b.jpg", "main": False, "alt": "", "type": "image", "sort": 2},
            {"id": 9, "url": "https://youtu.be/x", "main": False, "alt": "", "type": "video", "sort": 0},
            {"id": 1, "url": "https://cdn.salla.sa/a.jpg", "main": True, "alt": "عباية", "type": "image", "sort": 5},
        ],
        "options": [
            {"id": 60176141, "name": "المقاس", "values": [{"id": 408420634, "name": "S"}, {"id": 408420635, "name": "M"}]},
            {"id": 60176142, "name": "اللون", "values": [{"id": 152115913, "name": "أسود"}]},
        ],
        "skus": [
            {"id": 591539870, "sku": "ABY-S", "price": {"amount": Decimal("299"), "currency": "SAR"},
             "regular_price": {"amount": Decimal("299"), "currency": "SAR"},
             "sale_price": {"amount": Decimal("249.90"), "currency": "SAR"},
             "stock_quantity": 4, "unlimited_quantity": False, "related_option_values": [408420634, 152115913]},
            {"id": 591539871, "sku": "", "price": {"amount": Decimal("319.50"), "currency": "SAR"},
             "sale_price": {"amount": 0, "currency": "SAR"}, "stock_quantity": None, "unlimited_quantity": True,
             "related_option_values": [408420635, 152115913]},
        ],
        "updated_at": "2026-10-01 15:30:00",
    }


def order_payload() -> dict:
    """Trimmed from the `order.created` example of docs.salla.dev (Order Fulfilment App cycle)."""
    return {
        "id": 2116149737, "reference_id": 41027662,
        "date": {"date": "2022-06-26 12:21:45.000000", "timezone_type": 3, "timezone": "Asia/Riyadh"},
        "updated_at": {"date": "2022-06-26 13:00:00.000000", "timezone_type": 3, "timezone": "Asia/Riyadh"},
        "source": "store", "source_device": "desktop",
        "source_details": {"type": "direct", "value": None, "device": "desktop",
                           "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "ip": "31.166.186.78"},
        "status": {"id": 566146469, "name": "بإنتظار المراجعة", "slug": "under_review",
                   "customized": {"id": 986688842, "name": "بإنتظار المراجعة"}},
        "payment_method": "bank", "currency": "SAR",
        "amounts": {
            "sub_total": {"amount": Decimal("186"), "currency": "SAR"},
            "shipping_cost": {"amount": Decimal("15"), "currency": "SAR"},
            "cash_on_delivery": {"amount": 0, "currency": "SAR"},
            "tax": {"percent": "15.00", "amount": {"amount": Decimal("30.15"), "currency": "SAR"}},
            "discounts": [{"title": "new offer", "type": "special", "code": "new offer", "discount": "5.00",
                           "discounted_shipping": 0}],
            "total": {"amount": Decimal("226.15"), "currency": "SAR"},
        },
        "customer": {"id": 225167971, "first_name": "Mohammed", "last_name": "Ali", "mobile": 501806978,
                     "mobile_code": "+966", "email": "UserTest@Gmail.com"},
        "items": [{
            "id": 70815337, "name": "بيتزا", "sku": "54534534", "quantity": 2, "currency": "SAR",
            "amounts": {"price_without_tax": {"amount": Decimal("93"), "currency": "SAR"},
                        "total_discount": {"amount": 5, "currency": "SAR"},
                        "tax": {"percent": "0.00", "amount": {"amount": 0, "currency": "SAR"}},
                        "total": {"amount": Decimal("186"), "currency": "SAR"}},
            "product": {"id": 720881993, "type": "food", "name": "بيتزا", "price": {"amount": 66, "currency": "SAR"}},
            "options": [],
        }],
    }


def delivery(event: str, data: object, merchant: object = 1305146709, secret: str = SECRET) -> tuple[dict, bytes]:
    body = json.dumps({"event": event, "merchant": merchant, "created_at": "2026-10-01 12:00:00", "data": data},
                      ensure_ascii=False, default=str).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Salla-Signature": signature, "X-Salla-Security-Strategy": "Signature"}, body


# --- products -----------------------------------------------------------------------------


def test_product_pays_the_sale_price_and_strikes_the_regular_one():
    product = wire.product(product_payload(), translations={"en": "Black Abaya"})
    small, medium = product.variants

    assert (small.price.amount, small.price.currency) == (Decimal("249.90"), "SAR")
    assert small.compare_at_price.amount == Decimal("299")
    assert (medium.price.amount, medium.compare_at_price) == (Decimal("319.50"), None)
    assert (small.options, small.title) == ({"المقاس": "S", "اللون": "أسود"}, "S / أسود")
    assert (small.inventory_quantity, medium.inventory_quantity) == (4, None)  # unlimited is untracked
    assert (small.sku, medium.sku, small.external_id) == ("ABY-S", None, "591539870")


def test_product_keeps_names_per_language_images_options_and_store_facts():
    product = wire.product(product_payload(), translations={"en": "Black Abaya"})

    assert product.external_id == "1025569331" and product.name == "عباية سوداء"
    assert product.names == {"ar": "عباية سوداء", "en": "Black Abaya"}
    assert [(i.url, i.alt, i.position) for i in product.images] == [
        ("https://cdn.salla.sa/a.jpg", "عباية", 0), ("https://cdn.salla.sa/b.jpg", None, 1)]  # main first, no video
    assert [(o.name, o.values) for o in product.options] == [("المقاس", ["S", "M"]), ("اللون", ["أسود"])]
    assert product.url == "https://salla.sa/dev-store/abaya/p1025569331"
    assert (product.vendor, product.tags, product.product_type) == ("دار الأناقة", ["رمضان"], "product")
    assert product.updated_at == datetime(2026, 10, 1, 12, 30, tzinfo=UTC)  # Riyadh time, UTC+3


def test_a_fallback_translation_equal_to_the_main_name_is_not_a_translation():
    assert wire.product(product_payload(), translations={"en": "عباية سوداء"}).names == {"ar": "عباية سوداء"}


def test_product_without_skus_is_one_variant_carrying_its_own_id_and_stock():
    raw = product_payload() | {"skus": [], "options": []}
    (only,) = wire.product(raw).variants
    assert (only.external_id, only.sku, only.inventory_quantity) == ("1025569331", "ABY-001", 20)
    assert (only.price.amount, only.compare_at_price.amount) == (Decimal("249.90"), Decimal("299"))


@pytest.mark.parametrize(("status", "expected"), [("sale", ProductStatus.ACTIVE), ("out", ProductStatus.ACTIVE),
                                                   ("hidden", ProductStatus.DRAFT), ("deleted", ProductStatus.ARCHIVED)])
def test_product_status_mapping(status, expected):
    assert wire.product(product_payload() | {"status": status}).status == expected


def test_product_missing_its_price_or_id_is_a_platform_error_not_a_key_error():
    with pytest.raises(PlatformError, match="without a price"):
        wire.product({k: v for k, v in product_payload().items() if k not in ("price", "skus")})
    with pytest.raises(PlatformError, match="malformed product"):
        wire.product({k: v for k, v in product_payload().items() if k != "id"})


def test_amounts_stay_exact_decimals_from_json_numbers():
    body = wire.load(b'{"price": {"amount": 343.85, "currency": "SAR"}, "tax": {"percent": "15.00", '
                     b'"amount": {"amount": 0.1, "currency": "SAR"}}}')
    assert wire.amount(body["price"], None).amount == Decimal("343.85")
    assert wire.amount(body["tax"], "SAR").amount == Decimal("0.1")
    with pytest.raises(PlatformError, match="not JSON"):
        wire.load(b"<html>")


# --- orders -------------------------------------------------------------------------------


def test_order_amounts_lines_and_dates_from_the_documented_shape():
    order = wire.order(order_payload(), hash_customer)

    assert (order.external_id, order.number, order.currency) == ("2116149737", "41027662", "SAR")
    assert (order.subtotal.amount, order.shipping.amount) == (Decimal("186"), Decimal("15"))
    assert order.tax.amount == Decimal("30.15")
    assert (order.discounts.amount, order.total.amount) == (Decimal("5.00"), Decimal("226.15"))
    (line,) = order.lines
    assert (line.product_external_id, line.sku, line.name, line.quantity) == ("720881993", "54534534", "بيتزا", 2)
    assert (line.unit_price.amount, line.total.amount) == (Decimal("93"), Decimal("186"))
    assert order.placed_at == datetime(2022, 6, 26, 9, 21, 45, tzinfo=UTC)
    assert order.updated_at == datetime(2022, 6, 26, 10, 0, tzinfo=UTC)


def test_order_customer_is_only_a_keyed_hash_of_the_lowercased_email_or_the_id():
    assert wire.order(order_payload(), hash_customer).customer_ref == hash_customer("usertest@gmail.com")
    no_email = order_payload() | {"customer": {"id": 225167971, "email": "", "mobile": 501806978}}
    assert wire.order(no_email, hash_customer).customer_ref == hash_customer("225167971")
    assert wire.order(order_payload() | {"customer": None}, hash_customer).customer_ref is None
    assert "usertest" not in wire.order(order_payload(), hash_customer).model_dump_json().lower()


@pytest.mark.parametrize(("slug", "expected"), [
    ("payment_pending", OrderStatus.PENDING), ("under_review", OrderStatus.PENDING),
    ("in_progress", OrderStatus.PAID), ("completed", OrderStatus.FULFILLED), ("delivering", OrderStatus.FULFILLED),
    ("delivered", OrderStatus.FULFILLED), ("shipped", OrderStatus.FULFILLED), ("canceled", OrderStatus.CANCELLED),
    ("refunded", OrderStatus.REFUNDED), ("restored", OrderStatus.REFUNDED), ("payment_failed", OrderStatus.FAILED),
    ("a_custom_status", OrderStatus.PENDING)])
def test_order_status_slugs(slug, expected):
    raw = order_payload() | {"status": {"id": 1, "name": "حالة", "slug": slug}}
    order = wire.order(raw, hash_customer)
    assert (order.status, order.platform_status) == (expected, slug)


def test_direct_order_attribution_keeps_source_and_device_but_never_ip_or_user_agent():
    order = wire.order(order_payload(), hash_customer)
    assert (order.attribution.source_name, order.attribution.device_type) == ("direct", "desktop")
    assert order.attribution.referrer is None and order.attribution.click_ids == {}
    assert "31.166.186.78" not in order.model_dump_json() and "Windows NT" not in order.model_dump_json()


def test_campaign_attribution_from_the_source_url_and_utm_keys():
    raw = order_payload() | {"source_details": {
        "type": "social", "device": "mobile",
        "value": "https://l.instagram.com/?utm_source=instagram&utm_medium=paid&utm_campaign=eid&fbclid=IwAR2x",
        "landing_page": "https://store.sa/p1?utm_content=reel7&gclid=Cj0K", "utm_term": "abaya"}}
    attribution = wire.order(raw, hash_customer).attribution

    assert attribution.referrer.startswith("https://l.instagram.com/")
    assert attribution.landing_site == "https://store.sa/p1?utm_content=reel7&gclid=Cj0K"
    assert (attribution.utm.source, attribution.utm.medium, attribution.utm.campaign) == ("instagram", "paid", "eid")
    assert (attribution.utm.content, attribution.utm.term) == ("reel7", "abaya")
    assert attribution.click_ids == {"fbclid": "IwAR2x", "gclid": "Cj0K"}
    assert (attribution.source_name, attribution.device_type) == ("social", "mobile")


def test_a_named_source_value_that_is_not_a_url_joins_the_source_name():
    raw = order_payload() | {"source_details": {"type": "affiliate", "value": "snap-eid-2026", "device": "mobile"}}
    assert wire.order(raw, hash_customer).attribution.source_name == "affiliate/snap-eid-2026"


def test_order_without_a_total_or_date_is_a_platform_error():
    with pytest.raises(PlatformError, match="without a total"):
        wire.order(order_payload() | {"amounts": {}}, hash_customer)
    with pytest.raises(PlatformError, match="malformed order"):
        wire.order({k: v for k, v in order_payload().items() if k != "date"}, hash_customer)


@pytest.mark.parametrize(("value", "expected"), [
    ({"date": "2024-02-15 08:23:05.000000", "timezone_type": 3, "timezone": "Asia/Riyadh"},
     datetime(2024, 2, 15, 5, 23, 5, tzinfo=UTC)),
    ({"date": "2024-02-15 08:23:05.000000", "timezone_type": 1, "timezone": "+04:00"},
     datetime(2024, 2, 15, 4, 23, 5, tzinfo=UTC)),
    ("2024-03-24T10:30:00Z", datetime(2024, 3, 24, 10, 30, tzinfo=UTC)),
    ("2022-12-31 12:31:25", datetime(2022, 12, 31, 9, 31, 25, tzinfo=UTC)),
    (None, None)])
def test_salla_times_become_aware_utc(value, expected):
    assert wire.salla_time(value) == expected


# --- tokens and identity ------------------------------------------------------------------


def test_token_expires_is_a_unix_timestamp_and_expires_in_a_duration():
    now = datetime(2026, 10, 1, tzinfo=UTC)
    stamped = wire.credentials({"access_token": "a", "refresh_token": "r", "expires": 1792800000, "scope": "s"}, now)
    assert stamped.expires_at == datetime.fromtimestamp(1792800000, UTC) and stamped.refresh_token == "r"
    assert wire.credentials({"access_token": "a", "expires_in": 1209600}, now).expires_at == now + timedelta(days=14)
    assert wire.credentials({"access_token": "a", "expires": 3600}, now).expires_at == now + timedelta(hours=1)
    with pytest.raises(PlatformError):
        wire.credentials({"token_type": "bearer"}, now)


def test_user_info_merchant_with_or_without_the_data_envelope():
    merchant = {"id": 847769313, "name": "متجر"}
    assert wire.merchant({"status": 200, "success": True, "data": {"id": 1, "merchant": merchant}})["id"] == 847769313
    assert wire.merchant({"id": 1, "merchant": merchant})["id"] == 847769313
    with pytest.raises(PlatformError, match="no merchant id"):
        wire.merchant({"status": 200, "data": {"id": 1}})


def test_oauth_state_survives_salla_stripping_its_hyphens():
    assert state_matches("9f1c-44aa-b0", "9f1c44aab0")
    assert not state_matches("9f1c-44aa-b0", "9f1c44aab1") and not state_matches("x", None)


# --- webhooks -----------------------------------------------------------------------------


def test_signature_verifies_on_raw_bytes_and_refuses_tampering_missing_header_and_wrong_secret():
    headers, body = delivery("order.created", order_payload())
    assert verify_webhook(headers, body, SECRET)
    assert verify_webhook({k.lower(): v for k, v in headers.items()}, body, SECRET)
    tampered = body[:40] + bytes([body[40] ^ 0x01]) + body[41:]
    assert not verify_webhook(headers, tampered, SECRET)
    assert not verify_webhook({"X-Salla-Security-Strategy": "Signature"}, body, SECRET)
    assert not verify_webhook(headers, body, "another-secret")
    assert not verify_webhook(headers, body, "")


def test_token_strategy_compares_the_static_token():
    _, body = delivery("product.updated", product_payload())
    assert verify_webhook({"X-Salla-Security-Strategy": "Token", "Authorization": f"Bearer {SECRET}"}, body, SECRET)
    assert verify_webhook({"Authorization": SECRET}, body, SECRET)
    assert not verify_webhook({"X-Salla-Security-Strategy": "Token", "Authorization": "Bearer guess"}, body, SECRET)
    signed, _ = delivery("product.updated", product_payload())  # a Token strategy ignores a signature
    assert not verify_webhook({"X-Salla-Security-Strategy": "Token", "X-Salla-Signature": signed["X-Salla-Signature"]},
                              body, SECRET)


def test_webhook_changes_by_event():
    def change(event, data):
        headers, body = delivery(event, data)
        return parse_webhook(headers, body, hash_customer=hash_customer)

    upserted = change("product.updated", product_payload())
    assert upserted.kind == ChangeKind.PRODUCT_UPSERTED and upserted.product.variants[0].price.amount == Decimal("249.90")
    assert change("product.deleted", {"id": 1025569331}) == change("product.deleted", {"id": "1025569331"})
    assert change("product.deleted", {"id": 1025569331}).external_id == "1025569331"
    order = change("order.status.updated", order_payload() | {"status": {"slug": "completed", "name": "تم التنفيذ"}})
    assert order.kind == ChangeKind.ORDER_UPSERTED and order.order.status == OrderStatus.FULFILLED
    assert change("app.uninstalled", {}).kind == ChangeKind.STORE_UNINSTALLED
    assert change("app.store.authorize", {"access_token": "t"}).kind == ChangeKind.IGNORED
    assert change("customer.created", {"id": 5}).kind == ChangeKind.IGNORED


def test_malformed_webhooks_are_platform_errors():
    with pytest.raises(PlatformError, match="without an event"):
        parse_webhook({}, b'{"merchant": 1}', hash_customer=hash_customer)
    with pytest.raises(PlatformError, match="order 1 without a total"):
        parse_webhook({}, delivery("order.created", {"id": 1})[1], hash_customer=hash_customer)
    with pytest.raises(PlatformError, match="not JSON"):
        parse_webhook({}, b"\xff\xfe", hash_customer=hash_customer)


def test_reauthorization_webhook_carries_new_tokens():
    _, body = delivery("app.store.authorize", {"access_token": "new-access", "refresh_token": "new-refresh",
                                               "expires": 1792800000, "scope": "offline_access products.read",
                                               "token_type": "bearer"})
    credentials = authorization_from_webhook(body)
    assert (credentials.access_token, credentials.refresh_token) == ("new-access", "new-refresh")
    assert credentials.expires_at == datetime.fromtimestamp(1792800000, UTC)
    assert authorization_from_webhook(delivery("order.created", order_payload())[1]) is None


def test_merchant_and_delivery_id_of_a_webhook():
    headers, body = delivery("order.created", order_payload())
    assert webhook_merchant(body) == "1305146709" and webhook_merchant(b"not json") is None
    assert webhook_delivery_id(headers, body) == webhook_delivery_id({}, body) == hashlib.sha256(body).hexdigest()
    assert webhook_delivery_id(headers, body) != webhook_delivery_id(headers, delivery("order.updated", order_payload())[1])
