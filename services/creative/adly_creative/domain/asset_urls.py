"""Signed, expiring asset URLs: `/v1/assets/{asset_id}?expires=<unix>&signature=<mac>`.

The MAC is HMAC-SHA256 over "asset id.expiry" with a key only the creative service
holds, compared in constant time. Expiries are rounded up to a whole window, so the URLs
of one asset handed out within a window are identical and a browser caches them once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlencode
from uuid import UUID

PATH = "/v1/assets"


class Verdict(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    FORGED = "forged"


def derive_key(secret: bytes, purpose: bytes = b"adly-creative-asset-urls") -> bytes:
    """A key of its own when the signing key falls back to another secret."""
    return hmac.new(secret, purpose, hashlib.sha256).digest()


@dataclass(frozen=True)
class AssetUrlSigner:
    key: bytes
    ttl_seconds: int = 3600
    window_seconds: int = 300
    base_url: str = ""

    def _mac(self, asset_id: UUID, expires: int) -> str:
        mac = hmac.new(self.key, f"{asset_id}.{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def expiry(self, now: float) -> int:
        return int(math.ceil((now + self.ttl_seconds) / self.window_seconds) * self.window_seconds)

    def url(self, asset_id: UUID, now: float) -> tuple[str, int]:
        expires = self.expiry(now)
        query = urlencode({"expires": expires, "signature": self._mac(asset_id, expires)})
        return f"{self.base_url}{PATH}/{asset_id}?{query}", expires

    def verify(self, asset_id: UUID, expires: str | None, signature: str | None, now: float) -> Verdict:
        if not expires or not signature or not expires.isdigit() or len(expires) > 12:
            return Verdict.FORGED
        if not hmac.compare_digest(signature.encode(), self._mac(asset_id, int(expires)).encode()):
            return Verdict.FORGED
        return Verdict.VALID if int(expires) > now else Verdict.EXPIRED
