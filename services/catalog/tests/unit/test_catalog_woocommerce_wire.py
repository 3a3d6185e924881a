"""WooCommerce payloads (REST wc/v3 and webhook shapes) as the catalog reads them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from adly_catalog.adapters.platforms import woocommerce_wire as wire
from adly_catalog.adapters.platforms.woocommerce import (
    check_public_url,
    check_site_url,
    credentials_from_keys,
    is_public_address,
    normalise_site_url,
    parse_authorization_callback,
)
from adly_catalog.domain.platform import ChangeKind, CredentialsRejected, PlatformError
from adly_events.contracts.catalog import OrderStatus, ProductStatus


def hash_customer(value: str) -> str:
    return hashlib.sha256(f"k:{value}".encode()).hexdigest()


SIMPLE = {
    "id": 794, "name": "Linen Kaftan", "slug": "linen-kaftan", "permalink": "https://shop.example.com/product/linen-kaftan/",
    "date_modified": "2026-03-02T12:30:00", "date_modified_gmt": "2026-03-02T09:30:00",
    "type": "simple", "status": "publish", "description": "<p>Breathable</p>", "sku": "KAF-1",
    "price": "189.99", "regular_price": "199.99", "sale_price": "189.99", "on_sale": True,
    "manage_stock": True, "stock_quantity": 7,
    "categories": [{"id": 9, "name": "Kaftans", "slug": "kaftans"}], "tags": [{"id": 3, "name": "summer", "slug": "summer"}],
    "brands": [{"id": 4, "name": "Rawan", "slug": "rawan"}],
    "images": [{"id": 1, "src": "https://shop.example.com/a.jpg", "name": "a", "alt": "Front"},
               {"id": 2, "src": "https://shop.example.com/b.jpg", "name": "b", "alt": ""}],
    "attributes": [{"id": 0, "name": "Material", "position": 0, "visible": True, "variation": False, "options": ["Linen"]}],
    "variations": [],
}
VARIABLE = {
    "id": 800, "name": "عباية سوداء", "slug": "%d8%b9%d8%a8%d8%a7%d9%8a%d8%a9", "permalink": "https://shop.example.com/product/abaya/",
    "date_modified_gmt": "2026-03-02T10:00:00", "type": "variable", "status": "draft", "sku": "", "price": "250",
    "regular_price": "", "sale_price": "", "manage_stock": True, "stock_quantity": 12, "images": [], "tags": [],
    "attributes": [{"id": 1, "name": "Size", "position": 0, "visible": True, "variation": True, "options": ["S", "M", "L"]},
                   {"id": 2, "name": "Fabric", "position": 1, "visible": True, "variation": False, "options": ["Crepe"]}],
    "variations": [801, 802, 803],
}
VARIATIONS = [
    {"id": 801, "sku": "AB-S", "price": "250.00", "regular_price": "300.00", "sale_price": "250.00", "status": "publish",
     "manage_stock": True, "stock_quantity": 3, "attributes": [{"id": 1, "name": "Size", "option": "S"}]},
    {"id": 802, "sku": "AB-M", "price": "300.00", "regular_price": "300.00", "sale_price": "", "status": "publish",
     "manage_stock": "parent", "stock_quantity": None, "attributes": [{"id": 1, "name": "Size", "option": "M"}]},
    {"id": 803, "sku": "AB-L", "price": "300.00", "regular_price": "300.00", "status": "private",
     "manage_stock": False, "stock_quantity": None, "attributes": [{"id": 1, "name": "Size", "option": "L"}]},
]


def order(**overrides):
    base = {
        "id": 727, "number": "727", "status": "processing", "currency": "sar", "date_created": "2026-03-03T15:04:05",
        "date_created_gmt": "2026-03-03T12:04:05", "date_modified_gmt": "2026-03-03T12:10:00", "date_paid_gmt": "2026-03-03T12:05:00",
        "discount_total": "10.00", "shipping_total": "15.00", "total": "222.48", "total_tax": "27.49", "customer_id": 0,
        "billing": {"first_name": "Layla", "email": "  Layla.Haddad@Example.COM "},
        "line_items": [
            {"id": 1, "name": "Linen Kaftan", "product_id": 794, "variation_id": 0, "quantity": 1, "subtotal": "189.99",
             "total": "179.99", "sku": "KAF-1", "price": 179.99},
            {"id": 2, "name": "Silk Hijab", "product_id": 810, "variation_id": 811, "quantity": 3, "subtotal": "10.00",
             "total": "10.00", "sku": "HJ-BL", "price": 3.3333333333333335},
        ],
        "refunds": [],
        "meta_data": [
            {"id": 1, "key": "_wc_order_attribution_source_type", "value": "utm"},
            {"id": 2, "key": "_wc_order_attribution_utm_source", "value": "facebook"},
            {"id": 3, "key": "_wc_order_attribution_utm_medium", "value": "paid_social"},
            {"id": 4, "key": "_wc_order_attribution_utm_campaign", "value": "(none)"},
            {"id": 5, "key": "_wc_order_attribution_referrer", "value": "https://l.facebook.com/"},
            {"id": 6, "key": "_wc_order_attribution_session_entry",
             "value": "https://shop.example.com/abaya/?utm_campaign=ramadan&utm_content=reel2&fbclid=IwAR0abc&gclid=Cj0xyz"},
            {"id": 7, "key": "_wc_order_attribution_device_type", "value": "Mobile"},
            {"id": 8, "key": "_wc_order_attribution_session_start_time", "value": "2026-03-03 15:00:00"},
            {"id": 9, "key": "_billing_phone_verified", "value": "yes"},
        ],
    }
    return base | overrides


# -- products ---------------------------------------------------------------------------------

def test_simple_product_is_one_variant_with_exact_sale_and_regular_prices():
    product = wire.parse_product(SIMPLE, "SAR")
    assert product.external_id == "794" and product.name == "Linen Kaftan"
    [variant] = product.variants
    assert variant.external_id == "794"  # order lines of simple products point at the product id
    assert variant.price.amount == Decimal("189.99") and variant.price.currency == "SAR"
    assert variant.compare_at_price.amount == Decimal("199.99")
    assert variant.inventory_quantity == 7 and variant.sku == "KAF-1" and variant.options == {}


def test_simple_product_keeps_url_images_tags_brand_category_and_utc_time():
    product = wire.parse_product(SIMPLE, "sar")
    assert product.url == "https://shop.example.com/product/linen-kaftan/" and product.handle == "linen-kaftan"
    assert [(i.url, i.alt, i.position) for i in product.images] == [
        ("https://shop.example.com/a.jpg", "Front", 0), ("https://shop.example.com/b.jpg", None, 1)]
    assert product.tags == ["summer"] and product.vendor == "Rawan" and product.product_type == "Kaftans"
    assert product.options == []  # "Material" is a specification, not a variant axis
    assert product.updated_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # the _gmt twin, not local time


def test_unmanaged_stock_is_unknown_not_zero():
    product = wire.parse_product(SIMPLE | {"manage_stock": False, "stock_quantity": None}, "SAR")
    assert product.variants[0].inventory_quantity is None


def test_variable_product_takes_variants_from_its_variations():
    product = wire.parse_product(VARIABLE, "SAR", VARIATIONS)
    assert product.name == "عباية سوداء" and product.status == ProductStatus.DRAFT
    assert [(o.name, o.values) for o in product.options] == [("Size", ["S", "M", "L"])]
    small, medium = product.variants  # the private (disabled) L is left out
    assert (small.external_id, small.title, small.options) == ("801", "S", {"Size": "S"})
    assert small.price.amount == Decimal("250.00") and small.compare_at_price.amount == Decimal("300.00")
    assert small.inventory_quantity == 3
    assert medium.compare_at_price is None
    assert medium.inventory_quantity == 12  # "parent": the parent product's stock


def test_variable_product_never_uses_the_parents_price_range():
    assert wire.parse_product(VARIABLE, "SAR", []).variants == []


@pytest.mark.parametrize("status, expected", [
    ("publish", ProductStatus.ACTIVE), ("draft", ProductStatus.DRAFT), ("pending", ProductStatus.DRAFT),
    ("private", ProductStatus.DRAFT), ("future", ProductStatus.DRAFT), ("trash", ProductStatus.ARCHIVED)])
def test_product_status_mapping(status, expected):
    assert wire.parse_product(SIMPLE | {"status": status}, "SAR").status == expected


def test_unpriced_product_has_no_variant_to_sell():
    assert wire.parse_product(SIMPLE | {"type": "grouped", "price": "", "regular_price": ""}, "SAR").variants == []


def test_malformed_product_is_a_platform_error_not_a_key_error():
    with pytest.raises(PlatformError, match="without `id`"):
        wire.parse_product({"name": "x"}, "SAR")
    with pytest.raises(PlatformError, match="not an amount"):
        wire.parse_product(SIMPLE | {"price": "19,99"}, "SAR")


# -- orders -----------------------------------------------------------------------------------

def test_order_money_is_exact_in_the_orders_own_currency():
    parsed = wire.parse_order(order(), hash_customer)
    assert parsed.currency == "SAR" and parsed.external_id == "727" and parsed.number == "727"
    assert parsed.total.amount == Decimal("222.48") and parsed.tax.amount == Decimal("27.49")
    assert parsed.discounts.amount == Decimal("10.00") and parsed.shipping.amount == Decimal("15.00")
    assert parsed.subtotal.amount == Decimal("199.99")
    assert parsed.placed_at == datetime(2026, 3, 3, 12, 4, 5, tzinfo=UTC)


def test_order_lines_point_at_variants_with_pre_discount_unit_prices():
    kaftan, hijab = wire.parse_order(order(), hash_customer).lines
    assert (kaftan.product_external_id, kaftan.variant_external_id) == ("794", "794")
    assert kaftan.unit_price.amount == Decimal("189.99") and kaftan.total.amount == Decimal("179.99")
    assert (hijab.product_external_id, hijab.variant_external_id, hijab.quantity) == ("810", "811", 3)
    assert hijab.unit_price.amount == Decimal("3.33")  # not Woo's float 3.3333333333333335


def test_a_deleted_product_on_an_order_line_has_no_id():
    line = order()["line_items"][0] | {"product_id": 0}
    assert wire.parse_order(order(line_items=[line]), hash_customer).lines[0].product_external_id is None


@pytest.mark.parametrize("status, expected", [
    ("pending", OrderStatus.PENDING), ("on-hold", OrderStatus.PENDING), ("processing", OrderStatus.PAID),
    ("completed", OrderStatus.FULFILLED), ("cancelled", OrderStatus.CANCELLED), ("refunded", OrderStatus.REFUNDED),
    ("failed", OrderStatus.FAILED), ("checkout-draft", OrderStatus.PENDING), ("shipped", OrderStatus.PAID)])
def test_order_status_mapping_keeps_the_platform_word(status, expected):
    parsed = wire.parse_order(order(status=status), hash_customer)
    assert parsed.status == expected and parsed.platform_status == status


def test_a_plugin_status_without_payment_is_pending():
    assert wire.parse_order(order(status="awaiting-shipment", date_paid_gmt=None), hash_customer).status == OrderStatus.PENDING


def test_a_refund_smaller_than_the_order_is_a_partial_refund():
    partial = order(status="completed", refunds=[{"id": 9, "reason": "", "total": "-20.00"}])
    assert wire.parse_order(partial, hash_customer).status == OrderStatus.PARTIALLY_REFUNDED
    full = order(status="refunded", refunds=[{"id": 9, "reason": "", "total": "-222.48"}])
    assert wire.parse_order(full, hash_customer).status == OrderStatus.REFUNDED


def test_customer_is_the_hash_of_the_lower_cased_email_then_the_customer_id_else_none():
    assert wire.parse_order(order(), hash_customer).customer_ref == hash_customer("layla.haddad@example.com")
    no_email = order(billing={"email": ""}, customer_id=42)
    assert wire.parse_order(no_email, hash_customer).customer_ref == hash_customer("42")
    assert wire.parse_order(order(billing={"email": ""}, customer_id=0), hash_customer).customer_ref is None


def test_attribution_reads_woo_order_attribution_meta_and_the_landing_url():
    attribution = wire.parse_order(order(), hash_customer).attribution
    assert attribution.source_name == "utm" and attribution.device_type == "Mobile"
    assert attribution.referrer == "https://l.facebook.com/"
    assert attribution.landing_site.startswith("https://shop.example.com/abaya/")
    # meta first; "(none)" is Woo's empty, filled from the landing URL
    assert (attribution.utm.source, attribution.utm.medium, attribution.utm.campaign, attribution.utm.content) == (
        "facebook", "paid_social", "ramadan", "reel2")
    assert attribution.click_ids == {"fbclid": "IwAR0abc", "gclid": "Cj0xyz"}
    assert attribution.last_visit.landing_page == attribution.landing_site


def test_an_order_without_attribution_meta_has_empty_attribution():
    attribution = wire.parse_order(order(meta_data=[]), hash_customer).attribution
    assert attribution.source_name is None and attribution.click_ids == {} and attribution.last_visit is None


def test_malformed_order_is_a_platform_error():
    with pytest.raises(PlatformError, match="date_created_gmt"):
        wire.parse_order(order(date_created_gmt=None), hash_customer)
    with pytest.raises(PlatformError, match="currency"):
        wire.parse_order(order(currency=""), hash_customer)


# -- webhooks ---------------------------------------------------------------------------------

SECRET = "3f1c9a7e5b2d4c6a8e0f1a3b5c7d9e1f"


def php_body(payload) -> bytes:
    return json.dumps(payload, separators=(",", ":")).replace("/", "\\/").encode()


def delivery(topic: str, payload, secret: str = SECRET) -> tuple[dict[str, str], bytes]:
    body = php_body(payload)
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    resource, _, event = topic.partition(".")
    return {"X-WC-Webhook-Source": "https://shop.example.com/", "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource, "X-WC-Webhook-Event": event, "X-WC-Webhook-Signature": signature,
            "X-WC-Webhook-ID": "31", "X-WC-Webhook-Delivery-ID": "0c1a4f0b7f7c1f1c8e0e4d2c5a6b7c8d"}, body


def test_signature_verifies_on_the_raw_body():
    headers, body = delivery("product.updated", SIMPLE)
    assert wire.verify_webhook(headers, body, SECRET)
    assert wire.verify_webhook({k.lower(): v for k, v in headers.items()}, body, SECRET)


def test_signature_fails_on_one_changed_byte_missing_header_or_wrong_secret():
    headers, body = delivery("product.updated", SIMPLE)
    tampered = body[:40] + bytes([body[40] ^ 1]) + body[41:]
    assert not wire.verify_webhook(headers, tampered, SECRET)
    assert not wire.verify_webhook({k: v for k, v in headers.items() if k != "X-WC-Webhook-Signature"}, body, SECRET)
    assert not wire.verify_webhook(headers, body, SECRET[:-1] + "0")
    assert not wire.verify_webhook(headers, body, "")
    # the same payload re-serialised (no escaped slashes) is not what was signed
    assert not wire.verify_webhook(headers, json.dumps(SIMPLE, separators=(",", ":")).encode(), SECRET)


def test_simple_product_webhook_is_an_upsert():
    headers, body = delivery("product.updated", SIMPLE)
    change = wire.parse_webhook(headers, body, currency="SAR", hash_customer=hash_customer)
    assert change.kind == ChangeKind.PRODUCT_UPSERTED and change.product.variants[0].price.amount == Decimal("189.99")
    assert not wire.webhook_needs_refetch(change)


def test_variable_product_and_variation_webhooks_ask_for_a_re_read_of_the_product():
    change = wire.parse_webhook(*delivery("product.updated", VARIABLE), currency="SAR", hash_customer=hash_customer)
    assert wire.webhook_needs_refetch(change) and change.external_id == "800" and change.product is None
    variation = VARIATIONS[0] | {"type": "variation", "parent_id": 800}
    change = wire.parse_webhook(*delivery("product.updated", variation), currency="SAR", hash_customer=hash_customer)
    assert wire.webhook_needs_refetch(change) and change.external_id == "800"


def test_deleted_product_webhook_carries_only_the_id():
    change = wire.parse_webhook(*delivery("product.deleted", {"id": 794}), currency="SAR", hash_customer=hash_customer)
    assert change.kind == ChangeKind.PRODUCT_REMOVED and change.external_id == "794"


def test_order_webhooks_are_upserts_and_trashing_an_order_is_ignored():
    change = wire.parse_webhook(*delivery("order.created", order()), currency="USD", hash_customer=hash_customer)
    assert change.kind == ChangeKind.ORDER_UPSERTED and change.order.currency == "SAR"
    assert change.order.attribution.click_ids["fbclid"] == "IwAR0abc"
    trashed = wire.parse_webhook(*delivery("order.deleted", {"id": 727}), currency="SAR", hash_customer=hash_customer)
    assert trashed.kind == ChangeKind.IGNORED


def test_the_ping_on_save_is_recognised_and_ignored():
    headers = {"User-Agent": "WooCommerce/9.8.1 Hookshot (WordPress/6.8.1)"}
    assert wire.is_ping(headers, b"webhook_id=12")
    assert wire.parse_webhook(headers, b"webhook_id=12", currency="SAR", hash_customer=hash_customer).kind == ChangeKind.IGNORED
    assert not wire.is_ping(headers, b'{"id":12}')
    assert not wire.is_ping({"X-WC-Webhook-Signature": "x"}, b"webhook_id=12")


def test_custom_action_topics_are_ignored():
    change = wire.parse_webhook(*delivery("action.woocommerce_order_status_changed", {"action": "x", "arg": 1}),
                                currency="SAR", hash_customer=hash_customer)
    assert change.kind == ChangeKind.IGNORED


def test_a_non_json_webhook_body_is_a_platform_error():
    headers, _ = delivery("order.updated", {})
    with pytest.raises(PlatformError, match="not JSON"):
        wire.parse_webhook(headers, b"<html>", currency="SAR", hash_customer=hash_customer)


def test_delivery_ids_tell_apart_two_deliveries_in_the_same_second():
    headers, body = delivery("product.updated", SIMPLE)
    _, other = delivery("product.updated", SIMPLE | {"price": "1.00"})
    assert wire.webhook_delivery_id(headers, body) == wire.webhook_delivery_id(dict(headers), body)
    assert wire.webhook_delivery_id(headers, body) != wire.webhook_delivery_id(headers, other)
    assert wire.webhook_delivery_id(headers, body).startswith("0c1a4f0b7f7c1f1c8e0e4d2c5a6b7c8d:")
    old = {"X-WC-Delivery-ID": "abc"}
    assert wire.webhook_delivery_id(old, body).startswith("abc:")
    assert wire.webhook_delivery_id({"X-WC-Webhook-ID": "31"}, body).startswith("webhook-31:")


# -- connecting -------------------------------------------------------------------------------

def test_authorization_callback_gives_our_state_and_read_write_keys():
    body = json.dumps({"key_id": 3, "user_id": "st-8f2a", "consumer_key": "ck_" + "a" * 40,
                       "consumer_secret": "cs_" + "b" * 40, "key_permissions": "read_write"}).encode()
    state, credentials = parse_authorization_callback(body)
    assert state == "st-8f2a" and credentials.access_token == "ck_" + "a" * 40
    assert credentials.extra["consumer_secret"] == "cs_" + "b" * 40 and credentials.extra["key_id"] == "3"
    assert len(credentials.extra["webhook_secret"]) == 64 and credentials.expires_at is None


def test_authorization_callback_refuses_read_only_keys_and_garbage():
    body = json.dumps({"key_id": 3, "user_id": "s", "consumer_key": "ck_a", "consumer_secret": "cs_b",
                       "key_permissions": "read"}).encode()
    with pytest.raises(PlatformError, match="Read/Write"):
        parse_authorization_callback(body)
    with pytest.raises(PlatformError):
        parse_authorization_callback(b"key_id=3")
    with pytest.raises(PlatformError, match="missing"):
        parse_authorization_callback(b'{"user_id": "s"}')


def test_keys_that_do_not_look_like_woo_keys_are_refused_before_any_call():
    with pytest.raises(CredentialsRejected, match="ck_"):
        credentials_from_keys("my-password", "cs_x")
    credentials = credentials_from_keys(" ck_1 ", "cs_2\n")
    assert credentials.access_token == "ck_1" and credentials.extra["consumer_secret"] == "cs_2"


@pytest.mark.parametrize("given, expected", [
    ("shop.example.com", "https://shop.example.com"),
    ("HTTPS://Shop.Example.COM/", "https://shop.example.com"),
    ("https://shop.example.com/wp-admin/admin.php?page=wc-settings", "https://shop.example.com"),
    ("https://example.com/store/wp-json/wc/v3/", "https://example.com/store"),
    ("https://shop.example.com:443/#top", "https://shop.example.com"),
    ("https://shop.example.com:8443", "https://shop.example.com:8443"),
    ("https://مثال.السعودية/", "https://xn--mgbh0fb.xn--mgberp4a5d4ar"),
])
def test_site_urls_are_normalised_to_the_wordpress_root(given, expected):
    assert normalise_site_url(given, allow_private=False) == expected


@pytest.mark.parametrize("url", [
    "http://shop.example.com", "ftp://shop.example.com", "file:///etc/passwd", "gopher://shop.example.com",
    "https://user:pw@shop.example.com", "https://127.0.0.1", "https://[::1]/", "https://169.254.169.254/",
    "https://10.0.0.5", "https://192.168.1.1", "https://172.16.0.1", "https://[fd00::1]", "https://[fe80::1]",
    "https://[::ffff:127.0.0.1]", "https://2130706433", "https://0177.0.0.1", "https://0x7f.0.0.1", "https://127.1",
    "https://localhost", "https://printer.local", "https://metadata", "https://100.64.0.1", "https://224.0.0.1",
    "https://0.0.0.0", "", None,
])
def test_private_and_disguised_addresses_are_refused(url):
    with pytest.raises(PlatformError):
        normalise_site_url(url, allow_private=False)


def test_plain_http_and_loopback_are_allowed_only_for_tests():
    assert normalise_site_url("http://127.0.0.1:8123/", allow_private=True) == "http://127.0.0.1:8123"


async def test_a_name_resolving_to_a_private_address_is_refused():
    async def rebinding(host: str, port: int) -> list[str]:
        return ["93.184.215.14", "10.1.2.3"]

    async def public(host: str, port: int) -> list[str]:
        return ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]

    with pytest.raises(PlatformError, match="private"):
        await check_site_url("https://shop.example.com", allow_private=False, resolver=rebinding)
    assert await check_site_url("https://shop.example.com/", allow_private=False, resolver=public) == "https://shop.example.com"


async def test_check_public_url_keeps_the_path_and_query_of_other_merchant_urls():
    async def public(host: str, port: int) -> list[str]:
        return ["93.184.215.14"]

    url = await check_public_url("https://Cdn.Example.com/feed.xml?x=1", resolver=public)
    assert url == "https://cdn.example.com/feed.xml?x=1"
    with pytest.raises(PlatformError):
        await check_public_url("https://localhost/feed.xml", resolver=public)


async def test_localhost_is_refused_even_through_real_resolution():
    with pytest.raises(PlatformError):
        await check_public_url("https://localhost.")


@pytest.mark.parametrize("address, public", [
    ("8.8.8.8", True), ("2606:4700::1111", True), ("2002:7f00:1::", False), ("64:ff9b::7f00:1", False),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", False), ("::ffff:8.8.8.8", True), ("ff02::1", False), ("fc00::1", False)])
def test_ipv6_forms_embedding_ipv4_are_judged_by_the_embedded_address(address, public):
    assert is_public_address(ipaddress.ip_address(address)) is public
