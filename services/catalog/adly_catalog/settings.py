"""The catalog's settings (`ADLY_*` environment variables); defaults are the production values.

Base URLs are settings so the same clients talk to a local fake server in tests; in
production they are the platforms' own hosts.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from pydantic import SecretStr, model_validator

from adly_kit.addresses import is_public_address
from adly_kit.settings import ServiceSettings

# The platforms' base URLs: what the sandbox and tests point at local fakes (docs/sandbox.md).
PLATFORM_URLS = ("shopify_base_url", "salla_api_url", "salla_accounts_url", "zid_api_url", "zid_oauth_url")


class CatalogSettings(ServiceSettings):
    service_name: str = "catalog"
    # Where platforms send merchants back and deliver webhooks: the gateway's public URL.
    public_api_url: str = "http://127.0.0.1:8000"
    # Where the merchant's browser lands after connecting (the frontend).
    public_app_url: str = "http://127.0.0.1:3000"
    # A keyed hash of customers in orders; falls back to the internal identity key.
    customer_hash_key: SecretStr | None = None
    # Outbound calls (RELIABILITY S9, S13).
    platform_timeout_seconds: float = 20.0
    platform_connect_timeout_seconds: float = 5.0
    platform_max_response_bytes: int = 20 * 1024 * 1024
    # Store URLs given by merchants (WooCommerce) must be public https hosts; tests with a
    # fake store on 127.0.0.1 turn this on. Never in production.
    allow_private_store_urls: bool = False
    # Syncs.
    sync_lease_seconds: float = 60.0
    sync_poll_seconds: float = 1.0
    sync_progress_every_pages: int = 10
    incremental_sync_every_seconds: float = 900.0
    # A full sync's pages read ahead keep more than 50,000 young objects alive, so at the
    # kit's threshold the collector ran 66 times in a 100,000-product sync (1.7 s of its
    # 16 CPU-s), rescanning the same pages. They die by reference counting, so at 200,000 it
    # does not run in such a sync at all; garbage in cycles still starts a collection once
    # 200,000 objects of it pile up. (docs/benchmarks.md, issue 16, stop of 2026-12-08)
    gc_young_threshold: int = 200_000
    orders_window_days: int = 60  # platforms with no updated-since filter: re-read this window
    oauth_state_ttl_seconds: int = 600
    # Shopify (INTEGRATIONS §1).
    shopify_client_id: str = ""
    shopify_client_secret: SecretStr = SecretStr("")
    shopify_previous_client_secret: SecretStr | None = None  # accepted on webhooks during a rotation
    shopify_api_version: str = "2026-10"
    shopify_scopes: str = "read_products,read_orders,read_inventory"
    shopify_base_url: str = "https://{shop}"  # tests: http://127.0.0.1:<port>
    shopify_page_size: int = 250
    shopify_webhook_max_age_seconds: int = 5 * 3600  # Shopify retries for 4 h with the original timestamp
    # WooCommerce (INTEGRATIONS §2).
    woocommerce_app_name: str = "ADLY"
    woocommerce_page_size: int = 100
    # Salla (INTEGRATIONS §3).
    salla_client_id: str = ""
    salla_client_secret: SecretStr = SecretStr("")
    salla_webhook_secret: SecretStr = SecretStr("")
    salla_api_url: str = "https://api.salla.dev/admin/v2"
    salla_accounts_url: str = "https://accounts.salla.sa"
    salla_scopes: str = "offline_access products.read orders.read webhooks.read_write"
    salla_page_size: int = 60
    # Zid (INTEGRATIONS §4).
    zid_client_id: str = ""
    zid_client_secret: SecretStr = SecretStr("")
    zid_api_url: str = "https://api.zid.sa/v1"
    zid_oauth_url: str = "https://oauth.zid.sa"
    zid_page_size: int = 50
    zid_requests_per_minute: int = 60

    @model_validator(mode="after")
    def _no_sandbox_in_production(self) -> CatalogSettings:
        """Production refuses every setting only the sandbox and tests need: the sandbox flag,
        private store URLs, and platform URLs that are not https on a public host."""
        if self.environment != "production":
            return self
        if self.sandbox:
            raise ValueError("ADLY_SANDBOX is refused in production: the sandbox's stores are local fakes")
        if self.allow_private_store_urls:
            raise ValueError("ADLY_ALLOW_PRIVATE_STORE_URLS is refused in production")
        for name in PLATFORM_URLS:
            problem = not_public_https(getattr(self, name).replace("{shop}", "shop.myshopify.com"))
            if problem:
                raise ValueError(f"ADLY_{name.upper()} is refused in production: {problem}")
        return self


def not_public_https(url: str) -> str | None:
    """Why `url` is not an https URL on a public host (None when it is). Host names are not
    resolved here; loopback names and IP literals in any spelling a resolver accepts are judged."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".").lower()
    except ValueError:
        return f"{url!r} is not a URL"
    if parts.scheme != "https":
        return f"{url!r} is not https"
    if not host or host == "localhost" or host.endswith((".localhost", ".localdomain")):
        return f"{url!r} is not on a public host"
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(host)
    except ValueError:
        try:  # 127.1, 2130706433, 0x7f.0.0.1: what inet_aton (and so a resolver) reads as IPv4
            address = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None  # a name
    return None if is_public_address(address) else f"{url!r} is not on a public host"
