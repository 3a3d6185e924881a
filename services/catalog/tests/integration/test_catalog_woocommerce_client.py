"""The real WooCommerce client against the fake store over real HTTP (no Postgres, no Kafka)."""

from __future__ import annotations

import base64
import hashlib
import ssl
import time
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from adly_catalog.adapters.platforms import woocommerce_wire as wire
from adly_catalog.adapters.platforms.woocommerce import WEBHOOK_TOPICS, WooCommerceClient, parse_authorization_callback
from adly_catalog.domain.errors import ConnectionRefused
from adly_catalog.domain.platform import (
    ChangeKind,
    Credentials,
    CredentialsRejected,
    PlatformError,
    RateLimited,
    StoreAddress,
)
from adly_catalog.settings import CatalogSettings
from adly_events.contracts.catalog import StorePlatform
from adly_kit.outbound import Outbound, RedirectRefused, ResponseTooLarge, RetryPolicy, Unreachable, make_client
from tests.fakes.server import FakeServer
from tests.fakes.woocommerce import CORE_TOPICS, FakeWooCommerce


def hash_customer(value: str) -> str:
    return hashlib.sha256(f"test-key:{value}".encode()).hexdigest()


def settings(**overrides) -> CatalogSettings:
    values = {"service_name": "catalog", "database_url": "postgresql://x/y", "kafka_bootstrap_servers": "127.0.0.1:1",
              "allow_private_store_urls": True, "woocommerce_page_size": 5} | overrides
    return CatalogSettings(**values)


class Receiver(FakeServer):
    """Our side: the wc-auth callback and the webhook intake, recording what the store sent."""

    def __init__(self, status: int = 200) -> None:
        super().__init__()
        self.status = status
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.app = FastAPI()
        self.app.add_api_route("/{path:path}", self._receive, methods=["POST"])

    async def _receive(self, request: Request, path: str) -> PlainTextResponse:
        self.received.append((path, dict(request.headers), await request.body()))
        return PlainTextResponse("ok", status_code=self.status)


@pytest.fixture
async def fake():
    async with FakeWooCommerce() as store:
        yield store


@pytest.fixture
async def receiver():
    async with Receiver() as server:
        yield server


@pytest.fixture
async def make():
    outbounds: list[Outbound] = []

    def build(*, timeout: float = 3.0, max_bytes: int = 2_000_000, attempts: int = 4, max_delay: float = 2.0,
              resolver=None, transport: httpx.AsyncBaseTransport | None = None, verify: ssl.SSLContext | None = None,
              **overrides) -> WooCommerceClient:
        client = make_client(timeout=timeout, connect_timeout=timeout)
        if verify is not None:  # a fake serving https with its own certificate
            client = httpx.AsyncClient(verify=verify, timeout=httpx.Timeout(timeout), follow_redirects=False,
                                       trust_env=False)
        if transport is not None:
            client = httpx.AsyncClient(transport=transport, follow_redirects=False)
        retry = RetryPolicy(attempts=attempts, base_delay=0.01, max_delay=max_delay)
        outbound = Outbound(client, max_bytes=max_bytes, retry=retry)
        outbounds.append(outbound)
        return WooCommerceClient(outbound, settings(**overrides), hash_customer, resolver=resolver)

    yield build
    for outbound in outbounds:
        await outbound.aclose()


def store_of(fake: FakeWooCommerce) -> StoreAddress:
    return StoreAddress(platform=StorePlatform.WOOCOMMERCE, domain=fake.site_url)


def keys_of(fake: FakeWooCommerce, **extra: str) -> Credentials:
    return Credentials(access_token=fake.consumer_key,
                       extra={"consumer_secret": fake.consumer_secret, "webhook_secret": "a1" * 32} | extra)


async def all_pages(fetch, store, credentials, **kwargs) -> tuple[list, int]:
    items, cursor, pages = [], None, 0
    while True:
        page = await fetch(store, credentials, cursor=cursor, **kwargs)
        items += page.items
        pages += 1
        if page.next_cursor is None:
            return items, pages
        cursor = page.next_cursor


# -- connecting -------------------------------------------------------------------------------

