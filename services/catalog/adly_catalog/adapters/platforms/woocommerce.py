"""WooCommerce stores (WP REST `wc/v3`, INTEGRATIONS §2): connecting, reading, webhooks.

A store is its site URL (`StoreAddress.domain`, normalised by `normalise_site_url`); the API is
`{site}/wp-json/wc/v3/...`. Credentials are the REST keys: `access_token` = consumer key (ck_),
`extra["consumer_secret"]` = cs_, `extra["webhook_secret"]` = the secret our webhooks are signed
with (made by `credentials_from_keys`). Keys never expire, so `refresh` always refuses.

Checked in WooCommerce's source (`includes/class-wc-rest-authentication.php`, `class-wc-auth.php`,
`rest-api/Controllers/Version3/*`):
- Keys go as HTTP Basic over https. Some servers (PHP as CGI/FastCGI) strip the
  `Authorization` header, so Woo sees no key and answers 401 (`woocommerce_rest_cannot_view`
  in wc/v3; the docs' "Consumer key is missing" is the legacy API's wording). Woo's docs
  (woocommerce/woocommerce-rest-api-docs `source/includes/wp-api-v*/_authentication.md`,
  "Authentication over HTTPS") say to send the keys as `consumer_key`/`consumer_secret`
  query parameters then, over https only. So a 401 to Basic over https is retried once with the
  keys in the query (a 401 is answered before anything is done, so even a POST may be
  resent), and a store where that worked gets them in the query from then on (per process).
  Over plain http Woo accepts only OAuth 1.0a signatures; we do not sign, because production
  refuses non-https store URLs: plain http exists only with `allow_private_store_urls`
  (tests, local sandboxes), where the keys go in the query, the form Woo reads first. An
  unknown key answers 401 `woocommerce_rest_cannot_view`; a wrong secret 401
  `woocommerce_rest_authentication_error`.
  Since WC 11.1 a key authenticates only `wc/*` routes, so `/wp-json/` is read without keys.
- Collections: `per_page` 1..100, `page` from 1, headers X-WP-Total / X-WP-TotalPages and a
  Link header with rel="prev"/"next" only (no first/last). `status` defaults to `any` (trash
  excluded). `modified_after` is an exclusive bound compared to `post_modified` unless
  `dates_are_gmt=true`; we send it in UTC with that flag, one second early (Woo dates have
  second precision; re-reading an item is harmless). Pages are ordered by id ascending so new
  items land at the end; a product trashed mid-sync shifts later items by one (the next full
  sync reads it).
- wc-auth: the store POSTs the new keys as JSON to `callback_url` (which Woo requires to be
  https: `WC_Auth` refuses "The callback_url needs to be over SSL"; and which must answer
  exactly 200 or the keys are deleted). We never hand it a plain-http callback: the keys
  would cross the network in clear. The one exception is a development setup where the
  store and our callback both live on this machine (loopback addresses) and
  `allow_private_store_urls` is on; anything else is ConnectionRefused before the merchant
  is sent anywhere. Then the store sends the merchant to
  `return_url?success=1&user_id=<our state>`. The POST is not signed: the state must be a
  single-use unguessable nonce bound to the site URL, and the keys are verified before use.
- Webhooks are not posts: deleting needs `force=true`. Woo disables a webhook after more than 5
  consecutive failed deliveries and never retries one, so incremental syncs are the safety net.

Merchant-supplied URLs are SSRF-checked (`check_public_url`, RELIABILITY S9) before every use.
"""

from __future__ import annotations

import asyncio
import html
import ipaddress
import re
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from adly_catalog.adapters.platforms import woocommerce_wire as wire
from adly_catalog.adapters.platforms.woocommerce_wire import (  # noqa: F401 - the lead imports these from here
    is_ping,
    parse_webhook,
    verify_webhook,
    webhook_delivery_id,
    webhook_needs_refetch,
)
from adly_catalog.domain.errors import ConnectionRefused
from adly_catalog.domain.platform import (
    Credentials,
    CredentialsRejected,
    CustomerHasher,
    Page,
    PlatformError,
    StoreAddress,
    StoreInfo,
)
from adly_catalog.settings import CatalogSettings
from adly_events.contracts.catalog import CatalogOrder, CatalogProduct, StorePlatform
from adly_kit.addresses import is_public_address
from adly_kit.outbound import Outbound, Reply

