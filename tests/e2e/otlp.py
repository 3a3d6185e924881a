"""A local OTLP/HTTP receiver: the spans every process of the stack exports, kept in memory.

The stack's services export with the standard exporter (`OTEL_TRACES_EXPORTER=otlp`,
`http/protobuf`) to `span_receiver().endpoint`; a test waits on the receiver's condition
for the spans it expects, never on a clock."""

from __future__ import annotations

import gzip
import http.server
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

KEPT = 200_000  # the newest spans of a session: memory stays bounded on a long run


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    name: str
    kind: int  # opentelemetry.proto.trace.v1.Span.SpanKind: 2 server, 3 client, 4 producer, 5 consumer
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, Any]
    events: tuple[dict[str, Any], ...]


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind) if kind else None


def _attributes(pairs) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in pairs}


def decode(body: bytes) -> list[ReceivedSpan]:
    request = ExportTraceServiceRequest.FromString(body)
    spans = []
    for resource_spans in request.resource_spans:
        service = str(_attributes(resource_spans.resource.attributes).get("service.name", ""))
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(ReceivedSpan(
                    service, span.name, span.kind, span.trace_id.hex(), span.span_id.hex(), span.parent_span_id.hex(),
                    _attributes(span.attributes),
                    tuple({"name": e.name, **_attributes(e.attributes)} for e in span.events)))
    return spans


class SpanReceiver:
    def __init__(self) -> None:
        self.spans: deque[ReceivedSpan] = deque(maxlen=KEPT)
        self.changed = threading.Condition()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True, name="otlp-receiver").start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1/traces"

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if self.headers.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                receiver.add(decode(body))
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def add(self, spans: list[ReceivedSpan]) -> None:
        with self.changed:
            self.spans.extend(spans)
            self.changed.notify_all()

    def wait_for(self, found: Callable[[list[ReceivedSpan]], Any], *, timeout: float = 60.0) -> Any:
        """`found(spans)` once it is truthy (re-checked on each export), else its last value."""
        result = None

        def check() -> bool:
            nonlocal result
            result = found(list(self.spans))
            return bool(result)

        with self.changed:
            self.changed.wait_for(check, timeout)
        return result

    def all(self) -> list[ReceivedSpan]:
        with self.changed:
            return list(self.spans)


_receiver: SpanReceiver | None = None
_lock = threading.Lock()


def span_receiver() -> SpanReceiver:
    """The session's receiver, started on first use."""
    global _receiver
    with _lock:
        if _receiver is None:
            _receiver = SpanReceiver()
        return _receiver


def otel_env() -> dict[str, str]:
    """What a stack process needs to export its spans to the receiver, promptly."""
    return {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": span_receiver().endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "200",  # milliseconds: a test's spans arrive while it waits
    }
