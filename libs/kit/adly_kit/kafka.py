"""Kafka settings and topic provisioning, production-safe by default (RELIABILITY E1)."""

from __future__ import annotations

import logging
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from adly_events import dead_letter_topic
from adly_kit.settings import ServiceSettings

log = logging.getLogger(__name__)


class UnsafeKafkaConfig(RuntimeError):
    """A producer or consumer setting would lose or reorder events in production."""


def producer_config(settings: ServiceSettings) -> dict[str, Any]:
    return {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "client_id": f"adly-{settings.service_name}",
        "acks": "all",
        "enable_idempotence": settings.idempotent_producer,
        "linger_ms": 2,
        "max_batch_size": 256 * 1024,
        "request_timeout_ms": 30_000,
    }


def consumer_config(settings: ServiceSettings) -> dict[str, Any]:
    return {"auto_offset_reset": "earliest", "enable_auto_commit": False}


def assert_safe(settings: ServiceSettings, producer: dict[str, Any]) -> None:
    """Refuse to start with settings that break delivery guarantees on real Kafka."""
    if producer.get("acks") not in ("all", -1):
        raise UnsafeKafkaConfig("producers must use acks=all")
    if settings.kafka_broker_kind == "kafka" and not producer.get("enable_idempotence"):
        raise UnsafeKafkaConfig("producers must be idempotent on Apache Kafka")
    if settings.kafka_broker_kind == "kafka" and settings.topic_replication_factor < 3:
        log.warning(
            "topic replication factor %s is below the production 3 (single-node cluster?)",
            settings.topic_replication_factor,
        )


def topic_configs(settings: ServiceSettings) -> dict[str, str]:
    if settings.kafka_broker_kind == "tansu":
        return {}
    return {
        "min.insync.replicas": str(min(settings.topic_min_insync_replicas, settings.topic_replication_factor)),
        "unclean.leader.election.enable": "false",
    }


async def ensure_topics(settings: ServiceSettings, topics: list[str], *, with_dead_letters: bool = True) -> None:
    """Create the topics (and their dead-letter twins, same partition count) if missing."""
    names = sorted(set(topics) | ({dead_letter_topic(t) for t in topics} if with_dead_letters else set()))
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                name,
                num_partitions=settings.topic_partitions,
                replication_factor=settings.topic_replication_factor,
                topic_configs=topic_configs(settings),
            )
            for name in names
            if name not in existing
        ]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass  # another process provisioned them first
    finally:
        await admin.close()
