"""The event store: append with optimistic concurrency, load, and read in commit order.

Appending also writes the outbox rows in the same statement, so an event is stored
and scheduled for publication in one transaction, or neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from prometheus_client import Counter
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adly_events import EncodedEvent, EventCatalog, EventEnvelope
from adly_kit import metrics
from adly_kit.db import safe_schema


class ConcurrencyConflict(Exception):
    """The aggregate moved on since it was loaded; reload and decide again."""

    def __init__(self, aggregate_id: UUID, expected_version: int) -> None:
        super().__init__(f"aggregate {aggregate_id} is no longer at version {expected_version}")
        self.aggregate_id = aggregate_id
        self.expected_version = expected_version


@dataclass(frozen=True, order=True)
class StorePosition:
    """A place in the whole store's commit order: (writing transaction, row position)."""

    tx_id: int = 0
    position: int = 0


START = StorePosition()


@dataclass(frozen=True)
class StoredEvent:
    position: StorePosition
    envelope: EventEnvelope


class EventStore:
    def __init__(self, schema: str, catalog: EventCatalog) -> None:
        self.schema = safe_schema(schema)
        self.catalog = catalog
        self._counters: dict[str, Counter] = {}
        s = self.schema
        # One aggregate's events. Versions are `expected_version` + their place in the list
        # (`_check_contiguous` has made sure of that), so they are not sent.
        append = f"""
            WITH appended AS (
                INSERT INTO {s}.events (aggregate_id, aggregate_version, aggregate_type, event_id,
                                        event_type, schema_version, workspace_id, occurred_at, envelope)
                SELECT :aggregate_id, CAST(:expected_version AS integer) + e.ord, :aggregate_type, e.event_id,
                       e.event_type, e.schema_version, :workspace_id, e.occurred_at, e.envelope::jsonb
                FROM unnest(CAST(:event_ids AS uuid[]), CAST(:event_types AS text[]),
                            CAST(:schema_versions AS integer[]), CAST(:occurred_at AS timestamptz[]),
                            CAST(:envelopes AS text[]))
                     WITH ORDINALITY AS e(event_id, event_type, schema_version, occurred_at, envelope, ord)
                WHERE CAST(:expected_version AS integer) = 0 OR EXISTS (
                    SELECT 1 FROM {s}.events
                    WHERE aggregate_id = :aggregate_id AND aggregate_version = :expected_version)
                ORDER BY e.ord
                RETURNING event_id, position
            )
        """
        # The same for many aggregates; `expected` is each row's aggregate's version before
        # this append (the same for all its rows: later rows of one aggregate cannot see the
        # earlier ones in the same statement's snapshot).
        append_many = f"""
            WITH appended AS (
                INSERT INTO {s}.events (aggregate_id, aggregate_version, aggregate_type, event_id,
                                        event_type, schema_version, workspace_id, occurred_at, envelope)
                SELECT e.aggregate_id, e.version, e.aggregate_type, e.event_id, e.event_type,
                       e.schema_version, e.workspace_id, e.occurred_at, e.envelope::jsonb
                FROM unnest(CAST(:aggregate_ids AS uuid[]), CAST(:aggregate_types AS text[]),
                            CAST(:workspace_ids AS uuid[]), CAST(:expected AS integer[]),
                            CAST(:versions AS integer[]), CAST(:event_ids AS uuid[]),
                            CAST(:event_types AS text[]), CAST(:schema_versions AS integer[]),
                            CAST(:occurred_at AS timestamptz[]), CAST(:envelopes AS text[]))
                     WITH ORDINALITY AS e(aggregate_id, aggregate_type, workspace_id, expected, version, event_id,
                                          event_type, schema_version, occurred_at, envelope, ord)
                WHERE e.expected = 0 OR EXISTS (
                    SELECT 1 FROM {s}.events x
                    WHERE x.aggregate_id = e.aggregate_id AND x.aggregate_version = e.expected)
                ORDER BY e.ord
                RETURNING event_id, position
            )
        """
        # The outbox rows, in the events' order. Nearly always every event of an append goes
        # to one topic (one aggregate type), which is then sent once instead of per event.
        one_topic = f"INSERT INTO {s}.outbox (event_id, topic) SELECT a.event_id, :topic FROM appended a ORDER BY a.position"
        topics = f"""
            INSERT INTO {s}.outbox (event_id, topic)
            SELECT a.event_id, t.topic
            FROM appended a JOIN unnest(CAST(:event_ids AS uuid[]), CAST(:topics AS text[])) AS t(event_id, topic)
                 USING (event_id)
            ORDER BY a.position
        """
        self._append = {True: text(append + one_topic), False: text(append + topics)}
        self._append_many = {True: text(append_many + one_topic), False: text(append_many + topics)}
        self._load = text(f"""
            SELECT envelope::text FROM {s}.events
            WHERE aggregate_id = :aggregate_id AND aggregate_version > :after
            ORDER BY aggregate_version
        """)
        # Rows whose transaction id is below the oldest still-running transaction
        # (pg_snapshot_xmin) can no longer be joined by anything that commits later,
        # so a reader that only goes that far and orders by (tx_id, position) never
        # skips a row that a slow writer commits after a faster one.
        self._read_all = text(f"""
            SELECT tx_id::text::bigint, position, envelope::text FROM {s}.events
            WHERE (tx_id, position) > (CAST(CAST(:tx_id AS text) AS xid8), :position)
              AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY tx_id, position
            LIMIT :limit
        """)

    async def append(self, tx: AsyncConnection, events: Sequence[EventEnvelope], *, expected_version: int) -> None:
        """Append one aggregate's new events; all or nothing, at `expected_version` only."""
        if not events:
            return
        first = events[0]
        _check_contiguous(events, expected_version)
        params = {
            "aggregate_id": first.aggregate_id,
            "aggregate_type": first.aggregate_type,
            "workspace_id": first.workspace_id,
            "expected_version": expected_version,
            "event_ids": [e.event_id for e in events],
            "event_types": [e.event_type for e in events],
            "schema_versions": [e.schema_version for e in events],
            "occurred_at": [e.occurred_at for e in events],
            "envelopes": [e.model_dump_json() for e in events],
        }
        one_topic = self._topics(events, params)
        try:
            result = await tx.execute(self._append[one_topic], params)
        except IntegrityError as error:
            raise ConcurrencyConflict(first.aggregate_id, expected_version) from error
        if result.rowcount != len(events):
            raise ConcurrencyConflict(first.aggregate_id, expected_version)
        self._appended(first.aggregate_type).inc(len(events))

    async def append_many(self, tx: AsyncConnection,
                          batches: Sequence[tuple[Sequence[EventEnvelope | EncodedEvent], int]]) -> None:
        """Append the new events of many aggregates in one statement: each `(events,
        expected_version)` as `append` would, all or nothing. A sync page of 250 products
        costs one round trip instead of 250. Events may come encoded already
        (`EventCatalog.encoded`)."""
        rows: list[tuple[EventEnvelope | EncodedEvent, int]] = []
        for events, expected_version in batches:
            if events:
                _check_contiguous(events, expected_version)
                rows += [(event, expected_version) for event in events]
        if not rows:
            return
        params = {
            "aggregate_ids": [e.aggregate_id for e, _ in rows],
            "aggregate_types": [e.aggregate_type for e, _ in rows],
            "workspace_ids": [e.workspace_id for e, _ in rows],
            "expected": [expected for _, expected in rows],
            "versions": [e.aggregate_version for e, _ in rows],
            "event_ids": [e.event_id for e, _ in rows],
            "event_types": [e.event_type for e, _ in rows],
            "schema_versions": [e.schema_version for e, _ in rows],
            "occurred_at": [e.occurred_at for e, _ in rows],
            "envelopes": [e.json if isinstance(e, EncodedEvent) else e.model_dump_json() for e, _ in rows],
        }
        one_topic = self._topics([e for e, _ in rows], params)
        try:
            result = await tx.execute(self._append_many[one_topic], params)
        except IntegrityError as error:
            raise ConcurrencyConflict(rows[0][0].aggregate_id, rows[0][1]) from error
        if result.rowcount != len(rows):
            raise ConcurrencyConflict(rows[0][0].aggregate_id, rows[0][1])
        self._appended(rows[0][0].aggregate_type).inc(len(rows))

    def _topics(self, events: Sequence[EventEnvelope | EncodedEvent], params: dict[str, Any]) -> bool:
        """Put the events' topics in `params`: one `topic` if they share it (True), else `topics`."""
        topics = [self.catalog.get(e.event_type, e.schema_version).topic for e in events]
        if all(topic == topics[0] for topic in topics):
            params["topic"] = topics[0]
            return True
        params["topics"] = topics
        return False

    def _appended(self, aggregate_type: str) -> Counter:
        # The labelled child, looked up once per aggregate type rather than per append.
        counter = self._counters.get(aggregate_type)
        if counter is None:
            counter = self._counters[aggregate_type] = metrics.EVENTS_APPENDED.labels(self.schema, aggregate_type)
        return counter

    async def load(self, conn: AsyncConnection, aggregate_id: UUID, *, after_version: int = 0) -> list[EventEnvelope]:
        rows = await conn.execute(self._load, {"aggregate_id": aggregate_id, "after": after_version})
        return [EventEnvelope.model_validate_json(envelope) for (envelope,) in rows]

    async def read_all(self, conn: AsyncConnection, after: StorePosition = START, limit: int = 1000) -> list[StoredEvent]:
        """The whole store in commit-safe order, from just after `after`."""
        rows = await conn.execute(
            self._read_all, {"tx_id": str(after.tx_id), "position": after.position, "limit": limit}
        )
        return [StoredEvent(StorePosition(tx, pos), EventEnvelope.model_validate_json(env)) for tx, pos, env in rows]


def _check_contiguous(events: Sequence[EventEnvelope | EncodedEvent], expected_version: int) -> None:
    aggregate_id = events[0].aggregate_id
    for offset, event in enumerate(events, start=1):
        if event.aggregate_id != aggregate_id:
            raise ValueError("one append holds the events of one aggregate")
        if event.aggregate_version != expected_version + offset:
            raise ValueError(
                f"event {event.event_id} has version {event.aggregate_version}, expected {expected_version + offset}"
            )
