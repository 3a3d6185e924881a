"""Issue 2: the event backbone, measured against baselines on the same Postgres and broker.

1. Event-store appends of 1 KB events, one per transaction and 100 per transaction:
   adly_kit `EventStore.append` inside `engine.begin()` (engine from
   `adly_kit.db.make_engine`, schema from `backbone_schema.create_statements`) against
   the `eventsourcing` library's `PostgresApplicationRecorder.insert_events`.
2. Outbox relay: an `OutboxRelay` (batch 500) draining N pre-filled outbox rows to the
   broker, against a raw `AIOKafkaProducer` with the same `producer_config` sending the
   same N values (keys, headers) to the same topic and awaiting every ack. The outbox
   holds 100 events per aggregate; an information row repeats the pair with every event
   of its own aggregate (the relay remembers key -> partition, which helps only repeats).
3. End to end: a producer service (EventStore + OutboxRelay, in this process) driven
   open-loop at 200 transactions/s of 5 events, and a consumer service (its own
   process, `Runtime` worker role: IdempotentConsumer via `subscribe`) applying each
   event to a projection table. Latency of an event = commit time of the consumer's
   transaction (Postgres `track_commit_timestamp`) minus the event's `occurred_at`,
   which is the time the scheduler meant to start its transaction (no coordinated
   omission). Same machine clock on both ends. A full run on Tansu repeats this on an
   Apache Kafka started for it (rows `e2e_*_kafka`): the target holds on both brokers.
"""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import sys
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from eventsourcing.persistence import StoredEvent as EsStoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from adly_kit.backbone_schema import create_statements
from adly_kit.cli import quieter_garbage_collection
from adly_kit.db import make_engine
from adly_kit.eventstore import EventStore
from adly_kit.kafka import ensure_topics, producer_config
from adly_kit.relay import OutboxRelay
from adly_kit.service import Runtime, Service
from adly_kit.settings import ServiceSettings
from bench import e2e_consumer
from bench.harness import ROOT, BenchContext, CpuMeter, Row, percentile, ratio_row, server_pgid
from bench.payloads import EVENT_NAME, bench_catalog, envelope

ISSUE = 2
NAME = "backbone"
DATABASE = "bench_backbone"

CONSUMER_LOG = ROOT / "var" / "bench-e2e-consumer.log"
# The relay's batch size in the `relay_outbox_to_broker` row: 500, as issue 2 specifies
# (ADLY_BENCH_RELAY_BATCH to explore others). If the kit's default differs, a second row
# `relay_outbox_to_broker_batch<default>` measures that too.
RELAY_BATCH = int(os.environ.get("ADLY_BENCH_RELAY_BATCH", "500"))
CONSUMER_MODULE = "bench.e2e_consumer"  # the consumer service's entry point (same argv contract)


def say(message: str) -> None:
    print(f"  [{NAME}] {message}", flush=True)


async def run(ctx: BenchContext) -> list[Row]:
    url = ctx.fresh_database(DATABASE)
    rows: list[Row] = []
    rows += await bench_appends(ctx, url)
    rows += await bench_relay(ctx, url)
    rows += await bench_end_to_end(ctx, url)
    if ctx.broker_kind == "tansu" and not ctx.quick:
        rows += await bench_end_to_end_on_kafka(ctx)
    return rows


async def bench_end_to_end_on_kafka(ctx: BenchContext) -> list[Row]:
    """The end-to-end target holds on both brokers (issue 16): the same rows again, in the same
    run, on an Apache Kafka (KRaft, one node) started for them, named `…_kafka`. A run with
    `--broker kafka` measures every row there and needs no second broker."""
    from adly_kit.devstack import ensure_kafka_jars
    from adly_kit.devstack.apache_kafka import ApacheKafka

    await asyncio.to_thread(ensure_kafka_jars)
    data_dir = ROOT / "var" / "bench-kafka-e2e"
    shutil.rmtree(data_dir, ignore_errors=True)
    kafka = ApacheKafka(data_dir)
    say("end-to-end on Apache Kafka: starting the broker")
    bootstrap = await asyncio.to_thread(kafka.start)
    try:
        on_kafka = replace(ctx, broker_kind="kafka", bootstrap=bootstrap, broker=kafka)
        rows = await bench_end_to_end(on_kafka, on_kafka.fresh_database(f"{DATABASE}_kafka"))
    finally:
        await asyncio.to_thread(kafka.stop)
    return [replace(row, name=f"{row.name}_kafka") for row in rows]


