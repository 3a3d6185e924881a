"""The notifications service in-process on a freshly migrated schema (real Postgres; the real
broker when it consumes), with requests signed as the gateway signs them, and a workspace
whose members auth's events made: one of each role.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
from aiokafka import AIOKafkaProducer
from sqlalchemy import text

from adly_events import CATALOG, EventEnvelope
from adly_events.contracts.auth import MemberAdded, WorkspaceCreated, WorkspaceRole
from adly_events.contracts.common import Contract
from adly_kit import migrations
from adly_kit.app import create_app
from adly_kit.db import unit_of_work
from adly_kit.identity import sign
from adly_kit.service import Runtime
from adly_kit.settings import ServiceSettings
from adly_kit.testing.plugin import drop_schema
from adly_notifications.adapters.container import Adapters
from adly_notifications.bootstrap import MIGRATIONS, build
from adly_notifications.settings import NotificationsSettings


def notifications_settings(base: ServiceSettings, **overrides: Any) -> NotificationsSettings:
    values = base.model_dump(exclude={"service_name"}) | {"service_name": base.service_name, "environment": "test"}
    return NotificationsSettings(**(values | overrides))


@dataclass
class Team:
    workspace_id: UUID
    owner: UUID
    admin: UUID
    marketer: UUID
    analyst: UUID
    version: int = 4  # the workspace aggregate's version after its members joined


class Notifications:
    def __init__(self, client: httpx.AsyncClient, settings: NotificationsSettings, adapters: Adapters) -> None:
        self.client, self.settings, self.adapters = client, settings, adapters

    # -- requests through the gateway's door -----------------------------------------------------

    def as_member(self, workspace_id: UUID, user: UUID | str, role: str = "owner", kind: str = "user",
                  language: str | None = None) -> dict[str, str]:
        claims = {"sub": str(user), "kind": kind, "ws": str(workspace_id), "role": role, "sid": str(uuid.uuid4()),
                  "mfa": False, "rid": "test"}
        headers = {"X-Adly-Identity": sign(claims, self.settings.internal_identity_key.get_secret_value().encode())}
        return headers | ({"Accept-Language": language} if language else {})

    async def feed(self, workspace_id: UUID, user: UUID, role: str = "owner", **query: Any) -> dict[str, Any]:
        response = await self.client.get(f"/v1/workspaces/{workspace_id}/notifications", params=query,
                                          headers=self.as_member(workspace_id, user, role))
        assert response.status_code == 200, response.text
        return response.json()

    async def unread(self, workspace_id: UUID, user: UUID) -> int:
        response = await self.client.get(f"/v1/workspaces/{workspace_id}/notifications/unread-count",
                                          headers=self.as_member(workspace_id, user))
        assert response.status_code == 200, response.text
        return int(response.json()["unread"])

    # -- events, handled as the consumer handles them (its transaction, our handlers) -----------

    async def consume(self, event: Contract, workspace_id: UUID, *, aggregate_id: UUID | None = None,
                      version: int = 1, sent: EventEnvelope | None = None) -> EventEnvelope:
        sent = sent or CATALOG.envelope(event, aggregate_id=aggregate_id or uuid.uuid4(), aggregate_version=version,
                                        workspace_id=workspace_id)
        subscription = next(s for s in build().subscriptions if type(event) in s.handlers)
        async with unit_of_work(self.adapters.engine) as tx:
            await subscription.dispatch(self.adapters, tx, sent, event)
        return sent

    async def team(self) -> Team:
        """The workspace's members, each having read the notices of their joining (a clean slate)."""
        team = Team(uuid.uuid4(), *(uuid.uuid4() for _ in range(4)))
        for version, event in enumerate(team_events(team), start=1):
            await self.consume(event, team.workspace_id, aggregate_id=team.workspace_id, version=version)
        for user in (team.owner, team.admin, team.marketer, team.analyst):
            response = await self.client.post(f"/v1/workspaces/{team.workspace_id}/notifications/read-all",
                                              headers=self.as_member(team.workspace_id, user))
            assert response.status_code == 200, response.text
        return team

    async def items(self, workspace_id: UUID, user: UUID, kind: str = "sync.failed") -> list[dict[str, Any]]:
        """The member's feed items of one kind, newest first."""
        page = await self.feed(workspace_id, user, limit=100)
        return [i for i in page["items"] if i["kind"] == kind]

    # -- reading back ------------------------------------------------------------------------------

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.adapters.engine.connect() as conn:
            return list(await conn.execute(text(sql.replace("{s}", self.settings.schema)), params))

    async def scalar(self, sql: str, **params: Any) -> Any:
        return (await self.rows(sql, **params))[0][0]


def team_events(team: Team) -> list[Contract]:
    return [WorkspaceCreated(name="Oud House", owner_id=team.owner),
            *(MemberAdded(user_id=user, role=WorkspaceRole(role), invited_by=team.owner)
              for user, role in ((team.admin, "admin"), (team.marketer, "marketer"), (team.analyst, "analyst")))]


@asynccontextmanager
async def running(settings: NotificationsSettings, roles: tuple[str, ...] = ("api",),
                  consume: bool = False) -> AsyncIterator[Notifications]:
    """`consume`: run the subscriptions (and the relay) on the real broker; joining the
    consumer groups costs seconds, so only the tests of the event path pay for it."""
    await asyncio.to_thread(migrations.upgrade, settings, str(MIGRATIONS))
    service = build()
    service.background = []  # the webhook runner is not what these tests are about
    if not consume:
        service.subscriptions = []
    runtime = Runtime(service, settings)
    app = create_app(runtime, roles)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="https://notifications.adly.test") as client:
                yield Notifications(client, settings, runtime.adapters)
    finally:
        await drop_schema(settings)


async def publish(bootstrap: str, event: Contract, workspace_id: UUID, *, aggregate_id: UUID,
                  version: int = 1) -> EventEnvelope:
    sent = CATALOG.envelope(event, aggregate_id=aggregate_id, aggregate_version=version, workspace_id=workspace_id)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(CATALOG.type_of(event).topic, sent.to_json(), key=sent.key)
    finally:
        await producer.stop()
    return sent

