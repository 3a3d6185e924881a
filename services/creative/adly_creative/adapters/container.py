"""Every adapter the creative handlers use, built once per running process."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
from adly_creative.projections.jobs import JobProjection
from adly_creative.settings import CreativeSettings
from adly_kit.crypto import Keyring
from adly_kit.eventstore import EventStore
from adly_kit.outbound import Outbound, make_client
from adly_kit.outbound import RetryPolicy as OutboundRetry
from adly_kit.service import Runtime


@dataclass
class Adapters:
    settings: CreativeSettings
    engine: AsyncEngine
    store: EventStore
    keyring: Keyring
    jobs: JobRepository
    job_queries: JobQueries
    queue: JobQueue
    usage: UsageLedger
    products: ProductCatalog
    brand_kits: BrandKits
    workspace_settings: SettingsStore
    provider_keys: ProviderKeys
    assets: AssetLibrary
    signer: AssetUrlSigner
    photos: PhotoFetcher
    providers: ProviderRegistry
    retry: RetryPolicy
    closing: list[Any] = field(default_factory=list)
    _closed: bool = False

    @classmethod
    def for_runtime(cls, runtime: Runtime, *, providers: ProviderRegistry | None = None,
                    asset_store: AssetStore | None = None) -> Adapters:
        settings = runtime.settings
        assert isinstance(settings, CreativeSettings), "the creative service runs with CreativeSettings"
        schema = settings.schema
        keyring = Keyring.from_setting(settings.encryption_keys.get_secret_value())
        photo_client = Outbound(make_client(timeout=settings.photo_timeout_seconds), max_bytes=settings.photo_max_bytes,
                                retry=OutboundRetry(attempts=2, max_delay=2.0), name="product-photos")
        if providers is None:
            from adly_creative.adapters.provider_wiring import registry

            providers = registry(settings)
        return cls(
            settings=settings, engine=runtime.engine, store=runtime.store,
            keyring=keyring,
            jobs=JobRepository(runtime.store, JobProjection(schema)), job_queries=JobQueries(schema),
            queue=JobQueue(schema, settings.job_lease_seconds), usage=UsageLedger(schema),
            products=ProductCatalog(schema), brand_kits=BrandKits(schema), workspace_settings=SettingsStore(schema),
            provider_keys=ProviderKeys(schema, keyring),
            assets=AssetLibrary(schema, asset_store or asset_store_of(settings)), signer=signer_of(settings),
            photos=PhotoFetcher(photo_client, max_bytes=settings.photo_max_bytes,
                                allow_loopback=settings.photo_allow_loopback),
            providers=providers,
            retry=RetryPolicy(max_attempts=settings.provider_max_attempts, base_delay=settings.provider_retry_base_seconds,
                              max_delay=settings.provider_retry_max_wait_seconds),
            closing=[photo_client, providers],
        )

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        for resource in self.closing:
            await resource.aclose()


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
