"""Every adapter the creative handlers use, built once per process by the runtime
(`Service(adapters=open_adapters)`). Fields are typed by the ports the handlers use;
`open_adapters` closes what it opened (the photo client, the provider clients)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from adly_creative.adapters.asset_store import LocalAssetStore, S3AssetStore
from adly_creative.adapters.assets import AssetLibrary
from adly_creative.adapters.jobs import JobQueries, JobQueue, JobRepository, UsageLedger
from adly_creative.adapters.photos import PhotoFetcher
from adly_creative.adapters.products import ProductCatalog
from adly_creative.adapters.provider_registry import ProviderRegistry
from adly_creative.adapters.workspace_config import BrandKits, ProviderKeys, SettingsStore
from adly_creative.domain.asset_urls import AssetUrlSigner, derive_key
from adly_creative.domain.assets import AssetStore
from adly_creative.domain.routing import RetryPolicy
from adly_creative.handlers import ports
from adly_creative.projections.jobs import JobProjection
from adly_creative.settings import CreativeSettings
from adly_kit.crypto import Keyring
from adly_kit.outbound import Outbound, make_client
from adly_kit.outbound import RetryPolicy as OutboundRetry
from adly_kit.service import Runtime
from adly_kit.worklist import Worklist


@dataclass
class Adapters:
    settings: CreativeSettings
    engine: AsyncEngine                  # for the edges' transactions; handlers are handed one
    jobs: ports.Jobs
    job_queries: JobQueries              # the jobs read model, for the API's answers
    queue: ports.JobQueue
    worklist: Worklist                   # the queue's leases, for the runner
    usage: ports.Usage
    products: ports.Products
    brand_kits: ports.BrandKits
    workspace_settings: ports.Settings
    provider_keys: ports.ProviderKeys
    assets: ports.Assets
    signer: AssetUrlSigner
    photos: ports.Photos
    providers: ports.ProviderCatalog
    retry: RetryPolicy


@asynccontextmanager
async def open_adapters(runtime: Runtime, *, providers: ProviderRegistry | None = None,
                        asset_store: AssetStore | None = None) -> AsyncIterator[Adapters]:
    """`providers`, `asset_store`: what tests put in place of the real ones."""
    settings = runtime.settings
    assert isinstance(settings, CreativeSettings), "the creative service runs with CreativeSettings"
    schema = settings.schema
    keyring = Keyring.from_setting(settings.encryption_keys.get_secret_value())
    if providers is None:
        from adly_creative.adapters.provider_wiring import registry  # the SDKs load only when a service runs

        providers = registry(settings)
    photo_client = Outbound(make_client(timeout=settings.photo_timeout_seconds), max_bytes=settings.photo_max_bytes,
                            retry=OutboundRetry(attempts=2, max_delay=2.0), name="product-photos")
    queue = JobQueue(schema, settings.job_lease_seconds)
    try:
        yield Adapters(
            settings=settings, engine=runtime.engine,
            jobs=JobRepository(runtime.store, JobProjection(schema)), job_queries=JobQueries(schema),
            queue=queue, worklist=queue.worklist, usage=UsageLedger(schema),
            products=ProductCatalog(schema), brand_kits=BrandKits(schema), workspace_settings=SettingsStore(schema),
            provider_keys=ProviderKeys(schema, keyring),
            assets=AssetLibrary(schema, asset_store or asset_store_of(settings)), signer=signer_of(settings),
            photos=PhotoFetcher(photo_client, max_bytes=settings.photo_max_bytes,
                                allow_loopback=settings.photo_allow_loopback),
            providers=providers,
            retry=RetryPolicy(max_attempts=settings.provider_max_attempts, base_delay=settings.provider_retry_base_seconds,
                              max_delay=settings.provider_retry_max_wait_seconds),
        )
    finally:
        try:
            await photo_client.aclose()
        finally:
            await providers.aclose()


def asset_store_of(settings: CreativeSettings) -> AssetStore:
    if settings.asset_backend == "s3":
        secret = settings.s3_secret_access_key
        return S3AssetStore(
            bucket=settings.s3_bucket, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region,
            prefix=settings.s3_prefix,
            access_key_id=settings.s3_access_key_id.get_secret_value() if settings.s3_access_key_id else None,
            secret_access_key=secret.get_secret_value() if secret else None)
    return LocalAssetStore(settings.asset_dir)


def signer_of(settings: CreativeSettings) -> AssetUrlSigner:
    if settings.asset_url_key is not None:
        key = settings.asset_url_key.get_secret_value().encode()
    else:
        key = derive_key(settings.internal_identity_key.get_secret_value().encode())
    return AssetUrlSigner(key, ttl_seconds=settings.asset_url_ttl_seconds, base_url=settings.public_base_url.rstrip("/"))
