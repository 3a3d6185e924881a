"""The one place that declares the catalog service: its adapters, routes, subscription, the
sync runner and scheduler, and the `rewrap-credentials` command."""

import os
from pathlib import Path

import adly_events.contracts  # noqa: F401  (importing it registers every event type in CATALOG)
from adly_catalog.adapters.container import Adapters, open_adapters
from adly_catalog.entrypoints import http
from adly_catalog.entrypoints.commands import rewrap_credentials
from adly_catalog.entrypoints.consumers import deleted_workspaces
from adly_catalog.entrypoints.runners import run_scheduler, run_syncs
from adly_catalog.projections import projections
from adly_catalog.settings import CatalogSettings
from adly_events import CATALOG
from adly_kit.cli import main_for
from adly_kit.service import Service, topics_of

NAME = "catalog"
CONTEXT = "catalog"
MIGRATIONS = Path(__file__).parent / "migrations"


def build(schema: str | None = None) -> Service[Adapters]:
    schema = schema or os.environ.get("ADLY_DATABASE_SCHEMA") or NAME
    return Service(
        name=NAME,
        catalog=CATALOG,
        migrations=str(MIGRATIONS),
        adapters=open_adapters,
        routers=[http.router],
        subscriptions=[deleted_workspaces],
        projections=projections(schema),
        produces=topics_of(CATALOG, CONTEXT),
        settings_class=CatalogSettings,
        commands={"rewrap-credentials": rewrap_credentials},
        background=[run_syncs, run_scheduler],
    )


main = main_for(build)
