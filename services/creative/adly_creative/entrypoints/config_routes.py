"""A workspace's brand kit, creative settings and provider keys.

Provider keys are write-only: PUT stores one (sealed), DELETE removes it, and nothing ever
returns one; GET .../settings says only which providers have a key and whose it is.
"""

from __future__ import annotations

import base64
import binascii
import time
from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Response

from adly_creative.adapters.container import Adapters
from adly_creative.adapters.workspace_config import kit_from_json
from adly_creative.domain.ports import BrandKit
from adly_creative.domain.routing import NEEDS_KEY, Modality, routing_for
from adly_creative.entrypoints.deps import AdaptersDep, CreativesConfigure, CreativesGenerate, CreativesRead
from adly_creative.entrypoints.schemas import (
    BrandKitIn,
    BrandKitOut,
    Outputs,
    ProviderKeyIn,
    ProviderKeyStatus,
    SettingsIn,
    SettingsOut,
)
from adly_creative.handlers import configuration
from adly_creative.handlers.jobs import campaign_outputs
from adly_kit.db import unit_of_work
from adly_kit.errors import InvalidInput

router = APIRouter(prefix="/v1/workspaces/{workspace_id}", tags=["creatives"])


def _kit_out(kit: BrandKit, logo_url: str | None, updated_at: datetime | None) -> BrandKitOut:
    return BrandKitOut(
        name=kit.name, tone=kit.tone, words_to_use=list(kit.words_to_use), words_to_avoid=list(kit.words_to_avoid),
        primary_colour=kit.primary_colour, secondary_colour=kit.secondary_colour, accent_colour=kit.accent_colour,
        heading_font=kit.heading_font, body_font=kit.body_font, voice=kit.voice, default_language=kit.default_language,
        logo_url=logo_url, updated_at=updated_at)


@router.get("/brand-kit", response_model=BrandKitOut)
async def get_brand_kit(workspace_id: UUID, member: CreativesRead, a: AdaptersDep) -> BrandKitOut:
    """The brand every modality uses: text, images, voice and video. A default until one is saved."""
    async with a.engine.connect() as conn:
        stored = await a.brand_kits.get(conn, workspace_id)
    if stored is None:
        return _kit_out(kit_from_json({"name": ""}), None, None)
    logo = a.signer.url(stored.logo_asset_id, time.time())[0] if stored.logo_asset_id else None
    return _kit_out(stored.kit, logo, stored.updated_at)


@router.put("/brand-kit", response_model=BrandKitOut)
async def put_brand_kit(workspace_id: UUID, body: BrandKitIn, member: CreativesGenerate, a: AdaptersDep) -> BrandKitOut:
    """Replace the brand kit. `logo`: base64 in the JSON body (the gateway takes bodies up to 1 MiB)."""
    logo = None
    if body.logo is not None:
        try:
            content = base64.b64decode(body.logo, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput("The logo is not valid base64.", field="logo") from None
        logo = await configuration.store_logo(a, workspace_id, content)
    kit = BrandKit(**body.model_dump(exclude={"logo"}) | {
        "words_to_use": tuple(body.words_to_use), "words_to_avoid": tuple(body.words_to_avoid)})
    async with unit_of_work(a.engine) as tx:
        await configuration.put_brand_kit(tx, a, workspace_id, kit, logo=logo, keep_logo="logo" not in body.model_fields_set,
                                          by=member.actor)
    return await get_brand_kit(workspace_id, member, a)


async def _settings_out(a: Adapters, workspace_id: UUID) -> SettingsOut:
    async with a.engine.connect() as conn:
        settings = await a.workspace_settings.get(conn, workspace_id)
        own = await a.provider_keys.listed(conn, workspace_id)
    own_names = {k.provider for k in own}
    keys = [ProviderKeyStatus(provider=k.provider, source="workspace", updated_at=k.updated_at) for k in own]
    keys += [ProviderKeyStatus(provider=p, source="platform") for p in sorted(a.providers.platform_keys)
             if p not in own_names and p in NEEDS_KEY]
    usable = a.providers.keyed_providers({k.provider: "x" for k in keys})
    limits = settings.limits(a.settings.default_monthly_job_quota, a.settings.default_monthly_spend_cap_usd)
    outputs = campaign_outputs(settings.campaign_outputs, a)
    return SettingsOut(
        routing={m.value: order for m, order in routing_for(settings.routing, usable).items() if m != Modality.VIDEO},
        configured_routing=settings.routing, monthly_job_quota=limits.monthly_jobs,
        monthly_spend_cap_usd=limits.monthly_spend_cap_usd,
        campaign_outputs=Outputs(copy_text=outputs.copy_text, images=list(outputs.images), voice_over=outputs.voice_over,
                                 video=outputs.video).model_dump(mode="json", by_alias=True),
        provider_keys=keys)


@router.get("/creatives/settings", response_model=SettingsOut)
async def get_settings(workspace_id: UUID, member: CreativesRead, a: AdaptersDep) -> SettingsOut:
    return await _settings_out(a, workspace_id)


@router.put("/creatives/settings", response_model=SettingsOut)
async def put_settings(workspace_id: UUID, body: SettingsIn, member: CreativesConfigure, a: AdaptersDep) -> SettingsOut:
    """Provider order per modality, the monthly job quota and spend cap, what campaigns get. Owners and admins."""
    outputs = body.campaign_outputs.model_dump(mode="json") if body.campaign_outputs else None
    if outputs is not None:
        outputs["copy"] = outputs.pop("copy_text")
    async with unit_of_work(a.engine) as tx:
        await configuration.put_settings(tx, a, workspace_id, routing=body.routing, monthly_job_quota=body.monthly_job_quota,
                                         monthly_spend_cap_usd=body.monthly_spend_cap_usd, campaign_outputs=outputs,
                                         by=member.actor)
    return await _settings_out(a, workspace_id)


@router.put("/creatives/provider-keys/{provider}", status_code=204)
async def put_provider_key(workspace_id: UUID, provider: str, body: ProviderKeyIn, member: CreativesConfigure,
                           a: AdaptersDep) -> Response:
    """Store the workspace's own API key for a provider (sealed at rest, never returned). Owners and admins."""
    async with unit_of_work(a.engine) as tx:
        await configuration.put_provider_key(tx, a, workspace_id, provider, body.api_key.get_secret_value(), member.actor)
    return Response(status_code=204)


@router.delete("/creatives/provider-keys/{provider}", status_code=204)
async def delete_provider_key(workspace_id: UUID, provider: str, member: CreativesConfigure, a: AdaptersDep) -> Response:
    """Remove the workspace's key; the platform's key (if any) applies again."""
    async with unit_of_work(a.engine) as tx:
        await configuration.delete_provider_key(tx, a, workspace_id, provider)
    return Response(status_code=204)
