"""OpenTelemetry: one trace from HTTP through the service, Kafka and the next consumer.

Exporters follow the standard variables: `OTEL_TRACES_EXPORTER` (`otlp`, `console` or
`none`; `none` when unset, since a laptop has no collector), `OTEL_EXPORTER_OTLP_ENDPOINT`,
`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import Status

from adly_events import TraceContext
from adly_kit.redaction import redact

_configured = False
_exporting = False


def _exporter(name: str) -> SpanExporter | None:
    if name == "otlp":
        protocol = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"))
        if protocol == "grpc":
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        return OTLPSpanExporter()
    if name == "console":
        return ConsoleSpanExporter()
    return None


def setup_telemetry(service_name: str) -> None:
    """Install the tracer provider once per process.

    Context travels whether or not spans are exported: a request's trace continues through
    the gateway and every event carries the trace of the request that caused it, which
    teams reading our topics rely on. With no exporter, spans are minted but not recorded
    (valid ids, nothing collected), so that costs next to nothing."""
    global _configured, _exporting
    if _configured:
        return
    os.environ.setdefault("OTEL_SERVICE_NAME", f"adly-{service_name}")
    exporters = [e for name in os.environ.get("OTEL_TRACES_EXPORTER", "none").split(",") if (e := _exporter(name.strip()))]
    _configured, _exporting = True, bool(exporters)
    trace.set_tracer_provider(provider_for(exporters))


def provider_for(exporters: list[SpanExporter]) -> TracerProvider:
    """Spans sampled as usual and exported when there are exporters; otherwise never
    recorded, while their ids (the caller's trace id, or a new one) still propagate."""
    if not exporters:
        return TracerProvider(resource=Resource.create(), sampler=ALWAYS_OFF)
    provider = TracerProvider(resource=Resource.create())
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(Redacting(exporter)))
    return provider


class Redacting(SpanExporter):
    """Spans masked on their way out, like log lines (`adly_kit.redaction`): an exception
    event quotes whatever its message held, a client span whatever URL a library saw."""

    def __init__(self, exporter: SpanExporter) -> None:
        self.exporter = exporter

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.exporter.export([_masked(span) for span in spans])

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.exporter.force_flush(timeout_millis)


def _masked_values(attributes: Mapping | None) -> dict:
    return {k: redact(v) if isinstance(v, str) else v for k, v in (attributes or {}).items()}


def _masked(span: ReadableSpan) -> ReadableSpan:
    status = Status(span.status.status_code, redact(span.status.description)) if span.status.description else span.status
    return ReadableSpan(
        name=span.name, context=span.context, parent=span.parent, resource=span.resource,
        attributes=_masked_values(span.attributes), kind=span.kind, links=span.links, status=status,
        events=[Event(e.name, _masked_values(e.attributes), e.timestamp) for e in span.events],
        start_time=span.start_time, end_time=span.end_time, instrumentation_scope=span.instrumentation_scope,
    )


def recording() -> bool:
    """Whether spans are collected in this process (worth the cost of extra spans)."""
    if _exporting:
        return True
    provider = trace.get_tracer_provider()
    # A provider installed by someone else (a test collecting spans in memory) records.
    return isinstance(provider, TracerProvider) and not isinstance(provider.sampler, type(ALWAYS_OFF))


def tracer(name: str = "adly") -> trace.Tracer:
    return trace.get_tracer(name)


def current_trace() -> TraceContext | None:
    """The active span's W3C trace context, to store in the envelope of a new event."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    if "traceparent" not in carrier:
        return None
    return TraceContext(traceparent=carrier["traceparent"], tracestate=carrier.get("tracestate"))



def inject_headers(headers: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Add the active context's `traceparent`/`tracestate` to Kafka headers."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return headers + [(k, v.encode()) for k, v in carrier.items()]
