"""Zid's wire format -> the catalog's model: products, orders, the profile, tokens (INTEGRATIONS §4).

Pure functions, no I/O. What was checked against docs.zid.sa and live captures published
by other integrators, and what was decided where the docs are silent:

- Names are `{ar, en}` objects in Manager responses (either language may be missing or
  empty). `CatalogProduct.name` is the store's main language, taken as Arabic when the
  product has an Arabic name and English otherwise: Zid is a Saudi platform, its stores
  default to Arabic and the API does not say which language a store treats as main.
  Option names and values follow the same language as the product's name.
- Prices are floats in major units (`100.0`); `sale_price`, when set, is what the
  customer pays, so it becomes the variant price and `price` the compare-at price.
  `quantity` is meaningless when `is_infinite` (unlimited stock): then None.
- A product with `has_options` is a parent; its variants are child products
  (`parent_id`) listed in the product detail's `variants` with `attributes`
  (`{slug, name, value{ar,en}}`) and either `quantity`/`is_infinite` or `stocks[]`.
  Child rows met in a list are skipped: they are their parent's variants, not products.
- Order money is a decimal string with up to 14 places (`"2.00000000000000"`); amounts
  are kept exact but trailing zeros past two places are dropped.
- Order times (`"2024-12-05 12:27:15"`) carry no zone. They are UTC: the same orders'
  `issue_date`, shown in Riyadh time, is three hours later in every sample.
- Order status codes (`order_status.code`): new, preparing, ready, indelivery,
  delivered, cancelled/canceled, and in the webhook schema also failed, refunded,
  reversed, chargeback, expired, processed, voided, reverse_in_progress,
  processingReverse, denied, canceledReversal. Mapped case-insensitively, see
  `order_status`; the code itself is kept verbatim in `platform_status`.
- Attribution: Zid documents no UTM, landing-page or referrer fields on orders. It has
  `source_code` (`catalog` = the storefront, `md` = the merchant dashboard, ...) ->
  `source_name`, and `referer_code` (the store's marketing/affiliate link code) ->
  `click_ids["zid_referer_code"]`. `landing_page`/`referer` are read if Zid ever sends them.
- Marketplace orders (`is_marketplace_order`) mask the customer's name, email and phone
  (`t***@.`): a masked email is ignored and the customer id is hashed instead.
- The profile (`GET /managers/account/profile`) nests the store at `user.store`, with
  `id`, `title` and `currency` as an object `{code, name, symbol}` (a live capture;
  the docs show a string, so both are read).
- The token response carries two secrets: `access_token` (the manager token, sent as
  `X-Manager-Token`/`Access-Token`) and `authorization` (sent as `Authorization:
  Bearer`), some answers spell it `Authorization`. A refresh answer may omit either one or
  the refresh token (UNVERIFIED): what it omits is kept from the previous credentials.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from adly_catalog.adapters.platforms.common import money, parse_time, url_signals
from adly_catalog.domain.platform import Credentials, CustomerHasher, PlatformError, StoreInfo
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
)
from adly_events.contracts.common import Money

LANGUAGES = ("ar", "en")  # the order in which a store's main language is guessed
IMAGE_SIZES = ("full_size", "large", "medium", "small", "thumbnail")


# --- small readers -------------------------------------------------------------------

def required(raw: dict[str, Any], key: str, what: str) -> Any:
    value = raw.get(key)
    if value is None or value == "":
        raise PlatformError(f"Zid {what} without `{key}`")
    return value


def as_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PlatformError(f"Zid {what} is not an object")
    return value


def as_list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise PlatformError(f"Zid {what} is not a list")
    return value


def names_of(value: Any) -> dict[str, str]:
    """`{ar, en}` -> the non-empty names, by language."""
    if not isinstance(value, dict):
        return {}
    return {k: v.strip() for k, v in value.items() if isinstance(k, str) and isinstance(v, str) and v.strip()}


def main_language(names: dict[str, str]) -> str:
    return next((lang for lang in LANGUAGES if lang in names), next(iter(names), LANGUAGES[0]))


def localized(value: Any, language: str) -> str | None:
    """A localized field (`{ar, en}` or a plain string) in `language`, else any language."""
    if isinstance(value, str):
        return value.strip() or None
    names = names_of(value)
    return names.get(language) or next((names[lang] for lang in LANGUAGES if lang in names), None) or next(
        iter(names.values()), None
    )


def amount(value: Any, currency: str) -> Money | None:
    """An exact amount; trailing zeros beyond two places dropped (Zid sends 14 of them)."""
    parsed = money(value, currency)
    if parsed is None:
        return None
    exponent = parsed.amount.normalize().as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) and exponent < 0 else 0)
    return Money(amount=parsed.amount.quantize(Decimal(1).scaleb(-places)), currency=parsed.currency)


def quantity(raw: dict[str, Any]) -> int | None:
    """Stock on hand; None when unlimited or not given. `stocks[]` are summed per location."""
    stocks = [s for s in as_list(raw.get("stocks"), "stocks") if isinstance(s, dict)]
    if raw.get("is_infinite") or any(s.get("is_infinite") for s in stocks):
        return None
    if raw.get("quantity") is not None:
        return int(raw["quantity"])
    if stocks:
        return sum(int(s.get("available_quantity") or 0) for s in stocks)
    return None


# --- products ------------------------------------------------------------------------

def product_rows(body: Any) -> list[dict[str, Any]]:
    """`GET /products/` -> its `results`."""
    rows = as_list(as_dict(body, "product list").get("results"), "product list `results`")
    return [as_dict(row, "product") for row in rows]


def next_product_page(body: dict[str, Any], page: int) -> int | None:
    """The page number in `next` (an absolute URL, `http://api.zid.sa/...`); None on the last page.

    The URL itself is never followed: its scheme and host are Zid's to choose, and the
    next request is built on our own base URL."""
    following = body.get("next")
    if not following:
        return None
    values = parse_qs(urlsplit(str(following)).query).get("page")
    return int(values[0]) if values and values[0].isdigit() else page + 1


def is_variant_row(raw: dict[str, Any]) -> bool:
    return bool(raw.get("parent_id"))


def needs_detail(raw: dict[str, Any]) -> bool:
    """A parent product whose variants the list did not include."""
    return bool(raw.get("has_options")) and not isinstance(raw.get("variants"), list)


def parse_product(raw: dict[str, Any], *, variants: list[Any] | None = None) -> CatalogProduct:
    """A product (list row, detail or webhook payload); `variants` from its detail if fetched."""
    external_id = str(required(raw, "id", "product"))
    currency = str(required(raw, "currency", f"product {external_id}"))
    names = names_of(raw.get("name"))
    language = main_language(names)
    rows = variants if variants is not None else raw.get("variants")
    children = [as_dict(v, "variant") for v in as_list(rows, "variants") if not (isinstance(v, dict) and v.get("is_deleted"))]
    return CatalogProduct(
        external_id=external_id,
        name=localized(raw.get("name"), language) or str(raw.get("sku") or external_id),
        names=names,
        description=localized(raw.get("description"), language) or localized(raw.get("short_description"), language),
        handle=raw.get("slug") or None,
        url=raw.get("html_url") or None,
        status=ProductStatus.DRAFT if raw.get("is_draft") or raw.get("is_published") is False else ProductStatus.ACTIVE,
        product_type=raw.get("product_class") or None,
        tags=[str(k) for k in as_list(raw.get("keywords"), "keywords") if k],
        options=options_of(raw, children, language),
        variants=[variant_of(v, currency, language) for v in children] if children else [variant_of(raw, currency, language, own=True)],
        images=images_of(raw),
        updated_at=parse_time(raw.get("updated_at")),
    )


def variant_of(raw: dict[str, Any], currency: str, language: str, *, own: bool = False) -> ProductVariant:
    """A child product as a variant; `own`: the product is its own single variant."""
    external_id = str(required(raw, "id", "variant"))
    regular = amount(raw.get("price"), currency)
    sale = amount(raw.get("sale_price"), currency)
    if regular is None and sale is None:
        raise PlatformError(f"Zid variant {external_id} without a price")
    on_sale = sale is not None and (regular is None or sale.amount < regular.amount)
    options = {} if own else attributes_of(raw, language)
    return ProductVariant(
        external_id=external_id,
        sku=raw.get("sku") or None,
        title=None if own else (" / ".join(options.values()) or localized(raw.get("name"), language)),
        price=sale if on_sale else (regular or sale),
        compare_at_price=regular if on_sale else None,
        inventory_quantity=quantity(raw),
        options=options,
    )


def attributes_of(raw: dict[str, Any], language: str) -> dict[str, str]:
    """A variant's `attributes` -> option name -> value."""
    pairs = {}
    for attribute in as_list(raw.get("attributes"), "variant attributes"):
        if not isinstance(attribute, dict):
            continue
        name = localized(attribute.get("name"), language) or attribute.get("slug")
        value = localized(attribute.get("value"), language)
        if name and value:
            pairs[str(name)] = value
    return pairs


