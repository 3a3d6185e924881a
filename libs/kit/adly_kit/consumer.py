"""Idempotent event consumers on FastStream, with retries and a dead-letter topic.

Delivery semantics, declared once here for every subscriber (STYLE 7, RELIABILITY E1):
- an explicit consumer group per handler, `auto_offset_reset=earliest` for new groups,
  auto-commit off, offsets committed only after the handler's transaction committed
  (`AckPolicy.NACK_ON_ERROR`: an infrastructure error rewinds to the same record);
- records are applied in batches, one transaction per batch; the handler's writes and the
  inbox row of the event id commit together, so a redelivered event has no second effect;
  consecutive events of a type handled in runs (`Runs`) go to their handler together;
- a handler error is retried with exponential backoff, then the record goes to
  `<topic>.DLT` on the same partition with its origin and the error in headers, and
  the partition moves on: one bad message never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiokafka import TopicPartition
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.middlewares import AckPolicy
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from pydantic import BaseModel, ValidationError
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adly_events import EventCatalog, EventEnvelope, UnknownEventType, dead_letter_topic
from adly_kit import metrics, telemetry
from adly_kit.db import safe_schema
from adly_kit.redaction import redact

log = logging.getLogger(__name__)

Handler = Callable[[AsyncConnection, EventEnvelope, BaseModel], Awaitable[None]]


@dataclass(frozen=True)
class Runs:
    """Events handled in runs: `takes` says which payloads, `handler` gets a run of consecutive
    ones of one type (their envelopes and payloads, in order) in the batch's transaction."""

    takes: Callable[[BaseModel], bool]
    handler: Callable[[AsyncConnection, Sequence[tuple[EventEnvelope, BaseModel]]], Awaitable[None]]


# Errors of the infrastructure, not of the event: retrying later can succeed, so the
# record is redelivered instead of dead-lettered (a database outage must not empty topics).
INFRASTRUCTURE_ERRORS = (
    OSError,
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
)
UNREADABLE = (ValidationError, UnknownEventType, ValueError, UnicodeDecodeError)


class _HandlerFailed(Exception):
    """A handler raised while applying record `index` of a batch."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


@dataclass(frozen=True)
class Record:
    """What a consumer needs of a Kafka record; also what a DLT replay feeds back in."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()

    def header(self, name: str) -> str | None:
        return next((v.decode() for k, v in self.headers if k == name), None)


class DeadLetters:
    """Publishes records a consumer gave up on, with the reason in headers."""

    def __init__(self, broker: KafkaBroker) -> None:
        self.broker = broker

    async def send(self, consumer: str, record: Record, error: BaseException, attempts: int) -> None:
        origin = record.header("adly-dlt-origin-topic") or record.topic
        headers = {k: v.decode(errors="replace") for k, v in record.headers if not k.startswith("adly-dlt-")}
        headers |= {
            "adly-dlt-consumer": consumer,
            "adly-dlt-origin-topic": origin,
            "adly-dlt-origin-partition": record.header("adly-dlt-origin-partition") or str(record.partition),
            "adly-dlt-origin-offset": record.header("adly-dlt-origin-offset") or str(record.offset),
            "adly-dlt-exception-type": type(error).__name__,
            # The payload stays as it was (it is replayed; events carry no secrets or personal
            # data by contract), but an error's words may quote a URL's keys or an address.
            "adly-dlt-exception-message": redact(str(error))[:1000],
            "adly-dlt-attempts": str(attempts),
            "adly-dlt-failed-at": datetime.now(UTC).isoformat(),
        }
        await self.broker.publish(
            record.value, topic=dead_letter_topic(origin), key=record.key, partition=record.partition, headers=headers
        )
        metrics.EVENTS_DEAD_LETTERED.labels(consumer, origin).inc()
        log.warning(
            "event dead-lettered",
            extra={"consumer": consumer, "topic": origin, "offset": record.offset, "reason": type(error).__name__},
        )


