"""A running service as the kit builds it: HTTP before its consumer groups have joined,
metrics off the app's port, domain errors as problem+json."""

import asyncio

import httpx
import pytest
from fastapi import APIRouter
from pydantic import ValidationError

from adly_gateway.settings import GatewaySettings
from adly_kit.app import create_app
from adly_kit.devstack._process import free_port
from adly_kit.errors import NotFound
from adly_kit.service import ROLES, Delivery, Runtime, Service, Subscription
from adly_kit.testing.sample import ItemCounted, counted, new_aggregate


def things() -> APIRouter:
    router = APIRouter()

    @router.get("/things/{number}")
    async def thing(number: int) -> dict[str, int]:
        if number < 0:
            raise NotFound("No such thing.", field="path/number")
        return {"number": number}

    return router


def client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service")


async def test_http_is_served_while_the_consumer_groups_are_still_joining(backbone):
    """A restarted service used to wait 20-30 s for its groups before serving HTTP: the join
    is held here until the test has been served, so the order is the test's, not the machine's."""
    applied: asyncio.Queue[int] = asyncio.Queue()
    counter = Subscription("counter", backbone.catalog)

    @counter.on(ItemCounted)
    async def apply(event: ItemCounted, delivery: Delivery[object]) -> None:
        await applied.put(event.amount)

    service = Service(name=backbone.settings.service_name, catalog=backbone.catalog, migrations="",
                      routers=[things()], subscriptions=[counter])
    runtime = Runtime(service, backbone.settings)
    joining, let_join = asyncio.Event(), asyncio.Event()
    join = runtime.broker.start

    async def held_join() -> None:
        joining.set()
        await let_join.wait()
        await join()

    runtime.broker.start = held_join  # the real join, held at its start
    app = create_app(runtime, ROLES)
    await runtime.start(ROLES)
    try:
        await joining.wait()
        async with client(app) as http:
            ready = await http.get("/ready")
            assert ready.status_code == 200, ready.text
            assert ready.json()["consumers"] == "joining"
            assert (await http.get("/things/3")).json() == {"number": 3}
            missing = await http.get("/things/-1")
            assert missing.status_code == 404
            assert missing.headers["content-type"] == "application/problem+json"
            assert missing.json()["code"] == "not-found"
            assert missing.json()["errors"] == [{"path": "path/number", "message": "No such thing."}]

            # Appended while the group was still joining, applied once it has joined.
            async with runtime.engine.begin() as tx:
                await runtime.store.append(tx, counted(backbone.catalog, new_aggregate(), range(1, 2)), expected_version=0)
            let_join.set()
            assert await asyncio.wait_for(applied.get(), timeout=120) == 1
            assert (await http.get("/ready")).json()["consumers"] == "joined"
    finally:
        await runtime.stop()


async def test_metrics_are_served_on_their_own_port_and_not_on_the_app(backbone):
    port = free_port()
    settings = backbone.settings.model_copy(update={"metrics_port": port})
    runtime = Runtime(Service(name=settings.service_name, catalog=backbone.catalog, migrations=""), settings)
    app = create_app(runtime, ("api",))
    async with app.router.lifespan_context(app):
        async with client(app) as http:
            assert (await http.get("/metrics/")).status_code == 404
            assert (await http.get("/metrics")).status_code == 404
        async with httpx.AsyncClient() as scraper:
            scraped = await scraper.get(f"http://127.0.0.1:{port}/metrics")
        assert scraped.status_code == 200
        assert "adly_events_appended_total" in scraped.text


async def test_without_a_metrics_port_the_app_serves_them(backbone):
    runtime = Runtime(Service(name=backbone.settings.service_name, catalog=backbone.catalog, migrations=""),
                      backbone.settings)
    async with client(create_app(runtime, ("api",))) as http:
        scraped = await http.get("/metrics/")
    assert scraped.status_code == 200 and "adly_events_appended_total" in scraped.text


def test_the_gateway_never_serves_metrics_on_its_public_port(service_settings):
    common = {"database_url": service_settings.database_url,
              "kafka_bootstrap_servers": service_settings.kafka_bootstrap_servers}
    assert GatewaySettings(**common).metrics_port == 0
    with pytest.raises(ValidationError, match="ADLY_METRICS_PORT"):
        GatewaySettings(**common, metrics_port=None)


async def test_a_sandbox_process_says_so_on_every_answer(backbone):
    settings = backbone.settings.model_copy(update={"sandbox": True})
    runtime = Runtime(Service(name=settings.service_name, catalog=backbone.catalog, migrations="",
                              routers=[things()]), settings)
    app = create_app(runtime, ("api",))
    async with app.router.lifespan_context(app), client(app) as http:
        ready, thing, missing = await http.get("/ready"), await http.get("/things/1"), await http.get("/things/-1")
    assert ready.json()["sandbox"] is True
    assert {a.headers.get("x-adly-sandbox") for a in (ready, thing, missing)} == {"true"}


def test_production_refuses_a_sandbox_process(service_settings):
    with pytest.raises(ValidationError, match="ADLY_SANDBOX"):
        service_settings.model_validate(service_settings.model_dump() | {
            "environment": "production", "sandbox": True, "internal_identity_key": "k" * 40,
            "encryption_keys": "prod1:" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="})
