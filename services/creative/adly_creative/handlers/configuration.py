"""A workspace's creative configuration: brand kit (with its logo), routing and limits,
provider keys. Checked here against the domain's rules; stored by the adapters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_creative.adapters.container import Adapters
from adly_creative.domain.assets import AssetMeta, PhotoRefused, describe
from adly_creative.domain.configuration import WorkspaceSettings
from adly_creative.domain.ports import BrandKit
from adly_creative.domain.routing import NEEDS_KEY, PROVIDERS, Modality, can_serve
from adly_kit.errors import InvalidInput, NotFound

LOGO_MAX_BYTES = 512 * 1024
LOGO_MAX_SIDE = 4096


async def store_logo(a: Adapters, workspace_id: UUID, content: bytes) -> AssetMeta:
    """Check and store a logo's bytes (outside the request's transaction); the row comes later."""
    if len(content) > LOGO_MAX_BYTES:
        raise InvalidInput(f"The logo is {len(content) // 1024} KiB; at most {LOGO_MAX_BYTES // 1024} KiB.", field="logo")
    try:
        image = await a.photos.inspect(content)
    except PhotoRefused as error:
        raise InvalidInput(f"The logo is not a PNG, JPEG or WebP image ({error}).", field="logo") from None
    if image.media_type not in ("image/png", "image/jpeg", "image/webp"):
        raise InvalidInput("The logo must be a PNG, JPEG or WebP image.", field="logo")
    if max(image.width, image.height) > LOGO_MAX_SIDE:
        raise InvalidInput(f"The logo is {image.width}x{image.height}; at most {LOGO_MAX_SIDE} pixels a side.", field="logo")
    meta = describe(workspace_id, content, kind="image", format="logo", media_type=image.media_type,
                    width=image.width, height=image.height)
    await a.assets.store_bytes(meta, content)
    return meta


async def put_brand_kit(tx: AsyncConnection, a: Adapters, workspace_id: UUID, kit: BrandKit, *,
                        logo: AssetMeta | None, keep_logo: bool, by: str) -> None:
    """`keep_logo`: the request said nothing about the logo, so the stored one stays."""
    logo_id = logo.id if logo else None
    if logo is not None:
        await a.assets.record(tx, logo)
    elif keep_logo:
        stored = await a.brand_kits.get(tx, workspace_id)
        logo_id = stored.logo_asset_id if stored else None
    await a.brand_kits.put(tx, workspace_id, kit, logo_id, by)


def checked_routing(routing: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    checked: dict[str, list[str]] = {}
    for name, providers in routing.items():
        try:
            modality = Modality(name)
        except ValueError:
            raise InvalidInput(f"No such modality {name!r}; use {', '.join(m.value for m in Modality)}.",
                               field=f"routing/{name}") from None
        for index, provider in enumerate(providers):
            if not can_serve(provider, modality):
                raise InvalidInput(f"{provider} does not make {modality.value}.", field=f"routing/{modality.value}/{index}")
        if not providers:
            raise InvalidInput("Name at least one provider, or leave the modality out for the default.",
                               field=f"routing/{modality.value}")
        checked[modality.value] = list(dict.fromkeys(providers))
    return checked


async def put_settings(tx: AsyncConnection, a: Adapters, workspace_id: UUID, *, routing: Mapping[str, Sequence[str]],
                       monthly_job_quota: int | None, monthly_spend_cap_usd: Decimal | None,
                       campaign_outputs: dict[str, Any] | None, by: str) -> WorkspaceSettings:
    settings = WorkspaceSettings(checked_routing(routing), monthly_job_quota, monthly_spend_cap_usd, campaign_outputs)
    await a.workspace_settings.put(tx, workspace_id, settings, by)
    return settings


def keyed_provider(provider: str) -> str:
    if provider not in PROVIDERS:
        raise NotFound(f"No such provider; one of {', '.join(sorted(NEEDS_KEY))}.")
    if provider not in NEEDS_KEY:
        raise InvalidInput("The offline provider needs no key.", field="provider")
    return provider


async def put_provider_key(tx: AsyncConnection, a: Adapters, workspace_id: UUID, provider: str, api_key: str,
                           by: str) -> None:
    await a.provider_keys.put(tx, workspace_id, keyed_provider(provider), api_key.strip(), by)


async def delete_provider_key(tx: AsyncConnection, a: Adapters, workspace_id: UUID, provider: str) -> None:
    if not await a.provider_keys.delete(tx, workspace_id, keyed_provider(provider)):
        raise NotFound("This workspace has no key of its own for that provider.")
