"""Events of a user (the `user` aggregate): versioned by the users row, locked while appended."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_auth.adapters.container import Adapters
from adly_events.contracts.common import Contract
from adly_kit.recording import record


async def record_user_event(tx: AsyncConnection, a: Adapters, user_id: UUID, payload: Contract) -> None:
    user = await a.users.get(tx, user_id, lock=True)
    await record(tx, a.store, [payload], aggregate_id=user_id, expected_version=user.event_version)
    await a.users.set_event_version(tx, user_id, user.event_version + 1)