def options_of(raw: dict[str, Any], children: list[dict[str, Any]], language: str) -> list[ProductOption]:
    """The product's `options` (`{name, values{ar:[..], en:[..]}}`), else gathered from its variants."""
    declared = []
    for option in as_list(raw.get("options"), "product options"):
        if isinstance(option, dict) and (name := localized(option.get("name"), language) or option.get("slug")):
            values = option.get("values")
            if isinstance(values, dict):
                values = values.get(language) or next((values[lang] for lang in LANGUAGES if values.get(lang)), [])
            declared.append(ProductOption(name=str(name), values=[str(v) for v in as_list(values, "option values")]))
    if declared:
        return declared
    gathered: dict[str, list[str]] = {}
    for child in children:
        for name, value in attributes_of(child, language).items():
            if value not in gathered.setdefault(name, []):
                gathered[name].append(value)
    return [ProductOption(name=name, values=values) for name, values in gathered.items()]


def images_of(raw: dict[str, Any]) -> list[ProductImage]:
    """`images[{image{full_size, large, ...}, alt_text}]`, in display order."""
    rows = [i for i in as_list(raw.get("images"), "images") if isinstance(i, dict)]
    rows.sort(key=lambda i: i.get("display_order") if isinstance(i.get("display_order"), int) else 1 << 30)
    images = []
    for image in rows:
        sizes = image.get("image") if isinstance(image.get("image"), dict) else image
        url = next((sizes[s] for s in IMAGE_SIZES if isinstance(sizes.get(s), str) and sizes[s]), None) or image.get("url")
        if url:
            alt = image.get("alt_text")
            images.append(ProductImage(url=url, alt=localized(alt, "ar") if alt else None, position=len(images)))
    return images


