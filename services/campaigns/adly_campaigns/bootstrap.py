"""The one place that wires the campaigns service: catalog, migrations, routes, consumers, runners."""

from pathlib import Path

import adly_events.contracts  # noqa: F401  (importing it registers every event type in CATALOG)
from adly_campaigns.adapters.container import open_adapters
from adly_campaigns.entrypoints.consumers import subscriptions
from adly_campaigns.entrypoints.http import router
from adly_campaigns.entrypoints.runners import publish_campaigns, report_performance, watch_reviews
from adly_campaigns.projections import projections
from adly_campaigns.settings import CampaignsSettings
from adly_events import CATALOG
from adly_kit.cli import main_for
from adly_kit.service import Service, topics_of

NAME = "campaigns"
CONTEXT = "campaigns"
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
        settings_class=CampaignsSettings,
        background=[publish_campaigns, watch_reviews, report_performance],
    )


main = main_for(build)
