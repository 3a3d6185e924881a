"""The one place that wires the analytics service: catalog, migrations, routes, consumers."""

from pathlib import Path

import adly_events.contracts  # noqa: F401  (importing it registers every event type in CATALOG)
from adly_analytics.adapters.container import Adapters, open_adapters
from adly_analytics.entrypoints.commands import rebuild_cells
from adly_analytics.entrypoints.consumers import subscriptions
from adly_analytics.entrypoints.http import router
from adly_analytics.projections import projections
from adly_events import CATALOG
from adly_kit.cli import main_for
from adly_kit.service import Service, topics_of

NAME = "analytics"
CONTEXT = "analytics"
MIGRATIONS = Path(__file__).parent / "migrations"


def build() -> Service[Adapters]:
    return Service(
        name=NAME,
        catalog=CATALOG,
        migrations=str(MIGRATIONS),
        adapters=open_adapters,
        routers=[router],
        subscriptions=list(subscriptions),
        projections=list(projections),
        produces=topics_of(CATALOG, CONTEXT),
        commands={"rebuild-cells": rebuild_cells},
    )


main = main_for(build)