# --- orders --------------------------------------------------------------------------

CANCELLED = frozenset({"cancelled", "canceled", "denied", "expired", "voided"})
REFUNDED = frozenset({"refunded", "reversed", "chargeback"})
FULFILLED = frozenset({"indelivery", "delivered"})


def order_status(code: str, payment_status: str | None) -> OrderStatus:
    """Zid's order status code and payment status -> ours. A reversal in progress or a
    cancelled reversal leaves the order paid; cash on delivery is pending until delivered."""
    code, payment = code.lower(), (payment_status or "").lower()
    if code in CANCELLED:
        return OrderStatus.CANCELLED
    if code in REFUNDED or payment == "refunded":
        return OrderStatus.REFUNDED
    if code == "failed":
        return OrderStatus.FAILED
    if payment in ("partially_refunded", "partially_reversed"):
        return OrderStatus.PARTIALLY_REFUNDED
    if code in FULFILLED:
        return OrderStatus.FULFILLED
    return OrderStatus.PAID if payment == "paid" else OrderStatus.PENDING


def order_rows(body: Any) -> list[dict[str, Any]]:
    """`GET /managers/store/orders` -> its `orders`."""
    rows = as_list(as_dict(body, "order list").get("orders"), "order list `orders`")
    return [as_dict(row, "order") for row in rows]


def order_total_count(body: dict[str, Any]) -> int | None:
    """The list's total, if it gives one (the envelope is UNVERIFIED beyond `orders`)."""
    for key in ("total_order_count", "total", "orders_count"):
        if isinstance(body.get(key), int):
            return body[key]
    return None


def parse_order(raw: dict[str, Any], hash_customer: CustomerHasher) -> CatalogOrder:
    external_id = str(required(raw, "id", "order"))
    currency = str(required(raw, "currency_code", f"order {external_id}")).upper()
    status = raw.get("order_status") if isinstance(raw.get("order_status"), dict) else {"code": raw.get("order_status")}
    code = str(status.get("code") or "new")
    placed_at = parse_time(str(required(raw, "created_at", f"order {external_id}")))
    return CatalogOrder(
        external_id=external_id,
        number=str(raw["code"]) if raw.get("code") else None,
        status=order_status(code, raw.get("payment_status")),
        platform_status=code,
        currency=currency,
        total=order_total(raw, currency, external_id),
        lines=[line_of(as_dict(p, "order product"), currency) for p in as_list(raw.get("products"), "order products")],
        customer_ref=customer_ref(raw, hash_customer),
        placed_at=placed_at,
        updated_at=parse_time(raw.get("updated_at")),
        attribution=attribution_of(raw),
    )