async def test_keys_connect_and_give_the_store_name_and_currency(fake, make):
    info = await make().verify_keys(fake.url + "/wp-admin/", fake.consumer_key, fake.consumer_secret)
    assert (info.domain, info.name, info.currency) == (fake.url, "Rawan & Sons Boutique", "SAR")
    index = next(r for r in fake.requests if r.path == "/wp-json/")
    assert index.auth is None  # Woo keys are not for WordPress routes


async def test_a_wrong_secret_is_rejected_with_woos_own_message(fake, make):
    with pytest.raises(CredentialsRejected, match="Consumer secret is invalid"):
        await make().verify_keys(fake.url, fake.consumer_key, "cs_wrong")


async def test_an_unknown_key_is_rejected(fake, make):
    with pytest.raises(CredentialsRejected, match="cannot view"):
        await make().verify_keys(fake.url, "ck_" + "0" * 40, fake.consumer_secret)


async def test_a_wordpress_site_without_woocommerce_is_explained(make):
    async with FakeWooCommerce(woocommerce_active=False) as plain:
        with pytest.raises(PlatformError, match="WooCommerce is not active"):
            await make().verify_keys(plain.url, plain.consumer_key, plain.consumer_secret)


async def test_a_store_in_a_subdirectory_works(make):
    async with FakeWooCommerce(base_path="/shop") as fake:
        fake.seed(products=3, orders=0)
        client = make()
        info = await client.verify_keys(fake.site_url + "/wp-admin/edit.php", fake.consumer_key, fake.consumer_secret)
        assert info.domain == fake.site_url
        products, _ = await all_pages(client.fetch_products, store_of(fake), keys_of(fake), updated_since=None)
        assert len(products) == 3


@pytest.fixture
async def sandbox():
    """A store on this machine that, like a local sandbox, accepts a plain-http callback."""
    async with FakeWooCommerce(require_https_callback=False) as store:
        yield store


async def test_wc_auth_posts_the_keys_to_our_callback_then_returns_the_merchant(sandbox, receiver, make):
    fake, client = sandbox, make()
    url = client.authorize_url(site_url=fake.url, state="st-4f1e9c", return_url="https://app.adly.test/stores?x=1",
                               callback_url=f"{receiver.url}/connect/woocommerce")
    assert parse_qs(urlsplit(url).query)["scope"] == ["read_write"]
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(url)
    assert answer.status_code == 302
    assert answer.headers["location"] == "https://app.adly.test/stores?x=1&success=1&user_id=st-4f1e9c"
    path, headers, body = receiver.received[0]
    assert path == "connect/woocommerce" and headers["content-type"].startswith("application/json")
    state, credentials = parse_authorization_callback(body)
    assert state == "st-4f1e9c"
    info = await client.verify_keys(fake.url, credentials.access_token, credentials.extra["consumer_secret"])
    assert info.currency == "SAR"


async def test_wc_auth_keys_are_deleted_when_our_callback_fails(sandbox, make):
    fake = sandbox
    async with Receiver(status=500) as failing:
        url = make().authorize_url(site_url=fake.url, state="s1", return_url="https://app.adly.test/",
                                   callback_url=f"{failing.url}/cb")
        async with httpx.AsyncClient() as browser:
            answer = await browser.get(url)
        assert answer.status_code == 401 and "unable to send the consumer data" in answer.text
        posted = wire.read_json(failing.received[0][2])
        assert posted["consumer_key"] not in fake.keys


@pytest.mark.parametrize(("site", "callback", "allow_private"), [
    ("https://shop.example.com", "http://api.adly.example/v1/stores/oauth/woocommerce/callback/s", False),
    ("https://shop.example.com", "http://127.0.0.1:8000/v1/stores/oauth/woocommerce/callback/s", True),
    ("http://127.0.0.1:8080", "http://api.adly.example/v1/stores/oauth/woocommerce/callback/s", True),
    ("http://127.0.0.1:8080", "ftp://127.0.0.1/cb", True),
], ids=["public", "public-store-local-callback", "local-store-public-callback", "not-http"])
async def test_a_plain_http_callback_is_never_handed_to_woocommerce(make, site, callback, allow_private):
    with pytest.raises(ConnectionRefused, match="https"):
        make(allow_private_store_urls=allow_private).authorize_url(
            site_url=site, state="s", return_url="https://app.adly.test/", callback_url=callback)


