"""Service-to-service routes: the campaigns service fetches a creative's bytes to upload them
to an ad platform. Only a signed service identity for the asset's own workspace gets them
(`adly_kit.identity.service_identity`); the gateway never routes `/internal/**`."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from adly_creative.domain.assets import BlobMissing
from adly_creative.entrypoints.deps import AdaptersDep
from adly_kit.errors import NotAllowed, NotFound
from adly_kit.identity import CurrentIdentity

router = APIRouter(prefix="/internal/creative", tags=["internal"], include_in_schema=False)


@router.get("/workspaces/{workspace_id}/assets/{asset_id}", response_class=Response)
async def asset_content(workspace_id: UUID, asset_id: UUID, identity: CurrentIdentity, a: AdaptersDep) -> Response:
    if identity.kind != "service" or identity.ws != workspace_id:
        raise NotAllowed("Only ADLY's own services read assets here.")
    async with a.engine.connect() as conn:
        meta = await a.assets.get(conn, asset_id)
    if meta is None or meta.workspace_id != workspace_id:
        raise NotFound("No such asset.")
    try:
        content = await a.assets.content(meta.sha256)
    except BlobMissing:
        raise NotFound("The asset's content is missing.") from None
    return Response(content, media_type=meta.media_type, headers={"ETag": f'"{meta.sha256}"'})
