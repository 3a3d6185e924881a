"""RELIABILITY E1: unsafe Kafka settings refuse to start; production values are the defaults."""

import pytest

from adly_kit import kafka
from adly_kit.consumer import subscribe
from adly_kit.settings import ServiceSettings


def settings(**overrides) -> ServiceSettings:
    return ServiceSettings(service_name="catalog", database_url="postgres://u@h/db", kafka_bootstrap_servers="k:9092", **overrides)


def test_production_is_the_default():
    s = settings()
    producer = kafka.producer_config(s)
    assert producer["acks"] == "all" and producer["enable_idempotence"] is True
    assert s.topic_replication_factor == 3 and s.topic_min_insync_replicas == 2
    assert kafka.topic_configs(s) == {"min.insync.replicas": "2", "unclean.leader.election.enable": "false"}
    kafka.assert_safe(s, producer)


def test_a_non_idempotent_or_unacknowledged_producer_refuses_to_start_on_kafka():
    s = settings()
    with pytest.raises(kafka.UnsafeKafkaConfig):
        kafka.assert_safe(s, kafka.producer_config(s) | {"enable_idempotence": False})
    with pytest.raises(kafka.UnsafeKafkaConfig):
        kafka.assert_safe(s, kafka.producer_config(s) | {"acks": 1})


def test_the_tansu_override_only_drops_what_tansu_lacks():
    s = settings(kafka_broker_kind="tansu")
    producer = kafka.producer_config(s)
    assert producer["acks"] == "all" and producer["enable_idempotence"] is False
    kafka.assert_safe(s, producer)


def test_every_subscriber_commits_after_processing_from_the_earliest_offset():
    from faststream.kafka import KafkaBroker
    from faststream.middlewares import AckPolicy

    broker = KafkaBroker("k:9092")

    class Consumer:
        name = "adly.catalog.orders"

    subscribe(broker, Consumer(), ["adly.catalog.order"], group_id="adly.catalog.orders")
    (subscriber,) = broker.subscribers
    connection = subscriber._connection_args  # what FastStream hands to AIOKafkaConsumer
    assert subscriber.ack_policy is AckPolicy.NACK_ON_ERROR
    assert subscriber.group_id == "adly.catalog.orders"
    assert connection["enable_auto_commit"] is False
    assert connection["auto_offset_reset"] == "earliest"


def test_database_urls_use_the_async_driver_and_schemas_must_be_plain_identifiers():
    assert settings().database_url == "postgresql+asyncpg://u@h/db"
    with pytest.raises(ValueError):
        _ = settings(database_schema="x; DROP TABLE users").schema
