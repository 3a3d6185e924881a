"""The one place that wires the notifications service: catalog, migrations, routes, consumers, runners."""

from pathlib import Path

import adly_events.contracts  # noqa: F401  (importing it registers every event type in CATALOG)
from adly_events import CATALOG
from adly_kit.cli import main_for
from adly_kit.service import Service, topics_of
from adly_notifications.adapters.container import open_adapters
from adly_notifications.entrypoints.consumers import subscriptions
from adly_notifications.entrypoints.http import router
from adly_notifications.entrypoints.runners import deliver_webhooks, schedule_digests, send_mail
from adly_notifications.projections import projections
from adly_notifications.settings import NotificationsSettings

NAME = "notifications"
CONTEXT = "notifications"
MIGRATIONS = Path(__file__).parent / "migrations"


def build() -> Service:
    return Service(
        name=NAME,
        catalog=CATALOG,
        migrations=str(MIGRATIONS),
        adapters=open_adapters,
        routers=[router],
        subscriptions=list(subscriptions),
        projections=list(projections),
        produces=topics_of(CATALOG, CONTEXT),
        settings_class=NotificationsSettings,
        background=[deliver_webhooks, send_mail, schedule_digests],
    )


main = main_for(build)
