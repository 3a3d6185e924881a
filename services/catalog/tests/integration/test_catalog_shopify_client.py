"""The Shopify client against the fake Shopify over real HTTP."""

import hashlib
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import SecretStr

from adly_catalog.adapters.platforms.shopify import WEBHOOK_TOPICS, ShopifyClient
from adly_catalog.domain.platform import (
    ChangeKind,
    Credentials,
    CredentialsRejected,
    PlatformError,
    RateLimited,
    StoreAddress,
)
from adly_catalog.settings import CatalogSettings
from adly_events.contracts.catalog import OrderStatus, StorePlatform
from adly_kit.outbound import Outbound, RedirectRefused, ResponseTooLarge, RetryPolicy, Unreachable, make_client
from tests.fakes.server import FakeServer
from tests.fakes.shopify import ShopifyFake, iso

ROOMY = {"max_query_cost": 1_000_000, "bucket_size": 10_000_000, "restore_rate": 10_000_000}
REDIRECT = "https://api.adly.test/v1/catalog/shopify/callback"


def hasher(value: str) -> str:
    return hashlib.sha256(b"test-key:" + value.encode()).hexdigest()


@pytest.fixture
async def build():
    """`build(fake, page_size=..., timeout=..., max_bytes=..., **client_kwargs)` -> (client, store)."""
    outbounds = []

    def make(fake: ShopifyFake, *, page_size: int = 10, timeout: float = 2.0, max_bytes: int = 5_000_000,
             attempts: int = 3, **kwargs):
        settings = CatalogSettings(
            service_name="catalog", database_url="postgresql://x/y", kafka_bootstrap_servers="127.0.0.1:1",
            shopify_base_url=fake.url, shopify_client_id=fake.client_id,
            shopify_client_secret=SecretStr(fake.client_secret), shopify_page_size=page_size,
        )
        outbound = Outbound(make_client(timeout=timeout, connect_timeout=timeout), max_bytes=max_bytes,
                            retry=RetryPolicy(attempts=attempts, base_delay=0.01, max_delay=2.0), name="shopify")
        outbounds.append(outbound)
        return ShopifyClient(outbound, settings, hasher, **kwargs), StoreAddress(StorePlatform.SHOPIFY, fake.shop)

    yield make
    for outbound in outbounds:
        await outbound.aclose()


@pytest.fixture
def fake():
    with ShopifyFake(**ROOMY) as running:
        yield running


async def read_all(fetch, store, credentials, updated_since=None):
    items, pages, cursor = [], 0, None
    while True:
        page = await fetch(store, credentials, cursor=cursor, updated_since=updated_since)
        items += page.items
        pages += 1
        if (cursor := page.next_cursor) is None:
            return items, pages


# Reading ------------------------------------------------------------------------------


async def test_every_product_is_read_exactly_once_across_pages(fake, build):
    fake.seed(products=47, variants=3)
    client, store = build(fake, page_size=10)
    products, pages = await read_all(client.fetch_products, store, Credentials(fake.issue_token()))
    ids = [p.external_id for p in products]
    assert pages == 5 and len(ids) == 47 and len(set(ids)) == 47
    assert set(ids) == {str(7_000_000_000 + i) for i in range(1, 48)}
    shirt = next(p for p in products if p.external_id == "7000000008")
    assert [v.price.amount for v in shirt.variants] == [Decimal("12.96"), Decimal("13.96"), Decimal("14.96")]
    assert {v.price.currency for v in shirt.variants} == {"SAR"}
    assert [o.values for o in shirt.options] == [["XS", "S", "M"]] and len(shirt.images) == 2


