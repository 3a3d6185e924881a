"""Live events for WebSocket clients: one Kafka reader per gateway process, fanned out in memory.

The reader assigns itself every partition of every non-DLT `adly.*` topic (manual
assignment, no consumer group, no commits), starting at the end: a live view shows what
happens from now on. New topics are picked up every `refresh_seconds` from their start.
Each socket has a bounded queue; a client too slow to keep up is disconnected rather than
letting memory grow.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict

from aiokafka import AIOKafkaConsumer, TopicPartition

from adly_events.topics import DEAD_LETTER_SUFFIX

log = logging.getLogger(__name__)
_REDACTED_FIELDS = ("secret_sha256",)


def live_topic(name: str) -> bool:
    return name.startswith("adly.") and not name.endswith(DEAD_LETTER_SUFFIX)


class Subscriber:
    def __init__(self, size: int) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue(size)
        self.overflowed = asyncio.Event()

    def offer(self, frame: str) -> None:
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.overflowed.set()


class LiveFeed:
    def __init__(self, bootstrap_servers: str, *, refresh_seconds: float, queue_size: int, client_id: str) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.refresh_seconds = refresh_seconds
        self.queue_size = queue_size
        self.client_id = client_id
        self.ready = asyncio.Event()
        self._subscribers: dict[str, set[Subscriber]] = defaultdict(set)
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="gateway-live-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    def subscribe(self, workspace_id: str) -> Subscriber:
        subscriber = Subscriber(self.queue_size)
        self._subscribers[workspace_id].add(subscriber)
        return subscriber

    def unsubscribe(self, workspace_id: str, subscriber: Subscriber) -> None:
        subscribers = self._subscribers.get(workspace_id)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                self._subscribers.pop(workspace_id, None)

    def publish(self, raw: bytes) -> None:
        """Hand one record to the sockets of its workspace."""
        if not self._subscribers:
            return
        try:
            event = json.loads(raw)
        except ValueError:
            return
        workspace_id = event.get("workspace_id") if isinstance(event, dict) else None
        subscribers = self._subscribers.get(str(workspace_id)) if workspace_id else None
        if not subscribers:
            return
        fields = event.get("payload")
        if isinstance(fields, dict):
            for name in _REDACTED_FIELDS:
                fields.pop(name, None)
        frame = json.dumps(event, separators=(",", ":"))
        for subscriber in list(subscribers):
            subscriber.offer(frame)

    async def _run(self) -> None:
        while True:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap_servers,
                client_id=self.client_id,
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="latest",
                # aiokafka answers topics() from cached metadata; without this a topic
                # created after start would stay unseen for the default five minutes.
                metadata_max_age_ms=max(int(self.refresh_seconds * 1000), 1000),
            )
            try:
                await consumer.start()
                await self._consume(consumer)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # broker away: start over, live is best effort
                log.warning("live feed reader failed (%s); restarting", type(error).__name__)
                self.ready.clear()
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(Exception):
                    await consumer.stop()

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        assigned: set[TopicPartition] = set()
        first = True
        loop = asyncio.get_running_loop()
        next_refresh = 0.0
        while True:
            if loop.time() >= next_refresh:
                assigned = await self._assign(consumer, assigned, from_end=first)
                first = False
                self.ready.set()
                next_refresh = loop.time() + self.refresh_seconds
            if not assigned:  # aiokafka's getmany waits forever on an empty assignment
                await asyncio.sleep(min(self.refresh_seconds, 1.0))
                continue
            batches = await consumer.getmany(timeout_ms=200, max_records=500)
            for records in batches.values():
                for record in records:
                    if record.value is not None:
                        self.publish(record.value)

    async def _assign(self, consumer: AIOKafkaConsumer, assigned: set[TopicPartition], *, from_end: bool) -> set[TopicPartition]:
        # Topics and their partitions from ONE full metadata answer: the consumer's own
        # `partitions_for_topic` only knows the topics already assigned, so a topic created after
        # the gateway started (analytics' first figures) was listed but never read.
        cluster = await consumer._client.fetch_all_metadata()
        topics = {t for t in cluster.topics() if live_topic(t)}
        wanted = {TopicPartition(t, p) for t in topics for p in (cluster.partitions_for_topic(t) or ())}
        new = wanted - assigned
        if not new:
            return assigned
        kept = {tp: await consumer.position(tp) for tp in assigned & wanted}
        consumer.assign(sorted(wanted))
        if from_end:
            await consumer.seek_to_end(*sorted(wanted))
        else:
            for tp, offset in kept.items():  # reassigning forgets positions: restore them
                consumer.seek(tp, offset)
            await consumer.seek_to_beginning(*sorted(new))  # topics created since: read from their start
        for tp in wanted:
            await consumer.position(tp)  # resolve offsets now, so "ready" means "nothing after this is missed"
        return wanted
