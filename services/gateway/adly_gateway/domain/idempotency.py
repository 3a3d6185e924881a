"""Idempotency-Key rules (Stripe semantics): what a key may look like, what a request is, where keys apply."""

from __future__ import annotations

import hashlib

from adly_gateway.domain.routes import Access, Route

MAX_KEY_LENGTH = 255


def applies(route: Route) -> bool:
    """Keys apply to the POSTs of a signed-in principal, in a workspace or not (`POST
    /v1/workspaces` too), scoped to that principal; never to public routes (no principal to
    scope them to) nor to routes whose answers carry credentials, which are never stored."""
    return route.access is not Access.PUBLIC and not route.credential


def valid_key(key: str) -> bool:
    """1..255 visible ASCII characters (no spaces or control characters)."""
    return 0 < len(key) <= MAX_KEY_LENGTH and all(0x21 <= ord(c) <= 0x7E for c in key)


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """Same key + same fingerprint → replay; same key + another fingerprint → 422."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode()):
        digest.update(len(part).to_bytes(4, "big") + part)
    digest.update(body)
    return digest.hexdigest()
