"""The ad platforms this process can publish to, connect and read reports from, from the
settings: a platform whose app is not configured is simply absent (publishing there says so;
connecting refuses). Each platform's package builds its three clients over one transport, so
they share the platform's rate-limit bookkeeping (`PlatformClients`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from adly_campaigns.adapters import google_ads, snapchat, tiktok
from adly_campaigns.adapters.meta import MetaAccountLink, MetaGraph, MetaPublisher, MetaReports, MetaSettings
from adly_campaigns.adapters.platform_clients import PlatformClients
from adly_campaigns.domain.ports import AdAccountLink, AdPublisher, PerformanceReader
from adly_campaigns.settings import CampaignsSettings
from adly_events.contracts.common import AdPlatform


@dataclass
class Platforms:
    publishers: dict[AdPlatform, AdPublisher]
    links: dict[AdPlatform, AdAccountLink]
    reports: dict[AdPlatform, PerformanceReader]


def meta_settings(settings: CampaignsSettings) -> MetaSettings | None:
    secret = settings.meta_app_secret.get_secret_value() if settings.meta_app_secret else ""
    if not settings.meta_app_id or not secret:
        return None
    return MetaSettings(app_id=settings.meta_app_id, app_secret=secret, graph_url=settings.meta_graph_url,
                        dialog_url=settings.meta_dialog_url, api_version=settings.meta_api_version,
                        timeout=settings.platform_timeout_seconds)


def build_meta(settings: CampaignsSettings) -> PlatformClients | None:
    meta = meta_settings(settings)
    if meta is None:
        return None
    graph = MetaGraph(meta)  # its own client: Meta's limits and timeouts are its own
    publisher = MetaPublisher(meta, graph=graph)
    return PlatformClients(publisher, MetaAccountLink(meta, graph=graph), MetaReports(meta, graph=graph), graph.aclose)


BUILDERS: dict[AdPlatform, Callable[[CampaignsSettings], PlatformClients | None]] = {
    AdPlatform.META: build_meta,
    AdPlatform.TIKTOK: tiktok.build,
    AdPlatform.SNAPCHAT: snapchat.build,
    AdPlatform.GOOGLE_ADS: google_ads.build,
}


@asynccontextmanager
async def open_platforms(settings: CampaignsSettings, http: httpx.AsyncClient) -> AsyncIterator[Platforms]:
    built = {platform: clients for platform, build in BUILDERS.items() if (clients := build(settings)) is not None}
    try:
        yield Platforms({p: c.publisher for p, c in built.items()}, {p: c.link for p, c in built.items()},
                        {p: c.reports for p, c in built.items() if c.reports is not None})
    finally:
        for clients in built.values():
            await clients.aclose()
