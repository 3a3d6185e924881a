"""WooCommerce's wire format (WP REST `wc/v3`) turned into CatalogProduct / CatalogOrder, and
its webhooks verified and read. Pure functions: no I/O here (the client is woocommerce.py).

What was checked in WooCommerce's own source (woocommerce/woocommerce, plugins/woocommerce):
- `includes/class-wc-webhook.php`: deliveries carry X-WC-Webhook-Source/-Topic/-Resource/-Event/
  -Signature/-ID/-Delivery-ID; signature = base64(HMAC-SHA256(secret, raw JSON body)); a deleted
  resource's payload is only `{"id": N}`; every other payload is the REST GET of the resource.
  `product.*` topics also fire for *variations* (the payload is then the variation, `type:
  "variation"`, with `parent_id`), and a variable product's payload lists only variation ids: both
  need a re-read (`webhook_needs_refetch`). `product.deleted` / `order.deleted` fire on *trash*;
  `product.restored` / `order.restored` on untrash. The ping sent when a webhook is saved is a
  form body `webhook_id=N` with no X-WC-Webhook-* header at all and no signature (`is_ping`).
  The delivery id is `wp_hash(webhook_id . time())`: two deliveries of one webhook in the same
  second share it, so our idempotency key adds a hash of the body (`webhook_delivery_id`).
- `src/Internal/Traits/OrderAttributionMeta.php` (WC >= 8.5): order meta keys are
  `_wc_order_attribution_` + source_type, referrer, utm_campaign/source/medium/content/id/term,
  session_entry (landing URL), session_start_time, session_pages, session_count, user_agent,
  device_type; a missing value is stored as or sent as "(none)".
Decisions: an order line's `unit_price` is the pre-discount unit price (line `subtotal` /
quantity, at the subtotal's precision), not Woo's float `price` (post-discount, unrounded);
`total` is the line total after discounts. A simple product's one variant has the product's id,
so order lines of simple products point at it. Private (disabled) variations are left out.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from adly_catalog.adapters.platforms.common import merge_utm, money, parse_time, signature_matches_base64, url_signals
from adly_catalog.domain.platform import (
    ChangeKind,
    CredentialsRejected,
    CustomerHasher,
    PlatformError,
    RateLimited,
    WebhookChange,
)
from adly_events.contracts.catalog import (
    CatalogOrder,
    CatalogProduct,
    OrderAttribution,
    OrderLine,
    OrderStatus,
    ProductImage,
    ProductOption,
    ProductStatus,
    ProductVariant,
    UtmParameters,
    Visit,
)
from adly_events.contracts.common import Money
from adly_kit.outbound import Reply, retry_after_seconds

PRODUCT_STATUS = {
    "publish": ProductStatus.ACTIVE,
    "draft": ProductStatus.DRAFT,
    "pending": ProductStatus.DRAFT,
    "private": ProductStatus.DRAFT,
    "future": ProductStatus.DRAFT,
    "trash": ProductStatus.ARCHIVED,
}
ORDER_STATUS = {
    "pending": OrderStatus.PENDING,
    "on-hold": OrderStatus.PENDING,
    "checkout-draft": OrderStatus.PENDING,
    "processing": OrderStatus.PAID,
    "completed": OrderStatus.FULFILLED,
    "cancelled": OrderStatus.CANCELLED,
    "trash": OrderStatus.CANCELLED,
    "refunded": OrderStatus.REFUNDED,
    "failed": OrderStatus.FAILED,
}
ATTRIBUTION = "_wc_order_attribution_"
UTM_FIELDS = ("source", "medium", "campaign", "content", "term")


# -- reading replies ---------------------------------------------------------------------------

def read_json(body: bytes, what: str = "response") -> Any:
    """JSON from WooCommerce; a BOM (common on PHP hosts) is tolerated, anything else is an error."""
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise PlatformError(
            f"WooCommerce sent a {what} that is not JSON: a caching or security plugin may be answering "
            "in place of the REST API",
            retryable=True,
        ) from None


def list_body(reply: Reply) -> list[Any]:
    items = read_json(reply.body)
    if not isinstance(items, list):
        raise PlatformError("WooCommerce sent an object where a list was expected")
    return items


def object_body(reply: Reply) -> Mapping[str, Any]:
    data = read_json(reply.body)
    if not isinstance(data, Mapping):
        raise PlatformError("WooCommerce sent a list where an object was expected")
    return data


def error_of(reply: Reply) -> tuple[str | None, str | None]:
    """Woo's `{code, message, data}`; only its short message is ever repeated, never a body."""
    try:
        data = read_json(reply.body)
    except PlatformError:
        return None, None
    if not isinstance(data, Mapping):
        return None, None
    message = data.get("message")
    message = html.unescape(message).strip()[:200] if isinstance(message, str) else None
    return (str(data["code"]) if data.get("code") else None), message


