"""The ports handlers read and write through, each handed the edge's transaction.

Postgres implements them (`adapters/`); `tests/unit/doubles.py` implements them in memory.
Ports without a transaction (the password hasher, identity providers) are in `domain/ports.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_auth.domain.locale import DEFAULT_LANGUAGE, DEFAULT_TIME_ZONE, Language
from adly_auth.domain.records import ApiKey, Invitation, Mail, PresentedRefreshToken, User
from adly_auth.domain.totp import TotpState
from adly_auth.domain.workspace import Role, Workspace
from adly_events.contracts.common import Contract


class EventLog(Protocol):
    """The service's event store; events also go to the outbox in the same transaction."""

    async def record(self, tx: AsyncConnection, payloads: Sequence[Contract], *, aggregate_id: UUID,
                     expected_version: int, workspace_id: UUID | None = None) -> None:
        """Append an aggregate's new events after `expected_version`; a stale version is a ConcurrencyConflict."""
        ...


class WorkspaceStore(Protocol):
    async def load(self, tx: AsyncConnection, workspace_id: UUID) -> Workspace:
        """The workspace rebuilt from its events (version 0 if it has none)."""
        ...

    async def save(self, tx: AsyncConnection, workspace: Workspace, new_events: Sequence[Contract]) -> None:
        """Append the events the workspace decided, and keep the read model in step."""
        ...


class UserStore(Protocol):
    async def get(self, tx: AsyncConnection, user_id: UUID, *, lock: bool = False) -> User | None: ...

    async def by_email(self, tx: AsyncConnection, email: str) -> User | None: ...

    async def add(self, tx: AsyncConnection, user_id: UUID, email: str, password_hash: str | None,
                  verified: bool, language: Language = DEFAULT_LANGUAGE, time_zone: str = DEFAULT_TIME_ZONE) -> bool:
        """False if the email is taken."""
        ...

    async def set_locale(self, tx: AsyncConnection, user_id: UUID, language: Language, time_zone: str) -> None: ...

    async def set_password_hash(self, tx: AsyncConnection, user_id: UUID, password_hash: str) -> None: ...

    async def mark_verified(self, tx: AsyncConnection, user_id: UUID) -> bool:
        """True if this call verified the address (it was not verified before)."""
        ...

    async def set_event_version(self, tx: AsyncConnection, user_id: UUID, version: int) -> None: ...

    async def set_pending_totp(self, tx: AsyncConnection, user_id: UUID, sealed_secret: str) -> None: ...

    async def enable_totp(self, tx: AsyncConnection, user_id: UUID) -> None: ...

    async def save_totp_state(self, tx: AsyncConnection, user_id: UUID, state: TotpState) -> None: ...


class LinkStore(Protocol):
    """Single-use, expiring tokens for the links in mails (verify an address, reset a password)."""

    async def issue(self, tx: AsyncConnection, purpose: str, user_id: UUID, ttl: timedelta) -> str: ...

    async def consume(self, tx: AsyncConnection, purpose: str, token: str) -> UUID | None:
        """The token's user, once: None if it is unknown, used or expired."""
        ...

    async def spend_all(self, tx: AsyncConnection, user_id: UUID, purpose: str) -> None: ...


class RecoveryCodeStore(Protocol):
    async def replace(self, tx: AsyncConnection, user_id: UUID, codes: list[str]) -> None: ...

    async def use(self, tx: AsyncConnection, user_id: UUID, normalised_code: str) -> bool:
        """True if the code was the user's and unused; it is used now."""
        ...


class SessionStore(Protocol):
    """Sessions (refresh-token families, `sid`) and their rotating refresh tokens."""

    async def start(self, tx: AsyncConnection, user_id: UUID) -> UUID: ...

    async def issue_refresh_token(self, tx: AsyncConnection, sid: UUID, ttl: timedelta) -> str: ...

    async def presented(self, tx: AsyncConnection, token: str) -> PresentedRefreshToken | None:
        """The token's row, locked, so of two parallel refreshes the second sees it rotated."""
        ...

    async def mark_rotated(self, tx: AsyncConnection, token_id: UUID) -> None: ...

    async def revoke(self, tx: AsyncConnection, sid: UUID, reason: str) -> UUID | None:
        """The session's user if this call revoked it; None if it was revoked already."""
        ...

    async def revoke_all(self, tx: AsyncConnection, user_id: UUID, reason: str) -> list[UUID]: ...

    async def is_live(self, tx: AsyncConnection, sid: UUID, user_id: UUID) -> bool: ...


class SigningKeyStore(Protocol):
    """The keys access tokens and auth's short-lived tokens are signed with (JWT)."""

    async def ensure_active(self, tx: AsyncConnection) -> None: ...

    async def rotate(self, tx: AsyncConnection, overlap: timedelta) -> str: ...

    async def published(self, tx: AsyncConnection) -> list[dict[str, Any]]: ...

    async def sign(self, tx: AsyncConnection, claims: dict[str, Any], *, typ: str, audience: str,
                   ttl: timedelta) -> str: ...

    async def verify(self, tx: AsyncConnection, token: str, *, typ: str, audience: str) -> dict[str, Any]:
        """The token's claims; raises `InvalidToken`."""
        ...


class InvalidToken(Exception):
    """Not a token we signed for this purpose, or expired."""


class MailOutbox(Protocol):
    async def enqueue(self, tx: AsyncConnection, mail: Mail) -> UUID:
        """Sent after the transaction commits (`entrypoints/runners.py`), never before."""
        ...


class InvitationStore(Protocol):
    async def create(self, tx: AsyncConnection, workspace_id: UUID, email: str, role: Role, by: UUID,
                     ttl: timedelta) -> tuple[Invitation, str]:
        """The invitation and the token for its link."""
        ...

    async def by_token(self, tx: AsyncConnection, token: str) -> Invitation | None: ...

    async def mark_accepted(self, tx: AsyncConnection, invitation_id: UUID) -> None: ...


class ApiKeyStore(Protocol):
    async def add(self, tx: AsyncConnection, key: ApiKey) -> None: ...

    async def get(self, tx: AsyncConnection, key_id: UUID, *, lock: bool = False) -> ApiKey | None: ...

    async def of_workspace(self, tx: AsyncConnection, workspace_id: UUID, *,
                           live_only: bool = False) -> list[ApiKey]: ...

    async def mark_revoked(self, tx: AsyncConnection, key_id: UUID, version: int) -> None: ...


class OidcStateStore(Protocol):
    async def save(self, tx: AsyncConnection, provider: str, state: str, nonce: str, verifier: str,
                   ttl: timedelta) -> None: ...

    async def take(self, tx: AsyncConnection, provider: str, state: str) -> tuple[str, str] | None:
        """(nonce, code verifier) of an unused, unexpired state; it cannot be taken twice."""
        ...


class OidcIdentityStore(Protocol):
    async def user_of(self, tx: AsyncConnection, provider: str, subject: str) -> UUID | None: ...

    async def link(self, tx: AsyncConnection, provider: str, subject: str, user_id: UUID) -> None: ...