Resolver = Callable[[str, int], Awaitable[list[str]]]

WEBHOOK_TOPICS = (
    "product.created", "product.updated", "product.deleted", "product.restored",
    "order.created", "order.updated", "order.restored",
)
API = "/wp-json/wc/v3/"
MAX_PAGE = 100
PUBLIC_CHECK_SECONDS = 60.0
VARIATION_READS = 4  # concurrent variation reads per page: shared hosts are small
_WP_PATHS = re.compile(r"/(wp-json|wp-admin|wp-login\.php|wp-content|wc-auth|index\.php)(/.*)?$", re.IGNORECASE)
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".lan", ".intranet")


# -- merchant-supplied URLs (RELIABILITY S9) --------------------------------------------------

def _refuse(message: str) -> PlatformError:
    return PlatformError(message, retryable=False, status=400)


def _split(url: str, *, allow_private: bool, require_https: bool) -> tuple[str, str, int | None, str, str]:
    if not isinstance(url, str) or not url.strip():
        raise _refuse("Enter the store's web address, like https://shop.example.com.")
    url = url.strip()
    if "://" not in url:
        url = f"https://{url}"  # merchants type "shop.example.com"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refuse("This address is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or (scheme == "http" and require_https and not allow_private):
        raise _refuse("The address must start with https://.")
    if parts.username or parts.password or not parts.hostname:
        raise _refuse("The address must be a plain web address, without a user name or password.")
    try:
        host = parts.hostname.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise _refuse("The address has a domain name that cannot be used.") from None
    if not allow_private and (refusal := _literal_refusal(host)):
        raise _refuse(refusal)
    return scheme, host, port, parts.path, parts.query


def _literal_refusal(host: str) -> str | None:
    """Refusals decided from the name alone: private IP literals, numeric forms, local names."""
    if ":" in host:
        try:
            address = ipaddress.ip_address(host.split("%")[0])
        except ValueError:
            return "This address is not a valid URL."
        return None if is_public_address(address) else "The address points to a private network."
    labels = host.split(".")
    if all(_NUMERIC_LABEL.match(label) for label in labels):
        canonical = len(labels) == 4 and all(l.isdigit() and str(int(l)) == l and int(l) < 256 for l in labels)
        if not canonical:
            return "Use the store's domain name: numeric addresses in this form are refused."
        return None if is_public_address(ipaddress.ip_address(host)) else "The address points to a private network."
    if len(labels) < 2 or host == "localhost" or host.endswith(_PRIVATE_SUFFIXES):
        return "The address must be the store's public domain name."
    return None


async def _resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.wait_for(asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM), 5)
    return [info[4][0] for info in infos]


async def _check_resolution(host: str, port: int, resolver: Resolver | None) -> None:
    """Every address the name resolves to must be public (a name can point at 127.0.0.1)."""
    try:
        addresses = await (resolver or _resolve)(host, port)
    except (TimeoutError, OSError):
        raise PlatformError("The store's domain name could not be found.", retryable=True, status=400) from None
    if not addresses or not all(is_public_address(ipaddress.ip_address(a.split("%")[0])) for a in addresses):
        raise _refuse("The address points to a private network.")


def _join(scheme: str, host: str, port: int | None, path: str) -> str:
    netloc = f"[{host}]" if ":" in host else host
    if port and port != {"https": 443, "http": 80}[scheme]:
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}{path}"


