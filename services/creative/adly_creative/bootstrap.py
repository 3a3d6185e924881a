"""The one place that wires the creative service: catalog, settings, migrations, routes,
consumers, the jobs read model and the generation worker."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from fastapi import FastAPI

import adly_events.contracts  # noqa: F401  (importing it registers every event type in CATALOG)
from adly_creative.adapters.container import Adapters
from adly_creative.entrypoints import http
from adly_creative.entrypoints.background import generation_worker
from adly_creative.entrypoints.consumers import subscriptions
from adly_creative.projections.jobs import JobProjection
from adly_creative.settings import CreativeSettings
from adly_events import CATALOG
from adly_kit.cli import main_for
from adly_kit.db import make_engine
from adly_kit.eventstore import EventStore
from adly_kit.service import Runtime, Service, topics_of

NAME = "creative"
CONTEXT = "creative"
MIGRATIONS = Path(__file__).parent / "migrations"


class Wiring:
    """Builds the adapters once per running process and hands them to the routes, the
    consumers and the worker. Subscriptions are declared before a Runtime exists, so their
    handlers ask here when an event arrives; the app binds the runtime before it starts.
    A process without the app (`replay-dlt`) gets adapters built from its environment."""

    def __init__(self, make_adapters: Callable[[Runtime], Adapters]) -> None:
        self.make_adapters = make_adapters
        self._bound: tuple[object, Adapters] | None = None

    def bind(self, runtime: Runtime) -> Adapters:
        if self._bound is None or self._bound[0] is not runtime:
            self._bound = (runtime, self.make_adapters(runtime))
        return self._bound[1]

    def current(self) -> Adapters:
        if self._bound is None:
            settings = CreativeSettings(service_name=NAME)
            standalone = SimpleNamespace(settings=settings, engine=make_engine(settings),
                                         store=EventStore(settings.schema, CATALOG))
            self._bound = (standalone, self.make_adapters(standalone))
        return self._bound[1]


@dataclass
class CreativeService(Service):
    wiring: Wiring | None = field(default=None, repr=False)

    def extend_app(self, app: FastAPI, roles: tuple[str, ...]) -> None:
        """Read by adly_kit.app.create_app once the app exists, before anything runs."""
        app.state.creative = self.wiring.bind(app.state.runtime)


def build(schema: str | None = None, make_adapters: Callable[[Runtime], Adapters] = Adapters.for_runtime) -> Service:
    """`schema`: where the read model lives; by default the one the settings will name."""
    schema = schema or os.environ.get("ADLY_DATABASE_SCHEMA") or NAME
    wiring = Wiring(make_adapters)
    return CreativeService(
        name=NAME,
        catalog=CATALOG,
        migrations=str(MIGRATIONS),
        routers=[http.router()],
        subscriptions=subscriptions(wiring.current),
        projections=[lambda: JobProjection(schema)],
        produces=topics_of(CATALOG, CONTEXT),
        settings_class=CreativeSettings,
        background=[generation_worker(wiring.bind)],
        wiring=wiring,
    )


main = main_for(build)
