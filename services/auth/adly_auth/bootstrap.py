"""The one place that wires the auth service: catalog, settings, migrations, adapters, routes,
the mail runner, the workspace read model and the `rotate-keys` command."""

import os
from pathlib import Path

import adly_events.contracts  # noqa: F401  (importing it registers every event type in CATALOG)
from adly_auth.adapters.container import open_adapters
from adly_auth.entrypoints.commands import rotate_keys
from adly_auth.entrypoints.consumers import subscriptions
from adly_auth.entrypoints.http import router
from adly_auth.entrypoints.runners import send_mail
from adly_auth.projections.workspaces import WorkspaceProjection
from adly_auth.settings import AuthSettings
from adly_events import CATALOG
from adly_kit.cli import main_for
from adly_kit.service import Service, topics_of

NAME = "auth"
CONTEXT = "auth"
MIGRATIONS = Path(__file__).parent / "migrations"


def build(schema: str | None = None) -> Service:
    """`schema`: where the read model lives; by default the one the settings will name."""
    schema = schema or os.environ.get("ADLY_DATABASE_SCHEMA") or NAME
    return Service(
        name=NAME,
        catalog=CATALOG,
        migrations=str(MIGRATIONS),
        adapters=open_adapters,
        routers=[router],
        subscriptions=list(subscriptions),
        projections=[lambda: WorkspaceProjection(schema)],
        produces=topics_of(CATALOG, CONTEXT),
        settings_class=AuthSettings,
        commands={"rotate-keys": rotate_keys},
        background=[send_mail],
    )


main = main_for(build)
