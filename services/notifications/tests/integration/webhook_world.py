"""The notifications service's webhooks on a real Postgres schema, with a real receiver.

`Receiver` is a Standard Webhooks receiver on 127.0.0.1 in a thread of its own: it verifies
every delivery with the `standardwebhooks` package, as a merchant's system would, and answers
what the test scripted (statuses in turn, a slow answer, a large one). Its host:port is the
one private address the service is allowed to call (ADLY_WEBHOOK_PRIVATE_HOSTS).

Used by the webhook tests in this folder and by bench/notifications.py.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import text
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adly_kit import migrations
from adly_kit.app import create_app
from adly_kit.identity import HEADER, sign
from adly_kit.service import Runtime
from adly_kit.testing.plugin import drop_schema
from adly_notifications.adapters.container import Adapters
from adly_notifications.bootstrap import MIGRATIONS, build
from adly_notifications.domain.notices import Notice
from adly_notifications.settings import NotificationsSettings
from tests.fakes.server import FakeServer, hold


@dataclass(frozen=True)
class Received:
    webhook_id: str
    timestamp: str
    signature: str
    body: bytes
    verified_with: tuple[int, ...]   # which of the receiver's secrets verified it
    payload: Any


class Receiver(FakeServer):
    """Answers `script` in turn (then `default`); `slow` holds an answer until the caller hangs
    up; `answer_bytes` pads every answer to that size."""

    def __init__(self, *, script: list[int] | None = None, default: int = 200) -> None:
        super().__init__()
        self.secrets: list[str] = []
        self.script = list(script or [])
        self.default = default
        self.slow = threading.Event()
        self.answer_bytes = 0
        self.received: list[Received] = []
        self.unverified = 0
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/hooks", self._hook, methods=["POST"])])

    @property
    def hook_url(self) -> str:
        return f"{self.url}/hooks"

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def _hook(self, request: Request) -> Response:
        body = await request.body()
        headers = dict(request.headers)
        verified = tuple(i for i, secret in enumerate(list(self.secrets)) if _verifies(secret, body, headers))
        with self._lock:
            if not verified:
                self.unverified += 1
            self.received.append(Received(headers.get("webhook-id", ""), headers.get("webhook-timestamp", ""),
                                          headers.get("webhook-signature", ""), body, verified,
                                          Webhook(self.secrets[verified[0]]).verify(body, headers) if verified else None))
            status = self.script.pop(0) if self.script else self.default
        if self.slow.is_set() and not await hold(request, seconds=30):
            return Response(status_code=status)
        return Response(b'{"ok": false, "why": "scripted"}'.ljust(max(self.answer_bytes, 1), b" "),
                        status_code=status, media_type="application/json")

    def ids(self) -> list[str]:
        with self._lock:
            return [r.webhook_id for r in self.received]


def _verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        Webhook(secret).verify(body, headers)
        return True
    except Exception:
        return False


def notifications_settings(database_url: str, **overrides: Any) -> NotificationsSettings:
    values: dict[str, Any] = {
        "service_name": "notifications", "database_schema": f"n{uuid.uuid4().hex[:12]}", "environment": "test",
        "ADLY_DATABASE_URL": database_url, "ADLY_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9",  # never connected
        "kafka_broker_kind": "tansu", "topic_partitions": 3, "topic_replication_factor": 1,
        "topic_min_insync_replicas": 1, "webhook_timeout_seconds": 2.0,
    }
    return NotificationsSettings(**(values | overrides))


@dataclass
class Service:
    a: Adapters
    http: httpx.AsyncClient
    settings: NotificationsSettings

    def member(self, workspace_id: UUID, role: str = "owner", mfa: bool = True) -> dict[str, str]:
        claims = {"sub": str(uuid.uuid4()), "kind": "user", "ws": str(workspace_id), "role": role, "mfa": mfa}
        return {HEADER: sign(claims, self.settings.internal_identity_key.get_secret_value().encode())}

    async def register(self, workspace_id: UUID, url: str, kinds: list[str] | None = None) -> httpx.Response:
        return await self.http.post(f"/v1/workspaces/{workspace_id}/webhooks", json={"url": url, "kinds": kinds or []},
                                    headers=self.member(workspace_id))

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.a.engine.connect() as conn:
            return list(await conn.execute(text(sql.replace("{s}", self.settings.schema)), params))

    async def run(self, sql: str, **params: Any) -> None:
        async with self.a.engine.begin() as tx:
            await tx.execute(text(sql.replace("{s}", self.settings.schema)), params)

    async def due_now(self) -> None:
        """The retry clock moved on: every waiting retry is due."""
        await self.run("UPDATE {s}.webhook_deliveries SET not_before = now() WHERE state = 'pending'")


@asynccontextmanager
async def notifications_service(settings: NotificationsSettings) -> AsyncIterator[Service]:
    """The service's adapters and API (no runner, no broker) on a freshly migrated schema, dropped afterwards."""
    await asyncio.to_thread(migrations.upgrade, settings, str(MIGRATIONS))
    runtime = Runtime(build(), settings)
    try:
        a = await runtime.open(("api",))
        app = create_app(runtime, ("api",))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://notifications.adly.test") as http:
            yield Service(a, http, settings)
    finally:
        await runtime.close()
        await drop_schema(settings)


def a_notice(workspace_id: UUID, kind: str = "sync.failed", **data: Any) -> Notice:
    return Notice(kind=kind, workspace_id=workspace_id, source_event_id=uuid.uuid4(), occurred_at=datetime.now(UTC),
                  params={"reason": "token expired"}, data=data or {"store_id": str(uuid.uuid4()),
                                                                  "reason": "token expired"})
