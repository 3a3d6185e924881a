"""A user's row, and the events of the `user` aggregate, versioned by that row and appended under its lock."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_auth.adapters.container import Adapters
from adly_auth.domain.records import User
from adly_events.contracts.common import Contract
from adly_kit.errors import NotFound


async def known_user(tx: AsyncConnection, a: Adapters, user_id: UUID, *, lock: bool = False) -> User:
    """A user a token or a link names; users are never deleted, so a missing one is a bad reference."""
    user = await a.users.get(tx, user_id, lock=lock)
    if user is None:
        raise NotFound("No such user.")
    return user


async def record_user_event(tx: AsyncConnection, a: Adapters, user_id: UUID, payload: Contract) -> None:
    user = await known_user(tx, a, user_id, lock=True)
    await a.events.record(tx, [payload], aggregate_id=user_id, expected_version=user.event_version)
    await a.users.set_event_version(tx, user_id, user.event_version + 1)
