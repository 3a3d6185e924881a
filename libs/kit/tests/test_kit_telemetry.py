"""Trace context travels whether or not anyone exports spans."""

from opentelemetry import propagate

from adly_kit.telemetry import provider_for

CALLER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def traceparent_inside(span_context=None) -> tuple[str, bool]:
    tracer = provider_for([]).get_tracer("test")
    with tracer.start_as_current_span("request", context=span_context) as span:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        return carrier["traceparent"], span.is_recording()


def test_without_an_exporter_a_callers_trace_continues_unrecorded():
    traceparent, recorded = traceparent_inside(propagate.extract({"traceparent": CALLER}))
    version, trace_id, span_id, _ = traceparent.split("-")
    assert (version, trace_id) == ("00", "4bf92f3577b34da6a3ce929d0e0e4736")
    assert span_id != "00f067aa0ba902b7", "the request is a span of its own, child of the caller's"
    assert not recorded


def test_without_an_exporter_a_request_with_no_caller_starts_a_trace():
    traceparent, recorded = traceparent_inside()
    _, trace_id, span_id, _ = traceparent.split("-")
    assert int(trace_id, 16) != 0 and int(span_id, 16) != 0
    assert not recorded
