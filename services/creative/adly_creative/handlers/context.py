"""Everything a job's steps read, gathered once per run: the products with their photos,
the brand kit with its logo, the workspace's limits, keys and provider order.

Three parts, so no transaction stays open while a store's CDN answers: `read_inputs` in
one short read, `gather` outside any transaction (asset bytes, photos fetched once per
workspace and URL), `record_photos` in one short write for the photos fetched.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_creative.adapters.container import Adapters
from adly_creative.domain.assets import AssetMeta, BlobMissing, PhotoRefused, describe
from adly_creative.domain.configuration import StoredBrandKit, WorkspaceSettings
from adly_creative.domain.copy_checks import CopyFacts
from adly_creative.domain.limits import Limits
from adly_creative.domain.plan import JobSpec
from adly_creative.domain.ports import BrandKit, ProductFacts
from adly_creative.domain.products import ProductRecord
from adly_creative.domain.routing import Modality, ProviderSet, routing_for

log = logging.getLogger(__name__)


@dataclass
class JobContext:
    spec: JobSpec
    brand: BrandKit
    products: list[ProductFacts]
    copy_facts: list[CopyFacts]
    limits: Limits
    providers: ProviderSet
    order: dict[Modality, list[str]]
    notes: list[str] = field(default_factory=list)

    def candidates(self, modality: Modality) -> list[tuple[str, Any]]:
        return [(name, p) for name in self.order[modality] if (p := self.providers.get(modality, name)) is not None]


@dataclass(frozen=True)
class MissingProducts:
    ids: list[UUID]


@dataclass(frozen=True)
class JobInputs:
    """What the job's context is made of, as one read found it."""

    spec: JobSpec
    records: dict[UUID, ProductRecord]
    brand: StoredBrandKit | None
    logo: AssetMeta | None
    settings: WorkspaceSettings
    keys: dict[str, str]
    cached_photos: dict[str, AssetMeta]          # url -> the photo's asset, fetched by an earlier job


@dataclass(frozen=True)
class FetchedPhoto:
    url_sha256: str
    meta: AssetMeta


def default_brand(language: str) -> BrandKit:
    return BrandKit(name="", default_language=language)


def url_sha256(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


async def read_inputs(conn: AsyncConnection, a: Adapters, spec: JobSpec) -> JobInputs | MissingProducts:
    ws = spec.workspace_id
    records = await a.products.get_many(conn, ws, spec.product_ids)
    missing = [p for p in spec.product_ids if p not in records]
    if missing:
        return MissingProducts(missing)
    stored = await a.brand_kits.get(conn, ws)
    logo = await a.assets.get(conn, stored.logo_asset_id) if stored and stored.logo_asset_id else None
    settings = await a.workspace_settings.get(conn, ws)
    keys = a.providers.keys_for(await a.provider_keys.opened(conn, ws))
    cached = {}
    for url in _photo_urls(a, spec, records):
        meta = await a.assets.cached_photo(conn, ws, url_sha256(url))
        if meta is not None:
            cached[url] = meta
    return JobInputs(spec, records, stored, logo, settings, keys, cached)


async def gather(a: Adapters, inputs: JobInputs) -> tuple[JobContext, list[FetchedPhoto]]:
    """The job's context, and the photos fetched for it (bytes stored, rows still to record)."""
    spec = inputs.spec
    brand = await _brand_with_logo(a, inputs)
    notes: list[str] = []
    photos: dict[str, bytes | None] = {}
    fetched: list[FetchedPhoto] = []
    products = []
    for product_id in spec.product_ids:
        record = inputs.records[product_id]
        for url in record.image_urls[: a.settings.photos_per_product]:
            if url not in photos:
                photos[url] = await _photo(a, inputs, url, notes, fetched)
        kept = [content for url in record.image_urls[: a.settings.photos_per_product] if (content := photos[url])]
        products.append(record.facts(kept, store_name=brand.name or None))
    facts = [CopyFacts.of(p, inputs.records[spec.product_ids[i]].prices) for i, p in enumerate(products)]
    limits = inputs.settings.limits(a.settings.default_monthly_job_quota, a.settings.default_monthly_spend_cap_usd)
    order = routing_for(inputs.settings.routing, a.providers.keyed_providers(inputs.keys))
    context = JobContext(spec, brand, products, facts, limits, a.providers.for_keys(inputs.keys), order, notes)
    return context, fetched


async def record_photos(tx: AsyncConnection, a: Adapters, workspace_id: UUID, fetched: list[FetchedPhoto]) -> None:
    for photo in fetched:
        await a.assets.record(tx, photo.meta)
        await a.assets.cache_photo(tx, workspace_id, photo.url_sha256, photo.meta.id)


def _photo_urls(a: Adapters, spec: JobSpec, records: dict[UUID, ProductRecord]) -> list[str]:
    urls = (url for p in spec.product_ids for url in records[p].image_urls[: a.settings.photos_per_product])
    return list(dict.fromkeys(urls))


async def _brand_with_logo(a: Adapters, inputs: JobInputs) -> BrandKit:
    if inputs.brand is None:
        return default_brand(inputs.spec.language)
    if inputs.logo is None:
        return inputs.brand.kit
    try:
        logo = await a.assets.content(inputs.logo.sha256)
    except BlobMissing:
        return inputs.brand.kit
    return replace(inputs.brand.kit, logo=logo)


async def _photo(a: Adapters, inputs: JobInputs, url: str, notes: list[str], fetched: list[FetchedPhoto]) -> bytes | None:
    """A product photo from the cache of assets, fetched (once per workspace and URL) when missing."""
    cached = inputs.cached_photos.get(url)
    if cached is not None:
        try:
            return await a.assets.content(cached.sha256)
        except BlobMissing:
            pass
    try:
        photo = await a.photos.fetch(url)
    except PhotoRefused as error:
        log.info("product photo not fetched", extra={"reason": str(error)})
        notes.append(f"a product photo was not used: {error}")
        return None
    meta = describe(inputs.spec.workspace_id, photo.content, kind="image", format="photo", media_type=photo.media_type,
                    width=photo.width, height=photo.height)
    await a.assets.store_bytes(meta, photo.content)
    fetched.append(FetchedPhoto(url_sha256(url), meta))
    return photo.content
