"""Ports that take a transaction, implemented in adapters/ (in-memory doubles in tests/unit)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_events.contracts.auth import WorkspaceRole
from adly_events.contracts.common import Contract
from adly_notifications.domain.audience import Member
from adly_notifications.domain.letters import Digest, Letter, Recipient
from adly_notifications.domain.notices import Notice
from adly_notifications.domain.preferences import Choice, Preferences
from adly_notifications.domain.webhooks import Address, DeliveryLog, Endpoint, Outcome, Target


@dataclass(frozen=True)
class DueDelivery:
    """A delivery claimed for one attempt, with what it takes to sign it (secrets opened in memory only)."""

    id: UUID
    webhook_id: UUID
    endpoint: Endpoint
    body: bytes
    tries: int
    secrets: tuple[str, ...]


class WebhookStore(Protocol):
    async def add(self, tx: AsyncConnection, endpoint: Endpoint, secret: str, by: str) -> None: ...
    async def get(self, tx: AsyncConnection, workspace_id: UUID, endpoint_id: UUID) -> Endpoint | None: ...
    async def all(self, tx: AsyncConnection, workspace_id: UUID) -> list[Endpoint]: ...
    async def save(self, tx: AsyncConnection, endpoint: Endpoint) -> None: ...
    async def remove(self, tx: AsyncConnection, workspace_id: UUID, endpoint_id: UUID) -> bool: ...
    async def rotate(self, tx: AsyncConnection, endpoint_id: UUID, secret: str, old_retires_at: datetime) -> None: ...
    async def pause(self, tx: AsyncConnection, endpoint_id: UUID) -> None: ...
    async def resume(self, tx: AsyncConnection, endpoint_id: UUID) -> int: ...
    async def enqueue(self, tx: AsyncConnection, webhook_id: UUID, workspace_id: UUID, kind: str,
                      body: bytes) -> int: ...
    async def due(self, tx: AsyncConnection, delivery_ids: Sequence[UUID], worker: str) -> list[DueDelivery]: ...
    async def delivered(self, tx: AsyncConnection, finished: Sequence[tuple[DueDelivery, Outcome]]) -> None: ...
    async def record(self, tx: AsyncConnection, delivery: DueDelivery, outcome: Outcome, state: str,
                     retry_in: float | None) -> None: ...
    async def succeeded(self, tx: AsyncConnection, endpoint_id: UUID) -> None: ...
    async def failing(self, tx: AsyncConnection, endpoint_id: UUID) -> datetime | None: ...
    async def log(self, tx: AsyncConnection, endpoint_id: UUID, limit: int,
                  before: UUID | None) -> list[DeliveryLog]: ...
    async def redeliver(self, tx: AsyncConnection, endpoint_id: UUID, delivery_id: UUID) -> bool: ...
    async def record_events(self, tx: AsyncConnection, endpoint: Endpoint, events: Sequence[Contract]) -> None: ...


class WebhookSender(Protocol):
    async def addresses(self, host: str) -> list[Address]: ...
    async def send(self, target: Target, webhook_id: UUID, body: bytes, secrets: Sequence[str]) -> Outcome: ...


# --- the feed, preferences and members ------------------------------------------------



@dataclass(frozen=True)
class FeedItem:
    notification_id: UUID
    kind: str
    params: Mapping[str, str]
    link: str | None
    created_at: datetime
    read_at: datetime | None


class FeedStore(Protocol):
    async def add(self, tx: AsyncConnection, notice: Notice, recipients: Sequence[UUID]) -> bool:
        """Record the notice and its recipients' items; False (and nothing written) if it was recorded already."""
        ...

    async def page(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID, *, limit: int,
                   before: tuple[datetime, UUID] | None, only_unread: bool) -> list[FeedItem]: ...
    async def unread(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID) -> int: ...
    async def mark_read(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID, notification_id: UUID) -> bool: ...
    async def mark_all_read(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID) -> int: ...
    async def forget_member(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID) -> None: ...
    async def forget_workspace(self, tx: AsyncConnection, workspace_id: UUID) -> None: ...


class MemberStore(Protocol):
    async def advance(self, tx: AsyncConnection, workspace_id: UUID, version: int) -> bool:
        """Note the workspace's event `version` as applied; False if it is not newer (or the workspace is gone)."""
        ...

    async def put(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID, role: WorkspaceRole) -> None: ...
    async def remove(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID) -> None: ...
    async def remove_workspace(self, tx: AsyncConnection, workspace_id: UUID) -> None: ...
    async def of_workspace(self, tx: AsyncConnection, workspace_id: UUID) -> list[Member]: ...


class PreferenceStore(Protocol):
    async def of(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID) -> Preferences: ...
    async def choose(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID, choices: Sequence[Choice]) -> None: ...
    async def turned_off(self, tx: AsyncConnection, workspace_id: UUID, kind: str, channel: str) -> set[UUID]: ...
    async def forget_member(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID) -> None: ...
    async def forget_workspace(self, tx: AsyncConnection, workspace_id: UUID) -> None: ...


# --- mail ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class NewMail:
    id: UUID
    workspace_id: UUID
    user_id: UUID
    kind: str
    notification_id: UUID | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    link: str | None = None
    day: date | None = None        # a digest's day


@dataclass(frozen=True)
class DueMail:
    id: UUID
    workspace_id: UUID
    user_id: UUID
    kind: str
    notification_id: UUID | None
    params: Mapping[str, str]
    link: str | None
    day: date | None
    tries: int                     # attempts that reached the server so far


class MailStore(Protocol):
    async def enqueue(self, tx: AsyncConnection, mails: Sequence[NewMail]) -> int: ...
    async def due(self, tx: AsyncConnection, mail_ids: Sequence[UUID], worker: str) -> list[DueMail]: ...
    async def handing_over(self, tx: AsyncConnection, mail_id: UUID, worker: str) -> bool: ...
    async def finish(self, tx: AsyncConnection, mail_id: UUID, state: str, error: str | None) -> None: ...
    async def retry(self, tx: AsyncConnection, mail_id: UUID, in_seconds: float, error: str,
                    handed_over: bool) -> None: ...
    async def awaiting_digest(self, tx: AsyncConnection, day: date, after: tuple[UUID, UUID] | None,
                              limit: int) -> list[tuple[UUID, UUID]]: ...
    async def forget_member(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID) -> None: ...
    async def forget_workspace(self, tx: AsyncConnection, workspace_id: UUID) -> None: ...


class LeaseLost(Exception):
    """Another worker took the mail over (this one's lease ran out): this one stops sending it."""


class Unavailable(Exception):
    """Auth or analytics did not answer: the mail is tried again later."""


class ContactBook(Protocol):
    async def contacts(self, workspace_id: UUID, user_ids: Sequence[UUID]) -> dict[UUID, Recipient]:
        """The members' addresses, languages and time zones; a user who is no longer a member is absent."""
        ...


class DigestFigures(Protocol):
    async def digest(self, workspace_id: UUID, day: date) -> Digest: ...


class MailSender(Protocol):
    async def send(self, letter: Letter, before_data: Callable[[], Awaitable[None]]) -> None:
        """Raises adly_kit.mail.MailRefused. `before_data` runs once the server took the envelope
        and before the message goes over; what it raises (LeaseLost) ends the session unsent."""
        ...