@pytest.mark.parametrize(("site", "callback", "allow_private"), [
    ("https://shop.example.com", "https://api.adly.example/v1/stores/oauth/woocommerce/callback/s", False),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8000/cb/s", True),
    ("http://localhost:8080", "http://[::1]:8000/cb/s", True),
], ids=["https", "both-on-loopback-in-development", "localhost-and-ipv6-loopback"])
async def test_an_https_callback_or_a_local_development_one_is_handed_over(make, site, callback, allow_private):
    url = make(allow_private_store_urls=allow_private).authorize_url(
        site_url=site, state="s", return_url="https://app.adly.test/", callback_url=callback)
    assert parse_qs(urlsplit(url).query)["callback_url"] == [callback]


async def test_the_store_refuses_a_plain_http_callback_itself(fake, receiver, make):
    url = make().authorize_url(site_url=fake.url, state="s1", return_url="https://app.adly.test/",
                               callback_url=f"{receiver.url}/cb")  # both local: we hand it over, Woo does not
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(url)
    assert answer.status_code == 401 and "needs to be over SSL" in answer.text
    assert receiver.received == [] and len(fake.keys) == 1  # no key made, nothing sent


async def test_keys_cannot_be_refreshed(fake, make):
    with pytest.raises(CredentialsRejected, match="reconnect"):
        await make().refresh(store_of(fake), keys_of(fake))


# -- reading ----------------------------------------------------------------------------------

async def test_a_full_product_sync_reads_every_product_once_across_pages(fake, make):
    fake.seed(products=23, variable_share=0.5, variations=3, orders=0)
    products, pages = await all_pages(make().fetch_products, store_of(fake), keys_of(fake), updated_since=None)
    assert pages == 5
    assert sorted(p.external_id for p in products) == sorted(str(i) for i in fake.products)
    for product in products:
        raw = fake.products[int(product.external_id)]
        expected = raw["variations"] if raw["type"] == "variable" else [raw["id"]]
        assert [v.external_id for v in product.variants] == [str(i) for i in expected]


async def test_prices_stock_and_currency_are_the_stores(fake, make):
    kaftan = fake.add_product("Linen Kaftan", price="189.99", regular_price="199.99", sale_price="189.99", stock=4)
    abaya = fake.add_product("عباية", type="variable", stock=9, attributes=[
        {"id": 1, "name": "Size", "variation": True, "options": ["S", "M"]}])
    fake.add_variation(abaya["id"], {"Size": "S"}, price="250.50", regular_price="300.00", stock=2)
    fake.add_variation(abaya["id"], {"Size": "M"}, price="300.00", manage_stock="parent")
    page = await make().fetch_products(store_of(fake), keys_of(fake), cursor=None, updated_since=None)
    by_id = {p.external_id: p for p in page.items}
    simple = by_id[str(kaftan["id"])].variants[0]
    assert (str(simple.price.amount), simple.price.currency, str(simple.compare_at_price.amount)) == ("189.99", "SAR", "199.99")
    assert simple.inventory_quantity == 4
    small, medium = by_id[str(abaya["id"])].variants
    assert (str(small.price.amount), str(small.compare_at_price.amount), small.options) == ("250.50", "300.00", {"Size": "S"})
    assert medium.inventory_quantity == 9  # managed at the parent
    assert by_id[str(abaya["id"])].name == "عباية"


async def test_variations_are_paginated_too(fake, make):
    product = fake.add_product("Hijab", type="variable", attributes=[{"id": 1, "name": "Colour", "variation": True,
                                                                      "options": [str(n) for n in range(7)]}])
    for n in range(7):
        fake.add_variation(product["id"], {"Colour": str(n)}, price=f"{20 + n}.00")
    page = await make().fetch_products(store_of(fake), keys_of(fake), cursor=None, updated_since=None)
    assert [v.options["Colour"] for v in page.items[0].variants] == [str(n) for n in range(7)]
    variation_pages = [r.query["page"] for r in fake.requests if r.path.endswith("/variations")]
    assert variation_pages == ["1", "2"]


