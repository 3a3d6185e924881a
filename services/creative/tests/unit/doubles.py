"""In-memory implementations of the creative ports (handlers/ports.py), for handler tests
without Postgres, a broker or a store's CDN.

Each keeps what it holds in plain dicts; `JobLog` checks the versions the real event store
would check, so a stale save is a ConcurrencyConflict here too. Providers are the real
offline ones unless a test passes its own; `Studio.adapters` is the service's own
`Adapters`, built on these doubles, whose engine fails loudly if a handler touches it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adly_creative.adapters.container import Adapters
from adly_creative.adapters.jobs import JobQueries, JobQueue
from adly_creative.adapters.offline import FfmpegVideoMaker, OfflineCopywriter, PillowImageMaker
from adly_creative.adapters.photos import decode_image
from adly_creative.adapters.provider_registry import Factory, ProviderRegistry
from adly_creative.domain.asset_urls import AssetUrlSigner
from adly_creative.domain.assets import AssetMeta, BlobMissing, Photo, PhotoRefused
from adly_creative.domain.configuration import NO_SETTINGS, KeyInfo, StoredBrandKit, WorkspaceSettings
from adly_creative.domain.job import GenerationJob
from adly_creative.domain.limits import MonthUsage
from adly_creative.domain.ports import BrandKit, Money, ProviderError, SpeechRequest, SpeechResult
from adly_creative.domain.products import ProductRecord, product_record
from adly_creative.domain.routing import Modality, RetryPolicy
from adly_creative.settings import CreativeSettings
from adly_events import EventEnvelope
from adly_events.contracts.catalog import ProductRemoved, ProductUpserted
from adly_events.contracts.common import Contract
from adly_events.contracts.creative import CreativeJobAccepted, ProviderUsage
from adly_kit.eventstore import ConcurrencyConflict
from adly_kit.testing.doubles import NO_DATABASE

Tx = AsyncConnection


@dataclass(frozen=True)
class Recorded:
    job_id: UUID
    version: int
    payload: Contract
    workspace_id: UUID | None
    causation_id: UUID | None
    correlation_id: UUID | None


class JobLog:
    """Jobs: their events, appended at the version they were loaded at."""

    def __init__(self) -> None:
        self.events: dict[UUID, list[Recorded]] = {}

    async def load(self, conn: Tx, job_id: UUID) -> GenerationJob:
        history = self.events.get(job_id, [])
        workspace = history[0].workspace_id if history else None
        return GenerationJob.replay(job_id, [r.payload for r in history], workspace)

    async def save(self, tx: Tx, job: GenerationJob, new_events: list[Contract], *,
                   causation_id: UUID | None = None) -> None:
        if not new_events:
            return
        expected = job.version - len(new_events)
        history = self.events.setdefault(job.id, [])
        if len(history) != expected:
            raise ConcurrencyConflict(job.id, expected)
        history += [Recorded(job.id, expected + offset, event, job.workspace_id, causation_id, job.request_id)
                    for offset, event in enumerate(new_events, start=1)]

    def types(self, job_id: UUID) -> list[str]:
        return [type(r.payload).__name__ for r in self.events.get(job_id, [])]

    def last(self, job_id: UUID) -> Contract:
        return self.events[job_id][-1].payload


@dataclass
class QueueRow:
    workspace_id: UUID
    state: str = "queued"
    attempts: int = 0
    age_seconds: float = 0.0
    postponed: list[float] = field(default_factory=list)


class Queue:
    def __init__(self) -> None:
        self.rows: dict[UUID, QueueRow] = {}

    async def enqueue(self, tx: Tx, job_id: UUID, workspace_id: UUID) -> None:
        self.rows.setdefault(job_id, QueueRow(workspace_id))

    async def running(self, tx: Tx, job_id: UUID) -> int:
        row = self.rows[job_id]
        row.state, row.attempts = "running", row.attempts + 1
        return row.attempts

    async def finish(self, tx: Tx, job_id: UUID) -> None:
        if job_id in self.rows:
            self.rows[job_id].state = "finished"

    async def postpone(self, tx: Tx, job_id: UUID, worker: str, seconds: float) -> None:
        self.rows[job_id].postponed.append(seconds)

    async def age_seconds(self, conn: Tx, job_id: UUID) -> float:
        return self.rows[job_id].age_seconds if job_id in self.rows else 0.0


class UsageBook:
    """Usage per call; the month's jobs are the jobs accepted (read from the job log)."""

    def __init__(self, jobs: JobLog) -> None:
        self.jobs = jobs
        self.records: list[tuple[UUID, UUID, str, ProviderUsage]] = []
        self.spent_before: dict[UUID, Decimal] = {}   # what earlier jobs of the month cost
        self.locked: list[UUID] = []

    async def record(self, tx: Tx, workspace_id: UUID, job_id: UUID, step: str, usages: Sequence[ProviderUsage]) -> None:
        self.records += [(workspace_id, job_id, step, u) for u in usages]

    async def month_usage(self, conn: Tx, workspace_id: UUID, since: datetime) -> MonthUsage:
        accepted = sum(1 for history in self.jobs.events.values()
                       if history[0].workspace_id == workspace_id and isinstance(history[0].payload, CreativeJobAccepted))
        return MonthUsage(jobs=accepted, spend_usd=await self.spend_since(conn, workspace_id, since))

    async def spend_since(self, conn: Tx, workspace_id: UUID, since: datetime) -> Decimal:
        spent = sum((u.cost.amount for w, _, _, u in self.records if w == workspace_id and u.cost.currency == "USD"),
                    Decimal(0))
        return spent + self.spent_before.get(workspace_id, Decimal(0))

    async def lock_workspace(self, tx: Tx, workspace_id: UUID) -> None:
        self.locked.append(workspace_id)


