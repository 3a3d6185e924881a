"""Salla's Merchant API (INTEGRATIONS §3): connecting, reading products and orders, webhooks.

Decisions, with what they rest on (docs.salla.dev, SallaApp/salla-partners-agent-kit,
the Salla CLI's event list; wire shapes are described in `salla_wire`):

- OAuth 2 authorization code with `offline_access` on accounts.salla.sa. The token answer's
  `expires` is a UNIX timestamp (`expires_in` is accepted too). Refresh tokens are single-use
  and replaying one revokes both tokens, so `refresh` posts exactly once (POSTs are never
  retried by Outbound) and the caller must persist the new pair under its per-store lock.
  An `Unreachable` from `refresh` is ambiguous (Salla may have rotated): re-read before retrying.
  Salla strips hyphens from `state` on the way back: compare with `state_matches`.
- Store identity: `GET /oauth2/user/info` (`merchant.id` is the store's key; the docs wrap it in
  `data`, the partner kit says it is top level: both are read). It has no currency, which
  comes from `GET /store/info`.
- Pagination: `page` / `per_page` (max 60) with `pagination.currentPage/totalPages`; the
  cursor is the next page number. Products have no updated-since filter, so an incremental
  sync is a full scan. Orders take `from_date` (yyyy-mm-dd, creation date): incremental reads
  `updated_since - orders_window_days`; older orders change only through webhooks.
- The orders list is a summary (`expanded` is refused to apps made after August 2024), so
  each order is read with `GET /orders/{id}`: one call per order, paced like every call.
  If the details ever come without `items` (Salla plans `format=light` as the default),
  `GET /orders/items?order_id=` fills them in.
- Names: one language per response, no `translations` field. The main request sends no
  Accept-Language (Salla's default `ar`, unless `Content-Language` says otherwise);
  `second_language="en"` adds one request per page to fill `names["en"]` (a name equal to
  the main one is Salla's fallback, not a translation). Off by default to save the rate
  limit. Webhook products carry one name, filed under `ar` (UNVERIFIED for stores whose
  default language is not Arabic).
- Rate limits are per store: `X-RateLimit-Remaining` / `X-RateLimit-Reset` (epoch seconds)
  are read on every answer; once nothing remains the next call waits for the reset, and a
  call never waits more than `max_wait_seconds` in all (then RateLimited). A 429 with
  Retry-After is retried by Outbound for reads; a 403 is Salla's temporary abuse block.
- Webhooks, checked (Dec 2026) on docs.salla.dev: Register Webhook (5394134e0, modified
  2025-04-16: body `name`, `event`*, `url`*, `version`, `rule`, `headers[{key,value}]`; the
  answer's `headers` is an object), Update Webhook (10312606e0: `PUT /webhooks/{id}`, body
  `name`, `url`, `version`, `rule`...; the stored copy of the page stops there), List Active
  Webhooks (5394135), Webhooks (421119m0: Signature is the default strategy); and the
  partner kit's `salla-webhooks` skill (SallaApp/salla-partners-agent-kit, HEAD), which
  cites those pages and lists Update's body in full:
  - `POST /webhooks/subscribe {name, event, url, version: 2}` per event. `security_strategy`
    and `secret` are not fields of that body: they are set with `PUT /webhooks/{id}
    {security_strategy: "signature", secret}`, and Signature needs a secret (without one
    Salla signs with one it generated and never told us: UNVERIFIED how; the fake does so).
    So each store gets a webhook secret we mint (`credentials.extra["webhook_secret"]`,
    sealed with its credentials in the vault), and every subscription is PUT to it right
    after subscribing. Refreshed tokens keep it (`refresh` carries `extra` over).
  - The register page says a new subscription "with the same URL" updates or restores the
    old one; an older revision said "same URL and event". Each event therefore gets its own
    URL: `<callback>/<event>` (a path segment, not a query, in case Salla compares URLs
    without their query), so either rule keeps one subscription per event.
  - Then `GET /webhooks` (id, name, event, type, url, version, rule, headers; paginated) must
    list every subscription at its URL; a `security_strategy` in a row (not documented) must
    say signature. Otherwise what was made is unsubscribed and the subscription fails (the
    store still syncs on schedule). `DELETE /webhooks/unsubscribe?id=` answers 202.
  - Deliveries: `X-Salla-Signature` = hex HMAC-SHA256 of the raw body (with
    `X-Salla-Security-Strategy: Signature`). Those to a store's own URL are checked with that
    store's secret and must be signed (`verify_webhook(..., token_allowed=False)`). App
    events (`app.store.authorize`, `app.uninstalled`: the Partner Portal's app URL, not
    subscribable per store) come to the app URL signed with the app's webhook secret, Token
    strategy (`Authorization` = the secret, with or without `Bearer`) accepted there too.
  - No delivery id header is documented, so a delivery's id is the SHA-256 of its raw body.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from adly_catalog.adapters.platforms import salla_wire as wire
from adly_catalog.adapters.platforms.common import signature_matches_hex
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

log = logging.getLogger(__name__)

MAX_PAGE_SIZE = 60
MAX_WEBHOOK_PAGES = 10
SECURITY_STRATEGY = "signature"
WEBHOOK_EVENTS = ("product.created", "product.updated", "product.deleted", "order.created", "order.updated",
                  "order.status.updated", "order.cancelled", "order.refunded")
PRODUCT_EVENTS = frozenset({"product.created", "product.updated", "product.available", "product.quantity.low"})
# Order events whose `data` is the whole order (they share Salla's order model).
ORDER_EVENTS = frozenset({"order.created", "order.updated", "order.status.updated", "order.cancelled",
                          "order.refunded", "order.products.updated", "order.payment.updated",
                          "order.coupon.updated", "order.total.price.updated"})
AUTHORIZE_EVENTS = frozenset({"app.store.authorize", "store.authorize"})


class _Budget:
    """How long one public call may still wait for Salla's rate limit."""

    def __init__(self, seconds: float) -> None:
        self.left = seconds

    def spend(self, wait: float) -> None:
        if wait > self.left:
            raise RateLimited(f"Salla's rate limit resets in {wait:.0f}s", retry_after=wait)
        self.left -= wait


