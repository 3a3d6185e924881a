"""Disconnecting through adly_catalog.handlers on in-memory ports: by the merchant (webhooks
dropped after the commit), and every store of a deleted workspace, caused by that event."""

from __future__ import annotations

import uuid

from adly_catalog.entrypoints.consumers import deleted_workspaces
from adly_catalog.handlers import disconnecting
from adly_events import CATALOG
from adly_events.contracts.auth import WorkspaceDeleted
from adly_events.contracts.catalog import DisconnectReason, StoreDisconnected, SyncKind
from adly_kit.testing.doubles import NO_DATABASE

from .doubles import connected_store, world


async def test_a_merchant_disconnect_deletes_the_credentials_stops_syncs_then_drops_the_webhooks():
    w = world()
    store = await connected_store(w)
    sync_id, _ = await w.syncs.queue(NO_DATABASE, store.id, store.workspace_id, SyncKind.FULL, None, None)
    gone = await disconnecting.disconnect(NO_DATABASE, w.a, store.id, DisconnectReason.MERCHANT, unsubscribing=True)
    assert gone is not None and store.id not in w.vault.sealed
    assert w.syncs.rows[sync_id].state == "cancelled" and w.platform.unsubscribed == []  # not before the commit
    await disconnecting.unsubscribe(w.a, gone)
    assert w.platform.unsubscribed == ["hook-1"]
    assert await disconnecting.disconnect(NO_DATABASE, w.a, store.id, DisconnectReason.MERCHANT) is None
    assert len(w.log.of(StoreDisconnected)) == 1


async def test_a_deleted_workspace_disconnects_its_stores_and_says_which_event_caused_it():
    w, workspace_id, correlation = world(), uuid.uuid4(), uuid.uuid4()
    first = await connected_store(w, workspace_id, "one.example")
    second = await connected_store(w, workspace_id, "two.example")
    other = await connected_store(w, uuid.uuid4(), "three.example")
    deleted = WorkspaceDeleted(deleted_by=uuid.uuid4())
    envelope = CATALOG.envelope(deleted, aggregate_id=workspace_id, aggregate_version=3, workspace_id=workspace_id,
                                correlation_id=correlation)
    await deleted_workspaces.dispatch(w.a, NO_DATABASE, envelope, deleted)
    disconnected = [e for e in w.log if isinstance(e.payload, StoreDisconnected)]
    assert {e.aggregate_id for e in disconnected} == {first.id, second.id}
    assert {(e.causation_id, e.correlation_id) for e in disconnected} == {(envelope.event_id, correlation)}
    assert w.stores.rows[other.id].connected and w.platform.unsubscribed == []  # webhooks are left to lapse
    await deleted_workspaces.dispatch(w.a, NO_DATABASE, envelope, deleted)  # redelivered: nothing more
    assert len(w.log.of(StoreDisconnected)) == 2