async def test_an_incremental_read_returns_only_what_changed_since(fake, build):
    fake.seed(products=30)
    client, store = build(fake, page_size=10)
    credentials = Credentials(fake.issue_token())
    before, _ = await read_all(client.fetch_products, store, credentials)
    since = max(p.updated_at for p in before)
    fake.update_product(7_000_000_004, title="Linen Shirt — restocked", price="99.50")
    fake.add_product("عطر جديد", price="310.00")
    fake.delete_product(7_000_000_005)
    changed, _ = await read_all(client.fetch_products, store, credentials, updated_since=since)
    assert sorted(p.name for p in changed) == ["Linen Shirt — restocked", "عطر جديد"]
    assert next(p for p in changed if p.external_id == "7000000004").variants[0].price.amount == Decimal("99.50")
    everything, _ = await read_all(client.fetch_products, store, credentials)
    assert len(everything) == 30 and "7000000005" not in {p.external_id for p in everything}


async def test_orders_are_read_with_totals_statuses_and_attribution(fake, build):
    fake.seed(products=10, orders=24)
    client, store = build(fake, page_size=7)
    orders, pages = await read_all(client.fetch_orders, store, Credentials(fake.issue_token()))
    by_number = {o.number: o for o in orders}
    assert pages == 4 and len(by_number) == 24
    facebook = by_number["#1005"]  # a Facebook ad click
    assert facebook.attribution.click_ids == {"fbclid": "clk5"} and facebook.attribution.utm.source == "facebook"
    assert facebook.customer_ref == hasher("buyer.5@example.com") and facebook.status is OrderStatus.REFUNDED
    assert by_number["#1023"].status is OrderStatus.CANCELLED
    assert by_number["#1008"].customer_ref == hasher("6000000008")  # no email: the customer id
    assert by_number["#1007"].customer_ref is None  # a guest
    line = by_number["#1002"].lines[0]
    assert line.total.amount == line.unit_price.amount * line.quantity
    assert sum(o.total.amount for o in orders) == sum(
        Decimal(fake.order(5_000_000_000 + i)["currentTotalPriceSet"]["shopMoney"]["amount"]) for i in range(1, 25))


async def test_incremental_orders_bring_an_updated_order(fake, build):
    fake.seed(products=5, orders=12)
    client, store = build(fake, page_size=50)
    credentials = Credentials(fake.issue_token())
    since = datetime.now(UTC) - timedelta(seconds=5)
    fake.update_order(5_000_000_003, displayFinancialStatus="REFUNDED")
    orders, _ = await read_all(client.fetch_orders, store, credentials, updated_since=since)
    assert [(o.external_id, o.status) for o in orders] == [("5000000003", OrderStatus.REFUNDED)]


# Protected customer data and the 60-day window ------------------------------------------


@pytest.mark.parametrize("customer_data", ["redacted", "denied"])
async def test_orders_without_customer_data_approval_are_kept_without_a_customer(build, customer_data):
    with ShopifyFake(customer_data=customer_data, **ROOMY) as fake:
        fake.seed(products=5, orders=14)
        client, store = build(fake, page_size=5)
        orders, pages = await read_all(client.fetch_orders, store, Credentials(fake.issue_token()))
        assert fake.denied_fields == (14 * 2 if customer_data == "denied" else 0)  # email and customer, each order
    assert pages == 3 and len({o.external_id for o in orders}) == 14
    assert all(o.customer_ref is None for o in orders)  # no email, no customer id: nothing to hash
    with ShopifyFake(**ROOMY) as approved:
        approved.seed(products=5, orders=14)
        client, store = build(approved, page_size=5)
        full = {o.external_id: o for o in (await read_all(client.fetch_orders, store,
                                                           Credentials(approved.issue_token())))[0]}
    assert any(o.customer_ref for o in full.values())
    for order in orders:  # everything else is the same order
        assert order.model_dump(exclude={"customer_ref"}) == full[order.external_id].model_dump(exclude={"customer_ref"})


