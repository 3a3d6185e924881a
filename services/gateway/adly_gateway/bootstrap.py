"""The one place that wires the gateway service: catalog, migrations, adapters, routes, consumers, app."""

from __future__ import annotations

from pathlib import Path

import adly_events.contracts  # noqa: F401  (importing it registers every event type in CATALOG)
from adly_events import CATALOG
from adly_gateway.adapters.container import open_adapters
from adly_gateway.entrypoints import app, http
from adly_gateway.entrypoints.consumers import subscriptions
from adly_gateway.projections import projections
from adly_gateway.settings import GatewaySettings
from adly_kit.cli import main_for
from adly_kit.service import Service, topics_of

NAME = "gateway"
CONTEXT = "gateway"
MIGRATIONS = Path(__file__).parent / "migrations"


def build() -> Service:
    return Service(
        name=NAME,
        catalog=CATALOG,
        migrations=str(MIGRATIONS),
        adapters=open_adapters,
        routers=[http.router, http.public],
        subscriptions=list(subscriptions),
        projections=list(projections),
        produces=topics_of(CATALOG, CONTEXT),
        settings_class=GatewaySettings,
        app_options=app.app_options,
        extend_app=app.extend_app,
    )


main = main_for(build)
