"""What a service declares (`Service`) and the running process built from it (`Runtime`).

Each service's `bootstrap.py` returns a `Service`; the shared CLI turns it into a process
that serves HTTP, runs its consumers, its outbox relay and its projections, each role
switchable so a deployment can split them into separate pods.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import APIRouter
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from sqlalchemy.ext.asyncio import AsyncEngine

from adly_events import EventCatalog
from adly_kit import kafka
from adly_kit.consumer import DeadLetters, Handler, IdempotentConsumer, subscribe
from adly_kit.db import make_engine
from adly_kit.eventstore import EventStore
from adly_kit.projections import Projection, ProjectionRunner
from adly_kit.relay import OutboxRelay
from adly_kit.settings import ServiceSettings

log = logging.getLogger(__name__)

ROLES = ("api", "worker", "relay")


@dataclass(frozen=True)
class Subscription:
    """A handler of other services' (or our own) events, under its own consumer group."""

    name: str
    topics: list[str]
    handler: Handler


@dataclass
class Service:
    name: str
    catalog: EventCatalog
    migrations: str
    routers: list[APIRouter] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    projections: list[Callable[[], Projection]] = field(default_factory=list)
    produces: list[str] = field(default_factory=list)
    settings_class: type[ServiceSettings] = ServiceSettings
    commands: dict[str, Callable[[Runtime, list[str]], Awaitable[None]]] = field(default_factory=dict)
    # Long-running tasks of the service's own (e.g. a table-backed mail queue), started
    # with the "worker" role and cancelled on stop, like the projection runners.
    background: list[Callable[[Runtime], Awaitable[None]]] = field(default_factory=list)


def topics_of(catalog: EventCatalog, context: str) -> list[str]:
    """The topics of the events a context publishes, as the catalog declares them."""
    return sorted({event.topic for event in catalog.all() if event.context == context})


class Runtime:
    """The adapters of one running service, built once from its settings."""

    def __init__(self, service: Service, settings: ServiceSettings) -> None:
        self.service = service
        self.settings = settings
        self.producer_config = kafka.producer_config(settings)
        kafka.assert_safe(settings, self.producer_config)
        self.engine: AsyncEngine = make_engine(settings)
        self.store = EventStore(settings.schema, service.catalog)
        self.broker = KafkaBroker(
            settings.kafka_bootstrap_servers,
            acks="all",
            enable_idempotence=settings.idempotent_producer,
            client_id=f"adly-{service.name}",
            middlewares=(KafkaTelemetryMiddleware(),),
            graceful_timeout=10.0,
        )
        self.dead_letters = DeadLetters(self.broker)
        self.consumers = [self._consumer(s) for s in service.subscriptions]
        self.relay = OutboxRelay(
            settings.asyncpg_dsn, settings.schema, self.producer_config, batch_size=settings.relay_batch_size
        )
        self.projection_runners = [ProjectionRunner(self.engine, self.store, make()) for make in service.projections]
        # A projection its writers keep current in their own transactions is followed by no
        # runner (`follows_store = False`): `rebuild` still replays the store into it.
        self.followed_projections = [r for r in self.projection_runners if getattr(r.projection, "follows_store", True)]
        self._tasks: list[asyncio.Task] = []

    def group_id(self, subscription_name: str) -> str:
        return f"adly.{self.service.name}.{subscription_name}"

    def _consumer(self, subscription: Subscription) -> IdempotentConsumer:
        consumer = IdempotentConsumer(
            self.group_id(subscription.name),
            subscription.handler,
            engine=self.engine,
            schema=self.settings.schema,
            catalog=self.service.catalog,
            dead_letters=self.dead_letters,
            max_retries=self.settings.consumer_max_retries,
            backoff_seconds=self.settings.consumer_retry_backoff_seconds,
        )
        subscribe(self.broker, consumer, subscription.topics, group_id=consumer.name,
                  fetch_max_wait_ms=self.settings.fetch_max_wait_ms)
        return consumer

    async def start(self, roles: tuple[str, ...] = ROLES) -> None:
        topics = self.service.produces + [t for s in self.service.subscriptions for t in s.topics]
        if topics:
            await kafka.ensure_topics(self.settings, topics)
        await self.broker.connect()
        if "worker" in roles:
            await self.broker.start()
            self._tasks += [asyncio.create_task(r.run(self.settings.asyncpg_dsn)) for r in self.followed_projections]
            self._tasks += [asyncio.create_task(task(self)) for task in self.service.background]
        if "relay" in roles:
            self._tasks.append(asyncio.create_task(self.relay.run()))

    async def stop(self, grace_seconds: float = 10.0) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            # Bounded: a task stuck in a call that ignores cancellation must not hold the
            # shutdown (or a test's teardown) forever; the process exit ends it.
            _, stuck = await asyncio.wait(self._tasks, timeout=grace_seconds)
            for task in stuck:
                log.warning("background task did not stop in time", extra={"task": task.get_name()})
        self._tasks.clear()
        await self.broker.stop()
        await self.engine.dispose()
