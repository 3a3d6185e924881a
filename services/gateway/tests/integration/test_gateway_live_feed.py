"""The live feed reads every adly.* topic, including one created after the gateway started."""

import asyncio
import json
import uuid

from aiokafka import AIOKafkaProducer

from adly_gateway.adapters.live import LiveFeed
from adly_kit.kafka import ensure_topics


async def test_a_topic_created_after_the_feed_started_reaches_the_workspaces_sockets(kafka, service_settings):
    known = f"adly.livetest{uuid.uuid4().hex[:8]}.campaign"   # the feed is reading it when the new one appears
    await ensure_topics(service_settings, [known], with_dead_letters=False)
    feed = LiveFeed(kafka.bootstrap_servers, refresh_seconds=0.2, queue_size=10, client_id="live-test")
    workspace = str(uuid.uuid4())
    subscriber = feed.subscribe(workspace)
    feed.start()
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
    await producer.start()
    try:
        await asyncio.wait_for(feed.ready.wait(), 60)
        topic = f"adly.livetest{uuid.uuid4().hex[:8]}.figures"   # did not exist when the feed started
        await ensure_topics(service_settings, [topic], with_dead_letters=False)
        event = {"event_type": "FiguresUpdated", "workspace_id": workspace, "payload": {"cause": "performance"}}
        await producer.send_and_wait(topic, json.dumps(event).encode(), key=b"k")
        frame = json.loads(await asyncio.wait_for(subscriber.queue.get(), 60))
        assert frame["event_type"] == "FiguresUpdated" and frame["workspace_id"] == workspace
    finally:
        await producer.stop()
        await feed.stop()
