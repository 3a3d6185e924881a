"""Workspaces: the aggregate's repository over the event store, the read model's queries,
and invitations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_auth.domain.records import Invitation
from adly_auth.domain.secrets import random_token, sha256
from adly_auth.domain.workspace import Workspace
from adly_auth.projections.workspaces import WorkspaceProjection
from adly_events import CATALOG
from adly_events.contracts.common import Contract
from adly_kit.eventstore import EventStore
from adly_kit.recording import record
from adly_kit.sql import Statements, utc_now


class WorkspaceRepository:
    """Loads a workspace from its events; saving appends the new ones at the version it
    was loaded at (a stale save is a ConcurrencyConflict) and applies them to the read
    model in the same transaction, so reads after a write see it."""

    def __init__(self, store: EventStore, projection: WorkspaceProjection) -> None:
        self.store = store
        self.projection = projection

    async def load(self, tx: AsyncConnection, workspace_id: UUID) -> Workspace:
        history = await self.store.load(tx, workspace_id)
        return Workspace.replay(workspace_id, [CATALOG.decode(envelope) for envelope in history])

    async def save(self, tx: AsyncConnection, workspace: Workspace, new_events: Sequence[Contract]) -> None:
        if not new_events:
            return
        envelopes = await record(
            tx, self.store, new_events, aggregate_id=workspace.id,
            expected_version=workspace.version - len(new_events), workspace_id=workspace.id,
        )
        for envelope in envelopes:
            await self.projection.apply(tx, envelope)


@dataclass(frozen=True)
class WorkspaceView:
    id: UUID
    name: str
    role: str
    created_at: datetime


@dataclass(frozen=True)
class MemberView:
    user_id: UUID
    email: str
    role: str
    joined_at: datetime


class WorkspaceQueries:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def mine(self, tx: AsyncConnection, user_id: UUID) -> list[WorkspaceView]:
        rows = await tx.execute(self.sql("""
            SELECT w.id, w.name, m.role, w.created_at FROM {s}.workspace_members m
            JOIN {s}.workspaces w ON w.id = m.workspace_id
            WHERE m.user_id = :u AND w.deleted_at IS NULL ORDER BY w.created_at"""), {"u": user_id})
        return [WorkspaceView(*row) for row in rows]

    async def one(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID) -> WorkspaceView | None:
        row = (await tx.execute(self.sql("""
            SELECT w.id, w.name, m.role, w.created_at FROM {s}.workspace_members m
            JOIN {s}.workspaces w ON w.id = m.workspace_id
            WHERE m.user_id = :u AND w.id = :w AND w.deleted_at IS NULL"""), {"u": user_id, "w": workspace_id})).first()
        return WorkspaceView(*row) if row else None

    async def role(self, tx: AsyncConnection, workspace_id: UUID, user_id: UUID) -> str | None:
        view = await self.one(tx, workspace_id, user_id)
        return view.role if view else None

    async def by_id(self, tx: AsyncConnection, workspace_id: UUID) -> WorkspaceView | None:
        row = (await tx.execute(self.sql("""SELECT id, name, '', created_at FROM {s}.workspaces
                                            WHERE id = :w AND deleted_at IS NULL"""), {"w": workspace_id})).first()
        return WorkspaceView(*row) if row else None

    async def exists(self, tx: AsyncConnection, workspace_id: UUID) -> bool:
        row = (await tx.execute(self.sql("SELECT 1 FROM {s}.workspaces WHERE id = :w AND deleted_at IS NULL"),
                                {"w": workspace_id})).first()
        return row is not None

    async def members(self, tx: AsyncConnection, workspace_id: UUID) -> list[MemberView]:
        rows = await tx.execute(self.sql("""
            SELECT m.user_id, u.email, m.role, m.joined_at FROM {s}.workspace_members m
            JOIN {s}.users u ON u.id = m.user_id WHERE m.workspace_id = :w ORDER BY m.joined_at"""), {"w": workspace_id})
        return [MemberView(*row) for row in rows]

    async def contacts(self, tx: AsyncConnection, workspace_id: UUID, user_ids: Sequence[UUID]) -> list[ContactView]:
        """How to reach those of `user_ids` who are members of the live workspace now."""
        rows = await tx.execute(self.sql("""
            SELECT u.id, u.email, u.email_verified_at IS NOT NULL, u.language, u.time_zone
            FROM {s}.workspace_members m JOIN {s}.workspaces w ON w.id = m.workspace_id
            JOIN {s}.users u ON u.id = m.user_id
            WHERE m.workspace_id = :w AND w.deleted_at IS NULL AND m.user_id = ANY(CAST(:ids AS uuid[]))
            ORDER BY u.id"""), {"w": workspace_id, "ids": list(user_ids)})
        return [ContactView(*row) for row in rows]


@dataclass(frozen=True)
class ContactView:
    user_id: UUID
    email: str
    email_verified: bool
    language: str
    time_zone: str


class Invitations:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def create(self, tx: AsyncConnection, workspace_id: UUID, email: str, role: str, by: UUID, ttl: timedelta
                     ) -> tuple[Invitation, str]:
        token = random_token()
        invitation = Invitation(uuid.uuid4(), workspace_id, email, role, by, utc_now() + ttl, None)
        await tx.execute(self.sql("""
            INSERT INTO {s}.invitations (id, workspace_id, email, role, token_sha256, invited_by, expires_at)
            VALUES (:id, :w, :e, :r, :h, :by, :exp)"""),
            {"id": invitation.id, "w": workspace_id, "e": email, "r": role, "h": sha256(token), "by": by,
             "exp": invitation.expires_at})
        return invitation, token

    async def by_token(self, tx: AsyncConnection, token: str) -> Invitation | None:
        row = (await tx.execute(self.sql("""
            SELECT id, workspace_id, email, role, invited_by, expires_at, accepted_at FROM {s}.invitations
            WHERE token_sha256 = :h FOR UPDATE"""), {"h": sha256(token)})).first()
        return Invitation(*row) if row else None

    async def mark_accepted(self, tx: AsyncConnection, invitation_id: UUID) -> None:
        await tx.execute(self.sql("UPDATE {s}.invitations SET accepted_at = now() WHERE id = :id"), {"id": invitation_id})