class ProductShelf:
    """The products read model: a record only moves forward in version."""

    def __init__(self) -> None:
        self.rows: dict[UUID, tuple[int, ProductRecord | None]] = {}

    async def upsert(self, tx: Tx, envelope: EventEnvelope, payload: ProductUpserted) -> None:
        assert envelope.workspace_id is not None
        self._put(envelope, product_record(envelope.aggregate_id, envelope.workspace_id, payload))

    async def remove(self, tx: Tx, envelope: EventEnvelope, payload: ProductRemoved) -> None:
        self._put(envelope, None)

    def _put(self, envelope: EventEnvelope, record: ProductRecord | None) -> None:
        version, _ = self.rows.get(envelope.aggregate_id, (0, None))
        if envelope.aggregate_version > version:
            self.rows[envelope.aggregate_id] = (envelope.aggregate_version, record)

    def add(self, record: ProductRecord) -> ProductRecord:
        self.rows[record.id] = (1, record)
        return record

    async def get_many(self, conn: Tx, workspace_id: UUID, ids: Sequence[UUID]) -> dict[UUID, ProductRecord]:
        found = {i: self.rows[i][1] for i in ids if i in self.rows}
        return {i: r for i, r in found.items() if r is not None and r.workspace_id == workspace_id}

    async def missing(self, conn: Tx, workspace_id: UUID, ids: Sequence[UUID]) -> list[UUID]:
        found = await self.get_many(conn, workspace_id, ids)
        return [i for i in ids if i not in found]


class BrandKitShelf:
    def __init__(self) -> None:
        self.kits: dict[UUID, StoredBrandKit] = {}

    async def get(self, conn: Tx, workspace_id: UUID) -> StoredBrandKit | None:
        return self.kits.get(workspace_id)

    async def put(self, tx: Tx, workspace_id: UUID, kit: BrandKit, logo_asset_id: UUID | None, by: str) -> None:
        self.kits[workspace_id] = StoredBrandKit(kit, logo_asset_id, datetime.now(UTC))


class SettingsShelf:
    def __init__(self) -> None:
        self.settings: dict[UUID, WorkspaceSettings] = {}

    async def get(self, conn: Tx, workspace_id: UUID) -> WorkspaceSettings:
        return self.settings.get(workspace_id, NO_SETTINGS)

    async def put(self, tx: Tx, workspace_id: UUID, settings: WorkspaceSettings, by: str) -> None:
        self.settings[workspace_id] = settings


class KeyShelf:
    def __init__(self) -> None:
        self.keys: dict[tuple[UUID, str], str] = {}

    async def put(self, tx: Tx, workspace_id: UUID, provider: str, api_key: str, by: str) -> None:
        self.keys[workspace_id, provider] = api_key

    async def delete(self, tx: Tx, workspace_id: UUID, provider: str) -> bool:
        return self.keys.pop((workspace_id, provider), None) is not None

    async def listed(self, conn: Tx, workspace_id: UUID) -> list[KeyInfo]:
        return [KeyInfo(p, datetime.now(UTC)) for (w, p) in sorted(self.keys) if w == workspace_id]

    async def opened(self, conn: Tx, workspace_id: UUID) -> dict[str, str]:
        return {p: key for (w, p), key in self.keys.items() if w == workspace_id}


