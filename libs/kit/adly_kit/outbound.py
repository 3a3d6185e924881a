"""Calls to third-party APIs (Shopify, Salla, OpenAI, Meta...): the rules every one obeys.

RELIABILITY S9 and S13: every call has a timeout; a response body is read up to a cap
and no further; redirects are followed only on the host that was asked (a platform
bouncing us to another host could be steering us at an internal address); and only a
request that is safe to repeat is retried, with exponential backoff that honours
`Retry-After`. Platform clients build on `Outbound` and add their own error shapes.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import httpx
import orjson
from opentelemetry import propagate
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

from adly_kit.active_requests import waiting_elsewhere
from adly_kit.health import EXTERNAL_APIS
from adly_kit.telemetry import recording

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
MIB = 1024 * 1024


class OutboundError(Exception):
    """A call to a third party failed in a way its caller should report, not crash on."""

    retryable = False


class ResponseTooLarge(OutboundError):
    pass


class RedirectRefused(OutboundError):
    pass


class Unreachable(OutboundError):
    """Connection refused, reset, timed out: the platform may answer later."""

    retryable = True


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4            # first try included
    base_delay: float = 0.5      # seconds; doubles each retry, with jitter
    max_delay: float = 30.0      # a longer Retry-After is not waited for: the caller decides
    statuses: frozenset[int] = RETRYABLE_STATUSES

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        backoff = self.base_delay * (2 ** (attempt - 1))
        return min(backoff * (0.5 + random.random() / 2), self.max_delay)


NO_RETRY = RetryPolicy(attempts=1)


@dataclass(frozen=True)
class Reply:
    """A fully read response: status, headers and at most `max_bytes` of body."""

    status: int
    headers: httpx.Headers
    body: bytes
    url: str

    def json(self) -> Any:
        return orjson.loads(self.body)  # several times faster than json on large pages

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """`Retry-After` as seconds: a number ("2.0") or an HTTP date; None when absent or unreadable."""
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


URL_ATTRIBUTES = ("http.url", "url.full")


async def _without_query(span, request) -> None:
    # WooCommerce takes its consumer key and secret in the query, others their tokens: the
    # span keeps scheme, host and path only (no user info either).
    attributes = getattr(span, "attributes", None)
    if not span.is_recording() or attributes is None:
        return
    url = httpx.URL(str(request.url))
    for key in URL_ATTRIBUTES:
        if key in attributes:  # whichever the semantic conventions in force recorded
            span.set_attribute(key, f"{url.scheme}://{url.netloc.decode('ascii')}{url.path}")


def traced(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Each call a client span, child of the current one, its traceparent sent along.

    Only where this process collects spans (`recording()`: an exporter, or a test's
    provider). Otherwise the span would be minted and dropped on every call, and that
    instrumentation was a tenth of a webhook delivery's CPU (docs/benchmarks.md, issue 16):
    the client then sends the current trace context along, and nothing else."""
    if getattr(client, "_is_instrumented_by_opentelemetry", False) or _send_trace_context in client.event_hooks["request"]:
        return client
    if recording():
        HTTPXClientInstrumentor.instrument_client(client, request_hook=_without_query)
    else:
        client.event_hooks["request"].append(_send_trace_context)
    return client


async def _send_trace_context(request: httpx.Request) -> None:
    propagate.inject(request.headers)


def make_client(*, timeout: float = 15.0, connect_timeout: float = 5.0, max_connections: int = 50) -> httpx.AsyncClient:
    return traced(httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        follow_redirects=False,  # Outbound follows same-host redirects itself
        trust_env=False,
    ))


