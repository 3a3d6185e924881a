"""Who is calling: a person (access token) or a machine (API key or client-credentials token)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

API_KEY_PREFIX = "adly_sk_"
_SECRET_LENGTH = 43
_SECRET = re.compile(r"^[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. `ws`/`role` are set for API keys only (their one workspace)."""

    kind: Literal["user", "api_key"]
    sub: str
    sid: str | None = None
    ws: UUID | None = None
    role: str | None = None
    mfa: bool = False

    @property
    def user_id(self) -> UUID | None:
        return UUID(self.sub) if self.kind == "user" else None

    @property
    def api_key_id(self) -> UUID | None:
        return UUID(self.sub.removeprefix("apikey:")) if self.kind == "api_key" else None


def parse_api_key(value: str) -> UUID | None:
    """The key id of `adly_sk_<key id>_<43 url-safe chars>`, or None if it is not shaped like one."""
    if not value.startswith(API_KEY_PREFIX):
        return None
    rest = value[len(API_KEY_PREFIX):]
    if len(rest) < _SECRET_LENGTH + 2 or rest[-_SECRET_LENGTH - 1] != "_":
        return None
    key_id, secret = rest[: -_SECRET_LENGTH - 1], rest[-_SECRET_LENGTH:]
    if not _SECRET.match(secret) or len(key_id) > 64:
        return None
    try:
        return UUID(key_id)
    except ValueError:
        return None


def machine_key_id(sub: str) -> UUID | None:
    """The key id of a client-credentials token's `sub` (`apikey:<id>`)."""
    if not sub.startswith("apikey:"):
        return None
    try:
        return UUID(sub.removeprefix("apikey:"))
    except ValueError:
        return None


def user_id_of(sub: str) -> UUID | None:
    try:
        return UUID(sub)
    except ValueError:
        return None
