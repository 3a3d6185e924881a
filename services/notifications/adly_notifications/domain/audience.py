"""Who is told of a notice: the members holding the kind's roles (and the member it is about,
where the table says so), or only the members the notice names; never someone who turned a
mutable kind off on that channel."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from uuid import UUID

from adly_events.contracts.auth import WorkspaceRole as Role
from adly_notifications.domain.kinds import Kind
from adly_notifications.domain.notices import Notice


@dataclass(frozen=True)
class Member:
    user_id: UUID
    role: Role


def addressed(kind: Kind, notice: Notice, members: Iterable[Member]) -> list[UUID]:
    """Everyone the notice is for, before preferences: members of the workspace only."""
    present = {m.user_id: m for m in members}
    if notice.only_to is not None:
        return [user for user in dict.fromkeys(notice.only_to) if user in present]
    chosen = [m.user_id for m in present.values() if m.role in kind.roles]
    subject = _subject(kind, notice)
    if subject in present and subject not in chosen:
        chosen.append(subject)
    return chosen


def recipients(kind: Kind, notice: Notice, members: Iterable[Member], turned_off: Collection[UUID]) -> list[UUID]:
    """`turned_off`: who turned this kind off on the channel; it binds only where the kind is mutable."""
    told = addressed(kind, notice, members)
    return [user for user in told if not (kind.mutable and user in turned_off)]


def _subject(kind: Kind, notice: Notice) -> UUID | None:
    value = notice.data.get(kind.also_tells) if kind.also_tells else None
    try:
        return UUID(str(value)) if value is not None else None
    except ValueError:
        return None
