"""What the API reads: a workspace's stores, their syncs, and the mirrored items."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_catalog.adapters.container import Adapters
from adly_catalog.domain.errors import ItemNotFound, StoreNotFound, SyncNotFound
from adly_catalog.domain.store import Store
from adly_catalog.domain.sync import Sync


async def stores_of(tx: AsyncConnection, a: Adapters, workspace_id: UUID) -> list[Store]:
    return await a.stores.of_workspace(tx, workspace_id)


async def store(tx: AsyncConnection, a: Adapters, workspace_id: UUID, store_id: UUID) -> Store:
    found = await a.stores.get(tx, store_id)
    if found is None or found.workspace_id != workspace_id:
        raise StoreNotFound("No such store.")
    return found


async def syncs_of(tx: AsyncConnection, a: Adapters, workspace_id: UUID, store_id: UUID, limit: int) -> list[Sync]:
    await store(tx, a, workspace_id, store_id)
    return await a.syncs.of_store(tx, store_id, limit)


async def sync(tx: AsyncConnection, a: Adapters, workspace_id: UUID, store_id: UUID, sync_id: UUID) -> Sync:
    await store(tx, a, workspace_id, store_id)
    found = await a.syncs.get(tx, sync_id)
    if found is None or found.store_id != store_id:
        raise SyncNotFound("No such sync.")
    return found


async def items(tx: AsyncConnection, a: Adapters, workspace_id: UUID, store_id: UUID, kind: str, *,
                after: str | None, limit: int) -> list[dict[str, Any]]:
    """A page of products or orders, by platform id (keyset on `after`)."""
    await store(tx, a, workspace_id, store_id)
    return await a.mirror.page_of(tx, kind, store_id, after=after, limit=limit)


async def item(tx: AsyncConnection, a: Adapters, workspace_id: UUID, store_id: UUID, kind: str,
               item_id: UUID) -> dict[str, Any]:
    await store(tx, a, workspace_id, store_id)
    found = await a.mirror.one(tx, kind, store_id, item_id)
    if found is None:
        raise ItemNotFound(f"No such {kind[:-1]}.")
    return found
