"""Secret values we hand out and how they are stored: random, shown once, kept as SHA-256."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from uuid import UUID

REFRESH_PREFIX = "adly_rt_"
API_KEY_PREFIX = "adly_sk_"
_URLSAFE_43 = r"[A-Za-z0-9_-]{43}"
_REFRESH = re.compile(rf"^{REFRESH_PREFIX}{_URLSAFE_43}$")
_API_KEY = re.compile(rf"^{API_KEY_PREFIX}([0-9a-f]{{32}})_{_URLSAFE_43}$")
RECOVERY_CODE_COUNT = 10


def random_token() -> str:
    """256 random bits, url-safe: 43 characters."""
    return secrets.token_urlsafe(32)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def same_hash(value: str, expected_sha256: str) -> bool:
    return hmac.compare_digest(sha256(value), expected_sha256)


def new_refresh_token() -> str:
    return REFRESH_PREFIX + random_token()


def looks_like_refresh_token(value: str) -> bool:
    return bool(_REFRESH.match(value))


def new_api_key(key_id: UUID) -> str:
    return f"{API_KEY_PREFIX}{key_id.hex}_{random_token()}"


def api_key_id(value: str) -> UUID | None:
    """The key id inside an `adly_sk_<id>_<secret>` value, or None if it is not one."""
    match = _API_KEY.match(value)
    return UUID(match.group(1)) if match else None


def new_recovery_codes() -> list[str]:
    """Ten codes of 80 random bits each, as xxxx-xxxx-xxxx-xxxx (base32)."""
    return [_group(base64.b32encode(secrets.token_bytes(10)).decode()) for _ in range(RECOVERY_CODE_COUNT)]


def normalise_recovery_code(value: str) -> str:
    return value.replace("-", "").replace(" ", "").upper()


def _group(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
