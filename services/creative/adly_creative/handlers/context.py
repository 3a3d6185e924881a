"""Everything a job's steps read, gathered once per run: the products with their photos,
the brand kit with its logo, the workspace's limits, keys and provider order."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from adly_creative.adapters.container import Adapters
from adly_creative.adapters.photos import PhotoRefused
from adly_creative.adapters.products import ProductRecord
from adly_creative.adapters.provider_registry import ProviderSet
from adly_creative.domain.assets import BlobMissing, describe
from adly_creative.domain.copy_checks import CopyFacts
from adly_creative.domain.limits import Limits
from adly_creative.domain.plan import JobSpec
from adly_creative.domain.ports import BrandKit, ProductFacts
from adly_creative.domain.routing import Modality, routing_for

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


def default_brand(language: str) -> BrandKit:
    return BrandKit(name="", default_language=language)


async def load_context(a: Adapters, spec: JobSpec) -> JobContext | MissingProducts:
    ws = spec.workspace_id
    async with a.engine.connect() as conn:
        records = await a.products.get_many(conn, ws, spec.product_ids)
        stored_kit = await a.brand_kits.get(conn, ws)
        settings = await a.workspace_settings.get(conn, ws)
        keys = a.providers.keys_for(await a.provider_keys.opened(conn, ws))
    missing = [p for p in spec.product_ids if p not in records]
    if missing:
        return MissingProducts(missing)
    brand = await _brand_with_logo(a, stored_kit, spec.language)
    notes: list[str] = []
    products = [await _facts(a, ws, records[p], brand, notes) for p in spec.product_ids]
    facts = [CopyFacts.of(p, records[spec.product_ids[i]].prices) for i, p in enumerate(products)]
    limits = settings.limits(a.settings.default_monthly_job_quota, a.settings.default_monthly_spend_cap_usd)
    order = routing_for(settings.routing, a.providers.keyed_providers(keys))
    return JobContext(spec, brand, products, facts, limits, a.providers.for_keys(keys), order, notes)


async def _brand_with_logo(a: Adapters, stored, language: str) -> BrandKit:
    if stored is None:
        return default_brand(language)
    kit = stored.kit
    if stored.logo_asset_id is None:
        return kit
    async with a.engine.connect() as conn:
        meta = await a.assets.get(conn, stored.logo_asset_id)
    try:
        logo = await a.assets.content(meta) if meta else None
    except BlobMissing:
        logo = None
    return BrandKit(**{**kit.__dict__, "logo": logo})


async def _facts(a: Adapters, ws: UUID, record: ProductRecord, brand: BrandKit, notes: list[str]) -> ProductFacts:
    photos = []
    for url in record.image_urls[: a.settings.photos_per_product]:
        photo = await _photo(a, ws, url, notes)
        if photo is not None:
            photos.append(photo)
    return record.facts(photos, store_name=brand.name or None)


async def _photo(a: Adapters, ws: UUID, url: str, notes: list[str]) -> bytes | None:
    """A product photo from the cache of assets, fetched (once per workspace and URL) when missing."""
    url_hash = hashlib.sha256(url.encode()).hexdigest()
    async with a.engine.connect() as conn:
        meta = await a.assets.cached_photo(conn, ws, url_hash)
    if meta is not None:
        try:
            return await a.assets.content(meta)
        except BlobMissing:
            pass
    try:
        photo = await a.photos.fetch(url)
    except PhotoRefused as error:
        log.info("product photo not fetched", extra={"reason": str(error)})
        notes.append(f"a product photo was not used: {error}")
        return None
    meta = describe(ws, photo.content, kind="image", format="photo", media_type=photo.media_type,
                    width=photo.width, height=photo.height)
    await a.assets.store_bytes(meta, photo.content)
    async with a.engine.begin() as tx:
        await a.assets.record(tx, meta)
        await a.assets.cache_photo(tx, ws, url_hash, meta.id)
    return photo.content
