"""The Zid client against the fake Zid over real HTTP: what a merchant's sync would live through."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI, Request

from adly_catalog.adapters.platforms import zid_wire as wire
from adly_catalog.adapters.platforms.zid import (
    WEBHOOK_EVENTS,
    StoreRateLimiter,
    ZidClient,
    parse_webhook,
    verify_webhook,
)
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
from tests.fakes.zid import FakeZid, zid_error

SECRET = "webhook-password-of-32-characters"
CALLBACK = "https://api.adly.example/webhooks/zid/unguessable-token"


def hasher(value: str) -> str:
    return hmac.new(b"test-key", value.encode(), hashlib.sha256).hexdigest()


@pytest.fixture
async def fake():
    async with FakeZid() as server:
        yield server


@pytest.fixture
async def clients():
    made: list[ZidClient] = []

    def build(fake: FakeZid, *, timeout: float = 2.0, retry: RetryPolicy | None = None, max_bytes: int = 1 << 22,
              limiter: StoreRateLimiter | None = None) -> ZidClient:
        settings = CatalogSettings(
            service_name="catalog", database_url="postgresql://x/y", kafka_bootstrap_servers="127.0.0.1:1",
            zid_client_id=fake.client_id, zid_client_secret=fake.client_secret,
            zid_api_url=fake.url + "/v1", zid_oauth_url=fake.url, zid_page_size=50)
        outbound = Outbound(make_client(timeout=timeout, connect_timeout=timeout), max_bytes=max_bytes,
                            retry=retry or RetryPolicy(base_delay=0.01, max_delay=0.5), name="zid")
        made.append(ZidClient(outbound, settings, hasher, limiter=limiter or StoreRateLimiter(100_000)))
        return made[-1]

    yield build
    for client in made:
        await client.outbound.aclose()


def store_of(fake: FakeZid, store_id: int | None = None) -> StoreAddress:
    return StoreAddress(StorePlatform.ZID, str(store_id or fake.store_id))


def credentials_of(fake: FakeZid, **answer: object) -> Credentials:
    issued = wire.parse_token(fake.issue_tokens() | answer, now=datetime.now(UTC))
    return Credentials(issued.access_token, issued.refresh_token, issued.expires_at,
                       extra=dict(issued.extra) | {"webhook_secret": SECRET})


async def all_products(client: ZidClient, fake: FakeZid, credentials: Credentials) -> tuple[list, int]:
    products, cursor, calls = [], None, 0
    while True:
        page = await client.fetch_products(store_of(fake), credentials, cursor=cursor, updated_since=None)
        products += page.items
        calls += 1
        if not (cursor := page.next_cursor):
            return products, calls


def calls_to(fake: FakeZid, path: str) -> list:
    return [r for r in fake.requests if r.path == path]


# --- reading the catalog -----------------------------------------------------------------

async def test_a_full_scan_reads_every_product_once_with_its_variants(fake, clients):
    fake.seed(products=120, variants=3)
    fake.rate_limit(10_000)  # 70 calls: Zid's 60 a minute would make this test take a minute
    products, calls = await all_products(clients(fake), fake, credentials_of(fake))
    assert len(products) == 120 and len({p.external_id for p in products}) == 120
    parents = [p for p in products if len(p.variants) == 3]
    assert len(parents) == 60 and calls > 3  # 60 variant lookups at 10 a call spill over the 3 list pages
    assert [v.options for v in parents[0].variants] == [{"اللون": "أحمر"}, {"اللون": "أزرق"}, {"اللون": "أسود"}]
    second = next(p for p in products if p.external_id == fake.add_product(1)["id"])
    assert (second.name, second.names["en"], second.variants[0].price.amount) == ("حقيبة جلد 1", "Leather Bag 1", Decimal("17.35"))
    assert {r.query["page_size"] for r in calls_to(fake, "/v1/products/")} == {"50"}


async def test_product_calls_carry_both_tokens_and_the_store_id(fake, clients):
    fake.seed(products=1)
    credentials = credentials_of(fake)
    await clients(fake).fetch_products(store_of(fake), credentials, cursor=None, updated_since=None)
    headers = calls_to(fake, "/v1/products/")[0].headers
    assert headers["authorization"] == f"Bearer {credentials.extra['authorization']}"
    assert headers["x-manager-token"] == headers["access-token"] == credentials.access_token
    assert (headers["store-id"], headers["role"], headers["accept-language"]) == (str(fake.store_id), "Manager", "ar")


async def test_variant_rows_in_the_list_are_not_counted_as_products(fake, clients):
    fake.seed(products=10, variants=2)
    fake.list_children = True
    products, _ = await all_products(clients(fake), fake, credentials_of(fake))
    assert len(products) == 10 and sum(len(p.variants) for p in products) == 5 * 2 + 5


async def test_variants_listed_inline_need_no_extra_calls(fake, clients):
    fake.seed(products=20, variants=2)
    fake.inline_variants = True
    products, calls = await all_products(clients(fake), fake, credentials_of(fake))
    assert len(products) == 20 and calls == 1
    assert [r.path for r in fake.requests] == ["/v1/products/"]


async def test_a_full_order_scan_pages_by_a_hundred_oldest_first(fake, clients):
    fake.seed(products=3, orders=250)
    client, credentials, orders, cursor = clients(fake), credentials_of(fake), [], None
    while True:
        page = await client.fetch_orders(store_of(fake), credentials, cursor=cursor, updated_since=None)
        orders += page.items
        if not (cursor := page.next_cursor):
            break
    assert len(orders) == 250 and len({o.external_id for o in orders}) == 250
    assert orders[0].placed_at < orders[-1].placed_at
    query = calls_to(fake, "/v1/managers/store/orders")[0].query
    assert query == {"page": "1", "per_page": "100", "payload_type": "default", "order_by": "created_at", "sort_by": "asc"}


async def test_an_incremental_order_sync_reads_only_orders_changed_since(fake, clients):
    fake.seed(products=3, orders=30)
    for order_id in (60_000_002, 60_000_011, 60_000_029):
        fake.update_order(order_id, order_status={"code": "delivered", "name": "تم التوصيل"}, at=datetime(2026, 3, 10, 12, tzinfo=UTC))
    page = await clients(fake).fetch_orders(store_of(fake), credentials_of(fake), cursor=None,
                                            updated_since=datetime(2026, 3, 10, 9, 30, tzinfo=UTC))
    assert sorted(o.external_id for o in page.items) == ["60000002", "60000011", "60000029"]
    assert {o.platform_status for o in page.items} == {"delivered"} and page.next_cursor is None
    query = calls_to(fake, "/v1/managers/store/orders")[0].query
    assert (query["date_attribute"], query["date_from"]) == ("updated_at", "2026-03-10")


# --- throttling ----------------------------------------------------------------------------

class BookingLimiter(StoreRateLimiter):
    """The client's own limiter, noting the time each call was booked for."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.booked: list[float] = []

    def reserve(self, key: str) -> float:
        wait = super().reserve(key)
        self.booked.append(self._clock() + wait)
        return wait


