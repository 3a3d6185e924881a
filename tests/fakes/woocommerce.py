"""A fake WooCommerce store (WP REST `wc/v3`, wc-auth, webhooks) for the real client.

Reproduces what WooCommerce's own code does (class-wc-rest-authentication.php, class-wc-auth.php,
class-wc-webhook.php, the v3 CRUD controllers): keys as HTTP Basic or as `consumer_key` /
`consumer_secret` query parameters (the fake is plain http unless `tls=True`; a real store reads
keys this way only over https), the real 401 bodies, `per_page` 1..100 with the real `rest_invalid_param` body,
X-WP-Total / X-WP-TotalPages / Link rel="prev"/"next", `status=any` excluding trash,
`modified_after` as an exclusive bound on *local* dates unless `dates_are_gmt=true` (the store
runs at UTC+3 so a client that forgets the flag is caught), variations behind
/products/{id}/variations, webhooks CRUD (delete needs `force=true`), the unsigned ping on
webhook creation, signed deliveries with PHP-style JSON (`\\/`, `\\uXXXX`) and the real headers,
disabling after more than 5 failed deliveries, and a wc-auth endpoint that auto-approves.

Core topics only (`<resource>.created|updated|deleted|restored` for coupon, customer, order,
product, and `action.<hook>`): `product.published` is not one and is refused. wc-auth refuses a
callback_url that is not https ("The callback_url needs to be over SSL", as `WC_Auth` does)
unless built with `require_https_callback=False` (a local sandbox). `tls=True` serves https
with a self-signed certificate for 127.0.0.1 (`ssl_context` trusts it), and
`strip_authorization=True` drops the `Authorization` header before Woo sees it, as PHP under
CGI/FastCGI does: Basic auth then reaches Woo as no key at all.

Fault knobs (each applies to the next request(s) the fake receives): `fail_next`, `waf_next`,
`stall_next`, `redirect_next`, `huge_next`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import json
import os
import random
import re
import secrets
import shutil
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse

from tests.fakes.server import FakeServer, hold

WC_VERSION, WP_VERSION = "9.8.1", "6.8.1"
USER_AGENT = f"WooCommerce/{WC_VERSION} Hookshot (WordPress/{WP_VERSION})"
ORDER_STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "checkout-draft")
PRODUCT_STATUSES = ("draft", "pending", "private", "publish", "future")
CORE_TOPICS = {f"{resource}.{event}" for resource in ("coupon", "customer", "order", "product")
               for event in ("created", "updated", "deleted", "restored")}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(Z|[+-]\d{2}(?::\d{2})?)?$")
NO_ROUTE = {"code": "rest_no_route", "message": "No route was found matching the URL and request method.",
            "data": {"status": 404}}


def php_json(payload: Any) -> bytes:
    """What wp_json_encode() sends: compact, slashes escaped, non-ASCII as \\uXXXX."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/").encode()


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def wp_error(code: str, message: str, status: int, **data: Any) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "data": {"status": status, **data}}, status_code=status)


def invalid_param(name: str, message: str, detail_code: str) -> JSONResponse:
    return wp_error("rest_invalid_param", f"Invalid parameter(s): {name}", 400, params={name: message},
                    details={name: {"code": detail_code, "message": message, "data": None}})


@dataclass
class Key:
    key_id: int
    consumer_secret: str
    permissions: str  # read | write | read_write


@dataclass
class Fault:
    kind: str  # fail | stall | redirect | huge
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    location: str = ""
    size: int = 0


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    auth: str | None  # "basic" | "query" | None
    body: Any = None


