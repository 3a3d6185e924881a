"""Shopify Admin API client (INTEGRATIONS §1): OAuth, GraphQL products and orders, webhooks.

Checked against shopify.dev and Shopify's own `shopify-app-js` (Nov 2026):
- OAuth is the authorization-code grant for non-embedded apps, asking for *expiring*
  offline tokens (`expiring=1`: one hour, with a refresh token). Each refresh returns a new
  refresh token, which is what we keep; since Aug 2026 the previous one stays valid until
  the new one is used, so a refresh whose answer was lost can be repeated (it is sent as
  a safe request). A refused refresh (400 `invalid_grant`, 401) is `CredentialsRejected`.
- The callback `hmac` is hex HMAC-SHA256 over the other parameters sorted and joined as
  `URLSearchParams` encodes them (what `shopify-app-js` does). Shopify's SDK allows 90 s of
  clock skew on `timestamp`; we allow 24 h, the `state` nonce (single use, 10 min) being
  what stops a replay.
- Webhook subscriptions use `webhookSubscription: {uri, format}` (`uri` replaced
  `callbackUrl` in 2025-10). Creating one that exists ("already been taken") finds and
  returns the existing id, so subscribing twice is harmless.
- Rate limits: every answer's `extensions.cost.throttleStatus` is kept per shop; before a
  request the client waits until the bucket holds the previous query's requested cost; a
  THROTTLED answer (HTTP 200, `errors[].extensions.code`, UNVERIFIED whether it is ever a
  429: both are handled) is waited out and retried, at most `max_throttle_wait` seconds in
  all, else `RateLimited`. MAX_COST_EXCEEDED shrinks the page (half, or straight to what
  fits when Shopify says both costs) and the smaller size is kept for that shop.
- Protected customer data (shopify.dev/docs/apps/launch/protected-customer-data, "Using
  protected customer data"): without approval an order's `email` and `customer` come back
  null, or null with an error per field in `errors` (HTTP 200, the rest of the page there).
  Such field errors (`shopify_wire.redacted`) are read as redacted data: the order is kept,
  with no customer hash. Any other error still fails the page.
- Orders older than 60 days: shopify.dev's Order object says only the last 60 days' worth
  of orders are accessible unless the app is granted `read_all_orders`. Unless the
  credentials' granted scopes include it, the orders are asked for from 60 days before the
  sync's first page (`created_at:>=`, besides any `updated_at:>`), a window fixed for the
  whole listing by carrying it in the cursor (`<window>|<Shopify cursor>`), so every page
  asks the same query. Older orders reach the mirror only by webhook.
- Page size is `shopify_page_size` (250); each product asks for its first
  `variants_per_product` variants and `images_per_product` images, each order for its
  first `lines_per_order` lines. At the documented single-query maximum of 1000 points
  that is a few products per page: a store with many more than 100 variants a product
  or a 100k-product catalogue would want bulk operations (not done here).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import orjson

from adly_catalog.adapters.platforms import shopify_wire as wire
from adly_catalog.adapters.platforms.common import parse_time, signature_matches_base64, signature_matches_hex
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
from adly_kit.outbound import Outbound, Reply, retry_after_seconds

log = logging.getLogger(__name__)

SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
WEBHOOK_TOPICS = ("PRODUCTS_CREATE", "PRODUCTS_UPDATE", "PRODUCTS_DELETE", "ORDERS_CREATE", "ORDERS_UPDATED",
                  "APP_UNINSTALLED")
CALLBACK_MAX_AGE = timedelta(hours=24)
WEBHOOK_MAX_FUTURE = timedelta(minutes=5)
RETRYABLE_CODES = {"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT"}
ORDERS_WINDOW = timedelta(days=60)  # what Shopify returns without read_all_orders
WINDOW_MARK = "|"  # between the window and Shopify's cursor (base64: never has one)


def valid_shop_domain(shop: str | None) -> bool:
    return bool(shop) and SHOP_DOMAIN.match(shop) is not None


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive, for plain dicts as well as HTTP header mappings."""
    if (value := headers.get(name)) is not None:
        return value
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def _form_encode(text: str) -> str:
    # URLSearchParams (as shopify-app-js signs): `*-._` and alphanumerics stay, the rest is %XX.
    return quote(text, safe="*").replace("~", "%7E")


