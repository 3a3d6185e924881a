"""Every adapter the campaigns handlers use, built once per running process by the runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from adly_campaigns.adapters.ad_accounts import AdAccountRepository, LoginRepository
from adly_campaigns.adapters.assets import CreativeAssets
from adly_campaigns.adapters.campaigns import CampaignQueries, CampaignRepository
from adly_campaigns.adapters.performance import PerformanceStore
from adly_campaigns.adapters.platforms import open_platforms
from adly_campaigns.adapters.publications import PublicationRepository
from adly_campaigns.adapters.tokens import RefreshingTokens
from adly_campaigns.adapters.workspace_data import CreativeSetRepository, PolicyRepository, ProductRepository
from adly_campaigns.domain.ports import AdAccountLink, AdPublisher, AssetSource, FreshTokens, PerformanceReader
from adly_campaigns.handlers.ports import (
    AdAccounts,
    CampaignStore,
    CreativeSets,
    Logins,
    Performance,
    Policies,
    Products,
    Publications,
)
from adly_campaigns.settings import CampaignsSettings
from adly_events.contracts.common import AdPlatform
from adly_kit.crypto import Keyring
from adly_kit.eventstore import EventStore
from adly_kit.service import Runtime
from adly_kit.worklist import Worklist


@dataclass
class Adapters:
    settings: CampaignsSettings
    engine: AsyncEngine
    store: EventStore
    campaigns: CampaignStore
    queries: CampaignQueries
    ad_accounts: AdAccounts
    logins: Logins
    policies: Policies
    products: Products
    creative_sets: CreativeSets
    publications: Publications
    publication_queue: Worklist
    performance: Performance
    assets: AssetSource
    publishers: Mapping[AdPlatform, AdPublisher] = field(default_factory=dict)
    links: Mapping[AdPlatform, AdAccountLink] = field(default_factory=dict)
    reports: Mapping[AdPlatform, PerformanceReader] = field(default_factory=dict)
    tokens: FreshTokens | None = None  # None: tokens used as stored (tests of handlers)
    brief_llm: Any = None  # adapters/brief_llm.py when a provider is configured


@asynccontextmanager
async def open_adapters(runtime: Runtime) -> AsyncIterator[Adapters]:
    settings = cast(CampaignsSettings, runtime.settings)
    schema = settings.schema
    keyring = Keyring.from_setting(settings.encryption_keys.get_secret_value())
    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=settings.platform_timeout_seconds))
        platforms = await stack.enter_async_context(open_platforms(settings, http))
        accounts = AdAccountRepository(schema, keyring, runtime.store)
        yield Adapters(
            settings=settings, engine=runtime.engine, store=runtime.store,
            campaigns=CampaignRepository(runtime.store, schema), queries=CampaignQueries(schema),
            ad_accounts=accounts, logins=LoginRepository(schema, keyring),
            policies=PolicyRepository(schema), products=ProductRepository(schema),
            creative_sets=CreativeSetRepository(schema), publications=PublicationRepository(schema),
            publication_queue=Worklist(schema, "publications", runnable_states=["queued"],
                                       lease_seconds=settings.publish_lease_seconds),
            assets=CreativeAssets(http, settings), publishers=platforms.publishers, links=platforms.links,
            reports=platforms.reports, performance=PerformanceStore(schema, runtime.store), tokens=RefreshingTokens(runtime.engine, accounts, platforms.links),
            brief_llm=await stack.enter_async_context(open_brief_llm(settings, http)),
        )


@asynccontextmanager
async def open_brief_llm(settings: CampaignsSettings, http: httpx.AsyncClient) -> AsyncIterator[Any]:
    if not settings.brief_llm_provider:
        yield None
        return
    from adly_campaigns.adapters.brief_llm import open_llm_parser
    async with open_llm_parser(settings, http) as parser:
        yield parser
