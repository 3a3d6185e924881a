"""The outbox relay: publishes committed outbox rows to Kafka, in order, at least once.

- Wakes at once on the outbox trigger's NOTIFY (and every `poll_seconds` as a safety net).
- Reads unpublished rows in position order, sends them, and marks them published only
  after the broker acknowledged every one. A crash in between republishes; consumers
  deduplicate by event id, so nothing is applied twice.
- With a backlog, the next page is read and sent while the broker acknowledges the page
  before it (two pages in flight, never more), so reading, sending and marking overlap.
  Pages are sent in position order by one producer, which keeps each partition's order.
- A full page (a backlog) goes out as one record batch per partition (the producer's
  `create_batch` and `send_batch`), with the partition the producer's own partitioner
  would give the key, so an aggregate's events land where `send` would put them, in
  position order. Row by row cost a future and an accumulator lookup per event. A page
  that empties the outbox goes row by row: its few rows join the producer's open batches
  at once, where a batch of their own would wait for the partition's previous one to leave.
- Reads "rows not yet published", never "rows after a cursor", so a row that commits
  after a higher position was already published is still found (RELIABILITY E3).
  Two events of one aggregate are written by transactions that follow each other, so
  position order is aggregate order.
- One active relay per schema: a session advisory lock elects it; a second process
  waits as a hot standby and takes over when the first one's connection drops.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import zlib
from collections import Counter
from dataclasses import dataclass

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder
from opentelemetry import propagate, trace

from adly_kit import metrics, telemetry
from adly_kit.backbone_schema import notify_channel
from adly_kit.db import safe_schema

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=16_384)
def partition_of(key: bytes, partitions: tuple[int, ...]) -> int:
    """The partition `AIOKafkaProducer.send` gives `key` with its default partitioner (murmur2,
    as the Java client), so consumers see the same partitioning either way. Remembered: the
    pure-Python murmur2 is 8 µs a key, and an aggregate's events keep coming."""
    return DefaultPartitioner()(key, list(partitions), [])


@dataclass(frozen=True)
class OutboxRow:
    position: int
    topic: str
    key: str
    event_id: str
    event_type: str
    schema_version: int
    traceparent: str | None
    tracestate: str | None
    envelope: bytes

    def headers(self) -> list[tuple[str, bytes]]:
        return [
            ("content-type", b"application/json"),
            ("adly-event-id", self.event_id.encode()),
            ("adly-event-type", self.event_type.encode()),
            ("adly-schema-version", str(self.schema_version).encode()),
        ]

    def trace_context(self) -> dict[str, str]:
        """The producing operation's W3C trace context."""
        carrier = {"traceparent": self.traceparent} if self.traceparent else {}
        return carrier | ({"tracestate": self.tracestate} if self.tracestate else {})


@dataclass(frozen=True)
class Page:
    """Rows sent together, and the future of the broker's acknowledgement of all of them."""

    rows: list[OutboxRow]
    acknowledged: asyncio.Future


