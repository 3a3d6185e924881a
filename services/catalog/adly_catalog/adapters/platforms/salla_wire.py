"""Salla's wire format into the published CatalogProduct / CatalogOrder: pure functions, no I/O.

The shapes below follow the examples in docs.salla.dev (List Products, Product Details, Order
Details, List Order Items, the `order.created` / `product.created` webhook models, User
Information, Store Information) and real clients (Odoo/ERPNext Salla connectors). Where a
field is read on weaker evidence it says UNVERIFIED.

- Money is an object `{"amount": 66, "currency": "SAR"}` in major units; amounts are JSON
  numbers, so bodies are parsed with `parse_float=Decimal` and never pass through a float.
  Order tax is nested: `{"percent": "15.00", "amount": {"amount": 22.5, "currency": "SAR"}}`;
  order `discounts` is a list of `{"title", "code", "discount": "5.00"}`.
- Product `price` is the regular price; a positive `sale_price` below it is what the customer
  pays (`regular_price` mirrors `price`). Variants are `skus[]` (`price`, `regular_price`,
  `sale_price`, `stock_quantity`, `unlimited_quantity`, `sku`, `related_option_values` = ids
  of `options[].values[]`); a product without skus becomes one variant carrying its own id.
- Product `status`: `sale` and `out` are published (out of stock), `hidden` is a draft,
  `deleted` is archived.
- Names: one language per response (`Accept-Language`, default `ar`); there is no
  `translations` field in responses, so other languages come from a second request.
- Times: Laravel's `{"date": "2022-06-15 10:42:53.000000", "timezone_type": 3,
  "timezone": "Asia/Riyadh"}`; a bare "2022-12-31 12:31:25" is store time (Riyadh).
- Order items: `product.id`, `sku`, `quantity`, `amounts.price_without_tax` (the unit price)
  and `amounts.total`. The variant (sku) id of a line is not in the documented examples:
  `product_sku_id` / `sku_id` are read if present (UNVERIFIED).
- Attribution: `source` ("store", "dashboard"...), `source_device`, and `source_details`
  `{type, value, device, user-agent, ip}`. `value` is read as the referrer when it is a URL,
  and UTM / click ids are taken from it and from any `utm_*` / `landing_page` keys (UNVERIFIED:
  the documented examples only show `type: "direct"` with `value: null`). The customer's IP
  and user agent are never copied.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adly_catalog.adapters.platforms.common import CLICK_ID_PARAMETERS, merge_utm, money, url_signals
from adly_catalog.domain.platform import Credentials, CustomerHasher, PlatformError
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
)
from adly_events.contracts.common import Money

T = TypeVar("T")

DEFAULT_LANGUAGE = "ar"  # what Salla answers in when no Accept-Language is sent
STORE_ZONE = "Asia/Riyadh"
# Gulf zones keep no daylight saving, so a fixed offset is exact if the image lacks tzdata.
_GULF_HOURS = {"Asia/Riyadh": 3, "Asia/Kuwait": 3, "Asia/Qatar": 3, "Asia/Bahrain": 3, "Asia/Aden": 3,
               "Asia/Baghdad": 3, "Asia/Dubai": 4, "Asia/Muscat": 4}
_TEN_YEARS = 10 * 365 * 24 * 3600  # an `expires` below this is a duration, above it a timestamp

_PRODUCT_STATUS = {"sale": ProductStatus.ACTIVE, "out": ProductStatus.ACTIVE,
                   "hidden": ProductStatus.DRAFT, "deleted": ProductStatus.ARCHIVED}
ORDER_STATUS = {
    "payment_pending": OrderStatus.PENDING,
    "waiting_for_payment_confirmation": OrderStatus.PENDING,
    "under_review": OrderStatus.PENDING,        # placed, waiting for the merchant's review
    "payment_failed": OrderStatus.FAILED,
    "in_progress": OrderStatus.PAID,            # accepted and being prepared
    "shipped": OrderStatus.FULFILLED,
    "delivering": OrderStatus.FULFILLED,
    "delivered": OrderStatus.FULFILLED,
    "completed": OrderStatus.FULFILLED,
    "restoring": OrderStatus.FULFILLED,         # a return in progress: the money is not back yet
    "restored": OrderStatus.REFUNDED,
    "refunded": OrderStatus.REFUNDED,
    "canceled": OrderStatus.CANCELLED,
    "cancelled": OrderStatus.CANCELLED,
}


def malformed(what: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """A payload missing what we need is the platform's error, never a raw KeyError."""

    def wrap(parse: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(parse)
        def guarded(*args: Any, **kwargs: Any) -> T:
            try:
                return parse(*args, **kwargs)
            except PlatformError:
                raise
            except (KeyError, TypeError, AttributeError, ValueError, ArithmeticError) as error:
                raise PlatformError(f"Salla sent a malformed {what}: {type(error).__name__}: {error}") from None

        return guarded

    return wrap


def load(body: bytes) -> Any:
    try:
        return json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise PlatformError("Salla sent a body that is not JSON") from None


def error_message(body: bytes) -> str | None:
    """The message of Salla's `{"error": {"code", "message", "fields"}}` or OAuth's `{"error", "error_description"}`."""
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(error, dict):
        fields = error.get("fields")
        suffix = f" {json.dumps(fields, ensure_ascii=False)}" if fields else ""
        return f"{error.get('code') or 'error'}: {error.get('message') or ''}{suffix}"
    if isinstance(error, str):
        return f"{error}: {parsed.get('error_description') or ''}".rstrip(": ")
    return None


def text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def zone(name: str | None) -> tzinfo:
    name = name or STORE_ZONE
    if name.upper() in ("UTC", "Z", "GMT"):
        return UTC
    if name[:1] in "+-":
        return datetime.strptime(name.replace(":", ""), "%z").tzinfo
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name in _GULF_HOURS:
            return timezone(timedelta(hours=_GULF_HOURS[name]))
        raise PlatformError(f"Salla sent an unknown time zone: {name!r}") from None


def salla_time(value: Any) -> datetime | None:
    """Aware UTC from Laravel's date object, an ISO string, or a zone-less store-time string."""
    if value in (None, ""):
        return None
    if isinstance(value, Mapping):
        value, zone_name = value.get("date"), value.get("timezone")
    else:
        zone_name = None
    if not isinstance(value, str):
        raise PlatformError(f"Salla sent a time that is not a string: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise PlatformError(f"Salla sent an unreadable time: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(zone_name))
    return parsed.astimezone(UTC)


def amount(value: Any, currency: str | None) -> Money | None:
    """`{"amount", "currency"}`, the nested tax shape, or a bare number in `currency`."""
    if value is None or value == "":
        return None
    if isinstance(value, Mapping):
        inner = value.get("amount")
        if isinstance(inner, Mapping):
            return amount(inner, currency)
        return amount(inner, value.get("currency") or currency)
    if isinstance(value, bool) or not currency:
        raise PlatformError(f"Salla sent an amount without a currency: {value!r}")
    return money(value, currency)


def _currency(raw: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        found = raw.get(key)
        if isinstance(found, Mapping) and found.get("currency"):
            return str(found["currency"])
        if isinstance(found, str) and found:
            return found
    return None


# --- products ---------------------------------------------------------------------------


@malformed("product")
def product(raw: Mapping[str, Any], *, language: str = DEFAULT_LANGUAGE,
            translations: Mapping[str, str | None] | None = None) -> CatalogProduct:
    """A product from one response in `language`; `translations` are its names in other languages."""
    currency = _currency(raw, "price", "regular_price", "currency")
    options, chosen = _options(raw.get("options") or [])
    name, brand = str(raw["name"]), raw.get("brand")
    # Salla answers with the main name when a product has no translation: that is not one.
    names = {language: name} | {lang: str(n) for lang, n in (translations or {}).items()
                                if n and lang != language and str(n) != name}
    return CatalogProduct(
        external_id=str(raw["id"]),
        name=name,
        names=names,
        description=text(raw.get("description")),
        url=text((raw.get("urls") or {}).get("customer")) or text(raw.get("url")),
        status=_PRODUCT_STATUS.get(str(raw.get("status")), ProductStatus.DRAFT),
        vendor=text(brand.get("name")) if isinstance(brand, Mapping) else None,
        product_type=text(raw.get("type")),
        tags=[str(t["name"]) if isinstance(t, Mapping) else str(t) for t in raw.get("tags") or []],
        options=options,
        variants=_variants(raw, currency, chosen),
        images=_images(raw.get("images") or []),
        updated_at=salla_time(raw.get("updated_at")),
    )


def _prices(raw: Mapping[str, Any], currency: str | None, fallback: Money | None = None) -> tuple[Money, Money | None]:
    """(what the customer pays, the struck-through regular price or None)."""
    price = amount(raw.get("price"), currency) or fallback
    if price is None:
        raise PlatformError("Salla sent a product without a price")
    regular = amount(raw.get("regular_price"), currency) or price
    sale = amount(raw.get("sale_price"), currency)
    paid = sale if sale is not None and 0 < sale.amount < price.amount else price
    return paid, regular if regular.amount > paid.amount else None


def _stock(raw: Mapping[str, Any], key: str) -> int | None:
    if raw.get("unlimited_quantity") or raw.get(key) in (None, ""):
        return None
    return int(raw[key])


def _options(raw: list[Mapping[str, Any]]) -> tuple[list[ProductOption], dict[str, tuple[str, str]]]:
    """The options, and option-value id -> (option name, value name) for reading skus."""
    options, chosen = [], {}
    for option in raw:
        values = option.get("values") or []
        options.append(ProductOption(name=str(option["name"]), values=[str(v["name"]) for v in values]))
        chosen |= {str(v["id"]): (str(option["name"]), str(v["name"])) for v in values if v.get("id") is not None}
    return options, chosen


def _variants(raw: Mapping[str, Any], currency: str | None, chosen: dict[str, tuple[str, str]]) -> list[ProductVariant]:
    base, compare = _prices(raw, currency)
    skus = raw.get("skus") or []
    if not skus:
        return [ProductVariant(external_id=str(raw["id"]), sku=text(raw.get("sku")), price=base,
                               compare_at_price=compare, inventory_quantity=_stock(raw, "quantity"))]
    return [_variant(sku, currency, chosen, base) for sku in skus]


def _variant(sku: Mapping[str, Any], currency: str | None, chosen: dict[str, tuple[str, str]],
             base: Money) -> ProductVariant:
    price, compare = _prices(sku, currency, fallback=base)
    picked = [chosen[str(v)] for v in sku.get("related_option_values") or [] if str(v) in chosen]
    return ProductVariant(
        external_id=str(sku["id"]),
        sku=text(sku.get("sku")),
        title=" / ".join(value for _, value in picked) or None,
        price=price,
        compare_at_price=compare,
        inventory_quantity=_stock(sku, "stock_quantity"),
        options=dict(picked),
    )


def _images(raw: list[Mapping[str, Any]]) -> list[ProductImage]:
    """Pictures only (not videos), the main one first, then by Salla's `sort`."""
    pictures = [(i, image) for i, image in enumerate(raw) if image.get("url") and image.get("type", "image") == "image"]
    pictures.sort(key=lambda pair: (not pair[1].get("main"), int(pair[1].get("sort") or 0), pair[0]))
    return [ProductImage(url=str(image["url"]), alt=text(image.get("alt")), position=position)
            for position, (_, image) in enumerate(pictures)]


# --- orders -----------------------------------------------------------------------------


def order_status(slug: str | None) -> OrderStatus:
    # A merchant's custom status keeps its parent's `slug`; an unknown one waits as pending.
    return ORDER_STATUS.get((slug or "").strip().lower(), OrderStatus.PENDING)


@malformed("order")
def order(raw: Mapping[str, Any], hash_customer: CustomerHasher) -> CatalogOrder:
    """A full order (Order Details, or a webhook's `data`), not a list summary."""
    amounts = raw.get("amounts") or {}
    currency = text(raw.get("currency")) or _currency(amounts, "total") or _currency(raw, "total")
    total = amount(amounts.get("total") if amounts else raw.get("total"), currency)
    if total is None or currency is None:
        raise PlatformError(f"Salla sent order {raw.get('id')!r} without a total")
    status = raw.get("status") or {}
    return CatalogOrder(
        external_id=str(raw["id"]),
        number=text(raw.get("reference_id")),
        status=order_status(status.get("slug")),
        platform_status=str(status.get("slug") or status.get("name") or "unknown"),
        currency=currency,
        subtotal=amount(amounts.get("sub_total"), currency),
        total=total,
        tax=amount(amounts.get("tax"), currency),
        discounts=_discounts(amounts.get("discounts"), currency),
        shipping=amount(amounts.get("shipping_cost"), currency),
        lines=[_line(item, currency) for item in raw.get("items") or []],
        customer_ref=_customer_ref(raw.get("customer"), hash_customer),
        placed_at=salla_time(raw["date"]),
        updated_at=salla_time(raw.get("updated_at")),
        attribution=attribution(raw),
    )


def _discounts(raw: Any, currency: str) -> Money | None:
    if isinstance(raw, list):  # [{"title", "code", "discount": "5.00", ...}]
        return Money(amount=sum((Decimal(str(d.get("discount") or 0)) for d in raw), Decimal(0)), currency=currency)
    return amount(raw, currency)


def _line(item: Mapping[str, Any], currency: str) -> OrderLine:
    amounts = item.get("amounts") or {}
    quantity = int(item.get("quantity") or 0)
    unit = amount(amounts.get("price_without_tax"), currency) or amount(item.get("price"), currency)
    if unit is None:
        raise PlatformError(f"Salla sent order item {item.get('id')!r} without a price")
    total = amount(amounts.get("total"), currency) or Money(amount=unit.amount * quantity, currency=unit.currency)
    product_ref = item.get("product")
    return OrderLine(
        product_external_id=text(product_ref.get("id") if isinstance(product_ref, Mapping) else item.get("product_id")),
        variant_external_id=text(item.get("product_sku_id") or item.get("sku_id")),
        sku=text(item.get("sku")),
        name=text(item.get("name")),
        quantity=quantity,
        unit_price=unit,
        total=total,
    )


def _customer_ref(customer: Any, hash_customer: CustomerHasher) -> str | None:
    if not isinstance(customer, Mapping):
        return None
    email = (text(customer.get("email")) or "").strip().lower()
    identity = email or text(customer.get("id"))
    return hash_customer(identity) if identity else None


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith(("http://", "https://"))


def attribution(raw: Mapping[str, Any]) -> OrderAttribution:
    details = raw.get("source_details") if isinstance(raw.get("source_details"), Mapping) else {}
    kind, value = text(details.get("type")) or text(raw.get("source")), text(details.get("value"))
    referrer = value if _is_url(value) else text(details.get("referrer"))
    landing = text(details.get("landing_page") or details.get("landing_url"))
    direct = UtmParameters(**{k: text(details.get(f"utm_{k}")) for k in UtmParameters.model_fields})
    utm_landing, clicks_landing = url_signals(landing)
    utm_referrer, clicks_referrer = url_signals(referrer)
    clicks = clicks_referrer | clicks_landing | {n: str(details[n]) for n in CLICK_ID_PARAMETERS if details.get(n)}
    return OrderAttribution(
        landing_site=landing,
        referrer=referrer,
        source_name=f"{kind}/{value}" if kind and value and not _is_url(value) else kind,
        utm=merge_utm(merge_utm(direct, utm_landing), utm_referrer),
        click_ids=clicks,
        device_type=text(details.get("device")) or text(raw.get("source_device")),
    )


# --- tokens and identity ----------------------------------------------------------------


@malformed("token")
def credentials(body: Mapping[str, Any], now: datetime) -> Credentials:
    """Salla's `expires` is a UNIX timestamp; `expires_in` (or a small `expires`) is a duration."""
    if not body.get("access_token"):
        raise PlatformError("Salla's token answer has no access_token")
    if body.get("expires_in") not in (None, ""):
        expires_at = now + timedelta(seconds=int(body["expires_in"]))
    elif body.get("expires") not in (None, ""):
        expires = int(body["expires"])
        expires_at = datetime.fromtimestamp(expires, UTC) if expires > _TEN_YEARS else now + timedelta(seconds=expires)
    else:
        expires_at = None
    return Credentials(access_token=str(body["access_token"]), refresh_token=text(body.get("refresh_token")),
                       expires_at=expires_at, scope=text(body.get("scope")))


@malformed("user info")
def merchant(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """`merchant` of /oauth2/user/info, with or without the `data` envelope (sources disagree)."""
    user = body["data"] if isinstance(body.get("data"), Mapping) else body
    found = user.get("merchant")
    if not isinstance(found, Mapping) or not found.get("id"):
        raise PlatformError("Salla's user info has no merchant id")
    return found
