"""The Salla client against the local fake Salla over real HTTP (no Postgres, no Kafka)."""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from adly_catalog.adapters.platforms.salla import (
    WEBHOOK_EVENTS,
    SallaClient,
    parse_webhook,
    state_matches,
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
from adly_events.contracts.catalog import OrderStatus, ProductStatus, StorePlatform
from adly_kit.outbound import Outbound, RedirectRefused, ResponseTooLarge, RetryPolicy, Unreachable, make_client
from tests.fakes.salla import CLIENT_ID, CLIENT_SECRET, WEBHOOK_SECRET, FakeSalla, salla_error
from tests.fakes.server import FakeServer

CALLBACK = "https://app.adly.test/connect/salla/callback"


def hash_customer(identity: str) -> str:
    return hmac.new(b"test-customer-key", identity.encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def fake():
    with FakeSalla() as server:
        yield server


@pytest.fixture
async def client_for():
    outbounds: list[Outbound] = []

    def build(fake: FakeSalla, *, timeout: float = 2.0, max_bytes: int = 1024 * 1024, attempts: int = 3,
              second_language: str | None = None, **settings: object) -> SallaClient:
        outbound = Outbound(make_client(timeout=timeout, connect_timeout=1.0), max_bytes=max_bytes, name="salla",
                            retry=RetryPolicy(attempts=attempts, base_delay=0.01, max_delay=2.0))
        outbounds.append(outbound)
        defaults = {"salla_api_url": fake.api_url, "salla_accounts_url": fake.url, "salla_client_id": CLIENT_ID,
                    "salla_client_secret": CLIENT_SECRET, "salla_webhook_secret": WEBHOOK_SECRET, "salla_page_size": 3}
        config = CatalogSettings(service_name="catalog", database_url="postgresql://x/y",
                                 kafka_bootstrap_servers="127.0.0.1:1", **(defaults | settings))
        return SallaClient(outbound, config, hash_customer, second_language=second_language)

    yield build
    for outbound in outbounds:
        await outbound.aclose()


def connected(fake: FakeSalla, scope: str | None = None) -> tuple[StoreAddress, Credentials]:
    tokens = fake.issue_tokens(scope) if scope else fake.issue_tokens()
    return (StoreAddress(StorePlatform.SALLA, str(fake.merchant_id)),
            Credentials(access_token=tokens["access_token"], refresh_token=tokens.get("refresh_token")))


async def every_page(fetch, store, credentials, updated_since=None):
    items, pages, cursor = [], 0, None
    while True:
        page = await fetch(store, credentials, cursor=cursor, updated_since=updated_since)
        items, pages, cursor = items + page.items, pages + 1, page.next_cursor
        if cursor is None:
            return items, pages


# --- products -----------------------------------------------------------------------------


async def test_full_product_sync_reads_every_page_once_with_exact_prices(fake, client_for):
    fake.seed(products=7, variants=3, orders=0)
    store, credentials = connected(fake)
    products, pages = await every_page(client_for(fake).fetch_products, store, credentials)

    assert pages == 3
    assert [p.external_id for p in products] == [str(i) for i in sorted(fake.products)]
    abaya = products[0]
    assert abaya.name == "عباية سوداء كلاسيك" and abaya.names == {"ar": "عباية سوداء كلاسيك"}
    assert [(v.price.amount, v.price.currency) for v in abaya.variants] == [
        (Decimal("149.90"), "SAR"), (Decimal("159.90"), "SAR"), (Decimal("169.90"), "SAR")]
    assert [v.options for v in abaya.variants] == [{"اللون": "أسود"}, {"اللون": "أبيض"}, {"اللون": "أحمر"}]
    assert [v.inventory_quantity for v in abaya.variants] == [0, 5, None]  # the third is unlimited
    assert [i.url.rsplit("/", 1)[1] for i in abaya.images] == ["1672932001-1.jpg", "1672932001-2.jpg"]  # no video
    assert [p.status for p in products[:4]] == [ProductStatus.ACTIVE, ProductStatus.ACTIVE, ProductStatus.ACTIVE,
                                                ProductStatus.DRAFT]  # sale, sale, out (of stock), hidden
    listing = fake.api_requests("/products")
    assert [seen.query["page"] for seen in listing] == ["1", "2", "3"]
    assert all(seen.query["per_page"] == "3" and "accept-language" not in seen.headers for seen in listing)


async def test_second_language_adds_english_names_with_one_more_request_per_page(fake, client_for):
    fake.seed(products=4, variants=1, orders=0)
    store, credentials = connected(fake)
    products, pages = await every_page(client_for(fake, second_language="en").fetch_products, store, credentials)

    assert products[1].names == {"ar": "تمر سكري فاخر", "en": "Premium Sukkari Dates"}
    assert products[1].name == "تمر سكري فاخر"
    languages = [seen.headers.get("accept-language") for seen in fake.api_requests("/products")]
    assert languages == [None, "en"] * pages


async def test_incremental_product_sync_is_a_full_scan_that_sees_changes(fake, client_for):
    fake.seed(products=4, variants=1, orders=0)
    store, credentials = connected(fake)
    client = client_for(fake)
    first = next(iter(fake.products))
    fake.update_product(first, name="عباية سوداء - إصدار رمضان")

    products, _ = await every_page(client.fetch_products, store, credentials, updated_since=datetime.now(UTC))

    assert len(products) == 4
    assert products[0].name == "عباية سوداء - إصدار رمضان"


async def test_one_product_is_read_back_and_a_deleted_one_is_none(fake, client_for):
    fake.seed(products=2, variants=2, orders=0)
    store, credentials = connected(fake)
    client = client_for(fake)
    first, second = sorted(fake.products)
    fake.delete_product(second)

    product = await client.fetch_product(store, credentials, str(first))
    assert product.external_id == str(first) and len(product.variants) == 2
    assert await client.fetch_product(store, credentials, str(second)) is None


async def test_page_size_is_clamped_to_salla_maximum_of_60(fake, client_for):
    store, credentials = connected(fake)
    await client_for(fake, salla_page_size=250).fetch_products(store, credentials, cursor=None, updated_since=None)
    assert fake.api_requests("/products")[0].query["per_page"] == "60"


# --- orders -------------------------------------------------------------------------------


async def test_order_sync_reads_the_details_of_every_order(fake, client_for):
    fake.seed(products=3, variants=2, orders=5)
    store, credentials = connected(fake)
    orders, pages = await every_page(client_for(fake).fetch_orders, store, credentials)

    assert pages == 2
    assert sorted(o.external_id for o in orders) == sorted(str(i) for i in fake.orders)
    by_id = {o.external_id: o for o in orders}
    for order_id, raw in fake.orders.items():
        order = by_id[str(order_id)]
        assert order.total.amount == raw["amounts"]["total"]["amount"] and order.currency == "SAR"
        assert order.number == str(raw["reference_id"])
        assert len(order.lines) == len(raw["items"]) and all(line.product_external_id for line in order.lines)
    first = by_id["2116149701"]
    assert first.customer_ref == hash_customer("customer0@example.sa")  # lower-cased email
    assert first.discounts.amount == Decimal("10.00") and first.shipping.amount == Decimal(25)
    assert first.status == OrderStatus.PENDING and first.platform_status == "under_review"
    assert first.placed_at == datetime(2026, 10, 1, 9, 0, tzinfo=UTC)  # 12:00 in Riyadh
    no_email = by_id["2116149705"]
    assert no_email.customer_ref == hash_customer(str(fake.orders[2116149705]["customer"]["id"]))
    instagram = by_id["2116149702"].attribution
    assert (instagram.utm.source, instagram.utm.campaign) == ("instagram", "ramadan_sale")
    assert instagram.click_ids == {"fbclid": "IwAR2fake1"} and instagram.device_type == "mobile"
    assert len([s for s in fake.requests if s.path.startswith("/admin/v2/orders/2")]) == 5


async def test_incremental_orders_read_a_rolling_window_of_creation_dates(fake, client_for):
    fake.seed(products=2, variants=1, orders=5)  # placed 9 days apart from 1 October 2026
    store, credentials = connected(fake)
    client = client_for(fake, orders_window_days=20)
    orders, _ = await every_page(client.fetch_orders, store, credentials,
                                 updated_since=datetime(2026, 10, 1, 6, 0, tzinfo=UTC))

    assert fake.api_requests("/orders")[0].query["from_date"] == "2026-09-11"
    assert sorted(o.external_id for o in orders) == ["2116149701", "2116149702", "2116149703"]


async def test_order_items_are_read_separately_when_details_come_without_them(client_for):
    with FakeSalla(details_with_items=False) as fake:
        fake.seed(products=2, variants=1, orders=2)
        store, credentials = connected(fake)
        page = await client_for(fake).fetch_orders(store, credentials, cursor=None, updated_since=None)

        assert all(order.lines for order in page.items)
        assert {seen.query["order_id"] for seen in fake.api_requests("/orders/items")} == {"2116149701", "2116149702"}


# --- throttling ---------------------------------------------------------------------------


async def test_client_waits_for_the_rate_limit_window_instead_of_being_throttled(fake, client_for):
    fake.seed(products=9, variants=1, orders=0)
    fake.set_rate_limit(2, window=1)
    store, credentials = connected(fake)
    products, pages = await every_page(client_for(fake).fetch_products, store, credentials)

    assert (len(products), pages) == (9, 3)
    assert fake.throttled == 0


async def test_a_rate_limit_wait_longer_than_the_bound_raises_rate_limited_without_calling(fake, client_for):
    fake.seed(products=1, variants=1, orders=1)
    fake.set_rate_limit(1, window=120)
    store, credentials = connected(fake)

    with pytest.raises(RateLimited) as caught:
        await client_for(fake).fetch_orders(store, credentials, cursor=None, updated_since=None)

    assert 60 < caught.value.retry_after <= 121
    assert fake.throttled == 0 and not fake.api_requests("/orders/2116149701")


async def test_429_with_retry_after_is_waited_out_and_retried(fake, client_for):
    fake.seed(products=2, variants=1, orders=0)
    fake.fail_next(429, salla_error(429, "Too Many Attempts."), headers={"Retry-After": "1"})
    store, credentials = connected(fake)
    started = time.monotonic()
    page = await client_for(fake).fetch_products(store, credentials, cursor=None, updated_since=None)

    assert len(page.items) == 2
    assert time.monotonic() - started >= 0.9
    assert len(fake.api_requests("/products")) == 2


async def test_429_longer_than_the_client_waits_raises_rate_limited(fake, client_for):
    fake.fail_next(429, salla_error(429, "Too Many Attempts."), headers={"Retry-After": "90"})
    store, credentials = connected(fake)
    with pytest.raises(RateLimited) as caught:
        await client_for(fake).fetch_products(store, credentials, cursor=None, updated_since=None)
    assert caught.value.retry_after == 90


# --- tokens -------------------------------------------------------------------------------


async def test_refresh_rotates_the_pair_and_a_replayed_refresh_token_revokes_both(fake, client_for):
    store, old = connected(fake)
    client = client_for(fake)
    new = await client.refresh(store, old)

    assert new.access_token != old.access_token and new.refresh_token not in (None, old.refresh_token)
    assert abs(new.expires_at - (datetime.now(UTC) + timedelta(days=14))) < timedelta(minutes=1)
    await client.fetch_products(store, new, cursor=None, updated_since=None)

    with pytest.raises(CredentialsRejected):
        await client.refresh(store, old)  # the old refresh token was single-use
    with pytest.raises(CredentialsRejected, match="The access token is invalid"):
        await client.fetch_products(store, new, cursor=None, updated_since=None)  # ... and the replay revoked all
    assert fake.revocations == 1


async def test_expired_access_token_is_rejected_and_a_refresh_recovers(fake, client_for):
    store, credentials = connected(fake)
    client = client_for(fake)
    fake.expire_access_tokens()
    with pytest.raises(CredentialsRejected):
        await client.fetch_orders(store, credentials, cursor=None, updated_since=None)

    fresh = await client.refresh(store, credentials)
    assert (await client.fetch_orders(store, fresh, cursor=None, updated_since=None)).next_cursor is None


async def test_unknown_token_and_missing_scope_are_credentials_rejected(fake, client_for):
    store, _ = connected(fake)
    client = client_for(fake)
    with pytest.raises(CredentialsRejected, match="The access token is invalid"):
        await client.fetch_products(store, Credentials(access_token="not-a-token"), cursor=None, updated_since=None)
    _, products_only = connected(fake, scope="offline_access products.read")
    with pytest.raises(CredentialsRejected, match="orders.read"):
        await client.fetch_orders(store, products_only, cursor=None, updated_since=None)


# --- failures -----------------------------------------------------------------------------


async def test_server_errors_are_retried_for_reads(fake, client_for):
    fake.seed(products=1, variants=1, orders=0)
    fake.fail_next(503, times=2)
    store, credentials = connected(fake)
    page = await client_for(fake).fetch_products(store, credentials, cursor=None, updated_since=None)
    assert len(page.items) == 1 and len(fake.api_requests("/products")) == 3


async def test_persistent_server_errors_are_retryable_and_validation_errors_are_not(fake, client_for):
    store, credentials = connected(fake)
    client = client_for(fake)
    fake.fail_next(500, times=3)
    with pytest.raises(PlatformError) as server_error:
        await client.fetch_products(store, credentials, cursor=None, updated_since=None)
    assert (server_error.value.retryable, server_error.value.status) == (True, 500)

    fake.fail_next(422, salla_error(422, "alert.invalid_fields", {"per_page": ["per page is invalid"]}))
    with pytest.raises(PlatformError, match="per page is invalid") as invalid:
        await client.fetch_products(store, credentials, cursor=None, updated_since=None)
    assert (invalid.value.retryable, invalid.value.status) == (False, 422)


async def test_temporary_abuse_block_is_retryable(fake, client_for):
    fake.fail_next(403, salla_error(403, "Access temporarily restricted"))
    store, credentials = connected(fake)
    with pytest.raises(PlatformError) as caught:
        await client_for(fake).fetch_products(store, credentials, cursor=None, updated_since=None)
    assert caught.value.retryable and not isinstance(caught.value, CredentialsRejected)


async def test_malformed_answers_are_platform_errors(fake, client_for):
    store, credentials = connected(fake)
    client = client_for(fake)
    fake.fail_next(200, "<html>maintenance</html>")
    with pytest.raises(PlatformError, match="not JSON"):
        await client.fetch_products(store, credentials, cursor=None, updated_since=None)
    fake.fail_next(200, {"status": 200, "success": True, "data": [{"id": 1, "name": "بلا سعر"}]})
    with pytest.raises(PlatformError, match="product without a price"):
        await client.fetch_products(store, credentials, cursor=None, updated_since=None)


async def test_redirect_to_another_host_is_refused(fake, client_for):
    fake.redirect_next("http://localhost:9/admin/v2/products")
    store, credentials = connected(fake)
    with pytest.raises(RedirectRefused):
        await client_for(fake).fetch_products(store, credentials, cursor=None, updated_since=None)


async def test_oversized_answer_is_refused(fake, client_for):
    fake.huge_next(512 * 1024)
    store, credentials = connected(fake)
    with pytest.raises(ResponseTooLarge):
        await client_for(fake, max_bytes=64 * 1024).fetch_products(store, credentials, cursor=None, updated_since=None)


async def test_stalled_answer_times_out_and_one_stall_is_retried(fake, client_for):
    fake.seed(products=1, variants=1, orders=0)
    store, credentials = connected(fake)
    client = client_for(fake, timeout=0.3, attempts=2)
    fake.stall_next(60, times=2)  # far longer than the test: only the client's timeout can end each try
    with pytest.raises(Unreachable):
        await client.fetch_products(store, credentials, cursor=None, updated_since=None)
    assert fake.stalled == 2
    fake.stall_next(60)
    assert len((await client.fetch_products(store, credentials, cursor=None, updated_since=None)).items) == 1
    assert fake.stalled == 3


# --- connecting ---------------------------------------------------------------------------


async def test_oauth_code_exchange_then_store_info(fake, client_for):
    client = client_for(fake)
    url = client.authorize_url(state="a1b2-c3d4", redirect_uri=CALLBACK)
    query = parse_qs(urlsplit(url).query)
    assert query["scope"] == ["offline_access products.read orders.read webhooks.read_write"]
    assert (query["client_id"], query["response_type"]) == ([CLIENT_ID], ["code"])

    async with httpx.AsyncClient(trust_env=False) as browser:
        approved = await browser.get(url)
    assert approved.status_code == 302
    location = urlsplit(approved.headers["location"])
    back = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    assert back["state"] == ["a1b2c3d4"] and state_matches("a1b2-c3d4", back["state"][0])

    credentials = await client.exchange_code(code=back["code"][0], redirect_uri=CALLBACK)
    assert credentials.refresh_token and credentials.expires_at > datetime.now(UTC) + timedelta(days=13)
    info = await client.store_info(credentials)
    assert (info.domain, info.name, info.currency) == ("1305146709", "متجر الواحة", "SAR")

    with pytest.raises(CredentialsRejected):  # codes are single-use
        await client.exchange_code(code=back["code"][0], redirect_uri=CALLBACK)


async def test_store_info_reads_user_info_without_the_data_envelope(client_for):
    with FakeSalla(userinfo_envelope=False, merchant_id=847769313) as fake:
        _, credentials = connected(fake)
        assert (await client_for(fake).store_info(credentials)).domain == "847769313"


async def test_a_wrong_client_secret_is_not_blamed_on_the_merchant(fake, client_for):
    client = client_for(fake, salla_client_secret="wrong")
    with pytest.raises(PlatformError) as caught:
        await client.exchange_code(code="whatever", redirect_uri=CALLBACK)
    assert not isinstance(caught.value, CredentialsRejected) and caught.value.status == 401


# --- webhooks -----------------------------------------------------------------------------


HOOKS = "https://api.adly.test/v1/stores/webhooks/salla/0b7c3a52-2f7e-4d4e-9d55-6c1f3f4b1a10"
STORE_SECRET = "5f" * 32


def with_secret(credentials: Credentials, secret: str = STORE_SECRET) -> Credentials:
    return replace(credentials, extra={**credentials.extra, "webhook_secret": secret})


@pytest.mark.parametrize("keyed_by_url", [False, True], ids=["keyed-by-url-and-event", "keyed-by-url"])
async def test_each_event_has_its_own_url_and_the_stores_secret_set_by_update(client_for, keyed_by_url):
    with FakeSalla(keyed_by_url=keyed_by_url) as fake:
        store, credentials = connected(fake)
        client = client_for(fake)
        ids = await client.subscribe_webhooks(store, with_secret(credentials), HOOKS)

        assert [(b["event"], b["url"]) for b in fake.subscribe_bodies] == [(e, f"{HOOKS}/{e}") for e in WEBHOOK_EVENTS]
        assert not any({"secret", "security_strategy"} & set(body) for body in fake.subscribe_bodies)
        assert fake.update_bodies == [(int(i), {"security_strategy": "signature", "secret": STORE_SECRET}) for i in ids]
        assert {fake.secret_of(i) for i in ids} == {STORE_SECRET} and len(fake.webhooks) == len(WEBHOOK_EVENTS)
        listed = fake.api_requests("/webhooks")
        assert listed and fake.requests.index(listed[-1]) > fake.requests.index(fake.api_requests(f"/webhooks/{ids[-1]}")[-1])

        assert await client.subscribe_webhooks(store, with_secret(credentials), HOOKS) == ids  # reconnecting
        assert len(fake.webhooks) == len(WEBHOOK_EVENTS)
        await client.unsubscribe_webhooks(store, credentials, ids)
        assert fake.webhooks == {} and sorted(fake.unsubscribed) == sorted(ids)
        await client.unsubscribe_webhooks(store, credentials, ids[:1])  # already gone: fine


async def test_where_salla_keys_subscriptions_by_url_one_url_for_all_events_would_keep_only_the_last(client_for):
    with FakeSalla(keyed_by_url=True) as fake:
        store, credentials = connected(fake)
        client = client_for(fake)
        first = await client._subscribe(store, credentials, "product.updated", HOOKS)
        second = await client._subscribe(store, credentials, "order.created", HOOKS)
        assert first == second and [w["event"] for w in fake.webhooks.values()] == ["order.created"]


async def test_deliveries_are_signed_with_the_secret_set_on_the_subscription_and_only_that_verifies(client_for):
    with FakeSalla() as fake:
        fake.seed(products=1, variants=1, orders=1)
        store, credentials = connected(fake)
        await client_for(fake).subscribe_webhooks(store, with_secret(credentials), HOOKS)
        (url, headers, body), = fake.deliveries("order.created", fake.order_payload(2116149701))
        assert url == f"{HOOKS}/order.created" and headers["X-Salla-Security-Strategy"] == "Signature"
        assert verify_webhook(headers, body, STORE_SECRET, token_allowed=False)
        assert not verify_webhook(headers, body, WEBHOOK_SECRET)  # the app's secret signs none of these
        (_, tampered_headers, tampered), = fake.deliveries("order.created", fake.order_payload(2116149701), tamper=True)
        assert not verify_webhook(tampered_headers, tampered, STORE_SECRET, token_allowed=False)


async def test_a_subscription_whose_secret_was_never_set_signs_with_one_nobody_was_told(client_for):
    with FakeSalla() as fake:
        store, credentials = connected(fake)
        await client_for(fake)._subscribe(store, credentials, "order.created", f"{HOOKS}/order.created")
        (_, headers, body), = fake.deliveries("order.created", {"id": 1})
        assert not any(verify_webhook(headers, body, s) for s in (STORE_SECRET, WEBHOOK_SECRET))


async def test_the_token_strategy_is_refused_where_a_signature_is_required():
    headers = {"X-Salla-Security-Strategy": "Token", "Authorization": f"Bearer {STORE_SECRET}"}
    assert verify_webhook(headers, b"{}", STORE_SECRET)
    assert not verify_webhook(headers, b"{}", STORE_SECRET, token_allowed=False)


@pytest.mark.parametrize("misbehaving", [{"unlisted": frozenset({"order.updated"})},
                                         {"default_strategy": "token", "applies_updates": False}],
                         ids=["a-subscription-not-listed", "left-on-the-token-strategy"])
async def test_subscriptions_salla_does_not_list_signed_are_all_removed_and_subscribing_fails(client_for, misbehaving):
    with FakeSalla(**misbehaving) as fake:
        store, credentials = connected(fake)
        with pytest.raises(PlatformError, match="order.updated|not signed"):
            await client_for(fake).subscribe_webhooks(store, with_secret(credentials), HOOKS)
        assert fake.webhooks == {} and len(fake.unsubscribed) == len(WEBHOOK_EVENTS)


async def test_a_list_without_strategies_is_checked_on_urls_and_events_alone(client_for):
    with FakeSalla(lists_strategy=False) as fake:
        store, credentials = connected(fake)
        ids = await client_for(fake).subscribe_webhooks(store, with_secret(credentials), HOOKS)
        assert len(ids) == len(WEBHOOK_EVENTS)


async def test_subscribing_without_the_stores_secret_is_refused_before_any_call(fake, client_for):
    store, credentials = connected(fake)
    with pytest.raises(PlatformError, match="webhook_secret"):
        await client_for(fake).subscribe_webhooks(store, credentials, HOOKS)
    assert fake.api_requests("/webhooks/subscribe") == []


async def test_a_refresh_keeps_the_stores_webhook_secret(fake, client_for):
    store, credentials = connected(fake)
    fresh = await client_for(fake).refresh(store, with_secret(credentials))
    assert fresh.access_token != credentials.access_token and fresh.extra["webhook_secret"] == STORE_SECRET


class Receiver(FakeServer):
    """Where the fake Salla delivers webhooks: keeps the raw bytes and headers."""

    def __init__(self) -> None:
        super().__init__()
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        self.app = FastAPI()

        @self.app.post("/webhooks/salla")
        async def receive(request: Request) -> Response:
            self.deliveries.append((dict(request.headers), await request.body()))
            return Response(status_code=200)


async def test_a_delivery_from_salla_verifies_on_raw_bytes_and_parses(fake):
    fake.seed(products=2, variants=2, orders=1)
    with Receiver() as receiver:
        url = f"{receiver.url}/webhooks/salla"
        await fake.send_webhook(url, "order.created", fake.order_payload(2116149701))
        await fake.send_webhook(url, "order.created", fake.order_payload(2116149701), tamper=True)

    (good_headers, good_body), (bad_headers, bad_body) = receiver.deliveries
    assert verify_webhook(good_headers, good_body, WEBHOOK_SECRET)
    assert not verify_webhook(bad_headers, bad_body, WEBHOOK_SECRET)
    change = parse_webhook(good_headers, good_body, hash_customer=hash_customer)
    assert change.kind == ChangeKind.ORDER_UPSERTED and change.order.external_id == "2116149701"
