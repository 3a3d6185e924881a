"""Shopify's wire format, read into the catalog's `CatalogProduct` / `CatalogOrder` (no I/O).

Two shapes arrive: Admin GraphQL nodes from a sync (GIDs, camelCase, `MoneyBag`s) and
REST-shaped JSON in webhooks (numeric ids, snake_case, amounts as strings). Both are read
so that the same product or order gives the same result whichever way it came, where
Shopify gives the same facts; otherwise a webhook followed by a sync would look like a
change. Decisions kept in one place:

- Money: a GraphQL variant's `price` is a bare decimal (`Money` scalar) in the shop's
  currency, so the products query also asks `shop { currencyCode }` (one point, no cache to
  go stale); REST product webhooks carry no currency at all: the caller passes the store's.
  Order amounts are the `current*` ones (after edits, refunds and returns) in shop money.
- Descriptions: both paths strip `descriptionHtml` / `body_html` the same way here rather
  than trusting GraphQL's own plain-text `description`, which strips differently.
- Order status: `OrderStatus` from the financial + fulfillment states and `cancelledAt`
  (`order_status` below); `platform_status` is "<financial>/<fulfillment>" in GraphQL's enum
  words lower-cased (REST's `partial` becomes `partially_fulfilled`, a missing
  fulfillment `unfulfilled`), identical from a webhook and from a sync.
- Attribution (GraphQL): `customerJourneySummary`; the order's landing page, referrer and
  UTMs are the last visit's unless that visit was direct (no referrer, UTM or click id: a
  return visit), then the first visit's ("last non-direct visit"); UTMs are Shopify's
  `utmParameters` filled in from the landing URL's query; click ids from both visits'
  landing URLs. REST webhooks only have `landing_site` / `referring_site` / `source_name`.
- Image positions are 0-based (REST's 1-based `position` minus one).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from html import unescape
from typing import Any

from adly_catalog.adapters.platforms.common import merge_utm, money, parse_time, url_signals
from adly_catalog.domain.platform import CustomerHasher, PlatformError
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

GID = re.compile(r"^gid://shopify/[A-Za-z]+/(\d+)")
SCRIPTS = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
BLOCK_TAGS = re.compile(r"</?(?:p|br|div|li|ul|ol|tr|td|th|table|h[1-6]|section|article|blockquote)\b[^>]*>",
                        re.IGNORECASE)
INLINE_TAGS = re.compile(r"<[^>]*>")
PRODUCT_STATUS = {
    "active": ProductStatus.ACTIVE,
    "unlisted": ProductStatus.ACTIVE,  # sold by direct link, just hidden from search and collections
    "draft": ProductStatus.DRAFT,
    "archived": ProductStatus.ARCHIVED,
}
REST_FULFILLMENT = {None: "unfulfilled", "": "unfulfilled", "partial": "partially_fulfilled"}
FAILED = {"voided", "expired"}
PAID_OR_OWED = {"paid", "pending", "authorized", "partially_paid"}


@contextmanager
def reading(what: str) -> Iterator[None]:
    """A payload missing a field or of the wrong shape is Shopify's fault, not a crash."""
    try:
        yield
    except PlatformError as error:
        if error.message.startswith("Shopify sent"):
            raise
        raise PlatformError(f"Shopify sent {what} we could not read: {error.message}") from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
        raise PlatformError(f"Shopify sent {what} we could not read: {type(error).__name__}: {error}") from None


def numeric_id(value: Any) -> str | None:
    """`gid://shopify/Product/123` -> "123"; REST's 123 -> "123"."""
    if value is None or value == "":
        return None
    match = GID.match(str(value))
    return match.group(1) if match else str(value)


def required_id(value: Any, what: str) -> str:
    if (found := numeric_id(value)) is None:
        raise PlatformError(f"Shopify sent {what} without an id")
    return found


