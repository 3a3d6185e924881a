"""One trace from the operation that appended an event to the consumer that applied it."""

from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adly_kit import telemetry
from adly_kit.consumer import DeadLetters, IdempotentConsumer, subscribe
from adly_kit.testing.plugin import eventually
from adly_kit.testing.sample import counted, new_aggregate

from .test_consumers import run_relay

exporter = InMemorySpanExporter()


def _provider() -> TracerProvider:
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        provider = current
    else:
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


async def test_the_consumer_span_belongs_to_the_trace_of_the_request_that_appended_the_event(backbone):
    provider = _provider()
    seen = []

    async def handler(tx, envelope, payload):
        seen.append(trace.get_current_span().get_span_context().trace_id)

    s = backbone.settings
    broker = KafkaBroker(s.kafka_bootstrap_servers, acks="all", enable_idempotence=s.idempotent_producer,
                         middlewares=(KafkaTelemetryMiddleware(tracer_provider=provider),))
    consumer = IdempotentConsumer("adly.test.traced", handler, engine=backbone.engine, schema=s.schema,
                                  catalog=backbone.catalog, dead_letters=DeadLetters(broker))
    subscribe(broker, consumer, [backbone.topic], group_id=consumer.name)
    aggregate = new_aggregate()
    with telemetry.tracer().start_as_current_span("POST /v1/things") as request_span:
        trace_id = request_span.get_span_context().trace_id
        events = [e.model_copy(update={"trace": telemetry.current_trace()})
                  for e in counted(backbone.catalog, aggregate, range(1, 2))]
        async with backbone.engine.begin() as tx:
            await backbone.store.append(tx, events, expected_version=0)
    # The aggregate's next event, outside the request, ends the wait: it comes after the
    # first on their partition, so once it is applied the first was applied exactly once.
    async with backbone.engine.begin() as tx:
        await backbone.store.append(tx, counted(backbone.catalog, aggregate, range(2, 3)), expected_version=1)
    relay = await run_relay(backbone)
    try:
        async with broker:
            await broker.start()
            assert await eventually(lambda: _count(seen, 2), timeout=60)
    finally:
        relay.cancel()
    assert len(seen) == 2 and seen[0] == trace_id and seen[1] != trace_id
    names = {span.name for span in exporter.get_finished_spans() if span.context.trace_id == trace_id}
    assert f"{backbone.topic} publish" in names


async def _count(items, n):
    return len(items) >= n


async def test_a_run_of_events_is_one_consumer_span_linked_to_each_events_trace(backbone):
    from adly_kit.consumer import Record, Runs

    _provider()
    seen = []

    async def run(tx, events):
        seen.append(trace.get_current_span().get_span_context().span_id)

    consumer = IdempotentConsumer("adly.test.traced-runs", run, engine=backbone.engine, schema=backbone.settings.schema,
                                  catalog=backbone.catalog, dead_letters=DeadLetters(None), runs=Runs(lambda p: True, run))
    traces = [int.from_bytes(bytes([n]) * 16) for n in (1, 2, 3)]
    records = [Record(backbone.topic, 0, n, e.key, e.to_json(), (("traceparent", f"00-{t:032x}-{n + 1:016x}-01".encode()),))
               for n, (e, t) in enumerate(zip(counted(backbone.catalog, new_aggregate(), range(1, 4)), traces, strict=True))]
    assert await consumer.process_batch(records) == ["applied"] * 3

    (span_id,) = seen  # one call for the run
    span = next(s for s in exporter.get_finished_spans() if s.context.span_id == span_id)
    assert span.name == f"{backbone.topic} process" and span.attributes["messaging.batch.message_count"] == 3
    assert [link.context.trace_id for link in span.links] == traces
