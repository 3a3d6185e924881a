"""The one place that declares the creative service: catalog, settings, migrations, its
adapters, routes, consumers, the jobs read model and the generation runner."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import adly_events.contracts  # noqa: F401  (importing it registers every event type in CATALOG)
from adly_creative.adapters.container import Adapters, open_adapters
from adly_creative.entrypoints.consumers import subscriptions
from adly_creative.entrypoints.http import router
from adly_creative.entrypoints.runners import generate_creatives
from adly_creative.projections.jobs import JobProjection
from adly_creative.settings import CreativeSettings
from adly_events import CATALOG
from adly_kit.cli import main_for
from adly_kit.service import Runtime, Service, topics_of

NAME = "creative"
CONTEXT = "creative"
MIGRATIONS = Path(__file__).parent / "migrations"


def build(schema: str | None = None,
          adapters: Callable[[Runtime], AbstractAsyncContextManager[Adapters]] = open_adapters) -> Service[Adapters]:
    """`schema`: where the jobs read model lives, by default the one the settings will name;
    `adapters`: how they are built (tests build them with doubles of the providers)."""
    schema = schema or os.environ.get("ADLY_DATABASE_SCHEMA") or NAME
    return Service(
        name=NAME,
        catalog=CATALOG,
        migrations=str(MIGRATIONS),
        adapters=adapters,
        routers=[router],
        subscriptions=list(subscriptions),
        projections=[lambda: JobProjection(schema)],
        produces=topics_of(CATALOG, CONTEXT),
        settings_class=CreativeSettings,
        background=[generate_creatives],
    )


main = main_for(build)