def plain_text(html: str | None) -> str | None:
    """The text of an HTML description: scripts and styles dropped, block tags as spaces."""
    if not html:
        return None
    text = SCRIPTS.sub(" ", html)
    text = INLINE_TAGS.sub("", BLOCK_TAGS.sub(" ", text))
    return " ".join(unescape(text).split()) or None


def nodes(connection: Any) -> list[Mapping[str, Any]]:
    """A connection's items, whether asked as `nodes` or `edges { node }`."""
    if not connection:
        return []
    if "nodes" in connection:
        return list(connection["nodes"] or [])
    return [edge["node"] for edge in connection.get("edges") or []]


def shop_money(bag: Mapping[str, Any] | None, currency: str) -> Money | None:
    if not bag:
        return None
    amount = bag["shopMoney"]
    return money(amount["amount"], amount.get("currencyCode") or currency)


def required(value: Money | None, what: str) -> Money:
    if value is None:
        raise PlatformError(f"Shopify sent {what} without an amount")
    return value


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def _status(word: str | None) -> ProductStatus:
    return PRODUCT_STATUS.get((word or "active").lower(), ProductStatus.DRAFT)


# Products (GraphQL) -------------------------------------------------------------------


def product_from_graphql(node: Mapping[str, Any], currency: str) -> CatalogProduct:
    """Built as plain data and validated once: a page is 250 products of many nested parts,
    and one validation of the whole costs half as much as building each part as a model."""
    with reading("a product"):
        media = [m["image"] for m in nodes(node.get("media")) if m and m.get("image")]
        return CatalogProduct.model_validate({
            "external_id": required_id(node["id"], "a product"),
            "name": node["title"],
            "description": plain_text(node.get("descriptionHtml")),
            "handle": node.get("handle"),
            "url": node.get("onlineStoreUrl"),
            "status": _status(node.get("status")),
            "vendor": _text(node.get("vendor")),
            "product_type": _text(node.get("productType")),
            "tags": [t for t in node.get("tags") or [] if t],
            "options": [_option_from_graphql(o) for o in node.get("options") or []],
            "variants": [_variant_from_graphql(v, currency) for v in nodes(node.get("variants"))],
            "images": [{"url": m["url"], "alt": _text(m.get("altText")), "position": i} for i, m in enumerate(media)],
            "updated_at": node.get("updatedAt"),
        })


def _option_from_graphql(option: Mapping[str, Any]) -> dict[str, Any]:
    values = [v["name"] for v in option.get("optionValues") or []] or list(option.get("values") or [])
    return {"name": option["name"], "values": values}


def _variant_from_graphql(variant: Mapping[str, Any], currency: str) -> dict[str, Any]:
    if variant.get("price") in (None, ""):
        raise PlatformError("Shopify sent a variant without an amount")
    compare_at = variant.get("compareAtPrice")
    return {
        "external_id": required_id(variant["id"], "a variant"),
        "sku": _text(variant.get("sku")),
        "title": _text(variant.get("title")),
        "price": {"amount": variant["price"], "currency": currency},
        "compare_at_price": {"amount": compare_at, "currency": currency} if compare_at not in (None, "") else None,
        "inventory_quantity": variant.get("inventoryQuantity"),
        "options": {o["name"]: o["value"] for o in variant.get("selectedOptions") or []},
    }


# Products (REST webhooks) -------------------------------------------------------------


def product_from_rest(body: Mapping[str, Any], currency: str) -> CatalogProduct:
    with reading("a product"):
        options = [ProductOption(name=o["name"], values=list(o.get("values") or [])) for o in body.get("options") or []]
        images = sorted(body.get("images") or [], key=lambda image: image.get("position") or 0)
        return CatalogProduct(
            external_id=required_id(body["id"], "a product"),
            name=body["title"],
            description=plain_text(body.get("body_html")),
            handle=body.get("handle"),
            url=None,  # REST has no storefront URL (GraphQL's onlineStoreUrl)
            status=_status(body.get("status")),
            vendor=_text(body.get("vendor")),
            product_type=_text(body.get("product_type")),
            tags=_rest_tags(body.get("tags")),
            options=options,
            variants=[_variant_from_rest(v, [o.name for o in options], currency) for v in body.get("variants") or []],
            images=[ProductImage(url=i["src"], alt=_text(i.get("alt")), position=n) for n, i in enumerate(images)],
            updated_at=parse_time(body.get("updated_at")),
        )


