"""Shopify payloads as Shopify sends them, read into the catalog's products and orders."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import SecretStr

from adly_catalog.adapters.platforms import shopify_wire as wire
from adly_catalog.adapters.platforms.shopify import ShopifyClient, valid_shop_domain
from adly_catalog.domain.platform import ChangeKind, PlatformError
from adly_catalog.settings import CatalogSettings
from adly_events.contracts.catalog import OrderStatus, ProductStatus

SECRET = "shpss_current_secret"
PREVIOUS = "shpss_previous_secret"


def hasher(value: str) -> str:
    return hashlib.sha256(b"test-key:" + value.encode()).hexdigest()


@pytest.fixture
def client() -> ShopifyClient:
    settings = CatalogSettings(
        service_name="catalog", database_url="postgresql://x/y", kafka_bootstrap_servers="127.0.0.1:1",
        shopify_client_id="client-id", shopify_client_secret=SecretStr(SECRET),
        shopify_previous_client_secret=SecretStr(PREVIOUS),
    )
    return ShopifyClient(None, settings, hasher)  # webhook and callback checks never touch the network


def graphql_product(**changes):
    product = {
        "id": "gid://shopify/Product/8123456789", "title": "عباية كتان", "handle": "linen-abaya",
        "status": "ACTIVE", "vendor": "Dar Nour", "productType": "Abayas", "tags": ["summer", "linen"],
        "descriptionHtml": "<p>Light <strong>linen</strong> &amp; cotton.</p><ul><li>Hand wash</li></ul>",
        "onlineStoreUrl": "https://shop.example.com/products/linen-abaya", "updatedAt": "2026-10-02T08:15:00Z",
        "options": [{"name": "Size", "optionValues": [{"name": "S"}, {"name": "M"}]},
                    {"name": "Color", "optionValues": [{"name": "Sand"}]}],
        "variants": {"nodes": [
            {"id": "gid://shopify/ProductVariant/4400001", "sku": "AB-S", "title": "S / Sand", "price": "349.90",
             "compareAtPrice": "399.00", "inventoryQuantity": 12,
             "selectedOptions": [{"name": "Size", "value": "S"}, {"name": "Color", "value": "Sand"}]},
            {"id": "gid://shopify/ProductVariant/4400002", "sku": "", "title": "M / Sand", "price": "349.90",
             "compareAtPrice": None, "inventoryQuantity": 0,
             "selectedOptions": [{"name": "Size", "value": "M"}, {"name": "Color", "value": "Sand"}]},
        ]},
        "media": {"nodes": [
            {"image": {"url": "https://cdn.shopify.com/s/files/1/abaya-front.jpg", "altText": "Front"}},
            {},  # a video: not an image
            {"image": {"url": "https://cdn.shopify.com/s/files/1/abaya-back.jpg", "altText": None}},
        ]},
    }
    return product | changes


def rest_product(**changes):
    product = {
        "id": 8123456789, "title": "عباية كتان", "handle": "linen-abaya", "status": "active", "vendor": "Dar Nour",
        "product_type": "Abayas", "tags": "summer, linen",
        "body_html": "<p>Light <strong>linen</strong> &amp; cotton.</p><ul><li>Hand wash</li></ul>",
        "updated_at": "2026-10-02T11:15:00+03:00", "admin_graphql_api_id": "gid://shopify/Product/8123456789",
        "options": [{"id": 1, "name": "Size", "position": 1, "values": ["S", "M"]},
                    {"id": 2, "name": "Color", "position": 2, "values": ["Sand"]}],
        "variants": [
            {"id": 4400001, "product_id": 8123456789, "title": "S / Sand", "sku": "AB-S", "price": "349.90",
             "compare_at_price": "399.00", "option1": "S", "option2": "Sand", "option3": None,
             "inventory_quantity": 12},
            {"id": 4400002, "product_id": 8123456789, "title": "M / Sand", "sku": "", "price": "349.90",
             "compare_at_price": None, "option1": "M", "option2": "Sand", "option3": None, "inventory_quantity": 0},
        ],
        "images": [
            {"id": 2, "position": 2, "alt": None, "src": "https://cdn.shopify.com/s/files/1/abaya-back.jpg"},
            {"id": 1, "position": 1, "alt": "Front", "src": "https://cdn.shopify.com/s/files/1/abaya-front.jpg"},
        ],
    }
    return product | changes


def visit(landing, referrer=None, source="facebook", utm=None, at="2026-10-01T09:00:00Z"):
    return {"landingPage": landing, "referrerUrl": referrer, "source": source, "occurredAt": at,
            "utmParameters": utm}


def bag(amount, currency="SAR"):
    return {"shopMoney": {"amount": amount, "currencyCode": currency}}


def graphql_order(**changes):
    order = {
        "id": "gid://shopify/Order/5550001", "name": "#1042", "email": "Layla.Hassan@Example.COM",
        "createdAt": "2026-10-03T10:00:00Z", "updatedAt": "2026-10-03T10:05:00Z", "cancelledAt": None,
        "currencyCode": "SAR", "sourceName": "web", "displayFinancialStatus": "PAID",
        "displayFulfillmentStatus": "UNFULFILLED",
        "currentSubtotalPriceSet": bag("664.81"), "currentTotalPriceSet": bag("789.53"),
        "currentTotalTaxSet": bag("99.72"), "currentTotalDiscountsSet": bag("34.99"),
        "totalShippingPriceSet": bag("25.00"),
        "customer": {"id": "gid://shopify/Customer/6660001"},
        "customerJourneySummary": {
            "daysToConversion": 2, "ready": True,
            "firstVisit": visit("https://shop.example.com/products/linen-abaya?utm_source=facebook&utm_medium=paid"
                                "&utm_campaign=eid_sale&fbclid=IwAR0xyz", "https://l.facebook.com/",
                                utm={"source": "facebook", "medium": "paid", "campaign": None, "content": None,
                                     "term": None}, at="2026-10-01T09:00:00Z"),
            "lastVisit": visit("https://shop.example.com/?gclid=Cj0KCQabc&utm_content=banner",
                               "https://www.google.com/", source="google", at="2026-10-03T09:50:00Z"),
        },
        "lineItems": {"nodes": [
            {"name": "عباية كتان - S / Sand", "sku": "AB-S", "quantity": 2,
             "product": {"id": "gid://shopify/Product/8123456789"},
             "variant": {"id": "gid://shopify/ProductVariant/4400001"},
             "originalUnitPriceSet": bag("349.90"), "discountedTotalSet": bag("664.81")},
            {"name": "Gift card", "sku": None, "quantity": 1, "product": None, "variant": None,
             "originalUnitPriceSet": bag("0.00"), "discountedTotalSet": bag("0.00")},
        ]},
    }
    return order | changes


def rest_order(**changes):
    order = {
        "id": 5550001, "name": "#1042", "email": "", "contact_email": None, "currency": "SAR",
        "created_at": "2026-10-03T13:00:00+03:00", "updated_at": "2026-10-03T13:05:00+03:00", "cancelled_at": None,
        "total_price": "800.00", "subtotal_price": "675.00", "total_tax": "100.00", "total_discounts": "25.00",
        "current_total_price": "789.53", "current_subtotal_price": "664.81", "current_total_tax": "99.72",
        "current_total_discounts": "34.99",
        "total_shipping_price_set": {"shop_money": {"amount": "25.00", "currency_code": "SAR"},
                                     "presentment_money": {"amount": "6.66", "currency_code": "USD"}},
        "financial_status": "paid", "fulfillment_status": "partial",
        "landing_site": "/products/linen-abaya?utm_source=tiktok&utm_medium=paid_social&ttclid=E.C.P.v3",
        "referring_site": "https://www.tiktok.com/", "source_name": "web",
        "customer": {"id": 6660001, "email": None},
        "line_items": [{"id": 1, "product_id": 8123456789, "variant_id": 4400001, "sku": "AB-S",
                        "name": "عباية كتان - S / Sand", "quantity": 2, "price": "349.90", "total_discount": "34.99"}],
    }
    return order | changes


# Products -----------------------------------------------------------------------------


def test_a_graphql_product_keeps_exact_prices_in_the_shop_currency():
    product = wire.product_from_graphql(graphql_product(), "SAR")
    first = product.variants[0]
    assert product.external_id == "8123456789" and first.external_id == "4400001"
    assert (first.price.amount, first.price.currency) == (Decimal("349.90"), "SAR")
    assert first.compare_at_price.amount == Decimal("399.00")
    assert product.variants[1].compare_at_price is None and product.variants[1].sku is None
    assert first.options == {"Size": "S", "Color": "Sand"} and first.inventory_quantity == 12


def test_a_graphql_product_reads_names_options_images_and_text():
    product = wire.product_from_graphql(graphql_product(), "SAR")
    assert product.name == "عباية كتان" and product.status is ProductStatus.ACTIVE
    assert [(o.name, o.values) for o in product.options] == [("Size", ["S", "M"]), ("Color", ["Sand"])]
    assert [(i.url.rsplit("/", 1)[1], i.alt, i.position) for i in product.images] == [
        ("abaya-front.jpg", "Front", 0), ("abaya-back.jpg", None, 1)]
    assert product.description == "Light linen & cotton. Hand wash"
    assert product.url == "https://shop.example.com/products/linen-abaya" and product.tags == ["summer", "linen"]
    assert product.updated_at == datetime(2026, 10, 2, 8, 15, tzinfo=UTC)


@pytest.mark.parametrize(("shopify", "ours"), [
    ("ACTIVE", ProductStatus.ACTIVE), ("UNLISTED", ProductStatus.ACTIVE),
    ("DRAFT", ProductStatus.DRAFT), ("ARCHIVED", ProductStatus.ARCHIVED),
])
def test_product_statuses_map(shopify, ours):
    assert wire.product_from_graphql(graphql_product(status=shopify), "SAR").status is ours


def test_a_rest_product_from_a_webhook_reads_the_same_as_the_graphql_one():
    from_webhook = wire.product_from_rest(rest_product(), "SAR")
    from_sync = wire.product_from_graphql(graphql_product(), "SAR")
    assert from_webhook.model_dump(exclude={"url"}) == from_sync.model_dump(exclude={"url"})
    assert from_webhook.url is None


def test_a_rest_product_takes_the_currency_it_is_given():
    product = wire.product_from_rest(rest_product(), "kwd")
    assert product.variants[0].price.currency == "KWD" and product.variants[0].price.amount == Decimal("349.90")


@pytest.mark.parametrize("broken", [
    {"title": None}, {"id": None}, {"variants": {"nodes": [{"id": "gid://shopify/ProductVariant/1"}]}},
    {"variants": {"nodes": [{"id": "gid://shopify/ProductVariant/1", "price": "free"}]}},
])
def test_a_malformed_product_is_a_platform_error_not_a_crash(broken):
    with pytest.raises(PlatformError, match="Shopify sent"):
        wire.product_from_graphql(graphql_product(**broken), "SAR")


# Orders -------------------------------------------------------------------------------


def test_a_graphql_order_has_exact_totals_lines_and_a_hashed_customer():
    order = wire.order_from_graphql(graphql_order(), hasher)
    assert (order.external_id, order.number, order.currency) == ("5550001", "#1042", "SAR")
    assert [m.amount for m in (order.subtotal, order.total, order.tax, order.discounts, order.shipping)] == [
        Decimal("664.81"), Decimal("789.53"), Decimal("99.72"), Decimal("34.99"), Decimal("25.00")]
    line = order.lines[0]
    assert (line.product_external_id, line.variant_external_id, line.quantity) == ("8123456789", "4400001", 2)
    assert (line.unit_price.amount, line.total.amount) == (Decimal("349.90"), Decimal("664.81"))
    assert order.lines[1].product_external_id is None and order.lines[1].sku is None
    assert order.customer_ref == hasher("layla.hassan@example.com")
    assert order.placed_at == datetime(2026, 10, 3, 10, tzinfo=UTC)


def test_a_customer_without_email_is_known_by_id_and_a_guest_by_nothing():
    assert wire.order_from_graphql(graphql_order(email=None), hasher).customer_ref == hasher("6660001")
    assert wire.order_from_graphql(graphql_order(email=None, customer=None), hasher).customer_ref is None


def test_the_journey_gives_landing_page_utms_and_click_ids_of_both_visits():
    attribution = wire.order_from_graphql(graphql_order(), hasher).attribution
    assert attribution.landing_site == "https://shop.example.com/?gclid=Cj0KCQabc&utm_content=banner"
    assert attribution.referrer == "https://www.google.com/" and attribution.source_name == "web"
    assert attribution.click_ids == {"fbclid": "IwAR0xyz", "gclid": "Cj0KCQabc"}
    assert attribution.utm.content == "banner" and attribution.utm.source is None
    first = attribution.first_visit
    assert (first.utm.source, first.utm.medium, first.utm.campaign) == ("facebook", "paid", "eid_sale")
    assert first.occurred_at == datetime(2026, 10, 1, 9, tzinfo=UTC) and first.referrer == "https://l.facebook.com/"
    assert attribution.last_visit.source == "google"
    assert (attribution.days_to_conversion, attribution.journey_ready) == (2, True)


def test_a_journey_still_being_attributed_says_so():
    journey = {"daysToConversion": None, "ready": False, "firstVisit": None, "lastVisit": None}
    attribution = wire.order_from_graphql(graphql_order(customerJourneySummary=journey), hasher).attribution
    assert attribution.journey_ready is False and attribution.first_visit is None and attribution.click_ids == {}
    pos = wire.order_from_graphql(graphql_order(customerJourneySummary=None, sourceName="pos"), hasher).attribution
    assert pos.source_name == "pos" and pos.landing_site is None


@pytest.mark.parametrize(("financial", "fulfillment", "cancelled", "status"), [
    ("PAID", "UNFULFILLED", None, OrderStatus.PAID),
    ("PAID", "FULFILLED", None, OrderStatus.FULFILLED),
    ("PENDING", "FULFILLED", None, OrderStatus.FULFILLED),  # cash on delivery, shipped
    ("PENDING", "UNFULFILLED", None, OrderStatus.PENDING),
    ("AUTHORIZED", "UNFULFILLED", None, OrderStatus.PENDING),
    ("PARTIALLY_PAID", "PARTIALLY_FULFILLED", None, OrderStatus.PENDING),
    ("REFUNDED", "FULFILLED", None, OrderStatus.REFUNDED),
    ("PARTIALLY_REFUNDED", "FULFILLED", None, OrderStatus.PARTIALLY_REFUNDED),
    ("VOIDED", "UNFULFILLED", None, OrderStatus.FAILED),
    ("EXPIRED", "UNFULFILLED", None, OrderStatus.FAILED),
    ("REFUNDED", "UNFULFILLED", "2026-10-04T00:00:00Z", OrderStatus.CANCELLED),
    (None, "UNFULFILLED", None, OrderStatus.PENDING),
])
def test_order_statuses_map(financial, fulfillment, cancelled, status):
    order = wire.order_from_graphql(graphql_order(displayFinancialStatus=financial, displayFulfillmentStatus=fulfillment,
                                                  cancelledAt=cancelled), hasher)
    assert order.status is status
    assert order.platform_status == f"{(financial or 'pending').lower()}/{fulfillment.lower()}"


def test_a_rest_order_webhook_reads_current_totals_landing_signals_and_line_totals():
    order = wire.order_from_rest(rest_order(), hasher)
    assert order.total.amount == Decimal("789.53") and order.subtotal.amount == Decimal("664.81")
    assert order.shipping.amount == Decimal("25.00") and order.shipping.currency == "SAR"
    assert order.lines[0].total.amount == Decimal("664.81")  # 2 x 349.90 - 34.99
    assert order.platform_status == "paid/partially_fulfilled" and order.status is OrderStatus.PAID
    assert order.placed_at == datetime(2026, 10, 3, 10, tzinfo=UTC)
    attribution = order.attribution
    assert attribution.utm.source == "tiktok" and attribution.click_ids == {"ttclid": "E.C.P.v3"}
    assert attribution.referrer == "https://www.tiktok.com/" and attribution.landing_site.startswith("/products/")
    assert order.customer_ref == hasher("6660001")  # empty email: the customer id


def test_a_rest_order_without_current_amounts_uses_the_original_ones():
    order = wire.order_from_rest(rest_order(current_total_price=None, current_subtotal_price=None,
                                            cancelled_at="2026-10-04T10:00:00+03:00"), hasher)
    assert order.total.amount == Decimal("800.00") and order.subtotal.amount == Decimal("675.00")
    assert order.status is OrderStatus.CANCELLED


def test_an_order_without_a_total_is_a_platform_error():
    with pytest.raises(PlatformError):
        wire.order_from_graphql(graphql_order(currentTotalPriceSet=None), hasher)
    with pytest.raises(PlatformError):
        wire.order_from_rest(rest_order(created_at=None), hasher)


# Webhooks -----------------------------------------------------------------------------


def signed(body: bytes, secret: str = SECRET, **extra) -> dict[str, str]:
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"X-Shopify-Hmac-Sha256": signature, "X-Shopify-Topic": "products/update",
            "X-Shopify-Shop-Domain": "abaya-house.myshopify.com", "X-Shopify-Webhook-Id": "b54557e4-bdd9",
            "X-Shopify-Event-Id": "98880550-7158", **extra}


def test_a_webhook_signed_with_the_client_secret_verifies(client):
    body = json.dumps(rest_product()).encode()
    assert client.verify_webhook(signed(body), body)
    assert client.verify_webhook({k.lower(): v for k, v in signed(body).items()}, body)


def test_a_webhook_signed_with_the_previous_secret_verifies_during_a_rotation(client):
    body = b'{"id":1}'
    assert client.verify_webhook(signed(body, PREVIOUS), body)


@pytest.mark.parametrize("attack", ["tampered", "wrong secret", "missing header", "hex instead of base64"])
def test_a_webhook_that_is_not_shopifys_is_refused(client, attack):
    body = json.dumps(rest_product()).encode()
    headers = signed(body)
    if attack == "tampered":
        body = body[:40] + bytes([body[40] ^ 0x01]) + body[41:]
    elif attack == "wrong secret":
        headers = signed(body, "someone-else")
    elif attack == "missing header":
        del headers["X-Shopify-Hmac-Sha256"]
    else:
        headers["X-Shopify-Hmac-Sha256"] = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert not client.verify_webhook(headers, body)


def test_webhook_delivery_id_shop_and_freshness(client):
    now = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)
    assert client.webhook_delivery_id(signed(b"")) == "b54557e4-bdd9"
    assert client.webhook_delivery_id({"X-Shopify-Event-Id": "e-1"}) == "e-1"
    with pytest.raises(PlatformError):
        client.webhook_delivery_id({})
    assert client.webhook_shop(signed(b"")) == "abaya-house.myshopify.com"
    assert client.webhook_shop({"X-Shopify-Shop-Domain": "evil.example.com"}) is None
    fresh = {"X-Shopify-Triggered-At": "2026-10-05T11:10:27.877041743Z"}
    assert client.webhook_is_fresh(fresh, now)
    assert client.webhook_is_fresh({}, now)
    assert not client.webhook_is_fresh({"X-Shopify-Triggered-At": (now - timedelta(hours=6)).isoformat()}, now)
    assert not client.webhook_is_fresh({"X-Shopify-Triggered-At": (now + timedelta(minutes=6)).isoformat()}, now)
    assert not client.webhook_is_fresh({"X-Shopify-Triggered-At": "yesterday"}, now)


def test_parse_webhook_for_every_topic(client):
    product = json.dumps(rest_product()).encode()
    change = client.parse_webhook({"X-Shopify-Topic": "products/create"}, product, currency="SAR")
    assert change.kind is ChangeKind.PRODUCT_UPSERTED and change.product.variants[0].price.amount == Decimal("349.90")
    removed = client.parse_webhook({"X-Shopify-Topic": "products/delete"}, b'{"id":8123456789}', currency="SAR")
    assert (removed.kind, removed.external_id) == (ChangeKind.PRODUCT_REMOVED, "8123456789")
    order = client.parse_webhook({"x-shopify-topic": "orders/updated"}, json.dumps(rest_order()).encode(),
                                 currency="USD")
    assert order.kind is ChangeKind.ORDER_UPSERTED and order.order.currency == "SAR"
    gone = client.parse_webhook({"X-Shopify-Topic": "app/uninstalled"}, b'{"id":1}', currency="SAR")
    assert gone.kind is ChangeKind.STORE_UNINSTALLED
    assert client.parse_webhook({"X-Shopify-Topic": "carts/update"}, b"{}", currency="SAR").kind is ChangeKind.IGNORED


def test_a_webhook_body_that_is_not_json_is_a_platform_error(client):
    with pytest.raises(PlatformError, match="not JSON"):
        client.parse_webhook({"X-Shopify-Topic": "orders/create"}, b"<html>", currency="SAR")


# OAuth callback -----------------------------------------------------------------------


def test_the_callback_example_from_shopifys_docs_verifies():
    # shopify.dev's worked example: secret "hush", hmac 700e2d...
    settings = CatalogSettings(service_name="catalog", database_url="postgresql://x/y",
                               kafka_bootstrap_servers="127.0.0.1:1", shopify_client_secret=SecretStr("hush"))
    query = {"code": "0907a61c0c8d55e99db179b68161bc00", "shop": "some-shop.myshopify.com",
             "state": "0.6784241404160823", "timestamp": "1337178173",
             "hmac": "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"}
    client = ShopifyClient(None, settings, hasher)
    signed_at = datetime.fromtimestamp(1337178173, UTC)
    assert client.verify_callback(query, now=signed_at + timedelta(minutes=1))
    assert not client.verify_callback(query, now=signed_at + timedelta(days=2))
    assert not client.verify_callback(query | {"state": "0.6784241404160824"}, now=signed_at)
    assert not client.verify_callback(query | {"shop": "some-shop.evil.com"}, now=signed_at)


def test_the_authorize_url_asks_for_the_scopes_with_state(client):
    url = client.authorize_url(shop="abaya-house.myshopify.com", state="n0nce", redirect_uri="https://api.adly/cb")
    assert url.startswith("https://abaya-house.myshopify.com/admin/oauth/authorize?client_id=client-id&scope=")
    assert "state=n0nce" in url and "redirect_uri=https%3A%2F%2Fapi.adly%2Fcb" in url
    with pytest.raises(PlatformError):
        client.authorize_url(shop="evil.com/x?.myshopify.com", state="s", redirect_uri="https://api.adly/cb")


@pytest.mark.parametrize(("shop", "valid"), [
    ("abaya-house.myshopify.com", True), ("a1.myshopify.com", True), ("-bad.myshopify.com", False),
    ("Abaya.myshopify.com", False), ("abaya.myshopify.com.evil.com", False), ("abaya.shopify.com", False), ("", False),
])
def test_shop_domains(shop, valid):
    assert valid_shop_domain(shop) is valid


# Cost signals -------------------------------------------------------------------------


def test_a_throttle_status_tells_how_long_until_the_same_query_fits():
    cost = wire.Cost(requested=500, available=100, maximum=2000, restore_rate=100)
    assert cost.wait_before(0) == pytest.approx(4.0)
    assert cost.wait_before(1.5) == pytest.approx(2.5)
    assert cost.wait_before(10) == 0
    assert wire.Cost(requested=5000, available=0, maximum=2000, restore_rate=100).wait_before(0) == 20


def test_a_refused_query_shrinks_to_what_fits_or_at_least_half():
    assert wire.smaller_page(250, wire.QueryTooCostly(cost=56753, max_cost=1000)) == 4
    assert wire.smaller_page(250, wire.QueryTooCostly(cost=1200, max_cost=1000)) == 125
    assert wire.smaller_page(3, wire.QueryTooCostly(cost=None, max_cost=None)) == 1


def test_a_direct_return_visit_does_not_hide_the_ad_that_brought_the_customer():
    journey = graphql_order()["customerJourneySummary"] | {
        "lastVisit": visit("https://shop.example.com/cart", None, source="direct", at="2026-10-03T09:50:00Z")}
    attribution = wire.order_from_graphql(graphql_order(customerJourneySummary=journey), hasher).attribution
    assert attribution.utm.source == "facebook" and attribution.utm.campaign == "eid_sale"
    assert attribution.referrer == "https://l.facebook.com/" and attribution.last_visit.source == "direct"


NOT_APPROVED = "This app is not approved to access the Customer object. See https://partners.shopify.com/1/apps/2/customer_data"


@pytest.mark.parametrize(("error", "redacted"), [
    ({"message": NOT_APPROVED, "path": ["customer", "phone"]}, True),  # shopify.dev's own example: no code
    ({"message": "Access denied", "path": ["orders", "nodes", 3, "email"], "extensions": {"code": "ACCESS_DENIED"}}, True),
    ({"message": NOT_APPROVED, "path": ["orders", "edges", 0, "node", "customer"],
      "extensions": {"code": "ACCESS_DENIED"}}, True),
    ({"message": NOT_APPROVED, "path": ["orders", "nodes", 0, "customer", "id"]}, True),
    ({"message": "Access denied for orders field.", "path": ["orders"], "extensions": {"code": "ACCESS_DENIED"}}, False),
    ({"message": "Access denied", "path": ["orders", "nodes", 0, "totalPriceSet"],
      "extensions": {"code": "ACCESS_DENIED"}}, False),
    ({"message": "Internal error", "path": ["orders", "nodes", 0, "email"],
      "extensions": {"code": "INTERNAL_SERVER_ERROR"}}, False),
    ({"message": "Throttled", "extensions": {"code": "THROTTLED"}}, False),
    ({"message": NOT_APPROVED}, False),  # no path: the whole query
])
def test_only_a_refused_customer_field_of_a_returned_object_counts_as_redacted(error, redacted):
    assert wire.redacted(error) is redacted