async def test_a_graphql_error_other_than_a_redacted_customer_field_still_fails_the_page(fake, build):
    fake.seed(products=2, orders=2)
    client, store = build(fake)
    credentials = Credentials(fake.issue_token())
    page = (await client.fetch_orders(store, credentials, cursor=None, updated_since=None))
    body = {"data": {"orders": {"nodes": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}}}
    for error in ({"message": "Access denied for orders field.", "path": ["orders"],
                   "extensions": {"code": "ACCESS_DENIED"}},
                  {"message": "Access denied", "path": ["orders", "nodes", 0, "currentTotalPriceSet"],
                   "extensions": {"code": "ACCESS_DENIED"}},
                  {"message": "Internal error", "path": ["orders", "nodes", 0, "email"],
                   "extensions": {"code": "INTERNAL_SERVER_ERROR"}}):
        fake.fail_next(200, body=body | {"errors": [error]})
        with pytest.raises(PlatformError, match=error["message"]):
            await client.fetch_orders(store, credentials, cursor=None, updated_since=None)
    assert len(page.items) == 2


def old_and_recent_orders(fake: ShopifyFake) -> tuple[str, str]:
    """An order placed 90 days ago and one placed 59 days ago (both changed just now)."""
    now = time.time()
    old = fake.add_order(createdAt=iso(now - 90 * 86400))["id"].rsplit("/", 1)[1]
    recent = fake.add_order(createdAt=iso(now - 59 * 86400))["id"].rsplit("/", 1)[1]
    return old, recent


@pytest.mark.parametrize("scope", ["read_products,read_orders,read_inventory", None],
                         ids=["without-read_all_orders", "scopes-unknown"])
async def test_without_read_all_orders_a_listing_asks_for_the_last_60_days_on_every_page(fake, build, scope):
    fake.seed(products=3, orders=9)
    old, recent = old_and_recent_orders(fake)
    client, store = build(fake, page_size=4)
    orders, pages = await read_all(client.fetch_orders, store, Credentials(fake.issue_token(), scope=scope))
    ids = {o.external_id for o in orders}
    assert recent in ids and old not in ids and len(ids) == 10 and pages == 3
    searches = {c["variables"]["query"] for c in fake.calls if "lines" in c["variables"]}
    (search,) = searches  # the same window on every page, carried in the cursor
    start = datetime.fromisoformat(search.removeprefix("created_at:>='").removesuffix("'").replace("Z", "+00:00"))
    assert abs(start - (datetime.now(UTC) - timedelta(days=60))) < timedelta(minutes=1)


async def test_an_incremental_listing_keeps_the_window_beside_the_update_filter(fake, build):
    fake.seed(products=3, orders=3)
    old, recent = old_and_recent_orders(fake)
    client, store = build(fake)
    since = datetime.now(UTC) - timedelta(minutes=5)
    orders, _ = await read_all(client.fetch_orders, store, Credentials(fake.issue_token()), updated_since=since)
    assert {o.external_id for o in orders} == {recent}
    (search,) = {c["variables"]["query"] for c in fake.calls if "lines" in c["variables"]}
    assert search.startswith("created_at:>='") and " AND updated_at:>'" in search


async def test_with_read_all_orders_granted_every_order_is_asked_for(fake, build):
    fake.seed(products=3, orders=3)
    old, recent = old_and_recent_orders(fake)
    client, store = build(fake, page_size=2)
    scope = "read_products,read_orders,read_all_orders"
    orders, _ = await read_all(client.fetch_orders, store, Credentials(fake.issue_token(scope=scope), scope=scope))
    assert {old, recent} <= {o.external_id for o in orders} and len(orders) == 5
    assert {c["variables"]["query"] for c in fake.calls if "lines" in c["variables"]} == {None}


async def test_shopify_itself_returns_no_older_order_to_a_token_without_read_all_orders(fake, build):
    fake.seed(products=3, orders=2)
    old, _ = old_and_recent_orders(fake)
    client, store = build(fake)
    claimed = Credentials(fake.issue_token(), scope="read_orders,read_all_orders")  # more than Shopify granted
    orders, _ = await read_all(client.fetch_orders, store, claimed)
    assert old not in {o.external_id for o in orders} and len(orders) == 3


async def test_store_info_names_the_shop_and_its_currency(fake, build):
    client, store = build(fake)
    info = await client.store_info(store, Credentials(fake.issue_token()))
    assert (info.domain, info.name, info.currency) == (fake.shop, "ADLY Test Store", "SAR")


# Query cost and throttling ------------------------------------------------------------