async def check_public_url(
    url: str, *, allow_private: bool = False, require_https: bool = True, resolver: Resolver | None = None
) -> str:
    """A merchant-supplied URL, refused unless it is http(s) to a public host; returns it
    normalised (lower-case host, no user info). Checks the name's current DNS answers, so a
    rebinding name can still change between this check and the connection: the transport
    should pin or re-check the peer address."""
    scheme, host, port, path, query = _split(url, allow_private=allow_private, require_https=require_https)
    if not allow_private:
        await _check_resolution(host, port or (443 if scheme == "https" else 80), resolver)
    return _join(scheme, host, port, path) + (f"?{query}" if query else "")


def normalise_site_url(url: str, *, allow_private: bool) -> str:
    """`https://shop.example.com[/subdir]`: the WordPress root, without /wp-json, /wp-admin...,
    query, fragment or trailing slash. Syntax only; `check_site_url` also resolves the host."""
    scheme, host, port, path, _ = _split(url, allow_private=allow_private, require_https=True)
    return _join(scheme, host, port, _WP_PATHS.sub("", path).rstrip("/"))


async def check_site_url(url: str, *, allow_private: bool, resolver: Resolver | None = None) -> str:
    site = normalise_site_url(url, allow_private=allow_private)
    return await check_public_url(site, allow_private=allow_private, resolver=resolver)


# -- connecting -------------------------------------------------------------------------------

def credentials_from_keys(consumer_key: str, consumer_secret: str, *, key_id: str | None = None,
                          scope: str | None = None) -> Credentials:
    """Keys as Credentials, with a fresh webhook secret (hex: Woo HTML-decodes secrets)."""
    consumer_key, consumer_secret = consumer_key.strip(), consumer_secret.strip()
    if not consumer_key.startswith("ck_") or not consumer_secret.startswith("cs_"):
        raise CredentialsRejected("WooCommerce keys look like ck_… (consumer key) and cs_… (consumer secret).")
    extra = {"consumer_secret": consumer_secret, "webhook_secret": secrets.token_hex(32)}
    if key_id:
        extra["key_id"] = key_id
    return Credentials(access_token=consumer_key, scope=scope, extra=extra)


def parse_authorization_callback(body: bytes) -> tuple[str, Credentials]:
    """The JSON a store POSTs to our callback_url: (user_id, i.e. our state; the credentials)."""
    data = wire.read_json(body, "authorization callback")
    if not isinstance(data, Mapping) or not all(data.get(k) for k in ("user_id", "consumer_key", "consumer_secret")):
        raise PlatformError("WooCommerce authorization callback is missing the keys")
    if data.get("key_permissions") != "read_write":
        raise PlatformError(
            "ADLY needs Read/Write access to the store (to register its webhooks); "
            f"the store granted {data.get('key_permissions') or 'no'} access. Connect again and approve Read/Write."
        )
    key_id = str(data["key_id"]) if data.get("key_id") not in (None, "") else None
    credentials = credentials_from_keys(str(data["consumer_key"]), str(data["consumer_secret"]),
                                        key_id=key_id, scope="read_write")
    return str(data["user_id"]), credentials


# -- the client -------------------------------------------------------------------------------