def _rest_tags(tags: str | list[str] | None) -> list[str]:
    if isinstance(tags, list):
        return [t for t in tags if t]
    return [t.strip() for t in (tags or "").split(",") if t.strip()]


def _variant_from_rest(variant: Mapping[str, Any], option_names: list[str], currency: str) -> ProductVariant:
    chosen = {name: variant.get(f"option{n}") for n, name in enumerate(option_names, start=1)}
    return ProductVariant(
        external_id=required_id(variant["id"], "a variant"),
        sku=_text(variant.get("sku")),
        title=_text(variant.get("title")),
        price=required(money(variant["price"], currency), "a variant"),
        compare_at_price=money(variant.get("compare_at_price"), currency),
        inventory_quantity=variant.get("inventory_quantity"),
        options={k: v for k, v in chosen.items() if v is not None},
    )


# Orders -------------------------------------------------------------------------------


def order_status(financial: str | None, fulfillment: str | None, cancelled: bool) -> OrderStatus:
    """Cancelled wins; then refunds; voided/expired payments failed; an order shipped
    and paid (or owed, like cash on delivery) is fulfilled; paid is paid; the rest pending."""
    financial, fulfillment = (financial or "pending").lower(), (fulfillment or "unfulfilled").lower()
    if cancelled:
        return OrderStatus.CANCELLED
    if financial == "refunded":
        return OrderStatus.REFUNDED
    if financial == "partially_refunded":
        return OrderStatus.PARTIALLY_REFUNDED
    if financial in FAILED:
        return OrderStatus.FAILED
    if fulfillment == "fulfilled" and financial in PAID_OR_OWED:
        return OrderStatus.FULFILLED
    return OrderStatus.PAID if financial == "paid" else OrderStatus.PENDING


def customer_ref(email: str | None, customer_id: str | None, hash_customer: CustomerHasher) -> str | None:
    identifier = (email or "").strip().lower() or customer_id
    return hash_customer(identifier) if identifier else None


def order_from_graphql(node: Mapping[str, Any], hash_customer: CustomerHasher) -> CatalogOrder:
    with reading("an order"):
        currency = node["currencyCode"]
        financial = (node.get("displayFinancialStatus") or "pending").lower()
        fulfillment = (node.get("displayFulfillmentStatus") or "unfulfilled").lower()
        customer = node.get("customer") or {}
        return CatalogOrder(
            external_id=required_id(node["id"], "an order"),
            number=node.get("name"),
            status=order_status(financial, fulfillment, bool(node.get("cancelledAt"))),
            platform_status=f"{financial}/{fulfillment}",
            currency=currency,
            subtotal=shop_money(node.get("currentSubtotalPriceSet"), currency),
            total=required(shop_money(node.get("currentTotalPriceSet"), currency), "an order"),
            tax=shop_money(node.get("currentTotalTaxSet"), currency),
            discounts=shop_money(node.get("currentTotalDiscountsSet"), currency),
            shipping=shop_money(node.get("totalShippingPriceSet"), currency),
            lines=[_line_from_graphql(line, currency) for line in nodes(node.get("lineItems"))],
            customer_ref=customer_ref(node.get("email"), numeric_id(customer.get("id")), hash_customer),
            placed_at=parse_time(node["createdAt"]),
            updated_at=parse_time(node.get("updatedAt")),
            attribution=_journey_attribution(node.get("customerJourneySummary"), node.get("sourceName")),
        )