class ShopifyClient:
    platform = StorePlatform.SHOPIFY

    def __init__(
        self,
        outbound: Outbound,
        settings: CatalogSettings,
        hash_customer: CustomerHasher,
        *,
        max_throttle_wait: float = 30.0,
        throttle_retries: int = 5,
        variants_per_product: int = 100,
        images_per_product: int = 10,
        lines_per_order: int = 50,
    ) -> None:
        self.outbound, self.settings, self.hash_customer = outbound, settings, hash_customer
        self.max_throttle_wait, self.throttle_retries = max_throttle_wait, throttle_retries
        self.variants_per_product, self.images_per_product = variants_per_product, images_per_product
        self.lines_per_order = lines_per_order
        self._costs: dict[str, tuple[wire.Cost, float]] = {}  # shop -> last cost seen, and when
        self._page_sizes: dict[tuple[str, str], int] = {}    # (shop, resource) -> size that fits

    # Connecting ----------------------------------------------------------------------

    def authorize_url(self, *, shop: str, state: str, redirect_uri: str) -> str:
        self._check_shop(shop)
        query = {"client_id": self.settings.shopify_client_id, "scope": self.settings.shopify_scopes,
                 "redirect_uri": redirect_uri, "state": state}
        return f"{self._base(shop)}/admin/oauth/authorize?{urlencode(query)}"

    def verify_callback(self, query: Mapping[str, str], now: datetime | None = None) -> bool:
        params = {k: v for k, v in query.items() if k not in ("hmac", "signature")}
        if not valid_shop_domain(params.get("shop")) or not self._recent(params.get("timestamp"), now):
            return False
        message = "&".join(f"{_form_encode(k)}={_form_encode(v)}" for k, v in sorted(params.items()))
        return signature_matches_hex(self.settings.shopify_client_secret.get_secret_value(), message.encode(),
                                     query.get("hmac"))

    @staticmethod
    def _recent(timestamp: str | None, now: datetime | None) -> bool:
        try:
            signed = datetime.fromtimestamp(int(timestamp or ""), UTC)
        except (ValueError, OverflowError, OSError):
            return False
        return abs((now or datetime.now(UTC)) - signed) <= CALLBACK_MAX_AGE

    async def exchange_code(self, *, shop: str, code: str) -> Credentials:
        self._check_shop(shop)
        # A code works once: never resent (safe=False).
        return await self._token(shop, {"code": code, "expiring": "1"}, "authorization code", safe=False)

    async def refresh(self, store: StoreAddress, credentials: Credentials) -> Credentials:
        if not credentials.refresh_token:
            raise CredentialsRejected("Shopify gave no refresh token for this store: the merchant must reconnect",
                                      status=401)
        form = {"grant_type": "refresh_token", "refresh_token": credentials.refresh_token}
        fresh = await self._token(store.domain, form, "refresh token", safe=True)
        return fresh if fresh.refresh_token else _with_refresh(fresh, credentials)

    async def store_info(self, store: StoreAddress, credentials: Credentials) -> StoreInfo:
        data = await self._graphql(store, credentials, wire.SHOP_QUERY, {}, what="the shop")
        with wire.reading("the shop"):
            shop = data["shop"]
            return StoreInfo(domain=shop.get("myshopifyDomain") or store.domain, name=shop.get("name"),
                             currency=shop.get("currencyCode"))

    # Reading -------------------------------------------------------------------------

    async def fetch_products(
        self, store: StoreAddress, credentials: Credentials, *, cursor: str | None, updated_since: datetime | None
    ) -> Page[CatalogProduct]:
        sizes = {"variants": self.variants_per_product, "images": self.images_per_product}
        data = await self._page(store, credentials, "products", wire.PRODUCTS_QUERY, cursor,
                                _search(updated_since=updated_since), sizes)
        with wire.reading("a page of products"):
            currency = data["shop"]["currencyCode"]
            items = [wire.product_from_graphql(node, currency) for node in wire.nodes(data["products"])]
            return Page(items, _next_cursor(data["products"]))

    async def fetch_orders(
        self, store: StoreAddress, credentials: Credentials, *, cursor: str | None, updated_since: datetime | None
    ) -> Page[CatalogOrder]:
        window, after = _window_cursor(cursor)
        if cursor is None:
            window = orders_window_start(credentials.scope, datetime.now(UTC))
        sizes = {"lines": self.lines_per_order}
        search = _search(updated_since=updated_since, created_from=window)
        data = await self._page(store, credentials, "orders", wire.ORDERS_QUERY, after, search, sizes)
        with wire.reading("a page of orders"):
            items = [wire.order_from_graphql(node, self.hash_customer) for node in wire.nodes(data["orders"])]
            following = _next_cursor(data["orders"])
        return Page(items, _with_window(window, following))

    async def _page(self, store: StoreAddress, credentials: Credentials, resource: str, query: str,
                    cursor: str | None, search: str | None, sizes: dict[str, int]) -> dict[str, Any]:
        key = (store.domain, resource)
        while True:
            size = self._page_sizes.get(key, self.settings.shopify_page_size)
            variables = {"first": size, "after": cursor, "query": search, **sizes}
            try:
                return await self._graphql(store, credentials, query, variables, what=resource)
            except wire.QueryTooCostly as refused:
                if size <= 1:
                    raise PlatformError(f"Shopify refuses even one of the {resource} of {store.domain}: {refused}") from refused
                self._page_sizes[key] = wire.smaller_page(size, refused)

    # Webhook subscriptions -----------------------------------------------------------

    async def subscribe_webhooks(self, store: StoreAddress, credentials: Credentials, callback_url: str) -> list[str]:
        return [await self._subscribe(store, credentials, topic, callback_url) for topic in WEBHOOK_TOPICS]

    async def _subscribe(self, store: StoreAddress, credentials: Credentials, topic: str, url: str) -> str:
        variables = {"topic": topic, "webhookSubscription": {"uri": url, "format": "JSON"}}
        data = await self._graphql(store, credentials, wire.CREATE_WEBHOOK, variables, what=f"the {topic} webhook")
        with wire.reading("a webhook subscription"):
            result = data["webhookSubscriptionCreate"]
            if not (errors := result.get("userErrors")):
                return result["webhookSubscription"]["id"]
        if any("taken" in str(e.get("message", "")).lower() for e in errors) and (
            existing := await self._existing(store, credentials, topic, url)
        ):
            return existing
        raise PlatformError(f"Shopify refused the {topic} webhook: {_messages(errors)}")

    async def _existing(self, store: StoreAddress, credentials: Credentials, topic: str, url: str) -> str | None:
        data = await self._graphql(store, credentials, wire.EXISTING_WEBHOOKS, {"topic": topic}, what="webhooks")
        with wire.reading("the webhook subscriptions"):
            return next((n["id"] for n in wire.nodes(data["webhookSubscriptions"]) if n.get("uri") == url), None)

    async def unsubscribe_webhooks(self, store: StoreAddress, credentials: Credentials, ids: list[str]) -> None:
        for subscription in ids:
            data = await self._graphql(store, credentials, wire.DELETE_WEBHOOK, {"id": subscription},
                                       what="a webhook deletion")
            with wire.reading("a webhook deletion"):
                errors = data["webhookSubscriptionDelete"].get("userErrors") or []
            # Already gone is what we wanted.
            if errors and not all("not exist" in str(e.get("message", "")).lower() for e in errors):
                raise PlatformError(f"Shopify refused to delete webhook {subscription}: {_messages(errors)}")

    # Webhook deliveries (pure: no I/O) -----------------------------------------------

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        signature = header(headers, "X-Shopify-Hmac-Sha256")
        secrets = [self.settings.shopify_client_secret, self.settings.shopify_previous_client_secret]
        return any(s is not None and signature_matches_base64(s.get_secret_value(), body, signature) for s in secrets)

    @staticmethod
    def webhook_delivery_id(headers: Mapping[str, str]) -> str:
        found = header(headers, "X-Shopify-Webhook-Id") or header(headers, "X-Shopify-Event-Id")
        if not found:
            raise PlatformError("a Shopify webhook without X-Shopify-Webhook-Id or X-Shopify-Event-Id")
        return found

    @staticmethod
    def webhook_shop(headers: Mapping[str, str]) -> str | None:
        shop = (header(headers, "X-Shopify-Shop-Domain") or "").strip().lower()
        return shop if valid_shop_domain(shop) else None

    def webhook_is_fresh(self, headers: Mapping[str, str], now: datetime) -> bool:
        triggered = header(headers, "X-Shopify-Triggered-At")
        if not triggered:
            return True
        try:
            at = wire.parse_time(triggered)
        except PlatformError:
            return False
        age = now - at
        return -WEBHOOK_MAX_FUTURE <= age <= timedelta(seconds=self.settings.shopify_webhook_max_age_seconds)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes, *, currency: str) -> WebhookChange:
        topic = (header(headers, "X-Shopify-Topic") or "").strip().lower()
        if topic not in ("products/create", "products/update", "products/delete", "orders/create",
                         "orders/updated", "app/uninstalled"):
            return WebhookChange(ChangeKind.IGNORED)
        if topic == "app/uninstalled":
            return WebhookChange(ChangeKind.STORE_UNINSTALLED)
        payload = _json_object(body, f"the {topic} webhook")
        if topic == "products/delete":
            return WebhookChange(ChangeKind.PRODUCT_REMOVED, external_id=wire.required_id(payload.get("id"), "a product"))
        if topic.startswith("products/"):
            return WebhookChange(ChangeKind.PRODUCT_UPSERTED, product=wire.product_from_rest(payload, currency))
        return WebhookChange(ChangeKind.ORDER_UPSERTED, order=wire.order_from_rest(payload, self.hash_customer))

    # HTTP ----------------------------------------------------------------------------

    def _base(self, shop: str) -> str:
        return self.settings.shopify_base_url.format(shop=shop).rstrip("/")

    @staticmethod
    def _check_shop(shop: str) -> None:
        if not valid_shop_domain(shop):
            raise PlatformError(f"not a Shopify shop domain (*.myshopify.com): {shop!r}")

    async def _token(self, shop: str, form: dict[str, str], what: str, *, safe: bool) -> Credentials:
        secret = self.settings.shopify_client_secret.get_secret_value()
        form = {"client_id": self.settings.shopify_client_id, "client_secret": secret, **form}
        now = datetime.now(UTC)
        reply = await self.outbound.request("POST", f"{self._base(shop)}/admin/oauth/access_token", data=form,
                                            headers={"Accept": "application/json"}, safe=safe)
        if reply.status in (400, 401, 403):
            raise CredentialsRejected(f"Shopify refused the {what}: {_excerpt(reply)}", status=reply.status)
        _raise_for_status(reply, f"the {what}")
        body = _json_object(reply.body, f"the answer to the {what}")
        with wire.reading("an access token"):
            return Credentials(
                access_token=body["access_token"],
                refresh_token=body.get("refresh_token"),
                expires_at=_after(now, body.get("expires_in")),
                refresh_expires_at=_after(now, body.get("refresh_token_expires_in")),
                scope=body.get("scope"),
            )

    async def _graphql(self, store: StoreAddress, credentials: Credentials, query: str, variables: dict[str, Any],
                       *, what: str) -> dict[str, Any]:
        """One GraphQL call, paced by the shop's cost bucket and retried while throttled.
        Sent as safe: queries read, and our mutations are idempotent (see subscribe)."""
        url = f"{self._base(store.domain)}/admin/api/{self.settings.shopify_api_version}/graphql.json"
        headers = {"X-Shopify-Access-Token": credentials.access_token, "Accept": "application/json"}
        waited = 0.0
        for _ in range(self.throttle_retries + 1):
            waited += await self._pace(store.domain, self.max_throttle_wait - waited, what)
            reply = await self.outbound.request("POST", url, json={"query": query, "variables": variables},
                                                headers=headers, safe=True)
            if reply.status == 429:  # Outbound has already honoured any Retry-After
                self._note_cost(store.domain, _json_or_empty(reply.body))
                wait = retry_after_seconds(reply.headers) or self._throttled_wait(store.domain)
            else:
                body = self._answer(store.domain, reply, what)
                errors = wire.graphql_errors(body)
                if not wire.too_costly(errors):  # a refused query's cost says nothing of the next one
                    self._note_cost(store.domain, body)
                if not any(wire.error_code(e) == "THROTTLED" for e in errors):
                    return _data(body, errors, what)
                wait = self._throttled_wait(store.domain)
            if waited + wait > self.max_throttle_wait:
                raise RateLimited(f"Shopify is throttling {what} of {store.domain}", retry_after=wait)
            await asyncio.sleep(wait)
            waited += wait
        raise RateLimited(f"Shopify kept throttling {what} of {store.domain}", retry_after=1.0)

    def _answer(self, shop: str, reply: Reply, what: str) -> dict[str, Any]:
        if reply.status == 401:
            raise CredentialsRejected(f"Shopify refused the access token of {shop}", status=401)
        _raise_for_status(reply, what)
        return _json_object(reply.body, f"the answer about {what}")

    def _note_cost(self, shop: str, body: dict[str, Any]) -> None:
        if (cost := wire.query_cost(body)) is not None:
            self._costs[shop] = (cost, time.monotonic())

    def _bucket_wait(self, shop: str) -> float:
        cost, seen = self._costs.get(shop, (None, 0.0))
        wait = cost.wait_before(time.monotonic() - seen) if cost else 0.0
        return wait * 1.02 + 0.005 if wait > 0 else 0.0  # a hair over, so the next try is not short

    def _throttled_wait(self, shop: str) -> float:
        return self._bucket_wait(shop) or 1.0

    async def _pace(self, shop: str, budget: float, what: str) -> float:
        """Wait, before sending, until the bucket should hold the last query's cost."""
        wait = self._bucket_wait(shop)
        if wait <= 0:
            return 0.0
        if wait > budget:
            raise RateLimited(f"Shopify's rate limit for {shop} needs {wait:.1f} s before {what}", retry_after=wait)
        await asyncio.sleep(wait)
        return wait