class WooCommerceClient:
    platform = StorePlatform.WOOCOMMERCE

    def __init__(self, outbound: Outbound, settings: CatalogSettings, hash_customer: CustomerHasher, *,
                 resolver: Resolver | None = None) -> None:
        self.outbound = outbound
        self.settings = settings
        self.hash_customer = hash_customer
        self.resolver = resolver
        self.page_size = max(1, min(settings.woocommerce_page_size, MAX_PAGE))
        self._currencies: dict[str, str] = {}
        self._public_until: dict[str, float] = {}
        self._keys_in_query: set[str] = set()  # https stores whose server strips Authorization

    # connect

    def authorize_url(self, *, site_url: str, state: str, return_url: str, callback_url: str) -> str:
        site = normalise_site_url(site_url, allow_private=self.settings.allow_private_store_urls)
        if not _callback_allowed(callback_url, site, allow_private=self.settings.allow_private_store_urls):
            raise ConnectionRefused("WooCommerce sends the store's keys only to an https address, and ADLY's "
                                    "callback address is not https: ADLY's team must fix its public URL.")
        query = urlencode({"app_name": self.settings.woocommerce_app_name, "scope": "read_write", "user_id": state,
                           "return_url": return_url, "callback_url": callback_url})
        return f"{site}/wc-auth/v1/authorize?{query}"

    async def check_site_url(self, url: str) -> str:
        return await check_site_url(url, allow_private=self.settings.allow_private_store_urls, resolver=self.resolver)

    async def verify_keys(self, site_url: str, consumer_key: str, consumer_secret: str) -> StoreInfo:
        """The site runs WooCommerce and the keys read it: its name and currency."""
        credentials = credentials_from_keys(consumer_key, consumer_secret)
        site = await self.check_site_url(site_url)
        index = await self._site_index(site)
        self._currencies.pop(site, None)
        currency = await self._currency(site, credentials)
        name = html.unescape(index.get("name") or "").strip() or None
        return StoreInfo(domain=site, name=name, currency=currency)

    async def refresh(self, store: StoreAddress, credentials: Credentials) -> Credentials:
        raise CredentialsRejected("WooCommerce keys cannot be refreshed; reconnect the store", status=401)

    # read

    async def fetch_products(self, store: StoreAddress, credentials: Credentials, *, cursor: str | None,
                             updated_since: datetime | None) -> Page[CatalogProduct]:
        page = _page_number(cursor)
        reply = await self._call("GET", store.domain, credentials, "products", params=self._list_params(page, updated_since))
        items = wire.list_body(reply)
        currency = await self._currency(store.domain, credentials)
        limit = asyncio.Semaphore(VARIATION_READS)
        products = await asyncio.gather(*(self._product(store.domain, credentials, raw, currency, limit) for raw in items))
        return Page(items=list(products), next_cursor=self._next_cursor(reply, page, len(items)))

    async def fetch_orders(self, store: StoreAddress, credentials: Credentials, *, cursor: str | None,
                           updated_since: datetime | None) -> Page[CatalogOrder]:
        page = _page_number(cursor)
        reply = await self._call("GET", store.domain, credentials, "orders", params=self._list_params(page, updated_since))
        items = wire.list_body(reply)
        orders = [wire.parse_order(raw, self.hash_customer) for raw in items]
        return Page(items=orders, next_cursor=self._next_cursor(reply, page, len(items)))

    async def fetch_product(self, store: StoreAddress, credentials: Credentials, external_id: str) -> CatalogProduct | None:
        """One product as it is now (after a variable product's webhook); None when it is gone.
        A variation's id gives its parent product."""
        reply = await self._send("GET", store.domain, credentials, f"products/{_numeric(external_id)}")
        if reply.status == 404 and wire.error_of(reply)[0] != "rest_no_route":
            return None
        wire.raise_for(reply)
        raw = wire.object_body(reply)
        if raw.get("type") == "variation" and wire.optional_id(raw.get("parent_id")):
            return await self.fetch_product(store, credentials, str(raw["parent_id"]))
        currency = await self._currency(store.domain, credentials)
        return await self._product(store.domain, credentials, raw, currency, asyncio.Semaphore(1))

    # webhooks

    async def subscribe_webhooks(self, store: StoreAddress, credentials: Credentials, callback_url: str) -> list[str]:
        """Every topic, once: a webhook already pointing at `callback_url` is updated (secret,
        re-activated if Woo disabled it) rather than duplicated, so reconnecting is safe."""
        secret = credentials.extra.get("webhook_secret")
        if not secret:
            raise PlatformError("no webhook secret in the store's credentials")
        existing = {(w.get("topic"), str(w.get("delivery_url", "")).rstrip("/")): w
                    for w in await self._webhooks(store.domain, credentials)}
        ids = []
        for topic in WEBHOOK_TOPICS:
            body = {"name": f"{self.settings.woocommerce_app_name} {topic}", "topic": topic,
                    "delivery_url": callback_url, "secret": secret, "status": "active"}
            found = existing.get((topic, callback_url.rstrip("/")))
            if found:
                reply = await self._call("PUT", store.domain, credentials, f"webhooks/{_numeric(found['id'])}", json=body)
            else:
                reply = await self._call("POST", store.domain, credentials, "webhooks", json=body)
            ids.append(str(wire.required(wire.object_body(reply), "id", "webhook")))
        return ids

    async def unsubscribe_webhooks(self, store: StoreAddress, credentials: Credentials, ids: list[str]) -> None:
        for webhook_id in ids:
            reply = await self._send("DELETE", store.domain, credentials, f"webhooks/{_numeric(webhook_id)}",
                                     params={"force": "true"})
            if reply.status != 404:  # already gone
                wire.raise_for(reply)

    # internals

    def _list_params(self, page: int, updated_since: datetime | None) -> dict[str, str | int]:
        params: dict[str, str | int] = {"per_page": self.page_size, "page": page, "orderby": "id", "order": "asc",
                                        "status": "any"}
        if updated_since is not None:
            since = updated_since if updated_since.tzinfo else updated_since.replace(tzinfo=UTC)
            since = since.astimezone(UTC) - timedelta(seconds=1)
            params |= {"modified_after": since.strftime("%Y-%m-%dT%H:%M:%S"), "dates_are_gmt": "true"}
        return params

    def _next_cursor(self, reply: Reply, page: int, count: int) -> str | None:
        total_pages = (reply.headers.get("x-wp-totalpages") or "").strip()
        if total_pages.isdigit():
            return str(page + 1) if page < int(total_pages) else None
        return str(page + 1) if count >= self.page_size else None  # a proxy dropped the headers

    async def _product(self, site: str, credentials: Credentials, raw: Any, currency: str,
                       limit: asyncio.Semaphore) -> CatalogProduct:
        if not isinstance(raw, Mapping):
            raise PlatformError("WooCommerce product is not an object")
        variations = None
        if wire.is_variable(raw):
            async with limit:
                variations = await self._variations(site, credentials, str(wire.required(raw, "id", "product")))
        return wire.parse_product(raw, currency, variations)

    async def _variations(self, site: str, credentials: Credentials, product_id: str) -> list[Mapping[str, Any]]:
        found: list[Mapping[str, Any]] = []
        page: int | None = 1
        while page is not None:
            params = {"per_page": self.page_size, "page": page, "orderby": "id", "order": "asc"}
            reply = await self._call("GET", site, credentials, f"products/{_numeric(product_id)}/variations", params=params)
            items = wire.list_body(reply)
            found += [item for item in items if isinstance(item, Mapping)]
            cursor = self._next_cursor(reply, page, len(items))
            page = int(cursor) if cursor else None
        return found

    async def _webhooks(self, site: str, credentials: Credentials) -> list[Mapping[str, Any]]:
        found: list[Mapping[str, Any]] = []
        page: int | None = 1
        while page is not None:
            reply = await self._call("GET", site, credentials, "webhooks", params={"per_page": MAX_PAGE, "page": page})
            items = wire.list_body(reply)
            found += [item for item in items if isinstance(item, Mapping)]
            cursor = self._next_cursor(reply, page, len(items)) if len(items) else None
            page = int(cursor) if cursor else None
        return found

    async def _currency(self, site: str, credentials: Credentials) -> str:
        """The store's currency (product prices carry none); read once per site."""
        key = normalise_site_url(site, allow_private=self.settings.allow_private_store_urls)
        if key not in self._currencies:
            reply = await self._call("GET", site, credentials, "settings/general/woocommerce_currency")
            value = str(wire.object_body(reply).get("value") or "").upper()
            if not re.fullmatch(r"[A-Z]{3}", value):
                raise PlatformError(f"WooCommerce store currency is not an ISO code: {value[:10]!r}")
            self._currencies[key] = value
        return self._currencies[key]

    async def _site_index(self, site: str) -> Mapping[str, Any]:
        """`/wp-json/` (no keys: Woo keys authenticate only wc/* routes): the site name, and
        whether WooCommerce's REST API is there at all."""
        reply = await self.outbound.request("GET", f"{site}/wp-json/", params={"_fields": "name,url,home,namespaces"},
                                            headers=_HEADERS)
        if reply.status == 404:
            raise PlatformError("The site has no REST API at /wp-json/: turn on pretty permalinks in WordPress "
                                "(Settings → Permalinks).", status=404)
        wire.raise_for(reply)
        index = wire.object_body(reply)
        if "wc/v3" not in (index.get("namespaces") or []):
            raise PlatformError("WooCommerce is not active on this site (its REST API wc/v3 is missing).", status=404)
        return index

    async def _public(self, site: str) -> str:
        """The site's normalised URL, its host checked public at most once a minute."""
        normal = normalise_site_url(site, allow_private=self.settings.allow_private_store_urls)
        if self.settings.allow_private_store_urls or self._public_until.get(normal, 0) > time.monotonic():
            return normal
        await self.check_site_url(normal)
        self._public_until[normal] = time.monotonic() + PUBLIC_CHECK_SECONDS
        return normal

    async def _send(self, method: str, site: str, credentials: Credentials, path: str, *,
                    params: Mapping[str, Any] | None = None, json: Any = None) -> Reply:
        base = await self._public(site)
        in_query = not base.startswith("https://") or base in self._keys_in_query
        reply = await self._request(method, base, credentials, path, params, json, keys_in_query=in_query)
        if reply.status != 401 or in_query:
            return reply
        # The server may have stripped Authorization: Woo's documented answer is the query form.
        retried = await self._request(method, base, credentials, path, params, json, keys_in_query=True)
        if retried.status != 401:
            self._keys_in_query.add(base)
        return retried

    async def _request(self, method: str, base: str, credentials: Credentials, path: str,
                       params: Mapping[str, Any] | None, json: Any, *, keys_in_query: bool) -> Reply:
        key, secret = credentials.access_token, credentials.extra.get("consumer_secret", "")
        query = dict(params or {})
        kwargs: dict[str, Any] = {"headers": _HEADERS}
        if keys_in_query:  # over plain http only with allow_private_store_urls (see the module docstring)
            query |= {"consumer_key": key, "consumer_secret": secret}
        else:
            kwargs["auth"] = (key, secret)
        if json is not None:
            kwargs["json"] = json
        return await self.outbound.request(method, f"{base}{API}{path}", params=query, **kwargs)

    async def _call(self, method: str, site: str, credentials: Credentials, path: str, *,
                    params: Mapping[str, Any] | None = None, json: Any = None) -> Reply:
        reply = await self._send(method, site, credentials, path, params=params, json=json)
        wire.raise_for(reply)
        return reply


_HEADERS = {"Accept": "application/json", "User-Agent": "ADLY-Catalog/1.0"}


def _is_loopback(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0]).is_loopback
    except ValueError:
        return False


def _callback_allowed(callback_url: str, site: str, *, allow_private: bool) -> bool:
    """https, or plain http between a store and a callback both on this machine, in development."""
    try:
        callback, store = urlsplit(callback_url), urlsplit(site)
    except ValueError:
        return False
    if callback.scheme.lower() == "https" and callback.hostname:
        return True
    local = _is_loopback(callback.hostname or "") and _is_loopback(store.hostname or "")
    return allow_private and callback.scheme.lower() == "http" and local


def _page_number(cursor: str | None) -> int:
    if cursor is None:
        return 1
    if not cursor.isdigit() or int(cursor) < 1:
        raise PlatformError(f"not a WooCommerce page cursor: {cursor[:20]!r}")
    return int(cursor)


def _numeric(external_id: str) -> int:
    if not str(external_id).isdigit():
        raise PlatformError(f"not a WooCommerce id: {str(external_id)[:20]!r}")
    return int(external_id)