async def test_an_incremental_sync_reads_only_what_changed_since(fake, make):
    fake.seed(products=12, variable_share=0.5, orders=0)
    since = fake.tick()  # the last sync ran a minute after the seed
    simple_id = next(i for i, p in fake.products.items() if p["type"] == "simple")
    variable_id = next(i for i, p in fake.products.items() if p["type"] == "variable")
    fake.update_product(simple_id, price="9.99", regular_price="9.99")
    fake.update_variation(variable_id, fake.products[variable_id]["variations"][0], price="1.50")
    changed, _ = await all_pages(make().fetch_products, store_of(fake), keys_of(fake), updated_since=since)
    assert sorted(p.external_id for p in changed) == sorted([str(simple_id), str(variable_id)])
    assert str(next(p for p in changed if p.external_id == str(variable_id)).variants[0].price.amount) == "1.50"
    assert all(r.query.get("dates_are_gmt") == "true" for r in fake.requests if "modified_after" in r.query)


async def test_orders_page_through_with_attribution_and_hashed_customers(fake, make):
    fake.seed(products=4, orders=12)
    orders, pages = await all_pages(make().fetch_orders, store_of(fake), keys_of(fake), updated_since=None)
    assert pages == 3 and sorted(o.external_id for o in orders) == sorted(str(i) for i in fake.orders)
    facebook = next(o for o in orders if o.attribution.utm.source == "facebook")
    assert facebook.attribution.click_ids["fbclid"].startswith("IwAR") and facebook.attribution.device_type == "Mobile"
    raw = fake.orders[int(facebook.external_id)]
    assert str(facebook.total.amount) == raw["total"] and facebook.currency == "SAR"
    email = raw["billing"]["email"]
    expected = hash_customer(email.lower()) if email else (hash_customer(str(raw["customer_id"])) if raw["customer_id"] else None)
    assert facebook.customer_ref == expected
    assert all("@" not in (o.customer_ref or "") for o in orders)


async def test_an_incremental_order_sync_sees_a_status_change(fake, make):
    fake.seed(products=3, orders=6)
    since = fake.tick()  # the last sync ran a minute after the seed
    order_id = next(iter(fake.orders))
    fake.update_order(order_id, status="completed")
    changed, _ = await all_pages(make().fetch_orders, store_of(fake), keys_of(fake), updated_since=since)
    assert [(o.external_id, o.platform_status) for o in changed] == [(str(order_id), "completed")]


async def test_the_page_size_is_held_to_woos_maximum_of_100(fake, make):
    fake.seed(products=2, orders=0)
    page = await make(woocommerce_page_size=250).fetch_products(store_of(fake), keys_of(fake), cursor=None, updated_since=None)
    assert len(page.items) == 2 and page.next_cursor is None
    assert {r.query["per_page"] for r in fake.requests if r.path.endswith("/products")} == {"100"}


async def test_without_pagination_headers_a_short_page_is_the_last(fake, make):
    fake.fail_next(200, body=[], headers={})
    page = await make().fetch_products(store_of(fake), keys_of(fake), cursor="3", updated_since=None)
    assert page.items == [] and page.next_cursor is None


async def test_a_garbled_cursor_is_refused(fake, make):
    with pytest.raises(PlatformError, match="cursor"):
        await make().fetch_products(store_of(fake), keys_of(fake), cursor="page=2", updated_since=None)


# -- auth on the wire and SSRF ----------------------------------------------------------------

async def test_over_plain_http_in_tests_the_keys_travel_as_query_parameters(fake, make):
    await make().fetch_orders(store_of(fake), keys_of(fake), cursor=None, updated_since=None)
    assert {r.auth for r in fake.requests if "/wc/v3/" in r.path} == {"query"}


async def test_over_https_the_keys_travel_as_basic_auth(make):
    seen: list[httpx.Request] = []

    def store(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "woocommerce_currency", "value": "KWD"})

    async def public(host: str, port: int) -> list[str]:
        return ["93.184.215.14"]

    client = make(allow_private_store_urls=False, resolver=public, transport=httpx.MockTransport(store))
    credentials = Credentials(access_token="ck_abc", extra={"consumer_secret": "cs_def"})
    assert await client._currency("https://shop.example.com", credentials) == "KWD"
    assert seen[0].headers["authorization"] == "Basic " + base64.b64encode(b"ck_abc:cs_def").decode()
    assert "consumer_secret" not in str(seen[0].url)


