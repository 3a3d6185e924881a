"""One OpenAPI document: the gateway's own routes plus every upstream's public paths.

Each upstream's `/openapi.json` is fetched at startup with retries and a timeout; an
upstream that is down leaves its paths out (with a warning) and is tried again, at most
once a minute, when someone asks for the document. Only public paths (`/v1/…`,
`/.well-known/…`) are merged; `/internal/…`, probes and metrics stay private. Component
schemas that clash by name but differ are renamed `<Upstream><Name>` with their `$ref`s.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
from typing import Any

import httpx

log = logging.getLogger(__name__)
PUBLIC_PREFIXES = ("/v1/", "/.well-known/")
RETRY_SECONDS = 60.0


class OpenApiMerger:
    def __init__(self, client: httpx.AsyncClient, urls: dict[str, str], *, attempts: int, timeout: float) -> None:
        self.client = client
        self.urls = urls
        self.attempts = attempts
        self.timeout = timeout
        self.documents: dict[str, dict[str, Any]] = {}
        self._tried_at: dict[str, float] = {}
        self._refreshing: asyncio.Task[None] | None = None

    async def fetch_all(self) -> None:
        await asyncio.gather(*(self._fetch(name, self.attempts) for name in self.urls if name not in self.documents))

    def refresh_missing_soon(self) -> None:
        """Ask the upstreams left out again, in the background: the document asked for now is served as it is."""
        if len(self.documents) < len(self.urls) and (self._refreshing is None or self._refreshing.done()):
            self._refreshing = asyncio.get_running_loop().create_task(self.refresh_missing(), name="gateway-openapi")

    async def close(self) -> None:
        if self._refreshing is not None:
            self._refreshing.cancel()
            await asyncio.gather(self._refreshing, return_exceptions=True)

    async def refresh_missing(self) -> None:
        now = time.monotonic()
        due = [n for n in self.urls if n not in self.documents and now - self._tried_at.get(n, 0.0) > RETRY_SECONDS]
        if due:
            await asyncio.gather(*(self._fetch(name, 1) for name in due))

    async def _fetch(self, name: str, attempts: int) -> None:
        url = f"{self.urls[name]}/openapi.json"
        for attempt in range(attempts):
            self._tried_at[name] = time.monotonic()
            try:
                response = await self.client.get(url, timeout=self.timeout)
                response.raise_for_status()
                document = response.json()
                if isinstance(document, dict) and isinstance(document.get("paths"), dict):
                    self.documents[name] = document
                    return
            except (httpx.HTTPError, ValueError):
                pass
            if attempt + 1 < attempts:
                await asyncio.sleep(min(0.5 * 2**attempt, 5.0))
        log.warning("upstream %s has no OpenAPI document at %s; its paths are left out", name, url)

    def merge(self, own: dict[str, Any]) -> dict[str, Any]:
        merged = copy.deepcopy(own)
        paths = merged.setdefault("paths", {})
        schemas = merged.setdefault("components", {}).setdefault("schemas", {})
        for name in sorted(self.documents):
            document = copy.deepcopy(self.documents[name])
            upstream_schemas = document.get("components", {}).get("schemas", {}) or {}
            renames = {
                s: f"{name.capitalize()}{s}" for s, body in upstream_schemas.items() if s in schemas and schemas[s] != body
            }
            if renames:
                document = _rename_refs(document, renames)
                upstream_schemas = document.get("components", {}).get("schemas", {}) or {}
            for schema_name, body in upstream_schemas.items():
                schemas.setdefault(schema_name, body)
            for path, item in document.get("paths", {}).items():
                if not path.startswith(PUBLIC_PREFIXES):
                    continue
                target = paths.setdefault(path, {})
                for method, operation in item.items():
                    target.setdefault(method, operation)
        merged.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = {
            "type": "http",
            "scheme": "bearer",
            "description": "An access token (JWT) or an API key (`adly_sk_…`).",
        }
        merged["security"] = [{"bearer": []}, {}]
        return merged


def _rename_refs(document: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    text = json.dumps(document)
    for old, new in renames.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    renamed = json.loads(text)
    schemas = renamed.get("components", {}).get("schemas", {})
    for old, new in renames.items():
        schemas[new] = schemas.pop(old)
    return renamed
