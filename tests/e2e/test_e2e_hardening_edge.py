"""The caller's trace through the gateway, and the gateway's readiness (issue 9).

- A caller's W3C `traceparent` continues through the gateway to the service it reaches, and
  the event that request causes carries that trace (in its envelope and as a Kafka header),
  with no span exporter configured anywhere: the stack runs with `OTEL_TRACES_EXPORTER` unset.
- A gateway that cannot reach auth's JWKS is alive (`/health`) but not ready (`/ready` 503),
  and becomes ready once auth answers where its settings say, without a token having to ask.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import secrets
import threading
import uuid
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from adly_kit.devstack._process import free_port
from adly_kit.testing.plugin import read_to_end
from tests.e2e.conftest import People, Person, Recorder, ServiceProcess, Stack, eventually, extra_gateway


def traceparent() -> tuple[str, str]:
    trace_id = secrets.token_hex(16)
    return trace_id, f"00-{trace_id}-{secrets.token_hex(8)}-01"


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    with Recorder() as upstream:
        yield upstream


@pytest.fixture(scope="module")
def gateway(e2e: Stack, recorder: Recorder) -> Iterator[ServiceProcess]:
    gateway = extra_gateway(e2e, "edge", ADLY_UPSTREAM_ANALYTICS=recorder.url)
    try:
        yield gateway
    finally:
        gateway.stop()


@pytest.fixture(scope="module")
def analyst(e2e: Stack, people: People) -> tuple[Person, str]:
    workspace = e2e.create_workspace(people.owner)
    person = e2e.signup(prefix="analyst")
    e2e.add_members(workspace, people.owner, [(person, "analyst")])
    return person, workspace


def test_the_callers_trace_reaches_the_service_and_its_baggage_does_not(gateway, recorder, analyst):
    person, workspace = analyst
    trace_id, parent = traceparent()
    response = httpx.get(f"{gateway.url}/v1/workspaces/{workspace}/analytics/overview", timeout=30, headers=person.bearer | {
        "traceparent": parent, "tracestate": "caller=1", "baggage": "role=owner"})
    assert response.status_code == 200, response.text
    seen = response.json()["headers"]
    assert seen["traceparent"].split("-")[1] == trace_id, seen
    assert "baggage" not in seen
    # A malformed context is not passed on (a new trace may start instead).
    broken = httpx.get(f"{gateway.url}/v1/workspaces/{workspace}/analytics/overview", timeout=30, headers=person.bearer | {
        "traceparent": f"00-{'0' * 32}-{'1' * 16}-01"})
    assert "0" * 32 not in broken.json()["headers"].get("traceparent", "")


def test_the_event_a_request_caused_carries_the_callers_trace(e2e: Stack, people: People):
    trace_id, parent = traceparent()
    created = e2e.request("POST", "/v1/workspaces", who=people.owner, headers={"traceparent": parent},
                          json={"name": f"Traced {secrets.token_hex(3)}"})
    assert created.status_code == 201, created.text
    workspace = uuid.UUID(created.json()["id"])

    async def published() -> str | None:
        """The event's stored traceparent ("" without one), once the relay has published it."""
        conn = await asyncpg.connect(e2e.database_url)
        try:
            row = await conn.fetchrow(
                "SELECT coalesce(e.envelope->'trace'->>'traceparent', '') AS traceparent, o.published_at "
                "FROM auth.events e JOIN auth.outbox o ON o.event_id = e.event_id "
                "WHERE e.aggregate_id = $1 AND e.event_type = 'WorkspaceCreated'", workspace)
        finally:
            await conn.close()
        return row["traceparent"] if row and row["published_at"] else None

    assert eventually(lambda: asyncio.run(published()) is not None, timeout=30), "WorkspaceCreated was not published"
    stored = asyncio.run(published())
    assert stored and stored.split("-")[1] == trace_id, stored
    records = asyncio.run(read_to_end(e2e.broker.bootstrap_servers, "adly.auth.workspace"))
    ours = [r for r in records if r.key == str(workspace).encode()]
    assert ours, "the event is not on its topic"
    headers = {k: v.decode() for k, v in (ours[0].headers or [])}
    assert headers.get("traceparent", "").split("-")[1:2] == [trace_id], headers


class Jwks(http.server.BaseHTTPRequestHandler):
    """Auth's JWKS, served where the gateway's settings say auth is (once the test starts it)."""

    document = b""

    def do_GET(self) -> None:  # noqa: N802 - http.server's hook name
        self.send_response(200 if self.path == "/.well-known/jwks.json" else 404)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(self.document)))
        self.end_headers()
        self.wfile.write(self.document)

    def log_message(self, *args: object) -> None:
        pass


def test_a_gateway_without_auths_keys_is_alive_but_not_ready_until_auth_answers(e2e: Stack):
    port = free_port()  # nothing listens there yet: auth "started on other ports"
    gateway = extra_gateway(e2e, "no-auth", ready_path="/health", ADLY_UPSTREAM_AUTH=f"http://127.0.0.1:{port}")
    server: http.server.ThreadingHTTPServer | None = None
    try:
        with httpx.Client(base_url=gateway.url, timeout=30) as client:
            unready = client.get("/ready")
            assert unready.status_code == 503, unready.text
            assert unready.json()["checks"]["jwks"] is False
            assert unready.json()["checks"]["database"] is True
            assert client.get("/health").status_code == 200
            Jwks.document = json.dumps(httpx.get(f"{e2e.auth_url}/.well-known/jwks.json", timeout=10).json()).encode()
            server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Jwks)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            ready = eventually(lambda: client.get("/ready").status_code == 200, timeout=30, interval=0.2)
            assert ready, client.get("/ready").text
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        gateway.stop()