async def test_over_https_a_401_because_the_server_dropped_authorization_is_retried_with_keys_in_the_query(make):
    async with FakeWooCommerce(tls=True, strip_authorization=True) as fake:
        fake.seed(products=2, orders=2)
        client = make(verify=fake.ssl_context)
        orders = await client.fetch_orders(store_of(fake), keys_of(fake), cursor=None, updated_since=None)
        assert len(orders.items) == 2
        assert [r.auth for r in fake.requests if "/wc/v3/" in r.path] == [None, "query"]  # Basic reached Woo as nothing
        await client.subscribe_webhooks(store_of(fake), keys_of(fake), "https://api.adly.test/hooks")  # POSTs too
        assert {r.auth for r in fake.requests[2:] if "/wc/v3/" in r.path} == {"query"}  # remembered for the store
        assert len(fake.webhooks) == len(WEBHOOK_TOPICS)


async def test_over_https_keys_go_as_basic_auth_where_the_server_keeps_the_header(make):
    async with FakeWooCommerce(tls=True) as fake:
        fake.seed(products=1, orders=1)
        client = make(verify=fake.ssl_context)
        await client.fetch_orders(store_of(fake), keys_of(fake), cursor=None, updated_since=None)
        await client.fetch_products(store_of(fake), keys_of(fake), cursor=None, updated_since=None)
        assert {r.auth for r in fake.requests if "/wc/v3/" in r.path} == {"basic"}
        assert not any("consumer_secret" in r.query for r in fake.requests)


async def test_over_https_a_wrong_secret_is_refused_after_one_retry_and_nothing_is_remembered(make):
    async with FakeWooCommerce(tls=True) as fake:
        client = make(verify=fake.ssl_context)
        wrong = Credentials(access_token=fake.consumer_key, extra={"consumer_secret": "cs_wrong"})
        for _ in range(2):
            with pytest.raises(CredentialsRejected, match="Consumer secret is invalid"):
                await client.fetch_orders(store_of(fake), wrong, cursor=None, updated_since=None)
        assert [r.auth for r in fake.requests if "/wc/v3/" in r.path] == ["basic", "query", "basic", "query"]


@pytest.mark.parametrize("site", ["{url}", "https://127.0.0.1:{port}", "https://localhost:{port}", "https://2130706433:{port}"])
async def test_a_store_url_on_a_private_address_is_refused_before_any_connection(fake, make, site):
    client = make(allow_private_store_urls=False)
    with pytest.raises(PlatformError):
        await client.verify_keys(site.format(url=fake.url, port=fake.port), fake.consumer_key, fake.consumer_secret)
    with pytest.raises(PlatformError):
        await client.fetch_products(StoreAddress(StorePlatform.WOOCOMMERCE, site.format(url=fake.url, port=fake.port)),
                                    keys_of(fake), cursor=None, updated_since=None)
    assert fake.requests == []


# -- failures ---------------------------------------------------------------------------------

async def test_a_firewall_429_with_a_short_retry_after_is_waited_out(fake, make):
    fake.seed(products=2, orders=0)
    fake.waf_next(429, retry_after=0.3)
    started = time.monotonic()
    page = await make().fetch_products(store_of(fake), keys_of(fake), cursor=None, updated_since=None)
    assert len(page.items) == 2 and time.monotonic() - started >= 0.3


@pytest.mark.parametrize("status", [429, 503])
async def test_a_long_retry_after_is_handed_back_as_rate_limited(fake, make, status):
    fake.waf_next(status, retry_after=120)
    with pytest.raises(RateLimited) as raised:
        await make().fetch_orders(store_of(fake), keys_of(fake), cursor=None, updated_since=None)
    assert raised.value.retry_after == 120


async def test_server_errors_are_retried_for_reads_then_reported_as_retryable(fake, make):
    fake.seed(products=1, orders=0)
    error = {"code": "internal_server_error", "message": "There has been a critical error on this website.",
             "data": {"status": 500}}
    fake.fail_next(500, body=error, times=2)
    page = await make().fetch_products(store_of(fake), keys_of(fake), cursor=None, updated_since=None)
    assert len(page.items) == 1
    fake.fail_next(502, times=4)
    with pytest.raises(PlatformError) as raised:
        await make().fetch_orders(store_of(fake), keys_of(fake), cursor=None, updated_since=None)
    assert raised.value.retryable and raised.value.status == 502


