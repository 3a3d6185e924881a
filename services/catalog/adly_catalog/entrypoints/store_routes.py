"""/v1/workspaces/{workspace_id}/stores: connect, list, disconnect, sync, and read what synced.

Each request runs in one `unit_of_work`; where a platform must answer (consent, keys,
webhook subscriptions), it is asked between transactions, never inside one.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from adly_catalog.domain.store import Store
from adly_catalog.domain.sync import Sync
from adly_catalog.entrypoints.connections import connect_store
from adly_catalog.entrypoints.deps import (
    AdaptersDep,
    StoresConnect,
    StoresDisconnect,
    StoresRead,
    StoresSync,
    platform_errors,
)
from adly_catalog.entrypoints.schemas import (
    Authorization,
    ItemOut,
    ItemPage,
    NewConnection,
    StoreOut,
    SyncOut,
    SyncRequest,
    WooCommerceKeys,
)
from adly_catalog.handlers import connecting, disconnecting, queries, syncing
from adly_events.contracts.catalog import DisconnectReason, StorePlatform
from adly_kit.db import unit_of_work

router = APIRouter(prefix="/v1/workspaces/{workspace_id}/stores", tags=["stores"])


def store_out(row: Store) -> StoreOut:
    return StoreOut(id=row.id, platform=row.platform, domain=row.domain, name=row.name, currency=row.currency,
                    status=row.status, connected_at=row.connected_at, disconnected_at=row.disconnected_at,
                    disconnect_reason=row.disconnect_reason, last_synced_at=row.last_synced_at, webhooks=len(row.webhook_ids))


def sync_out(row: Sync) -> SyncOut:
    position = row.position
    return SyncOut(id=row.id, store_id=row.store_id, kind=row.kind, state=row.state,
                   resource=None if position.done or not row.active else position.resource.value,
                   progress={r.value: c.__dict__ for r, c in position.counts.items()}, error=row.error,
                   created_at=row.created_at, started_at=row.started_at, finished_at=row.finished_at)


@router.get("", response_model=list[StoreOut])
async def list_stores(workspace_id: UUID, _: StoresRead, a: AdaptersDep) -> list[StoreOut]:
    """The workspace's stores, connected or not."""
    async with unit_of_work(a.engine) as tx:
        return [store_out(row) for row in await queries.stores_of(tx, a, workspace_id)]


@router.post("/connections", status_code=201, response_model=Authorization)
async def start_connection(workspace_id: UUID, body: NewConnection, who: StoresConnect, a: AdaptersDep) -> Authorization:
    """Begin connecting a store by OAuth (Shopify, Salla, Zid) or WooCommerce's app authorization."""
    platform = StorePlatform(body.platform)
    with platform_errors():
        started = await connecting.consent(a, platform, body.domain)
    async with unit_of_work(a.engine) as tx:
        authorization = await connecting.remember(tx, a, platform, started, workspace_id, who.user_id)
    return Authorization(authorize_url=authorization.authorize_url, expires_in=authorization.expires_in)


@router.post("", status_code=201, response_model=StoreOut)
async def connect_with_keys(workspace_id: UUID, body: WooCommerceKeys, who: StoresConnect, a: AdaptersDep) -> StoreOut:
    """Connect a WooCommerce store with REST API keys; its first full sync starts at once."""
    platform = StorePlatform(body.platform)
    with platform_errors():
        grant = await connecting.grant_from_keys(a, platform, body.site_url, body.consumer_key, body.consumer_secret)
        return store_out(await connect_store(a, workspace_id, platform, grant, who.user_id))


@router.get("/{store_id}", response_model=StoreOut)
async def get_store(workspace_id: UUID, store_id: UUID, _: StoresRead, a: AdaptersDep) -> StoreOut:
    async with unit_of_work(a.engine) as tx:
        return store_out(await queries.store(tx, a, workspace_id, store_id))


@router.delete("/{store_id}", status_code=204)
async def disconnect_store(workspace_id: UUID, store_id: UUID, _: StoresDisconnect, a: AdaptersDep) -> Response:
    """Remove ADLY's access: credentials deleted, webhooks removed, syncs stopped. Synced data stays."""
    async with unit_of_work(a.engine) as tx:
        store = await queries.store(tx, a, workspace_id, store_id)
        gone = await disconnecting.disconnect(tx, a, store.id, DisconnectReason.MERCHANT, unsubscribing=True)
    await disconnecting.unsubscribe(a, gone)
    return Response(status_code=204)


@router.post("/{store_id}/syncs", status_code=202, response_model=SyncOut)
async def start_sync(workspace_id: UUID, store_id: UUID, body: SyncRequest, who: StoresSync, a: AdaptersDep) -> SyncOut:
    """Sync now; a sync already queued or running is returned instead of starting a second."""
    async with unit_of_work(a.engine) as tx:
        return sync_out(await syncing.request(tx, a, workspace_id, store_id, body.kind, who.user_id))


@router.get("/{store_id}/syncs", response_model=list[SyncOut])
async def list_syncs(workspace_id: UUID, store_id: UUID, _: StoresRead, a: AdaptersDep,
                     limit: int = Query(20, ge=1, le=100)) -> list[SyncOut]:
    async with unit_of_work(a.engine) as tx:
        return [sync_out(row) for row in await queries.syncs_of(tx, a, workspace_id, store_id, limit)]


@router.get("/{store_id}/syncs/{sync_id}", response_model=SyncOut)
async def get_sync(workspace_id: UUID, store_id: UUID, sync_id: UUID, _: StoresRead, a: AdaptersDep) -> SyncOut:
    async with unit_of_work(a.engine) as tx:
        return sync_out(await queries.sync(tx, a, workspace_id, store_id, sync_id))


def _items_routes(kind: str) -> None:
    @router.get(f"/{{store_id}}/{kind}", response_model=ItemPage, name=f"list_{kind}")
    async def list_items(workspace_id: UUID, store_id: UUID, _: StoresRead, a: AdaptersDep,
                         after: str | None = Query(None, max_length=200), limit: int = Query(50, ge=1, le=100)) -> ItemPage:
        async with unit_of_work(a.engine) as tx:
            rows = await queries.items(tx, a, workspace_id, store_id, kind, after=after, limit=limit)
        return ItemPage(items=[_item(r) for r in rows], next_after=rows[-1]["external_id"] if len(rows) == limit else None)

    @router.get(f"/{{store_id}}/{kind}/{{item_id}}", response_model=ItemOut, name=f"get_{kind}")
    async def get_item(workspace_id: UUID, store_id: UUID, item_id: UUID, _: StoresRead, a: AdaptersDep) -> ItemOut:
        async with unit_of_work(a.engine) as tx:
            return _item(await queries.item(tx, a, workspace_id, store_id, kind, item_id))


def _item(row: dict[str, Any]) -> ItemOut:
    return ItemOut(**row)


_items_routes("products")
_items_routes("orders")
