"""Run a fake's ASGI app on 127.0.0.1 in a background thread, from sync or async code."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeServer:
    """Subclasses build `self.app` (FastAPI/Starlette) before `start()`.

    Usable as `with Fake() as fake:` or `async with Fake() as fake:`; `fake.url` is its base URL.
    The server has its own thread and event loop, so a test's loop blocking on the client
    never starves the fake, and the bench can run one beside a measured process."""

    app = None

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FakeServer:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_config=None, access_log=False,
                                timeout_graceful_shutdown=1, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=lambda: asyncio.run(self._server.serve()), daemon=True,
                                        name=f"fake-{type(self).__name__}")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"{type(self).__name__} did not start on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *_) -> None:
        self.stop()

    async def __aenter__(self):
        return self.start()

    async def __aexit__(self, *_) -> None:
        await asyncio.to_thread(self.stop)


async def hold(request, *, seconds: float | None = None, until: threading.Event | None = None) -> bool:
    """Hold an answer back until `seconds` have passed or `until` is set, or the client hangs
    up (it timed out): True if it is still there to answer. The request's body is read first,
    so what is left to receive is the hang-up, and the route still gets the body."""
    await request.body()
    loop = asyncio.get_running_loop()
    deadline = None if seconds is None else loop.time() + seconds
    while (deadline is None or loop.time() < deadline) and not (until is not None and until.is_set()):
        if await request.is_disconnected():
            return False
        await asyncio.sleep(0.01)
    return True