def order_total(raw: dict[str, Any], currency: str, external_id: str) -> Money:
    total = amount(raw.get("order_total"), currency)
    if total is None and isinstance(raw.get("order_total_string"), str):
        total = amount(raw["order_total_string"].split()[0], currency)  # "124.15 SAR"
    if total is None:
        raise PlatformError(f"Zid order {external_id} without `order_total`")
    return total


def line_of(raw: dict[str, Any], currency: str) -> OrderLine:
    """An order product; a variant's `parent_id` is its product."""
    count = int(raw.get("quantity") or 0)
    unit = amount(raw.get("price"), currency)
    total = amount(raw.get("total"), currency)
    if unit is None and total is None:
        raise PlatformError(f"Zid order product {raw.get('id')} without a price")
    unit = unit or Money(amount=total.amount / max(count, 1), currency=currency)
    identifier = str(raw["id"]) if raw.get("id") is not None else None
    return OrderLine(
        product_external_id=str(raw["parent_id"]) if raw.get("parent_id") else identifier,
        variant_external_id=identifier,
        sku=raw.get("sku") or None,
        name=localized(raw.get("name"), "ar"),
        quantity=count,
        unit_price=unit,
        total=total or Money(amount=unit.amount * count, currency=currency),
    )


def customer_ref(raw: dict[str, Any], hash_customer: CustomerHasher) -> str | None:
    """The lower-cased email unless masked (marketplace orders), else the customer id."""
    customer = raw.get("customer") if isinstance(raw.get("customer"), dict) else {}
    email = str(customer.get("email") or "").strip().lower()
    if email and "*" not in email and "@" in email:
        return hash_customer(email)
    if customer.get("id") not in (None, "", 0):
        return hash_customer(str(customer["id"]))
    return None


def attribution_of(raw: dict[str, Any]) -> OrderAttribution:
    landing = raw.get("landing_page") or raw.get("landing_url") or None
    utm, clicks = url_signals(landing)
    if raw.get("referer_code"):
        clicks["zid_referer_code"] = str(raw["referer_code"])
    return OrderAttribution(
        landing_site=landing,
        referrer=raw.get("referer") or raw.get("referrer") or None,
        source_name=raw.get("source_code") or raw.get("source") or None,
        utm=utm,
        click_ids=clicks,
    )


# --- connecting ----------------------------------------------------------------------

def parse_profile(body: Any) -> StoreInfo:
    """`GET /managers/account/profile` -> the store: `user.store{id, title, currency}`."""
    user = as_dict(as_dict(body, "profile").get("user"), "profile `user`")
    store = as_dict(user.get("store"), "profile `user.store`")
    currency = store.get("currency")
    code = currency.get("code") if isinstance(currency, dict) else currency
    return StoreInfo(
        domain=str(required(store, "id", "profile store")),
        name=localized(store.get("title") or store.get("name"), "ar"),
        currency=str(code).upper() if isinstance(code, str) and len(code) == 3 else None,
    )


def parse_token(body: Any, *, now: datetime, previous: Credentials | None = None) -> Credentials:
    """A token answer -> credentials; what a refresh answer leaves out is kept from `previous`."""
    body = as_dict(body, "token answer")
    access = body.get("access_token")
    authorization = body.get("authorization") or body.get("Authorization")
    extra = dict(previous.extra) if previous else {}
    if not isinstance(access, str) or not access:
        raise PlatformError("Zid token answer without `access_token`")
    if isinstance(authorization, str) and authorization:
        extra["authorization"] = authorization
    if not extra.get("authorization"):
        raise PlatformError("Zid token answer without the `authorization` token")
    lifetime = body.get("expires_in")
    return Credentials(
        access_token=access,
        refresh_token=body.get("refresh_token") or (previous.refresh_token if previous else None),
        expires_at=now + timedelta(seconds=float(lifetime)) if isinstance(lifetime, int | float) and lifetime > 0 else None,
        scope=body.get("scope") or (previous.scope if previous else None),
        extra=extra,
    )