async def test_revoked_keys_mid_sync_are_rejected(fake, make):
    fake.seed(products=8, orders=0)
    client = make()
    page = await client.fetch_products(store_of(fake), keys_of(fake), cursor=None, updated_since=None)
    fake.revoke_key(fake.consumer_key)
    with pytest.raises(CredentialsRejected):
        await client.fetch_products(store_of(fake), keys_of(fake), cursor=page.next_cursor, updated_since=None)


async def test_a_redirect_to_another_host_is_refused(fake, make):
    fake.redirect_next("http://169.254.169.254/latest/meta-data/")
    with pytest.raises(RedirectRefused):
        await make().fetch_orders(store_of(fake), keys_of(fake), cursor=None, updated_since=None)


async def test_an_oversized_body_is_refused(fake, make):
    fake.huge_next(3_000_000)
    with pytest.raises(ResponseTooLarge):
        await make(max_bytes=200_000).fetch_orders(store_of(fake), keys_of(fake), cursor=None, updated_since=None)


async def test_a_stalled_store_times_out(fake, make):
    fake.stall_next(60)  # far longer than the test: only the client's timeout can end each try
    fake.stall_next(60)
    with pytest.raises(Unreachable):
        await make(timeout=0.3, attempts=2).fetch_orders(store_of(fake), keys_of(fake), cursor=None, updated_since=None)
    assert fake.stalled == 2 and fake.requests == []  # both tries given up on, neither reached the store


async def test_an_html_page_in_place_of_json_is_a_clear_error(fake, make):
    fake.fail_next(200, body="<html><body>Cached by SuperCache</body></html>")
    with pytest.raises(PlatformError, match="not JSON"):
        await make().fetch_products(store_of(fake), keys_of(fake), cursor=None, updated_since=None)


# -- webhooks ---------------------------------------------------------------------------------

async def test_subscribing_registers_every_topic_once_and_the_store_pings_us(fake, receiver, make):
    client, callback = make(), f"{receiver.url}/hooks/woocommerce"
    ids = await client.subscribe_webhooks(store_of(fake), keys_of(fake), callback)
    hooks = [fake.webhooks[int(i)] for i in ids]
    assert [h["topic"] for h in hooks] == list(WEBHOOK_TOPICS)
    assert {(h["delivery_url"], h["secret"], h["status"]) for h in hooks} == {(callback, "a1" * 32, "active")}
    pings = [body for _, headers, body in receiver.received if "x-wc-webhook-signature" not in headers]
    assert len(pings) == len(WEBHOOK_TOPICS) and all(wire.is_ping({}, body) for body in pings)
    assert await client.subscribe_webhooks(store_of(fake), keys_of(fake), callback) == ids  # reconnecting: no duplicates
    assert len(fake.webhooks) == len(WEBHOOK_TOPICS)


async def test_only_core_topics_are_subscribed_and_the_store_refuses_product_published(fake, make):
    assert set(WEBHOOK_TOPICS) <= CORE_TOPICS and "product.published" not in WEBHOOK_TOPICS
    body = {"name": "x", "topic": "product.published", "delivery_url": "https://api.adly.test/hooks", "secret": "s"}
    async with httpx.AsyncClient() as http:
        refused = await http.post(f"{fake.url}/wp-json/wc/v3/webhooks", json=body,
                                  params={"consumer_key": fake.consumer_key, "consumer_secret": fake.consumer_secret})
    assert refused.status_code == 400 and refused.json()["code"] == "woocommerce_rest_webhook_invalid_topic"


async def test_resubscribing_reactivates_a_webhook_woo_disabled(fake, make):
    client, callback = make(), "http://127.0.0.1:9/hooks"
    ids = await client.subscribe_webhooks(store_of(fake), keys_of(fake), callback)
    fake.webhooks[int(ids[0])].update(status="disabled", failure_count=6)
    await client.subscribe_webhooks(store_of(fake), keys_of(fake, webhook_secret="b2" * 32), callback)
    assert fake.webhooks[int(ids[0])]["status"] == "active"
    assert {h["secret"] for h in fake.webhooks.values()} == {"b2" * 32}


async def test_unsubscribing_deletes_the_webhooks_and_tolerates_gone_ones(fake, make):
    client = make()
    ids = await client.subscribe_webhooks(store_of(fake), keys_of(fake), "http://127.0.0.1:9/hooks")
    del fake.webhooks[int(ids[0])]
    await client.unsubscribe_webhooks(store_of(fake), keys_of(fake), ids)
    assert fake.webhooks == {}
    assert all(r.query.get("force") == "true" for r in fake.requests if r.method == "DELETE")


