"""Idempotency-Key rules (Stripe semantics): what a key may look like and what a request is."""

from __future__ import annotations

import hashlib

MAX_KEY_LENGTH = 255


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
