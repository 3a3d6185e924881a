"""What auth keeps beside the workspace aggregate: users, refresh tokens, API keys,
invitations, queued mails, and the sign-ups that mailed links carry. Plain records; the
ports (`handlers/ports.py`, `domain/ports.py`) load and save them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from adly_auth.domain.locale import DEFAULT_LANGUAGE, DEFAULT_TIME_ZONE, Language
from adly_auth.domain.totp import TotpState


@dataclass(frozen=True)
class User:
    id: UUID
    email: str
    password_hash: str | None
    email_verified_at: datetime | None
    created_at: datetime
    event_version: int
    totp_secret: str | None  # sealed
    totp_enabled_at: datetime | None
    totp_last_step: int | None
    totp_failures: int
    totp_locked_until: datetime | None
    language: Language = DEFAULT_LANGUAGE
    time_zone: str = DEFAULT_TIME_ZONE

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def totp_state(self) -> TotpState:
        return TotpState(self.totp_last_step, self.totp_failures, self.totp_locked_until)


@dataclass(frozen=True)
class PresentedRefreshToken:
    id: UUID
    session_id: UUID
    user_id: UUID
    expires_at: datetime
    rotated_at: datetime | None
    session_revoked_at: datetime | None


@dataclass(frozen=True)
class ApiKey:
    id: UUID
    workspace_id: UUID
    name: str
    role: str
    secret_sha256: str
    created_by: UUID
    created_at: datetime
    revoked_at: datetime | None
    event_version: int


@dataclass(frozen=True)
class Invitation:
    id: UUID
    workspace_id: UUID
    email: str
    role: str
    invited_by: UUID
    expires_at: datetime
    accepted_at: datetime | None


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


@dataclass(frozen=True)
class PendingSignup:
    """A sign-up waiting for its mailed link: nothing is stored until the link is followed."""

    email: str
    password_hash: str
    expires_at: datetime
    language: Language = DEFAULT_LANGUAGE
    time_zone: str = DEFAULT_TIME_ZONE
