"""The ports the creative handlers go through, each handed the edge's transaction (or a
connection, for reads). Postgres and the asset store implement them (`adapters/`);
`tests/unit/doubles.py` implements them in memory.

The providers' ports (copy, images, speech, video) carry no transaction and live in
`domain/ports.py`; `Photos` and `ProviderCatalog` below take none either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_creative.domain.assets import AssetMeta, Photo
from adly_creative.domain.configuration import KeyInfo, StoredBrandKit, WorkspaceSettings
from adly_creative.domain.job import GenerationJob
from adly_creative.domain.limits import MonthUsage
from adly_creative.domain.ports import BrandKit
from adly_creative.domain.products import ProductRecord
from adly_creative.domain.routing import ProviderSet
from adly_events import EventEnvelope
from adly_events.contracts.catalog import ProductRemoved, ProductUpserted
from adly_events.contracts.common import Contract
from adly_events.contracts.creative import ProviderUsage


class Jobs(Protocol):
    """Generation jobs, event-sourced: loaded from their events, saved by appending the new ones."""

    async def load(self, conn: AsyncConnection, job_id: UUID) -> GenerationJob: ...

    async def save(self, tx: AsyncConnection, job: GenerationJob, new_events: list[Contract], *,
                   causation_id: UUID | None = None) -> None:
        """Append at the version the job was loaded at: a stale save is a ConcurrencyConflict."""
        ...


class JobQueue(Protocol):
    """The work the runners claim: one row per job that still has steps to run."""

    async def enqueue(self, tx: AsyncConnection, job_id: UUID, workspace_id: UUID) -> None: ...

    async def running(self, tx: AsyncConnection, job_id: UUID) -> int:
        """Mark the job taken; how many times a worker has taken it, this one included."""
        ...

    async def finish(self, tx: AsyncConnection, job_id: UUID) -> None:
        """No more work; a worker still running the job loses its lease."""
        ...

    async def postpone(self, tx: AsyncConnection, job_id: UUID, worker: str, seconds: float) -> None: ...

    async def age_seconds(self, conn: AsyncConnection, job_id: UUID) -> float: ...


class Usage(Protocol):
    """What providers cost, per call, and the month's sums the quota and the cap are held to."""

    async def record(self, tx: AsyncConnection, workspace_id: UUID, job_id: UUID, step: str,
                     usages: Sequence[ProviderUsage]) -> None: ...

    async def month_usage(self, conn: AsyncConnection, workspace_id: UUID, since: datetime) -> MonthUsage: ...

    async def spend_since(self, conn: AsyncConnection, workspace_id: UUID, since: datetime) -> Decimal: ...

    async def lock_workspace(self, tx: AsyncConnection, workspace_id: UUID) -> None:
        """Serialise acceptances of one workspace until the transaction ends."""
        ...


class Products(Protocol):
    """The catalog's products, kept from its events; a record only moves forward in version."""

    async def upsert(self, tx: AsyncConnection, envelope: EventEnvelope, payload: ProductUpserted) -> None: ...

    async def remove(self, tx: AsyncConnection, envelope: EventEnvelope, payload: ProductRemoved) -> None: ...

    async def get_many(self, conn: AsyncConnection, workspace_id: UUID, ids: Sequence[UUID]) -> dict[UUID, ProductRecord]: ...

    async def missing(self, conn: AsyncConnection, workspace_id: UUID, ids: Sequence[UUID]) -> list[UUID]: ...


class BrandKits(Protocol):
    async def get(self, conn: AsyncConnection, workspace_id: UUID) -> StoredBrandKit | None: ...

    async def put(self, tx: AsyncConnection, workspace_id: UUID, kit: BrandKit, logo_asset_id: UUID | None,
                  by: str) -> None: ...


class Settings(Protocol):
    async def get(self, conn: AsyncConnection, workspace_id: UUID) -> WorkspaceSettings: ...

    async def put(self, tx: AsyncConnection, workspace_id: UUID, settings: WorkspaceSettings, by: str) -> None: ...


class ProviderKeys(Protocol):
    """A workspace's own provider keys: written, removed, opened to build clients; never read back out."""

    async def put(self, tx: AsyncConnection, workspace_id: UUID, provider: str, api_key: str, by: str) -> None: ...

    async def delete(self, tx: AsyncConnection, workspace_id: UUID, provider: str) -> bool: ...

    async def listed(self, conn: AsyncConnection, workspace_id: UUID) -> list[KeyInfo]: ...

    async def opened(self, conn: AsyncConnection, workspace_id: UUID) -> dict[str, str]: ...


class Assets(Protocol):
    """Asset bytes by their digest (stored outside any transaction) and a metadata row per workspace."""

    async def store_bytes(self, meta: AssetMeta, content: bytes) -> None: ...

    async def content(self, sha256: str) -> bytes:
        """The bytes, or BlobMissing."""
        ...

    async def record(self, tx: AsyncConnection, meta: AssetMeta) -> None: ...

    async def get(self, conn: AsyncConnection, asset_id: UUID) -> AssetMeta | None: ...

    async def cached_photo(self, conn: AsyncConnection, workspace_id: UUID, url_sha256: str) -> AssetMeta | None: ...

    async def cache_photo(self, tx: AsyncConnection, workspace_id: UUID, url_sha256: str, asset_id: UUID) -> None: ...


class Photos(Protocol):
    """Images from outside: a product's photo fetched from its store, a logo a merchant sent."""

    async def fetch(self, url: str) -> Photo:
        """The photo, or PhotoRefused."""
        ...

    async def inspect(self, content: bytes) -> Photo:
        """What the bytes are as an image, or PhotoRefused."""
        ...


class ProviderCatalog(Protocol):
    """The providers this process can use, and clients of the keyed ones per API key."""

    @property
    def platform_keys(self) -> Mapping[str, str]:
        """The platform's own keys, by provider: used where a workspace has none."""
        ...

    def keys_for(self, workspace_keys: Mapping[str, str]) -> dict[str, str]: ...

    def keyed_providers(self, keys: Mapping[str, str]) -> set[str]: ...

    def for_keys(self, keys: Mapping[str, str]) -> ProviderSet: ...
