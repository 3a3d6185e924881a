"""Asset metadata rows over an AssetStore: bytes first (outside any transaction), then the
row in the caller's transaction, so a row never points at missing bytes. Bytes written by
a step that then failed to commit stay behind unreferenced; they are harmless (a later
identical write finds them) and nothing collects them yet."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_creative.domain.assets import AssetMeta, AssetStore
from adly_kit.sql import Statements

_COLUMNS = "id, workspace_id, kind, format, media_type, bytes, sha256, width, height, duration_seconds"


class AssetLibrary:
    def __init__(self, schema: str, store: AssetStore) -> None:
        self.sql = Statements(schema)
        self.store = store

    async def store_bytes(self, meta: AssetMeta, content: bytes) -> None:
        await self.store.put(meta.sha256, content, meta.media_type)

    async def record(self, tx: AsyncConnection, meta: AssetMeta) -> None:
        await tx.execute(self.sql(f"""
            INSERT INTO {{s}}.assets ({_COLUMNS})
            VALUES (:id, :w, :kind, :format, :media_type, :bytes, :sha, :width, :height, :duration)
            ON CONFLICT (id) DO NOTHING"""),
            {"id": meta.id, "w": meta.workspace_id, "kind": meta.kind, "format": meta.format,
             "media_type": meta.media_type, "bytes": meta.bytes, "sha": meta.sha256, "width": meta.width,
             "height": meta.height, "duration": meta.duration_seconds})

    async def get(self, conn: AsyncConnection, asset_id: UUID) -> AssetMeta | None:
        row = (await conn.execute(self.sql(f"SELECT {_COLUMNS} FROM {{s}}.assets WHERE id = :id"), {"id": asset_id})).first()
        return AssetMeta(*row) if row else None

    async def get_many(self, conn: AsyncConnection, asset_ids: Sequence[UUID]) -> dict[UUID, AssetMeta]:
        rows = await conn.execute(self.sql(f"SELECT {_COLUMNS} FROM {{s}}.assets WHERE id = ANY(:ids)"),
                                  {"ids": list(asset_ids)})
        return {row[0]: AssetMeta(*row) for row in rows}

    async def content(self, sha256: str) -> bytes:
        """The bytes stored under a digest (an asset's, a reference's), or BlobMissing."""
        return await self.store.get(sha256)

    async def cached_photo(self, conn: AsyncConnection, workspace_id: UUID, url_sha256: str) -> AssetMeta | None:
        row = (await conn.execute(self.sql(f"""
            SELECT {', '.join('a.' + c.strip() for c in _COLUMNS.split(','))} FROM {{s}}.photo_cache p
            JOIN {{s}}.assets a ON a.id = p.asset_id WHERE p.workspace_id = :w AND p.url_sha256 = :h"""),
            {"w": workspace_id, "h": url_sha256})).first()
        return AssetMeta(*row) if row else None

    async def cache_photo(self, tx: AsyncConnection, workspace_id: UUID, url_sha256: str, asset_id: UUID) -> None:
        await tx.execute(self.sql("""
            INSERT INTO {s}.photo_cache (workspace_id, url_sha256, asset_id) VALUES (:w, :h, :id)
            ON CONFLICT (workspace_id, url_sha256) DO UPDATE SET asset_id = excluded.asset_id, fetched_at = now()"""),
            {"w": workspace_id, "h": url_sha256, "id": asset_id})
