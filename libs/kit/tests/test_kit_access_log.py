"""One JSON line per request, naming the route template, never the raw path or query."""

from __future__ import annotations

import io
import json
import logging
import sys

import httpx
import pytest
from fastapi import APIRouter
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adly_events import CATALOG
from adly_kit.app import create_app
from adly_kit.logging import setup_logging
from adly_kit.service import Runtime, Service
from adly_kit.settings import ServiceSettings

TRACE_ID, CALLER = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
router = APIRouter()


@router.get("/v1/things/{thing_id}")
async def thing(thing_id: str) -> dict:
    return {"id": thing_id}


@router.get("/v1/boom")
async def boom() -> dict:
    raise RuntimeError("broken")


def kit_app(*routers: APIRouter):
    """A kit app as every service gets it, never started: no database or broker is reached."""
    settings = ServiceSettings(service_name="kitcheck", database_url="postgresql+asyncpg://kit@127.0.0.1:1/kit",
                               kafka_bootstrap_servers="127.0.0.1:1")
    return create_app(Runtime(Service("kitcheck", CATALOG, "", routers=list(routers)), settings), ("api",))


def spans_in_memory() -> InMemorySpanExporter:
    """Spans of this process recorded in memory (the global provider is set once per process)."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def log_lines(monkeypatch):
    """The process's JSON log lines, as `setup_logging` writes them to stdout."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    setup_logging("kitcheck")
    yield lambda: [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    root.handlers[:], root.level = handlers, level


def client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                             base_url="http://kit.test")


def access_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "adly.access"]


async def test_a_request_logs_one_line_with_its_route_template_ids_status_and_duration(log_lines):
    async with client(kit_app(router)) as http:
        answer = await http.get("/v1/things/th-91?color=red", headers={
            "x-request-id": "req-1", "traceparent": f"00-{TRACE_ID}-{CALLER}-01"})
    assert answer.status_code == 200
    (line,) = access_lines(log_lines())
    assert {k: line[k] for k in ("method", "route", "status", "request_id", "trace_id")} == {
        "method": "GET", "route": "/v1/things/{thing_id}", "status": 200, "request_id": "req-1", "trace_id": TRACE_ID}
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert "th-91" not in json.dumps(line) and "red" not in json.dumps(line)


async def test_probes_and_metrics_are_not_logged(log_lines):
    async with client(kit_app(router)) as http:
        assert (await http.get("/health")).status_code == 200
        assert (await http.get("/metrics/")).status_code == 200
        assert (await http.get("/v1/things/a")).status_code == 200
    assert [line["route"] for line in access_lines(log_lines())] == ["/v1/things/{thing_id}"]


async def test_a_failing_request_logs_500_and_an_unknown_path_no_raw_path(log_lines):
    async with client(kit_app(router)) as http:
        assert (await http.get("/v1/boom")).status_code == 500
        assert (await http.get("/v1/nowhere/secret-path")).status_code == 404
    lines = access_lines(log_lines())
    assert [(line["route"], line["status"]) for line in lines] == [("/v1/boom", 500), ("<unmatched>", 404)]
    assert "secret-path" not in json.dumps(lines)


async def test_the_server_span_names_the_route_not_the_raw_target():
    exporter = spans_in_memory()
    async with client(kit_app(router)) as http:
        await http.get("/v1/things/th-42?consumer_key=ck_abc", headers={"traceparent": f"00-{TRACE_ID}-{CALLER}-01"})
    (span,) = [s for s in exporter.get_finished_spans() if s.kind == trace.SpanKind.SERVER]
    recorded = json.dumps(dict(span.attributes))
    assert "th-42" not in recorded and "ck_abc" not in recorded
    assert span.attributes.get("http.target") == "/v1/things/{thing_id}"


async def test_an_unhandled_error_is_logged_and_answered_with_the_request_id_the_client_can_quote(log_lines):
    async with client(kit_app(router)) as http:
        answer = await http.get("/v1/boom", headers={"x-request-id": "req-boom"})
    assert answer.status_code == 500 and answer.headers["x-request-id"] == "req-boom"
    assert "broken" not in answer.text  # the cause stays in the log
    (error,) = [line for line in log_lines() if line["message"] == "unhandled error"]
    assert error["request_id"] == "req-boom" and "RuntimeError: broken" in error["exc_info"]
