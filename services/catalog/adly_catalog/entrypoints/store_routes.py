"""/v1/workspaces/{workspace_id}/stores: connect, list, disconnect, sync, and read what synced."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Response

from adly_catalog.adapters.stores import StoreRow
from adly_catalog.adapters.syncs import SyncRow
from adly_catalog.domain.sync import changes_since
from adly_catalog.entrypoints.deps import (
    AdaptersDep,
    StoresConnect,
    StoresDisconnect,
    StoresRead,
    StoresSync,
    merchant_errors,
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
from adly_catalog.handlers import connecting, disconnecting
from adly_events.contracts.catalog import DisconnectReason, StorePlatform, SyncKind
from adly_kit.identity import Identity

router = APIRouter(prefix="/v1/workspaces/{workspace_id}/stores", tags=["stores"])


def store_out(row: StoreRow) -> StoreOut:
    return StoreOut(id=row.id, platform=row.platform, domain=row.domain, name=row.name, currency=row.currency,
                    status=row.status, connected_at=row.connected_at, disconnected_at=row.disconnected_at,
                    disconnect_reason=row.disconnect_reason, last_synced_at=row.last_synced_at, webhooks=len(row.webhook_ids))


def sync_out(row: SyncRow) -> SyncOut:
    position = row.position
    return SyncOut(id=row.id, store_id=row.store_id, kind=row.kind, state=row.state,
                   resource=None if position.done or row.state not in ("queued", "running") else position.resource.value,
                   progress={r.value: c.__dict__ for r, c in position.counts.items()}, error=row.error,
                   created_at=row.created_at, started_at=row.started_at, finished_at=row.finished_at)


def _user(identity: Identity) -> UUID | None:
    return identity.user_id


async def _store(a, workspace_id: UUID, store_id: UUID) -> StoreRow:
    async with a.engine.connect() as conn:
        row = await a.stores.in_workspace(conn, workspace_id, store_id)
    if row is None:
        raise HTTPException(404, "No such store.")
    return row


@router.get("", response_model=list[StoreOut])
async def list_stores(workspace_id: UUID, _: StoresRead, a: AdaptersDep) -> list[StoreOut]:
    """The workspace's stores, connected or not."""
    async with a.engine.connect() as conn:
        return [store_out(row) for row in await a.stores.of_workspace(conn, workspace_id)]


@router.post("/connections", status_code=201, response_model=Authorization)
async def start_connection(workspace_id: UUID, body: NewConnection, who: StoresConnect, a: AdaptersDep) -> Authorization:
    """Begin connecting a store by OAuth (Shopify, Salla, Zid) or WooCommerce's app authorization."""
    domain = getattr(body, "shop", None)
    if body.platform == "woocommerce":
        with merchant_errors():
            domain = await a.platforms[StorePlatform.WOOCOMMERCE].check_site_url(body.site_url)
    with merchant_errors():
        started = await connecting.start_authorization(a, StorePlatform(body.platform), workspace_id, _user(who), domain)
    return Authorization(authorize_url=started.authorize_url, expires_in=started.expires_in)


@router.post("", status_code=201, response_model=StoreOut)
async def connect_with_keys(workspace_id: UUID, body: WooCommerceKeys, who: StoresConnect, a: AdaptersDep) -> StoreOut:
    """Connect a WooCommerce store with REST API keys; its first full sync starts at once."""
    with merchant_errors():
        row = await connecting.connect_with_keys(a, workspace_id, _user(who), body.site_url, body.consumer_key,
                                                 body.consumer_secret)
    return store_out(row)


@router.get("/{store_id}", response_model=StoreOut)
async def get_store(workspace_id: UUID, store_id: UUID, _: StoresRead, a: AdaptersDep) -> StoreOut:
    return store_out(await _store(a, workspace_id, store_id))


@router.delete("/{store_id}", status_code=204)
async def disconnect_store(workspace_id: UUID, store_id: UUID, _: StoresDisconnect, a: AdaptersDep) -> Response:
    """Remove ADLY's access: credentials deleted, webhooks removed, syncs stopped. Synced data stays."""
    await disconnecting.disconnect(a, await _store(a, workspace_id, store_id), DisconnectReason.MERCHANT)
    return Response(status_code=204)


@router.post("/{store_id}/syncs", status_code=202, response_model=SyncOut)
async def start_sync(workspace_id: UUID, store_id: UUID, body: SyncRequest, who: StoresSync, a: AdaptersDep) -> SyncOut:
    """Sync now; a sync already queued or running is returned instead of starting a second."""
    store = await _store(a, workspace_id, store_id)
    if store.status != "connected":
        raise HTTPException(409, "The store is disconnected; connect it again first.")
    since = changes_since(store.last_synced_at) if body.kind is SyncKind.INCREMENTAL else None
    kind = SyncKind.INCREMENTAL if since is not None else SyncKind.FULL
    async with a.engine.begin() as tx:
        sync_id, _ = await a.syncs.queue(tx, store.id, workspace_id, kind, since, _user(who))
        return sync_out(await a.syncs.get(tx, sync_id))


@router.get("/{store_id}/syncs", response_model=list[SyncOut])
async def list_syncs(workspace_id: UUID, store_id: UUID, _: StoresRead, a: AdaptersDep,
                     limit: int = Query(20, ge=1, le=100)) -> list[SyncOut]:
    await _store(a, workspace_id, store_id)
    async with a.engine.connect() as conn:
        return [sync_out(row) for row in await a.syncs.of_store(conn, store_id, limit)]


@router.get("/{store_id}/syncs/{sync_id}", response_model=SyncOut)
async def get_sync(workspace_id: UUID, store_id: UUID, sync_id: UUID, _: StoresRead, a: AdaptersDep) -> SyncOut:
    await _store(a, workspace_id, store_id)
    async with a.engine.connect() as conn:
        row = await a.syncs.get(conn, sync_id)
    if row is None or row.store_id != store_id:
        raise HTTPException(404, "No such sync.")
    return sync_out(row)


def _items_routes(kind: str) -> None:
    @router.get(f"/{{store_id}}/{kind}", response_model=ItemPage, name=f"list_{kind}")
    async def list_items(workspace_id: UUID, store_id: UUID, _: StoresRead, a: AdaptersDep,
                         after: str | None = Query(None, max_length=200), limit: int = Query(50, ge=1, le=100)) -> ItemPage:
        await _store(a, workspace_id, store_id)
        async with a.engine.connect() as conn:
            rows = await a.mirror.page_of(conn, kind, store_id, after=after, limit=limit)
        return ItemPage(items=[ItemOut(**r) for r in rows], next_after=rows[-1]["external_id"] if len(rows) == limit else None)

    @router.get(f"/{{store_id}}/{kind}/{{item_id}}", response_model=ItemOut, name=f"get_{kind}")
    async def get_item(workspace_id: UUID, store_id: UUID, item_id: UUID, _: StoresRead, a: AdaptersDep) -> ItemOut:
        await _store(a, workspace_id, store_id)
        async with a.engine.connect() as conn:
            row = await a.mirror.one(conn, kind, store_id, item_id)
        if row is None:
            raise HTTPException(404, f"No such {kind[:-1]}.")
        return ItemOut(**row)


_items_routes("products")
_items_routes("orders")
