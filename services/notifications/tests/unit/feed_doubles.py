"""In-memory ports of the feed, members and preferences, for handler tests without Postgres.

`world()` builds the service's `Adapters` on them: events the handlers record land in
`World.events` (through a store that checks versions as the real one does), webhook
deliveries the notices ask for in `World.deliveries`, mails in `World.mails`; any other
adapter is `Unused`.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from adly_events import CATALOG, EventEnvelope
from adly_events.contracts.auth import WorkspaceRole
from adly_kit.eventstore import ConcurrencyConflict, EventStore
from adly_notifications.adapters.container import Adapters
from adly_notifications.domain.audience import Member
from adly_notifications.domain.notices import Notice
from adly_notifications.domain.preferences import Choice, Preferences
from adly_notifications.handlers.ports import FeedItem, NewMail
from adly_notifications.settings import NotificationsSettings

Tx = Any


class Unused:
    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        raise AssertionError(f"a handler used {self._name}.{attribute}; not a port of this slice")


class RecordingStore(EventStore):
    """The event store's append, in memory: the same version check, nothing else."""

    def __init__(self) -> None:
        super().__init__("notifications", CATALOG)
        self.events: list[EventEnvelope] = []

    async def append(self, tx: Tx, events: Sequence[EventEnvelope], *, expected_version: int) -> None:
        if not events:
            return
        aggregate = events[0].aggregate_id
        if max((e.aggregate_version for e in self.events if e.aggregate_id == aggregate), default=0) != expected_version:
            raise ConcurrencyConflict(aggregate, expected_version)
        self.events += events


@dataclass
class InMemoryFeed:
    notices: dict[UUID, Notice] = field(default_factory=dict)
    items: dict[tuple[UUID, UUID], datetime | None] = field(default_factory=dict)  # (notice, user) -> read_at

    async def add(self, tx: Tx, notice: Notice, recipients: Sequence[UUID]) -> bool:
        if notice.id in self.notices:
            return False
        self.notices[notice.id] = notice
        for user in recipients:
            self.items.setdefault((notice.id, user), None)
        return True

    def of(self, workspace_id: UUID, user_id: UUID) -> list[FeedItem]:
        found = [FeedItem(n.id, n.kind, n.params, n.link, n.occurred_at, read_at)
                 for (notice, user), read_at in self.items.items()
                 if user == user_id and (n := self.notices[notice]).workspace_id == workspace_id]
        return sorted(found, key=lambda i: (i.created_at, i.notification_id), reverse=True)

    async def page(self, tx: Tx, workspace_id: UUID, user_id: UUID, *, limit: int,
                   before: tuple[datetime, UUID] | None, only_unread: bool) -> list[FeedItem]:
        found = [i for i in self.of(workspace_id, user_id) if before is None or (i.created_at, i.notification_id) < before]
        return [i for i in found if not only_unread or i.read_at is None][:limit]

    async def unread(self, tx: Tx, workspace_id: UUID, user_id: UUID) -> int:
        return sum(1 for i in self.of(workspace_id, user_id) if i.read_at is None)

    async def mark_read(self, tx: Tx, workspace_id: UUID, user_id: UUID, notification_id: UUID) -> bool:
        key = (notification_id, user_id)
        if key not in self.items or self.notices[notification_id].workspace_id != workspace_id:
            return False
        self.items[key] = self.items[key] or datetime.now().astimezone()
        return True

    async def mark_all_read(self, tx: Tx, workspace_id: UUID, user_id: UUID) -> int:
        unread = [i for i in self.of(workspace_id, user_id) if i.read_at is None]
        for item in unread:
            self.items[item.notification_id, user_id] = datetime.now().astimezone()
        return len(unread)

    async def forget_member(self, tx: Tx, workspace_id: UUID, user_id: UUID) -> None:
        for notice, user in list(self.items):
            if user == user_id and self.notices[notice].workspace_id == workspace_id:
                del self.items[notice, user]

    async def forget_workspace(self, tx: Tx, workspace_id: UUID) -> None:
        for notice, user in list(self.items):
            if self.notices[notice].workspace_id == workspace_id:
                del self.items[notice, user]