class _Pacer:
    """Per store: when the last answer said nothing remains, the time its window resets."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.resume_at: dict[str, float] = {}

    def note(self, key: str, headers: Mapping[str, str]) -> None:
        reset = _reset_in(headers, self.clock())
        if _remaining(headers) == 0 and reset is not None:
            self.resume_at[key] = self.clock() + reset
        else:
            self.resume_at.pop(key, None)

    def wait(self, key: str) -> float:
        return max(0.0, self.resume_at.get(key, 0.0) - self.clock())


def _remaining(headers: Mapping[str, str]) -> int | None:
    value = headers.get("x-ratelimit-remaining", "")
    return int(value) if value.strip().lstrip("-").isdigit() else None


def _reset_in(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds until `X-RateLimit-Reset`: documented as epoch seconds; a small number is a delay."""
    try:
        reset = float(headers.get("x-ratelimit-reset", ""))
    except ValueError:
        return None
    return max(0.0, reset - now if reset > 1e9 else reset)


def state_matches(sent: str, returned: str | None) -> bool:
    """Salla strips hyphens from `state` when it sends the merchant back."""
    return bool(returned) and hmac.compare_digest(sent.replace("-", "").encode(), returned.replace("-", "").encode())


class SallaClient:
    platform = StorePlatform.SALLA

    def __init__(self, outbound: Outbound, settings: CatalogSettings, hash_customer: CustomerHasher, *,
                 second_language: str | None = None, max_wait_seconds: float = 30.0,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.outbound, self.settings, self.hash_customer = outbound, settings, hash_customer
        self.second_language = second_language
        self.max_wait_seconds = max_wait_seconds
        self.clock, self.sleep = clock, sleep
        self.api = settings.salla_api_url.rstrip("/")
        self.accounts = settings.salla_accounts_url.rstrip("/")
        self.page_size = max(1, min(settings.salla_page_size, MAX_PAGE_SIZE))
        self._pacer = _Pacer(clock)

    # --- connecting ---------------------------------------------------------------------

    def authorize_url(self, *, state: str, redirect_uri: str) -> str:
        query = {"client_id": self.settings.salla_client_id, "response_type": "code", "redirect_uri": redirect_uri,
                 "scope": self.settings.salla_scopes, "state": state}
        return f"{self.accounts}/oauth2/auth?{urlencode(query, quote_via=quote)}"

    async def exchange_code(self, *, code: str, redirect_uri: str) -> Credentials:
        return await self._token({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri})

    async def refresh(self, store: StoreAddress, credentials: Credentials) -> Credentials:
        if not credentials.refresh_token:
            raise CredentialsRejected("Salla gave no refresh token (offline_access missing): reconnect", status=401)
        fresh = await self._token({"grant_type": "refresh_token", "refresh_token": credentials.refresh_token})
        return replace(fresh, extra={**credentials.extra, **fresh.extra})  # the webhook secret stays

    async def store_info(self, credentials: Credentials) -> StoreInfo:
        reply = await self.outbound.request("GET", f"{self.accounts}/oauth2/user/info", headers=self._headers(credentials))
        merchant = wire.merchant(self._answer(reply))
        store = StoreAddress(StorePlatform.SALLA, str(merchant["id"]))
        return StoreInfo(domain=store.domain, name=wire.text(merchant.get("name")),
                         currency=wire.text(merchant.get("currency")) or await self._currency(store, credentials))

    async def _currency(self, store: StoreAddress, credentials: Credentials) -> str | None:
        try:
            body, _ = await self._call("GET", "/store/info", store, credentials, _Budget(self.max_wait_seconds))
        except CredentialsRejected:
            raise
        except PlatformError as error:  # the store connects without it; the first order tells
            log.warning("salla store info unavailable", extra={"merchant": store.domain, "error": error.message})
            return None
        return wire.text((body.get("data") or {}).get("currency"))

    # --- reading ------------------------------------------------------------------------

    async def fetch_products(self, store: StoreAddress, credentials: Credentials, *, cursor: str | None,
                             updated_since: datetime | None) -> Page[CatalogProduct]:
        del updated_since  # Salla cannot filter products by change: every sync is a full scan
        budget, params = _Budget(self.max_wait_seconds), {"page": _page(cursor), "per_page": self.page_size}
        body, headers = await self._call("GET", "/products", store, credentials, budget, params=params)
        language = (headers.get("content-language") or wire.DEFAULT_LANGUAGE).split(",")[0].strip().lower()[:2]
        second = await self._names(store, credentials, budget, params) if self.second_language else {}
        items = [wire.product(raw, language=language,
                              translations={self.second_language: second.get(str(raw.get("id")))} if second else None)
                 for raw in _collection(body)]
        return Page(items, _next_cursor(body))

    async def fetch_product(self, store: StoreAddress, credentials: Credentials, external_id: str) -> CatalogProduct | None:
        """One product (Product Details), or None when Salla no longer has it."""
        try:
            body, headers = await self._call("GET", f"/products/{quote(external_id, safe='')}", store, credentials,
                                             _Budget(self.max_wait_seconds))
        except PlatformError as error:
            if error.status == 404:
                return None
            raise
        language = (headers.get("content-language") or wire.DEFAULT_LANGUAGE)[:2].lower()
        return wire.product(_data(body), language=language)

    async def _names(self, store: StoreAddress, credentials: Credentials, budget: _Budget,
                     params: dict[str, Any]) -> dict[str, str]:
        body, _ = await self._call("GET", "/products", store, credentials, budget, params=params,
                                   language=self.second_language)
        return {str(raw.get("id")): str(raw.get("name")) for raw in _collection(body) if raw.get("name")}

    async def fetch_orders(self, store: StoreAddress, credentials: Credentials, *, cursor: str | None,
                           updated_since: datetime | None) -> Page[CatalogOrder]:
        budget = _Budget(self.max_wait_seconds)
        params: dict[str, Any] = {"page": _page(cursor), "per_page": self.page_size}
        if updated_since is not None:
            since = updated_since - timedelta(days=self.settings.orders_window_days)
            params["from_date"] = since.astimezone(wire.zone(wire.STORE_ZONE)).date().isoformat()
        body, _ = await self._call("GET", "/orders", store, credentials, budget, params=params)
        orders = [await self._order(store, credentials, budget, summary) for summary in _collection(body)]
        return Page([o for o in orders if o is not None], _next_cursor(body))

    async def _order(self, store: StoreAddress, credentials: Credentials, budget: _Budget,
                     summary: Mapping[str, Any]) -> CatalogOrder | None:
        order_id = summary.get("id")
        if order_id is None:
            raise PlatformError("Salla listed an order without an id")
        try:
            body, _ = await self._call("GET", f"/orders/{order_id}", store, credentials, budget)
        except PlatformError as error:
            if error.status != 404:
                raise
            return None  # deleted between the list and its details
        detail = dict(_data(body))
        if "items" not in detail:
            items, _ = await self._call("GET", "/orders/items", store, credentials, budget, params={"order_id": order_id})
            detail["items"] = _collection(items)
        return wire.order(detail, self.hash_customer)

    # --- webhooks -----------------------------------------------------------------------

    async def subscribe_webhooks(self, store: StoreAddress, credentials: Credentials, callback_url: str) -> list[str]:
        """Every event at its own URL under `callback_url`, signed with the store's secret;
        checked in `GET /webhooks` afterwards. On any failure what was made is removed again."""
        secret = credentials.extra.get("webhook_secret")
        if not secret:
            raise PlatformError("Salla webhooks need credentials.extra['webhook_secret'] (the store's signing secret)")
        made: dict[str, str] = {}
        try:
            for event in WEBHOOK_EVENTS:
                made[event] = await self._subscribe(store, credentials, event, webhook_target(callback_url, event))
                await self._sign_with(store, credentials, made[event], secret)
            await self._check_subscriptions(store, credentials, made, callback_url)
        except (PlatformError, OutboundError):
            with contextlib.suppress(PlatformError, OutboundError):
                await self.unsubscribe_webhooks(store, credentials, list(made.values()))
            raise
        return list(made.values())

    async def _subscribe(self, store: StoreAddress, credentials: Credentials, event: str, url: str) -> str:
        body, _ = await self._call("POST", "/webhooks/subscribe", store, credentials, _Budget(self.max_wait_seconds),
                                   json={"name": f"ADLY {event}", "event": event, "url": url, "version": 2})
        if (webhook_id := _data(body).get("id")) is None:
            raise PlatformError(f"Salla subscribed {event} without giving its id")
        return str(webhook_id)

    async def _sign_with(self, store: StoreAddress, credentials: Credentials, webhook_id: str, secret: str) -> None:
        """The Signature strategy with our secret: not settable when subscribing, only by update."""
        await self._call("PUT", f"/webhooks/{quote(webhook_id, safe='')}", store, credentials,
                         _Budget(self.max_wait_seconds), json={"security_strategy": SECURITY_STRATEGY, "secret": secret})

    async def _check_subscriptions(self, store: StoreAddress, credentials: Credentials, made: Mapping[str, str],
                                   callback_url: str) -> None:
        """Salla lists each subscription we made, at its own URL, with the Signature strategy."""
        listed = {str(row.get("id")): row for row in await self._webhooks(store, credentials)}
        for event, webhook_id in made.items():
            row = listed.get(webhook_id)
            if row is None or row.get("event") != event or row.get("url") != webhook_target(callback_url, event):
                raise PlatformError(f"Salla does not list the {event} subscription ADLY just made", status=409)
            strategy = row.get("security_strategy")
            if strategy is not None and str(strategy).strip().lower() != SECURITY_STRATEGY:
                raise PlatformError(f"Salla's {event} subscription is not signed (strategy {strategy!r})", status=409)

    async def _webhooks(self, store: StoreAddress, credentials: Credentials) -> list[Mapping[str, Any]]:
        rows: list[Mapping[str, Any]] = []
        cursor: str | None = None
        for _ in range(MAX_WEBHOOK_PAGES):
            body, _ = await self._call("GET", "/webhooks", store, credentials, _Budget(self.max_wait_seconds),
                                       params={"page": _page(cursor), "per_page": MAX_PAGE_SIZE})
            rows += _collection(body)
            if (cursor := _next_cursor(body)) is None:
                return rows
        raise PlatformError(f"Salla lists more than {MAX_WEBHOOK_PAGES * MAX_PAGE_SIZE} webhooks for the store")

    async def unsubscribe_webhooks(self, store: StoreAddress, credentials: Credentials, ids: list[str]) -> None:
        for webhook_id in ids:
            try:
                await self._call("DELETE", "/webhooks/unsubscribe", store, credentials, _Budget(self.max_wait_seconds),
                                 params={"id": webhook_id})
            except PlatformError as error:
                if error.status != 404:  # already gone is what we wanted
                    raise

    # --- plumbing -----------------------------------------------------------------------

    def _headers(self, credentials: Credentials, language: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {credentials.access_token}", "Accept": "application/json"}
        return headers | ({"Accept-Language": language} if language else {})

    async def _call(self, method: str, path: str, store: StoreAddress, credentials: Credentials, budget: _Budget, *,
                    language: str | None = None, **kwargs: Any) -> tuple[dict[str, Any], Mapping[str, str]]:
        if wait := self._pacer.wait(store.domain):
            budget.spend(wait)
            await self.sleep(wait)
        reply = await self.outbound.request(method, self.api + path, headers=self._headers(credentials, language), **kwargs)
        self._pacer.note(store.domain, reply.headers)
        return self._answer(reply), reply.headers

    def _answer(self, reply: Reply) -> dict[str, Any]:
        if not 200 <= reply.status < 300:
            raise self._error(reply)
        body = wire.load(reply.body) if reply.body.strip() else {}
        if not isinstance(body, dict):
            raise PlatformError("Salla sent a body that is not a JSON object", status=reply.status)
        return body

    def _error(self, reply: Reply) -> PlatformError:
        message = wire.error_message(reply.body) or f"HTTP {reply.status}"
        if reply.status == 401:
            return CredentialsRejected(f"Salla refused the access token ({message})", status=401)
        if reply.status == 429:
            return RateLimited(f"Salla throttled the store ({message})", retry_after=self._retry_after(reply))
        if reply.status == 403:  # Salla's temporary block after abuse-like traffic (or a missing scope)
            return PlatformError(f"Salla refused the call ({message})", retryable=True, status=403)
        return PlatformError(f"Salla answered {reply.status} ({message})", retryable=reply.status >= 500,
                             status=reply.status)

    def _retry_after(self, reply: Reply) -> float:
        after = retry_after_seconds(reply.headers)
        after = _reset_in(reply.headers, self.clock()) if after is None else after
        return after if after else 60.0  # Salla's window is a minute

    async def _token(self, form: dict[str, str]) -> Credentials:
        form = form | {"client_id": self.settings.salla_client_id,
                       "client_secret": self.settings.salla_client_secret.get_secret_value()}
        reply = await self.outbound.request("POST", f"{self.accounts}/oauth2/token", data=form,
                                            headers={"Accept": "application/json"})
        if 200 <= reply.status < 300:
            return wire.credentials(self._answer(reply), datetime.now(UTC))
        error = _oauth_error(reply.body)
        if error == "invalid_grant":  # used, expired or revoked code / refresh token
            raise CredentialsRejected(f"Salla refused the grant ({wire.error_message(reply.body)})", status=reply.status)
        raise PlatformError(f"Salla's token endpoint answered {reply.status} ({wire.error_message(reply.body)})",
                            retryable=reply.status >= 500, status=reply.status)


def _oauth_error(body: bytes) -> str | None:
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return parsed.get("error") if isinstance(parsed, dict) and isinstance(parsed.get("error"), str) else None


def _page(cursor: str | None) -> int:
    if cursor is None:
        return 1
    if not cursor.isdigit() or int(cursor) < 1:
        raise PlatformError(f"not a Salla page cursor: {cursor!r}")
    return int(cursor)


def _data(body: Mapping[str, Any]) -> Mapping[str, Any]:
    data = body.get("data")
    if not isinstance(data, Mapping):
        raise PlatformError("Salla's answer has no data object")
    return data


def _collection(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    data = body.get("data")
    if not isinstance(data, list) or not all(isinstance(item, Mapping) for item in data):
        raise PlatformError("Salla's collection has no data list")
    return data


def _next_cursor(body: Mapping[str, Any]) -> str | None:
    pagination = body.get("pagination") if isinstance(body.get("pagination"), Mapping) else {}
    try:
        current, pages = int(pagination.get("currentPage") or 0), int(pagination.get("totalPages") or 0)
    except (TypeError, ValueError):
        raise PlatformError("Salla sent unreadable pagination") from None
    return str(current + 1) if 0 < current < pages else None


# --- webhooks (pure: no I/O) -------------------------------------------------------------


def webhook_target(callback_url: str, event: str) -> str:
    """The URL of one event's subscription: the store's webhook URL with the event as the last
    path segment (see the module docstring for why each event has its own)."""
    return f"{callback_url.rstrip('/')}/{quote(event, safe='')}"


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def verify_webhook(headers: Mapping[str, str], body: bytes, secret: str, *, token_allowed: bool = True) -> bool:
    """The Signature strategy (hex HMAC of the raw body) or, where allowed, the Token strategy
    (the secret itself in `Authorization`, with or without `Bearer`)."""
    headers = _lower(headers)
    strategy = headers.get("x-salla-security-strategy", "").strip().lower()
    if strategy in ("", "signature") and "x-salla-signature" in headers:
        return signature_matches_hex(secret, body, headers["x-salla-signature"])
    if token_allowed and strategy in ("", "token") and secret and headers.get("authorization"):
        token = headers["authorization"].strip()
        token = token[7:].strip() if token[:7].lower() == "bearer " else token
        return hmac.compare_digest(token.encode(), secret.encode())
    return False


def _envelope(body: bytes) -> Mapping[str, Any]:
    envelope = wire.load(body)
    if not isinstance(envelope, Mapping) or not isinstance(envelope.get("event"), str):
        raise PlatformError("Salla sent a webhook without an event")
    return envelope


def webhook_merchant(body: bytes) -> str | None:
    try:
        merchant = _envelope(body).get("merchant")
    except PlatformError:
        return None
    return wire.text(merchant)


def webhook_delivery_id(headers: Mapping[str, str], body: bytes) -> str:
    del headers  # Salla sends no delivery id; a redelivery carries the same bytes
    return hashlib.sha256(body).hexdigest()


def parse_webhook(headers: Mapping[str, str], body: bytes, *, hash_customer: CustomerHasher) -> WebhookChange:
    del headers
    envelope = _envelope(body)
    event, data = envelope["event"], envelope.get("data")
    if event in PRODUCT_EVENTS:
        return WebhookChange(ChangeKind.PRODUCT_UPSERTED, product=wire.product(data))
    if event == "product.deleted":
        if not isinstance(data, Mapping) or data.get("id") is None:
            raise PlatformError("Salla sent product.deleted without a product id")
        return WebhookChange(ChangeKind.PRODUCT_REMOVED, external_id=str(data["id"]))
    if event in ORDER_EVENTS:
        return WebhookChange(ChangeKind.ORDER_UPSERTED, order=wire.order(data, hash_customer))
    if event == "app.uninstalled":
        return WebhookChange(ChangeKind.STORE_UNINSTALLED)
    return WebhookChange(ChangeKind.IGNORED)  # incl. app.store.authorize: see authorization_from_webhook


def authorization_from_webhook(body: bytes) -> Credentials | None:
    """The tokens of `app.store.authorize` (install, update, re-authorization: Easy Mode)."""
    envelope = _envelope(body)
    data = envelope.get("data")
    if envelope["event"] not in AUTHORIZE_EVENTS or not isinstance(data, Mapping) or not data.get("access_token"):
        return None
    return wire.credentials(data, datetime.now(UTC))