def raise_for(reply: Reply) -> None:
    """Woo's errors as the catalog's: 401 (and Woo's own 403s) mean the keys; 429, or 503 with
    Retry-After (a host's firewall), mean throttling Outbound could not wait out."""
    if 200 <= reply.status < 300:
        return
    code, message = error_of(reply)
    status = reply.status
    if status == 401 or (status == 403 and (code or "").startswith("woocommerce_rest_")):
        raise CredentialsRejected(message or "WooCommerce refused the API keys", status=status)
    wait = retry_after_seconds(reply.headers)
    if status == 429 or (status == 503 and wait is not None):
        raise RateLimited(f"the store is throttling ADLY (HTTP {status})", retry_after=wait if wait is not None else 60.0)
    if status == 404 and code == "rest_no_route":
        raise PlatformError("The store has no WooCommerce REST API at this address (is WooCommerce active?)", status=404)
    if status == 403:
        raise PlatformError("The store's firewall or a security plugin refused ADLY (HTTP 403)", status=403)
    detail = f": {message}" if message else ""
    raise PlatformError(f"WooCommerce answered HTTP {status}{detail}", retryable=status >= 500, status=status)


def required(raw: Mapping[str, Any], key: str, what: str) -> Any:
    value = raw.get(key) if isinstance(raw, Mapping) else None
    if value is None or value == "":
        raise PlatformError(f"WooCommerce {what} without `{key}`")
    return value


def optional_id(value: Any) -> str | None:
    """Woo ids are integers; 0 means none (a deleted product on an order line, a guest)."""
    return str(value) if value not in (None, "", 0, "0") else None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _required_money(amount: Any, currency: str, what: str) -> Money:
    value = money(amount, currency)
    if value is None:
        raise PlatformError(f"WooCommerce {what} without an amount")
    return value


# -- products ---------------------------------------------------------------------------------

def is_variable(raw: Mapping[str, Any]) -> bool:
    """A variable product's own payload has no variant prices: its variations must be read."""
    return raw.get("type") == "variable"


def parse_product(raw: Mapping[str, Any], currency: str,
                  variations: list[Mapping[str, Any]] | None = None) -> CatalogProduct:
    external_id = str(required(raw, "id", "product"))
    status = PRODUCT_STATUS.get(raw.get("status") or "", ProductStatus.DRAFT)
    return CatalogProduct(
        external_id=external_id,
        name=_text(raw.get("name")) or external_id,
        description=_text(raw.get("description")),
        handle=_text(raw.get("slug")),
        url=_text(raw.get("permalink")),
        status=status,
        vendor=_first_name(raw.get("brands")),
        product_type=_first_name(raw.get("categories")),
        tags=[tag["name"] for tag in raw.get("tags") or [] if isinstance(tag, Mapping) and tag.get("name")],
        options=_options(raw) if is_variable(raw) else [],
        variants=_variants(raw, currency, variations),
        images=_images(raw.get("images")),
        updated_at=parse_time(raw.get("date_modified_gmt")),
    )


def _first_name(terms: Any) -> str | None:
    for term in terms or []:
        if isinstance(term, Mapping) and _text(term.get("name")):
            return term["name"].strip()
    return None


def _options(raw: Mapping[str, Any]) -> list[ProductOption]:
    """Only attributes "used for variations" define variants; the others are specifications."""
    return [
        ProductOption(name=attribute["name"], values=[str(v) for v in attribute.get("options") or []])
        for attribute in raw.get("attributes") or []
        if isinstance(attribute, Mapping) and attribute.get("variation") and attribute.get("name")
    ]


def _images(images: Any) -> list[ProductImage]:
    return [
        ProductImage(url=image["src"], alt=_text(image.get("alt")), position=position)
        for position, image in enumerate(i for i in images or [] if isinstance(i, Mapping) and i.get("src"))
    ]


def _variants(raw: Mapping[str, Any], currency: str, variations: list[Mapping[str, Any]] | None) -> list[ProductVariant]:
    if not is_variable(raw):
        variant = _variant(raw, currency, parent=None)
        return [variant] if variant else []
    built = (_variant(v, currency, parent=raw) for v in variations or [] if v.get("status") != "private")
    return [variant for variant in built if variant]


def _variant(raw: Mapping[str, Any], currency: str, parent: Mapping[str, Any] | None) -> ProductVariant | None:
    """None when nothing can be bought (no price set: grouped products, unpriced variations)."""
    price = money(raw.get("price") or raw.get("regular_price"), currency)
    if price is None:
        return None
    regular = money(raw.get("regular_price"), currency)
    options = {a["name"]: str(a["option"]) for a in raw.get("attributes") or [] if a.get("name") and a.get("option")}
    return ProductVariant(
        external_id=str(required(raw, "id", "variation" if parent else "product")),
        sku=_text(raw.get("sku")),
        title=" / ".join(options.values()) or None if parent else None,
        price=price,
        compare_at_price=regular if regular and regular.amount > price.amount else None,
        inventory_quantity=_stock(raw, parent),
        options=options if parent else {},
    )


