"""The catalog service in-process: migrated schema, real Postgres and broker; requests carry
an X-Adly-Identity signed like the gateway signs it. Fake platforms run on 127.0.0.1."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from uuid import UUID

import httpx
import pytest
from sqlalchemy import text

from adly_catalog.bootstrap import MIGRATIONS, build
from adly_catalog.settings import CatalogSettings
from adly_kit import migrations
from adly_kit.app import create_app
from adly_kit.identity import sign
from adly_kit.service import Runtime
from adly_kit.testing.plugin import drop_schema


@dataclass
class CatalogHarness:
    client: httpx.AsyncClient
    settings: CatalogSettings
    runtime: Runtime
    workspace_id: UUID
    user_id: UUID

    @property
    def adapters(self):
        return self.runtime.adapters

    def identity(self, *, role: str = "owner", mfa: bool = True, ws: UUID | None = None) -> dict[str, str]:
        claims = {"sub": str(self.user_id), "kind": "user", "sid": str(uuid.uuid4()), "mfa": mfa,
                  "ws": str(ws or self.workspace_id), "role": role, "rid": "test"}
        return {"X-Adly-Identity": sign(claims, self.settings.internal_identity_key.get_secret_value().encode())}

    def path(self, tail: str = "") -> str:
        return f"/v1/workspaces/{self.workspace_id}/stores{tail}"

    async def rows(self, sql: str, **params) -> list:
        async with self.runtime.engine.connect() as conn:
            return (await conn.execute(text(sql.replace("{s}", self.settings.schema)), params)).all()

    async def events(self, event_type: str | None = None) -> list[tuple[str, dict]]:
        where = "WHERE event_type = :t" if event_type else ""
        return [(t, p) for t, p in await self.rows(
            f"SELECT event_type, envelope->'payload' FROM {{s}}.events {where} ORDER BY tx_id, position", t=event_type)]

    async def sync_done(self, sync_id, timeout: float = 30.0) -> dict:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            (state, error), = await self.rows("SELECT state, error FROM {s}.syncs WHERE id = :id", id=sync_id)
            if state not in ("queued", "running") or asyncio.get_running_loop().time() > deadline:
                return {"state": state, "error": error}
            await asyncio.sleep(0.05)


def catalog_settings(service_settings, **overrides) -> CatalogSettings:
    values = service_settings.model_dump(exclude={"service_name"}) | {
        "service_name": service_settings.service_name,
        "public_api_url": "https://api.adly.test", "public_app_url": "https://app.adly.test",
        "allow_private_store_urls": True, "platform_timeout_seconds": 3.0, "sync_poll_seconds": 0.1,
        "shopify_client_id": "shopify-client", "shopify_client_secret": "shopify-secret",
        "salla_client_id": "salla-client", "salla_client_secret": "salla-secret", "salla_webhook_secret": "salla-hook",
        "zid_client_id": "zid-client", "zid_client_secret": "zid-secret",
    }
    return CatalogSettings(**(values | overrides))


@pytest.fixture
def catalog_overrides() -> dict:
    """Tests override settings (fake servers' base URLs) by overriding this fixture."""
    return {}


@pytest.fixture
def catalog_roles() -> tuple[str, ...]:
    """`api` alone starts fastest (no consumer group to join); syncs need `worker`."""
    return ("api", "worker", "relay")


@pytest.fixture
async def catalog(service_settings, catalog_overrides, catalog_roles):
    settings = catalog_settings(service_settings, **catalog_overrides)
    await asyncio.to_thread(migrations.upgrade, settings, str(MIGRATIONS))
    runtime = Runtime(build(settings.schema), settings)
    app = create_app(runtime, catalog_roles)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="https://catalog.adly.test") as client:
                yield CatalogHarness(client, settings, runtime, uuid.uuid4(), uuid.uuid4())
    finally:
        await drop_schema(settings)
