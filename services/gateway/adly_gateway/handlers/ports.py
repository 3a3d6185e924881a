"""The ports the gateway's handlers go through.

Postgres and auth's JWKS implement them (`adapters/`); `tests/unit/doubles.py` implements
them in memory. `IdentityRecords` writes in the consumer's transaction it is handed. The
admission ports take none: each of their calls is one statement on its own (the edge's hot
path, see adapters/container.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_gateway.domain.ratelimit import Decision, Limit


@dataclass(frozen=True)
class ApiKeyRecord:
    """What the read model knows of an API key (never the key itself, only its SHA-256)."""

    workspace_id: UUID
    role: str
    secret_sha256: str
    usable: bool  # not revoked and its workspace not deleted


class Tokens(Protocol):
    """Verifies auth's signed tokens; raises on any token it does not accept."""

    async def access_claims(self, token: str) -> dict[str, Any]: ...

    async def two_factor_subject(self, token: str) -> str: ...


class Directory(Protocol):
    """Per-request lookups in the identity read model."""

    async def user(self, user_id: UUID, workspace_id: UUID | None, sid: str | None) -> tuple[str | None, bool]:
        """(role in `workspace_id` or None, whether session `sid` is revoked)."""
        ...

    async def api_key(self, key_id: UUID) -> ApiKeyRecord | None: ...


class Limiter(Protocol):
    async def check(self, limits: list[Limit]) -> list[Decision]:
        """Decide every limit of one request at once; the order of `limits` is kept."""
        ...


class MemberLimiter(Protocol):
    async def member_and_check(
        self, user_id: UUID, workspace_id: UUID | None, sid: str | None, limits: list[Limit],
        unless_revoked: Collection[str],
    ) -> tuple[str | None, bool, list[Decision]]:
        """`Directory.user` and `Limiter.check` in one round trip: (role, session revoked,
        decisions). The limits whose keys are in `unless_revoked` are charged only when the
        session is not revoked, and have no decision otherwise."""
        ...


class IdentityRecords(Protocol):
    """The identity read model as auth's events change it, in the consumer's transaction."""

    async def workspace_created(self, tx: AsyncConnection, workspace_id: UUID) -> None: ...

    async def workspace_deleted(self, tx: AsyncConnection, workspace_id: UUID) -> None:
        """Its memberships go and its API keys stop working."""
        ...

    async def set_member(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID, role: str) -> None: ...

    async def remove_member(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID) -> None: ...

    async def api_key_created(self, tx: AsyncConnection, key_id: UUID, workspace_id: UUID, role: str,
                              secret_sha256: str) -> None: ...

    async def api_key_revoked(self, tx: AsyncConnection, key_id: UUID) -> None: ...

    async def session_revoked(self, tx: AsyncConnection, sid: str, user_id: UUID, at: datetime) -> None: ...