async def test_a_query_over_the_cost_limit_shrinks_the_page_and_misses_nothing(build):
    with ShopifyFake(max_query_cost=1000, bucket_size=1_000_000, restore_rate=1_000_000) as fake:
        fake.seed(products=20)
        client, store = build(fake, page_size=250)
        products, pages = await read_all(client.fetch_products, store, Credentials(fake.issue_token()))
        assert len({p.external_id for p in products}) == 20 and pages == 5
        assert fake.cost_refusals == 1 and max(call["cost"] for call in fake.calls) > 1000
        assert all(call["cost"] <= 1000 for call in list(fake.calls)[1:])


async def test_a_throttled_query_waits_for_the_bucket_then_succeeds(build):
    with ShopifyFake(max_query_cost=100_000, bucket_size=5000, restore_rate=5000) as fake:
        fake.seed(products=5)
        client, store = build(fake, page_size=5)
        fake.drain_bucket_when_asked()
        started = time.monotonic()
        page = await client.fetch_products(store, Credentials(fake.issue_token()), cursor=None, updated_since=None)
        assert len(page.items) == 5 and fake.throttled == 1
        assert time.monotonic() - started >= fake.calls[-1]["cost"] / 5000 * 0.8


async def test_throttling_answered_as_http_429_is_waited_out_too(build):
    with ShopifyFake(max_query_cost=100_000, bucket_size=5000, restore_rate=5000, throttle_status=429) as fake:
        fake.seed(products=5)
        client, store = build(fake, page_size=5)
        fake.drain_bucket_when_asked()
        page = await client.fetch_products(store, Credentials(fake.issue_token()), cursor=None, updated_since=None)
        assert len(page.items) == 5 and fake.throttled >= 1


async def test_throttling_longer_than_the_client_waits_is_rate_limited(build):
    with ShopifyFake(max_query_cost=100_000, bucket_size=5000, restore_rate=2) as fake:
        fake.seed(products=5)
        client, store = build(fake, page_size=5)
        fake.drain_bucket_when_asked()
        with pytest.raises(RateLimited) as raised:
            await client.fetch_products(store, Credentials(fake.issue_token()), cursor=None, updated_since=None)
        # Handed back at the first throttled answer: no wait in place, no second try.
        assert raised.value.retry_after > 30 and fake.graphql_requests == 1


async def test_the_client_paces_itself_so_the_bucket_never_runs_dry(build):
    with ShopifyFake(max_query_cost=100_000, bucket_size=1700, restore_rate=2000) as fake:
        fake.seed(products=15)
        client, store = build(fake, page_size=5)
        started = time.monotonic()
        products, pages = await read_all(client.fetch_products, store, Credentials(fake.issue_token()))
        assert len(products) == 15 and pages == 3
        assert fake.throttled == 0 and time.monotonic() - started >= 0.7  # waits of ~0.29 s and ~0.57 s


async def test_a_429_with_retry_after_is_honoured(fake, build):
    fake.seed(products=3)
    client, store = build(fake)
    fake.fail_next(429, headers={"Retry-After": "0.4"})
    started = time.monotonic()
    page = await client.fetch_products(store, Credentials(fake.issue_token()), cursor=None, updated_since=None)
    assert len(page.items) == 3 and time.monotonic() - started >= 0.4


# Failures -----------------------------------------------------------------------------


async def test_server_errors_are_retried_for_reads_then_reported_as_retryable(fake, build):
    fake.seed(products=3)
    client, store = build(fake, attempts=3)
    credentials = Credentials(fake.issue_token())
    fake.fail_next(503, times=2)
    assert len((await client.fetch_products(store, credentials, cursor=None, updated_since=None)).items) == 3
    fake.fail_next(500, times=3)
    with pytest.raises(PlatformError) as raised:
        await client.fetch_products(store, credentials, cursor=None, updated_since=None)
    assert raised.value.retryable and raised.value.status == 500


async def test_an_unknown_token_is_credentials_rejected(fake, build):
    client, store = build(fake)
    with pytest.raises(CredentialsRejected) as raised:
        await client.fetch_products(store, Credentials("shpat_not_a_token"), cursor=None, updated_since=None)
    assert raised.value.status == 401