async def test_concurrent_calls_stay_under_zids_limit(fake, clients):
    fake.rate_limit(5, 0.5)
    limiter = BookingLimiter(4, window=0.5, burst=1)
    client = clients(fake, limiter=limiter)
    credentials, started = credentials_of(fake), time.monotonic()
    pages = await asyncio.gather(*(client.fetch_orders(store_of(fake), credentials, cursor=None, updated_since=None)
                                   for _ in range(6)))
    assert len(pages) == 6
    # The calls were spread by the client itself: no 0.5 s carries more than 4 of them. (How
    # the fake sees their arrival also depends on how busy the machine is, so it is not asked.)
    booked = sorted(limiter.booked)
    assert len(booked) == 6 and all(later - first >= 0.5 - 1e-9 for first, later in zip(booked, booked[4:], strict=False))
    assert time.monotonic() - started >= 5 * 0.5 / 3 - 0.05


async def test_a_429_with_retry_after_is_waited_out_then_the_read_succeeds(fake, clients):
    fake.seed(products=2)
    fake.fail_next(429, zid_error("too_many_requests", "Too Many Attempts."), headers={"Retry-After": "0.4"})
    started = time.monotonic()
    page = await clients(fake).fetch_products(store_of(fake), credentials_of(fake), cursor=None, updated_since=None)
    assert len(page.items) == 2 and time.monotonic() - started >= 0.4
    assert len(calls_to(fake, "/v1/products/")) == 2


async def test_a_429_without_retry_after_waits_for_the_bucket_to_drain(fake, clients):
    fake.fail_next(429, zid_error("too_many_requests", "Too Many Attempts."))  # no Retry-After
    client = clients(fake, limiter=StoreRateLimiter(20, window=0.75, burst=10))
    credentials, started = credentials_of(fake), time.monotonic()
    await client.fetch_orders(store_of(fake), credentials, cursor=None, updated_since=None)
    assert len(calls_to(fake, "/v1/managers/store/orders")) == 2
    assert time.monotonic() - started >= client.limiter.drain_seconds


