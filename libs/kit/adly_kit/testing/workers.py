"""Backbone processes that crash tests kill with SIGKILL: `python -m adly_kit.testing.workers ...`.

They run the real relay and the real idempotent consumer, configured from the
environment like a service (ADLY_* variables), plus a few test knobs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path

from faststream.kafka import KafkaBroker
from sqlalchemy import text

from adly_kit import kafka
from adly_kit.consumer import DeadLetters, IdempotentConsumer, subscribe
from adly_kit.db import make_engine
from adly_kit.relay import OutboxRelay
from adly_kit.settings import ServiceSettings
from adly_kit.testing.sample import sample_catalog


async def relay(settings: ServiceSettings, batch_size: int) -> None:
    await OutboxRelay(settings.asyncpg_dsn, settings.schema, kafka.producer_config(settings), batch_size=batch_size).run()


async def consumer(settings: ServiceSettings, group: str, marks: Path | None, slow_seconds: float) -> None:
    """Consume the sample topic; each event adds a row to `effects` (no unique key, so a
    second application would show), optionally pausing mid-transaction to be killed there."""
    engine = make_engine(settings)
    catalog = sample_catalog(settings.schema)
    record_effect = text(f"INSERT INTO {settings.schema}.effects (event_id, aggregate_id, version) VALUES (:e, :a, :v)")

    async def handle(tx, envelope, payload) -> None:
        await tx.execute(record_effect, {"e": envelope.event_id, "a": envelope.aggregate_id, "v": envelope.aggregate_version})
        if marks is not None:
            (marks / str(envelope.event_id)).touch()
            await asyncio.sleep(slow_seconds)

    broker = KafkaBroker(settings.kafka_bootstrap_servers, acks="all", enable_idempotence=settings.idempotent_producer)
    idempotent = IdempotentConsumer(
        group, handle, engine=engine, schema=settings.schema, catalog=catalog, dead_letters=DeadLetters(broker)
    )
    subscribe(broker, idempotent, catalog.topics(), group_id=group)
    await broker.start()
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["relay", "consumer"])
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--group", default="adly.test.effects")
    parser.add_argument("--marks", type=Path)
    parser.add_argument("--slow-seconds", type=float, default=0.0)
    args = parser.parse_args()
    settings = ServiceSettings(service_name=os.environ["ADLY_SERVICE_NAME"])
    if args.role == "relay":
        asyncio.run(relay(settings, args.batch_size))
    else:
        asyncio.run(consumer(settings, args.group, args.marks, args.slow_seconds))


if __name__ == "__main__":
    main()
