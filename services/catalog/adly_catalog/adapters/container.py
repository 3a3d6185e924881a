"""The catalog's adapters, built once per process by the runtime (`Service(adapters=open_adapters)`).

Fields are typed by the ports the handlers use; `platforms` is the one place a platform's
implementation is chosen, by the platform's name.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from adly_catalog.adapters.access import VaultAccess
from adly_catalog.adapters.intake import Deliveries, PendingConnections
from adly_catalog.adapters.mirror import Mirror
from adly_catalog.adapters.platforms.salla import SallaClient
from adly_catalog.adapters.platforms.salla_ports import SallaPorts
from adly_catalog.adapters.platforms.shopify import ShopifyClient
from adly_catalog.adapters.platforms.shopify_ports import ShopifyPorts
from adly_catalog.adapters.platforms.woocommerce import WooCommerceClient
from adly_catalog.adapters.platforms.woocommerce_ports import WooCommercePorts
from adly_catalog.adapters.platforms.zid import ZidClient
from adly_catalog.adapters.platforms.zid_ports import ZidPorts
from adly_catalog.adapters.stores import StoreRepository
from adly_catalog.adapters.syncs import SyncRepository
from adly_catalog.adapters.vault import CredentialVault
from adly_catalog.domain.platform import CustomerHasher
from adly_catalog.domain.ports import Platform
from adly_catalog.domain.sync import ACTIVE
from adly_catalog.handlers import ports
from adly_catalog.settings import CatalogSettings
from adly_events.contracts.catalog import StorePlatform
from adly_kit.crypto import Keyring
from adly_kit.outbound import Outbound, RetryPolicy, make_client
from adly_kit.service import Runtime
from adly_kit.worklist import Worklist


@dataclass
class Adapters:
    settings: CatalogSettings
    engine: AsyncEngine          # for the edges' transactions; handlers are handed one
    stores: ports.Stores
    syncs: ports.Syncs
    mirror: ports.Mirror
    vault: ports.Vault
    pending: ports.PendingConnections
    deliveries: ports.Deliveries
    worklist: Worklist           # the syncs' leases
    access: ports.StoreAccess
    platforms: Mapping[StorePlatform, Platform]


def customer_hasher(settings: CatalogSettings) -> CustomerHasher:
    """Keyed SHA-256 of a customer identifier: stable per ADLY installation, useless outside it."""
    secret = settings.customer_hash_key or settings.internal_identity_key
    key = hashlib.sha256(b"adly-catalog-customer|" + secret.get_secret_value().encode()).digest()
    return lambda identifier: hmac.new(key, identifier.strip().lower().encode(), hashlib.sha256).hexdigest()


def platform_registry(outbound: Outbound, settings: CatalogSettings) -> dict[StorePlatform, Platform]:
    hasher = customer_hasher(settings)
    shopify = ShopifyPorts(ShopifyClient(outbound, settings, hasher))
    woocommerce = WooCommercePorts(WooCommerceClient(outbound, settings, hasher))
    salla = SallaPorts(SallaClient(outbound, settings, hasher))
    zid = ZidPorts(ZidClient(outbound, settings, hasher))
    return {
        StorePlatform.SHOPIFY: Platform(shopify, shopify, shopify),
        StorePlatform.WOOCOMMERCE: Platform(woocommerce, woocommerce, woocommerce, keys=woocommerce),
        StorePlatform.SALLA: Platform(salla, salla, salla),
        StorePlatform.ZID: Platform(zid, zid, zid),
    }


@asynccontextmanager
async def open_adapters(runtime: Runtime) -> AsyncIterator[Adapters]:
    settings = runtime.settings
    assert isinstance(settings, CatalogSettings), "the catalog runs with CatalogSettings"
    outbound = Outbound(
        make_client(timeout=settings.platform_timeout_seconds, connect_timeout=settings.platform_connect_timeout_seconds),
        max_bytes=settings.platform_max_response_bytes, retry=RetryPolicy(), name="store-platform",
    )
    try:
        events, schema = runtime.store, settings.schema
        vault = CredentialVault(schema, Keyring.from_setting(settings.encryption_keys.get_secret_value()))
        platforms = platform_registry(outbound, settings)
        yield Adapters(
            settings=settings, engine=runtime.engine, stores=StoreRepository(events), syncs=SyncRepository(events),
            mirror=Mirror(events), vault=vault, pending=PendingConnections(schema), deliveries=Deliveries(schema),
            worklist=Worklist(schema, "syncs", runnable_states=ACTIVE, lease_seconds=settings.sync_lease_seconds),
            access=VaultAccess(runtime.engine, vault, platforms), platforms=platforms,
        )
    finally:
        await outbound.aclose()
