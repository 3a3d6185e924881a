"""What the AI-provider fakes (OpenAI, Anthropic, Stability, ElevenLabs) share.

A `ScriptedFake` records every request and plays scripted trouble before its normal answer:
`fail_next(status, body, headers, times)`, `rate_limit_next(retry_after, times, kind)`,
`stall_next(seconds)`, `malformed_next(kind)`, `refuse_next()` and `quota_next()`, each in the
provider's own wire form (the subclass says what its errors, throttling and moderation look
like). Knobs are set from the test's thread and consumed on the fake's; a lock keeps them whole.
A test waits on what the fake saw instead of on the clock: `wait_for_stall()` (a request is
being held back), `wait_for_hang_up()` (the client gave up on a held request before the stall
ended), and each `Recorded.at` says when a request arrived.
Normal answers are deterministic: copy built from the facts found in the prompt, PNGs of the
asked size in the first brand colour of the prompt.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from PIL import Image, ImageDraw
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.server import FakeServer

Reply = Callable[[], Response]


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    body: bytes
    json: Any = None
    form: dict[str, Any] | None = None
    at: float = 0.0                 # time.monotonic() when the request arrived

    @property
    def text(self) -> str:
        """Everything the client said, as text: to assert what reached the prompt."""
        if self.json is not None:
            return json.dumps(self.json, ensure_ascii=False)
        if self.form is not None:
            return " ".join(str(v) for v in self.form.values() if not isinstance(v, bytes))
        return self.body.decode("utf-8", errors="replace")


@dataclass
class Step:
    kind: str                       # reply | stall | malformed:<kind> | refuse
    reply: Reply | None = None
    seconds: float = 0.0


class ScriptedFake(FakeServer):
    def __init__(self, *, api_key: str = "test-key", port: int | None = None) -> None:
        super().__init__(port)
        self.api_key = api_key
        self.requests: list[Recorded] = []
        self._steps: deque[Step] = deque()
        self._lock = threading.Lock()
        self.stalling = threading.Event()    # a request is being held back (stall_next)
        self.hung_up = threading.Event()     # a client hung up on a held request before the stall ended
        self.app = Starlette(routes=self.routes())

    # -- knobs -------------------------------------------------------------------------------
    def fail_next(self, status: int, body: Any = None, headers: dict[str, str] | None = None, times: int = 1) -> None:
        self._plan(Step("reply", reply=lambda: self.error(status, body, headers)), times)

    def rate_limit_next(self, retry_after: float | None = 0.2, times: int = 1, kind: str | None = None) -> None:
        self._plan(Step("reply", reply=lambda: self.rate_limited(retry_after, kind)), times)

    def quota_next(self, times: int = 1, kind: str | None = None) -> None:
        self._plan(Step("reply", reply=lambda: self.quota_exhausted(kind)), times)

    def stall_next(self, seconds: float, times: int = 1) -> None:
        self._plan(Step("stall", seconds=seconds), times)

    def malformed_next(self, kind: str = "content", times: int = 1) -> None:
        """`content`: a well-formed response whose payload is not what was asked (prose
        instead of JSON, bytes that are no image); `body`: the HTTP body itself is cut off."""
        self._plan(Step(f"malformed:{kind}"), times)

    def refuse_next(self, times: int = 1) -> None:
        self._plan(Step("refuse"), times)

    def reset(self) -> None:
        """Forget requests and unplayed knobs: one fake can serve a whole test module."""
        with self._lock:
            self._steps.clear()
        self.requests.clear()
        self.stalling.clear()
        self.hung_up.clear()

    async def wait_for_stall(self, timeout: float = 30.0) -> bool:
        """True once a request is being held back; False if none came within `timeout`."""
        return await asyncio.to_thread(self.stalling.wait, timeout)

    async def wait_for_hang_up(self, timeout: float = 30.0) -> bool:
        """True once a client hung up on a held request (it timed out, or was cancelled)."""
        return await asyncio.to_thread(self.hung_up.wait, timeout)

    def calls(self, path_suffix: str = "") -> int:
        return sum(1 for r in self.requests if r.path.endswith(path_suffix))

    def _plan(self, step: Step, times: int) -> None:
        with self._lock:
            self._steps.extend([step] * times)

    def _take(self) -> Step | None:
        with self._lock:
            return self._steps.popleft() if self._steps else None

    # -- what a subclass defines -------------------------------------------------------------
    def routes(self) -> list:
        raise NotImplementedError

    def error(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> Response:
        raise NotImplementedError

    def rate_limited(self, retry_after: float | None, kind: str | None) -> Response:
        raise NotImplementedError

    def quota_exhausted(self, kind: str | None = None) -> Response:
        raise NotImplementedError

    def authorised(self, recorded: Recorded) -> Response | None:
        """None when the request carries the right credentials, else the provider's refusal."""
        raise NotImplementedError

    # -- the shared request path -------------------------------------------------------------
    def route(self, path: str, serve: Callable[[Recorded, str | None], Awaitable[Response]],
              methods: tuple[str, ...] = ("POST",)) -> Route:
        async def endpoint(request: Request) -> Response:
            return await self.handle(request, serve)

        return Route(path, endpoint, methods=list(methods))

    async def handle(self, request: Request, serve: Callable[[Recorded, str | None], Awaitable[Response]]) -> Response:
        recorded = await record(request)
        self.requests.append(recorded)
        step = self._take()
        if step is not None and step.kind == "stall":
            self.stalling.set()
            if await _stall(request, step.seconds):
                self.hung_up.set()
            step = None
        if step is not None and step.reply is not None:
            return step.reply()
        refusal = self.authorised(recorded)
        if refusal is not None:
            return refusal
        if step is not None and step.kind == "malformed:body":
            return Response(b'{"id": "cut-off', media_type="application/json")
        return await serve(recorded, step.kind if step else None)