def _data(body: dict[str, Any], errors: list[Mapping[str, Any]], what: str) -> dict[str, Any]:
    if refused := wire.too_costly(errors):
        raise refused
    if redactions := [e for e in errors if wire.redacted(e)]:
        # Protected customer data the app is not approved for: those fields are null, the rest stands.
        log.info("shopify redacted protected customer data", extra={"what": what, "fields": len(redactions)})
        errors = [e for e in errors if not wire.redacted(e)]
    if errors:
        codes = {wire.error_code(e) for e in errors}
        status = 403 if "ACCESS_DENIED" in codes else None
        raise PlatformError(f"Shopify refused {what}: {_messages(errors)}", retryable=bool(codes & RETRYABLE_CODES),
                            status=status)
    data = body.get("data")
    if not isinstance(data, dict):
        raise PlatformError(f"Shopify's answer about {what} has no data")
    return data


def _raise_for_status(reply: Reply, what: str) -> None:
    if reply.status >= 400:
        raise PlatformError(f"Shopify answered {reply.status} to {what}: {_excerpt(reply)}",
                            retryable=reply.status >= 500 or reply.status == 429, status=reply.status)


def _json_object(body: bytes, what: str) -> dict[str, Any]:
    try:
        parsed = orjson.loads(body)  # a 250-product page: the stdlib parser was a fifth of a sync's CPU
    except ValueError:
        raise PlatformError(f"{what} is not JSON") from None
    if not isinstance(parsed, dict):
        raise PlatformError(f"{what} is not a JSON object")
    return parsed


