"""A process works on at most `http_max_active_requests` requests at once; the others wait their
turn in arrival order (adly_kit.active_requests). Each test decides the order of events with
signals: requests stall inside their handlers until the test lets them go."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import httpx
from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from adly_events import CATALOG
from adly_kit.active_requests import waiting_elsewhere
from adly_kit.app import create_app
from adly_kit.service import Runtime, Service
from adly_kit.settings import ServiceSettings


class Stalls:
    """Per request name: set when its handler starts, and the signal it waits for."""

    def __init__(self) -> None:
        self.entered: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.go: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.arrived: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.spawned: dict[str, asyncio.Task] = {}


def kit_app(stalls: Stalls, limit: int):
    router = APIRouter()

    @router.get("/v1/held/{name}")
    async def held(name: str) -> dict:
        stalls.entered[name].set()
        await stalls.go[name].wait()
        return {"name": name}

    @router.get("/v1/elsewhere/{name}")
    async def elsewhere(name: str) -> dict:
        stalls.entered[name].set()
        async with waiting_elsewhere():  # as a call to a third party does (adly_kit.outbound)
            await stalls.go[name].wait()
        return {"name": name}

    @router.get("/v1/spawns/{name}")
    async def spawns(name: str) -> dict:
        # A task started inside a request inherits its context; its wait must not free the request's slot.
        async def elsewhere_later() -> None:
            async with waiting_elsewhere():
                stalls.entered[name].set()
                await stalls.go[name].wait()
        stalls.spawned[name] = asyncio.create_task(elsewhere_later())
        await stalls.entered[name].wait()
        return {"name": name}

    @router.get("/v1/stream/{name}")
    async def stream(name: str) -> StreamingResponse:
        async def rows():
            yield b"first row\n"
            stalls.entered[name].set()
            await stalls.go[name].wait()
            yield b"last row\n"
        return StreamingResponse(rows(), media_type="text/csv")

    settings = ServiceSettings(service_name="kitcheck", database_url="postgresql+asyncpg://kit@127.0.0.1:1/kit",
                               kafka_bootstrap_servers="127.0.0.1:1", http_max_active_requests=limit)
    app = create_app(Runtime(Service("kitcheck", CATALOG, "", routers=[router]), settings), ("api",))

    async def arriving(scope, receive, send):
        # Outside every middleware: the request has reached the process. The task runs on
        # without a pause into the limit's queue, so once the test sees this it is in line.
        if scope["type"] == "http":
            stalls.arrived[scope["path"].rsplit("/", 1)[-1]].set()
        await app(scope, receive, send)

    return arriving


def client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kit")


async def test_requests_beyond_the_limit_wait_their_turn_in_arrival_order():
    stalls = Stalls()
    async with client(kit_app(stalls, limit=2)) as http:
        calls = {}
        for name in ("a", "b", "c", "d"):
            calls[name] = asyncio.create_task(http.get(f"/v1/held/{name}"))
            await stalls.arrived[name].wait()
        await stalls.entered["a"].wait()
        await stalls.entered["b"].wait()
        assert not stalls.entered["c"].is_set() and not stalls.entered["d"].is_set()
        stalls.go["b"].set()
        assert (await calls["b"]).json() == {"name": "b"}
        await stalls.entered["c"].wait()  # the first in line, not the last
        assert not stalls.entered["d"].is_set()
        stalls.go["a"].set()
        await stalls.entered["d"].wait()
        stalls.go["c"].set()
        stalls.go["d"].set()
        assert [(await calls[name]).status_code for name in "acd"] == [200, 200, 200]


async def test_a_request_waiting_on_a_third_party_gives_its_slot_up_and_then_takes_its_turn():
    stalls, done = Stalls(), []
    async with client(kit_app(stalls, limit=1)) as http:
        slow = asyncio.create_task(http.get("/v1/elsewhere/slow"))
        await stalls.entered["slow"].wait()
        stalls.go["quick"].set()
        async with asyncio.timeout(30):  # a bound, should the slot be kept: the order is decided above
            assert (await http.get("/v1/held/quick")).json() == {"name": "quick"}
        holder = asyncio.create_task(http.get("/v1/held/holder"))
        await stalls.entered["holder"].wait()
        # Both let go in one step, the slow one first: it resumes only once the holder is done.
        slow.add_done_callback(lambda _: done.append("slow"))
        holder.add_done_callback(lambda _: done.append("holder"))
        stalls.go["slow"].set()
        stalls.go["holder"].set()
        assert [(await slow).status_code, (await holder).status_code] == [200, 200]
        assert done == ["holder", "slow"]


async def test_an_answer_that_has_started_holds_no_slot():
    stalls = Stalls()
    async with client(kit_app(stalls, limit=1)) as http:
        export = asyncio.create_task(http.get("/v1/stream/export"))
        await stalls.entered["export"].wait()  # its first row is out, the rest waits
        stalls.go["quick"].set()
        async with asyncio.timeout(30):
            assert (await http.get("/v1/held/quick")).status_code == 200
        stalls.go["export"].set()
        assert (await export).text == "first row\nlast row\n"


async def test_probes_and_metrics_never_wait_behind_requests():
    stalls = Stalls()
    async with client(kit_app(stalls, limit=1)) as http:
        held = asyncio.create_task(http.get("/v1/held/a"))
        await stalls.entered["a"].wait()
        async with asyncio.timeout(30):
            metrics = await http.get("/metrics/")
            health = await http.get("/health")
        assert (metrics.status_code, health.status_code) == (200, 200)
        assert "adly_http_requests_active 1.0" in metrics.text
        stalls.go["a"].set()
        assert (await held).status_code == 200


async def test_a_task_a_request_starts_neither_frees_nor_keeps_the_requests_slot():
    stalls = Stalls()
    async with client(kit_app(stalls, limit=1)) as http:
        assert (await http.get("/v1/spawns/later")).status_code == 200
        stalls.go["later"].set()
        await stalls.spawned["later"]  # had it taken the slot back for itself, nothing would get in now
        stalls.go["next"].set()
        async with asyncio.timeout(30):
            assert (await http.get("/v1/held/next")).status_code == 200
