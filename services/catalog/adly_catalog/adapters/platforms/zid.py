"""Zid (Merchant API): connecting, products, orders and webhooks (INTEGRATIONS §4).

Checked against docs.zid.sa and live captures other integrators published, and decided
where the docs are silent (the wire format itself is described in `zid_wire`):

- Every call carries two tokens: `Authorization: Bearer <authorization>` (the partner
  token, `Credentials.extra["authorization"]`) and `X-Manager-Token: <access_token>` (the
  store's manager token). Product endpoints (`/products/...`, outside `/managers`) also
  take the manager token as `Access-Token` and need `Store-Id: <store id>`: without it the
  live API answers 401 `{"detail": "No such user"}`. `Role: Manager` is documented as
  required there and is sent (one live report found it a no-op). `Accept-Language: ar`:
  Manager product answers carry both languages whatever it says.
- OAuth: `{oauth}/oauth/authorize?client_id&redirect_uri&response_type=code&state` with no
  `scope` (an app's permissions are granted in the Partner Dashboard; the one documented
  scope, `embedded_apps_tokens_write`, is for embedded apps). Zid hands `state` back (~:
  real clients depend on it, the docs do not say). `POST {oauth}/oauth/token` takes a form
  body. The refresh grant sends `refresh_token, client_id, client_secret` as real clients
  do (UNVERIFIED); a 400/401 refusal (Laravel Passport style) is CredentialsRejected.
- Products: `page`/`page_size` (at most 50) -> `{count, next, previous, results}`, published
  products only, no updated-since filter: every sync is a full scan. A parent whose list
  row lacks its variants is read again from its detail (`GET /products/{id}/`), at most
  DETAIL_CALLS_PER_FETCH times per call; the cursor is `"<page>"` or `"<page>:<offset>"`
  where a call stopped inside a page for that budget, so nothing is skipped.
- Orders: `/managers/store/orders` with `payload_type=default` (lines included), 100 a
  page, oldest first (`order_by=created_at&sort_by=asc`) so orders placed during a scan
  land on later pages. Incremental: `date_attribute=updated_at&date_from=<UTC date>`; a
  date and not a time, because the accepted format is undocumented and a day's
  granularity (read in UTC or Riyadh time, both at or before the instant) only re-reads
  a few orders. A page shorter than 100, or the total when the answer gives one, ends it.
- Rate limit: 60 requests a minute per app per store, a leaky bucket on Zid's side; its
  429 headers are undocumented. Each client keeps a bucket per store (StoreRateLimiter)
  to stay under the limit. On a 429 it honours `Retry-After` if present, else waits for
  its bucket to drain, every caller of that store together, up to MAX_THROTTLE_WAIT
  seconds in all, then raises RateLimited. Reads and deletes are retried; a POST is not.
- Webhooks: one `POST /managers/webhooks {event, target_url, original_id, subscriber,
  username, password}` per event; `DELETE /managers/webhooks/{id}` (~). `original_id` is a
  partner-chosen integer: the store id. Deliveries carry the bare order/product schema
  and no event name (no header is documented), so each subscription's target gets
  `event=<name>` in its query for the route to pass to `parse_webhook(event=...)`. A
  product delivery that cannot stand for the whole product (a variant's row, a parent
  without its variants) is IGNORED with the product to re-read in `external_id`.
  Subscribing replaces the subscriptions already pointing at the same targets, so it can
  be repeated (and a new password takes effect). There is no HMAC: deliveries carry
  `Authorization: Basic base64(username:password)`, mandatory for all Zid webhooks from
  2026-09-30 per a partner changelog an integrator cites. App events
  (`app.market.application.uninstall`, ...) are set up in the Partner Dashboard and name
  themselves in the body's `event_name`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from adly_catalog.adapters.platforms import zid_wire as wire
from adly_catalog.domain.platform import (
    ChangeKind,
    Credentials,
    CredentialsRejected,
    CustomerHasher,
    Page,
    PlatformError,
    RateLimited,
    StoreAddress,
    StoreInfo,
    WebhookChange,
)
from adly_catalog.settings import CatalogSettings
from adly_events.contracts.catalog import CatalogOrder, CatalogProduct, StorePlatform
from adly_kit.outbound import Outbound, OutboundError, Reply, retry_after_seconds

WEBHOOK_EVENTS = (
    "product.create", "product.update", "product.publish", "product.delete",
    "order.create", "order.status.update", "order.payment_status.update",
)
PRODUCT_UPSERT_EVENTS = frozenset({"product.create", "product.update", "product.publish"})
UNINSTALL_EVENT = "app.market.application.uninstall"
WEBHOOK_USERNAME = "adly"
WEBHOOK_SUBSCRIBER = "ADLY"
EVENT_PARAMETER = "event"
ACCEPT_LANGUAGE = "ar"
PRODUCTS_PAGE_MAX = 50
ORDERS_PAGE_SIZE = 100
DETAIL_CALLS_PER_FETCH = 10
MAX_THROTTLE_WAIT = 30.0  # seconds a call waits in place for Zid's throttle before RateLimited


class StoreRateLimiter:
    """A leaky bucket per store (GCRA): `burst` calls at once, then one every `interval`,
    sized so that no `window` ever carries more than `per_window` calls. A reservation is
    taken without awaiting, so concurrent tasks never overbook a store."""

    def __init__(self, per_window: int, *, window: float = 60.0, burst: int | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.burst = burst if burst is not None else max(1, per_window // 6)
        self.interval = window / max(per_window - self.burst, 1)
        self._clock = clock
        self._due: dict[str, float] = {}
        self._blocked: dict[str, float] = {}

    def reserve(self, key: str) -> float:
        """Book the next call for `key`; the seconds to wait before making it."""
        now = self._clock()
        due = max(self._due.get(key, now), now)
        start = max(now, due - (self.burst - 1) * self.interval, self._blocked.get(key, 0.0))
        self._due[key] = max(due, start) + self.interval
        return start - now

    async def acquire(self, key: str) -> None:
        if (wait := self.reserve(key)) > 0:
            await asyncio.sleep(wait)

    def block(self, key: str, seconds: float) -> None:
        """Nothing more for `key` for `seconds` (the platform throttled it)."""
        self._blocked[key] = max(self._blocked.get(key, 0.0), self._clock() + seconds)

    @property
    def drain_seconds(self) -> float:
        return self.burst * self.interval


class ZidClient:
    platform = StorePlatform.ZID

    def __init__(self, outbound: Outbound, settings: CatalogSettings, hash_customer: CustomerHasher, *,
                 limiter: StoreRateLimiter | None = None) -> None:
        self.outbound = outbound
        self.settings = settings
        self.hash_customer = hash_customer
        self.api = settings.zid_api_url.rstrip("/")
        self.oauth = settings.zid_oauth_url.rstrip("/")
        self.page_size = max(1, min(settings.zid_page_size, PRODUCTS_PAGE_MAX))
        self.limiter = limiter or StoreRateLimiter(settings.zid_requests_per_minute)
        # A 429 is this client's to wait out, for all callers of the store; Outbound keeps 5xx.
        self._retry = replace(outbound.retry, statuses=outbound.retry.statuses - {429})

    # --- connecting ------------------------------------------------------------------

    def authorize_url(self, *, state: str, redirect_uri: str) -> str:
        query = {"client_id": self.settings.zid_client_id, "redirect_uri": redirect_uri,
                 "response_type": "code", "state": state}
        return f"{self.oauth}/oauth/authorize?{urlencode(query)}"

    async def exchange_code(self, *, code: str, redirect_uri: str) -> Credentials:
        return await self._token({"grant_type": "authorization_code", "redirect_uri": redirect_uri, "code": code}, None)

    async def refresh(self, store: StoreAddress, credentials: Credentials) -> Credentials:
        if not credentials.refresh_token:
            raise CredentialsRejected("Zid credentials have no refresh token: the merchant must reconnect", status=401)
        return await self._token({"grant_type": "refresh_token", "refresh_token": credentials.refresh_token}, credentials)

    async def store_info(self, credentials: Credentials) -> StoreInfo:
        # One call while connecting, before the store id (the bucket's key) is known.
        reply = await self.outbound.request("GET", f"{self.api}/managers/account/profile",
                                            headers=self._headers(credentials), retry=self._retry)
        return wire.parse_profile(self._checked(reply, "the profile"))

    async def _token(self, form: dict[str, str], previous: Credentials | None) -> Credentials:
        form |= {"client_id": self.settings.zid_client_id,
                 "client_secret": self.settings.zid_client_secret.get_secret_value()}
        reply = await self.outbound.request("POST", f"{self.oauth}/oauth/token", data=form,
                                            headers={"Accept": "application/json"}, retry=self._retry)
        if reply.status in (400, 401):
            raise CredentialsRejected(f"Zid refused the {form['grant_type']} grant: {detail(reply)}", status=reply.status)
        return wire.parse_token(self._checked(reply, "the token request"), now=datetime.now(UTC), previous=previous)

    # --- reading ---------------------------------------------------------------------

    async def fetch_products(self, store: StoreAddress, credentials: Credentials, *, cursor: str | None,
                             updated_since: datetime | None) -> Page[CatalogProduct]:
        """A page of products; `updated_since` is ignored: Zid cannot filter on it."""
        page, offset = product_cursor(cursor)
        body = await self._call("GET", store, credentials, "/products/", products=True,
                                params={"page": page, "page_size": self.page_size})
        rows = wire.product_rows(body)
        products, position, details = [], offset, 0
        for row in rows[offset:]:
            if wire.needs_detail(row) and not wire.is_variant_row(row):
                if details == DETAIL_CALLS_PER_FETCH:
                    break
                details += 1
                row = await self._product_detail(store, credentials, str(wire.required(row, "id", "product")))
            if row is not None and not wire.is_variant_row(row):
                products.append(wire.parse_product(row))
            position += 1
        if position < len(rows):
            return Page(products, f"{page}:{position}")
        following = wire.next_product_page(body, page)
        return Page(products, str(following) if following else None)

    async def fetch_product(self, store: StoreAddress, credentials: Credentials, external_id: str) -> CatalogProduct | None:
        """One product with its variants (a webhook's payload may lack them); None if gone."""
        row = await self._product_detail(store, credentials, external_id)
        return wire.parse_product(row) if row is not None and not wire.is_variant_row(row) else None

    async def _product_detail(self, store: StoreAddress, credentials: Credentials, external_id: str) -> dict | None:
        try:
            body = await self._call("GET", store, credentials, f"/products/{quote(external_id, safe='')}/", products=True)
        except PlatformError as error:
            if error.status == 404:
                return None  # deleted since the list was read
            raise
        return wire.as_dict(body, "product")

    async def fetch_orders(self, store: StoreAddress, credentials: Credentials, *, cursor: str | None,
                           updated_since: datetime | None) -> Page[CatalogOrder]:
        page = positive(cursor or "1", "order cursor")
        params: dict[str, Any] = {"page": page, "per_page": ORDERS_PAGE_SIZE, "payload_type": "default",
                                  "order_by": "created_at", "sort_by": "asc"}
        if updated_since is not None:
            params |= {"date_attribute": "updated_at", "date_from": updated_since.astimezone(UTC).date().isoformat()}
        body = await self._call("GET", store, credentials, "/managers/store/orders", params=params)
        rows, total = wire.order_rows(body), wire.order_total_count(body)
        more = len(rows) >= ORDERS_PAGE_SIZE and (total is None or page * ORDERS_PAGE_SIZE < total)
        return Page([wire.parse_order(row, self.hash_customer) for row in rows], str(page + 1) if more else None)

    # --- webhooks --------------------------------------------------------------------

    async def subscribe_webhooks(self, store: StoreAddress, credentials: Credentials, callback_url: str) -> list[str]:
        password = credentials.extra.get("webhook_secret")
        if not password:
            raise PlatformError("Zid webhooks need credentials.extra['webhook_secret'], their Basic auth password")
        await self.unsubscribe_webhooks(store, credentials, await self._subscriptions_to(store, credentials, callback_url))
        created: list[str] = []
        try:
            for event in WEBHOOK_EVENTS:
                created.append(await self._subscribe(store, credentials, event, webhook_target(callback_url, event), password))
        except (PlatformError, OutboundError):
            with contextlib.suppress(PlatformError, OutboundError):
                await self.unsubscribe_webhooks(store, credentials, created)
            raise
        return created

    async def unsubscribe_webhooks(self, store: StoreAddress, credentials: Credentials, ids: list[str]) -> None:
        for subscription in ids:
            try:
                await self._call("DELETE", store, credentials, f"/managers/webhooks/{quote(subscription, safe='')}")
            except PlatformError as error:
                if error.status != 404:  # already gone is what we wanted
                    raise

    async def _subscribe(self, store: StoreAddress, credentials: Credentials, event: str, target: str, password: str) -> str:
        body = {"event": event, "target_url": target, "subscriber": WEBHOOK_SUBSCRIBER,
                "original_id": int(store.domain) if store.domain.isdigit() else store.domain,
                "username": WEBHOOK_USERNAME, "password": password}
        return subscription_id(await self._call("POST", store, credentials, "/managers/webhooks", json=body))

    async def _subscriptions_to(self, store: StoreAddress, credentials: Credentials, callback_url: str) -> list[str]:
        """Ids of the store's subscriptions already aimed at our targets for `callback_url`."""
        body = await self._call("GET", store, credentials, "/managers/webhooks")
        return [str(s["id"]) for s in subscription_rows(body)
                if s.get("id") and s.get("target_url") == webhook_target(callback_url, str(s.get("event")))]

    # --- plumbing --------------------------------------------------------------------

    def _headers(self, credentials: Credentials, store: StoreAddress | None = None) -> dict[str, str]:
        partner = credentials.extra.get("authorization", "").strip()
        partner = partner[7:].strip() if partner.lower().startswith("bearer ") else partner
        if not partner or not credentials.access_token:
            raise CredentialsRejected("Zid credentials lack the partner `authorization` or the manager token", status=401)
        headers = {"Authorization": f"Bearer {partner}", "X-Manager-Token": credentials.access_token,
                   "Accept-Language": ACCEPT_LANGUAGE, "Accept": "application/json"}
        if store is not None:
            headers |= {"Access-Token": credentials.access_token, "Store-Id": store.domain, "Role": "Manager"}
        return headers

    async def _call(self, method: str, store: StoreAddress, credentials: Credentials, path: str, *,
                    products: bool = False, **kwargs: Any) -> Any:
        """One call for one store under its bucket; a throttled read or delete waits and goes again."""
        headers = self._headers(credentials, store if products else None)
        waited = 0.0
        while True:
            await self.limiter.acquire(store.domain)
            reply = await self.outbound.request(method, f"{self.api}{path}", headers=headers, retry=self._retry, **kwargs)
            if reply.status != 429 or method == "POST":
                return self._checked(reply, f"{method} {path}")
            wait = retry_after_seconds(reply.headers)
            wait = self.limiter.drain_seconds if wait is None else wait
            if waited + wait > MAX_THROTTLE_WAIT:
                raise RateLimited(f"Zid is throttling store {store.domain}", retry_after=wait)
            self.limiter.block(store.domain, wait)
            waited += wait

    def _checked(self, reply: Reply, what: str) -> Any:
        """The answer's JSON, or the error its status means."""
        if reply.status == 401:
            raise CredentialsRejected(f"Zid refused the store's tokens ({what}): {detail(reply)}", status=401)
        if reply.status == 429:
            raise RateLimited(f"Zid is throttling ({what})", retry_after=retry_after_seconds(reply.headers) or self.limiter.drain_seconds)
        if reply.status >= 400:
            raise PlatformError(f"Zid answered {reply.status} to {what}: {detail(reply)}",
                                retryable=reply.status >= 500, status=reply.status)
        if reply.status == 204 or not reply.body.strip():
            return None
        try:
            return reply.json()
        except ValueError:
            raise PlatformError(f"Zid answered {what} with a body that is not JSON", status=reply.status) from None


def product_cursor(cursor: str | None) -> tuple[int, int]:
    """`"3"` -> page 3 from its start; `"3:20"` -> page 3 from its 21st row."""
    page, _, offset = (cursor or "1").partition(":")
    return positive(page, "product cursor"), positive(offset or "0", "product cursor", minimum=0)


def positive(value: str, what: str, *, minimum: int = 1) -> int:
    if not value.isdigit() or int(value) < minimum:
        raise PlatformError(f"not a Zid {what}: {value!r}")
    return int(value)


def detail(reply: Reply) -> str:
    """The gist of an error body: Zid's `message.description`, DRF's `detail`, OAuth's `error_description`."""
    try:
        body = reply.json()
    except ValueError:
        return reply.text[:200]
    if isinstance(body, dict):
        message = body.get("message")
        for text in (message.get("description") if isinstance(message, dict) else message,
                     body.get("detail"), body.get("error_description"), body.get("error")):
            if isinstance(text, str) and text:
                return text[:200]
    return reply.text[:200]


def webhook_target(callback_url: str, event: str) -> str:
    """`callback_url` with `event=<event>` in its query, whatever else the query carries."""
    parts = urlsplit(callback_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != EVENT_PARAMETER]
    return urlunsplit(parts._replace(query=urlencode([*query, (EVENT_PARAMETER, event)])))


def subscription_id(body: Any) -> str:
    """The id in a subscription answer: at the top, or under `webhook`/`data` (UNVERIFIED)."""
    nested = [body.get(k) for k in ("webhook", "data")] if isinstance(body, dict) else []
    for candidate in (body, *nested):
        if isinstance(candidate, dict) and candidate.get("id"):
            return str(candidate["id"])
    raise PlatformError("Zid answered a webhook subscription without its id")


def subscription_rows(body: Any) -> list[dict[str, Any]]:
    """The list of subscriptions, under `webhooks`/`data`/`results` or bare (UNVERIFIED)."""
    rows = body if isinstance(body, list) else next(
        (body[k] for k in ("webhooks", "data", "results") if isinstance(body, dict) and isinstance(body.get(k), list)), [])
    return [row for row in rows if isinstance(row, dict)]


# --- webhook deliveries: pure, no I/O ---------------------------------------------------

def verify_webhook(headers: Mapping[str, str], expected_password: str) -> bool:
    """Zid signs nothing: a delivery proves itself with the Basic credentials given at
    subscription, compared in constant time. The body's integrity rests on TLS, and the
    caller also checks the unguessable token it put in the target URL."""
    header = header_of(headers, "authorization")
    if not header or not expected_password:
        return False
    scheme, _, token = header.strip().partition(" ")
    expected = base64.b64encode(f"{WEBHOOK_USERNAME}:{expected_password}".encode()).decode()
    return scheme.lower() == "basic" and hmac.compare_digest(expected.encode(), token.strip().encode())


def webhook_delivery_id(headers: Mapping[str, str], body: bytes) -> str:
    """SHA-256 of the raw body: Zid sends no delivery id. A redelivery repeats its bytes;
    a new change has a new `updated_at`, so a new id."""
    return hashlib.sha256(body).hexdigest()


def parse_webhook(headers: Mapping[str, str], body: bytes, *, event: str | None,
                  hash_customer: CustomerHasher) -> WebhookChange:
    """A delivery -> what changed. `event` comes from the target URL's `event` parameter;
    app events name themselves in the body (`event_name`)."""
    try:
        delivered = wire.as_dict(json.loads(body), "webhook payload")
    except ValueError:
        raise PlatformError("Zid webhook body is not JSON") from None
    name = str(event or delivered.get("event") or delivered.get("event_name") or "").strip()
    subject = next((delivered[k] for k in ("order", "product", "data") if isinstance(delivered.get(k), dict)), delivered)
    if name == UNINSTALL_EVENT:
        return WebhookChange(ChangeKind.STORE_UNINSTALLED)
    if name == "product.delete":
        return WebhookChange(ChangeKind.PRODUCT_REMOVED, external_id=str(wire.required(subject, "id", "deleted product")))
    if name in PRODUCT_UPSERT_EVENTS:
        return product_change(subject)
    if name.startswith("order.") or (not name and "order_status" in subject):
        return WebhookChange(ChangeKind.ORDER_UPSERTED, order=wire.parse_order(subject, hash_customer))
    return WebhookChange(ChangeKind.IGNORED)


def product_change(payload: dict[str, Any]) -> WebhookChange:
    """An upsert, unless the payload cannot stand for the whole product: a variant's row, or
    a parent without its variants. Then IGNORED, with the product to re-read (`fetch_product`)
    in `external_id`; the next scan carries the change otherwise."""
    if wire.is_variant_row(payload):
        return WebhookChange(ChangeKind.IGNORED, external_id=str(payload["parent_id"]))
    if wire.needs_detail(payload):
        return WebhookChange(ChangeKind.IGNORED, external_id=str(wire.required(payload, "id", "product")))
    return WebhookChange(ChangeKind.PRODUCT_UPSERTED, product=wire.parse_product(payload))


def header_of(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    return value if value is not None else next((v for k, v in headers.items() if k.lower() == name), None)