def _stock(raw: Mapping[str, Any], parent: Mapping[str, Any] | None) -> int | None:
    """`manage_stock` is true, false, or (variations) "parent": the parent's stock applies."""
    managed = raw.get("manage_stock")
    quantity = raw.get("stock_quantity")
    if managed == "parent" and parent is not None:
        managed, quantity = parent.get("manage_stock"), quantity if quantity is not None else parent.get("stock_quantity")
    if managed not in (True, "parent") or quantity is None:
        return None
    try:
        return int(quantity)
    except (TypeError, ValueError):
        raise PlatformError(f"WooCommerce stock quantity is not a number: {quantity!r}") from None


# -- orders -----------------------------------------------------------------------------------

def parse_order(raw: Mapping[str, Any], hash_customer: CustomerHasher) -> CatalogOrder:
    currency = str(required(raw, "currency", "order")).upper()
    total = _required_money(required(raw, "total", "order"), currency, "order total")
    lines = [_line(item, currency) for item in raw.get("line_items") or []]
    platform_status = str(required(raw, "status", "order"))
    return CatalogOrder(
        external_id=str(required(raw, "id", "order")),
        number=optional_id(raw.get("number")),
        status=_order_status(raw, platform_status, total),
        platform_status=platform_status,
        currency=currency,
        subtotal=_order_subtotal(raw, currency),
        total=total,
        tax=money(raw.get("total_tax"), currency),
        discounts=money(raw.get("discount_total"), currency),
        shipping=money(raw.get("shipping_total"), currency),
        lines=lines,
        customer_ref=_customer(raw, hash_customer),
        placed_at=parse_time(required(raw, "date_created_gmt", "order")),
        updated_at=parse_time(raw.get("date_modified_gmt")),
        attribution=parse_attribution(raw.get("meta_data")),
    )


def _order_status(raw: Mapping[str, Any], status: str, total: Money) -> OrderStatus:
    """A refund smaller than the order leaves Woo's status as it was: that is a partial refund.
    Statuses added by plugins ("shipped", ...) count as paid once Woo recorded a payment date."""
    mapped = ORDER_STATUS.get(status) or (OrderStatus.PAID if raw.get("date_paid_gmt") else OrderStatus.PENDING)
    refunded = sum((abs(_decimal(r.get("total"))) for r in raw.get("refunds") or [] if isinstance(r, Mapping)), Decimal(0))
    if mapped in (OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.PENDING) and 0 < refunded < total.amount:
        return OrderStatus.PARTIALLY_REFUNDED
    return mapped


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise PlatformError(f"not an amount: {value!r}") from None


def _subtotal(item: Mapping[str, Any], currency: str) -> Money:
    return _required_money(item.get("subtotal") or item.get("total"), currency, "order line")


def _sum(values) -> Decimal:
    return sum(values, Decimal(0))


def _order_subtotal(raw: Mapping[str, Any], currency: str) -> Money | None:
    """Woo orders have no subtotal field: the sum of the lines' pre-discount subtotals."""
    items = [item for item in raw.get("line_items") or [] if isinstance(item, Mapping)]
    if not items:
        return None
    return Money(amount=_sum(_subtotal(item, currency).amount for item in items), currency=currency)


def _line(item: Mapping[str, Any], currency: str) -> OrderLine:
    quantity = int(required(item, "quantity", "order line"))
    subtotal = _subtotal(item, currency)
    product_id, variation_id = optional_id(item.get("product_id")), optional_id(item.get("variation_id"))
    return OrderLine(
        product_external_id=product_id,
        variant_external_id=variation_id or product_id,
        sku=_text(item.get("sku")),
        name=_text(item.get("name")),
        quantity=max(quantity, 0),
        unit_price=_unit_price(subtotal, quantity, item.get("price"), currency),
        total=_required_money(item.get("total"), currency, "order line total"),
    )


def _unit_price(subtotal: Money, quantity: int, price: Any, currency: str) -> Money:
    if quantity <= 0:
        return money(price, currency) or Money(amount=Decimal(0), currency=currency)
    exponent = Decimal(1).scaleb(min(subtotal.amount.as_tuple().exponent, -2))
    unit = (subtotal.amount / quantity).quantize(exponent, rounding=ROUND_HALF_EVEN)
    return Money(amount=unit, currency=currency)


def _customer(raw: Mapping[str, Any], hash_customer: CustomerHasher) -> str | None:
    billing = raw.get("billing") if isinstance(raw.get("billing"), Mapping) else {}
    email = _text(billing.get("email"))
    identifier = email.lower() if email else optional_id(raw.get("customer_id"))
    return hash_customer(identifier) if identifier else None


