"""A fake Shopify Admin API (INTEGRATIONS §1): OAuth, GraphQL products/orders/shop/webhook
subscriptions, cost-based throttling, expiring tokens with rotating refresh, webhook sending.

One shop per fake (the host is ignored: point `shopify_base_url` at `fake.url`). What it
reproduces, and where it simplifies:
- GraphQL at `/admin/api/<version>/graphql.json`, `X-Shopify-Access-Token` checked. A bad or
  expired token gets the REST 401 body (`{"errors":"[API] Invalid API key or access token
  (unrecognized login or wrong password)"}`) for GraphQL too, with Shopify's
  `WWW-Authenticate`. Answers are a fixed superset of the fields the catalog asks for
  (no field projection), with nested connections cut to their `first`.
- Query cost with Shopify's documented rules (scalars 0, objects 1, connections 2 + first x
  one node's cost, mutations 10), computed by a small brace parser from the literal or
  variable `first`s. Over `max_query_cost` (default 1000) -> MAX_COST_EXCEEDED; a leaky
  bucket (`bucket_size`, `restore_rate`) charges the requested cost and refunds down to the
  actual one (top-level connections counted as returned) -> THROTTLED when empty, with
  `extensions.cost` on every answer. `throttle_status` picks the HTTP status of a throttled
  answer (200 by default; 429 also seen in the wild).
- Pagination `first/after` sorted by `UPDATED_AT` then id, cursors are base64 JSON
  (`last_id`, `last_value`) like Shopify's; `query: "updated_at:>'<iso>'"` and
  `created_at:>='<iso>'` are honoured (other terms ignored).
- Orders older than 60 days are not returned to a token without `read_all_orders`
  (shopify.dev, the Order object: "only the last 60 days' worth of orders ... by default").
  Seeded orders are placed over the 30 days before the fake starts (earlier for very many).
- Protected customer data (shopify.dev/docs/apps/launch/protected-customer-data):
  `customer_data="approved"` (default) returns `email` and `customer`; `"redacted"`
  returns them as null; `"denied"` nulls them and adds one `errors` entry per field asked
  for (`path: ["orders", "nodes", i, "email"]`, ACCESS_DENIED, Shopify's "This app is not
  approved to access the Customer object" message) while the rest of the page is returned.
  Webhook payloads (`rest_order`) lose the same fields unless approved.
- Catalogue and orders are generated lazily from an index (`seed(products=100_000)` costs
  nothing until pages are read); changed ones live in a small overlay.
- OAuth: `GET /admin/oauth/authorize` auto-approves (302 to `redirect_uri` with code, hmac,
  host, shop, state, timestamp); `POST /admin/oauth/access_token` exchanges a code once
  (`expiring=1` -> `expires_in`, `refresh_token`, `refresh_token_expires_in`) or refreshes.
  Refresh rotates: the used refresh token stays valid until its replacement (or the access
  token issued with it) is used, per Shopify's Aug-2026 change; a refused refresh is
  400 `{"error":"invalid_grant"}`. Token prefixes (`shpat_`, `shprt_`) are illustrative.
- `send_webhook` POSTs a correctly signed delivery (base64 HMAC of the raw body) with the
  real header set; `signed_webhook` gives headers and body without sending.

Run standalone: `python -m tests.fakes.shopify --port P --products N --variants K
--max-query-cost C --bucket B --restore R [--token T]`; prints `ready <url>` once listening.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import hashlib
import heapq
import hmac
import itertools
import json
import re
import secrets
import signal
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import httpx
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response

from tests.fakes.server import FakeServer, hold

UNAUTHORIZED = b'{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}'
TOPICS = {"PRODUCTS_CREATE", "PRODUCTS_UPDATE", "PRODUCTS_DELETE", "ORDERS_CREATE", "ORDERS_UPDATED",
          "APP_UNINSTALLED", "CUSTOMERS_DATA_REQUEST", "CUSTOMERS_REDACT", "SHOP_REDACT"}
PRODUCT_BASE, VARIANT_BASE, ORDER_BASE, CUSTOMER_BASE = 7_000_000_000, 40_000_000_000, 5_000_000_000, 6_000_000_000
PRODUCTS_START = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())
DAY = 86400
DENIED = ("This app is not approved to access the Customer object. See "
          "https://shopify.dev/docs/apps/launch/protected-customer-data for more details.")
TITLES = ["Linen Shirt", "قميص كتان", "Robe d'été", "Leather Sandals", "حقيبة جلدية", "Silk Scarf", "عطر العود",
          "Wool Beanie"]
VENDORS = ["Nour Atelier", "Dar Al Oud", "Maison Lina", "Atlas Goods"]
TYPES = ["Shirts", "Dresses", "Bags", "Fragrance", "Accessories"]
SIZES = ["XS", "S", "M", "L", "XL", "XXL"]
CHANNELS = [  # source, medium, click id parameter, referrer
    ("facebook", "paid_social", "fbclid", "https://l.facebook.com/"),
    ("google", "cpc", "gclid", "https://www.google.com/"),
    ("tiktok", "paid_social", "ttclid", "https://www.tiktok.com/"),
    ("snapchat", "paid_social", "ScCid", "https://www.snapchat.com/"),
    (None, None, None, None),  # direct
]
CENT = Decimal("0.01")


def _recent_orders_start(count: int) -> int:
    """Seeded orders, a minute apart, end before now: over the last 30 days, or earlier when
    there are more than 30 days of minutes of them."""
    now = int(time.time()) // 60 * 60
    return now - max(30 * DAY, (count + 2) * 60)


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


def gid_number(value: str) -> int:
    return int(str(value).rsplit("/", 1)[-1])


def form_encode(text: str) -> str:
    return quote(text, safe="*").replace("~", "%7E")


def callback_hmac(params: dict[str, str], secret: str) -> str:
    message = "&".join(f"{form_encode(k)}={form_encode(v)}" for k, v in sorted(params.items()))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


# A GraphQL reader just good enough for cost and dispatch ------------------------------

TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|\.\.\.|[{}()\[\]:!$=@]|-?\d+(?:\.\d+)?|[A-Za-z_]\w*')


@dataclass
class Field:
    name: str
    key: str
    args: dict[str, Any] = field(default_factory=dict)
    children: list[Field] | None = None
    fragment: bool = False

    def child(self, name: str) -> Field | None:
        return next((c for c in self.children or [] if c.name == name), None)


class GraphQLSyntaxError(ValueError):
    pass


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = TOKENS.findall(re.sub(r"#[^\n]*", "", text or ""))
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise GraphQLSyntaxError(f"expected {expected or 'more'} at token {self.at}, got {token!r}")
        self.at += 1
        return token

    def document(self) -> tuple[str, list[Field]]:
        operation = "query"
        if self.peek() in ("query", "mutation", "subscription"):
            operation = self.take()
            while self.peek() not in ("{", None):
                self.take()
        return operation, self.selection()

    def selection(self) -> list[Field]:
        self.take("{")
        fields = []
        while self.peek() != "}":
            fields.append(self.fragment() if self.peek() == "..." else self.field())
        self.take("}")
        return fields

    def fragment(self) -> Field:
        self.take("...")
        if self.peek() == "on":
            self.take(), self.take()
        return Field("...", "...", children=self.selection(), fragment=True)

    def field(self) -> Field:
        name = self.take()
        key = name
        if self.peek() == ":":
            self.take()
            name = self.take()
        args = self.arguments() if self.peek() == "(" else {}
        while self.peek() == "@":
            self.take(), self.take()
            if self.peek() == "(":
                self.arguments()
        children = self.selection() if self.peek() == "{" else None
        return Field(name, key, args, children)

    def arguments(self) -> dict[str, Any]:
        self.take("(")
        args = {}
        while self.peek() != ")":
            name = self.take()
            self.take(":")
            args[name] = self.value()
        self.take(")")
        return args

    def value(self) -> Any:
        token = self.take()
        if token == "$":
            return ("$", self.take())
        if token == "[":
            items = []
            while self.peek() != "]":
                items.append(self.value())
            self.take("]")
            return items
        if token == "{":
            obj = {}
            while self.peek() != "}":
                name = self.take()
                self.take(":")
                obj[name] = self.value()
            self.take("}")
            return obj
        if token.startswith('"'):
            return json.loads(token)
        if re.fullmatch(r"-?\d+", token):
            return int(token)
        if re.fullmatch(r"-?\d+\.\d+", token):
            return float(token)
        return {"true": True, "false": False, "null": None}.get(token, token)


def parse_graphql(text: str) -> tuple[str, list[Field]]:
    return _Parser(text).document()


def _asks_for_products(raw: bytes) -> bool:
    try:
        operation, fields = parse_graphql(json.loads(raw)["query"])
    except (ValueError, KeyError, TypeError):
        return False
    return operation == "query" and any(f.name == "products" for f in fields)


def resolve(value: Any, variables: dict[str, Any]) -> Any:
    if isinstance(value, tuple) and value[:1] == ("$",):
        return variables.get(value[1])
    if isinstance(value, list):
        return [resolve(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, variables) for k, v in value.items()}
    return value


def field_cost(f: Field, variables: dict[str, Any], counts: dict[str, int] | None = None) -> int:
    """Shopify's rules: scalars 0, objects 1, a connection 2 + first x (one node)."""
    if f.children is None:
        return 0
    if f.fragment:
        return sum(field_cost(c, variables) for c in f.children)
    first = resolve(f.args.get("first", f.args.get("last")), variables)
    if isinstance(first, int):
        size = counts.get(f.key, first) if counts is not None else first
        return 2 + size * _node_cost(f, variables)
    return 1 + sum(field_cost(c, variables) for c in f.children)