async def _stall(request: Request, seconds: float) -> bool:
    """Hold the answer back; stop holding once the client has hung up (it timed out), so
    the fake shuts down at once instead of waiting out the stall. True when it hung up."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if await request.is_disconnected():
            return True
        await asyncio.sleep(0.02)
    return False


async def record(request: Request) -> Recorded:
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    recorded = Recorded(request.method, request.url.path, dict(request.headers), dict(request.query_params), body,
                        at=time.monotonic())
    if content_type.startswith("application/json"):
        try:
            recorded.json = json.loads(body)
        except ValueError:
            pass
    elif content_type.startswith("multipart/form-data"):
        recorded.form = parse_multipart(body, content_type)
    return recorded


def parse_multipart(body: bytes, content_type: str) -> dict[str, Any]:
    """Form fields (text) and files (bytes); a repeated name (`image[]`) gives a list."""
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, list[Any]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        fields.setdefault(name, []).append(payload if part.get_filename() else payload.decode())
    return {name: values[0] if len(values) == 1 else values for name, values in fields.items()}


# -- deterministic outputs -------------------------------------------------------------------
ANGLES = {"en": ("Meet", "Discover", "Treat yourself to"), "ar": ("تعرّف على", "اكتشف", "دلّل نفسك مع")}


def fake_copy(prompt: str, calls_to_action: list[str] | None = None) -> dict[str, Any]:
    """What an obedient model would write: the facts of the prompt, within its limits."""
    name = _find(r"Product name: (.+)", prompt) or "the product"
    price = _find(r"Price: (.+)", prompt)
    words = _find(r"Use these brand words where they fit: (.+)\.", prompt)
    count = int(_find(r"exactly (\d+) variants", prompt) or 3)
    limits = {k: int(v) for k, v in re.findall(r"(headline|primary_text|description): at most (\d+) characters", prompt)}
    ctas = calls_to_action or re.findall(r"[A-Z_]{3,}", _find(r"call_to_action: one of (.+)\.", prompt) or "SHOP_NOW")
    angles = ANGLES["ar" if "language code ar" in prompt else "en"]
    variants = []
    for index in range(count):
        angle = angles[index % len(angles)]
        primary = " ".join(p for p in (f"{angle} {name}.", price, words) if p)
        variants.append({
            "headline": _cut(f"{angle} {name}", limits.get("headline", 40)),
            "primary_text": _cut(primary, limits.get("primary_text", 125)),
            "description": _cut(f"{name} {price or ''}".strip(), limits["description"]) if "description" in limits else None,
            "call_to_action": ctas[index % len(ctas)],
        })
    return {"variants": variants}


def fake_png(width: int, height: int, prompt: str = "") -> bytes:
    """A PNG of the asked size: the prompt's first #RRGGBB as background, a block for the product."""
    colours = re.findall(r"#[0-9A-Fa-f]{6}", prompt)
    image = Image.new("RGB", (width, height), colours[0] if colours else "#808080")
    accent = colours[2] if len(colours) > 2 else "#FFFFFF"
    ImageDraw.Draw(image).rectangle((width // 4, height // 3, 3 * width // 4, 2 * height // 3), fill=accent)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def words_in(text: str) -> int:
    return max(1, len(text) // 4)


def _find(pattern: str, text: str) -> str | None:
    match = re.search(pattern, text)
    return match.group(1).strip() if match else None


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip()