async def test_a_malformed_answer_is_a_platform_error(fake, build):
    client, store = build(fake)
    fake.fail_next(200, body=b"<html>maintenance</html>")
    with pytest.raises(PlatformError, match="not JSON"):
        await client.fetch_products(store, Credentials(fake.issue_token()), cursor=None, updated_since=None)
    fake.fail_next(200, body={"data": {"shop": {"currencyCode": "SAR"}, "products": {"nodes": [{"id": "x"}]}}})
    with pytest.raises(PlatformError, match="could not read"):
        await client.fetch_products(store, Credentials(fake.issue_token()), cursor=None, updated_since=None)


async def test_a_redirect_to_another_host_is_refused(fake, build):
    client, store = build(fake)
    fake.redirect_next("http://169.254.169.254/latest/meta-data/")
    with pytest.raises(RedirectRefused):
        await client.store_info(store, Credentials(fake.issue_token()))


async def test_an_oversized_answer_is_refused(fake, build):
    client, store = build(fake, max_bytes=50_000)
    fake.huge_next(200_000)
    with pytest.raises(ResponseTooLarge):
        await client.store_info(store, Credentials(fake.issue_token()))


async def test_a_stalled_shopify_times_out(fake, build):
    client, store = build(fake, timeout=0.3, attempts=2)
    fake.stall_next(60)  # far longer than the test: only the client's timeout can end each try
    fake.stall_next(60)
    with pytest.raises(Unreachable):
        await client.store_info(store, Credentials(fake.issue_token()))
    assert fake.stalled == 2 and fake.graphql_requests == 0  # both tries given up on, neither answered


# OAuth and tokens ---------------------------------------------------------------------


async def connect(fake: ShopifyFake, client: ShopifyClient) -> tuple[dict[str, str], Credentials]:
    url = client.authorize_url(shop=fake.shop, state="st4te", redirect_uri=REDIRECT)
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(url)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    callback = dict(parse_qsl(location.query))
    return callback, await client.exchange_code(shop=callback["shop"], code=callback["code"])


async def test_connecting_verifies_the_callback_and_gets_expiring_tokens(fake, build):
    client, store = build(fake)
    callback, credentials = await connect(fake, client)
    assert fake.authorize_requests[0]["scope"] == "read_products,read_orders,read_inventory"
    assert set(callback) == {"code", "hmac", "host", "shop", "state", "timestamp"} and callback["state"] == "st4te"
    assert client.verify_callback(callback)
    assert not client.verify_callback(callback | {"state": "other"})
    assert fake.token_requests[0]["expiring"] == "1"
    assert credentials.refresh_token and credentials.scope == "read_products,read_orders,read_inventory"
    assert timedelta(minutes=59) < credentials.expires_at - datetime.now(UTC) <= timedelta(hours=1)
    assert credentials.refresh_expires_at - datetime.now(UTC) > timedelta(days=89)
    assert (await client.store_info(store, credentials)).currency == "SAR"


async def test_an_authorization_code_works_once(fake, build):
    client, _ = build(fake)
    callback, _ = await connect(fake, client)
    with pytest.raises(CredentialsRejected):
        await client.exchange_code(shop=callback["shop"], code=callback["code"])


async def test_an_expired_token_is_rejected_and_a_refresh_rotates_it(fake, build):
    client, store = build(fake)
    _, credentials = await connect(fake, client)
    fake.expire_access_tokens()
    with pytest.raises(CredentialsRejected):
        await client.store_info(store, credentials)
    fresh = await client.refresh(store, credentials)
    assert fresh.access_token != credentials.access_token and fresh.refresh_token != credentials.refresh_token
    assert fake.refresh_token_valid(credentials.refresh_token)  # kept until its replacement is used
    assert (await client.store_info(store, fresh)).name == "ADLY Test Store"
    assert not fake.refresh_token_valid(credentials.refresh_token)
    with pytest.raises(CredentialsRejected):
        await client.refresh(store, credentials)
    assert (await client.refresh(store, fresh)).access_token


