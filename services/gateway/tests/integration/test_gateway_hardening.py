"""What probing the running gateway found (issue 9), at the adapters' level: Idempotency-Key across
an upstream that dies mid-request, the caller's trace context, readiness without auth's JWKS.

The end-to-end versions (real processes, a service SIGKILLed after its commit) are in
tests/e2e/test_e2e_hardening_*.py; here the echo upstream and a connection-breaking one
play the services, so every branch is reached in a few milliseconds.
"""

from __future__ import annotations

import asyncio
import re
import socket
import uuid
from contextlib import asynccontextmanager, contextmanager

import httpx
import pytest

from adly_gateway.bootstrap import build
from adly_gateway.domain.idempotency import fingerprint
from adly_kit.app import create_app
from adly_kit.service import Runtime

pytestmark = pytest.mark.asyncio(loop_scope="module")


class Breaker:
    """An upstream that reads one whole request, keeps it, and drops the connection unanswered:
    what a service killed after its commit and before its answer looks like to the gateway."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = re.search(rb"(?im)^content-length: *(\d+)", head)
        body = await reader.readexactly(int(length.group(1))) if length else b""
        self.requests.append(head + body)
        writer.transport.abort()

    def header(self, index: int, name: str) -> str | None:
        found = re.search(rb"(?im)^" + name.encode() + rb": *([^\r\n]*)", self.requests[index])
        return found.group(1).decode() if found else None


@asynccontextmanager
async def breaking():
    breaker = Breaker()
    server = await asyncio.start_server(breaker.handle, "127.0.0.1", 0)
    try:
        yield breaker, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        await server.wait_closed()


@contextmanager
def upstream_at(stack, name: str, url: str):
    urls = stack.adapters.edge.upstreams.urls
    original = urls[name]
    urls[name] = url
    try:
        yield
    finally:
        urls[name] = original


def problem_of(response: httpx.Response) -> dict:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return response.json()


def closed_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


async def member(stack, role: str = "marketer") -> tuple[uuid.UUID, uuid.UUID]:
    ws, user = uuid.uuid4(), uuid.uuid4()
    await stack.member(ws, user, role)
    return ws, user


async def test_a_request_lost_after_it_was_sent_keeps_its_key_and_is_never_run_twice(stack, client):
    ws, user = await member(stack)
    url, body = f"/v1/workspaces/{ws}/campaigns", {"name": "lost answer"}
    headers = stack.bearer(user) | {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    async with breaking() as (breaker, breaker_url):
        with upstream_at(stack, "campaigns", breaker_url):
            lost = await client.post(url, headers=headers, json=body)
    assert lost.status_code == 502 and problem_of(lost)["type"].endswith("/outcome-unknown"), lost.text
    assert len(breaker.requests) == 1
    # Campaigns does not honour keys itself: the retry gets the same answer, and nothing runs again.
    retry = await client.post(url, headers=headers, json=body)
    assert (retry.status_code, retry.headers.get("idempotent-replayed")) == (502, "true")
    assert retry.json() == lost.json()
    assert stack.echo.calls[("POST", url)] == 0
    other = await client.post(url, headers=headers, json=body | {"name": "another request"})
    assert other.status_code == 422


async def test_a_retry_after_an_unknown_outcome_is_forwarded_again_where_the_service_honours_the_key(stack, client):
    ws, user = await member(stack)
    url, body = f"/v1/workspaces/{ws}/creatives/jobs", {"product_ids": [str(uuid.uuid4())]}
    key = f"k-{uuid.uuid4()}"
    headers = stack.bearer(user) | {"Idempotency-Key": key}
    async with breaking() as (breaker, breaker_url):
        with upstream_at(stack, "creative", breaker_url):
            lost = await client.post(url, headers=headers, json=body)
            assert lost.status_code == 502 and problem_of(lost)["type"].endswith("/outcome-unknown")
            again = await client.post(url, headers=headers, json=body)  # the service is still failing
            assert again.status_code == 502 and "idempotent-replayed" not in again.headers
    assert [breaker.header(i, "idempotency-key") for i in range(2)] == [key, key]  # the key travels with it
    answered = await client.post(url, headers=headers, json=body)
    assert answered.status_code == 200 and "idempotent-replayed" not in answered.headers
    assert answered.json()["headers"]["idempotency-key"] == key
    replay = await client.post(url, headers=headers, json=body)
    assert replay.headers.get("idempotent-replayed") == "true" and replay.json() == answered.json()
    assert stack.echo.calls[("POST", url)] == 1
    changed = await client.post(url, headers=headers, json={"product_ids": []})
    assert changed.status_code == 422


async def test_a_request_that_never_reached_the_service_releases_its_key(stack, client):
    ws, user = await member(stack)
    url, body = f"/v1/workspaces/{ws}/campaigns", {"name": "never sent"}
    headers = stack.bearer(user) | {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    with upstream_at(stack, "campaigns", closed_url()):
        refused = await client.post(url, headers=headers, json=body)
    assert refused.status_code == 502 and problem_of(refused)["title"] == "Upstream unavailable"
    retry = await client.post(url, headers=headers, json=body)
    assert retry.status_code == 201 and "idempotent-replayed" not in retry.headers
    assert stack.echo.calls[("POST", url)] == 1


async def test_a_key_abandoned_by_a_dead_gateway_is_an_unknown_outcome(stack, client):
    """A claim still `running` past its lock: the gateway holding it died mid-request."""
    ws, user = await member(stack)
    for path, honoured in (("campaigns", False), ("creatives/jobs", True)):
        url, body, key = f"/v1/workspaces/{ws}/{path}", b'{"n": 1}', f"k-{uuid.uuid4()}"
        await stack.db.execute(
            f"INSERT INTO {stack.schema}.idempotency_keys (principal, key, fingerprint, state, locked_until, expires_at) "
            "VALUES ($1, $2, $3, 'running', now() - interval '1 second', now() + interval '1 day')",
            str(user), key, fingerprint("POST", url, "", body))
        response = await client.post(url, headers=stack.bearer(user) | {"Idempotency-Key": key,
                                                                         "Content-Type": "application/json"}, content=body)
        if honoured:
            assert response.status_code == 200, response.text
            assert stack.echo.calls[("POST", url)] == 1
        else:
            assert response.status_code == 502 and problem_of(response)["type"].endswith("/outcome-unknown")
            assert stack.echo.calls[("POST", url)] == 0


async def test_keys_are_honoured_outside_a_workspace_scoped_to_the_caller(stack, client):
    user, other = uuid.uuid4(), uuid.uuid4()
    key, body = f"k-{uuid.uuid4()}", {"name": "Acme"}
    first = await client.post("/v1/workspaces", headers=stack.bearer(user) | {"Idempotency-Key": key}, json=body)
    replay = await client.post("/v1/workspaces", headers=stack.bearer(user) | {"Idempotency-Key": key}, json=body)
    assert first.status_code == 200 and replay.headers.get("idempotent-replayed") == "true"
    assert replay.json() == first.json()
    theirs = await client.post("/v1/workspaces", headers=stack.bearer(other) | {"Idempotency-Key": key}, json=body)
    assert "idempotent-replayed" not in theirs.headers
    assert stack.echo.calls[("POST", "/v1/workspaces")] == 2
    mismatch = await client.post("/v1/workspaces", headers=stack.bearer(user) | {"Idempotency-Key": key},
                                  json={"name": "Other"})
    assert mismatch.status_code == 422
    # Credential routes never store answers: each call reaches auth.
    for _ in range(2):
        await client.post("/v1/auth/2fa/enroll", headers=stack.bearer(user) | {"Idempotency-Key": key})
    assert stack.echo.calls[("POST", "/v1/auth/2fa/enroll")] == 2


async def test_a_delete_lost_after_it_was_sent_is_never_sent_again(stack, client):
    """HTTP clients may resend a PUT or DELETE whose connection dropped (aiohttp does by default).
    The gateway does not: the first may have acted, and only the caller can decide to try again."""
    ws, user = await member(stack)
    async with breaking() as (breaker, breaker_url):
        with upstream_at(stack, "auth", breaker_url):  # a member leaving the workspace
            lost = await client.delete(f"/v1/workspaces/{ws}/members/{user}", headers=stack.bearer(user))
    assert lost.status_code == 502 and problem_of(lost)["type"].endswith("/outcome-unknown"), lost.text
    assert len(breaker.requests) == 1


class CookieSetter:
    """An upstream that answers every request with a Set-Cookie (and a header byte outside ASCII),
    and keeps the request heads."""

    def __init__(self) -> None:
        self.heads: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:  # the gateway closed its kept connection
                return
            length = re.search(rb"(?im)^content-length: *(\d+)", head)
            self.heads.append(head + (await reader.readexactly(int(length.group(1))) if length else b""))
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                         b"set-cookie: session=someone; Path=/\r\nx-note: caf\xe9\r\ncontent-length: 2\r\n\r\n{}")
            await writer.drain()


async def test_the_upstream_gets_no_cookie_or_header_the_caller_did_not_send(stack, client):
    """The gateway's one upstream client serves every caller: a cookie one caller's answer sets is
    never sent on another's request, and the client adds no User-Agent or Content-Type of its own."""
    setter = CookieSetter()
    server = await asyncio.start_server(setter.handle, "127.0.0.1", 0)
    try:
        # By name: a client's cookie jar may take cookies from a host name where it refuses an IP's.
        with upstream_at(stack, "campaigns", f"http://localhost:{server.sockets[0].getsockname()[1]}"):
            for _ in range(2):  # two callers
                ws, user = await member(stack)
                posted = client.build_request("POST", f"/v1/workspaces/{ws}/campaigns", content=b"raw",
                                              headers=stack.bearer(user))
                del posted.headers["user-agent"]
                assert (await client.send(posted)).status_code == 200
                answered = await client.get(f"/v1/workspaces/{ws}/campaigns", headers=stack.bearer(user))
                assert answered.status_code == 200 and answered.headers.get("set-cookie"), answered.headers
                assert (b"x-note", b"caf\xe9") in answered.headers.raw  # a header's bytes pass unchanged
    finally:
        server.close()
        await server.wait_closed()
    heads = [head.lower() for head in setter.heads]
    assert len(heads) == 4 and all(b"\r\ncookie:" not in head for head in heads), heads
    for posted in heads[0::2]:
        assert posted.endswith(b"\r\n\r\nraw"), posted
        assert b"\r\ncontent-type:" not in posted and b"\r\nuser-agent:" not in posted, posted


