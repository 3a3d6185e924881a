"""Subscriptions of the gateway to auth's topics: the identity read model, one consumer group each.

Each handler receives its event's payload model and applies it, through the read model's
port, in the consumer's transaction (`delivery.tx`).
"""

from __future__ import annotations

from adly_events.contracts.auth import (
    ApiKeyCreated,
    ApiKeyRevoked,
    MemberAdded,
    MemberRemoved,
    MemberRoleChanged,
    OwnershipTransferred,
    SessionRevoked,
    WorkspaceCreated,
    WorkspaceDeleted,
)
from adly_gateway.adapters.container import Adapters
from adly_gateway.handlers import read_model
from adly_kit.service import Delivery, Subscription

workspaces = Subscription("workspaces")
api_keys = Subscription("api_keys")
sessions = Subscription("sessions")
subscriptions: list[Subscription] = [workspaces, api_keys, sessions]


@workspaces.on(WorkspaceCreated)
async def workspace_created(event: WorkspaceCreated, delivery: Delivery[Adapters]) -> None:
    await read_model.workspace_created(delivery.tx, delivery.adapters.identities, delivery.envelope.aggregate_id, event)


@workspaces.on(MemberAdded)
async def member_added(event: MemberAdded, delivery: Delivery[Adapters]) -> None:
    await read_model.member_added(delivery.tx, delivery.adapters.identities, delivery.envelope.aggregate_id, event)


@workspaces.on(MemberRoleChanged)
async def member_role_changed(event: MemberRoleChanged, delivery: Delivery[Adapters]) -> None:
    await read_model.member_role_changed(delivery.tx, delivery.adapters.identities, delivery.envelope.aggregate_id, event)


@workspaces.on(MemberRemoved)
async def member_removed(event: MemberRemoved, delivery: Delivery[Adapters]) -> None:
    await read_model.member_removed(delivery.tx, delivery.adapters.identities, delivery.envelope.aggregate_id, event)


@workspaces.on(OwnershipTransferred)
async def ownership_transferred(event: OwnershipTransferred, delivery: Delivery[Adapters]) -> None:
    await read_model.ownership_transferred(delivery.tx, delivery.adapters.identities, delivery.envelope.aggregate_id,
                                           event)


@workspaces.on(WorkspaceDeleted)
async def workspace_deleted(event: WorkspaceDeleted, delivery: Delivery[Adapters]) -> None:
    await read_model.workspace_deleted(delivery.tx, delivery.adapters.identities, delivery.envelope.aggregate_id, event)


@api_keys.on(ApiKeyCreated)
async def api_key_created(event: ApiKeyCreated, delivery: Delivery[Adapters]) -> None:
    envelope = delivery.envelope
    await read_model.api_key_created(delivery.tx, delivery.adapters.identities, envelope.aggregate_id,
                                     envelope.workspace_id, event)


@api_keys.on(ApiKeyRevoked)
async def api_key_revoked(event: ApiKeyRevoked, delivery: Delivery[Adapters]) -> None:
    await read_model.api_key_revoked(delivery.tx, delivery.adapters.identities, delivery.envelope.aggregate_id, event)


@sessions.on(SessionRevoked)
async def session_revoked(event: SessionRevoked, delivery: Delivery[Adapters]) -> None:
    envelope = delivery.envelope
    await read_model.session_revoked(delivery.tx, delivery.adapters.identities, envelope.aggregate_id,
                                     envelope.occurred_at, event)
