"""The one place that wires the catalog service: settings, migrations, routes, consumers,
the sync runner and scheduler, and the `rewrap-credentials` command."""

import os
from collections.abc import Callable
from pathlib import Path

import adly_events.contracts  # noqa: F401  (importing it registers every event type in CATALOG)
from adly_catalog.adapters.container import Adapters
from adly_catalog.entrypoints import http
from adly_catalog.entrypoints.consumers import deleted_workspaces
from adly_catalog.handlers.scheduling import run_scheduler
from adly_catalog.handlers.syncing import run_sync
from adly_catalog.projections import projections
from adly_catalog.settings import CatalogSettings
from adly_events import CATALOG
from adly_kit.cli import main_for
from adly_kit.service import Runtime, Service, topics_of
from adly_kit.worklist import run_worklist

NAME = "catalog"
CONTEXT = "catalog"
MIGRATIONS = Path(__file__).parent / "migrations"
SYNC_CONCURRENCY = 4


def build(schema: str | None = None, make_adapters: Callable[[Runtime], Adapters] = Adapters.for_runtime) -> Service:
    schema = schema or os.environ.get("ADLY_DATABASE_SCHEMA") or NAME

    async def sync_runner(runtime: Runtime) -> None:
        a = http.adapters_of(runtime, make_adapters)
        await run_worklist(a.engine, a.worklist, lambda item, worker: run_sync(a, item, worker),
                           concurrency=SYNC_CONCURRENCY, poll_seconds=a.settings.sync_poll_seconds)

    async def scheduler(runtime: Runtime) -> None:
        await run_scheduler(http.adapters_of(runtime, make_adapters))

    async def rewrap_credentials(runtime: Runtime, _: list[str]) -> None:
        a = http.adapters_of(runtime, make_adapters)
        async with a.engine.begin() as tx:
            count = await a.vault.rewrap_all(tx)
        print(f"re-wrapped {count} store credentials under key {a.vault.keyring.current}")

    return Service(
        name=NAME,
        catalog=CATALOG,
        migrations=str(MIGRATIONS),
        routers=[http.router(make_adapters)],
        subscriptions=[deleted_workspaces(schema)],
        projections=projections(schema),
        produces=topics_of(CATALOG, CONTEXT),
        settings_class=CatalogSettings,
        commands={"rewrap-credentials": rewrap_credentials},
        background=[sync_runner, scheduler],
    )


main = main_for(build)