def _line_from_graphql(line: Mapping[str, Any], currency: str) -> OrderLine:
    return OrderLine(
        product_external_id=numeric_id((line.get("product") or {}).get("id")),
        variant_external_id=numeric_id((line.get("variant") or {}).get("id")),
        sku=_text(line.get("sku")),
        name=line.get("name"),
        quantity=line["quantity"],
        unit_price=required(shop_money(line["originalUnitPriceSet"], currency), "an order line"),
        total=required(shop_money(line["discountedTotalSet"], currency), "an order line"),
    )


def _journey_attribution(journey: Mapping[str, Any] | None, source_name: str | None) -> OrderAttribution:
    journey = journey or {}
    first, last = journey.get("firstVisit"), journey.get("lastVisit")
    main = last if last and (_signals(last) or not first) else first or {}
    landing_utm, _ = url_signals(main.get("landingPage"))
    clicks = {**url_signals((first or {}).get("landingPage"))[1], **url_signals((last or {}).get("landingPage"))[1]}
    return OrderAttribution(
        landing_site=main.get("landingPage"),
        referrer=main.get("referrerUrl"),
        source_name=source_name,
        utm=merge_utm(_utm(main.get("utmParameters")), landing_utm),
        click_ids=clicks,
        first_visit=_visit(first),
        last_visit=_visit(last),
        days_to_conversion=journey.get("daysToConversion"),
        journey_ready=journey.get("ready"),
    )


def _signals(visit: Mapping[str, Any]) -> bool:
    """Whether a visit says where it came from (else it is a direct return visit)."""
    utm, clicks = url_signals(visit.get("landingPage"))
    return bool(visit.get("referrerUrl") or clicks or any(utm.model_dump().values())
                or any((visit.get("utmParameters") or {}).values()))


def _utm(parameters: Mapping[str, Any] | None) -> UtmParameters:
    parameters = parameters or {}
    return UtmParameters(**{k: _text(parameters.get(k)) for k in UtmParameters.model_fields})


def _visit(visit: Mapping[str, Any] | None) -> Visit | None:
    if not visit:
        return None
    return Visit(
        landing_page=visit.get("landingPage"),
        referrer=visit.get("referrerUrl"),
        source=visit.get("source"),
        utm=merge_utm(_utm(visit.get("utmParameters")), url_signals(visit.get("landingPage"))[0]),
        occurred_at=parse_time(visit.get("occurredAt")),
    )


def order_from_rest(body: Mapping[str, Any], hash_customer: CustomerHasher) -> CatalogOrder:
    with reading("an order"):
        currency = body["currency"]
        financial = (body.get("financial_status") or "pending").lower()
        fulfillment = REST_FULFILLMENT.get(body.get("fulfillment_status"), body.get("fulfillment_status"))
        customer = body.get("customer") or {}
        amount = _rest_amount(body, currency)
        utm, clicks = url_signals(body.get("landing_site"))
        return CatalogOrder(
            external_id=required_id(body["id"], "an order"),
            number=body.get("name"),
            status=order_status(financial, fulfillment, bool(body.get("cancelled_at"))),
            platform_status=f"{financial}/{fulfillment}",
            currency=currency,
            subtotal=amount("current_subtotal_price", "subtotal_price"),
            total=required(amount("current_total_price", "total_price"), "an order"),
            tax=amount("current_total_tax", "total_tax"),
            discounts=amount("current_total_discounts", "total_discounts"),
            shipping=_rest_set(body.get("total_shipping_price_set"), currency),
            lines=[_line_from_rest(line, currency) for line in body.get("line_items") or []],
            customer_ref=customer_ref(
                body.get("email") or body.get("contact_email") or customer.get("email"),
                numeric_id(customer.get("id")),
                hash_customer,
            ),
            placed_at=parse_time(body["created_at"]),
            updated_at=parse_time(body.get("updated_at")),
            attribution=OrderAttribution(
                landing_site=_text(body.get("landing_site")),
                referrer=_text(body.get("referring_site")),
                source_name=_text(body.get("source_name")),
                utm=utm,
                click_ids=clicks,
            ),
        )