def _cpu(ctx: BenchContext, **pids: int) -> CpuMeter:
    return CpuMeter(
        {"postgres": server_pgid(ctx.postgres), "broker": server_pgid(ctx.broker)},
        {"bench": os.getpid(), **pids},
    ).start()


async def _create_schema(engine: AsyncEngine, schema: str, extra: list[str] = ()) -> None:
    async with engine.begin() as tx:
        for statement in [*create_statements(schema), *extra]:
            await tx.execute(text(statement))


# --------------------------------------------------------------------- 1. appends


def _baseline_recorder(url: str, schema: str) -> PostgresApplicationRecorder:
    parts = urlsplit(url)
    datastore = PostgresDatastore(
        dbname=parts.path.lstrip("/"),
        host=parts.hostname,
        port=parts.port,
        user=parts.username,
        password="",
        schema=schema,
    )
    recorder = PostgresApplicationRecorder(datastore)
    recorder.create_table()
    return recorder


async def bench_appends(ctx: BenchContext, url: str) -> list[Row]:
    singles, batches, batch = (500, 50, 100) if ctx.quick else (2000, 200, 100)
    warm_singles, warm_batches = 100, 10
    rounds = 2 if ctx.quick else 4  # ours and the baseline alternate, 1/rounds of the count each time
    schema, es_schema = "bench_store", "bench_es_baseline"
    catalog = bench_catalog("store")
    settings = ctx.settings("bench_store", url, schema)
    engine = make_engine(settings)
    # Diagnostic only (detail, not the row): the same appends on an engine without
    # make_engine's pool_pre_ping, which costs a round trip per transaction.
    plain_engine = create_async_engine(settings.database_url, pool_size=settings.database_pool_size)
    await _create_schema(engine, schema, [f"CREATE SCHEMA {es_schema}"])
    store = EventStore(schema, catalog)
    recorder = _baseline_recorder(url, es_schema)
    workspace = uuid.uuid4()

    # The same envelopes for both: ours appends them, the baseline stores their JSON
    # as the state of eventsourcing StoredEvents of the same aggregate and version.
    def single_items(count: int, per_aggregate: int = 50) -> list[tuple[Any, int]]:
        items, aggregate = [], uuid.uuid4()
        for n in range(count):
            if n % per_aggregate == 0:
                aggregate = uuid.uuid4()
            version = n % per_aggregate + 1
            items.append((envelope(catalog, n, aggregate, version, workspace), version - 1))
        return items

    def batch_items(count: int) -> list[list[Any]]:
        out = []
        for b in range(count):
            aggregate = uuid.uuid4()
            out.append([envelope(catalog, b * batch + i, aggregate, i + 1, workspace) for i in range(batch)])
        return out

    def stored(e: Any) -> EsStoredEvent:
        return EsStoredEvent(
            originator_id=e.aggregate_id, originator_version=e.aggregate_version,
            topic=f"bench.payloads:{EVENT_NAME}", state=e.model_dump_json().encode(),
        )  # fmt: skip

    async def ours_single(items: list[tuple[Any, int]], engine: AsyncEngine = engine) -> float:
        t0 = time.perf_counter()
        for event, expected in items:
            async with engine.begin() as tx:
                await store.append(tx, [event], expected_version=expected)
        return time.perf_counter() - t0

    async def ours_batches(groups: list[list[Any]], engine: AsyncEngine = engine) -> float:
        t0 = time.perf_counter()
        for events in groups:
            async with engine.begin() as tx:
                await store.append(tx, events, expected_version=0)
        return time.perf_counter() - t0

    def baseline_single(items: list[EsStoredEvent]) -> float:
        t0 = time.perf_counter()
        for event in items:
            recorder.insert_events([event])
        return time.perf_counter() - t0

    def baseline_batches(groups: list[list[EsStoredEvent]]) -> float:
        t0 = time.perf_counter()
        for events in groups:
            recorder.insert_events(events)
        return time.perf_counter() - t0

    say(f"appends: warm-up, then {singles} single-event and {batches} x {batch}-event transactions each")
    single_set = single_items(warm_singles + singles)
    batch_set = batch_items(warm_batches + batches)
    plain_single = single_items(warm_singles + singles)
    plain_batch = batch_items(warm_batches + batches)
    es_single = [stored(e) for e, _ in single_set]
    es_batch = [[stored(e) for e in group] for group in batch_set]

    await ours_single(single_set[:warm_singles])
    baseline_single(es_single[:warm_singles])
    await ours_batches(batch_set[:warm_batches])
    baseline_batches(es_batch[:warm_batches])
    await ours_single(plain_single[:warm_singles], plain_engine)
    await ours_batches(plain_batch[:warm_batches], plain_engine)

    # The sync baseline blocks the event loop while it runs: nothing else runs meanwhile.
    times = {k: 0.0 for k in ("ours_single", "base_single", "plain_single", "ours_batch", "base_batch", "plain_batch")}
    cpu: dict[str, Any] = {}
    for r in range(rounds):
        s = slice(warm_singles + r * singles // rounds, warm_singles + (r + 1) * singles // rounds)
        b = slice(warm_batches + r * batches // rounds, warm_batches + (r + 1) * batches // rounds)
        meter = _cpu(ctx)
        times["ours_single"] += await ours_single(single_set[s])
        cpu[f"ours_single_r{r}"] = meter.stop()
        meter = _cpu(ctx)
        times["base_single"] += baseline_single(es_single[s])
        cpu[f"baseline_single_r{r}"] = meter.stop()
        meter = _cpu(ctx)
        times["ours_batch"] += await ours_batches(batch_set[b])
        cpu[f"ours_batch_r{r}"] = meter.stop()
        meter = _cpu(ctx)
        times["base_batch"] += baseline_batches(es_batch[b])
        cpu[f"baseline_batch_r{r}"] = meter.stop()
        times["plain_single"] += await ours_single(plain_single[s], plain_engine)
        times["plain_batch"] += await ours_batches(plain_batch[b], plain_engine)

    async with engine.connect() as conn:
        ours_count = (await conn.execute(text(f"SELECT count(*) FROM {schema}.events"))).scalar_one()
        base_count = (await conn.execute(text(f"SELECT count(*) FROM {es_schema}.stored_events"))).scalar_one()
    expected = warm_singles + singles + (warm_batches + batches) * batch
    assert ours_count == 2 * expected and base_count == expected, (ours_count, base_count, expected)
    await engine.dispose()
    await plain_engine.dispose()
    recorder.datastore.close()

    envelope_bytes = len(single_set[0][0].model_dump_json())
    common = {"envelope_bytes": envelope_bytes, "rounds": rounds}
    rows = [
        ratio_row(
            ISSUE, "store_append_single", singles / times["ours_single"], singles / times["base_single"], "events/s",
            1.0, events=singles, ours_s=times["ours_single"], baseline_s=times["base_single"],
            ours_without_pre_ping_events_per_s=singles / times["plain_single"],
            cpu={k: v for k, v in cpu.items() if "single" in k}, **common,
        ),
        ratio_row(
            ISSUE, "store_append_batch100", batches * batch / times["ours_batch"],
            batches * batch / times["base_batch"], "events/s", 3.0, events=batches * batch,
            ours_s=times["ours_batch"], baseline_s=times["base_batch"],
            ours_without_pre_ping_events_per_s=batches * batch / times["plain_batch"],
            cpu={k: v for k, v in cpu.items() if "batch" in k}, **common,
        ),
    ]  # fmt: skip
    for row in rows:
        say(f"{row.name}: ours {row.value:,.0f}/s, eventsourcing {row.baseline:,.0f}/s ({row.ratio:.2f}x); "
            f"ours without pool_pre_ping {row.detail['ours_without_pre_ping_events_per_s']:,.0f}/s")
    return rows


# ----------------------------------------------------------------------- 2. relay

HEADERS = [("content-type", b"application/json")]


async def bench_relay(ctx: BenchContext, url: str) -> list[Row]:
    """The relay at the issue's batch size (500), and at the kit's default if that differs."""
    default = ServiceSettings.model_fields["relay_batch_size"].default
    sizes = [RELAY_BATCH] + ([default] if default != RELAY_BATCH else [])
    total = 5_000 if ctx.quick else 20_000
    catalog = bench_catalog("relay")
    topic = catalog.topics()[0]
    settings = ctx.settings("bench_relay", url, "bench_relay")
    config = producer_config(settings)
    await ensure_topics(settings, [topic])
    engine = make_engine(settings)
    # Runs: (page size, events per aggregate). The rows with a target relay the issue's
    # workload, 100 events to an aggregate; the relay remembers each key's partition, so
    # one more run, reported only, sends 20,000 different keys (as a first catalog sync).
    runs_of = [(size, 100) for size in sizes] + [(RELAY_BATCH, 1)]
    schemas = {run: f"bench_relay_{run[0]}" + ("_distinct" if run[1] == 1 else "") for run in runs_of}
    prefill_rate = {}
    for run, schema in schemas.items():
        await _create_schema(engine, schema)
        say(f"relay: pre-filling outbox {schema} with {total:,} events (100 per transaction, {run[1]} per aggregate)")
        prefill_rate[run] = await _prefill(engine, EventStore(schema, catalog), catalog, total, run[1])
    await engine.dispose()

    conn = await asyncpg.connect(settings.asyncpg_dsn)
    try:
        async def messages_of(schema: str) -> list[tuple[bytes, bytes, list]]:
            records = await conn.fetch(f"""
                SELECT e.aggregate_id::text, e.event_id::text, e.event_type, e.schema_version, e.envelope::text
                FROM {schema}.outbox o JOIN {schema}.events e USING (event_id) ORDER BY o.position""")
            # What the relay sends: value, key and its four headers, for each row.
            return [
                (env.encode(), key.encode(), [
                    ("content-type", b"application/json"), ("adly-event-id", eid.encode()),
                    ("adly-event-type", etype.encode()), ("adly-schema-version", str(version).encode()),
                ])
                for key, eid, etype, version, env in records
            ]  # fmt: skip

        messages = await messages_of(schemas[runs_of[0]])
        distinct_messages = await messages_of(schemas[runs_of[-1]])
        value_bytes = sum(len(v) for v, _, _ in messages) / len(messages)

        async def raw(batch_messages: list[tuple[bytes, bytes, list]]) -> float:
            producer = AIOKafkaProducer(**config)
            t0 = time.perf_counter()
            await producer.start()
            try:
                acks = [await producer.send(topic, v, key=k, headers=h) for v, k, h in batch_messages]
                await asyncio.gather(*acks)
                return time.perf_counter() - t0
            finally:
                await producer.stop()

        await raw(messages[:1000])  # warm-up: topic metadata, broker-side allocation
        runs = {run: await _drain_with_relay(ctx, conn, settings, config, schemas[run], run[0]) for run in runs_of}

        say(f"relay: raw AIOKafkaProducer sending the same {total:,} messages")
        meter = _cpu(ctx)
        raw_s = await raw(messages)
        raw_cpu = meter.stop()
        say(f"relay: raw AIOKafkaProducer sending the {total:,} messages of different keys")
        distinct_raw_s = await raw(distinct_messages)
    finally:
        await conn.close()

    rows = []
    for (size, per_aggregate), (relay_s, detail) in runs.items():
        name = "relay_outbox_to_broker" if size == RELAY_BATCH else f"relay_outbox_to_broker_batch{size}"
        baseline_s = raw_s if per_aggregate > 1 else distinct_raw_s
        row = ratio_row(
            ISSUE, name, total / relay_s, total / baseline_s, "events/s", 0.8,
            events=total, events_per_aggregate=per_aggregate, relay_s=relay_s, raw_s=baseline_s,
            value_bytes=value_bytes, relay_batch_size=size, kit_default_batch_size=default,
            producer_config={k: v for k, v in config.items() if k != "bootstrap_servers"},
            prefill_events_per_s=prefill_rate[(size, per_aggregate)], raw_cpu=raw_cpu if per_aggregate > 1 else None,
            **detail, timing="both include the producer's start(); relay also its Postgres connection and leader lock",
        )  # fmt: skip
        if per_aggregate == 1:  # reported, not a target: the issue's workload is the rows above
            row = replace(row, name="relay_outbox_to_broker_distinct_keys", target="report", passed=None)
        say(f"{row.name}: relay {row.value:,.0f}/s, raw producer {row.baseline:,.0f}/s ({row.ratio:.2f}x)")
        rows.append(row)
    return rows


async def _prefill(engine: AsyncEngine, store: EventStore, catalog: Any, total: int, per_aggregate: int = 100) -> float:
    """Append `total` events, 100 per transaction, `per_aggregate` to each new aggregate; events/s."""
    workspace = uuid.uuid4()
    t0 = time.perf_counter()
    for b in range(total // 100):
        aggregates = [uuid.uuid4() for _ in range(100 // per_aggregate)]
        batches = [([envelope(catalog, b * 100 + a * per_aggregate + i, aggregate, i + 1, workspace)
                     for i in range(per_aggregate)], 0) for a, aggregate in enumerate(aggregates)]
        async with engine.begin() as tx:
            await store.append_many(tx, batches)
    return total / (time.perf_counter() - t0)


async def _drain_with_relay(
    ctx: BenchContext, conn: asyncpg.Connection, settings: ServiceSettings, config: dict, schema: str, size: int
) -> tuple[float, dict[str, Any]]:
    """Run an OutboxRelay until every row of `schema`'s outbox is published; (seconds, detail)."""
    # The relay's SELECT plan depends on whether autovacuum has analyzed the outbox yet.
    analyzed = await conn.fetchval(
        "SELECT last_autoanalyze IS NOT NULL OR last_analyze IS NOT NULL FROM pg_stat_user_tables "
        "WHERE schemaname = $1 AND relname = 'outbox'", schema)  # fmt: skip
    relay = OutboxRelay(settings.asyncpg_dsn, schema, config, batch_size=size)
    plan = [r[0] for r in await conn.fetch("EXPLAIN " + relay._select.replace("$1", str(size)).replace("$2", "'{}'"))]
    say(f"relay: draining {schema} with OutboxRelay(batch_size={size})")
    meter = _cpu(ctx)
    wall0 = time.time()
    task = asyncio.create_task(relay.run())
    try:
        while await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {schema}.outbox WHERE published_at IS NULL)"):
            if task.done():
                task.result()
                raise RuntimeError("the relay stopped")
            if time.time() - wall0 > 300:
                raise TimeoutError("the relay did not drain the outbox in 300 s")
            await asyncio.sleep(0.02)
        # published_at is set by the UPDATE that follows the acks of each batch.
        last = await conn.fetchval(f"SELECT extract(epoch FROM max(published_at))::float8 FROM {schema}.outbox")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return last - wall0, {"relay_cpu": meter.stop(), "outbox_analyzed_before_relay": analyzed,
                          "relay_select_plan": plan}


# ----------------------------------------------------------------- 3. end to end

RATE_TX = 200
EVENTS_PER_TX = 5
# (--quick, full): how long the consumer may lag behind after the last append. Past it,
# losses can only be estimated (unpublished rows + consumer-group lag), and the row fails.
DRAIN_DEADLINE_S = (40.0, 120.0)


async def _start_consumer(ctx: BenchContext, url: str) -> tuple[asyncio.subprocess.Process, asyncio.Task]:
    """Start the consumer service; its output goes to var/bench-e2e-consumer.log."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", CONSUMER_MODULE, url, ctx.bootstrap, ctx.broker_kind, str(ctx.topic_partitions),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        cwd=str(ROOT),
    )  # fmt: skip
    ready = asyncio.Event()
    CONSUMER_LOG.parent.mkdir(parents=True, exist_ok=True)

    async def drain() -> None:
        # Keep reading its output, so it never blocks on a full pipe.
        with open(CONSUMER_LOG, "wb") as out:
            while line := await proc.stdout.readline():
                out.write(line)
                if line.strip() == b"READY":
                    ready.set()

    drainer = asyncio.create_task(drain())
    waiter = asyncio.create_task(ready.wait())
    await asyncio.wait([waiter, drainer], timeout=90, return_when=asyncio.FIRST_COMPLETED)
    if not ready.is_set():
        waiter.cancel()
        await _stop_consumer(proc, drainer)
        raise RuntimeError(f"the consumer service did not start (exit {proc.returncode}); see {CONSUMER_LOG}")
    return proc, drainer


async def _stop_consumer(proc: asyncio.subprocess.Process, drainer: asyncio.Task) -> None:
    if proc.returncode is None:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 20)
        except TimeoutError:
            proc.kill()
            await proc.wait()
    await asyncio.wait([drainer], timeout=5)


async def _group_lag(bootstrap: str, group: str, topic: str) -> int:
    """Records of `topic` after the group's committed offsets: durable, not yet consumed."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await reader.start()  # not subscribed: it never joins the group, it only reads its offsets
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(reader.partitions_for_topic(topic) or ())]
        ends = await reader.end_offsets(partitions)
        lag = 0
        for tp, end in ends.items():
            committed = await reader.committed(tp)
            lag += max(end - (committed or 0), 0)
        return lag
    finally:
        await reader.stop()


async def bench_end_to_end(ctx: BenchContext, url: str) -> list[Row]:
    duration = 10.0 if ctx.quick else 20.0
    # The consumer may lag; give it this long after the last append before counting losses.
    drain_deadline = DRAIN_DEADLINE_S[0 if ctx.quick else 1]
    producer_schema, consumer_schema = "bench_e2e_producer", e2e_consumer.SCHEMA
    # The sections before this one wrote hundreds of MB of WAL; their checkpoint would
    # otherwise fall inside the 20 s measured here, and its writes into this row's tail.
    await asyncio.to_thread(ctx.postgres.psql, "CHECKPOINT")
    catalog = bench_catalog(e2e_consumer.AGGREGATE)
    settings = ctx.settings("bench_producer", url, producer_schema)
    runtime = Runtime(Service("bench_producer", catalog, migrations="", produces=catalog.topics()), settings)
    await _create_schema(runtime.engine, producer_schema)
    await _create_schema(runtime.engine, consumer_schema, e2e_consumer.PROJECTION_DDL)
    async with runtime.engine.connect() as conn:
        commit_ts = (await conn.execute(text("SHOW track_commit_timestamp"))).scalar_one() == "on"

    # This process is the producer service here: with a service process's collector settings,
    # and with what earlier sections left alive frozen out of its scans (else a full collection
    # walks it, a stall of 100-250 ms in the middle of the measured 20 s).
    thresholds = gc.get_threshold()
    quieter_garbage_collection()
    await runtime.start(roles=("relay",))
    consumer, drainer = await _start_consumer(ctx, url)
    workspace = uuid.uuid4()
    failures: list[BaseException] = []

    async def transaction(seq0: int, occurred_at: datetime) -> None:
        aggregate = uuid.uuid4()
        events = [envelope(catalog, seq0 + i, aggregate, i + 1, workspace, occurred_at) for i in range(EVENTS_PER_TX)]
        try:
            async with runtime.engine.begin() as tx:
                await runtime.store.append(tx, events, expected_version=0)
        except Exception as error:  # counted, reported
            failures.append(error)

    async def drive(rate: float, seconds: float, seq_base: int) -> tuple[int, float]:
        """Open loop: transaction k starts at t0 + k/rate whatever the previous ones do."""
        count = int(rate * seconds)
        tasks = []
        start_perf = time.perf_counter() + 0.01
        start_wall = time.time() + 0.01
        late = 0.0
        for k in range(count):
            due = start_perf + k / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            late = max(late, time.perf_counter() - due)
            occurred = datetime.fromtimestamp(start_wall + k / rate, UTC)
            tasks.append(asyncio.create_task(transaction(seq_base + k * EVENTS_PER_TX, occurred)))
        await asyncio.gather(*tasks)
        return count * EVENTS_PER_TX, late

    async def applied(low: int, high: int) -> int:
        async with runtime.engine.connect() as conn:
            return (await conn.execute(
                text(f"SELECT count(*) FROM {consumer_schema}.projection WHERE seq >= :low AND seq < :high"),
                {"low": low, "high": high},
            )).scalar_one()  # fmt: skip

    async def wait_applied(low: int, high: int, idle_timeout: float, deadline: float) -> int:
        """Wait until every event in [low, high) is applied, nothing moved for `idle_timeout`
        seconds, or `deadline` seconds passed."""
        seen, moved, started = -1, time.monotonic(), time.monotonic()
        while True:
            count = await applied(low, high)
            if count >= high - low or time.monotonic() - started > deadline:
                return count
            if count != seen:
                seen, moved = count, time.monotonic()
            elif time.monotonic() - moved > idle_timeout:
                return count
            await asyncio.sleep(0.1)

    try:
        # Warm-up: the consumer joins its group and gets its partitions; wait for all of it.
        warm_base = 10_000_000
        say("end-to-end: warm-up (consumer group join), 2 s at 50 tx/s")
        warm_events, _ = await drive(50, 2.0, warm_base)
        got = await wait_applied(warm_base, warm_base + warm_events, idle_timeout=60, deadline=90)
        if got != warm_events:
            raise RuntimeError(f"warm-up: only {got}/{warm_events} events reached the consumer")

        say(f"end-to-end: {RATE_TX} tx/s x {EVENTS_PER_TX} events for {duration:.0f} s (open loop)")
        meter = _cpu(ctx, consumer=consumer.pid)
        sent, late = await drive(RATE_TX, duration, 0)
        drive_cpu = meter.stop()
        drain_started = time.monotonic()
        got = await wait_applied(0, sent, idle_timeout=15, deadline=drain_deadline)
        drain_s = time.monotonic() - drain_started
        pending = 0
        if got < sent:
            # Not applied yet is not lost: count what is still durable upstream of the handler,
            # upstream first, so an event moving on meanwhile is counted twice, never missed.
            async with runtime.engine.connect() as conn:
                unpublished = (await conn.execute(text(
                    f"SELECT count(*) FROM {producer_schema}.outbox WHERE published_at IS NULL"))).scalar_one()
            lag = await _group_lag(ctx.bootstrap, "adly.bench_consumer.projection", catalog.topics()[0])
            got = await applied(0, sent)
            pending = min(unpublished + lag, sent - got)
        lost = sent - got - pending
        drained = got == sent

        commit = "pg_xact_commit_timestamp(p.xmin)" if commit_ts else "p.inserted_at"
        async with runtime.engine.connect() as conn:
            result = await conn.execute(text(f"""
                SELECT extract(epoch FROM {commit} - p.occurred_at) * 1000,
                       extract(epoch FROM pg_xact_commit_timestamp(e.xmin) - p.occurred_at) * 1000,
                       extract(epoch FROM o.published_at - p.occurred_at) * 1000,
                       extract(epoch FROM {commit})
                FROM {consumer_schema}.projection p
                JOIN {producer_schema}.events e USING (event_id)
                JOIN {producer_schema}.outbox o USING (event_id)
                WHERE p.seq >= 0 AND p.seq < :sent"""), {"sent": sent})  # fmt: skip
            samples = result.all()
    finally:
        await _stop_consumer(consumer, drainer)
        await runtime.stop()
        gc.unfreeze()  # the modules after this one measure with the defaults, as before
        gc.set_threshold(*thresholds)

    latency = sorted(float(s[0]) for s in samples)
    commits = sorted(float(s[3]) for s in samples)
    consumer_rate = (len(commits) - 1) / (commits[-1] - commits[0]) if len(commits) > 1 else None
    stages: dict[str, Any] = {}
    if commit_ts and samples:
        appended = sorted(float(s[1]) for s in samples)
        published = sorted(float(s[2]) for s in samples)
        handed = sorted(float(s[0]) - float(s[2]) for s in samples)
        relayed = sorted(float(s[2]) - float(s[1]) for s in samples)
        for name, values in (
            ("scheduled_to_append_commit", appended),
            ("append_commit_to_published", relayed),
            ("published_to_consumer_commit", handed),
            ("scheduled_to_published", published),
        ):
            stages[name] = {"p50_ms": percentile(values, 50), "p99_ms": percentile(values, 99)}
    p50, p99 = percentile(latency, 50), percentile(latency, 99)
    detail = {
        "events": sent,
        "applied": got,
        "append_failures": len(failures),
        "append_failure_sample": repr(failures[0]) if failures else None,
        "rate_tx_per_s": RATE_TX,
        "events_per_tx": EVENTS_PER_TX,
        "duration_s": duration,
        "scheduler_max_late_ms": late * 1000,
        "consumer_events_per_s": consumer_rate,
        "drain_after_last_append_s": drain_s,
        "drain_deadline_s": drain_deadline,
        "pending_at_deadline": pending,
        "max_ms": latency[-1] if latency else None,
        "p90_ms": percentile(latency, 90),
        "p999_ms": percentile(latency, 99.9),
        "clock": "consumer commit (track_commit_timestamp)" if commit_ts else "consumer insert (clock_timestamp)",
        "latency_over": "applied events only (if not drained, the unapplied ones would only raise it)",
        "stages": stages,
        "cpu": drive_cpu,
    }
    rows = [
        Row(ISSUE, "e2e_latency_p50", p50, "ms", None, None, "report", None, detail),
        Row(ISSUE, "e2e_latency_p99", p99, "ms", None, None, "< 50 ms", p99 < 50.0, detail),
        Row(ISSUE, "e2e_events_lost", float(lost), "events", None, None, "= 0", drained and not failures,
            {"events": sent, "applied": got, "drained": drained, "pending_at_deadline": pending,
             "append_failures": len(failures), "drain_deadline_s": drain_deadline,
             "note": "drained: every event applied. Otherwise lost is an estimate, sent - applied - pending "
                     "(pending = unpublished outbox rows + records after the consumer group's committed offsets), "
                     "and the row fails: zero loss was not shown."}),
    ]  # fmt: skip
    say(f"end-to-end: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {detail['max_ms']} ms, "
        f"applied {got} of {sent}, {pending} still pending, lost {lost}")
    return rows
