"""A Salla store connected through the catalog's routes (real Postgres, the fake Salla over real
HTTP): each event subscribed at the store's own URL and signed with a secret ADLY keeps sealed
with the store's credentials; deliveries verify with that secret and nothing else."""

from __future__ import annotations

from urllib.parse import urlsplit
from uuid import UUID

import httpx
import pytest

from adly_catalog.adapters.platforms.salla import WEBHOOK_EVENTS
from tests.fakes.salla import FakeSalla

PRODUCT = 1672932001  # the first seeded product


@pytest.fixture
def salla():
    with FakeSalla(rate_limit=10_000) as fake:
        fake.seed(products=2, variants=1, orders=1)
        yield fake


@pytest.fixture
def catalog_overrides(salla) -> dict:
    return {"salla_api_url": salla.api_url, "salla_accounts_url": salla.url, "salla_client_id": salla.client_id,
            "salla_client_secret": salla.client_secret, "salla_webhook_secret": salla.webhook_secret}


@pytest.fixture
def catalog_roles() -> tuple[str, ...]:
    return ("api",)  # the first sync stays queued: only webhooks change the mirror here


async def connect(catalog, salla: FakeSalla) -> UUID:
    started = await catalog.client.post(catalog.path("/connections"), json={"platform": "salla"},
                                        headers=catalog.identity())
    assert started.status_code == 201, started.text
    async with httpx.AsyncClient() as browser:
        consent = await browser.get(started.json()["authorize_url"])
    back = urlsplit(consent.headers["location"])  # to ADLY's public callback
    done = await catalog.client.get(f"{back.path}?{back.query}")
    assert done.status_code == 303 and "connected=salla" in done.headers["location"], done.headers["location"]
    return UUID(done.headers["location"].split("/stores/")[1].split("?")[0])


async def post(catalog, url: str, headers: dict[str, str], body: bytes) -> httpx.Response:
    return await catalog.client.post(urlsplit(url).path, content=body, headers=headers)


async def product_name(catalog, store_id: UUID) -> str | None:
    rows = await catalog.rows("SELECT data FROM {s}.products WHERE store_id = :s AND external_id = :e",
                              s=store_id, e=str(PRODUCT))
    return rows[0][0]["name"] if rows else None


async def webhook_secret(catalog, store_id: UUID) -> str:
    async with catalog.runtime.engine.connect() as conn:
        credentials = await catalog.adapters.vault.load(conn, catalog.workspace_id, store_id)
    return credentials.extra["webhook_secret"]


async def test_each_event_is_subscribed_at_the_stores_own_url_signed_with_its_sealed_secret(catalog, salla):
    store_id = await connect(catalog, salla)
    secret = await webhook_secret(catalog, store_id)
    base = f"{catalog.settings.public_api_url}/v1/stores/webhooks/salla/{store_id}"
    assert sorted((w["event"], w["url"]) for w in salla.webhooks.values()) == sorted(
        (e, f"{base}/{e}") for e in WEBHOOK_EVENTS)
    assert {salla.secret_of(w) for w in salla.webhooks} == {secret}
    (held,), = await catalog.rows("SELECT webhook_ids FROM {s}.stores WHERE id = :id", id=store_id)
    assert sorted(held) == sorted(str(w) for w in salla.webhooks)
    (sealed,), = await catalog.rows("SELECT sealed FROM {s}.store_credentials WHERE store_id = :id", id=store_id)
    assert secret not in sealed


async def test_a_delivery_verifies_only_with_the_stores_secret_on_the_stores_own_url(catalog, salla):
    store_id = await connect(catalog, salla)
    salla.update_product(PRODUCT, name="عباية مطرزة")
    payload = salla.product_payload(PRODUCT)

    (url, headers, body), = salla.deliveries("product.updated", payload, tamper=True)
    assert (await post(catalog, url, headers, body)).status_code == 401
    forged_headers, forged = salla.webhook_delivery("product.updated", payload)  # the app's secret, not the store's
    assert (await post(catalog, url, forged_headers, forged)).status_code == 401
    token_headers, token_body = salla.webhook_delivery("product.updated", payload, strategy="Token",
                                                       secret=await webhook_secret(catalog, store_id))
    assert (await post(catalog, url, token_headers, token_body)).status_code == 401  # we set Signature: only that
    assert await product_name(catalog, store_id) is None

    (url, headers, body), = salla.deliveries("product.updated", payload)
    answered = await post(catalog, url, headers, body)
    assert answered.status_code == 200 and answered.json() == {"status": "applied"}
    assert await product_name(catalog, store_id) == "عباية مطرزة"
    again = await post(catalog, url, headers, body)
    assert again.json() == {"status": "duplicate"}


async def test_a_delivery_to_one_stores_url_naming_another_merchant_is_refused(catalog, salla):
    store_id = await connect(catalog, salla)
    (url, headers, body), = salla.deliveries("product.updated", salla.product_payload(PRODUCT), merchant=99)
    refused = await post(catalog, url, headers, body)
    assert refused.status_code == 400 and "another store" in refused.json()["detail"]
    assert await product_name(catalog, store_id) is None


async def test_fresh_tokens_delivered_to_the_app_url_keep_the_stores_webhook_secret(catalog, salla):
    store_id = await connect(catalog, salla)
    secret = await webhook_secret(catalog, store_id)
    tokens = salla.issue_tokens()
    headers, body = salla.webhook_delivery("app.store.authorize", tokens)  # app events: the app's secret
    answered = await catalog.client.post("/v1/stores/webhooks/salla", content=body, headers=headers)
    assert answered.status_code == 200, answered.text
    async with catalog.runtime.engine.connect() as conn:
        stored = await catalog.adapters.vault.load(conn, catalog.workspace_id, store_id)
    assert stored.access_token == tokens["access_token"] and stored.extra["webhook_secret"] == secret
    (url, headers, body), = salla.deliveries("product.updated", salla.product_payload(PRODUCT))
    assert (await post(catalog, url, headers, body)).json() == {"status": "applied"}


async def test_a_store_whose_subscriptions_salla_does_not_list_connects_without_webhooks(catalog, salla):
    salla.unlisted.add("order.created")
    store_id = await connect(catalog, salla)
    (held,), = await catalog.rows("SELECT webhook_ids FROM {s}.stores WHERE id = :id", id=store_id)
    assert held == [] and salla.webhooks == {}  # what was made is gone again; syncs still run on schedule
    (state,), = await catalog.rows("SELECT state FROM {s}.syncs WHERE store_id = :id", id=store_id)
    assert state == "queued"
