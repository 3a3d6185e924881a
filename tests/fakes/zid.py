"""A fake Zid: OAuth, the Merchant API's profile, products, orders and webhooks (INTEGRATIONS §4).

The wire format is the one `adapters/platforms/zid.py` and `zid_wire.py` document, with
their sources. What the fake has to guess is marked UNVERIFIED:

- 401 bodies: product endpoints answer DRF-style `{"detail": ...}` (live-captured:
  `{"detail": "No such user"}` when `Store-Id` is missing); manager endpoints answer
  `{"status": "error", "message": {type, code, name, description}}` (UNVERIFIED).
- 429: the same error envelope with `Retry-After` in whole seconds (UNVERIFIED; Zid
  documents a leaky bucket of 60 requests/min per app per store but no headers).
  `rate_limit(..., retry_after=False)` leaves the header out.
- Token errors are Laravel Passport's `{error, error_description, hint, message}`
  (UNVERIFIED: Zid's tokens look like Passport's). Refresh tokens rotate (single use)
  unless `rotate_refresh_tokens` is False.
- Envelopes beyond the documented fields: orders `{status, orders, total_order_count,
  message}`, a subscription `{status, webhook}`, the list `{status, webhooks}`.
- The product list omits drafts (a live report: unpublished products are absent) and,
  unless `list_children`, variant rows; parents carry their `variants` only in their
  detail unless `inline_variants`.
"""

from __future__ import annotations

import base64
import copy
import json
import math
import secrets
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from tests.fakes.server import FakeServer, hold

EVENTS = frozenset({
    "order.create", "order.status.update", "order.payment_status.update",
    "product.create", "product.update", "product.publish", "product.delete",
    "abandoned_cart.created", "abandoned_cart.completed",
    "customer.create", "customer.update", "customer.merchant.update", "customer.login",
    "category.create", "category.update", "category.delete",
})
NO_MESSAGE = {"type": "object", "code": None, "name": None, "description": None}
COLOURS = [("أحمر", "Red"), ("أزرق", "Blue"), ("أسود", "Black"), ("أبيض", "White"), ("أخضر", "Green")]
GOODS = [("عطر العود", "Oud Perfume"), ("حقيبة جلد", "Leather Bag"), ("قهوة سعودية", "Saudi Coffee"),
         ("ساعة يد", "Wrist Watch"), ("تمر سكري", "Sukkari Dates"), ("بخور", "Incense")]
ORDER_FLOW = [("new", "pending"), ("preparing", "paid"), ("ready", "paid"), ("indelivery", "pending"),
              ("delivered", "paid"), ("cancelled", "pending"), ("refunded", "refunded"), ("reversed", "paid")]
EPOCH = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)


@dataclass
class Grant:
    access_token: str
    authorization: str
    refresh_token: str
    store_id: int
    expires_at: float