def _rest_amount(body: Mapping[str, Any], currency: str) -> Callable[[str, str], Money | None]:
    def amount(current: str, original: str) -> Money | None:
        value = body.get(current)
        return money(value if value not in (None, "") else body.get(original), currency)

    return amount


def _rest_set(price_set: Mapping[str, Any] | None, currency: str) -> Money | None:
    if not price_set:
        return None
    shop = price_set["shop_money"]
    return money(shop["amount"], shop.get("currency_code") or currency)


def _line_from_rest(line: Mapping[str, Any], currency: str) -> OrderLine:
    unit = required(money(line["price"], currency), "an order line")
    discount = money(line.get("total_discount") or "0", currency).amount
    return OrderLine(
        product_external_id=numeric_id(line.get("product_id")),
        variant_external_id=numeric_id(line.get("variant_id")),
        sku=_text(line.get("sku")),
        name=line.get("name"),
        quantity=line["quantity"],
        unit_price=unit,
        total=Money(amount=unit.amount * line["quantity"] - discount, currency=unit.currency),
    )


# GraphQL documents and the signals in their answers -----------------------------------

VISIT = "landingPage referrerUrl source occurredAt utmParameters { source medium campaign content term }"
PAGE_INFO = "pageInfo { hasNextPage endCursor }"

PRODUCTS_QUERY = f"""
query CatalogProducts($first: Int!, $after: String, $query: String, $variants: Int!, $images: Int!) {{
  shop {{ currencyCode }}
  products(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    nodes {{
      id title handle status vendor productType tags descriptionHtml onlineStoreUrl updatedAt
      options {{ name optionValues {{ name }} }}
      variants(first: $variants) {{
        nodes {{ id sku title price compareAtPrice inventoryQuantity selectedOptions {{ name value }} }}
      }}
      media(first: $images) {{ nodes {{ ... on MediaImage {{ image {{ url altText }} }} }} }}
    }}
    {PAGE_INFO}
  }}
}}"""

ORDERS_QUERY = f"""
query CatalogOrders($first: Int!, $after: String, $query: String, $lines: Int!) {{
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    nodes {{
      id name email createdAt updatedAt cancelledAt currencyCode sourceName
      displayFinancialStatus displayFulfillmentStatus
      currentSubtotalPriceSet {{ shopMoney {{ amount currencyCode }} }}
      currentTotalPriceSet {{ shopMoney {{ amount currencyCode }} }}
      currentTotalTaxSet {{ shopMoney {{ amount currencyCode }} }}
      currentTotalDiscountsSet {{ shopMoney {{ amount currencyCode }} }}
      totalShippingPriceSet {{ shopMoney {{ amount currencyCode }} }}
      customer {{ id }}
      customerJourneySummary {{
        daysToConversion ready
        firstVisit {{ {VISIT} }}
        lastVisit {{ {VISIT} }}
      }}
      lineItems(first: $lines) {{
        nodes {{
          name sku quantity product {{ id }} variant {{ id }}
          originalUnitPriceSet {{ shopMoney {{ amount currencyCode }} }}
          discountedTotalSet {{ shopMoney {{ amount currencyCode }} }}
        }}
      }}
    }}
    {PAGE_INFO}
  }}
}}"""

SHOP_QUERY = "query CatalogShop { shop { name currencyCode myshopifyDomain } }"

CREATE_WEBHOOK = """
mutation CatalogWebhook($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic uri format }
    userErrors { field message }
  }
}"""

EXISTING_WEBHOOKS = """
query CatalogWebhooks($topic: WebhookSubscriptionTopic!) {
  webhookSubscriptions(first: 100, topics: [$topic]) { nodes { id topic uri } }
}"""

