"""Event handlers that keep the gateway's identity read model in step with auth.

Each runs inside the consumer's transaction, next to the inbox row of the event, so an
event is applied exactly once. Workspace events of one workspace share a partition and
arrive in order; API-key and session events come on their own topics.
"""

from __future__ import annotations

from pydantic import BaseModel

from adly_events import EventEnvelope
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
from adly_gateway.adapters.read_model import ReadModelWriter

_schema: str | None = None


def use_schema(schema: str) -> None:
    """The schema the read model lives in; set when the gateway's settings are built."""
    global _schema
    _schema = schema


def _writer(tx) -> ReadModelWriter:
    if _schema is None:
        raise RuntimeError("the gateway's schema is not configured (build GatewaySettings first)")
    return ReadModelWriter(tx, _schema)


async def on_workspace_event(tx, envelope: EventEnvelope, payload: BaseModel) -> None:
    writer = _writer(tx)
    ws = envelope.aggregate_id
    match payload:
        case WorkspaceCreated():
            await writer.workspace_created(ws)
            await writer.set_member(ws, payload.owner_id, "owner")
        case MemberAdded():
            await writer.set_member(ws, payload.user_id, payload.role.value)
        case MemberRoleChanged():
            await writer.set_member(ws, payload.user_id, payload.new_role.value)
        case MemberRemoved():
            await writer.remove_member(ws, payload.user_id)
        case OwnershipTransferred():
            await writer.set_member(ws, payload.previous_owner_id, "admin")
            await writer.set_member(ws, payload.new_owner_id, "owner")
        case WorkspaceDeleted():
            await writer.workspace_deleted(ws)


async def on_api_key_event(tx, envelope: EventEnvelope, payload: BaseModel) -> None:
    writer = _writer(tx)
    match payload:
        case ApiKeyCreated():
            if envelope.workspace_id is None:
                raise ValueError("ApiKeyCreated without a workspace id")
            await writer.api_key_created(envelope.aggregate_id, envelope.workspace_id, payload.role.value, payload.secret_sha256)
        case ApiKeyRevoked():
            await writer.api_key_revoked(envelope.aggregate_id)


async def on_session_event(tx, envelope: EventEnvelope, payload: BaseModel) -> None:
    if isinstance(payload, SessionRevoked):
        await _writer(tx).session_revoked(str(envelope.aggregate_id), payload.user_id, envelope.occurred_at)
