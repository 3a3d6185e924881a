"""The ad platforms this process can publish to and connect, from the settings: a platform
whose app is not configured is simply absent (publishing there says so; connecting refuses)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from adly_campaigns.adapters.meta import MetaAccountLink, MetaGraph, MetaPublisher, MetaSettings
from adly_campaigns.domain.ports import AdAccountLink, AdPublisher
from adly_campaigns.settings import CampaignsSettings
from adly_events.contracts.common import AdPlatform

Platforms = tuple[dict[AdPlatform, AdPublisher], dict[AdPlatform, AdAccountLink]]


def meta_settings(settings: CampaignsSettings) -> MetaSettings | None:
    secret = settings.meta_app_secret.get_secret_value() if settings.meta_app_secret else ""
    if not settings.meta_app_id or not secret:
        return None
    return MetaSettings(app_id=settings.meta_app_id, app_secret=secret, graph_url=settings.meta_graph_url,
                        dialog_url=settings.meta_dialog_url, api_version=settings.meta_api_version,
                        timeout=settings.platform_timeout_seconds)


@asynccontextmanager
async def open_platforms(settings: CampaignsSettings, http: httpx.AsyncClient) -> AsyncIterator[Platforms]:
    publishers: dict[AdPlatform, AdPublisher] = {}
    links: dict[AdPlatform, AdAccountLink] = {}
    graphs: list[MetaGraph] = []
    meta = meta_settings(settings)
    if meta is not None:
        graph = MetaGraph(meta)  # its own client: Meta's limits and timeouts are its own
        graphs.append(graph)
        publishers[AdPlatform.META] = MetaPublisher(meta, graph=graph)
        links[AdPlatform.META] = MetaAccountLink(meta, graph=graph)
    try:
        yield publishers, links
    finally:
        for graph in graphs:
            await graph.aclose()