def parse_attribution(meta_data: Any) -> OrderAttribution:
    meta = _attribution_meta(meta_data)
    landing = meta.get("session_entry")
    landing_utm, click_ids = url_signals(landing)
    utm = merge_utm(UtmParameters(**{k: meta.get(f"utm_{k}") for k in UTM_FIELDS}), landing_utm)
    source = meta.get("source_type")
    visit = Visit(landing_page=landing, referrer=meta.get("referrer"), source=meta.get("utm_source"), utm=utm)
    return OrderAttribution(
        landing_site=landing,
        referrer=meta.get("referrer"),
        source_name=source,
        utm=utm,
        click_ids=click_ids,
        device_type=meta.get("device_type"),
        # Woo keeps the converting session only (sourcebuster's "current" touch); its start
        # time is the browser's local clock without a zone, so it is not given as a time.
        last_visit=visit if meta else None,
    )


def _attribution_meta(meta_data: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for entry in meta_data or []:
        if not isinstance(entry, Mapping) or not str(entry.get("key", "")).startswith(ATTRIBUTION):
            continue
        value = entry.get("value")
        if value is not None and str(value).strip() not in ("", "(none)"):
            found[entry["key"][len(ATTRIBUTION):]] = str(value).strip()
    return found


# -- webhooks ---------------------------------------------------------------------------------

def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


def verify_webhook(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    """X-WC-Webhook-Signature: base64(HMAC-SHA256(the webhook's secret, raw body))."""
    return signature_matches_base64(secret, body, _header(headers, "X-WC-Webhook-Signature"))


def is_ping(headers: Mapping[str, str], body: bytes) -> bool:
    """The unsigned `webhook_id=N` Woo posts when a webhook is saved; answer it 200 unverified."""
    if _header(headers, "X-WC-Webhook-Signature"):
        return False
    fields = dict(parse_qsl(body.decode("utf-8", errors="replace").strip()))
    return list(fields) == ["webhook_id"] and fields["webhook_id"].isdigit()


def webhook_delivery_id(headers: Mapping[str, str], body: bytes) -> str:
    """Woo's delivery id is a hash of the webhook id and the current second, so it is shared by
    two different deliveries in one second: the body's hash keeps them apart, while an identical
    redelivery still maps to the same key."""
    delivery = (
        _header(headers, "X-WC-Webhook-Delivery-ID")
        or _header(headers, "X-WC-Delivery-ID")
        or f"webhook-{_header(headers, 'X-WC-Webhook-ID') or 'unknown'}"
    )
    return f"{delivery.strip()}:{hashlib.sha256(body).hexdigest()[:32]}"


def parse_webhook(headers: Mapping[str, str], body: bytes, *, currency: str, hash_customer: CustomerHasher) -> WebhookChange:
    """What a (verified) delivery changed. `currency` is the store's, for product prices."""
    topic = (_header(headers, "X-WC-Webhook-Topic") or "").strip().lower()
    resource, _, event = topic.partition(".")
    events = ("created", "updated", "deleted", "restored")
    if is_ping(headers, body) or resource not in ("product", "order") or event not in events:
        return WebhookChange(kind=ChangeKind.IGNORED)
    delivered = read_json(body, "webhook body")
    if not isinstance(delivered, Mapping):
        raise PlatformError("WooCommerce webhook body is not an object")
    if resource == "order":
        if event == "deleted":  # trashed: orders are never removed from ADLY
            return WebhookChange(kind=ChangeKind.IGNORED)
        return WebhookChange(kind=ChangeKind.ORDER_UPSERTED, order=parse_order(delivered, hash_customer))
    return _product_change(delivered, event, currency)


def _product_change(payload: Mapping[str, Any], event: str, currency: str) -> WebhookChange:
    external_id = str(required(payload, "id", "webhook product"))
    if event == "deleted":
        return WebhookChange(kind=ChangeKind.PRODUCT_REMOVED, external_id=external_id)
    if payload.get("type") == "variation":
        external_id = optional_id(payload.get("parent_id")) or external_id
        return WebhookChange(kind=ChangeKind.PRODUCT_UPSERTED, external_id=external_id)
    if is_variable(payload):
        return WebhookChange(kind=ChangeKind.PRODUCT_UPSERTED, external_id=external_id)
    return WebhookChange(kind=ChangeKind.PRODUCT_UPSERTED, product=parse_product(payload, currency), external_id=external_id)


def webhook_needs_refetch(change: WebhookChange) -> bool:
    """True for a variable product or one of its variations: the payload cannot give the variants,
    so `WooCommerceClient.fetch_product(store, credentials, change.external_id)` must be read."""
    return change.kind == ChangeKind.PRODUCT_UPSERTED and change.product is None