@dataclass
class InMemoryMembers:
    roles: dict[UUID, dict[UUID, WorkspaceRole]] = field(default_factory=dict)
    versions: dict[UUID, int] = field(default_factory=dict)
    deleted: set[UUID] = field(default_factory=set)

    async def advance(self, tx: Tx, workspace_id: UUID, version: int) -> bool:
        if workspace_id in self.deleted or self.versions.get(workspace_id, 0) >= version:
            return False
        self.versions[workspace_id] = version
        return True

    async def put(self, tx: Tx, workspace_id: UUID, user_id: UUID, role: WorkspaceRole) -> None:
        self.roles.setdefault(workspace_id, {})[user_id] = WorkspaceRole(role)

    async def remove(self, tx: Tx, workspace_id: UUID, user_id: UUID) -> None:
        self.roles.get(workspace_id, {}).pop(user_id, None)

    async def remove_workspace(self, tx: Tx, workspace_id: UUID) -> None:
        self.roles.pop(workspace_id, None)
        self.deleted.add(workspace_id)

    async def of_workspace(self, tx: Tx, workspace_id: UUID) -> list[Member]:
        return [Member(user, role) for user, role in self.roles.get(workspace_id, {}).items()]


@dataclass
class InMemoryPreferences:
    chosen: dict[tuple[UUID, UUID], dict[tuple[str, str], bool]] = field(default_factory=dict)

    async def of(self, tx: Tx, workspace_id: UUID, user_id: UUID) -> Preferences:
        return Preferences(dict(self.chosen.get((workspace_id, user_id), {})))

    async def choose(self, tx: Tx, workspace_id: UUID, user_id: UUID, choices: Sequence[Choice]) -> None:
        mine = self.chosen.setdefault((workspace_id, user_id), {})
        for kind, channel, on in choices:
            mine[kind, channel] = on

    async def turned_off(self, tx: Tx, workspace_id: UUID, kind: str, channel: str) -> set[UUID]:
        return {user for (ws, user), chosen in self.chosen.items()
                if ws == workspace_id and chosen.get((kind, channel)) is False}

    async def forget_member(self, tx: Tx, workspace_id: UUID, user_id: UUID) -> None:
        self.chosen.pop((workspace_id, user_id), None)

    async def forget_workspace(self, tx: Tx, workspace_id: UUID) -> None:
        for key in [k for k in self.chosen if k[0] == workspace_id]:
            del self.chosen[key]


@dataclass
class Deliveries:
    """The webhooks' port, as far as the intake reaches it: what was enqueued, by webhook id."""

    enqueued: list[tuple[UUID, UUID, str]] = field(default_factory=list)

    async def enqueue(self, tx: Tx, webhook_id: UUID, workspace_id: UUID, kind: str, body: bytes) -> int:
        self.enqueued.append((webhook_id, workspace_id, kind))
        return 1


@dataclass
class Mails:
    """The mail queue, as far as the intake and the members reach it: queued mails by id."""

    queued: dict[UUID, NewMail] = field(default_factory=dict)
    dropped: set[UUID] = field(default_factory=set)

    async def enqueue(self, tx: Tx, mails: Sequence[NewMail]) -> int:
        fresh = [m for m in mails if m.id not in self.queued]
        self.queued |= {m.id: m for m in fresh}
        return len(fresh)

    def to(self, user_id: UUID, kind: str | None = None) -> list[NewMail]:
        return [m for m in self.queued.values() if m.user_id == user_id and m.id not in self.dropped
                and kind in (None, m.kind)]

    async def forget_member(self, tx: Tx, workspace_id: UUID, user_id: UUID) -> None:
        self.dropped |= {m.id for m in self.queued.values() if (m.workspace_id, m.user_id) == (workspace_id, user_id)}

    async def forget_workspace(self, tx: Tx, workspace_id: UUID) -> None:
        self.dropped |= {m.id for m in self.queued.values() if m.workspace_id == workspace_id}


@dataclass
class World:
    adapters: Adapters
    feed: InMemoryFeed
    members: InMemoryMembers
    preferences: InMemoryPreferences
    store: RecordingStore
    deliveries: Deliveries
    mails: Mails


def world() -> World:
    parts = {"feed": InMemoryFeed(), "members": InMemoryMembers(), "preferences": InMemoryPreferences(),
             "store": RecordingStore(), "webhooks": Deliveries(), "mails": Mails()}
    settings = NotificationsSettings(database_url="postgresql://unit@nowhere/none", kafka_bootstrap_servers="nowhere:9092")
    given = parts | {"settings": settings, "engine": Unused("engine")}
    adapters = Adapters(**{f.name: given.get(f.name, Unused(f.name)) for f in dataclasses.fields(Adapters)})
    return World(adapters, parts["feed"], parts["members"], parts["preferences"], parts["store"],  # type: ignore[arg-type]
                 parts["webhooks"], parts["mails"])  # type: ignore[arg-type]


def new_id() -> UUID:
    return uuid.uuid4()
