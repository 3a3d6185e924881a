"""The consumer path on the real broker and real Postgres: auth's events on
adly.auth.workspace make the members, a SyncFailed on adly.catalog.sync reaches their feeds,
and the relay publishes NotificationCreated on adly.notifications.notification.

The test decides the order itself: it waits until the members are applied before the sync
fails (two consumer groups, two topics: nothing orders them otherwise), and it ends its
wait for a redelivery at a marker sent after it on the same partition.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from adly_events import EventEnvelope
from adly_events.contracts.catalog import SyncFailed
from adly_kit.testing.plugin import eventually, read_to_end
from adly_notifications.handlers import intake

from .feed_world import Notifications, Team, notifications_settings, publish, running, team_events

pytestmark = pytest.mark.asyncio(loop_scope="module")
TOPIC = "adly.notifications.notification"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bus(postgres_url, kafka) -> AsyncIterator[Notifications]:
    from adly_kit.settings import ServiceSettings

    base = ServiceSettings(service_name=f"t{uuid.uuid4().hex[:12]}", database_url=postgres_url,
                           kafka_bootstrap_servers=kafka.bootstrap_servers, kafka_broker_kind=kafka.kind,
                           topic_partitions=3, topic_replication_factor=1, topic_min_insync_replicas=1,
                           consumer_retry_backoff_seconds=0.05)
    async with running(notifications_settings(base), ("api", "worker", "relay"), consume=True) as service:
        yield service


def bootstrap(bus: Notifications) -> str:
    return bus.settings.kafka_bootstrap_servers


async def a_team_on_the_bus(bus: Notifications) -> Team:
    team = Team(uuid.uuid4(), *(uuid.uuid4() for _ in range(4)))
    for version, event in enumerate(team_events(team), start=1):
        await publish(bootstrap(bus), event, team.workspace_id, aggregate_id=team.workspace_id, version=version)
    assert await eventually(lambda: bus.scalar("SELECT count(*) = 4 FROM {s}.members WHERE workspace_id = :w",
                                               w=team.workspace_id), timeout=60), "the members never arrived"
    return team


async def told(bus: Notifications, sent: EventEnvelope) -> int:
    notice = intake.notice_of(SyncFailed.model_validate(sent.payload), sent)
    assert notice is not None
    return int(await bus.scalar("SELECT count(*) FROM {s}.feed_items WHERE notification_id = :id", id=notice.id))


async def test_a_failed_sync_on_the_bus_reaches_the_feeds_and_notification_created_reaches_the_topic(bus):
    team = await a_team_on_the_bus(bus)
    store = uuid.uuid4()
    sent = await publish(bootstrap(bus), SyncFailed(store_id=store, reason="Salla refused the token.", retryable=False),
                         team.workspace_id, aggregate_id=uuid.uuid4())

    assert await eventually(lambda: told(bus, sent), timeout=60) == 3
    assert [i["kind"] for i in await bus.items(team.workspace_id, team.owner)] == ["sync.failed"]
    assert await bus.items(team.workspace_id, team.analyst) == []

    notice = intake.notice_of(SyncFailed.model_validate(sent.payload), sent)
    assert notice is not None
    assert await eventually(lambda: bus.scalar("""SELECT count(*) = 1 FROM {s}.outbox o JOIN {s}.events e
        USING (event_id) WHERE e.aggregate_id = :id AND o.published_at IS NOT NULL""", id=notice.id), timeout=60)
    records = [EventEnvelope.from_json(r.value) for r in await read_to_end(bootstrap(bus), TOPIC)]
    (created,) = [e for e in records if e.aggregate_id == notice.id]
    assert created.event_type == "NotificationCreated" and created.workspace_id == team.workspace_id
    assert {uuid.UUID(u) for u in created.payload["recipients"]} == {team.owner, team.admin, team.marketer}
    assert created.causation_id == sent.event_id


async def test_the_same_event_delivered_twice_tells_each_member_once(bus):
    team = await a_team_on_the_bus(bus)
    sync_id = uuid.uuid4()
    failed = SyncFailed(store_id=uuid.uuid4(), reason="Timed out.", retryable=True)
    sent = await publish(bootstrap(bus), failed, team.workspace_id, aggregate_id=sync_id)
    assert await eventually(lambda: told(bus, sent), timeout=60) == 3

    # The same envelope again (a producer's retry), then a marker on the same key: once the
    # marker is applied, the redelivery before it on that partition has been too.
    from aiokafka import AIOKafkaProducer
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap(bus))
    await producer.start()
    try:
        await producer.send_and_wait("adly.catalog.sync", sent.to_json(), key=sent.key)
    finally:
        await producer.stop()
    marker = await publish(bootstrap(bus), SyncFailed(store_id=uuid.uuid4(), reason="Marker.", retryable=True),
                           team.workspace_id, aggregate_id=sync_id, version=2)
    assert await eventually(lambda: told(bus, marker), timeout=60) == 3

    assert await told(bus, sent) == 3
    assert len(await bus.items(team.workspace_id, team.owner)) == 2
    assert await bus.scalar("""SELECT count(*) FROM {s}.events WHERE event_type = 'NotificationCreated'
        AND envelope->'payload'->>'source_event_id' = :id""", id=str(sent.event_id)) == 1