class Outbound:
    """One pooled client for one kind of third party, with the rules above."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        max_bytes: int = 20 * MIB,
        retry: RetryPolicy = RetryPolicy(),
        max_redirects: int = 3,
        name: str = "outbound",
    ) -> None:
        self.client = traced(client)
        self.max_bytes = max_bytes
        self.retry = retry
        self.max_redirects = max_redirects
        self.name = name

    async def request(
        self,
        method: str,
        url: str,
        *,
        safe: bool | None = None,
        retry: RetryPolicy | None = None,
        max_bytes: int | None = None,
        **kwargs: Any,
    ) -> Reply:
        """Send once, or up to `retry.attempts` times when the request is `safe` to repeat
        (by default GET, HEAD, OPTIONS, PUT, DELETE). Returns the last reply, whatever its
        status: what a status means is the platform client's business. An HTTP request that
        makes the call gives its slot up meanwhile (adly_kit.active_requests)."""
        async with waiting_elsewhere():
            return await self._request(method, url, safe, retry, max_bytes, kwargs)

    async def _request(self, method: str, url: str, safe: bool | None, retry: RetryPolicy | None,
                       max_bytes: int | None, kwargs: dict[str, Any]) -> Reply:
        policy = retry or self.retry
        safe = method.upper() in {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"} if safe is None else safe
        attempts = policy.attempts if safe else 1
        for attempt in range(1, attempts + 1):
            try:
                reply = await self._attempt(method, url, max_bytes or self.max_bytes, kwargs)
            except Unreachable:
                if attempt == attempts:
                    raise
                await asyncio.sleep(policy.delay(attempt, None))
                continue
            if reply.status not in policy.statuses or attempt == attempts:
                return reply
            wait = retry_after_seconds(reply.headers)
            if wait is not None and wait > policy.max_delay:
                return reply  # longer than we are willing to hold a worker: the caller reschedules
            log.info("retrying", extra={"client": self.name, "status": reply.status, "attempt": attempt})
            await asyncio.sleep(policy.delay(attempt, wait))
        raise AssertionError("unreachable")

    async def _attempt(self, method: str, url: str, max_bytes: int, kwargs: dict[str, Any]) -> Reply:
        """One try, its outcome noted as the last-known state /health/ reports (adly_kit.health)."""
        try:
            reply = await self._follow(method, url, max_bytes, kwargs)
        except OutboundError as error:
            EXTERNAL_APIS.failed(self.name, type(error).__name__)
            raise
        if reply.status >= 500 or reply.status == 429:  # a 4xx is about our request, not their health
            EXTERNAL_APIS.failed(self.name, f"http_{reply.status}")
        else:
            EXTERNAL_APIS.succeeded(self.name)
        return reply

    async def _follow(self, method: str, url: str, max_bytes: int, kwargs: dict[str, Any]) -> Reply:
        origin = httpx.URL(url).host
        for _ in range(self.max_redirects + 1):
            reply = await self._once(method, url, max_bytes, kwargs)
            if reply.status not in (301, 302, 303, 307, 308) or "location" not in reply.headers:
                return reply
            target = urljoin(url, reply.headers["location"])
            if httpx.URL(target).host != origin:
                raise RedirectRefused(f"{self.name}: redirect to another host ({httpx.URL(target).host}) refused")
            if reply.status == 303:
                method, kwargs = "GET", {k: v for k, v in kwargs.items() if k not in ("json", "data", "content", "files")}
            url = target
        raise RedirectRefused(f"{self.name}: more than {self.max_redirects} redirects")

    async def _once(self, method: str, url: str, max_bytes: int, kwargs: dict[str, Any]) -> Reply:
        try:
            async with self.client.stream(method, url, **kwargs) as response:
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise ResponseTooLarge(f"{self.name}: response of {declared} bytes is over {max_bytes}")
                chunks, size = [], 0
                # Decoded chunks as they arrive: a small compressed body that inflates past
                # the cap is cut off as early as a large plain one.
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise ResponseTooLarge(f"{self.name}: response is over {max_bytes} bytes")
                    chunks.append(chunk)
                return Reply(response.status_code, response.headers, b"".join(chunks), str(response.url))
        except httpx.TimeoutException as error:
            raise Unreachable(f"{self.name}: timed out ({type(error).__name__})") from error
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as error:
            raise Unreachable(f"{self.name}: {type(error).__name__}") from error

    async def aclose(self) -> None:
        await self.client.aclose()

