"""`api_requests_total{method,endpoint,status}`: one series per route template, whatever the path names."""

import uuid

import httpx
from fastapi import APIRouter
from prometheus_client.parser import text_string_to_metric_families

from adly_events import EventCatalog
from adly_kit.app import create_app
from adly_kit.errors import NotFound
from adly_kit.service import Runtime, Service
from adly_kit.settings import ServiceSettings

THINGS = "/v1/workspaces/{workspace_id}/things/{number}"


def routes() -> APIRouter:
    things = APIRouter(prefix="/v1/workspaces/{workspace_id}/things")

    @things.get("/{number}")
    async def thing(workspace_id: uuid.UUID, number: int) -> dict[str, int]:
        if number < 0:
            raise NotFound("No such thing.")
        if number == 13:
            raise RuntimeError("unlucky")
        return {"number": number}

    service_routes = APIRouter()  # as every service nests its parts in one router
    service_routes.include_router(things)
    outer = APIRouter(prefix="/outer")
    outer.include_router(things)
    service_routes.include_router(outer)
    return service_routes


def app():
    name = f"m{uuid.uuid4().hex[:8]}"
    # Nothing here reaches a database or broker: the engine and the broker connect lazily.
    settings = ServiceSettings(service_name=name, database_url="postgresql://adly@127.0.0.1:9/none",
                               kafka_bootstrap_servers="127.0.0.1:9")
    return create_app(Runtime(Service(name=name, catalog=EventCatalog(), migrations="", routers=[routes()]), settings),
                      ("api",))


def requests_counted(scraped: str) -> dict[tuple[str, str, str], float]:
    family = next(f for f in text_string_to_metric_families(scraped) if f.name == "api_requests")
    return {(s.labels["method"], s.labels["endpoint"], s.labels["status"]): s.value
            for s in family.samples if s.name == "api_requests_total"}


async def scrape_after(*paths: str) -> dict[tuple[str, str, str], float]:
    transport = httpx.ASGITransport(app=app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as http:
        before = requests_counted((await http.get("/metrics/")).text)
        for path in paths:
            await http.get(path)
        after = requests_counted((await http.get("/metrics/")).text)
    return {key: value - before.get(key, 0) for key, value in after.items() if value != before.get(key, 0)}


async def test_requests_are_counted_by_route_template_not_by_raw_path():
    counted = await scrape_after(*(f"/v1/workspaces/{uuid.uuid4()}/things/{n}" for n in (1, 2, 3)))
    assert counted == {("GET", THINGS, "200"): 3, ("GET", "/metrics", "200"): 1}


async def test_refusals_errors_and_unknown_paths_are_counted_with_their_status():
    workspace = uuid.uuid4()
    counted = await scrape_after(f"/v1/workspaces/{workspace}/things/-1", f"/v1/workspaces/{workspace}/things/13",
                                 f"/v1/workspaces/{workspace}/things/x", f"/no/such/{uuid.uuid4()}")
    assert counted == {("GET", THINGS, "404"): 1, ("GET", THINGS, "500"): 1, ("GET", THINGS, "422"): 1,
                       ("GET", "unmatched", "404"): 1, ("GET", "/metrics", "200"): 1}


async def test_a_route_of_a_router_nested_under_a_prefix_is_named_with_the_whole_template():
    counted = await scrape_after(f"/outer/v1/workspaces/{uuid.uuid4()}/things/1")
    assert ("GET", "/outer" + THINGS, "200") in counted