async def test_a_throttle_longer_than_a_worker_waits_is_rate_limited(fake, clients):
    fake.fail_next(429, zid_error("too_many_requests", "Too Many Attempts."), headers={"Retry-After": "120"})
    with pytest.raises(RateLimited) as caught:
        await clients(fake).fetch_orders(store_of(fake), credentials_of(fake), cursor=None, updated_since=None)
    assert caught.value.retry_after == 120 and caught.value.retryable
    assert len(calls_to(fake, "/v1/managers/store/orders")) == 1


# --- credentials ---------------------------------------------------------------------------

async def test_expired_tokens_are_refused_and_a_refresh_brings_the_store_back(fake, clients):
    client, credentials = clients(fake), credentials_of(fake)
    fake.expire_tokens()
    with pytest.raises(CredentialsRejected):
        await client.fetch_orders(store_of(fake), credentials, cursor=None, updated_since=None)
    renewed = await client.refresh(store_of(fake), credentials)
    assert renewed.access_token != credentials.access_token and renewed.refresh_token != credentials.refresh_token
    assert renewed.extra["webhook_secret"] == SECRET and renewed.expires_at > datetime.now(UTC)
    await client.fetch_orders(store_of(fake), renewed, cursor=None, updated_since=None)


async def test_a_refresh_token_works_once(fake, clients):
    client, credentials = clients(fake), credentials_of(fake)
    await client.refresh(store_of(fake), credentials)
    with pytest.raises(CredentialsRejected, match="refresh token is invalid"):
        await client.refresh(store_of(fake), credentials)


async def test_a_wrong_partner_token_is_refused(fake, clients):
    credentials = credentials_of(fake, authorization="eyJ-not-ours")
    with pytest.raises(CredentialsRejected, match="Unauthenticated"):
        await clients(fake).fetch_orders(store_of(fake), credentials, cursor=None, updated_since=None)


async def test_product_calls_for_another_store_answer_no_such_user(fake, clients):
    with pytest.raises(CredentialsRejected, match="No such user"):
        await clients(fake).fetch_products(store_of(fake, 999), credentials_of(fake), cursor=None, updated_since=None)


# --- failures ------------------------------------------------------------------------------

async def test_server_errors_are_retried_for_reads(fake, clients):
    fake.fail_next(503, times=2)
    page = await clients(fake).fetch_orders(store_of(fake), credentials_of(fake), cursor=None, updated_since=None)
    assert page.items == [] and len(calls_to(fake, "/v1/managers/store/orders")) == 3


async def test_a_server_that_keeps_failing_is_a_retryable_platform_error(fake, clients):
    fake.fail_next(500, times=10)
    with pytest.raises(PlatformError) as caught:
        await clients(fake).fetch_orders(store_of(fake), credentials_of(fake), cursor=None, updated_since=None)
    assert (caught.value.status, caught.value.retryable) == (500, True)


async def test_a_redirect_to_another_host_is_refused(fake, clients):
    fake.redirect_next("http://169.254.169.254/latest/meta-data/")
    with pytest.raises(RedirectRefused):
        await clients(fake).fetch_orders(store_of(fake), credentials_of(fake), cursor=None, updated_since=None)


async def test_an_oversized_answer_is_refused(fake, clients):
    fake.huge_next(200_000)
    with pytest.raises(ResponseTooLarge):
        await clients(fake, max_bytes=50_000).fetch_products(store_of(fake), credentials_of(fake), cursor=None, updated_since=None)


async def test_a_stalled_answer_times_out(fake, clients):
    fake.stall_next(60)  # far longer than the test: only the client's timeout can end each try
    fake.stall_next(60)
    client = clients(fake, timeout=0.3, retry=RetryPolicy(attempts=2, base_delay=0.01))
    with pytest.raises(Unreachable):
        await client.fetch_orders(store_of(fake), credentials_of(fake), cursor=None, updated_since=None)
    assert fake.stalled == 2


async def test_an_answer_that_is_not_json_is_a_clear_error(fake, clients):
    fake.fail_next(200, "<html>صيانة</html>")
    with pytest.raises(PlatformError, match="not JSON"):
        await clients(fake).fetch_orders(store_of(fake), credentials_of(fake), cursor=None, updated_since=None)


# --- connecting ----------------------------------------------------------------------------

async def test_connecting_exchanges_the_code_and_reads_the_store(fake, clients):
    client, redirect_uri = clients(fake), "https://app.adly.example/connect/zid/callback"
    url = client.authorize_url(state="st4te", redirect_uri=redirect_uri)
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as browser:
        answer = await browser.get(url)
    assert answer.status_code == 302 and answer.headers["location"].startswith(redirect_uri + "?")
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["state"] == ["st4te"]
    credentials = await client.exchange_code(code=query["code"][0], redirect_uri=redirect_uri)
    assert credentials.extra["authorization"].startswith("eyJ") and credentials.refresh_token
    info = await client.store_info(credentials)
    assert (info.domain, info.name, info.currency) == ("130216", "متجر الورد", "SAR")
    with pytest.raises(CredentialsRejected):
        await client.exchange_code(code=query["code"][0], redirect_uri=redirect_uri)