class OutboxRelay:
    def __init__(
        self,
        dsn: str,
        schema: str,
        producer_config: dict,
        *,
        batch_size: int = 2000,
        poll_seconds: float = 1.0,
        standby_seconds: float = 1.0,
    ) -> None:
        self.dsn = dsn
        self.schema = safe_schema(schema)
        self.producer_config = producer_config
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.standby_seconds = standby_seconds
        self._wake = asyncio.Event()
        self._lock_key = zlib.crc32(f"adly.relay.{self.schema}".encode())
        self.is_leader = False
        self._lag_recorded_at = 0.0
        self._recording = False
        s = self.schema
        # The page is chosen on the outbox alone, then joined: ordering the join itself made
        # Postgres convert the whole backlog before an ANALYZE had seen the outbox grow.
        self._select = f"""
            SELECT o.position, o.topic, e.aggregate_id::text, e.event_id::text, e.event_type, e.schema_version,
                   e.envelope->'trace'->>'traceparent', e.envelope->'trace'->>'tracestate',
                   convert_to(e.envelope::text, 'UTF8')
            FROM (SELECT position, event_id, topic FROM {s}.outbox
                  WHERE published_at IS NULL AND NOT position = ANY($2::bigint[]) ORDER BY position LIMIT $1) o
            JOIN {s}.events e USING (event_id)
            ORDER BY o.position"""
        self._mark = f"UPDATE {s}.outbox SET published_at = now() WHERE position = ANY($1::bigint[])"
        self._lag = f"""SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)
                        FROM {s}.outbox WHERE published_at IS NULL"""

    async def run(self) -> None:
        """Run until cancelled: wait for leadership, then relay; reconnect on failure."""
        while True:
            try:
                await self._run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; restarting", extra={"schema": self.schema})
                self.is_leader = False
                await asyncio.sleep(self.standby_seconds)

    async def _run_once(self) -> None:
        connect = {"server_settings": {"application_name": f"adly-{self.schema}-relay"}}
        connection = await asyncpg.connect(self.dsn, **connect)
        try:
            await self._become_leader(connection)
            await connection.add_listener(notify_channel(self.schema), self._on_notify)
            # Pages are read on a connection of their own, so the next read overlaps the
            # marking of the page before it (one connection runs one statement at a time).
            # Its plans are made for each page's own positions: only then does Postgres hash the
            # unmarked ones (`= ANY` on a constant). A generic plan compares each row scanned with
            # every unmarked position, 44 ms a page of 2,000 instead of 16 (PostgreSQL 18).
            reader = await asyncpg.connect(self.dsn, server_settings=connect["server_settings"] | {
                "plan_cache_mode": "force_custom_plan"})
            producer = AIOKafkaProducer(**self.producer_config)
            try:
                await producer.start()
                while True:
                    await self._drain(connection, reader, producer)
            finally:
                await producer.stop()
                await reader.close()
        finally:
            self.is_leader = False
            await connection.close()

    async def _become_leader(self, connection: asyncpg.Connection) -> None:
        while not await connection.fetchval("SELECT pg_try_advisory_lock($1)", self._lock_key):
            await asyncio.sleep(self.standby_seconds)
        self.is_leader = True
        log.info("outbox relay is the leader", extra={"schema": self.schema})

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _drain(self, leader: asyncpg.Connection, reader: asyncpg.Connection,
                     producer: AIOKafkaProducer) -> None:
        """Relay until the outbox is empty, then park until a commit's notification (or the poll).

        A full page means a backlog: the next page is read while this one is sent and the one
        before it is acknowledged and marked, leaving out both (neither may be marked yet)."""
        self._wake.clear()
        previous: Page | None = None
        rows = await self._fetch(reader, [])
        while rows:
            following = None
            if len(rows) == self.batch_size:
                unmarked = [r.position for r in (previous.rows if previous else [])] + [r.position for r in rows]
                following = asyncio.ensure_future(self._fetch(reader, unmarked))
                await asyncio.sleep(0)  # the query is on its way before this page's sends take the loop
            try:
                page = Page(rows, await self._publish(producer, rows))
                if previous is not None:
                    await self._settle(leader, previous)
            except BaseException:
                if following is not None:
                    following.cancel()
                raise
            previous = page
            rows = await following if following is not None else []
        if previous is not None:
            await self._settle(leader, previous)
        await self._record_lag(leader)
        try:
            await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
        except TimeoutError:
            pass

    async def _fetch(self, reader: asyncpg.Connection, unmarked: list[int]) -> list[OutboxRow]:
        return [OutboxRow(*r) for r in await reader.fetch(self._select, self.batch_size, unmarked)]

    async def _publish(self, producer: AIOKafkaProducer, rows: list[OutboxRow]) -> asyncio.Future:
        """Send a page, in order within each partition; the future completes when the broker
        acknowledged all of it."""
        self._recording = telemetry.recording()
        if len(rows) < self.batch_size:
            return asyncio.gather(*[await self._send(producer, row) for row in rows])
        partitions: dict[str, tuple[int, ...]] = {}
        batches: dict[tuple[str, int], BatchBuilder] = {}
        sent: list[asyncio.Future] = []
        for row in rows:
            if row.topic not in partitions:
                partitions[row.topic] = tuple(sorted(await producer.partitions_for(row.topic)))
            key = row.key.encode()
            place = (row.topic, partition_of(key, partitions[row.topic]))
            record = {"timestamp": None, "key": key, "value": row.envelope, "headers": self._headers(row)}
            batch = batches.get(place)
            if batch is None or batch.append(**record) is None:
                if batch is not None:  # full: it goes now, and the partition's next rows follow it
                    sent.append(await producer.send_batch(batch, place[0], partition=place[1]))
                batch = batches[place] = producer.create_batch()
                batch.append(**record)  # an empty batch takes any record, as `send` would
        for (topic, partition), batch in batches.items():
            sent.append(await producer.send_batch(batch, topic, partition=partition))
        return asyncio.gather(*sent)

    async def _settle(self, leader: asyncpg.Connection, page: Page) -> None:
        await page.acknowledged
        await leader.execute(self._mark, [r.position for r in page.rows])
        for topic, count in Counter(r.topic for r in page.rows).items():
            metrics.EVENTS_PUBLISHED.labels(self.schema, topic).inc(count)

    async def _send(self, producer: AIOKafkaProducer, row: OutboxRow) -> asyncio.Future:
        return await producer.send(row.topic, row.envelope, key=row.key.encode(), headers=self._headers(row))

    def _headers(self, row: OutboxRow) -> list[tuple[str, bytes]]:
        # The relay's hot path: fields come from SQL rather than from parsing each envelope,
        # and a publish span is opened only when traces are being recorded at all.
        if self._recording:
            with telemetry.tracer().start_as_current_span(
                f"{row.topic} publish", context=propagate.extract(row.trace_context()),
                kind=trace.SpanKind.PRODUCER,
                attributes={"messaging.system": "kafka", "messaging.destination.name": row.topic,
                            "messaging.message.id": row.event_id},
            ):
                return telemetry.inject_headers(row.headers())
        return row.headers() + [(k, v.encode()) for k, v in row.trace_context().items()]

    async def _record_lag(self, connection: asyncpg.Connection) -> None:
        now = time.monotonic()
        if now - self._lag_recorded_at < 1.0:
            return
        self._lag_recorded_at = now
        count, age = await connection.fetchrow(self._lag)
        metrics.RELAY_LAG_EVENTS.labels(self.schema).set(count)
        metrics.RELAY_LAG_SECONDS.labels(self.schema).set(float(age))