class FakeWooCommerce(FakeServer):
    def __init__(self, port: int | None = None, *, currency: str = "SAR", store_name: str = "Rawan &amp; Sons Boutique",
                 base_path: str = "", utc_offset_hours: int = 3, woocommerce_active: bool = True,
                 ping_on_create: bool = True, require_https_callback: bool = True, tls: bool = False,
                 strip_authorization: bool = False) -> None:
        super().__init__(port)
        self.tls, self.strip_authorization = tls, strip_authorization
        self._certificate: tuple[str, str] | None = None
        if tls:
            self.url = f"https://127.0.0.1:{self.port}"
        self.base_path = base_path.rstrip("/")
        self.site_url = f"{self.url}{self.base_path}"
        self.currency, self.store_name, self.woocommerce_active = currency, store_name, woocommerce_active
        self.offset = timedelta(hours=utc_offset_hours)
        self.ping_on_create, self.require_https_callback = ping_on_create, require_https_callback
        self.authorize_denies = False
        self.lock = threading.RLock()
        self.clock = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)
        self.keys: dict[str, Key] = {}
        self.products: dict[int, dict[str, Any]] = {}
        self.variations: dict[int, dict[int, dict[str, Any]]] = {}
        self.orders: dict[int, dict[str, Any]] = {}
        self.webhooks: dict[int, dict[str, Any]] = {}
        self.requests: list[Seen] = []
        self.stalled = 0
        self.sent: list[dict[str, Any]] = []  # pings, deliveries and wc-auth callbacks the store made
        self._faults: list[Fault] = []
        self._ids = iter(range(101, 10**9))
        self.consumer_key, self.consumer_secret = self.add_key("read_write")
        self.app = self._build_app()

    # -- TLS --------------------------------------------------------------------------------

    def start(self) -> FakeWooCommerce:
        if not self.tls:
            return super().start()
        certfile, keyfile = self._certificate = _self_signed_certificate()
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_config=None, access_log=False,
                                timeout_graceful_shutdown=1, lifespan="off", ssl_certfile=certfile,
                                ssl_keyfile=keyfile)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=lambda: asyncio.run(self._server.serve()), daemon=True,
                                        name="fake-FakeWooCommerce-tls")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"FakeWooCommerce did not start on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        super().stop()
        if self._certificate is not None:
            shutil.rmtree(os.path.dirname(self._certificate[0]), ignore_errors=True)
            self._certificate = None

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this fake's certificate (and nothing else)."""
        if self._certificate is None:
            raise RuntimeError("not serving TLS (tls=True, and started)")
        return ssl.create_default_context(cafile=self._certificate[0])

    # -- knobs ------------------------------------------------------------------------------

    def fail_next(self, status: int, body: Any = None, headers: dict[str, str] | None = None, times: int = 1) -> None:
        for _ in range(times):
            self._faults.append(Fault("fail", status=status, body=body, headers=dict(headers or {})))

    def waf_next(self, status: int = 429, retry_after: float | str | None = 5, times: int = 1) -> None:
        """A host's firewall (Woo core has no limiter): an HTML page and Retry-After."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        page = f"<html><head><title>{status}</title></head><body><h1>Too Many Requests</h1></body></html>"
        self.fail_next(status, body=page, headers=headers, times=times)

    def stall_next(self, seconds: float) -> None:
        """The next request is answered after `seconds`, or never if the client hangs up first
        (`stalled` counts the requests held so)."""
        self._faults.append(Fault("stall", seconds=seconds))

    def redirect_next(self, location: str) -> None:
        self._faults.append(Fault("redirect", location=location))

    def huge_next(self, n_bytes: int) -> None:
        """A 200 streamed without Content-Length, so only a reader's running count can stop it."""
        self._faults.append(Fault("huge", size=n_bytes))

    # -- state ------------------------------------------------------------------------------

    def add_key(self, permissions: str = "read_write") -> tuple[str, str]:
        key, secret = f"ck_{secrets.token_hex(20)}", f"cs_{secrets.token_hex(20)}"
        self.keys[key] = Key(next(self._ids), secret, permissions)
        return key, secret

    def revoke_key(self, consumer_key: str) -> None:
        self.keys.pop(consumer_key, None)

    def tick(self) -> datetime:
        """The store's clock: every change is a minute after the previous one (seeded history
        lies in the past), and never behind real time, as a live store's changes are not."""
        self.clock = max(self.clock + timedelta(minutes=1), datetime.now(UTC).replace(microsecond=0))
        return self.clock

    def _dates(self, prefix: str, when: datetime) -> dict[str, str]:
        return {prefix: (when + self.offset).strftime("%Y-%m-%dT%H:%M:%S"), f"{prefix}_gmt": when.strftime("%Y-%m-%dT%H:%M:%S")}

    def add_product(self, name: str, *, type: str = "simple", price: str = "21.99", regular_price: str | None = None,
                    sale_price: str = "", status: str = "publish", sku: str | None = None, stock: int | None = None,
                    images: int = 2, attributes: list[dict[str, Any]] | None = None, category: str = "Dresses",
                    tags: tuple[str, ...] = ("new",), brand: str | None = None) -> dict[str, Any]:
        with self.lock:
            pid, when = next(self._ids), self.tick()
            slug = quote(re.sub(r"\s+", "-", name.strip().lower()), safe="-").lower()
            product = {
                "id": pid, "name": name, "slug": slug, "permalink": f"{self.site_url}/product/{slug}/",
                **self._dates("date_created", when), **self._dates("date_modified", when),
                "type": type, "status": status, "featured": False, "catalog_visibility": "visible",
                "description": f"<p>{name}</p>", "short_description": "", "sku": sku or "",
                "price": price if type != "variable" else "",
                "regular_price": regular_price or (price if type != "variable" else ""),
                "sale_price": sale_price, "on_sale": bool(sale_price), "purchasable": bool(price),
                "total_sales": 0, "virtual": False, "downloadable": False, "manage_stock": stock is not None,
                "stock_quantity": stock, "stock_status": "instock", "backorders": "no",
                "categories": [{"id": 15, "name": category, "slug": category.lower()}],
                "tags": [{"id": 30 + i, "name": t, "slug": t} for i, t in enumerate(tags)],
                "brands": [{"id": 40, "name": brand, "slug": brand.lower()}] if brand else [],
                "images": [{"id": pid * 10 + i, **self._dates("date_created", when),
                            "src": f"{self.site_url}/wp-content/uploads/2026/03/{pid}-{i}.jpg",
                            "name": f"{pid}-{i}", "alt": name if i == 0 else ""} for i in range(images)],
                "attributes": attributes or [], "default_attributes": [], "variations": [], "grouped_products": [],
                "menu_order": 0, "price_html": "", "related_ids": [], "meta_data": [],
                "_links": {"self": [{"href": f"{self.site_url}/wp-json/wc/v3/products/{pid}"}],
                           "collection": [{"href": f"{self.site_url}/wp-json/wc/v3/products"}]},
            }
            self.products[pid] = product
            self.variations[pid] = {}
            return product

    def add_variation(self, product_id: int, options: dict[str, str], *, price: str, regular_price: str | None = None,
                      stock: int | None = None, manage_stock: bool | str | None = None, status: str = "publish",
                      sku: str | None = None) -> dict[str, Any]:
        with self.lock:
            parent, vid, when = self.products[product_id], next(self._ids), self.tick()
            managed = manage_stock if manage_stock is not None else stock is not None
            if managed == "parent" and not parent["manage_stock"]:
                managed = stock is not None  # Woo reports "parent" only when the parent manages stock
            variation = {
                "id": vid, "type": "variation", "parent_id": product_id,
                "name": f"{parent['name']} - {', '.join(options.values())}",
                **self._dates("date_created", when), **self._dates("date_modified", when),
                "description": "", "permalink": parent["permalink"] + "?" + urlencode(
                    {f"attribute_pa_{k.lower()}": v.lower() for k, v in options.items()}),
                "sku": sku or "", "price": price, "regular_price": regular_price or price,
                "sale_price": price if regular_price and regular_price != price else "",
                "on_sale": bool(regular_price and regular_price != price), "status": status,
                "purchasable": True, "virtual": False, "downloadable": False, "manage_stock": managed,
                "stock_quantity": stock if managed is True else (parent["stock_quantity"] if managed == "parent" else None),
                "stock_status": "instock", "image": {"id": vid * 10, "src": f"{self.site_url}/wp-content/uploads/{vid}.jpg",
                                                     "name": str(vid), "alt": ""},
                "attributes": [{"id": i + 1, "name": k, "slug": f"pa_{k.lower()}", "option": v}
                               for i, (k, v) in enumerate(options.items())],
                "menu_order": 0, "meta_data": [],
            }
            self.variations[product_id][vid] = variation
            parent["variations"].append(vid)
            prices = [v["price"] for v in self.variations[product_id].values()]
            # Saving a variation syncs (and so modifies) its parent.
            parent.update(price=min(prices, key=float), **self._dates("date_modified", when))
            return variation

    def update_product(self, product_id: int, **fields: Any) -> dict[str, Any]:
        with self.lock:
            product = self.products[product_id]
            product.update(fields, **self._dates("date_modified", self.tick()))
            return product

    def update_variation(self, product_id: int, variation_id: int, **fields: Any) -> dict[str, Any]:
        with self.lock:
            when = self.tick()
            self.variations[product_id][variation_id].update(fields, **self._dates("date_modified", when))
            self.products[product_id].update(self._dates("date_modified", when))
            return self.variations[product_id][variation_id]

    def trash_product(self, product_id: int) -> None:
        self.update_product(product_id, status="trash")

    def add_order(self, lines: list[tuple[int, int, int]], *, status: str = "processing", email: str = "Layla@Example.com",
                  customer_id: int = 0, attribution: dict[str, str] | None = None, refunds: tuple[str, ...] = (),
                  shipping: str = "15.00", discount: str = "0.00", tax_rate: str = "0.15") -> dict[str, Any]:
        """`lines`: (product id, variation id or 0, quantity); prices come from the catalog."""
        with self.lock:
            oid, when = next(self._ids), self.tick()
            items, net = [], 0
            for n, (pid, vid, qty) in enumerate(lines):
                source = self.variations[pid][vid] if vid else self.products[pid]
                subtotal_cents = round(float(source["price"]) * 100) * qty
                net += subtotal_cents
                items.append({
                    "id": oid * 10 + n, "name": source.get("name") or self.products[pid]["name"], "product_id": pid,
                    "variation_id": vid, "quantity": qty, "tax_class": "", "subtotal": f"{subtotal_cents / 100:.2f}",
                    "subtotal_tax": "0.00", "total": f"{subtotal_cents / 100:.2f}", "total_tax": "0.00", "taxes": [],
                    "meta_data": [], "sku": source["sku"], "price": subtotal_cents / 100 / qty if qty else 0,
                    "image": {"id": "", "src": ""}, "parent_name": self.products[pid]["name"] if vid else None,
                })
            tax_cents = round(net * float(tax_rate))
            total = (net + tax_cents + round(float(shipping) * 100) - round(float(discount) * 100)) / 100
            order = {
                "id": oid, "parent_id": 0, "status": status, "currency": self.currency, "version": WC_VERSION,
                "prices_include_tax": False, **self._dates("date_created", when), **self._dates("date_modified", when),
                "discount_total": discount, "discount_tax": "0.00", "shipping_total": shipping, "shipping_tax": "0.00",
                "cart_tax": f"{tax_cents / 100:.2f}", "total": f"{total:.2f}", "total_tax": f"{tax_cents / 100:.2f}",
                "customer_id": customer_id, "order_key": f"wc_order_{secrets.token_hex(6)}",
                "billing": {"first_name": "Layla", "last_name": "Haddad", "company": "", "address_1": "King Fahd Rd",
                            "address_2": "", "city": "Riyadh", "state": "", "postcode": "12211", "country": "SA",
                            "email": email, "phone": "+966500000000"},
                "shipping": {"first_name": "Layla", "last_name": "Haddad", "city": "Riyadh", "country": "SA"},
                "payment_method": "cod", "payment_method_title": "Cash on delivery", "transaction_id": "",
                "customer_ip_address": "203.0.113.7", "customer_user_agent": "Mozilla/5.0", "created_via": "checkout",
                "customer_note": "", "date_completed": None, "date_completed_gmt": None,
                **(self._dates("date_paid", when) if status in ("processing", "completed") else
                   {"date_paid": None, "date_paid_gmt": None}),
                "cart_hash": secrets.token_hex(16), "number": str(oid),
                "meta_data": [{"id": oid * 100 + i, "key": f"_wc_order_attribution_{k}", "value": v}
                              for i, (k, v) in enumerate((attribution or {}).items())],
                "line_items": items, "tax_lines": [], "shipping_lines": [], "fee_lines": [], "coupon_lines": [],
                "refunds": [{"id": oid * 1000 + i, "reason": "", "total": f"-{amount}"} for i, amount in enumerate(refunds)],
                "payment_url": f"{self.site_url}/checkout/order-pay/{oid}/", "is_editable": False,
                "needs_payment": False, "needs_processing": True, "currency_symbol": "ر.س",
            }
            self.orders[oid] = order
            return order

    def update_order(self, order_id: int, **fields: Any) -> dict[str, Any]:
        with self.lock:
            self.orders[order_id].update(fields, **self._dates("date_modified", self.tick()))
            return self.orders[order_id]

    def seed(self, products: int = 10, variable_share: float = 0.5, variations: int = 3, orders: int = 10,
             seed: int = 7) -> None:
        """Deterministic catalog: Arabic and English names, sizes, sales, stock, attributed orders."""
        rng = random.Random(seed)
        names = ["عباية سوداء", "Linen Kaftan", "فستان سهرة", "Silk Hijab", "Oud Perfume", "حقيبة جلد", "Gold Bracelet"]
        sizes = ["S", "M", "L", "XL", "XXL"]
        made: list[tuple[int, int]] = []
        for n in range(products):
            name = f"{names[n % len(names)]} {n + 1}"
            if rng.random() < variable_share:
                product = self.add_product(name, type="variable", stock=rng.choice([None, 40]), attributes=[
                    {"id": 1, "name": "Size", "slug": "pa_size", "position": 0, "visible": True, "variation": True,
                     "options": sizes[:variations]},
                    {"id": 2, "name": "Material", "position": 1, "visible": True, "variation": False, "options": ["Linen"]}])
                for size in sizes[:variations]:
                    price = f"{rng.randint(50, 400)}.{rng.choice(['00', '50', '99'])}"
                    variation = self.add_variation(product["id"], {"Size": size}, price=price, sku=f"SKU-{n}-{size}",
                                                   stock=rng.randint(0, 30), manage_stock=rng.choice([True, "parent"]))
                    made.append((product["id"], variation["id"]))
            else:
                regular = f"{rng.randint(20, 300)}.99"
                on_sale = rng.random() < 0.3
                price = f"{float(regular) - 10:.2f}" if on_sale else regular
                product = self.add_product(name, price=price, regular_price=regular, sale_price=price if on_sale else "",
                                           sku=f"SKU-{n}", stock=rng.choice([None, rng.randint(0, 50)]))
                made.append((product["id"], 0))
        channels = [
            {"source_type": "utm", "utm_source": "facebook", "utm_medium": "paid_social", "utm_campaign": "ramadan",
             "session_entry": f"{self.site_url}/?utm_source=facebook&utm_campaign=ramadan&fbclid=IwAR{seed}x",
             "referrer": "https://l.facebook.com/", "device_type": "Mobile", "session_pages": "4", "session_count": "1"},
            {"source_type": "organic", "utm_source": "google", "utm_medium": "organic", "utm_campaign": "(none)",
             "referrer": "https://www.google.com/", "session_entry": f"{self.site_url}/?gclid=Cj0KCQ{seed}",
             "device_type": "Desktop"},
            {"source_type": "typein", "utm_source": "(direct)", "session_entry": f"{self.site_url}/", "device_type": "Tablet"},
            {},
        ]
        for n in range(orders if made else 0):
            lines = [(pid, vid, rng.randint(1, 3)) for pid, vid in rng.sample(made, min(len(made), rng.randint(1, 3)))]
            self.add_order(lines, status=rng.choice(["processing", "completed", "on-hold", "cancelled"]),
                           email=f"Customer{n}@Example.COM" if n % 4 else "", customer_id=n if n % 3 else 0,
                           attribution=channels[n % len(channels)])

    def product_payload(self, product_id: int) -> dict[str, Any]:
        """GET /products/{id}: a product, or a variation (with `type: variation` and `parent_id`)."""
        with self.lock:
            if product_id in self.products:
                return json.loads(json.dumps(self.products[product_id]))
            for variations in self.variations.values():
                if product_id in variations:
                    return json.loads(json.dumps(variations[product_id]))
        raise KeyError(product_id)

    def order_payload(self, order_id: int) -> dict[str, Any]:
        return json.loads(json.dumps(self.orders[order_id]))

    # -- outgoing: webhooks, pings ----------------------------------------------------------

    def build_webhook(self, topic: str, payload: Any, *, secret: str, webhook_id: int = 0, tamper: bool = False,
                      delivery_id: str | None = None) -> tuple[dict[str, str], bytes]:
        """Headers and body exactly as WC_Webhook::deliver() sends them."""
        body = php_json(payload)
        resource, _, event = topic.partition(".")
        headers = {
            "Content-Type": "application/json", "User-Agent": USER_AGENT,
            "X-WC-Webhook-Source": f"{self.site_url}/", "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource, "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": sign(secret, body), "X-WC-Webhook-ID": str(webhook_id),
            "X-WC-Webhook-Delivery-ID": delivery_id or _delivery_hash(webhook_id, self.clock),
        }
        if tamper:  # one byte changed after signing
            middle = len(body) // 2
            body = body[:middle] + bytes([body[middle] ^ 0x01]) + body[middle + 1:]
        return headers, body

    async def send_webhook(self, url: str, topic: str, payload: Any, *, tamper: bool = False, secret: str | None = None,
                           delivery_id: str | None = None, webhook_id: int | None = None) -> httpx.Response:
        """POST one signed delivery to `url`; the secret and id default to the store's webhook for
        that topic and URL. Counts failures like Woo (2xx, 301, 302 succeed)."""
        hook = self._hook_for(url, topic) if webhook_id is None else self.webhooks.get(webhook_id)
        secret = secret if secret is not None else (hook or {}).get("secret", "")
        headers, body = self.build_webhook(topic, payload, secret=secret, webhook_id=(hook or {}).get("id", webhook_id or 0),
                                           tamper=tamper, delivery_id=delivery_id)
        async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
            response = await client.post(url, content=body, headers=headers)
        self.sent.append({"kind": "webhook", "url": url, "topic": topic, "status": response.status_code, "headers": headers})
        if hook:
            self._count_delivery(hook, response.status_code)
        return response

    async def deliver(self, topic: str, resource_id: int) -> list[httpx.Response]:
        """What the store does after a change: every *active* webhook of `topic` gets the payload."""
        resource, _, event = topic.partition(".")
        if event == "deleted":
            payload: Any = {"id": resource_id}
        else:
            payload = self.product_payload(resource_id) if resource == "product" else self.order_payload(resource_id)
        hooks = [h for h in list(self.webhooks.values()) if h["topic"] == topic and h["status"] == "active"]
        return [await self.send_webhook(h["delivery_url"], topic, payload, webhook_id=h["id"]) for h in hooks]

    async def send_ping(self, url: str, webhook_id: int) -> httpx.Response | None:
        """WC_Webhook::deliver_ping(): a form body, no X-WC-Webhook-* headers, no signature."""
        try:
            async with httpx.AsyncClient(timeout=3, trust_env=False) as client:
                response = await client.post(url, content=f"webhook_id={webhook_id}".encode(), headers={
                    "User-Agent": USER_AGENT, "Content-Type": "application/x-www-form-urlencoded"})
        except httpx.HTTPError:
            self.sent.append({"kind": "ping", "url": url, "status": None})
            return None
        self.sent.append({"kind": "ping", "url": url, "status": response.status_code})
        return response

    def _hook_for(self, url: str, topic: str) -> dict[str, Any] | None:
        return next((h for h in self.webhooks.values() if h["delivery_url"] == url and h["topic"] == topic), None)

    def _count_delivery(self, hook: dict[str, Any], status: int) -> None:
        if 200 <= status < 303:
            hook["failure_count"] = 0
        elif hook["failure_count"] > 5:
            hook["status"] = "disabled"
        else:
            hook["failure_count"] += 1

    # -- the app ----------------------------------------------------------------------------

    def _build_app(self) -> FastAPI:
        app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
        app.middleware("http")(self._faults_middleware)
        router = APIRouter(prefix=self.base_path)
        router.add_api_route("/wp-json/", self._index, methods=["GET"])
        router.add_api_route("/wp-json", self._index, methods=["GET"])
        api = "/wp-json/wc/v3"
        router.add_api_route(f"{api}/settings/general/woocommerce_currency", self._currency, methods=["GET"])
        router.add_api_route(f"{api}/products", self._list_products, methods=["GET"])
        router.add_api_route(f"{api}/products/{{pid}}", self._get_product, methods=["GET"])
        router.add_api_route(f"{api}/products/{{pid}}/variations", self._list_variations, methods=["GET"])
        router.add_api_route(f"{api}/orders", self._list_orders, methods=["GET"])
        router.add_api_route(f"{api}/orders/{{oid}}", self._get_order, methods=["GET"])
        router.add_api_route(f"{api}/webhooks", self._list_webhooks, methods=["GET"])
        router.add_api_route(f"{api}/webhooks", self._create_webhook, methods=["POST"])
        router.add_api_route(f"{api}/webhooks/{{wid}}", self._update_webhook, methods=["PUT", "POST", "PATCH"])
        router.add_api_route(f"{api}/webhooks/{{wid}}", self._delete_webhook, methods=["DELETE"])
        router.add_api_route("/wc-auth/v1/authorize", self._authorize, methods=["GET"])
        router.add_api_route("/{rest:path}", self._no_route, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
        app.include_router(router)
        return app

    async def _faults_middleware(self, request: Request, call_next):
        fault = self._faults.pop(0) if self._faults else None
        if fault and fault.kind == "stall":
            self.stalled += 1
            if not await hold(request, seconds=fault.seconds):
                return Response(status_code=499)  # the client hung up: nobody reads this
        elif fault and fault.kind == "redirect":
            return RedirectResponse(fault.location, status_code=302)
        elif fault and fault.kind == "huge":
            return StreamingResponse(_padding(fault.size), media_type="application/json")
        elif fault and fault.kind == "fail":
            if isinstance(fault.body, (dict, list)):
                return JSONResponse(fault.body, status_code=fault.status, headers=fault.headers)
            return Response(fault.body if fault.body is not None else "", status_code=fault.status,
                            headers=fault.headers, media_type="text/html")
        return await call_next(request)

    def _seen(self, request: Request, auth: str | None, body: Any = None) -> None:
        self.requests.append(Seen(request.method, request.url.path, dict(request.query_params), auth, body))

    def _auth(self, request: Request, action: str, body: Any = None) -> tuple[str | None, JSONResponse | None]:
        """WC_REST_Authentication: query keys first, then Basic; unknown key = not logged in."""
        query = request.query_params
        key = secret = via = None
        if query.get("consumer_key") and query.get("consumer_secret"):
            key, secret, via = query["consumer_key"], query["consumer_secret"], "query"
        elif not self.strip_authorization and (header := request.headers.get("authorization", "")).lower().startswith(
                "basic "):
            try:
                key, _, secret = base64.b64decode(header[6:]).decode().partition(":")
                via = "basic"
            except (ValueError, UnicodeDecodeError):
                pass
        self._seen(request, via, body)
        found = self.keys.get(key or "")
        if found is None:
            return via, _cannot(action)
        if not hmac.compare_digest(found.consumer_secret, secret or ""):
            response = wp_error("woocommerce_rest_authentication_error", "Consumer secret is invalid.", 401)
            if via == "basic":
                response.headers["WWW-Authenticate"] = ('Basic realm="WooCommerce API. Use a consumer key in the username '
                                                        'field and a consumer secret in the password field."')
            return via, response
        needs = "read" if request.method in ("GET", "HEAD") else "write"
        if needs not in found.permissions:
            return via, wp_error("woocommerce_rest_authentication_error",
                                 f"The API key provided does not have {needs} permissions.", 401)
        return via, None

    async def _index(self, request: Request) -> Response:
        self._seen(request, None)
        if request.headers.get("authorization"):  # WP core reads Basic as an application password
            return wp_error("invalid_username", "Unknown username. Check again or try your email address.", 401)
        namespaces = ["oembed/1.0", "wp/v2", "wp-site-health/v1"] + (["wc/v1", "wc/v2", "wc/v3", "wc/store/v1"]
                                                                    if self.woocommerce_active else [])
        index = {"name": self.store_name, "description": "Modest fashion", "url": self.site_url, "home": self.site_url,
                 "gmt_offset": str(int(self.offset.total_seconds() // 3600)), "timezone_string": "Asia/Riyadh",
                 "namespaces": namespaces, "authentication": {}, "routes": {"/": {"namespace": ""}}}
        fields = [f for f in request.query_params.get("_fields", "").split(",") if f]
        return JSONResponse({k: v for k, v in index.items() if k in fields} if fields else index)

    async def _currency(self, request: Request) -> Response:
        _, error = self._auth(request, "view")
        if error:
            return error
        return JSONResponse({"id": "woocommerce_currency", "label": "Currency",
                             "description": "This controls what currency prices are listed at in the catalog and "
                                            "which currency gateways will take payments in.",
                             "type": "select", "default": "USD", "tip": "", "value": self.currency,
                             "options": {"SAR": "Saudi riyal (ر.س)", "USD": "United States (US) dollar ($)"}})

    async def _list_products(self, request: Request) -> Response:
        _, error = self._auth(request, "list")
        return error or self._collection(request, list(self.products.values()), statuses=PRODUCT_STATUSES)

    async def _get_product(self, request: Request, pid: str) -> Response:
        _, error = self._auth(request, "view")
        if error:
            return error
        try:
            return JSONResponse(self.product_payload(int(pid)))
        except (KeyError, ValueError):
            return wp_error("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)

    async def _list_variations(self, request: Request, pid: str) -> Response:
        _, error = self._auth(request, "list")
        if error:
            return error
        if not pid.isdigit() or int(pid) not in self.products:
            return wp_error("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
        return self._collection(request, list(self.variations[int(pid)].values()), statuses=PRODUCT_STATUSES)

    async def _list_orders(self, request: Request) -> Response:
        _, error = self._auth(request, "list")
        return error or self._collection(request, list(self.orders.values()), statuses=ORDER_STATUSES)

    async def _get_order(self, request: Request, oid: str) -> Response:
        _, error = self._auth(request, "view")
        if error:
            return error
        if not oid.isdigit() or int(oid) not in self.orders:
            return wp_error("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
        return JSONResponse(self.order_payload(int(oid)))

    def _collection(self, request: Request, items: list[dict[str, Any]], *, statuses: tuple[str, ...]) -> Response:
        query = request.query_params
        params, error = _collection_params(query, statuses)
        if error:
            return error
        with self.lock:
            chosen = [json.loads(json.dumps(item)) for item in items if self._matches(item, params)]
        key = {"id": "id", "date": "date_created_gmt", "modified": "date_modified_gmt", "title": "name", "slug": "slug",
               "include": "id"}[params["orderby"]]
        chosen.sort(key=lambda item: (item.get(key) or "", item["id"]), reverse=params["order"] == "desc")
        per_page, page = params["per_page"], params["page"]
        total_pages = -(-len(chosen) // per_page)
        response = JSONResponse(chosen[(page - 1) * per_page: page * per_page])
        response.headers["X-WP-Total"] = str(len(chosen))
        response.headers["X-WP-TotalPages"] = str(total_pages)
        links = []
        if page > 1:
            links.append(f'<{_with_page(request, min(page - 1, max(total_pages, 1)))}>; rel="prev"')
        if total_pages > page:
            links.append(f'<{_with_page(request, page + 1)}>; rel="next"')
        if links:
            response.headers["Link"] = ", ".join(links)
        return response

    def _matches(self, item: dict[str, Any], params: dict[str, Any]) -> bool:
        status = item.get("status")
        if params["status"] == ["any"]:
            if status in ("trash", "auto-draft"):
                return False
        elif status not in params["status"]:
            return False
        if params["modified_after"] is None:
            return True
        bound, gmt = params["modified_after"], params["dates_are_gmt"]
        if bound.tzinfo is not None:  # an explicit zone: bring it into the column's frame
            bound = bound.astimezone(UTC).replace(tzinfo=None) + (timedelta(0) if gmt else self.offset)
        column = item["date_modified_gmt" if gmt else "date_modified"]
        return datetime.fromisoformat(column) > bound  # WP_Date_Query "after" is exclusive

    async def _list_webhooks(self, request: Request) -> Response:
        _, error = self._auth(request, "list")
        if error:
            return error
        return self._collection(request, list(self.webhooks.values()), statuses=("active", "paused", "disabled"))

    async def _create_webhook(self, request: Request) -> Response:
        body = await request.json()
        _, error = self._auth(request, "create", body)
        if error:
            return error
        topic = str(body.get("topic", ""))
        if topic not in CORE_TOPICS and not topic.startswith("action."):
            return wp_error("woocommerce_rest_webhook_invalid_topic", "Webhook topic is required and must be valid.", 400)
        if not body.get("delivery_url"):
            return wp_error("woocommerce_rest_webhook_invalid_delivery_url",
                            "Webhook delivery URL must be a valid URL starting with http:// or https://.", 400)
        with self.lock:
            wid, when = next(self._ids), self.tick()
            resource, _, event = topic.partition(".")
            hook = {"id": wid, "name": body.get("name") or f"Webhook created on {when:%B %d, %Y @ %I:%M %p}",
                    "status": body.get("status") or "active", "topic": topic, "resource": resource, "event": event,
                    "hooks": [], "delivery_url": body["delivery_url"], "secret": body.get("secret") or secrets.token_hex(25),
                    "failure_count": 0, **self._dates("date_created", when), **self._dates("date_modified", when),
                    "_links": {"self": [{"href": f"{self.site_url}/wp-json/wc/v3/webhooks/{wid}"}]}}
            self.webhooks[wid] = hook
        if self.ping_on_create:  # the REST controller pings and ignores the outcome
            await self.send_ping(hook["delivery_url"], wid)
        return JSONResponse(hook, status_code=201)

    async def _update_webhook(self, request: Request, wid: str) -> Response:
        body = await request.json()
        _, error = self._auth(request, "edit", body)
        if error:
            return error
        hook = self.webhooks.get(int(wid)) if wid.isdigit() else None
        if hook is None:
            return wp_error("woocommerce_rest_shop_webhook_invalid_id", "Invalid ID.", 404)
        hook.update({k: v for k, v in body.items() if k in ("name", "status", "topic", "delivery_url", "secret")})
        if body.get("status") == "active":
            hook["failure_count"] = 0
        hook.update(self._dates("date_modified", self.tick()))
        return JSONResponse(hook)

    async def _delete_webhook(self, request: Request, wid: str) -> Response:
        _, error = self._auth(request, "delete")
        if error:
            return error
        hook = self.webhooks.get(int(wid)) if wid.isdigit() else None
        if hook is None:
            return wp_error("woocommerce_rest_shop_webhook_invalid_id", "Invalid ID.", 404)
        if request.query_params.get("force") not in ("true", "1"):
            return wp_error("woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", 501)
        del self.webhooks[hook["id"]]
        return JSONResponse(hook)

    async def _authorize(self, request: Request) -> Response:
        """wc-auth, logged in as an admin who approves at once (login and grant pages skipped)."""
        self._seen(request, None)
        query = request.query_params
        for name in ("app_name", "user_id", "return_url", "callback_url", "scope"):
            if not query.get(name):
                return _wp_die(f"Missing parameter {name}")
        if query["scope"] not in ("read", "write", "read_write"):
            return _wp_die(f"Invalid scope {query['scope']}")
        if self.require_https_callback and not query["callback_url"].lower().startswith("https://"):
            return _wp_die("The callback_url needs to be over SSL")
        back = query["return_url"] + ("&" if "?" in query["return_url"] else "?")
        if self.authorize_denies:
            return RedirectResponse(back + urlencode({"success": 0, "user_id": query["user_id"]}), status_code=302)
        key, secret = self.add_key(query["scope"])
        data = {"key_id": self.keys[key].key_id, "user_id": query["user_id"], "consumer_key": key,
                "consumer_secret": secret, "key_permissions": query["scope"]}
        try:
            async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
                posted = await client.post(query["callback_url"], content=json.dumps(data).encode(),
                                           headers={"Content-Type": "application/json;charset=UTF-8"})
            status = posted.status_code
        except httpx.HTTPError:
            status = None
        self.sent.append({"kind": "wc-auth", "url": query["callback_url"], "status": status, "body": data})
        if status != 200:  # Woo deletes the key it just made
            self.revoke_key(key)
            return _wp_die("An error occurred in the request and at the time were unable to send the consumer data")
        return RedirectResponse(back + urlencode({"success": 1, "user_id": query["user_id"]}), status_code=302)

    async def _no_route(self, request: Request, rest: str) -> Response:
        self._seen(request, None)
        if rest.startswith("wp-json"):
            return JSONResponse(NO_ROUTE, status_code=404)
        return HTMLResponse("<html><body>Page not found</body></html>", status_code=404)


def _cannot(action: str) -> JSONResponse:
    messages = {"list": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
                "view": ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."),
                "create": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
                "edit": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
                "delete": ("woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource.")}
    code, message = messages[action]
    return wp_error(code, message, 401)


def _wp_die(message: str) -> HTMLResponse:
    return HTMLResponse(f"<html><head><title>Access denied</title></head><body><p>Error: {message}.</p></body></html>",
                        status_code=401)


def _self_signed_certificate() -> tuple[str, str]:
    """A certificate for 127.0.0.1 and localhost, valid a day, and its key: (certfile, keyfile)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-woocommerce")])
    now = datetime.now(UTC)
    names = x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
                   .not_valid_after(now + timedelta(days=1)).add_extension(names, critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    folder = tempfile.mkdtemp(prefix="fake-woo-tls-")
    certfile, keyfile = f"{folder}/cert.pem", f"{folder}/key.pem"
    with open(certfile, "wb") as out:
        out.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(keyfile, "wb") as out:
        out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    return certfile, keyfile


def _delivery_hash(webhook_id: int, when: datetime) -> str:
    """WC_Webhook::get_new_delivery_id(): wp_hash(id . time()), the same for a whole second."""
    return hashlib.md5(f"{webhook_id}{int(when.timestamp())}".encode()).hexdigest()


def _padding(size: int) -> Iterator[bytes]:
    chunk = b" " * 65536
    sent = 0
    yield b"["
    while sent < size:
        yield chunk[: min(len(chunk), size - sent)]
        sent += len(chunk)
    yield b"]"


def _with_page(request: Request, page: int) -> str:
    query = dict(request.query_params) | {"page": str(page)}
    return f"{str(request.url).split('?')[0]}?{urlencode(query)}"


def _collection_params(query: Any, statuses: tuple[str, ...]) -> tuple[dict[str, Any], JSONResponse | None]:
    """rest_validate_request_arg() over the CRUD controllers' collection params."""
    params: dict[str, Any] = {}
    for name, default, low, high in (("page", 1, 1, None), ("per_page", 10, 1, 100)):
        raw = query.get(name, str(default))
        if not raw.lstrip("-").isdigit():
            return params, invalid_param(name, f"{name} is not of type integer.", "rest_invalid_type")
        value = int(raw)
        if value < low or (high is not None and value > high):
            bounds = f"between {low} (inclusive) and {high} (inclusive)" if high else f"greater than or equal to {low}"
            return params, invalid_param(name, f"{name} must be {bounds}", "rest_out_of_bounds")
        params[name] = value
    params["order"] = query.get("order", "desc")
    params["orderby"] = query.get("orderby", "date")
    if params["order"] not in ("asc", "desc"):
        return params, invalid_param("order", "order is not one of asc and desc.", "rest_not_in_enum")
    if params["orderby"] not in ("date", "id", "include", "title", "slug", "modified"):
        return params, invalid_param("orderby", "orderby is not one of date, id, include, title, slug, and modified.",
                                     "rest_not_in_enum")
    params["status"] = [s for s in query.get("status", "any").split(",") if s]
    if any(s not in ("any", "trash", *statuses) for s in params["status"]):
        return params, invalid_param("status", "status[0] is not one of any, trash, and others.", "rest_not_in_enum")
    gmt = query.get("dates_are_gmt", "false").lower()
    if gmt not in ("true", "false", "1", "0"):
        return params, invalid_param("dates_are_gmt", "dates_are_gmt is not of type boolean.", "rest_invalid_type")
    params["dates_are_gmt"] = gmt in ("true", "1")
    params["modified_after"] = None
    if "modified_after" in query:
        raw = query["modified_after"]
        if not DATE.match(raw):
            return params, invalid_param("modified_after", "Invalid date.", "rest_invalid_date")
        params["modified_after"] = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("t", "T"))
    return params, None