async def test_the_callers_trace_continues_upstream_and_nothing_else_of_its_context(stack, client):
    ws, user = await member(stack, "analyst")
    trace_id = uuid.uuid4().hex
    traceparent = f"00-{trace_id}-{'b' * 16}-01"
    response = await client.get(f"/v1/workspaces/{ws}/campaigns", headers=stack.bearer(user) | {
        "traceparent": traceparent, "tracestate": "vendor=1", "baggage": "user=someone-else"})
    seen = response.json()["headers"]
    assert seen["traceparent"].split("-")[1] == trace_id, seen
    assert "baggage" not in seen
    malformed = await client.get(f"/v1/workspaces/{ws}/campaigns", headers=stack.bearer(user) | {
        "traceparent": f"00-{'0' * 32}-{'b' * 16}-01"})
    assert "0" * 32 not in malformed.json()["headers"].get("traceparent", "")


async def test_readiness_needs_auths_signing_keys_and_liveness_does_not(stack, client, server_factory):
    ready = await client.get("/ready")
    assert ready.status_code == 200 and ready.json()["checks"]["jwks"] is True, ready.text
    settings = stack.settings.model_copy(update={"upstream_auth": closed_url(), "openapi_fetch_attempts": 1})
    async with server_factory(create_app(Runtime(build(), settings), ("api",))) as lost:
        async with httpx.AsyncClient(base_url=lost.url, timeout=30) as http:
            unready = await http.get("/ready")
            assert unready.status_code == 503, unready.text
            assert unready.json()["checks"] == {"database": True, "broker": True, "jwks": False}
            assert (await http.get("/health")).status_code == 200
