"""Signed, expiring asset URLs: `/v1/assets/{asset_id}?expires=<unix>&signature=<mac>`.

The MAC is HMAC-SHA256 over "asset id.expiry" with a key only the creative service
holds, compared in constant time. Expiries are rounded up to a whole window, so the URLs
of one asset handed out within a window are identical and a browser caches them once.

A link is checked in exactly the form it was minted in, and what is checked is what is
used: `check` parses the three parts once (the asset id as a lowercase hyphenated UUID,
`expires` as 1 to 12 ASCII digits, the signature as 43 URL-safe base64 characters) and
hands the parsed values on. Python's own parsers are wider than that: `str.isdigit()` and
`int()` disagree (`"²".isdigit()` is true, `int("²")` raises), `int()` and `UUID()` take
Arabic-Indic and full-width digits, signs, spaces and underscores. Anything outside the
minted form is FORGED, never an exception.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlencode
from uuid import UUID

PATH = "/v1/assets"
MAX_EXPIRES_DIGITS = 12   # Unix seconds up to the year 33658: far beyond any TTL, small enough to bound the work

# `[0-9]`, not `\d`: in a str pattern `\d` matches every Unicode decimal digit.
_EXPIRES = re.compile(rf"[0-9]{{1,{MAX_EXPIRES_DIGITS}}}")
_SIGNATURE = re.compile(r"[A-Za-z0-9_-]{43}")   # 32 bytes of HMAC-SHA256, URL-safe base64 without padding
_ASSET_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class Verdict(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    FORGED = "forged"


@dataclass(frozen=True)
class Checked:
    """What a link says, once checked: the parsed id and expiry are set whenever the link is
    well-formed (VALID or EXPIRED), and are the values the caller goes on with."""

    verdict: Verdict
    asset_id: UUID | None = None
    expires: int | None = None


FORGED = Checked(Verdict.FORGED)


def parse_expires(raw: str | None) -> int | None:
    """`expires` as minted: 1 to 12 ASCII digits; None for anything else."""
    return int(raw) if raw is not None and _EXPIRES.fullmatch(raw) else None


def parse_asset_id(raw: str | UUID | None) -> UUID | None:
    """An asset id as minted (`str(uuid)`: lowercase, hyphenated); None for anything else."""
    if isinstance(raw, UUID):
        return raw
    return UUID(raw) if raw is not None and _ASSET_ID.fullmatch(raw) else None


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

    def check(self, asset_id: str | UUID | None, expires: str | None, signature: str | None, now: float) -> Checked:
        parsed_id, parsed_expires = parse_asset_id(asset_id), parse_expires(expires)
        if parsed_id is None or parsed_expires is None or signature is None or not _SIGNATURE.fullmatch(signature):
            return FORGED
        # Both sides are ASCII by now, so comparing the str's bytes is comparing the MACs.
        if not hmac.compare_digest(signature.encode(), self._mac(parsed_id, parsed_expires).encode()):
            return FORGED
        verdict = Verdict.VALID if parsed_expires > now else Verdict.EXPIRED
        return Checked(verdict, parsed_id, parsed_expires)

    def verify(self, asset_id: str | UUID | None, expires: str | None, signature: str | None, now: float) -> Verdict:
        return self.check(asset_id, expires, signature, now).verdict