class AssetShelf:
    """Bytes by digest (as the asset store keeps them) and metadata rows by id."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.rows: dict[UUID, AssetMeta] = {}
        self.photo_cache: dict[tuple[UUID, str], UUID] = {}

    async def store_bytes(self, meta: AssetMeta, content: bytes) -> None:
        self.blobs[meta.sha256] = content

    async def content(self, sha256: str) -> bytes:
        if sha256 not in self.blobs:
            raise BlobMissing(sha256)
        return self.blobs[sha256]

    async def record(self, tx: Tx, meta: AssetMeta) -> None:
        self.rows.setdefault(meta.id, meta)

    async def get(self, conn: Tx, asset_id: UUID) -> AssetMeta | None:
        return self.rows.get(asset_id)

    async def cached_photo(self, conn: Tx, workspace_id: UUID, url_sha256: str) -> AssetMeta | None:
        asset_id = self.photo_cache.get((workspace_id, url_sha256))
        return self.rows.get(asset_id) if asset_id else None

    async def cache_photo(self, tx: Tx, workspace_id: UUID, url_sha256: str, asset_id: UUID) -> None:
        self.photo_cache[workspace_id, url_sha256] = asset_id


class PhotoSource:
    """A store's CDN: the photos it has, by URL; anything else is refused."""

    def __init__(self) -> None:
        self.photos: dict[str, Photo] = {}
        self.fetched: list[str] = []

    async def fetch(self, url: str) -> Photo:
        self.fetched.append(url)
        if url not in self.photos:
            raise PhotoRefused("the store answered 404")
        return self.photos[url]

    async def inspect(self, content: bytes) -> Photo:
        return decode_image(content)


class Silent:
    """A speaker that cannot speak (espeak-ng missing, say): the voice-over step notes it."""

    name = "offline"

    async def speak(self, request: SpeechRequest) -> SpeechResult:
        raise ProviderError(self.name, "espeak-ng is not installed")


def offline(**providers: Any) -> dict[Modality, Any]:
    """The offline providers, or the test's own in their place (`text=`, `image=`, `speech=`, `video=`)."""
    chosen = {Modality.TEXT: OfflineCopywriter(), Modality.IMAGE: PillowImageMaker(), Modality.SPEECH: Silent(),
              Modality.VIDEO: FfmpegVideoMaker()}
    return chosen | {Modality(name): provider for name, provider in providers.items()}


@dataclass
class Studio:
    """The creative context on doubles: `adapters` for the handlers, the doubles to look into."""

    adapters: Adapters
    jobs: JobLog
    queue: Queue
    usage: UsageBook
    products: ProductShelf
    brand_kits: BrandKitShelf
    settings: SettingsShelf
    keys: KeyShelf
    assets: AssetShelf
    photos: PhotoSource

    def product(self, workspace_id: UUID, *, name: str = "Oud perfume", price: str = "149.00",
                image_urls: tuple[str, ...] = ()) -> ProductRecord:
        return self.products.add(ProductRecord(
            uuid.uuid4(), workspace_id, name, {"en": name, "ar": "عطر عود"}, "A warm oud for every evening.",
            prices=((Money(Decimal(price), "SAR"), None),), image_urls=image_urls))


def studio(*, factories: Mapping[Modality, Mapping[str, Factory]] | None = None, **settings: Any) -> Studio:
    """`factories`: keyed providers by modality and name (built when a workspace has a key);
    `text=`, `image=`, `speech=`, `video=`: offline providers of the test's own."""
    modalities = {m.value for m in Modality}
    own = {name: settings.pop(name) for name in list(settings) if name in modalities}
    values = {"database_url": "postgresql://unit@nowhere/none", "kafka_bootstrap_servers": "nowhere:9092",
              "provider_retry_base_seconds": 0.0} | settings
    config = CreativeSettings(**values)
    jobs, queue = JobLog(), Queue()
    doubles = Studio(
        adapters=cast(Adapters, None), jobs=jobs, queue=queue, usage=UsageBook(jobs), products=ProductShelf(),
        brand_kits=BrandKitShelf(), settings=SettingsShelf(), keys=KeyShelf(), assets=AssetShelf(), photos=PhotoSource())
    doubles.adapters = Adapters(
        settings=config, engine=cast(AsyncEngine, NO_DATABASE), jobs=jobs, job_queries=JobQueries(config.schema),
        queue=queue, worklist=JobQueue(config.schema, config.job_lease_seconds).worklist, usage=doubles.usage,
        products=doubles.products, brand_kits=doubles.brand_kits, workspace_settings=doubles.settings,
        provider_keys=doubles.keys, assets=doubles.assets, signer=AssetUrlSigner(b"k" * 32, ttl_seconds=3600),
        photos=doubles.photos, providers=ProviderRegistry(offline(**own), factories or {}),
        retry=RetryPolicy(max_attempts=config.provider_max_attempts, base_delay=0.0))
    return doubles
