"""At most N requests worked on at once in a process; the others wait their turn, first come first served.

Why a limit helps a process that is not out of memory or connections: an asyncio process
advances every request it holds one step per turn of its loop, and a request awaits
Postgres several times. Sixteen requests that arrive together are then all finished
together, sixteen requests' CPU later. The gateway in front gets nothing back until then
and idles, and while it relays the sixteen answers this process idles in turn: on two
cores the two took turns, 61-68 % of the machine busy (docs/benchmarks.md, issue 16).
With a few at a time, answers leave in a steady stream, the process in front works on
them while this one goes on, and the first caller's wait is one request's work, not
sixteen.

A request holds its slot while this process works for it: its own CPU and its database
calls. It gives the slot up while it waits on somebody else (`waiting_elsewhere()`: a
third-party API, the gateway's upstream) and as soon as its answer starts, so a slow
platform or a long CSV stream never holds other requests up. Health, readiness and
metrics never wait: a probe stuck behind load would get a busy pod restarted.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

from prometheus_client import Gauge

ACTIVE = Gauge("adly_http_requests_active", "HTTP requests being worked on (holding one of the process's slots).")
WAITING = Gauge("adly_http_requests_waiting", "HTTP requests waiting for a slot, first come first served.")
NEVER_WAIT = frozenset({"/health", "/ready", "/metrics"})


class _Slot:
    def __init__(self, slots: asyncio.Semaphore) -> None:
        self.slots = slots
        self.held = False
        self.task = asyncio.current_task()  # the request's; tasks it starts inherit the context, not the slot

    async def take(self) -> None:
        WAITING.inc()
        try:
            await self.slots.acquire()
        finally:
            WAITING.dec()
        self.held = True
        ACTIVE.inc()

    def give_back(self) -> None:
        if self.held:
            self.held = False
            ACTIVE.dec()
            self.slots.release()


_current: ContextVar[_Slot | None] = ContextVar("adly_request_slot", default=None)


class ActiveRequests:
    """Plain ASGI middleware; `limit` 0 or less lets every request in at once."""

    def __init__(self, app, limit: int) -> None:
        self.app = app
        self.slots = asyncio.Semaphore(limit) if limit > 0 else None

    async def __call__(self, scope, receive, send) -> None:
        if self.slots is None or scope["type"] != "http" or scope["path"].rstrip("/") in NEVER_WAIT:
            return await self.app(scope, receive, send)
        slot = _Slot(self.slots)
        await slot.take()
        token = _current.set(slot)

        async def send_freeing(message) -> None:
            if message["type"] == "http.response.start":
                slot.give_back()
            await send(message)

        try:
            await self.app(scope, receive, send_freeing)
        finally:
            slot.give_back()
            _current.reset(token)


@asynccontextmanager
async def waiting_elsewhere() -> AsyncIterator[None]:
    """The request (if any) gives its slot up while the block waits on another party, and
    takes a slot again, in turn, before it goes on."""
    slot = _current.get()
    if slot is None or not slot.held or slot.task is not asyncio.current_task():
        yield
        return
    slot.give_back()
    cancelled = False
    try:
        yield
    except asyncio.CancelledError:
        cancelled = True  # nothing more will be done for it: no turn to wait for
        raise
    finally:
        if not cancelled:
            await slot.take()
