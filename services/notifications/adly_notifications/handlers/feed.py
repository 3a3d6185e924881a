"""A member's own feed: newest first, a page at a time, read or not."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_kit.errors import NotFound
from adly_notifications.adapters.container import Adapters
from adly_notifications.domain.feed import cursor_after, place_of
from adly_notifications.handlers.ports import FeedItem


@dataclass(frozen=True)
class Page:
    items: list[FeedItem]
    next_cursor: str | None
    unread: int


async def page(tx: AsyncConnection, a: Adapters, workspace_id: UUID, user_id: UUID, *, limit: int,
               cursor: str | None = None, only_unread: bool = False) -> Page:
    before = place_of(cursor) if cursor else None
    items = await a.feed.page(tx, workspace_id, user_id, limit=limit + 1, before=before, only_unread=only_unread)
    last = items[limit - 1] if len(items) > limit else None
    return Page(items[:limit], cursor_after(last.created_at, last.notification_id) if last else None,
                await a.feed.unread(tx, workspace_id, user_id))


async def unread(tx: AsyncConnection, a: Adapters, workspace_id: UUID, user_id: UUID) -> int:
    return await a.feed.unread(tx, workspace_id, user_id)


async def mark_read(tx: AsyncConnection, a: Adapters, workspace_id: UUID, user_id: UUID, notification_id: UUID) -> int:
    """Mark one item read (again is fine); the unread count after it."""
    if not await a.feed.mark_read(tx, workspace_id, user_id, notification_id):
        raise NotFound("No such notification in your feed.", field="path/notification_id")
    return await a.feed.unread(tx, workspace_id, user_id)


async def mark_all_read(tx: AsyncConnection, a: Adapters, workspace_id: UUID, user_id: UUID) -> int:
    """Mark every item read; how many were unread."""
    return await a.feed.mark_all_read(tx, workspace_id, user_id)
