"""What a service declares (`Service`) and the running process built from it (`Runtime`).

Each service's `bootstrap.py` returns a `Service`; the shared CLI turns it into a process
that serves HTTP, runs its consumers, its outbox relay and its projections, each role
switchable so a deployment can split them into separate pods.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adly_events import CATALOG, EventCatalog, EventEnvelope
from adly_kit import kafka
from adly_kit.consumer import DeadLetters, IdempotentConsumer, Runs, subscribe
from adly_kit.db import make_engine
from adly_kit.eventstore import EventStore
from adly_kit.projections import Projection, ProjectionRunner
from adly_kit.relay import OutboxRelay
from adly_kit.settings import ServiceSettings

log = logging.getLogger(__name__)

ROLES = ("api", "worker", "relay")
A = TypeVar("A")
P = TypeVar("P", bound=BaseModel)


Adapters = Any  # each service's own adapters class; the kit only carries it


@dataclass(frozen=True)
class Delivery(Generic[A]):
    """What an event handler gets beside the payload: the consumer's transaction (it
    commits with the inbox row, so a redelivered event has no second effect), the
    envelope (ids for causation, the aggregate, the workspace) and the service's adapters."""

    tx: AsyncConnection
    envelope: EventEnvelope
    adapters: A


EventHandler = Callable[[Any, Delivery[Any]], Awaitable[None]]
RunHandler = Callable[[Sequence[tuple[Any, Delivery[Any]]]], Awaitable[None]]


class Subscription:
    """Handlers of other services' (or our own) events, under one consumer group.

    A handler is registered for event types and receives that type's payload model::

        stores = Subscription("deleted-workspaces")

        @stores.on(WorkspaceDeleted)
        async def disconnect_stores(event: WorkspaceDeleted, delivery: Delivery[Adapters]) -> None: ...

    The group reads the topics of the registered types; other events on those topics (an
    aggregate's other types) are consumed and passed over."""

    def __init__(self, name: str, catalog: EventCatalog = CATALOG) -> None:
        self.name = name
        self.catalog = catalog
        self.handlers: dict[type[BaseModel], EventHandler] = {}
        self.run_handlers: dict[type[BaseModel], RunHandler] = {}

    def on(self, *models: type[P]) -> Callable[[Callable[[P, Delivery[Any]], Awaitable[None]]], Callable[[P, Delivery[Any]], Awaitable[None]]]:
        def register(handler: Callable[[P, Delivery[Any]], Awaitable[None]]) -> Callable[[P, Delivery[Any]], Awaitable[None]]:
            for model in models:
                self.catalog.type_of_model(model)  # refuses a model that is no registered event
                if model in self.handlers:
                    raise ValueError(f"{self.name}: {model.__name__} has a handler already")
                self.handlers[model] = handler
            return handler

        return register

    def on_run(self, model: type[P]) -> Callable[[Callable[[Sequence[tuple[P, Delivery[Any]]]], Awaitable[None]]],
                                                 Callable[[Sequence[tuple[P, Delivery[Any]]]], Awaitable[None]]]:
        """A handler of runs of one event type: the consecutive events of that type in a consumed
        batch, handed over together in their order, in the batch's transaction. For handlers whose
        cost is per statement rather than per event (a COPY of a whole pull's rows instead of one
        per row). When a batch is applied again record by record (a handler failed), a run is one
        event, so the failing one is retried and dead-lettered alone."""
        def register(handler: Callable[[Sequence[tuple[P, Delivery[Any]]]], Awaitable[None]]
                     ) -> Callable[[Sequence[tuple[P, Delivery[Any]]]], Awaitable[None]]:
            async def one(payload: P, delivery: Delivery[Any]) -> None:
                await handler([(payload, delivery)])

            self.on(model)(one)
            self.run_handlers[model] = handler
            return handler

        return register

    def runs(self, payload: BaseModel) -> bool:
        """Whether `payload`'s type is handled in runs (`on_run`)."""
        return type(payload) in self.run_handlers

    async def dispatch_run(self, adapters: Any, tx: AsyncConnection, run: Sequence[tuple[EventEnvelope, BaseModel]]
                           ) -> None:
        """Hand a run of events of one `on_run` type to its handler."""
        handler = self.run_handlers[type(run[0][1])]
        await handler([(payload, Delivery(tx, envelope, adapters)) for envelope, payload in run])

    @property
    def topics(self) -> list[str]:
        return sorted({self.catalog.type_of_model(model).topic for model in self.handlers})

    async def dispatch(self, adapters: Any, tx: AsyncConnection, envelope: EventEnvelope, payload: BaseModel) -> None:
        handler = self.handlers.get(type(payload))
        if handler is not None:
            await handler(payload, Delivery(tx, envelope, adapters))