async def test_a_refresh_whose_answer_was_lost_can_be_repeated(fake, build):
    client, store = build(fake)
    _, credentials = await connect(fake, client)
    lost = await client.refresh(store, credentials)
    kept = await client.refresh(store, credentials)
    assert (await client.store_info(store, kept)).name and not fake.refresh_token_valid(lost.refresh_token)


# Webhooks -----------------------------------------------------------------------------


async def test_subscribing_creates_each_topic_once_and_unsubscribing_removes_them(fake, build):
    client, store = build(fake)
    credentials = Credentials(fake.issue_token())
    ids = await client.subscribe_webhooks(store, credentials, "https://api.adly.test/v1/webhooks/shopify")
    assert len(ids) == 6 and all(i.startswith("gid://shopify/WebhookSubscription/") for i in ids)
    assert sorted(s["topic"] for s in fake.subscriptions.values()) == sorted(WEBHOOK_TOPICS)
    assert {(s["uri"], s["format"]) for s in fake.subscriptions.values()} == {
        ("https://api.adly.test/v1/webhooks/shopify", "JSON")}
    assert all("callbackUrl" not in s["input"] for s in fake.subscriptions.values())
    again = await client.subscribe_webhooks(store, credentials, "https://api.adly.test/v1/webhooks/shopify")
    assert again == ids and len(fake.subscriptions) == 6
    await client.unsubscribe_webhooks(store, credentials, ids)
    assert fake.subscriptions == {}
    await client.unsubscribe_webhooks(store, credentials, ids[:1])  # already gone: fine


class Receiver(FakeServer):
    """Where the fake Shopify delivers webhooks: keeps each raw request."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.app = FastAPI()

        @self.app.post("/hooks")
        async def hook(request: Request) -> dict[str, bool]:
            self.received.append((dict(request.headers), await request.body()))
            return {"ok": True}


async def test_a_delivered_product_webhook_verifies_and_matches_the_synced_product(fake, build):
    fake.seed(products=12)
    client, store = build(fake, page_size=50)
    synced = {p.external_id: p for p in (await read_all(client.fetch_products, store,
                                                         Credentials(fake.issue_token())))[0]}
    async with Receiver() as receiver:
        answer = await fake.send_webhook(f"{receiver.url}/hooks", "products/update", fake.rest_product(7_000_000_009))
        await fake.send_webhook(f"{receiver.url}/hooks", "products/update", fake.rest_product(7_000_000_009),
                                tamper=True)
    assert answer.status_code == 200
    (headers, body), (tampered_headers, tampered) = receiver.received
    assert client.verify_webhook(headers, body) and not client.verify_webhook(tampered_headers, tampered)
    assert client.webhook_shop(headers) == fake.shop and client.webhook_is_fresh(headers, datetime.now(UTC))
    change = client.parse_webhook(headers, body, currency="SAR")
    assert change.kind is ChangeKind.PRODUCT_UPSERTED
    assert change.product.model_dump(exclude={"url"}) == synced["7000000009"].model_dump(exclude={"url"})


async def test_an_order_webhook_reads_the_same_order_as_a_sync(fake, build):
    fake.seed(products=5, orders=8)
    client, store = build(fake, page_size=50)
    synced = {o.external_id: o for o in (await read_all(client.fetch_orders, store,
                                                         Credentials(fake.issue_token())))[0]}
    headers, body = fake.signed_webhook("orders/updated", fake.rest_order(5_000_000_008))
    assert client.verify_webhook(headers, body)
    order = client.parse_webhook(headers, body, currency="SAR").order
    facts = {"status", "platform_status", "currency", "subtotal", "total", "tax", "discounts", "shipping", "lines",
             "customer_ref", "placed_at", "updated_at", "number"}
    assert order.model_dump(include=facts) == synced["5000000008"].model_dump(include=facts)
    assert order.attribution.utm == synced["5000000008"].attribution.utm
    assert order.attribution.click_ids == synced["5000000008"].attribution.click_ids
