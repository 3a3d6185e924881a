"""What each workspace configured: its brand kit, its routing and limits, its provider keys.

Provider keys are sealed with the Keyring (AAD = workspace id | provider | "provider-key",
so a sealed key copied to another row or workspace does not open) and never leave this
module except to build a provider client; nothing reads them back out over the API.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_creative.domain.configuration import NO_SETTINGS, KeyInfo, StoredBrandKit, WorkspaceSettings
from adly_creative.domain.ports import BrandKit
from adly_kit.crypto import Keyring, Sealed
from adly_kit.sql import Statements

BRAND_FIELDS = ("name", "tone", "words_to_use", "words_to_avoid", "primary_colour", "secondary_colour",
                "accent_colour", "heading_font", "body_font", "voice", "default_language")


def kit_to_json(kit: BrandKit) -> str:
    values = {k: v for k, v in asdict(kit).items() if k in BRAND_FIELDS}
    return json.dumps(values, ensure_ascii=False)


def kit_from_json(values: dict[str, Any]) -> BrandKit:
    values = {k: v for k, v in values.items() if k in BRAND_FIELDS}
    for listed in ("words_to_use", "words_to_avoid"):
        values[listed] = tuple(values.get(listed) or ())
    return BrandKit(**values)


class BrandKits:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def get(self, conn: AsyncConnection, workspace_id: UUID) -> StoredBrandKit | None:
        row = (await conn.execute(self.sql("SELECT kit, logo_asset_id, updated_at FROM {s}.brand_kits WHERE workspace_id = :w"),
                                  {"w": workspace_id})).first()
        return StoredBrandKit(kit_from_json(row[0]), row[1], row[2]) if row else None

    async def put(self, tx: AsyncConnection, workspace_id: UUID, kit: BrandKit, logo_asset_id: UUID | None, by: str) -> None:
        await tx.execute(self.sql("""
            INSERT INTO {s}.brand_kits (workspace_id, kit, logo_asset_id, updated_by, updated_at)
            VALUES (:w, CAST(:kit AS jsonb), :logo, :by, now())
            ON CONFLICT (workspace_id) DO UPDATE SET kit = excluded.kit, logo_asset_id = excluded.logo_asset_id,
                updated_by = excluded.updated_by, updated_at = excluded.updated_at"""),
            {"w": workspace_id, "kit": kit_to_json(kit), "logo": logo_asset_id, "by": by})


class SettingsStore:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def get(self, conn: AsyncConnection, workspace_id: UUID) -> WorkspaceSettings:
        row = (await conn.execute(self.sql("""SELECT routing, monthly_job_quota, monthly_spend_cap_usd, campaign_outputs
                                              FROM {s}.workspace_settings WHERE workspace_id = :w"""),
                                  {"w": workspace_id})).first()
        return WorkspaceSettings(dict(row[0] or {}), row[1], row[2], row[3]) if row else NO_SETTINGS

    async def put(self, tx: AsyncConnection, workspace_id: UUID, settings: WorkspaceSettings, by: str) -> None:
        await tx.execute(self.sql("""
            INSERT INTO {s}.workspace_settings (workspace_id, routing, monthly_job_quota, monthly_spend_cap_usd,
                                                campaign_outputs, updated_by, updated_at)
            VALUES (:w, CAST(:routing AS jsonb), :quota, :cap, CAST(:outputs AS jsonb), :by, now())
            ON CONFLICT (workspace_id) DO UPDATE SET routing = excluded.routing,
                monthly_job_quota = excluded.monthly_job_quota, monthly_spend_cap_usd = excluded.monthly_spend_cap_usd,
                campaign_outputs = excluded.campaign_outputs, updated_by = excluded.updated_by, updated_at = excluded.updated_at"""),
            {"w": workspace_id, "routing": json.dumps(settings.routing), "quota": settings.monthly_job_quota,
             "cap": settings.monthly_spend_cap_usd, "by": by,
             "outputs": json.dumps(settings.campaign_outputs) if settings.campaign_outputs is not None else None})


def _aad(workspace_id: UUID, provider: str) -> bytes:
    return f"{workspace_id}|{provider}|provider-key".encode()


class ProviderKeys:
    def __init__(self, schema: str, keyring: Keyring) -> None:
        self.sql = Statements(schema)
        self.keyring = keyring

    async def put(self, tx: AsyncConnection, workspace_id: UUID, provider: str, api_key: str, by: str) -> None:
        sealed = self.keyring.encrypt(api_key.encode(), aad=_aad(workspace_id, provider)).to_text()
        await tx.execute(self.sql("""
            INSERT INTO {s}.provider_keys (workspace_id, provider, sealed, updated_by, updated_at)
            VALUES (:w, :p, :sealed, :by, now())
            ON CONFLICT (workspace_id, provider) DO UPDATE SET sealed = excluded.sealed,
                updated_by = excluded.updated_by, updated_at = excluded.updated_at"""),
            {"w": workspace_id, "p": provider, "sealed": sealed, "by": by})

    async def delete(self, tx: AsyncConnection, workspace_id: UUID, provider: str) -> bool:
        result = await tx.execute(self.sql("DELETE FROM {s}.provider_keys WHERE workspace_id = :w AND provider = :p"),
                                  {"w": workspace_id, "p": provider})
        return result.rowcount > 0

    async def listed(self, conn: AsyncConnection, workspace_id: UUID) -> list[KeyInfo]:
        rows = await conn.execute(self.sql("""SELECT provider, updated_at FROM {s}.provider_keys
                                              WHERE workspace_id = :w ORDER BY provider"""), {"w": workspace_id})
        return [KeyInfo(*row) for row in rows]

    async def opened(self, conn: AsyncConnection, workspace_id: UUID) -> dict[str, str]:
        """The workspace's keys in clear, for building provider clients only."""
        rows = await conn.execute(self.sql("SELECT provider, sealed FROM {s}.provider_keys WHERE workspace_id = :w"),
                                  {"w": workspace_id})
        return {p: self.keyring.decrypt(Sealed.from_text(s), aad=_aad(workspace_id, p)).decode() for p, s in rows}
