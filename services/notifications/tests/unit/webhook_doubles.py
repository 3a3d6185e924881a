"""In-memory stand-ins for the webhook ports (handlers/ports.py): a store and a sender."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_events.contracts.common import Contract
from adly_notifications.adapters.container import Adapters
from adly_notifications.domain.webhooks import Address, DeliveryLog, Endpoint, Outcome, Target
from adly_notifications.handlers.ports import DueDelivery
from adly_notifications.settings import NotificationsSettings

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@dataclass
class Delivery:
    id: UUID
    webhook_id: UUID
    endpoint_id: UUID
    kind: str
    body: bytes
    state: str = "pending"
    tries: int = 0
    retry_in: float | None = None
    attempts: list[Outcome] = field(default_factory=list)


class MemoryWebhooks:
    def __init__(self) -> None:
        self.endpoints: dict[UUID, Endpoint] = {}
        self.secrets: dict[UUID, list[str]] = {}
        self.deliveries: list[Delivery] = []
        self.events: list[tuple[UUID, Contract]] = []
        self.now = NOW

    async def add(self, tx: AsyncConnection, endpoint: Endpoint, secret: str, by: str) -> None:
        self.endpoints[endpoint.id] = endpoint
        self.secrets[endpoint.id] = [secret]

    async def get(self, tx: AsyncConnection, workspace_id: UUID, endpoint_id: UUID) -> Endpoint | None:
        found = self.endpoints.get(endpoint_id)
        return found if found is not None and found.workspace_id == workspace_id else None

    async def all(self, tx: AsyncConnection, workspace_id: UUID) -> list[Endpoint]:
        return [e for e in self.endpoints.values() if e.workspace_id == workspace_id]

    async def save(self, tx: AsyncConnection, endpoint: Endpoint) -> None:
        self.endpoints[endpoint.id] = endpoint

    async def remove(self, tx: AsyncConnection, workspace_id: UUID, endpoint_id: UUID) -> bool:
        return self.endpoints.pop(endpoint_id, None) is not None

    async def rotate(self, tx: AsyncConnection, endpoint_id: UUID, secret: str, old_retires_at: datetime) -> None:
        self.secrets[endpoint_id].insert(0, secret)

    async def pause(self, tx: AsyncConnection, endpoint_id: UUID) -> None:
        self._move(endpoint_id, "pending", "waiting")

    async def resume(self, tx: AsyncConnection, endpoint_id: UUID) -> int:
        return self._move(endpoint_id, "waiting", "pending")

    def _move(self, endpoint_id: UUID, old: str, new: str) -> int:
        moved = [d for d in self.deliveries if d.endpoint_id == endpoint_id and d.state == old]
        for d in moved:
            d.state, d.tries = new, 0 if new == "pending" else d.tries
        return len(moved)

    async def enqueue(self, tx: AsyncConnection, webhook_id: UUID, workspace_id: UUID, kind: str, body: bytes) -> int:
        made = 0
        for e in self.endpoints.values():
            taken = any(d.endpoint_id == e.id and d.webhook_id == webhook_id for d in self.deliveries)
            if e.workspace_id == workspace_id and e.enabled and e.wants(kind) and not taken:
                self.deliveries.append(Delivery(UUID(int=len(self.deliveries) + 1), webhook_id, e.id, kind, body))
                made += 1
        return made

    async def due(self, tx: AsyncConnection, delivery_ids: Sequence[UUID], worker: str) -> list[DueDelivery]:
        return [self.due_of(d) for d in self.deliveries if d.id in delivery_ids and d.state == "pending"]

    def due_of(self, d: Delivery) -> DueDelivery:
        return DueDelivery(d.id, d.webhook_id, self.endpoints[d.endpoint_id], d.body, d.tries,
                           tuple(self.secrets[d.endpoint_id]))

    def delivery(self, delivery_id: UUID) -> Delivery:
        return next(d for d in self.deliveries if d.id == delivery_id)

    async def record(self, tx: AsyncConnection, delivery: DueDelivery, outcome: Outcome, state: str,
                     retry_in: float | None) -> None:
        d = self.delivery(delivery.id)
        d.state, d.tries, d.retry_in = state, d.tries + 1, retry_in
        d.attempts.append(outcome)

    async def delivered(self, tx: AsyncConnection, finished: Sequence[tuple[DueDelivery, Outcome]]) -> None:
        for due, outcome in finished:
            await self.record(tx, due, outcome, "delivered", None)

    async def succeeded(self, tx: AsyncConnection, endpoint_id: UUID) -> None:
        self.endpoints[endpoint_id] = replace(self.endpoints[endpoint_id], failing_since=None)

    async def failing(self, tx: AsyncConnection, endpoint_id: UUID) -> datetime | None:
        endpoint = self.endpoints.get(endpoint_id)
        if endpoint is None or not endpoint.enabled:
            return None
        if endpoint.failing_since is None:
            self.endpoints[endpoint_id] = endpoint = replace(endpoint, failing_since=self.now)
        return endpoint.failing_since

    async def log(self, tx: AsyncConnection, endpoint_id: UUID, limit: int, before: UUID | None) -> list[DeliveryLog]:
        return []

    async def redeliver(self, tx: AsyncConnection, endpoint_id: UUID, delivery_id: UUID) -> bool:
        found = [d for d in self.deliveries if d.id == delivery_id and d.endpoint_id == endpoint_id]
        for d in found:
            d.state, d.tries = "pending", 0
        return bool(found)

    async def record_events(self, tx: AsyncConnection, endpoint: Endpoint, events: Sequence[Contract]) -> None:
        self.events += [(endpoint.id, e) for e in events]

    def failing_for(self, endpoint_id: UUID, hours: float) -> None:
        self.endpoints[endpoint_id] = replace(self.endpoints[endpoint_id],
                                              failing_since=self.now - timedelta(hours=hours))


class ScriptedSender:
    """Resolves names from a table; answers the scripted outcomes in turn."""

    def __init__(self, names: dict[str, list[str]] | None = None) -> None:
        self.names = names or {}
        self.outcomes: list[Outcome] = []
        self.sent: list[tuple[str, UUID]] = []

    async def addresses(self, host: str) -> list[Address]:
        return [ipaddress.ip_address(a) for a in self.names.get(host, [])]

    async def send(self, target: Target, webhook_id: UUID, body: bytes, secrets: Sequence[str]) -> Outcome:
        self.sent.append((target.url, webhook_id))
        return self.outcomes.pop(0) if self.outcomes else Outcome(200, 5)


def adapters(store: MemoryWebhooks, sender: ScriptedSender, randomness: float = 0.5, **settings: Any) -> Adapters:
    values: dict[str, Any] = {"service_name": "notifications", "ADLY_DATABASE_URL": "postgresql://unused/none",
                              "ADLY_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9"}
    namespace = SimpleNamespace(settings=NotificationsSettings(**(values | settings)), webhooks=store,
                                webhook_sender=sender, webhook_random=lambda: randomness)
    return cast(Adapters, namespace)
