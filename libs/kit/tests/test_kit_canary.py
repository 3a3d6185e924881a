"""Seeded secrets and personal data never reach a kit app's logs or spans.

Each value below is sent the way it travels in real requests, and two error paths quote
them back the way libraries do: an HTTP error names the URL (WooCommerce's keys in its
query), a database error names the duplicate email. Outbound calls are client spans
without their query."""

from __future__ import annotations

import io
import logging
import secrets
import sys

import httpx
import pytest
from fastapi import APIRouter, Request
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel

from adly_events import CATALOG
from adly_kit.app import create_app
from adly_kit.logging import setup_logging
from adly_kit.outbound import Outbound, make_client, traced
from adly_kit.service import Runtime, Service
from adly_kit.settings import ServiceSettings
from adly_kit.telemetry import Redacting

SEEDED = {
    "bearer": "eyJhbGciOiJFZERTQSJ9." + secrets.token_urlsafe(24) + "." + secrets.token_urlsafe(32),
    "password": "canary-" + secrets.token_urlsafe(12),
    "email": f"canary.{secrets.token_hex(4)}@example.com",
    "consumer_key": "ck_" + secrets.token_hex(20),
    "consumer_secret": "cs_" + secrets.token_hex(20),
    "api_key": f"adly_sk_{secrets.token_hex(16)}_{secrets.token_urlsafe(24)}",
    "invitation": secrets.token_urlsafe(32),
}
STORE = "https://shop.example/wp-json/wc/v3/products"
log = logging.getLogger("adly.canary")
router = APIRouter()


def store_answers(request: httpx.Request) -> httpx.Response:
    return httpx.Response(401, json={"code": "woocommerce_rest_authentication_error"})


class Login(BaseModel):
    email: str
    password: str


@router.post("/v1/accounts")
async def duplicate_account(body: Login) -> dict:
    # What asyncpg says of a unique violation: the value itself.
    raise RuntimeError(f"duplicate key value violates unique constraint; Key (email)=({body.email}) already exists")


@router.get("/v1/stores/sync")
async def sync_store() -> dict:
    async with traced(httpx.AsyncClient(transport=httpx.MockTransport(store_answers))) as client:
        answer = await client.get(STORE, params={"consumer_key": SEEDED["consumer_key"],
                                                 "consumer_secret": SEEDED["consumer_secret"], "page": 1})
        answer.raise_for_status()  # its message quotes the whole URL
    return {}


@router.post("/v1/invitations/{token}/accept")
async def accept(token: str, request: Request) -> dict:
    log.info("accepting", extra={"authorization": request.headers.get("authorization")})
    return {}


def kit_app():
    settings = ServiceSettings(service_name="canary", database_url="postgresql+asyncpg://kit@127.0.0.1:1/kit",
                               kafka_bootstrap_servers="127.0.0.1:1")
    return create_app(Runtime(Service("canary", CATALOG, "", routers=[router]), settings), ("api",))


def exported_spans(redacting: bool = True) -> InMemorySpanExporter:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(Redacting(exporter) if redacting else exporter))
    return exporter


@pytest.fixture
def log_text(monkeypatch):
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    setup_logging("canary")
    yield out.getvalue
    root.handlers[:], root.level = handlers, level


def leaked(text: str) -> list[str]:
    return [name for name, value in SEEDED.items() if value in text]


async def test_seeded_secrets_reach_neither_the_logs_nor_the_spans(log_text):
    exporter = exported_spans()
    transport = httpx.ASGITransport(app=kit_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://kit.test") as http:
        creds = {"Authorization": f"Bearer {SEEDED['bearer']}", "X-Api-Key": SEEDED["api_key"]}
        failed = await http.post("/v1/accounts", json={"email": SEEDED["email"], "password": SEEDED["password"]},
                                 headers=creds)
        synced = await http.get(f"/v1/stores/sync?consumer_key={SEEDED['consumer_key']}", headers=creds)
        accepted = await http.post(f"/v1/invitations/{SEEDED['invitation']}/accept", headers=creds)
    assert (failed.status_code, synced.status_code, accepted.status_code) == (500, 500, 200)
    logs = log_text()
    assert "duplicate key value" in logs and "401 Unauthorized" in logs, "the error paths were logged"
    assert leaked(logs) == [], logs
    spans = "\n".join(span.to_json() for span in exporter.get_finished_spans())
    assert "duplicate key value" in spans and "/v1/invitations/{token}/accept" in spans, "the spans were recorded"
    assert leaked(spans) == [], spans


async def test_an_outbound_call_is_a_client_span_of_the_current_one_without_its_query():
    exporter = exported_spans(redacting=False)  # the instrumentation's own doing, no net under it
    assert getattr(make_client(), "_is_instrumented_by_opentelemetry", False)
    # A client made elsewhere (campaigns builds one for its platforms) is traced by Outbound.
    outbound = Outbound(httpx.AsyncClient(transport=httpx.MockTransport(store_answers)), name="woocommerce")
    with trace.get_tracer("canary").start_as_current_span("sync") as parent:
        reply = await outbound.request("GET", f"{STORE}?consumer_key={SEEDED['consumer_key']}&page=2")
    await outbound.aclose()
    assert reply.status == 401
    (client,) = [s for s in exporter.get_finished_spans() if s.kind == trace.SpanKind.CLIENT]
    assert client.parent.span_id == parent.get_span_context().span_id
    assert client.attributes["http.url"] == STORE
    assert leaked(client.to_json()) == []


async def test_where_no_spans_are_collected_an_outbound_call_still_carries_the_callers_trace(monkeypatch):
    import adly_kit.outbound

    monkeypatch.setattr(adly_kit.outbound, "recording", lambda: False)  # a service without an exporter
    sent: list[httpx.Headers] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers)
        return httpx.Response(204)

    caller = trace.SpanContext(trace_id=0x4BF92F3577B34DA6A3CE929D0E0E4736, span_id=0x00F067AA0BA902B7,
                               is_remote=True, trace_flags=trace.TraceFlags(0))
    client = traced(traced(httpx.AsyncClient(transport=httpx.MockTransport(answer))))
    assert not getattr(client, "_is_instrumented_by_opentelemetry", False)
    with trace.use_span(trace.NonRecordingSpan(caller)):
        await client.get("https://example.test/a")
    await client.get("https://example.test/b")  # no trace in hand: none invented
    await client.aclose()
    assert sent[0]["traceparent"] == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
    assert "traceparent" not in sent[1]


def test_the_development_mail_line_is_kept_whole_for_adly_dev_mail(log_text):
    from email.message import EmailMessage

    from adly_kit.mail import log_message

    mail = EmailMessage()
    mail["To"], mail["Subject"] = SEEDED["email"], "Finish signing up"
    mail.set_content(f"http://127.0.0.1:3000/confirm-signup?token={SEEDED['invitation']}\n")
    log_message(mail)
    assert SEEDED["email"] in log_text() and f"token={SEEDED['invitation']}" in log_text()
