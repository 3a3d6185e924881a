"""The "consumer service" of the end-to-end benchmark, run as its own process.

    python -m bench.e2e_consumer DATABASE_URL BOOTSTRAP BROKER_KIND

It is wired the way a real service is: `adly_kit.service.Runtime` with the worker role,
so its subscription is an `IdempotentConsumer` registered on a FastStream KafkaBroker
by `adly_kit.consumer.subscribe`. Its handler inserts one row per event into a
projection table of its own schema (created by the parent beforehand). It prints
READY once the broker is started and stops on SIGTERM/SIGINT or when stdin closes.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from sqlalchemy import text

from adly_kit.cli import quieter_garbage_collection
from adly_kit.service import Delivery, Runtime, Service, Subscription
from adly_kit.settings import ServiceSettings
from adly_kit.telemetry import setup_telemetry
from bench.payloads import BenchRecorded, bench_catalog

SERVICE = "bench_consumer"
SCHEMA = "bench_e2e_consumer"
AGGREGATE = "e2e"

PROJECTION_DDL = [
    f"""CREATE TABLE {SCHEMA}.projection (
        event_id uuid PRIMARY KEY,
        seq bigint NOT NULL,
        occurred_at timestamptz NOT NULL,
        inserted_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )""",
]

_insert = text(f"INSERT INTO {SCHEMA}.projection (event_id, seq, occurred_at) VALUES (:event_id, :seq, :occurred_at)")


async def apply(event: BenchRecorded, delivery: Delivery[object]) -> None:
    envelope = delivery.envelope
    await delivery.tx.execute(_insert, {"event_id": envelope.event_id, "seq": event.seq,
                                        "occurred_at": envelope.occurred_at})


def service() -> Service[object]:
    catalog = bench_catalog(AGGREGATE)
    projection = Subscription("projection", catalog)
    projection.on(BenchRecorded)(apply)
    return Service(name=SERVICE, catalog=catalog, migrations="", subscriptions=[projection])


async def main(database_url: str, bootstrap: str, broker_kind: str, partitions: int) -> None:
    settings = ServiceSettings(
        service_name=SERVICE,
        ADLY_DATABASE_URL=database_url,
        ADLY_KAFKA_BOOTSTRAP_SERVERS=bootstrap,
        database_schema=SCHEMA,
        kafka_broker_kind=broker_kind,
        topic_partitions=partitions,
        topic_replication_factor=1,
        topic_min_insync_replicas=1,
    )
    runtime = Runtime(service(), settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def stdin_closed() -> None:
        await reader.read()
        stop.set()

    watcher = asyncio.create_task(stdin_closed())
    await runtime.start(roles=("worker",))
    print("READY", flush=True)
    try:
        await stop.wait()
    finally:
        watcher.cancel()
        await runtime.stop()


if __name__ == "__main__":
    import uvloop

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    setup_telemetry(SERVICE)  # what `serve` does in every service process, and its collector settings
    quieter_garbage_collection()
    uvloop.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