DELETE_WEBHOOK = """
mutation CatalogWebhookDelete($id: ID!) {
  webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } }
}"""


class QueryTooCostly(Exception):
    """MAX_COST_EXCEEDED: the query asked for more than one request may cost."""

    def __init__(self, cost: float | None, max_cost: float | None) -> None:
        super().__init__(f"query cost {cost} is over the single-query maximum {max_cost}")
        self.cost, self.max_cost = cost, max_cost


class Cost:
    """`extensions.cost`: what the query asked for and how full the app's bucket is."""

    __slots__ = ("requested", "available", "maximum", "restore_rate")

    def __init__(self, requested: float | None, available: float, maximum: float, restore_rate: float) -> None:
        self.requested, self.available, self.maximum, self.restore_rate = requested, available, maximum, restore_rate

    def wait_before(self, elapsed: float) -> float:
        """Seconds until the bucket, refilling since this answer, holds the same query again."""
        if self.requested is None or self.restore_rate <= 0:
            return 0.0
        available = min(self.maximum, self.available + self.restore_rate * elapsed)
        # A query asking more than the bucket can ever hold runs once the bucket is full.
        return max(0.0, (min(self.requested, self.maximum) - available) / self.restore_rate)


def query_cost(body: Mapping[str, Any]) -> Cost | None:
    try:
        cost = body["extensions"]["cost"]
        status = cost["throttleStatus"]
        requested = cost.get("requestedQueryCost")
        return Cost(
            float(requested) if requested is not None else None,
            float(status["currentlyAvailable"]),
            float(status["maximumAvailable"]),
            float(status["restoreRate"]),
        )
    except (KeyError, TypeError, ValueError):
        return None  # not every answer has it (e.g. a 5xx page); pacing then waits on the next


def graphql_errors(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    errors = body.get("errors") or []
    if isinstance(errors, str):  # REST-style {"errors": "Not Found"}
        return [{"message": errors}]
    return [e if isinstance(e, Mapping) else {"message": str(e)} for e in errors]


def error_code(error: Mapping[str, Any]) -> str | None:
    extensions = error.get("extensions")
    return extensions.get("code") if isinstance(extensions, Mapping) else None


# Fields of a returned object that protected-customer-data approval governs (of those we ask).
PROTECTED_CUSTOMER_FIELDS = frozenset({"email", "customer", "phone"})


def redacted(error: Mapping[str, Any]) -> bool:
    """A protected-customer-data refusal of one field of an object that was returned: data we
    may not see, not a failed query (shopify.dev/docs/apps/launch/protected-customer-data:
    "GraphQL requests to unapproved types will return an HTTP 200 Ok response with an error
    message in the errors hash"; its example has `path: ["customer", "phone"]`, the message
    "This app is not approved to access the Customer object..." and no code; ACCESS_DENIED
    is the code Shopify gives access refusals). A refusal of a whole root field (`orders`) is
    not one of these."""
    path = error.get("path")
    if not isinstance(path, list) or len(path) < 2:
        return False
    if not any(isinstance(step, str) and step in PROTECTED_CUSTOMER_FIELDS for step in path[1:]):
        return False
    code = error_code(error)
    return code == "ACCESS_DENIED" or (code is None and "not approved to" in str(error.get("message", "")).lower())


def too_costly(errors: list[Mapping[str, Any]]) -> QueryTooCostly | None:
    for error in errors:
        if error_code(error) == "MAX_COST_EXCEEDED":
            extensions = error["extensions"]
            return QueryTooCostly(extensions.get("cost"), extensions.get("maxCost"))
    return None


def smaller_page(size: int, refused: QueryTooCostly) -> int:
    """Half the page, or straight to what fits when Shopify said both numbers."""
    half = size // 2
    try:
        fits = int(size * float(refused.max_cost) / float(refused.cost))
    except (TypeError, ValueError, ZeroDivisionError):
        fits = half
    return max(1, min(half, fits))