@dataclass
class Service(Generic[A]):
    """What a service declares; `adly_kit.cli` turns it into a running process.

    `adapters` builds the service's adapters once per process (an async context manager:
    what it opens, it closes); the runtime hands them to routes (`adly_kit.app.adapters`),
    to event handlers (`Delivery.adapters`), to background runners and to commands."""

    name: str
    catalog: EventCatalog
    migrations: str
    adapters: Callable[[Runtime], AbstractAsyncContextManager[A]] | None = None
    routers: list[APIRouter] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    projections: list[Callable[[], Projection]] = field(default_factory=list)
    produces: list[str] = field(default_factory=list)
    settings_class: type[ServiceSettings] = ServiceSettings
    commands: dict[str, Callable[[A, list[str]], Awaitable[None]]] = field(default_factory=dict)
    # Long-running runners of the service's own (a sync worklist, a mail queue), started
    # with the "worker" role and cancelled on stop, like the projection runners. Each owns
    # its transactions: one per step it commits, never one around the whole run.
    background: list[Callable[[A], Awaitable[None]]] = field(default_factory=list)
    # FastAPI constructor options from the settings, and a last say over the finished app
    # (middleware, the OpenAPI document): the gateway shapes its public app with these.
    app_options: Callable[[ServiceSettings], dict[str, Any]] | None = None
    extend_app: Callable[[FastAPI, ServiceSettings, tuple[str, ...]], None] | None = None


def topics_of(catalog: EventCatalog, context: str) -> list[str]:
    """The topics of the events a context publishes, as the catalog declares them."""
    return sorted({event.topic for event in catalog.all() if event.context == context})


@asynccontextmanager
async def plain(value: A) -> AsyncIterator[A]:
    """Adapters that hold nothing to close."""
    yield value


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
            # FastStream's "Received"/"Processed" lines per consumed batch: debug, not info. At
            # info they were 3% of a busy consumer's CPU and most of every service's log; the
            # metrics, traces and dead letters say what happened to a message.
            log_level=logging.DEBUG,
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
        self.roles: tuple[str, ...] = ()
        # "none" without the worker role or subscriptions; "joining" until the consumers run.
        self.consumer_state = "none"
        self._adapters: Any = None
        self._opened = AsyncExitStack()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def adapters(self) -> Any:
        """The service's adapters, built once by `open()`."""
        if self._adapters is None:
            raise RuntimeError(f"{self.service.name}: the adapters are not open (Runtime.open)")
        return self._adapters

    async def open(self, roles: tuple[str, ...] = ROLES) -> Any:
        """Build the adapters, once, for the roles this process plays."""
        if self._adapters is None:
            self.roles = roles
            make = self.service.adapters or (lambda runtime: plain(runtime))
            self._adapters = await self._opened.enter_async_context(make(self))
        return self._adapters

    async def close(self) -> None:
        try:
            await self._opened.aclose()
        finally:
            self._adapters = None
            await self.engine.dispose()

    def group_id(self, subscription_name: str) -> str:
        return f"adly.{self.service.name}.{subscription_name}"

    def _consumer(self, subscription: Subscription) -> IdempotentConsumer:
        async def handle(tx: AsyncConnection, envelope: EventEnvelope, payload: BaseModel) -> None:
            await subscription.dispatch(self.adapters, tx, envelope, payload)

        async def handle_run(tx: AsyncConnection, run: Sequence[tuple[EventEnvelope, BaseModel]]) -> None:
            await subscription.dispatch_run(self.adapters, tx, run)

        consumer = IdempotentConsumer(
            self.group_id(subscription.name),
            handle,
            runs=Runs(subscription.runs, handle_run) if subscription.run_handlers else None,
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
        await self.open(roles)
        topics = self.service.produces + [t for s in self.service.subscriptions for t in s.topics]
        if topics:
            await kafka.ensure_topics(self.settings, topics)
        await self.broker.connect()
        if "worker" in roles:
            self._tasks.append(asyncio.create_task(self._join_consumer_groups(), name="consumer-groups"))
            self._tasks += [asyncio.create_task(r.run(self.settings.asyncpg_dsn)) for r in self.followed_projections]
            self._tasks += [asyncio.create_task(task(self.adapters)) for task in self.service.background]
        if "relay" in roles:
            self._tasks.append(asyncio.create_task(self.relay.run()))

    async def _join_consumer_groups(self) -> None:
        """Start the consumers without holding up the rest of the process.

        Joining a group waits until every member the coordinator knows has rejoined, and a
        member killed a moment ago is known until its session expires: awaited in start-up,
        that kept a restarted service off HTTP for 20-30 s. Events wait in their topics
        meanwhile, and a new group starts from the earliest offset, so nothing is missed."""
        if not self.consumers:
            self.consumer_state = "none"
            return
        self.consumer_state = "joining"
        delay = 1.0
        while True:
            try:
                await self.broker.start()
                self.consumer_state = "joined"
                return
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the broker is away: keep serving, try again
                log.warning("consumers could not start; retrying", extra={"reason": type(error).__name__})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

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
        await self.close()