@dataclass
class Fault:
    kind: str  # fail | stall | redirect | huge
    times: int = 1
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    location: str = ""
    size: int = 0


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class Refused(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status, self.body, self.headers = status, body, headers or {}


def zid_error(code: str, description: str) -> dict[str, Any]:
    return {"status": "error", "message": {"type": "error", "code": code, "name": code.replace("_", " ").title(),
                                           "description": description}}


def wire_time(moment: datetime) -> str:
    """Zid's order times: `2024-12-05 12:27:15`, UTC without a zone."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


class FakeZid(FakeServer):
    """One fake Zid for one store (more via `issue_tokens(store_id=...)` share the catalog).

    Settings for a client: `zid_api_url=fake.url + "/v1"`, `zid_oauth_url=fake.url`."""

    def __init__(self, *, client_id: str = "zid-client-7192", client_secret: str = "zid-secret",
                 store_id: int = 130216, port: int | None = None) -> None:
        super().__init__(port)
        self.client_id, self.client_secret, self.store_id = client_id, client_secret, store_id
        self.store = {"id": store_id, "uuid": str(uuid.UUID(int=store_id)), "title": "متجر الورد",
                      "url": "https://ward.zid.store", "email": "owner@ward.example",
                      "currency": {"id": 4, "name": "ريال سعودي", "code": "SAR", "symbol": " ر.س "}}
        self.products: dict[str, dict[str, Any]] = {}
        self.orders: dict[int, dict[str, Any]] = {}
        self.webhooks: dict[str, dict[str, Any]] = {}
        self.grants: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.codes: dict[str, dict[str, str]] = {}
        self.requests: list[Recorded] = []
        self.throttled = self.stalled = 0
        self.token_ttl = 365 * 24 * 3600  # docs: a year
        self.rotate_refresh_tokens = True
        self.list_children = False
        self.inline_variants = False
        self.events = set(EVENTS)  # what POST /managers/webhooks accepts
        self._limit = (60, 60.0, True)
        self._hits: dict[int, deque[float]] = {}
        self._faults: deque[Fault] = deque()
        self._lock = threading.RLock()
        self.app = self._build()

    # --- knobs -----------------------------------------------------------------------

    def fail_next(self, status: int, body: Any = None, headers: dict[str, str] | None = None, times: int = 1) -> None:
        self._faults.append(Fault("fail", times, status=status, body=body, headers=headers or {}))

    def stall_next(self, seconds: float) -> None:
        """The next request is answered after `seconds`, or never if the client hangs up first
        (`stalled` counts the requests held so)."""
        self._faults.append(Fault("stall", seconds=seconds))

    def redirect_next(self, location: str) -> None:
        self._faults.append(Fault("redirect", location=location))

    def huge_next(self, n_bytes: int) -> None:
        self._faults.append(Fault("huge", size=n_bytes))

    def rate_limit(self, requests: int = 60, window: float = 60.0, *, retry_after: bool = True) -> None:
        """Allow `requests` per `window` seconds per store, then 429."""
        with self._lock:
            self._limit, self._hits = (requests, window, retry_after), {}

    def expire_tokens(self) -> None:
        with self._lock:
            for grant in self.grants.values():
                grant.expires_at = time.time() - 1

    def issue_tokens(self, store_id: int | None = None, expires_in: int | None = None) -> dict[str, Any]:
        """A token answer as `/oauth/token` gives it, without the OAuth dance."""
        lifetime = self.token_ttl if expires_in is None else expires_in
        grant = Grant(secrets.token_urlsafe(24), "eyJ0eXAiOiJKV1Qi." + secrets.token_urlsafe(32),
                      secrets.token_urlsafe(24), store_id or self.store_id, time.time() + lifetime)
        with self._lock:
            self.grants[grant.access_token] = grant
            self.refresh_tokens[grant.refresh_token] = grant
        return {"access_token": grant.access_token, "token_type": "Bearer", "expires_in": lifetime,
                "refresh_token": grant.refresh_token, "authorization": grant.authorization}

    # --- catalog helpers ---------------------------------------------------------------

    def seed(self, products: int = 0, variants: int = 0, orders: int = 0) -> None:
        """Deterministic data: every even product has `variants` colour variants (child
        products); every 4th is on sale, every 5th has unlimited stock; orders reference them."""
        for i in range(products):
            self.add_product(i, variants=variants if i % 2 == 0 else 0)
        for i in range(orders):
            self.add_order(i)

    def add_product(self, i: int, *, variants: int = 0, **fields: Any) -> dict[str, Any]:
        ar, en = GOODS[i % len(GOODS)]
        price = round(10 + i * 7.35, 2)  # floats such as 17.35, exact only through repr()
        product = {
            "id": str(uuid.UUID(int=i + 1)), "product_class": None, "sku": f"Z.{i + 1:05d}", "barcode": "",
            "parent_id": None, "name": {"ar": f"{ar} {i}", "en": f"{en} {i}"}, "slug": f"product-{i}",
            "description": {"ar": f"وصف {ar}", "en": f"About {en}"}, "short_description": {"ar": "", "en": ""},
            "price": price, "sale_price": round(price - 5.5, 2) if i % 4 == 3 else None,
            "formatted_price": f" SAR {price:.2f}", "currency": "SAR", "currency_symbol": " SAR ",
            "attributes": [], "categories": [], "display_order": i, "has_options": variants > 0,
            "structure": "parent" if variants else "standalone",
            "images": [{"id": str(uuid.UUID(int=10_000 + i * 10 + k)), "display_order": k,
                        "image": {"full_size": f"https://media.zid.store/{i}/{k}.jpg",
                                  "thumbnail": f"https://media.zid.store/{i}/{k}-t.jpg"},
                        "alt_text": f"{ar} {k}"} for k in range(2)],
            "is_draft": False, "quantity": None if i % 5 == 4 else 3 + i, "is_infinite": i % 5 == 4,
            "html_url": f"https://ward.zid.store/products/product-{i}", "keywords": [en.split()[0].lower()],
            "created_at": wire_time(EPOCH), "updated_at": wire_time(EPOCH + timedelta(minutes=i)),
        }
        product.update(fields)
        with self._lock:
            self.products[product["id"]] = product
            for k in range(variants):
                self._add_variant(product, k)
        return product

    def _add_variant(self, parent: dict[str, Any], k: int) -> None:
        ar, en = COLOURS[k % len(COLOURS)]
        child = copy.deepcopy({key: parent[key] for key in ("name", "currency", "is_draft", "updated_at")})
        child.update({
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{parent['id']}/{k}")), "sku": f"{parent['sku']}-{k}",
            "parent_id": parent["id"], "price": parent["price"] + k, "sale_price": None, "has_options": False,
            "structure": "child", "quantity": k * 2, "is_infinite": False, "images": [],
            "attributes": [{"id": str(uuid.UUID(int=99)), "slug": "color", "name": "اللون",
                            "value": {"ar": ar, "en": en}}],
        })
        self.products[child["id"]] = child

    def update_product(self, product_id: str, **changes: Any) -> dict[str, Any]:
        with self._lock:
            product = self.products[product_id]
            product.update(changes, updated_at=wire_time(datetime.now(UTC)))
            return product

    def delete_product(self, product_id: str) -> None:
        with self._lock:
            for key in [k for k, p in self.products.items() if k == product_id or p["parent_id"] == product_id]:
                del self.products[key]

    def add_order(self, i: int, **fields: Any) -> dict[str, Any]:
        code, payment = ORDER_FLOW[i % len(ORDER_FLOW)]
        goods = [p for p in self.products.values() if not p["has_options"]][: 2] or [self.add_product(900 + i)]
        lines = [{"id": p["id"], "parent_id": p["parent_id"], "sku": p["sku"], "name": p["name"]["ar"],
                  "quantity": n + 1, "price": p["price"], "total": round(p["price"] * (n + 1), 2)}
                 for n, p in enumerate(goods)]
        total = sum(Decimal(repr(line["price"])) * line["quantity"] for line in lines)
        placed = EPOCH + timedelta(hours=i)
        masked, guest = i % 7 == 4, i % 5 == 3
        order = {
            "id": 60_000_000 + i, "invoice_number": 60_000_000 + i, "code": f"ZD{i:06d}", "store_id": self.store_id,
            "order_url": f"https://ward.zid.store/o/ZD{i:06d}/inv", "store_name": self.store["title"],
            "currency_code": "SAR", "order_status": {"name": code, "code": code},
            "display_status": {"id": 1, "code": code, "name": code},
            "customer": {"id": None if guest else 1400 + i % 9, "name": "J*** D***" if masked else "عميل",
                         "email": "t***@." if masked else (None if guest else f"Customer{i % 9}@Example.SA"),
                         "mobile": "***00" if masked else f"96650000{i:04d}", "type": "individual"},
            "is_guest_customer": int(guest), "is_marketplace_order": masked,
            "order_total": f"{total:.14f}", "order_total_string": f"{total:.2f} SAR",
            "transaction_amount": float(total), "payment_status": payment,
            "source": "المتجر الإلكتروني" if i % 2 == 0 else "لوحة التحكم", "source_code": "catalog" if i % 2 == 0 else "md",
            "referer_code": f"INFL{i}" if i % 3 == 0 else None,
            "created_at": wire_time(placed), "updated_at": wire_time(placed + timedelta(minutes=30)),
            "products": lines,
        }
        order.update(fields)
        with self._lock:
            self.orders[order["id"]] = order
        return order

    def update_order(self, order_id: int, *, at: datetime | None = None, **changes: Any) -> dict[str, Any]:
        with self._lock:
            order = self.orders[order_id]
            order.update(changes, updated_at=wire_time(at or datetime.now(UTC)))
            return order

    def product_payload(self, product_id: str) -> dict[str, Any]:
        with self._lock:
            return self._detail(self.products[product_id])

    def order_payload(self, order_id: int) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self.orders[order_id])

    @staticmethod
    def deleted_product_payload(product_id: str) -> dict[str, Any]:
        return {"id": product_id}  # "Product deleted schema": UNVERIFIED beyond the id

    def app_event_payload(self, event: str) -> dict[str, Any]:
        return {"app_id": 7367, "store_id": self.store_id, "store_uuid": self.store["uuid"],
                "store_url": self.store["url"], "event_name": event, "status": event.rsplit(".", 1)[-1]}

    # --- deliveries --------------------------------------------------------------------

    async def send_webhook(self, url: str, event: str, payload: Any, *, password: str | None = None,
                           username: str | None = None, tamper: bool = False) -> httpx.Response:
        """POST a delivery as Zid does: the bare payload, `Authorization: Basic` from the
        subscription for (`event`, `url`) unless `password` is given; `tamper` flips one bit of it."""
        subscription = next((w for w in self.webhooks.values() if w["event"] == event and w["target_url"] == url), {})
        password = subscription.get("password") if password is None else password
        headers = {"Content-Type": "application/json", "User-Agent": "Zid-Webhooks"}  # UNVERIFIED agent
        if password is not None:
            pair = f"{username or subscription.get('username') or 'adly'}:{password}"
            pair = pair[:-1] + chr(ord(pair[-1]) ^ 1) if tamper else pair
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        async with httpx.AsyncClient(timeout=5, trust_env=False) as client:
            return await client.post(url, content=json.dumps(payload, ensure_ascii=False).encode(), headers=headers)

    async def deliver(self, event: str, payload: Any, *, tamper: bool = False) -> list[httpx.Response]:
        """Send `payload` to every subscription to `event`."""
        targets = [w["target_url"] for w in self.webhooks.values() if w["event"] == event]
        return [await self.send_webhook(url, event, payload, tamper=tamper) for url in targets]

    # --- the app -----------------------------------------------------------------------

    def _build(self) -> FastAPI:
        app = FastAPI()
        app.middleware("http")(self._faulty)
        app.add_exception_handler(Refused, self._refused)
        app.get("/oauth/authorize")(self._authorize)
        app.post("/oauth/token")(self._token)
        app.get("/v1/managers/account/profile")(self._profile)
        app.get("/v1/products/")(self._product_list)
        app.get("/v1/products/{product_id}/")(self._product_view)
        app.get("/v1/managers/store/orders")(self._order_list)
        app.get("/v1/managers/webhooks")(self._webhook_list)
        app.post("/v1/managers/webhooks")(self._webhook_create)
        app.delete("/v1/managers/webhooks/{webhook_id}")(self._webhook_delete)
        return app

    async def _faulty(self, request: Request, call_next: Any) -> Response:
        self.requests.append(Recorded(request.method, request.url.path, dict(request.query_params),
                                      {k.lower(): v for k, v in request.headers.items()}))
        fault = self._take_fault()
        if fault is None:
            return await call_next(request)
        if fault.kind == "stall":
            self.stalled += 1
            if not await hold(request, seconds=fault.seconds):
                return Response(status_code=499)  # the client hung up: nobody reads this
            return await call_next(request)
        if fault.kind == "redirect":
            return RedirectResponse(fault.location, status_code=302)
        if fault.kind == "huge":
            return Response(b"[" + b"0," * (fault.size // 2) + b"0]", media_type="application/json")
        if isinstance(fault.body, str | bytes):
            return Response(fault.body, status_code=fault.status, headers=fault.headers, media_type="application/json")
        body = fault.body if fault.body is not None else zid_error("server_error", "fault injected")
        return JSONResponse(body, status_code=fault.status, headers=fault.headers)

    def _take_fault(self) -> Fault | None:
        with self._lock:
            if not self._faults:
                return None
            fault = self._faults[0]
            fault.times -= 1
            if fault.times <= 0:
                self._faults.popleft()
            return fault

    @staticmethod
    async def _refused(request: Request, error: Refused) -> Response:
        return JSONResponse(error.body, status_code=error.status, headers=error.headers)

    def _authenticate(self, request: Request, *, products: bool = False) -> Grant:
        """Both tokens, unexpired, of one grant; product endpoints also want `Store-Id`; then the rate limit."""
        bearer = request.headers.get("authorization", "")
        token = request.headers.get("x-manager-token") or (request.headers.get("access-token") if products else None)
        grant = self.grants.get(token or "")
        problem = None
        if grant is None or bearer != f"Bearer {grant.authorization}":
            problem = "Authentication credentials were not provided." if products else "Unauthenticated."
        elif grant.expires_at <= time.time():
            problem = "Token has expired."
        elif products and request.headers.get("store-id") != str(grant.store_id):
            problem = "No such user"
        if problem:
            raise Refused(401, {"detail": problem} if products else zid_error("unauthenticated", problem))
        self._throttle(grant.store_id)
        return grant

    def _throttle(self, store_id: int) -> None:
        limit, window, retry_after = self._limit
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(store_id, deque())
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= limit:
                self.throttled += 1
                headers = {"Retry-After": str(max(1, math.ceil(hits[0] + window - now)))} if retry_after else {}
                raise Refused(429, zid_error("too_many_requests", "Too Many Attempts."), headers)
            hits.append(now)

    async def _authorize(self, request: Request) -> Response:
        query = request.query_params
        if query.get("client_id") != self.client_id or query.get("response_type") != "code" or not query.get("redirect_uri"):
            return JSONResponse({"error": "invalid_client", "message": "Client authentication failed"}, status_code=401)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"redirect_uri": query["redirect_uri"]}
        answer = {"code": code} | ({"state": query["state"]} if "state" in query else {})
        separator = "&" if "?" in query["redirect_uri"] else "?"
        return RedirectResponse(f"{query['redirect_uri']}{separator}{urlencode(answer)}", status_code=302)

    async def _token(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode()))
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return self._passport(401, "invalid_client", "Client authentication failed")
        if form.get("grant_type") == "authorization_code":
            issued = self.codes.pop(form.get("code", ""), None)
            if issued is None or issued["redirect_uri"] != form.get("redirect_uri"):
                return self._passport(400, "invalid_grant", "The authorization code has expired or been revoked.")
            return JSONResponse(self.issue_tokens())
        if form.get("grant_type") == "refresh_token":
            with self._lock:
                old = self.refresh_tokens.get(form.get("refresh_token", ""))
                if old is None:
                    return self._passport(401, "invalid_request", "The refresh token is invalid.")
                if self.rotate_refresh_tokens:
                    del self.refresh_tokens[old.refresh_token]
                return JSONResponse(self.issue_tokens(old.store_id))
        return self._passport(400, "unsupported_grant_type", "The authorization grant type is not supported.")

    @staticmethod
    def _passport(status: int, error: str, description: str) -> JSONResponse:
        return JSONResponse({"error": error, "error_description": description, "hint": "", "message": description},
                            status_code=status)

    async def _profile(self, request: Request) -> Response:
        self._authenticate(request)
        user = {"id": 7, "uuid": str(uuid.UUID(int=7)), "name": "مالك المتجر", "username": self.store["email"],
                "email": self.store["email"], "language_code": "ar", "store": copy.deepcopy(self.store)}
        return JSONResponse({"status": "object", "user": user, "message": NO_MESSAGE})

    async def _product_list(self, request: Request) -> Response:
        self._authenticate(request, products=True)
        page = max(int(request.query_params.get("page", 1)), 1)
        size = min(max(int(request.query_params.get("page_size", 10)), 1), 50)
        with self._lock:
            rows = [p for p in self.products.values() if not p["is_draft"] and (self.list_children or not p["parent_id"])]
            chunk = [self._row(p) for p in rows[(page - 1) * size: page * size]]
        base = f"http://{request.url.netloc}/v1/products/"  # Zid's own `next` is plain http
        return JSONResponse({
            "total_products_count": len(rows), "next": f"{base}?page={page + 1}&page_size={size}" if page * size < len(rows) else None,
            "previous": f"{base}?page={page - 1}&page_size={size}" if page > 1 else None, "count": len(rows), "results": chunk,
        })

    async def _product_view(self, request: Request, product_id: str) -> Response:
        self._authenticate(request, products=True)
        with self._lock:
            product = self.products.get(product_id)
            if product is None:
                return JSONResponse({"detail": "Not found."}, status_code=404)
            return JSONResponse(self._detail(product))

    def _row(self, product: dict[str, Any]) -> dict[str, Any]:
        return self._detail(product) if self.inline_variants else copy.deepcopy(product)

    def _detail(self, product: dict[str, Any]) -> dict[str, Any]:
        detail = copy.deepcopy(product)
        if product["has_options"]:
            detail["variants"] = [copy.deepcopy(p) for p in self.products.values() if p["parent_id"] == product["id"]]
        return detail

    async def _order_list(self, request: Request) -> Response:
        self._authenticate(request)
        query = request.query_params
        page, size = max(int(query.get("page", 1)), 1), min(max(int(query.get("per_page", 10)), 1), 100)
        attribute = query.get("date_attribute") or "created_at"
        with self._lock:
            rows = [o for o in self.orders.values() if self._dated(o[attribute], query.get("date_from"), query.get("date_to"))]
            rows.sort(key=lambda o: o.get(query.get("order_by") or "created_at"), reverse=query.get("sort_by", "desc") == "desc")
            chunk = copy.deepcopy(rows[(page - 1) * size: page * size])
        if query.get("payload_type") != "default":
            for order in chunk:
                order.pop("products", None)
        return JSONResponse({"status": "object", "orders": chunk, "total_order_count": len(rows), "message": NO_MESSAGE})

    @staticmethod
    def _dated(value: str, date_from: str | None, date_to: str | None) -> bool:
        """`date_from`/`date_to` as a date (whole days, UTC) or a timestamp."""
        moment = value.replace(" ", "T")
        low = date_from.replace(" ", "T") if date_from else ""
        high = (date_to + "T99" if date_to and len(date_to) == 10 else (date_to or "").replace(" ", "T")) or "9999"
        return low[:19] <= moment <= high

    async def _webhook_list(self, request: Request) -> Response:
        self._authenticate(request)
        return JSONResponse({"status": "object", "webhooks": [self._shown(w) for w in self.webhooks.values()]})

    async def _webhook_create(self, request: Request) -> Response:
        self._authenticate(request)
        body = json.loads(await request.body() or b"{}")
        errors = {k: [f"The {k} field is required."] for k in ("event", "target_url", "original_id", "subscriber") if not body.get(k)}
        if body.get("event") and body["event"] not in self.events:
            errors["event"] = ["The selected event is invalid."]
        if errors:
            return JSONResponse(zid_error("validation_failed", "The given data was invalid.") | {"errors": errors}, status_code=422)
        webhook = {"id": str(uuid.uuid4()), "status": "ready", "store_id": self.store["uuid"], "conditions": body.get("conditions"),
                   **{k: body.get(k) for k in ("event", "target_url", "original_id", "subscriber", "username", "password")}}
        self.webhooks[webhook["id"]] = webhook
        return JSONResponse({"status": "object", "webhook": self._shown(webhook), "message": NO_MESSAGE})

    async def _webhook_delete(self, request: Request, webhook_id: str) -> Response:
        self._authenticate(request)
        if self.webhooks.pop(webhook_id, None) is None:
            return JSONResponse(zid_error("not_found", "Webhook not found."), status_code=404)
        return JSONResponse({"status": "object", "message": NO_MESSAGE})

    @staticmethod
    def _shown(webhook: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in webhook.items() if k != "password"}