class IdempotentConsumer:
    """Applies each event once: inbox row and handler writes commit together."""

    def __init__(
        self,
        name: str,
        handler: Handler,
        *,
        engine: AsyncEngine,
        schema: str,
        catalog: EventCatalog,
        dead_letters: DeadLetters,
        max_retries: int = 3,
        backoff_seconds: float = 0.2,
        runs: Runs | None = None,
    ) -> None:
        self.name = name
        self.handler = handler
        self.runs = runs
        self.engine = engine
        self.catalog = catalog
        self.dead_letters = dead_letters
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self._claim = text(
            f"INSERT INTO {safe_schema(schema)}.inbox (consumer, event_id) VALUES (:consumer, :event_id) "
            "ON CONFLICT DO NOTHING"
        )
        self._claim_many = text(
            f"INSERT INTO {safe_schema(schema)}.inbox (consumer, event_id) "
            "SELECT :consumer, unnest(CAST(:event_ids AS uuid[])) ON CONFLICT DO NOTHING RETURNING event_id"
        )

    async def process(self, record: Record) -> str:
        """Apply one record; returns the outcome (`applied`, `duplicate`, `dead_lettered`)."""
        return (await self.process_batch([record]))[0]

    async def process_batch(self, records: list[Record]) -> list[str]:
        """Apply records in order in one transaction: one commit for the whole batch.

        If a handler raises, that transaction is undone and the batch is applied again
        record by record, each in its own savepoint, so the failing record is retried (and
        at worst dead-lettered) alone. Database effects of the others happen once either
        way; a handler that calls outside systems must be idempotent there anyway."""
        started = time.perf_counter()
        outcomes: dict[int, str] = {}
        readable = []
        for index, record in enumerate(records):
            try:
                envelope = EventEnvelope.model_validate_json(record.value)
                readable.append((index, record, envelope, self.catalog.decode(envelope)))
            except UNREADABLE as error:
                await self.dead_letters.send(self.name, record, error, attempts=0)
                outcomes[index] = "dead_lettered"
        if readable:
            try:
                try:
                    outcomes |= await self._apply_all(readable)
                except _HandlerFailed as failed:
                    metrics.EVENTS_FAILED.labels(self.name, records[failed.index].topic).inc()
                    outcomes |= await self._apply_one_by_one(readable, failed.index)
            except INFRASTRUCTURE_ERRORS:
                await asyncio.sleep(self.backoff_seconds)  # then the batch is rewound and redelivered
                raise
        each = (time.perf_counter() - started) / len(records)
        for (topic, outcome), count in Counter((r.topic, outcomes[i]) for i, r in enumerate(records)).items():
            metrics.EVENTS_CONSUMED.labels(self.name, topic, outcome).inc(count)
            handled = metrics.HANDLER_SECONDS.labels(self.name, topic)
            for _ in range(count):
                handled.observe(each)
        return [outcomes[i] for i in range(len(records))]

    async def _apply_all(self, readable: list) -> dict[int, str]:
        """The common case: one inbox statement for the batch, the handlers, one commit."""
        outcomes: dict[int, str] = {}
        run: list = []  # consecutive fresh events of one type handled in runs, not yet applied
        async with self.engine.begin() as tx:
            fresh = await self._claim_all(tx, [envelope.event_id for _, _, envelope, _ in readable])
            for index, record, envelope, payload in readable:
                if envelope.event_id not in fresh:
                    outcomes[index] = "duplicate"
                    continue
                fresh.discard(envelope.event_id)  # the same event twice in one batch applies once
                taken = self.runs is not None and self.runs.takes(payload)
                if run and (not taken or type(run[0][3]) is not type(payload)):
                    outcomes |= await self._apply_run(tx, run)
                    run = []
                if taken:
                    run.append((index, record, envelope, payload))
                    continue
                with _span(record):
                    try:
                        await self.handler(tx, envelope, payload)
                    except INFRASTRUCTURE_ERRORS:
                        raise
                    except Exception as error:
                        raise _HandlerFailed(index) from error
                outcomes[index] = "applied"
            if run:
                outcomes |= await self._apply_run(tx, run)
        return outcomes

    async def _apply_run(self, tx: AsyncConnection, run: list) -> dict[int, str]:
        """A run's events in one call; if it fails, the batch is applied record by record and
        the run's first event counts the failed try."""
        assert self.runs is not None
        with _run_span([record for _, record, _, _ in run]):
            try:
                await self.runs.handler(tx, [(envelope, payload) for _, _, envelope, payload in run])
            except INFRASTRUCTURE_ERRORS:
                raise
            except Exception as error:
                raise _HandlerFailed(run[0][0]) from error
        return {index: "applied" for index, _, _, _ in run}

    async def _claim_all(self, tx: AsyncConnection, event_ids: list) -> set:
        rows = await tx.execute(self._claim_many, {"consumer": self.name, "event_ids": event_ids})
        return {event_id for (event_id,) in rows}

    async def _apply_one_by_one(self, readable: list, failed_index: int) -> dict[int, str]:
        outcomes: dict[int, str] = {}
        async with self.engine.begin() as tx:
            for index, record, envelope, payload in readable:
                first = 2 if index == failed_index else 1  # the failed try in the batch counts
                outcomes[index] = await self._apply_with_retries(tx, record, envelope, payload, first_attempt=first)
        return outcomes

    async def _apply_with_retries(
        self, tx: AsyncConnection, record: Record, envelope: EventEnvelope, payload: BaseModel, *, first_attempt: int = 1
    ) -> str:
        if first_attempt > 1:
            await asyncio.sleep(self.backoff_seconds)
        for attempt in range(first_attempt, self.max_retries + 2):
            try:
                async with tx.begin_nested():
                    with _span(record):
                        return await self._apply_in(tx, envelope, payload)
            except INFRASTRUCTURE_ERRORS:
                raise
            except Exception as error:  # the handler's own failure: retry, then dead-letter
                metrics.EVENTS_FAILED.labels(self.name, record.topic).inc()
                if attempt > self.max_retries:
                    await self.dead_letters.send(self.name, record, error, attempts=attempt)
                    return "dead_lettered"
                log.info("handler failed, retrying", extra={"consumer": self.name, "attempt": attempt})
                await asyncio.sleep(self.backoff_seconds * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    async def _apply_in(self, tx: AsyncConnection, envelope: EventEnvelope, payload: BaseModel) -> str:
        claimed = await tx.execute(self._claim, {"consumer": self.name, "event_id": envelope.event_id})
        if claimed.rowcount == 0:
            return "duplicate"
        if self.runs is not None and self.runs.takes(payload):
            await self.runs.handler(tx, [(envelope, payload)])
        else:
            await self.handler(tx, envelope, payload)
        return "applied"


def _span(record: Record) -> AbstractContextManager[object]:
    """A consumer span per event, child of the span that published it (W3C headers). When
    this process records no spans, the publisher's context is only made current, so events
    the handler appends still carry its trace (a tracer lookup and a span per event, for nothing)."""
    carrier = {k: v.decode(errors="replace") for k, v in record.headers if k in ("traceparent", "tracestate")}
    if not telemetry.recording():
        return _current(propagate.extract(carrier)) if carrier else nullcontext()
    return telemetry.tracer().start_as_current_span(
        f"{record.topic} process",
        context=propagate.extract(carrier),
        kind=trace.SpanKind.CONSUMER,
        attributes={"messaging.system": "kafka", "messaging.destination.name": record.topic,
                    "messaging.kafka.partition": record.partition, "messaging.kafka.offset": record.offset},
    )


def _run_span(records: Sequence[Record]) -> AbstractContextManager[object]:
    """One consumer span for a run, linked to the span that published each of its events (the
    OpenTelemetry shape for a batch: a span has one parent); without recording, the last
    event's context is made current, so what the handler appends carries a trace."""
    if len(records) == 1:
        return _span(records[0])
    contexts = [propagate.extract({k: v.decode(errors="replace") for k, v in r.headers
                                   if k in ("traceparent", "tracestate")}) for r in records]
    if not telemetry.recording():
        return _current(contexts[-1])
    links = [trace.Link(c) for c in (trace.get_current_span(ctx).get_span_context() for ctx in contexts) if c.is_valid]
    return telemetry.tracer().start_as_current_span(
        f"{records[0].topic} process", kind=trace.SpanKind.CONSUMER, links=links,
        attributes={"messaging.system": "kafka", "messaging.destination.name": records[0].topic,
                    "messaging.batch.message_count": len(records)},
    )


@contextmanager
def _current(context: otel_context.Context) -> Iterator[None]:
    token = otel_context.attach(context)
    try:
        yield
    finally:
        otel_context.detach(token)


def records_of(message: KafkaMessage) -> list[Record]:
    raws = message.raw_message if isinstance(message.raw_message, tuple) else (message.raw_message,)
    return [Record(r.topic, r.partition, r.offset, r.key, r.value, tuple(r.headers or ())) for r in raws]


def subscribe(
    broker: KafkaBroker,
    consumer: IdempotentConsumer,
    topics: list[str],
    *,
    group_id: str,
    max_records: int = 200,
    fetch_max_wait_ms: int = 100,
) -> None:
    """Register `consumer` on `broker` with explicit group and delivery semantics.

    Records arrive in batches (whatever is fetched, up to `max_records`): one database
    commit and one offset commit per batch instead of per event. A batch holds records
    of several partitions, each in partition order, so an aggregate's events still
    apply in order; a rewind (NACK) goes back to each partition's first record."""

    context = broker.context

    async def on_batch(_: Any) -> None:
        # The message from FastStream's context rather than as an annotated argument: that
        # argument is resolved by a synchronous lookup that FastStream runs in a worker
        # thread, a thread hand-off per batch.
        message: KafkaMessage = context.get_local("message")
        records = records_of(message)
        if records:
            await consumer.process_batch(records)
            _record_lag(consumer.name, message, records)

    broker.subscriber(
        *topics,
        batch=True,
        max_records=max_records,
        decoder=_undecoded,
        # How long a poll waits when nothing was fetched; records already fetched come back at
        # once. 10 ms made every idle subscription wake 100 times a second (a third of an idle
        # service's CPU).
        batch_timeout_ms=500,
        # How long the broker may hold a fetch for more data: the floor of delivery latency
        # when records trickle in (aiokafka's 500 ms default is far above our 50 ms goal).
        fetch_max_wait_ms=fetch_max_wait_ms,
        group_id=group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        max_poll_interval_ms=300_000,
        session_timeout_ms=10_000,
        title=f"{group_id}",
    )(on_batch)


async def _undecoded(message: KafkaMessage) -> Any:
    """The batch as aiokafka gave it. `process_batch` reads each envelope itself; FastStream's
    own decoding would parse every record's JSON once more, for nothing."""
    return message.raw_message


def _record_lag(name: str, message: KafkaMessage, records: list[Record]) -> None:
    last = {(r.topic, r.partition): r.offset for r in records}
    for (topic, partition), offset in last.items():
        highwater = message.consumer.highwater(TopicPartition(topic, partition))
        if highwater is not None:
            metrics.CONSUMER_LAG.labels(name, topic, str(partition)).set(max(highwater - offset - 1, 0))
