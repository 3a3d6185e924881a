"""A member's preferences in a workspace: read them, change some of them."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_notifications.adapters.container import Adapters
from adly_notifications.domain.preferences import Preferences, choices


async def of(tx: AsyncConnection, a: Adapters, workspace_id: UUID, user_id: UUID) -> Preferences:
    return await a.preferences.of(tx, workspace_id, user_id)


async def change(tx: AsyncConnection, a: Adapters, workspace_id: UUID, user_id: UUID,
                 wanted: Mapping[str, Mapping[str, bool]]) -> Preferences:
    """Only the kinds and channels named change; refused whole if any choice is at fault."""
    await a.preferences.choose(tx, workspace_id, user_id, choices(wanted))
    return await a.preferences.of(tx, workspace_id, user_id)
