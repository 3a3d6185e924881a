"""A merchant's whole store journey through the gateway, on each platform, against its fake:
connect -> full sync -> webhook -> incremental sync -> disconnect, on real Postgres and the
real broker, with the catalog, auth and the gateway running as processes.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from adly_kit.testing.plugin import read_topic
from tests.e2e.conftest import People, Stack, eventually, report

PLATFORMS = ["shopify", "woocommerce", "salla", "zid"]


def run(coroutine):
    return asyncio.run(coroutine)


class Merchant:
    """An owner with 2FA in a workspace of their own, and the store paths of that workspace."""

    def __init__(self, e2e: Stack, people: People) -> None:
        self.e2e, self.owner = e2e, people.owner
        self.workspace = e2e.create_workspace(self.owner)

    def call(self, method: str, tail: str = "", *, proof: bool = False, **kwargs) -> httpx.Response:
        token = self.e2e.two_factor_token(self.owner) if proof else None
        return self.e2e.request(method, f"/v1/workspaces/{self.workspace}/stores{tail}", who=self.owner, proof=token,
                                **kwargs)

    def authorize(self, body: dict) -> str:
        started = self.call("POST", "/connections", proof=True, json=body)
        assert started.status_code == 201, started.text
        return started.json()["authorize_url"]

    def follow_consent(self, authorize_url: str) -> str:
        """The merchant approves on the platform, which sends the browser back to ADLY's callback
        (on the gateway); ADLY sends it on to the app with the new store's id."""
        consent = httpx.get(authorize_url, follow_redirects=False, timeout=15)
        assert consent.status_code in (302, 303), consent.text
        callback = consent.headers["location"]
        assert callback.startswith(self.e2e.gateway_url + "/v1/stores/oauth/")
        back = self.e2e.http.get(callback.removeprefix(self.e2e.gateway_url), follow_redirects=False)
        assert back.status_code == 303, back.text
        assert "connected=" in back.headers["location"], back.headers["location"]
        return back.headers["location"].split("/stores/")[1].split("?")[0]

    def latest_sync(self, store_id: str, *, after: str | None = None, timeout: float = 60) -> dict:
        def finished():
            syncs = self.call("GET", f"/{store_id}/syncs").json()
            newest = syncs[0] if syncs else None
            if newest and newest["id"] != after and newest["state"] not in ("queued", "running"):
                return newest
            return None

        sync = eventually(finished, timeout=timeout, interval=0.2)
        assert sync, f"no sync of {store_id} finished in {timeout:.0f}s"
        return sync

    def products(self, store_id: str) -> list[dict]:
        items, after = [], None
        while True:
            page = self.call("GET", f"/{store_id}/products", params={"limit": 100, **({"after": after} if after else {})})
            assert page.status_code == 200, page.text
            items += page.json()["items"]
            after = page.json()["next_after"]
            if after is None:
                return items

    def product(self, store_id: str, external_id: str) -> dict | None:
        return next((p for p in self.products(store_id) if p["external_id"] == external_id), None)


def connect(merchant: Merchant, platform: str, fake) -> str:
    if platform == "shopify":
        return merchant.follow_consent(merchant.authorize({"platform": "shopify", "shop": fake.shop}))
    if platform == "woocommerce":
        key, secret = fake.add_key()
        created = merchant.call("POST", "", proof=True, json={"platform": "woocommerce", "site_url": fake.site_url,
                                                               "consumer_key": key, "consumer_secret": secret})
        assert created.status_code == 201, created.text
        return created.json()["id"]
    return merchant.follow_consent(merchant.authorize({"platform": platform}))


def rename(platform: str, fake, external_id: str, name: str) -> None:
    """Rename a product on the platform, the way each platform's data holds a name."""
    if platform == "shopify":
        fake.update_product(external_id, title=name)
    elif platform == "woocommerce":
        fake.update_product(int(external_id), name=name)
    elif platform == "salla":
        fake.update_product(int(external_id), name=name)
    else:
        fake.update_product(external_id, name={"ar": name, "en": name})


def change_a_product(platform: str, fake, merchant: Merchant, store_id: str, *, skip: str | None = None,
                     name: str = "Renamed by the merchant") -> tuple[str, str]:
    """Rename one product on the platform; (its external id, the new name)."""
    candidates = sorted((p for p in merchant.products(store_id) if p["external_id"] != skip), key=lambda p: p["external_id"])
    external_id = candidates[0]["external_id"]
    rename(platform, fake, external_id, name)
    return external_id, name


def name_of(product: dict) -> str:
    return product["data"]["name"]


