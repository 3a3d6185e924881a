"""The catalog's adapters, built once per process from the runtime (bootstrap picks them)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from adly_catalog.adapters.intake import Deliveries, PendingConnections
from adly_catalog.adapters.mirror import Mirror
from adly_catalog.adapters.stores import StoreRepository
from adly_catalog.adapters.syncs import ACTIVE, SyncRepository
from adly_catalog.adapters.vault import CredentialVault
from adly_catalog.settings import CatalogSettings
from adly_events.contracts.catalog import StorePlatform
from adly_kit.crypto import Keyring
from adly_kit.eventstore import EventStore
from adly_kit.outbound import Outbound, RetryPolicy, make_client
from adly_kit.service import Runtime
from adly_kit.worklist import Worklist


def customer_hasher(settings: CatalogSettings):
    """Keyed SHA-256 of a customer identifier: stable per ADLY installation, useless outside it."""
    secret = settings.customer_hash_key or settings.internal_identity_key
    key = hashlib.sha256(b"adly-catalog-customer|" + secret.get_secret_value().encode()).digest()
    return lambda identifier: hmac.new(key, identifier.strip().lower().encode(), hashlib.sha256).hexdigest()


def platform_clients(outbound: Outbound, settings: CatalogSettings, hash_customer) -> dict[StorePlatform, Any]:
    from adly_catalog.adapters.platforms.salla import SallaClient
    from adly_catalog.adapters.platforms.shopify import ShopifyClient
    from adly_catalog.adapters.platforms.woocommerce import WooCommerceClient
    from adly_catalog.adapters.platforms.zid import ZidClient

    return {
        StorePlatform.SHOPIFY: ShopifyClient(outbound, settings, hash_customer),
        StorePlatform.WOOCOMMERCE: WooCommerceClient(outbound, settings, hash_customer),
        StorePlatform.SALLA: SallaClient(outbound, settings, hash_customer),
        StorePlatform.ZID: ZidClient(outbound, settings, hash_customer),
    }


@dataclass
class Adapters:
    engine: AsyncEngine
    settings: CatalogSettings
    events: EventStore
    stores: StoreRepository
    syncs: SyncRepository
    mirror: Mirror
    vault: CredentialVault
    pending: PendingConnections
    deliveries: Deliveries
    worklist: Worklist
    outbound: Outbound
    platforms: dict[StorePlatform, Any]
    hash_customer: Any

    @classmethod
    def for_runtime(cls, runtime: Runtime) -> Adapters:
        settings: CatalogSettings = runtime.settings  # type: ignore[assignment]
        schema = settings.schema
        outbound = Outbound(
            make_client(timeout=settings.platform_timeout_seconds, connect_timeout=settings.platform_connect_timeout_seconds),
            max_bytes=settings.platform_max_response_bytes, retry=RetryPolicy(), name="store-platform",
        )
        hash_customer = customer_hasher(settings)
        return cls(
            engine=runtime.engine, settings=settings, events=runtime.store,
            stores=StoreRepository(runtime.store), syncs=SyncRepository(runtime.store), mirror=Mirror(runtime.store),
            vault=CredentialVault(schema, Keyring.from_setting(settings.encryption_keys.get_secret_value())),
            pending=PendingConnections(schema), deliveries=Deliveries(schema),
            worklist=Worklist(schema, "syncs", runnable_states=ACTIVE, lease_seconds=settings.sync_lease_seconds),
            outbound=outbound, platforms=platform_clients(outbound, settings, hash_customer), hash_customer=hash_customer,
        )
