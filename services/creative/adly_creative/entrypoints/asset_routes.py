"""Signed asset URLs: `GET|HEAD /v1/assets/{asset_id}?expires=...&signature=...`.

Public (the gateway forwards it without an identity): the signature is the credential.
Expired or forged links are a 403 problem; the answer is cacheable privately until the
link expires, and its ETag is the content's SHA-256.

The path and query arrive as plain strings and are judged by the signer alone
(`AssetUrlSigner.check`), which also hands back the parsed id and expiry used below: a
link that is not exactly as minted (an id in another spelling, an expiry with a sign, a
space, a superscript or Arabic-Indic digits, a parameter given twice, or one missing) is
`link-forged`, never a validation error of the framework and never a 500.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from adly_creative.domain.asset_urls import FORGED, PATH, AssetUrlSigner, Checked, Verdict
from adly_creative.domain.assets import BlobMissing
from adly_creative.entrypoints.deps import AdaptersDep
from adly_kit.errors import NotAllowed, NotFound

router = APIRouter(prefix=PATH, tags=["assets"])

_REFUSED = {Verdict.EXPIRED: "This link has expired; ask the API for a fresh one.",
            Verdict.FORGED: "This link is not valid."}
_SIGNED = ("expires", "signature")


@router.api_route("/{asset_id}", methods=["GET", "HEAD"], response_class=Response,
                  responses={200: {"content": {"image/png": {}, "image/jpeg": {}, "audio/mpeg": {}, "video/mp4": {}}},
                             403: {"description": "Expired or forged link"}})
async def get_asset(request: Request, a: AdaptersDep,
                    asset_id: Annotated[str, Path(json_schema_extra={"format": "uuid"})],
                    expires: Annotated[str | None, Query(description="Unix seconds, as minted")] = None,
                    signature: Annotated[str | None, Query(description="As minted")] = None) -> Response:
    now = time.time()
    checked = _check(request, a.signer, asset_id, expires, signature, now)
    if checked.verdict is not Verdict.VALID or checked.asset_id is None or checked.expires is None:
        raise NotAllowed(_REFUSED[checked.verdict], code=f"link-{checked.verdict.value}")
    async with a.engine.connect() as conn:
        meta = await a.assets.get(conn, checked.asset_id)
    if meta is None:
        raise NotFound("No such asset.")
    headers = {"Cache-Control": f"private, max-age={max(checked.expires - int(now), 0)}", "ETag": f'"{meta.sha256}"',
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


def _check(request: Request, signer: AssetUrlSigner, asset_id: str, expires: str | None, signature: str | None,
           now: float) -> Checked:
    # A parameter given twice is ambiguous (the framework would keep the last, a cache in
    # front might key on the first): a minted link has each once.
    if any(len(request.query_params.getlist(name)) > 1 for name in _SIGNED):
        return FORGED
    return signer.check(asset_id, expires, signature, now)