def _node_cost(connection: Field, variables: dict[str, Any]) -> int:
    node = connection.child("nodes") or (connection.child("edges") and connection.child("edges").child("node"))
    return 1 + sum(field_cost(c, variables) for c in node.children or []) if node else 1


def query_cost(operation: str, fields: list[Field], variables: dict[str, Any],
               counts: dict[str, int] | None = None) -> int:
    if operation == "mutation":
        return 10 * len(fields)
    return sum(field_cost(f, variables, counts) for f in fields)


# Lazily generated records with an overlay of changed ones ----------------------------


class _Table:
    """Seeded records come from `make(index)`; added or changed ones are kept in `changed`.
    Everything is ordered by (updatedAt epoch, numeric id), as `sortKey: UPDATED_AT` is."""

    def __init__(self, make, base_id: int, start: int, step: int) -> None:
        self.make, self.base_id, self.start, self.step = make, base_id, start, step
        self.count = 0
        self.changed: dict[int, dict[str, Any]] = {}
        self.keys: list[tuple[int, int]] = []
        self.hidden: set[int] = set()  # seeded ids that were changed or deleted

    def seeded_key(self, index: int) -> tuple[int, int]:
        return self.start + index * self.step, self.base_id + index

    def get(self, number: int) -> dict[str, Any] | None:
        if number in self.changed:
            return self.changed[number]
        index = number - self.base_id
        return self.make(index) if 1 <= index <= self.count and number not in self.hidden else None

    def put(self, number: int, record: dict[str, Any], epoch: int) -> None:
        self.remove(number)
        self.changed[number] = record
        bisect.insort(self.keys, (epoch, number))

    def remove(self, number: int) -> None:
        if number in self.changed:
            old = self.changed.pop(number)
            self.keys.remove((int(old["_epoch"]), number))
        if 1 <= number - self.base_id <= self.count:
            self.hidden.add(number)

    def page(self, after: tuple[int, int] | None, since: int | None, first: int,
             keep=None) -> tuple[list[dict], bool]:
        """Up to `first` records after the cursor (and updated after `since`) that `keep` keeps."""
        floor = max(after or (-1, -1), (since, 1 << 62) if since is not None else (-1, -1))
        merged = heapq.merge(self._seeded(floor), self._changed(floor))
        records = (self.make(ref) if kind == "s" else self.changed[ref] for _, kind, ref in merged)
        taken = list(itertools.islice((r for r in records if keep is None or keep(r)), first + 1))
        return taken[:first], len(taken) > first

    def _seeded(self, floor: tuple[int, int]):
        index = max(1, (floor[0] - self.start) // self.step)
        while index <= self.count:
            key = self.seeded_key(index)
            if key > floor and key[1] not in self.hidden:
                yield key, "s", index
            index += 1

    def _changed(self, floor: tuple[int, int]):
        for key in self.keys[bisect.bisect_right(self.keys, floor):]:
            yield key, "c", key[1]


@dataclass
class PageHold:
    """Pages of products the fake holds back: `asked` is set when the first is requested, and
    the answers wait for `release()` (or for their client to hang up)."""

    number: int
    asked: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        self.released.set()


@dataclass
class _Refresh:
    expires_at: float
    scope: str
    valid: bool = True
    predecessor: str | None = None
    replaced_by: str | None = None


@dataclass
class _Access:
    expires_at: float | None
    scope: str
    refresh: str | None = None


class ShopifyFake(FakeServer):
    def __init__(
        self,
        port: int | None = None,
        *,
        shop: str = "adly-test.myshopify.com",
        shop_name: str = "ADLY Test Store",
        currency: str = "SAR",
        client_id: str = "fake-shopify-client-id",
        client_secret: str = "fake-shopify-client-secret",
        api_version: str = "2026-10",
        expires_in: int = 3600,
        refresh_expires_in: int = 90 * 86400,
        max_query_cost: int = 1000,
        bucket_size: float = 2000.0,
        restore_rate: float = 100.0,
        throttle_status: int = 200,
        max_page_size: int = 250,
        customer_data: str = "approved",
        orders_window_days: int | None = 60,
    ) -> None:
        super().__init__(port)
        self.shop, self.shop_name, self.currency = shop, shop_name, currency
        self.client_id, self.client_secret, self.api_version = client_id, client_secret, api_version
        self.expires_in, self.refresh_expires_in = expires_in, refresh_expires_in
        self.max_query_cost, self.bucket_size, self.restore_rate = max_query_cost, bucket_size, restore_rate
        self.throttle_status, self.max_page_size = throttle_status, max_page_size
        if customer_data not in ("approved", "redacted", "denied"):
            raise ValueError(f"customer_data is approved, redacted or denied, not {customer_data!r}")
        self.customer_data, self.orders_window_days = customer_data, orders_window_days
        self._caller_scope = ""  # of the token of the GraphQL request being answered
        self._field_errors: list[dict[str, Any]] = []  # errors on single fields of the answer being built
        self.denied_fields = 0  # field errors sent for protected customer data
        self._lock = threading.RLock()
        self._available, self._filled_at = bucket_size, time.monotonic()
        self._variants = 3
        self.products = _Table(self._seeded_product, PRODUCT_BASE, PRODUCTS_START, 1)
        self.orders = _Table(self._seeded_order, ORDER_BASE, _recent_orders_start(0), 60)
        self._access: dict[str, _Access] = {}
        self._refresh: dict[str, _Refresh] = {}
        self._codes: dict[str, str] = {}  # code -> scope asked
        self._faults: deque[dict[str, Any]] = deque()
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.calls: deque[dict[str, Any]] = deque(maxlen=500)  # recent GraphQL calls, for assertions
        self.authorize_requests: list[dict[str, str]] = []
        self.token_requests: list[dict[str, str]] = []
        self.throttled = self.cost_refusals = self.graphql_requests = self.stalled = 0
        self._holds: list[PageHold] = []
        self._products_asked = 0  # products pages requested while a hold waits
        self._drain_when_asked = False
        self._ids = itertools.count(1)
        self.app = self._build_app()

    # Test knobs ----------------------------------------------------------------------

    def seed(self, products: int = 0, variants: int = 3, orders: int = 0) -> ShopifyFake:
        """`products` products of `variants` variants (at most 999) and `orders` orders,
        generated on demand from their index, updated a second (orders a minute) apart."""
        with self._lock:
            self.products.count, self._variants, self.orders.count = products, min(variants, 999), orders
            self.orders.start = _recent_orders_start(orders)
        return self

    def fail_next(self, status: int, body: Any = None, headers: dict[str, str] | None = None, times: int = 1) -> None:
        for _ in range(times):
            self._faults.append({"kind": "fail", "status": status, "body": body, "headers": headers})

    def stall_next(self, seconds: float) -> None:
        """The next request is answered after `seconds`, or never if the client hangs up first
        (`stalled` counts the requests held so)."""
        self._faults.append({"kind": "stall", "seconds": seconds})

    def clear_faults(self) -> None:
        self._faults.clear()

    def hold_products_pages(self, number: int = 1) -> PageHold:
        """Hold back the `number`-th page of products requested from now on (1: the next one),
        and every one asked for after it, until `release()`: a reader that tries again (a
        sync taken over when its lease ran out) is held too."""
        with self._lock:
            held = PageHold(self._products_asked + number)
            self._holds.append(held)
        return held

    def redirect_next(self, location: str) -> None:
        self._faults.append({"kind": "redirect", "location": location})

    def huge_next(self, n_bytes: int) -> None:
        self._faults.append({"kind": "huge", "size": n_bytes})

    def drain_bucket(self, to: float = 0.0) -> None:
        with self._lock:
            self._available, self._filled_at = to, time.monotonic()

    def drain_bucket_when_asked(self) -> None:
        """Empty the bucket as the next query arrives: that query is throttled however long
        it took to come (`drain_bucket` leaves the bucket refilling until then)."""
        self._drain_when_asked = True

    def expire_access_tokens(self) -> None:
        with self._lock:
            for token in self._access.values():
                token.expires_at = time.time() - 1

    def uninstall(self) -> None:
        """Every token stops working, as when the merchant removes the app."""
        with self._lock:
            self._access.clear()
            self._refresh.clear()

    def issue_token(self, token: str | None = None, *, expires_in: int | None = None,
                    scope: str = "read_products,read_orders,read_inventory") -> str:
        """An access token without going through OAuth (non-expiring unless `expires_in`)."""
        token = token or f"shpat_{secrets.token_hex(16)}"
        with self._lock:
            self._access[token] = _Access(time.time() + expires_in if expires_in else None, scope)
        return token

    def refresh_token_valid(self, token: str) -> bool:
        found = self._refresh.get(token)
        return bool(found and found.valid and found.expires_at > time.time())

    def add_product(self, title: str = "New product", *, price: str = "25.00", variants: int = 1,
                    **fields: Any) -> dict[str, Any]:
        number = PRODUCT_BASE + 900_000_000 + next(self._ids)
        record = self._seeded_product(1, variants=variants)
        record.update(id=gid("Product", number), title=title, handle=f"new-{number}",
                      onlineStoreUrl=f"https://{self.shop}/products/new-{number}", **fields)
        for n, variant in enumerate(record["variants"]["nodes"]):
            variant.update(id=gid("ProductVariant", VARIANT_BASE + 900_000_000 + number % 1_000_000 * 1000 + n),
                           price=price)
        return self._save(self.products, number, record)

    def update_product(self, external_id: str | int, *, price: str | None = None, **fields: Any) -> dict[str, Any]:
        record = self._copy(self.products, int(external_id))
        record.update(fields)
        for variant in record["variants"]["nodes"]:
            variant["price"] = price or variant["price"]
        return self._save(self.products, int(external_id), record)

    def delete_product(self, external_id: str | int) -> None:
        with self._lock:
            self.products.remove(int(external_id))

    def add_order(self, **fields: Any) -> dict[str, Any]:
        number = ORDER_BASE + 900_000_000 + next(self._ids)
        record = self._seeded_order(1)
        record.update(id=gid("Order", number), name=f"#N{number % 100000}", **fields)
        return self._save(self.orders, number, record)

    def update_order(self, external_id: str | int, **fields: Any) -> dict[str, Any]:
        record = self._copy(self.orders, int(external_id))
        record.update(fields)
        return self._save(self.orders, int(external_id), record)

    def product(self, external_id: str | int) -> dict[str, Any] | None:
        return self.products.get(int(external_id))

    def order(self, external_id: str | int) -> dict[str, Any] | None:
        return self.orders.get(int(external_id))

    def _copy(self, table: _Table, number: int) -> dict[str, Any]:
        record = table.get(number)
        if record is None:
            raise KeyError(f"no record {number}")
        return json.loads(json.dumps(record))

    def _save(self, table: _Table, number: int, record: dict[str, Any]) -> dict[str, Any]:
        epoch = int(time.time())
        record.update(updatedAt=iso(epoch), _epoch=epoch)
        with self._lock:
            table.put(number, record, epoch)
        return record

    # Webhooks ------------------------------------------------------------------------

    def signed_webhook(self, topic: str, payload: Any, *, tamper: bool = False, secret: str | None = None,
                       webhook_id: str | None = None, triggered_at: str | datetime | None = None,
                       ) -> tuple[dict[str, str], bytes]:
        body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
        signature = base64.b64encode(hmac.new((secret or self.client_secret).encode(), body, hashlib.sha256).digest())
        if tamper:
            middle = len(body) // 2
            body = body[:middle] + bytes([body[middle] ^ 0x01]) + body[middle + 1:]
        if isinstance(triggered_at, datetime):
            triggered_at = triggered_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Shopify-Captain-Hook",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": signature.decode(),
            "X-Shopify-Shop-Domain": self.shop,
            "X-Shopify-API-Version": self.api_version,
            "X-Shopify-Webhook-Id": webhook_id or str(uuid.uuid4()),
            "X-Shopify-Event-Id": str(uuid.uuid4()),
            "X-Shopify-Triggered-At": triggered_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z",
        }
        return headers, body

    async def send_webhook(self, url: str, topic: str, payload: Any, *, tamper: bool = False,
                           secret: str | None = None, webhook_id: str | None = None,
                           triggered_at: str | datetime | None = None) -> httpx.Response:
        """POST one delivery as Shopify does (5 s total, 1 s to connect); returns the answer."""
        headers, body = self.signed_webhook(topic, payload, tamper=tamper, secret=secret, webhook_id=webhook_id,
                                            triggered_at=triggered_at)
        async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=1.0), trust_env=False) as client:
            return await client.post(url, content=body, headers=headers)

    def rest_product(self, external_id: str | int) -> dict[str, Any]:
        """The product as a products/create|update webhook carries it (REST shape)."""
        return rest_product(self._need(self.products, external_id))

    def rest_order(self, external_id: str | int) -> dict[str, Any]:
        """The order as an orders/create|updated webhook carries it (REST shape); without
        protected-customer-data approval its customer fields are redacted."""
        order = rest_order(self._need(self.orders, external_id))
        if self.customer_data != "approved":
            order.update(email=None, contact_email=None, customer=None)
        return order

    @staticmethod
    def _need(table: _Table, external_id: str | int) -> dict[str, Any]:
        record = table.get(int(external_id))
        if record is None:
            raise KeyError(f"no record {external_id}")
        return record

    # Generated records ---------------------------------------------------------------

    def _seeded_product(self, index: int, *, variants: int | None = None) -> dict[str, Any]:
        count = self._variants if variants is None else variants
        number, epoch = PRODUCT_BASE + index, PRODUCTS_START + index
        title = f"{TITLES[index % len(TITLES)]} {index}"
        status = "DRAFT" if index % 17 == 0 else "ARCHIVED" if index % 29 == 0 else "ACTIVE"
        values = [SIZES[j] if j < len(SIZES) else f"Size {j + 1}" for j in range(count)]
        return {
            "id": gid("Product", number), "title": title, "handle": f"product-{index}", "status": status,
            "vendor": VENDORS[index % len(VENDORS)], "productType": TYPES[index % len(TYPES)],
            "tags": ["summer", f"collection-{index % 7}"] if index % 2 else [],
            "descriptionHtml": f"<p>{title}: <strong>soft</strong> &amp; breathable.</p><p>Care: hand wash.</p>",
            "onlineStoreUrl": f"https://{self.shop}/products/product-{index}" if status == "ACTIVE" else None,
            "updatedAt": iso(epoch), "_epoch": epoch,
            "options": [{"name": "Size", "values": values, "optionValues": [{"name": v} for v in values]}],
            "variants": {"nodes": [self._variant(index, j, values[j]) for j in range(count)]},
            "media": {"nodes": [
                {"image": {"url": f"https://cdn.shopify.com/s/files/1/0601/products/p{index}_{m}.jpg?v=1",
                           "altText": title if m == 0 else None}} for m in range(2 if index % 10 else 0)]},
        }

    @staticmethod
    def _variant(index: int, j: int, value: str) -> dict[str, Any]:
        cents = 1000 + (index * 37) % 9000 + j * 100
        return {
            "id": gid("ProductVariant", VARIANT_BASE + index * 1000 + j),
            "sku": f"SKU-{index}-{j}" if (index + j) % 13 else "",
            "title": value, "price": f"{cents // 100}.{cents % 100:02d}",
            "compareAtPrice": f"{cents // 100 + 10}.{cents % 100:02d}" if index % 3 == 0 else None,
            "inventoryQuantity": (index * 7 + j * 3) % 40,
            "selectedOptions": [{"name": "Size", "value": value}],
        }

    def _seeded_order(self, index: int) -> dict[str, Any]:
        created, updated = self.orders.start + index * 60, self.orders.start + index * 60 + 30
        financial = ["PAID", "PAID", "PAID", "PENDING", "PAID", "REFUNDED", "PARTIALLY_REFUNDED", "AUTHORIZED",
                     "PAID", "VOIDED"][index % 10]
        lines = [self._order_line(index, n) for n in range(1 + index % 3)]
        subtotal = sum((Decimal(line["discountedTotalSet"]["shopMoney"]["amount"]) for line in lines), Decimal(0))
        discounts = sum((_line_discount(line) for line in lines), Decimal(0))
        shipping = Decimal("25.00") if index % 2 else Decimal("0.00")
        tax = (subtotal * Decimal("0.15")).quantize(CENT, ROUND_HALF_UP)
        # index % 7: 0 a guest with nothing, 1 a customer without email, 3 a guest with email
        email = f"Buyer.{index % 997}@Example.com" if index % 7 not in (0, 1) else None
        customer = {"id": gid("Customer", CUSTOMER_BASE + index % 997)} if index % 7 not in (0, 3) else None
        return {
            "id": gid("Order", ORDER_BASE + index), "name": f"#{1000 + index}",
            "email": email,
            "createdAt": iso(created), "updatedAt": iso(updated), "_epoch": updated,
            "cancelledAt": iso(updated) if index % 23 == 0 else None,
            "currencyCode": self.currency, "sourceName": "pos" if index % 11 == 0 else "web",
            "displayFinancialStatus": financial,
            "displayFulfillmentStatus": "FULFILLED" if index % 3 == 0 else "UNFULFILLED",
            "currentSubtotalPriceSet": self._bag(subtotal), "currentTotalPriceSet": self._bag(subtotal + shipping + tax),
            "currentTotalTaxSet": self._bag(tax), "currentTotalDiscountsSet": self._bag(discounts),
            "totalShippingPriceSet": self._bag(shipping),
            "customer": customer,
            "customerJourneySummary": None if index % 11 == 0 else self._journey(index, created),
            "lineItems": {"nodes": lines},
        }

    def _order_line(self, index: int, n: int) -> dict[str, Any]:
        product = (index * 7 + n) % max(self.products.count, 1) + 1
        variant = self._variant(product, 0, SIZES[0])
        unit, quantity = Decimal(variant["price"]), 1 + (index + n) % 2
        discount = (unit * quantity * Decimal("0.10")).quantize(CENT, ROUND_HALF_UP) if index % 4 == 0 and n == 0 \
            else Decimal("0.00")
        return {
            "name": f"{TITLES[product % len(TITLES)]} {product} - {SIZES[0]}", "sku": variant["sku"],
            "quantity": quantity, "product": {"id": gid("Product", PRODUCT_BASE + product)},
            "variant": {"id": variant["id"]}, "originalUnitPriceSet": self._bag(unit),
            "discountedTotalSet": self._bag(unit * quantity - discount),
        }

    def _journey(self, index: int, created: int) -> dict[str, Any]:
        if index % 9 == 0:
            return {"daysToConversion": None, "ready": False, "firstVisit": None, "lastVisit": None}
        source, medium, click, referrer = CHANNELS[index % len(CHANNELS)]
        landing = f"https://{self.shop}/products/product-{index % 50 + 1}"
        if source:
            landing += f"?utm_source={source}&utm_medium={medium}&utm_campaign=spring_{index % 4}&{click}=clk{index}"
        utm = {"source": source, "medium": medium, "campaign": f"spring_{index % 4}" if source else None,
               "content": None, "term": None}
        first = {"landingPage": landing, "referrerUrl": referrer, "source": source or "direct",
                 "occurredAt": iso(created - 86400 * (index % 4)), "utmParameters": utm}
        last = {"landingPage": f"https://{self.shop}/cart", "referrerUrl": None, "source": "direct",
                "occurredAt": iso(created - 600), "utmParameters": None} if index % 2 else None
        return {"daysToConversion": index % 4, "ready": True, "firstVisit": first, "lastVisit": last}

    def _bag(self, amount: Decimal) -> dict[str, Any]:
        return {"shopMoney": {"amount": str(amount.quantize(CENT)), "currencyCode": self.currency}}

    # HTTP ----------------------------------------------------------------------------

    def _build_app(self) -> FastAPI:
        app = FastAPI()

        @app.middleware("http")
        async def faults(request: Request, call_next):
            fault = self._faults.popleft() if self._faults else None
            if fault is None:
                return await call_next(request)
            if fault["kind"] == "stall":
                self.stalled += 1
                if not await hold(request, seconds=fault["seconds"]):
                    return Response(status_code=499)  # the client hung up: nobody reads this
                return await call_next(request)
            if fault["kind"] == "redirect":
                return Response(status_code=302, headers={"Location": fault["location"]})
            if fault["kind"] == "huge":
                return Response(b"{" + b" " * max(0, fault["size"] - 2) + b"}", media_type="application/json")
            return self._failure(fault)

        @app.post("/admin/api/{version}/graphql.json")
        async def graphql(version: str, request: Request) -> Response:
            raw = await request.body()
            if self._holds and not await self._hold_if_asked(request, raw):
                return Response(status_code=499)
            return self._graphql(version, request.headers.get("x-shopify-access-token"), raw)

        @app.get("/admin/oauth/authorize")
        async def authorize(request: Request) -> Response:
            return self._authorize(dict(request.query_params))

        @app.post("/admin/oauth/access_token")
        async def access_token(request: Request) -> Response:
            raw = await request.body()
            if request.headers.get("content-type", "").startswith("application/json"):
                form = {k: str(v) for k, v in json.loads(raw or b"{}").items()}
            else:
                form = dict(parse_qsl(raw.decode()))
            return self._token(form)

        return app

    async def _hold_if_asked(self, request: Request, raw: bytes) -> bool:
        """Count the products pages asked for while a hold waits, and hold those it names;
        False if the client hung up meanwhile."""
        if not _asks_for_products(raw):
            return True
        with self._lock:
            self._holds = [h for h in self._holds if not h.released.is_set()]
            self._products_asked += 1
            due = next((h for h in self._holds if h.number <= self._products_asked), None)
        if due is None:
            return True
        due.asked.set()
        return await hold(request, until=due.released)

    @staticmethod
    def _failure(fault: dict[str, Any]) -> Response:
        status, body = fault["status"], fault["body"]
        headers = dict(fault["headers"] or {})
        if status == 429:
            headers.setdefault("Retry-After", "2.0")
        if body is None:
            body = {429: {"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume "
                                    "uninterrupted service."},
                    401: json.loads(UNAUTHORIZED), 404: {"errors": "Not Found"}}.get(
                status, {"errors": [{"message": "Internal error. Looks like something went wrong on our end.",
                                     "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]})
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return Response(content, status_code=status, headers=headers, media_type="application/json")

    def _json(self, body: Any, status: int = 200, version: str | None = None) -> Response:
        headers = {"X-Request-Id": str(uuid.uuid4()), "X-Shopify-API-Version": version or self.api_version}
        # orjson: a 250-product page is half a megabyte, and the benchmark's fake shares the CPU
        return Response(orjson.dumps(body), status_code=status, headers=headers, media_type="application/json")

    def _check_token(self, token: str | None) -> bool:
        with self._lock:
            found = self._access.get(token or "")
            if found is None or (found.expires_at is not None and found.expires_at <= time.time()):
                return False
            self._first_use(found.refresh)
            return True

    def _first_use(self, refresh: str | None) -> None:
        """Using a replacement retires the refresh token it replaced (Aug-2026 rule)."""
        current = self._refresh.get(refresh or "")
        if current and current.predecessor:
            if previous := self._refresh.get(current.predecessor):
                previous.valid = False
            current.predecessor = None

    # GraphQL -------------------------------------------------------------------------

    def _graphql(self, version: str, token: str | None, raw: bytes) -> Response:
        self.graphql_requests += 1
        if not self._check_token(token):
            return Response(UNAUTHORIZED, status_code=401, media_type="application/json",
                            headers={"WWW-Authenticate": 'Basic Realm="Shopify API Authentication"'})
        try:
            request = json.loads(raw)
            variables = request.get("variables") or {}
            operation, fields = parse_graphql(request["query"])
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            return self._json({"errors": [{"message": f"Parse error: {error}",
                                           "extensions": {"code": "PARSE_ERROR"}}]}, version=version)
        requested = query_cost(operation, fields, variables)
        self.calls.append({"query": request["query"], "variables": variables, "cost": requested})
        self._caller_scope = self._access[token or ""].scope
        if self._drain_when_asked:
            self._drain_when_asked = False
            self.drain_bucket()
        if requested > self.max_query_cost:
            self.cost_refusals += 1
            return self._json({"errors": [{
                "message": f"Query cost is {requested}, which exceeds the single query max cost limit "
                           f"({self.max_query_cost}).",
                "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": self.max_query_cost,
                               "documentation": "https://shopify.dev/api/usage/rate-limits"}}]}, version=version)
        if not self._charge(requested):
            self.throttled += 1
            return self._json({"errors": [{"message": "Throttled", "extensions": {
                "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": {"cost": self._cost(requested, None)}}, status=self.throttle_status, version=version)
        data, errors, counts = self._execute(operation, fields, variables)
        actual = query_cost(operation, fields, variables, counts)
        self._refund(requested - actual)
        body: dict[str, Any] = {"data": data, "extensions": {"cost": self._cost(requested, actual)}}
        if errors:
            body["errors"] = errors
        return self._json(body, version=version)

    def _refill(self) -> None:
        now = time.monotonic()
        self._available = min(self.bucket_size, self._available + (now - self._filled_at) * self.restore_rate)
        self._filled_at = now

    def _charge(self, cost: int) -> bool:
        with self._lock:
            self._refill()
            if cost > self._available:
                return False
            self._available -= cost
            return True

    def _refund(self, points: int) -> None:
        with self._lock:
            self._available = min(self.bucket_size, self._available + max(0, points))

    def _cost(self, requested: int, actual: int | None) -> dict[str, Any]:
        with self._lock:
            self._refill()
            status = {"maximumAvailable": float(self.bucket_size), "currentlyAvailable": int(self._available),
                      "restoreRate": float(self.restore_rate)}
        return {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": status}

    def _execute(self, operation: str, fields: list[Field], variables: dict[str, Any]):
        data: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        self._field_errors = errors  # resolvers add errors on single fields here
        counts: dict[str, int] = {}
        for f in fields:
            resolver = getattr(self, f"_{operation}_{f.name}", None)
            if resolver is None:
                errors.append({"message": f"Field '{f.name}' doesn't exist on type "
                                          f"'{'Mutation' if operation == 'mutation' else 'QueryRoot'}'",
                               "extensions": {"code": "undefinedField", "fieldName": f.name}})
                continue
            args = {k: resolve(v, variables) for k, v in f.args.items()}
            try:
                data[f.key], count = resolver(f, args, variables)
            except _UserInputError as error:
                data[f.key], count = None, None
                errors.append({"message": str(error), "path": [f.key], "extensions": {"code": "BAD_USER_INPUT"}})
            if count is not None:
                counts[f.key] = count
        return data or None, errors, counts

    def _query_shop(self, f: Field, args: dict[str, Any], variables: dict[str, Any]):
        return {"id": gid("Shop", 60_000_001), "name": self.shop_name, "currencyCode": self.currency,
                "myshopifyDomain": self.shop}, None

    def _query_products(self, f: Field, args: dict[str, Any], variables: dict[str, Any]):
        return self._connection(self.products, f, args, variables, ("variants", "media"))

    def _query_orders(self, f: Field, args: dict[str, Any], variables: dict[str, Any]):
        created = _created_after(args.get("query"))
        if self.orders_window_days is not None and "read_all_orders" not in re.split(r"[,\s]+", self._caller_scope):
            created = max(created or 0, int(time.time()) - self.orders_window_days * DAY)
        keep = None if created is None else (lambda r: _epoch_of(r["createdAt"]) >= created)
        result, count = self._connection(self.orders, f, args, variables, ("lineItems",), keep=keep)
        self._protect_customers(f, result["nodes"])
        return result, count

    def _protect_customers(self, f: Field, nodes: list[dict[str, Any]]) -> None:
        """Without protected-customer-data approval: the fields come back null, and as errors
        on those fields when `customer_data="denied"`."""
        if self.customer_data == "approved":
            return
        node = f.child("nodes")
        asked = [name for name in ("email", "customer") if node is None or node.child(name) is not None]
        for i, order in enumerate(nodes):
            for name in asked:
                order[name] = None
                if self.customer_data == "denied":
                    self.denied_fields += 1
                    self._field_errors.append({"message": DENIED, "locations": [{"line": 1, "column": 1}],
                                               "path": [f.key, "nodes", i, name],
                                               "extensions": {"code": "ACCESS_DENIED"}})

    def _connection(self, table: _Table, f: Field, args: dict[str, Any], variables: dict[str, Any],
                    nested: tuple[str, ...], keep=None):
        first = args.get("first")
        if not isinstance(first, int) or not 0 < first <= self.max_page_size:
            raise _UserInputError(f"first must be between 1 and {self.max_page_size}")
        after = _decode_cursor(args.get("after")) if args.get("after") else None
        since = _updated_after(args.get("query"))
        with self._lock:
            records, more = table.page(after, since, first, keep)
        node = f.child("nodes") or (f.child("edges") and f.child("edges").child("node"))
        limits = {name: _first(node, name, variables) for name in nested}
        nodes = [_public(r, limits) for r in records]
        result: dict[str, Any] = {"nodes": nodes, "pageInfo": {
            "hasNextPage": more, "hasPreviousPage": after is not None,
            "startCursor": _encode_cursor(records[0]) if records else None,
            "endCursor": _encode_cursor(records[-1]) if records else None}}
        if f.child("edges"):
            result["edges"] = [{"cursor": _encode_cursor(r), "node": n} for r, n in zip(records, nodes, strict=True)]
        return result, len(records)

    def _query_webhookSubscriptions(self, f: Field, args: dict[str, Any], variables: dict[str, Any]):
        topics = set(args.get("topics") or TOPICS)
        nodes = [dict(s) for s in self.subscriptions.values() if s["topic"] in topics][:args.get("first") or 50]
        return {"nodes": nodes, "pageInfo": {"hasNextPage": False, "endCursor": None}}, len(nodes)

    def _mutation_webhookSubscriptionCreate(self, f: Field, args: dict[str, Any], variables: dict[str, Any]):
        topic, given = args.get("topic"), args.get("webhookSubscription") or {}
        uri = given.get("uri") or given.get("callbackUrl")
        if topic not in TOPICS:
            raise _UserInputError(f"Variable $topic of type WebhookSubscriptionTopic! was provided invalid value {topic}")
        if not uri:
            return {"webhookSubscription": None, "userErrors": [
                {"field": ["webhookSubscription", "uri"], "message": "Address can't be blank"}]}, None
        if any(s["topic"] == topic and s["uri"] == uri for s in self.subscriptions.values()):
            return {"webhookSubscription": None, "userErrors": [
                {"field": ["webhookSubscription", "callbackUrl"],
                 "message": "Address for this topic has already been taken"}]}, None
        subscription = {"id": gid("WebhookSubscription", 1_100_000 + next(self._ids)), "topic": topic, "uri": uri,
                        "format": given.get("format", "JSON"), "input": given}
        self.subscriptions[subscription["id"]] = subscription
        return {"webhookSubscription": {k: subscription[k] for k in ("id", "topic", "uri", "format")},
                "userErrors": []}, None

    def _mutation_webhookSubscriptionDelete(self, f: Field, args: dict[str, Any], variables: dict[str, Any]):
        if self.subscriptions.pop(args.get("id"), None) is None:
            return {"deletedWebhookSubscriptionId": None, "userErrors": [
                {"field": ["id"], "message": "Webhook subscription does not exist"}]}, None
        return {"deletedWebhookSubscriptionId": args["id"], "userErrors": []}, None

    # OAuth ---------------------------------------------------------------------------

    def _authorize(self, query: dict[str, str]) -> Response:
        self.authorize_requests.append(query)
        if query.get("client_id") != self.client_id or not query.get("redirect_uri"):
            return Response("Oauth error invalid_request: The client_id or redirect_uri is not valid",
                            status_code=400, media_type="text/html")
        code = secrets.token_hex(16)
        self._codes[code] = query.get("scope", "")
        name = self.shop.split(".")[0]
        params = {"code": code, "host": base64.b64encode(f"admin.shopify.com/store/{name}".encode()).decode(),
                  "shop": self.shop, "state": query.get("state", ""), "timestamp": str(int(time.time()))}
        params["hmac"] = callback_hmac(params, self.client_secret)
        return Response(status_code=302, headers={"Location": f"{query['redirect_uri']}?{urlencode(params)}"})

    def _token(self, form: dict[str, str]) -> Response:
        self.token_requests.append({k: v for k, v in form.items() if k != "client_secret"})
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return self._json({"error": "invalid_client",
                               "error_description": "Client authentication failed."}, status=401)
        with self._lock:
            if form.get("grant_type") == "refresh_token":
                return self._rotate(form.get("refresh_token", ""))
            scope = self._codes.pop(form.get("code", ""), None)
            if scope is None:
                return self._json({"error": "invalid_request", "error_description":
                                   "The authorization code was not found or was already used"}, status=400)
            return self._json(self._grant(scope, expiring=form.get("expiring") == "1"))

    def _grant(self, scope: str, *, expiring: bool, predecessor: str | None = None) -> dict[str, Any]:
        access = f"shpat_{secrets.token_hex(16)}"
        if not expiring:
            self._access[access] = _Access(None, scope)
            return {"access_token": access, "scope": scope}
        refresh = f"shprt_{secrets.token_hex(16)}"
        self._refresh[refresh] = _Refresh(time.time() + self.refresh_expires_in, scope, predecessor=predecessor)
        self._access[access] = _Access(time.time() + self.expires_in, scope, refresh)
        return {"access_token": access, "scope": scope, "expires_in": self.expires_in, "refresh_token": refresh,
                "refresh_token_expires_in": self.refresh_expires_in}

    def _rotate(self, token: str) -> Response:
        if not self.refresh_token_valid(token):
            return self._json({"error": "invalid_grant", "error_description":
                               "The refresh token is invalid, expired or revoked."}, status=400)
        current = self._refresh[token]
        self._first_use(token)  # a replacement being used retires what it replaced
        if current.replaced_by and (unused := self._refresh.get(current.replaced_by)):
            unused.valid = False  # a newer replacement supersedes one that never got used
        grant = self._grant(current.scope, expiring=True, predecessor=token)
        current.replaced_by = grant["refresh_token"]
        return self._json(grant)


class _UserInputError(ValueError):
    pass


def _first(node: Field | None, name: str, variables: dict[str, Any]) -> int:
    child = node.child(name) if node else None
    value = resolve(child.args.get("first"), variables) if child else None
    return value if isinstance(value, int) else 250


def _public(record: dict[str, Any], limits: dict[str, int]) -> dict[str, Any]:
    """The record without the fake's own keys, its nested connections cut to their `first`."""
    out = {k: v for k, v in record.items() if k != "_epoch"}
    for name, first in limits.items():
        out[name] = {"nodes": record[name]["nodes"][:first]}
    return out


def _line_discount(line: dict[str, Any]) -> Decimal:
    unit = Decimal(line["originalUnitPriceSet"]["shopMoney"]["amount"])
    return unit * line["quantity"] - Decimal(line["discountedTotalSet"]["shopMoney"]["amount"])


def _encode_cursor(record: dict[str, Any]) -> str:
    key = {"last_id": gid_number(record["id"]), "last_value": iso(record["_epoch"])}
    return base64.b64encode(json.dumps(key).encode()).decode()


def _decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        key = json.loads(base64.b64decode(cursor))
        value = datetime.fromisoformat(key["last_value"].replace("Z", "+00:00"))
        return int(value.timestamp()), int(key["last_id"])
    except (ValueError, KeyError, TypeError) as error:
        raise _UserInputError("Invalid cursor for current pagination sort.") from error


def _epoch_of(value: str) -> int:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


def _created_after(query: str | None) -> int | None:
    """`created_at:>='<iso>'` (or >): the first creation second kept."""
    match = re.search(r"created_at:(>=?)'?([0-9T:.+\-Z]+)'?", query or "")
    if not match:
        return None
    at = _epoch_of(match.group(2))
    return at if match.group(1) == ">=" else at + 1


def _updated_after(query: str | None) -> int | None:
    """`updated_at:>'2026-01-01T00:00:00Z'` (also >=, quoted or not); other terms are ignored."""
    match = re.search(r"updated_at:(>=?)'?([0-9T:.+\-Z]+)'?", query or "")
    if not match:
        return None
    at = int(datetime.fromisoformat(match.group(2).replace("Z", "+00:00")).timestamp())
    return at - 1 if match.group(1) == ">=" else at


# REST shapes, as webhooks carry them -------------------------------------------------

SHOP_ZONE = timezone(timedelta(hours=3))  # REST times are in the shop's zone (Riyadh here)


def rest_time(value: str | None) -> str | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(SHOP_ZONE).isoformat()


def rest_product(record: dict[str, Any]) -> dict[str, Any]:
    number = gid_number(record["id"])
    option = record["options"][0] if record["options"] else {"name": "Title", "values": ["Default Title"]}
    images = record["media"]["nodes"]
    variants = [{
        "id": gid_number(v["id"]), "product_id": number, "title": v["title"], "price": v["price"], "sku": v["sku"],
        "position": n + 1, "compare_at_price": v["compareAtPrice"], "option1": v["selectedOptions"][0]["value"],
        "option2": None, "option3": None, "inventory_quantity": v["inventoryQuantity"],
        "inventory_management": "shopify", "admin_graphql_api_id": v["id"],
    } for n, v in enumerate(record["variants"]["nodes"])]
    rest_images = [{"id": 30_000_000_000 + number % 1_000_000 * 10 + n, "product_id": number, "position": n + 1,
                    "alt": m["image"]["altText"], "src": m["image"]["url"], "width": 1200, "height": 1600,
                    "variant_ids": []} for n, m in enumerate(images)]
    return {
        "id": number, "admin_graphql_api_id": record["id"], "title": record["title"],
        "body_html": record["descriptionHtml"], "vendor": record["vendor"], "product_type": record["productType"],
        "handle": record["handle"], "status": record["status"].lower(), "tags": ", ".join(record["tags"]),
        "created_at": rest_time(record["updatedAt"]), "updated_at": rest_time(record["updatedAt"]),
        "published_scope": "global", "variants": variants,
        "options": [{"id": number + 1, "product_id": number, "name": option["name"], "position": 1,
                     "values": option["values"]}],
        "images": rest_images, "image": rest_images[0] if rest_images else None,
    }


def rest_order(record: dict[str, Any]) -> dict[str, Any]:
    currency = record["currencyCode"]

    def amount(bag: str) -> str:
        return record[bag]["shopMoney"]["amount"]

    journey = record.get("customerJourneySummary") or {}
    visit = journey.get("lastVisit") or journey.get("firstVisit") or {}
    landing = urlsplit(visit["landingPage"]) if visit.get("landingPage") else None
    customer = record.get("customer")
    fulfillment = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial"}.get(record["displayFulfillmentStatus"])
    return {
        "id": gid_number(record["id"]), "admin_graphql_api_id": record["id"], "name": record["name"],
        "email": record["email"], "contact_email": record["email"],
        "created_at": rest_time(record["createdAt"]), "updated_at": rest_time(record["updatedAt"]),
        "cancelled_at": rest_time(record["cancelledAt"]), "currency": currency, "presentment_currency": currency,
        "total_price": amount("currentTotalPriceSet"), "subtotal_price": amount("currentSubtotalPriceSet"),
        "total_tax": amount("currentTotalTaxSet"), "total_discounts": amount("currentTotalDiscountsSet"),
        "current_total_price": amount("currentTotalPriceSet"),
        "current_subtotal_price": amount("currentSubtotalPriceSet"),
        "current_total_tax": amount("currentTotalTaxSet"),
        "current_total_discounts": amount("currentTotalDiscountsSet"),
        "total_shipping_price_set": {"shop_money": {"amount": amount("totalShippingPriceSet"), "currency_code": currency},
                                     "presentment_money": {"amount": amount("totalShippingPriceSet"),
                                                           "currency_code": currency}},
        "financial_status": (record["displayFinancialStatus"] or "pending").lower(),
        "fulfillment_status": fulfillment,
        "landing_site": (landing.path or "/") + (f"?{landing.query}" if landing.query else "") if landing else None,
        "referring_site": visit.get("referrerUrl"),
        "source_name": record["sourceName"],
        "customer": {"id": gid_number(customer["id"]), "email": record["email"], "admin_graphql_api_id": customer["id"]}
        if customer else None,
        "line_items": [{
            "id": 20_000_000_000 + gid_number(record["id"]) % 1_000_000 * 10 + n,
            "product_id": gid_number(line["product"]["id"]), "variant_id": gid_number(line["variant"]["id"]),
            "sku": line["sku"], "name": line["name"], "title": line["name"].rsplit(" - ", 1)[0],
            "quantity": line["quantity"], "price": line["originalUnitPriceSet"]["shopMoney"]["amount"],
            "total_discount": str(_line_discount(line)),
            "price_set": {"shop_money": {"amount": line["originalUnitPriceSet"]["shopMoney"]["amount"],
                                         "currency_code": currency}},
        } for n, line in enumerate(record["lineItems"]["nodes"])],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake Shopify Admin API on 127.0.0.1")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--variants", type=int, default=3)
    parser.add_argument("--orders", type=int, default=0)
    parser.add_argument("--max-query-cost", type=int, default=1000)
    parser.add_argument("--bucket", type=float, default=2000.0)
    parser.add_argument("--restore", type=float, default=100.0)
    parser.add_argument("--token", default="shpat_fake_bench_token", help="a non-expiring access token to accept")
    parser.add_argument("--client-secret", default="fake-shopify-client-secret")
    args = parser.parse_args()
    fake = ShopifyFake(args.port, max_query_cost=args.max_query_cost, bucket_size=args.bucket,
                       restore_rate=args.restore, client_secret=args.client_secret)
    fake.seed(products=args.products, variants=args.variants, orders=args.orders)
    fake.issue_token(args.token)
    fake.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"ready {fake.url}", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    fake.stop()


if __name__ == "__main__":
    main()