def deliver_product_webhook(platform: str, fake, e2e: Stack, external_id: str, *, tamper: bool = False):
    webhooks = f"{e2e.gateway_url}/v1/stores/webhooks"
    if platform == "shopify":
        return [run(fake.send_webhook(f"{webhooks}/shopify", "products/update", fake.rest_product(external_id),
                                      tamper=tamper))]
    if platform == "woocommerce":
        hooks = [h for h in list(fake.webhooks.values()) if h["topic"] == "product.updated" and h["status"] == "active"]
        return [run(fake.send_webhook(h["delivery_url"], "product.updated", fake.product_payload(int(external_id)),
                                      webhook_id=h["id"], tamper=tamper)) for h in hooks]
    if platform == "salla":
        return [run(fake.send_webhook(f"{webhooks}/salla", "product.updated", fake.product_payload(int(external_id)),
                                      tamper=tamper))]
    return run(fake.deliver("product.update", fake.product_payload(external_id), tamper=tamper))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_store_connects_syncs_takes_webhooks_and_disconnects_through_the_gateway(e2e: Stack, people: People, platform):
    fake = e2e.platforms[platform]
    merchant = Merchant(e2e, people)

    store_id = connect(merchant, platform, fake)
    store = merchant.call("GET", f"/{store_id}").json()
    assert (store["platform"], store["status"]) == (platform, "connected")

    full = merchant.latest_sync(store_id)
    assert full["state"] == "completed", full
    assert full["kind"] == "full"
    synced = merchant.products(store_id)
    assert len(synced) == full["progress"]["products"]["seen"] > 0
    assert all(v["price"]["currency"] == store["currency"] for p in synced for v in p["data"]["variants"])

    external_id, name = change_a_product(platform, fake, merchant, store_id)
    refused = deliver_product_webhook(platform, fake, e2e, external_id, tamper=True)
    assert {r.status_code for r in refused} == {401}
    assert name_of(merchant.product(store_id, external_id)) != name
    answered = deliver_product_webhook(platform, fake, e2e, external_id)
    assert {r.status_code for r in answered} == {200}, [r.text for r in answered]
    report(f"{platform} webhook through the gateway answered in "
           f"{max(r.elapsed.total_seconds() for r in answered) * 1000:.0f} ms (Shopify gives up at 5 s)")
    assert name_of(merchant.product(store_id, external_id)) == name
    again = deliver_product_webhook(platform, fake, e2e, external_id)
    assert {r.json()["status"] for r in again} <= {"duplicate", "applied"}

    # Another product changes with no webhook: only the incremental sync can learn of it.
    second_id, second_name = change_a_product(platform, fake, merchant, store_id, skip=external_id, name="Quietly renamed")
    started = merchant.call("POST", f"/{store_id}/syncs", json={"kind": "incremental"})
    assert started.status_code == 202, started.text
    incremental = merchant.latest_sync(store_id, after=full["id"])
    assert incremental["state"] == "completed", incremental
    assert incremental["kind"] == "incremental"
    assert name_of(merchant.product(store_id, second_id)) == second_name
    assert incremental["progress"]["products"]["changed"] >= 1

    gone = merchant.call("DELETE", f"/{store_id}", proof=True)
    assert gone.status_code == 204, gone.text
    store = merchant.call("GET", f"/{store_id}").json()
    assert (store["status"], store["disconnect_reason"]) == ("disconnected", "merchant")
    late = deliver_product_webhook(platform, fake, e2e, external_id)
    assert all(r.status_code in (200, 401) for r in late)  # refused or ignored: nothing changes any more

    events = run(read_topic(e2e.broker.bootstrap_servers, "adly.catalog.store", until=1, timeout=20))
    kinds = {(r.key.decode(), r.headers and dict(r.headers).get("adly-event-type", b"").decode()) for r in events}
    assert (store_id, "StoreConnected") in kinds and (store_id, "StoreDisconnected") in kinds


def test_a_forged_webhook_is_refused_before_anything_is_read(e2e: Stack):
    for path in ("/v1/stores/webhooks/shopify", "/v1/stores/webhooks/salla"):
        response = e2e.http.post(path, content=b'{"id": 1}', headers={"content-type": "application/json",
                                                                      "x-shopify-hmac-sha256": "AAAA",
                                                                      "x-salla-signature": "00" * 32})
        assert response.status_code == 401, response.text
        assert response.headers["content-type"].startswith("application/problem+json")


def test_a_replayed_oauth_callback_connects_nothing(e2e: Stack, people: People):
    merchant = Merchant(e2e, people)
    fake = e2e.platforms["shopify"]
    consent = httpx.get(merchant.authorize({"platform": "shopify", "shop": fake.shop}), follow_redirects=False)
    callback = consent.headers["location"].removeprefix(e2e.gateway_url)
    first = e2e.http.get(callback, follow_redirects=False)
    second = e2e.http.get(callback, follow_redirects=False)
    assert "connected=" in first.headers["location"]
    assert "error=" in second.headers["location"]
    store_id = first.headers["location"].split("/stores/")[1].split("?")[0]
    assert merchant.call("DELETE", f"/{store_id}", proof=True).status_code == 204  # the shop is free again


def test_an_uninstalled_app_disconnects_the_store_and_forgets_its_credentials(e2e: Stack, people: People):
    fake = e2e.platforms["shopify"]
    merchant = Merchant(e2e, people)
    store_id = connect(merchant, "shopify", fake)
    assert merchant.latest_sync(store_id)["state"] == "completed"
    uninstalled = run(fake.send_webhook(f"{e2e.gateway_url}/v1/stores/webhooks/shopify", "app/uninstalled",
                                        {"id": 1, "myshopify_domain": fake.shop}))
    assert uninstalled.status_code == 200, uninstalled.text
    store = merchant.call("GET", f"/{store_id}").json()
    assert (store["status"], store["disconnect_reason"]) == ("disconnected", "uninstalled")
    refused = merchant.call("POST", f"/{store_id}/syncs", json={"kind": "full"})
    assert refused.status_code == 409