async def test_read_only_keys_cannot_subscribe(fake, make):
    key, secret = fake.add_key("read")
    credentials = Credentials(access_token=key, extra={"consumer_secret": secret, "webhook_secret": "c3" * 32})
    with pytest.raises(CredentialsRejected, match="write permissions"):
        await make().subscribe_webhooks(store_of(fake), credentials, "http://127.0.0.1:9/hooks")


async def test_deliveries_verify_and_parse_and_a_variable_product_is_re_read(fake, receiver, make):
    fake.seed(products=6, variable_share=0.5, orders=2)
    client, credentials = make(), keys_of(fake)
    await client.subscribe_webhooks(store_of(fake), credentials, f"{receiver.url}/hooks")
    receiver.received.clear()
    variable_id = next(i for i, p in fake.products.items() if p["type"] == "variable")
    simple_id = next(i for i, p in fake.products.items() if p["type"] == "simple")
    fake.update_variation(variable_id, fake.products[variable_id]["variations"][-1], price="77.00")
    await fake.deliver("product.updated", fake.products[variable_id]["variations"][-1])
    await fake.deliver("product.updated", simple_id)
    await fake.deliver("order.created", next(iter(fake.orders)))
    secret = credentials.extra["webhook_secret"]
    changes = []
    for _, headers, body in receiver.received:
        assert wire.verify_webhook(headers, body, secret)
        changes.append(wire.parse_webhook(headers, body, currency="SAR", hash_customer=hash_customer))
    variation_change, simple_change, order_change = changes
    assert wire.webhook_needs_refetch(variation_change) and variation_change.external_id == str(variable_id)
    product = await client.fetch_product(store_of(fake), credentials, variation_change.external_id)
    assert str(product.variants[-1].price.amount) == "77.00"
    assert simple_change.product.external_id == str(simple_id) and not wire.webhook_needs_refetch(simple_change)
    assert order_change.kind == ChangeKind.ORDER_UPSERTED
    ids = {wire.webhook_delivery_id(h, b) for _, h, b in receiver.received}
    assert len(ids) == 3


async def test_a_tampered_delivery_does_not_verify(fake, receiver, make):
    fake.seed(products=1, variable_share=0, orders=0)
    credentials = keys_of(fake)
    await make().subscribe_webhooks(store_of(fake), credentials, f"{receiver.url}/hooks")
    product_id = next(iter(fake.products))
    await fake.send_webhook(f"{receiver.url}/hooks", "product.updated", fake.product_payload(product_id), tamper=True)
    _, headers, body = receiver.received[-1]
    assert not wire.verify_webhook(headers, body, credentials.extra["webhook_secret"])


async def test_woo_disables_a_webhook_after_more_than_five_failed_deliveries(fake, make):
    async with Receiver(status=500) as failing:
        ids = await make().subscribe_webhooks(store_of(fake), keys_of(fake), f"{failing.url}/hooks")
        fake.seed(products=1, variable_share=0, orders=0)
        product_id = next(iter(fake.products))
        for _ in range(7):
            await fake.deliver("product.updated", product_id)
        hook = fake.webhooks[int(ids[WEBHOOK_TOPICS.index("product.updated")])]
        assert hook["status"] == "disabled"
        assert await fake.deliver("product.updated", product_id) == []


async def test_fetching_a_gone_product_gives_none_and_a_variation_gives_its_parent(fake, make):
    fake.seed(products=4, variable_share=1.0, orders=0)
    parent_id = next(iter(fake.products))
    client = make()
    product = await client.fetch_product(store_of(fake), keys_of(fake), str(fake.products[parent_id]["variations"][0]))
    assert product.external_id == str(parent_id) and len(product.variants) == 3
    assert await client.fetch_product(store_of(fake), keys_of(fake), "999999") is None


async def test_the_store_clock_is_three_hours_ahead_of_utc(fake):
    product = fake.add_product("x")
    local, gmt = product["date_modified"], product["date_modified_gmt"]
    assert datetime.fromisoformat(local) - datetime.fromisoformat(gmt) == timedelta(hours=3)
