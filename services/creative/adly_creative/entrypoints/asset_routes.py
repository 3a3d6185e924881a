"""Signed asset URLs: `GET|HEAD /v1/assets/{asset_id}?expires=...&signature=...`.

Public (the gateway forwards it without an identity): the signature is the credential.
Expired or forged links are a 403 problem; the answer is cacheable privately until the
link expires, and its ETag is the content's SHA-256.
"""

from __future__ import annotations

import time
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from adly_creative.domain.asset_urls import PATH, Verdict
from adly_creative.domain.assets import BlobMissing
from adly_creative.entrypoints.deps import AdaptersDep
from adly_kit.errors import NotAllowed, NotFound

router = APIRouter(prefix=PATH, tags=["assets"])

_REFUSED = {Verdict.EXPIRED: "This link has expired; ask the API for a fresh one.",
            Verdict.FORGED: "This link is not valid."}


@router.api_route("/{asset_id}", methods=["GET", "HEAD"], response_class=Response,
                  responses={200: {"content": {"image/png": {}, "image/jpeg": {}, "audio/mpeg": {}, "video/mp4": {}}},
                             403: {"description": "Expired or forged link"}})
async def get_asset(asset_id: UUID, request: Request, a: AdaptersDep,
                    expires: Annotated[str | None, Query(max_length=20)] = None,
                    signature: Annotated[str | None, Query(max_length=100)] = None) -> Response:
    now = time.time()
    verdict = a.signer.verify(asset_id, expires, signature, now)
    if verdict is not Verdict.VALID:
        raise NotAllowed(_REFUSED[verdict], code=f"link-{verdict.value}")
    async with a.engine.connect() as conn:
        meta = await a.assets.get(conn, asset_id)
    if meta is None:
        raise NotFound("No such asset.")
    headers = {"Cache-Control": f"private, max-age={max(int(expires) - int(now), 0)}", "ETag": f'"{meta.sha256}"',
               "X-Content-Type-Options": "nosniff", "Content-Length": str(meta.bytes)}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers={k: v for k, v in headers.items() if k != "Content-Length"})
    if request.method == "HEAD":
        return Response(status_code=200, media_type=meta.media_type, headers=headers)
    try:
        content = await a.assets.content(meta.sha256)
    except BlobMissing:
        raise NotFound("The asset's content is missing.") from None
    return Response(content, media_type=meta.media_type, headers=headers)