# --- webhooks ------------------------------------------------------------------------------

async def test_subscribing_registers_every_event_with_our_basic_credentials(fake, clients):
    client, credentials = clients(fake), credentials_of(fake)
    ids = await client.subscribe_webhooks(store_of(fake), credentials, CALLBACK)
    assert len(ids) == len(WEBHOOK_EVENTS) == len(fake.webhooks) and set(ids) == set(fake.webhooks)
    for hook in fake.webhooks.values():
        assert hook["target_url"] == f"{CALLBACK}?event={hook['event']}"
        assert (hook["username"], hook["password"], hook["subscriber"], hook["original_id"]) == ("adly", SECRET, "ADLY", fake.store_id)
    assert {h["event"] for h in fake.webhooks.values()} == set(WEBHOOK_EVENTS)


async def test_subscribing_again_replaces_rather_than_duplicates_and_unsubscribing_clears(fake, clients):
    client, credentials = clients(fake), credentials_of(fake)
    first = await client.subscribe_webhooks(store_of(fake), credentials, CALLBACK)
    second = await client.subscribe_webhooks(store_of(fake), credentials, CALLBACK)
    assert set(fake.webhooks) == set(second) and not set(first) & set(second)
    await client.unsubscribe_webhooks(store_of(fake), credentials, second)
    await client.unsubscribe_webhooks(store_of(fake), credentials, second)  # already gone: fine
    assert fake.webhooks == {}


async def test_a_failed_subscription_leaves_nothing_behind(fake, clients):
    fake.events.discard("order.payment_status.update")
    with pytest.raises(PlatformError) as caught:
        await clients(fake).subscribe_webhooks(store_of(fake), credentials_of(fake), CALLBACK)
    assert caught.value.status == 422 and fake.webhooks == {}


async def test_subscribing_needs_the_webhook_password(fake, clients):
    credentials = credentials_of(fake)
    credentials = Credentials(credentials.access_token, extra={"authorization": credentials.extra["authorization"]})
    with pytest.raises(PlatformError, match="webhook_secret"):
        await clients(fake).subscribe_webhooks(store_of(fake), credentials, CALLBACK)
    assert calls_to(fake, "/v1/managers/webhooks") == []


class Receiver(FakeServer):
    """Where ADLY's webhook route would be: keeps each delivery's headers, query and raw body."""

    def __init__(self) -> None:
        super().__init__()
        self.deliveries: list[tuple[dict[str, str], dict[str, str], bytes]] = []
        self.app = FastAPI()
        self.app.post("/{path:path}")(self.receive)

    async def receive(self, request: Request, path: str) -> dict:
        self.deliveries.append((dict(request.headers), dict(request.query_params), await request.body()))
        return {}


async def test_deliveries_from_zid_are_verified_and_understood(fake, clients):
    fake.seed(products=2, orders=1)
    async with Receiver() as receiver:
        await clients(fake).subscribe_webhooks(store_of(fake), credentials_of(fake), receiver.url + "/webhooks/zid/t0ken")
        await fake.deliver("order.create", fake.order_payload(60_000_000))
        await fake.deliver("product.delete", fake.deleted_product_payload(fake.add_product(1)["id"]))
        await fake.deliver("order.status.update", fake.order_payload(60_000_000), tamper=True)
    (order_headers, order_query, order_body), (gone_headers, gone_query, gone_body), (forged_headers, _, _) = receiver.deliveries
    assert verify_webhook(order_headers, SECRET) and verify_webhook(gone_headers, SECRET)
    assert not verify_webhook(forged_headers, SECRET)
    order = parse_webhook(order_headers, order_body, event=order_query["event"], hash_customer=hasher)
    assert (order.kind, order.order.external_id, order.order.number) == (ChangeKind.ORDER_UPSERTED, "60000000", "ZD000000")
    gone = parse_webhook(gone_headers, gone_body, event=gone_query["event"], hash_customer=hasher)
    assert (gone.kind, gone.external_id) == (ChangeKind.PRODUCT_REMOVED, fake.add_product(1)["id"])


async def test_a_product_can_be_read_again_after_a_webhook(fake, clients):
    parent = fake.add_product(0, variants=2)
    product = await clients(fake).fetch_product(store_of(fake), credentials_of(fake), parent["id"])
    assert product is not None and len(product.variants) == 2
    assert await clients(fake).fetch_product(store_of(fake), credentials_of(fake), "no-such-product") is None