def _json_or_empty(body: bytes) -> dict[str, Any]:
    try:
        parsed = orjson.loads(body)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _excerpt(reply: Reply) -> str:
    return reply.text[:300]


def _messages(errors: list[Mapping[str, Any]]) -> str:
    return "; ".join(str(e.get("message")) for e in errors)


def orders_window_start(scope: str | None, now: datetime) -> datetime | None:
    """Where an orders listing starts: 60 days ago unless `read_all_orders` was granted (and
    unknown scopes are taken as not granted: it needs Shopify's approval)."""
    granted = set(re.split(r"[,\s]+", scope or ""))
    return None if "read_all_orders" in granted else (now - ORDERS_WINDOW).replace(microsecond=0)


def _search(*, updated_since: datetime | None = None, created_from: datetime | None = None) -> str | None:
    terms = []
    if created_from is not None:
        terms.append(f"created_at:>='{created_from.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}'")
    if updated_since is not None:
        terms.append(f"updated_at:>'{updated_since.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}'")
    return " AND ".join(terms) or None


def _window_cursor(cursor: str | None) -> tuple[datetime | None, str | None]:
    """(the listing's window, Shopify's own cursor). A cursor without a window (saved before
    windows, or from a store with read_all_orders) goes on without one."""
    if cursor is None or WINDOW_MARK not in cursor:
        return None, cursor
    window, after = cursor.split(WINDOW_MARK, 1)
    try:
        return parse_time(window), after or None
    except PlatformError:
        raise PlatformError(f"not a Shopify orders cursor: {cursor[:40]!r}") from None


def _with_window(window: datetime | None, cursor: str | None) -> str | None:
    if cursor is None or window is None:
        return cursor
    return f"{window.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}{WINDOW_MARK}{cursor}"


def _next_cursor(connection: Mapping[str, Any]) -> str | None:
    info = connection["pageInfo"]
    return info["endCursor"] if info.get("hasNextPage") else None


def _after(now: datetime, seconds: Any) -> datetime | None:
    return now + timedelta(seconds=int(seconds)) if seconds not in (None, "") else None


def _with_refresh(fresh: Credentials, previous: Credentials) -> Credentials:
    return Credentials(access_token=fresh.access_token, refresh_token=previous.refresh_token,
                       expires_at=fresh.expires_at, refresh_expires_at=previous.refresh_expires_at,
                       scope=fresh.scope or previous.scope, extra=previous.extra)
