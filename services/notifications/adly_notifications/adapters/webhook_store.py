"""Webhook endpoints, their secrets (sealed with the kit's keyring, bound to their row), the
deliveries work table (adly_kit.worklist) and its attempts, in the service's schema."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_events.contracts.common import Contract
from adly_kit.crypto import Keyring, Sealed
from adly_kit.eventstore import EventStore
from adly_kit.recording import record
from adly_kit.sql import Statements
from adly_notifications.domain.webhooks import Attempt, DeliveryLog, Endpoint, Outcome
from adly_notifications.handlers.ports import DueDelivery

_ENDPOINT = "id, workspace_id, url, kinds, description, enabled, disabled_reason, failing_since, created_at"


def deliveries_channel(schema: str) -> str:
    return f"{schema}_webhook_deliveries"


def _endpoint(row: Sequence[Any]) -> Endpoint:
    return Endpoint(row[0], row[1], row[2], tuple(row[3]), row[4], row[5], row[6], row[7], row[8])


class WebhookRepository:
    def __init__(self, schema: str, keyring: Keyring, store: EventStore) -> None:
        self.sql = Statements(schema)
        self.keyring = keyring
        self.store = store
        self.channel = deliveries_channel(schema)

    @staticmethod
    def aad(endpoint_id: UUID, secret_id: UUID) -> bytes:
        return f"{endpoint_id}|{secret_id}|webhook-secret".encode()

    # ------------------------------------------------------------------ endpoints

    async def add(self, tx: AsyncConnection, endpoint: Endpoint, secret: str, by: str) -> None:
        await tx.execute(self.sql("""INSERT INTO {s}.webhook_endpoints (id, workspace_id, url, kinds, description,
            enabled, created_by) VALUES (:id, :w, :url, :kinds, :d, :enabled, :by)"""),
            {"id": endpoint.id, "w": endpoint.workspace_id, "url": endpoint.url, "kinds": list(endpoint.kinds),
             "d": endpoint.description, "enabled": endpoint.enabled, "by": by})
        await self._add_secret(tx, endpoint.id, secret)

    async def _add_secret(self, tx: AsyncConnection, endpoint_id: UUID, secret: str) -> None:
        secret_id = uuid.uuid4()
        sealed = self.keyring.encrypt(secret.encode(), aad=self.aad(endpoint_id, secret_id)).to_text()
        await tx.execute(self.sql("""INSERT INTO {s}.webhook_secrets (id, endpoint_id, sealed)
            VALUES (:id, :e, :sealed)"""), {"id": secret_id, "e": endpoint_id, "sealed": sealed})

    async def get(self, tx: AsyncConnection, workspace_id: UUID, endpoint_id: UUID) -> Endpoint | None:
        row = (await tx.execute(self.sql(f"""SELECT {_ENDPOINT} FROM {{s}}.webhook_endpoints
            WHERE id = :id AND workspace_id = :w"""), {"id": endpoint_id, "w": workspace_id})).first()
        return _endpoint(row) if row else None

    async def all(self, tx: AsyncConnection, workspace_id: UUID) -> list[Endpoint]:
        rows = await tx.execute(self.sql(f"""SELECT {_ENDPOINT} FROM {{s}}.webhook_endpoints
            WHERE workspace_id = :w ORDER BY created_at, id"""), {"w": workspace_id})
        return [_endpoint(row) for row in rows]

    async def save(self, tx: AsyncConnection, endpoint: Endpoint) -> None:
        await tx.execute(self.sql("""UPDATE {s}.webhook_endpoints SET url = :url, kinds = :kinds, description = :d,
            enabled = :enabled, disabled_reason = :reason, failing_since = :failing, updated_at = now()
            WHERE id = :id"""),
            {"id": endpoint.id, "url": endpoint.url, "kinds": list(endpoint.kinds), "d": endpoint.description,
             "enabled": endpoint.enabled, "reason": endpoint.disabled_reason, "failing": endpoint.failing_since})

    async def remove(self, tx: AsyncConnection, workspace_id: UUID, endpoint_id: UUID) -> bool:
        result = await tx.execute(self.sql("DELETE FROM {s}.webhook_endpoints WHERE id = :id AND workspace_id = :w"),
                                  {"id": endpoint_id, "w": workspace_id})
        return bool(result.rowcount)

    async def rotate(self, tx: AsyncConnection, endpoint_id: UUID, secret: str, old_retires_at: datetime) -> None:
        await tx.execute(self.sql("""UPDATE {s}.webhook_secrets SET retires_at = LEAST(COALESCE(retires_at, :at), :at)
            WHERE endpoint_id = :e AND (retires_at IS NULL OR retires_at > now())"""),
            {"e": endpoint_id, "at": old_retires_at})
        await self._add_secret(tx, endpoint_id, secret)

    async def pause(self, tx: AsyncConnection, endpoint_id: UUID) -> None:
        await tx.execute(self.sql("""UPDATE {s}.webhook_deliveries SET state = 'waiting', leased_by = NULL,
            leased_until = NULL WHERE endpoint_id = :e AND state = 'pending'"""), {"e": endpoint_id})

    async def resume(self, tx: AsyncConnection, endpoint_id: UUID) -> int:
        """Waiting deliveries due now, each with a fresh retry schedule."""
        result = await tx.execute(self.sql("""UPDATE {s}.webhook_deliveries SET state = 'pending', tries = 0,
            not_before = now() WHERE endpoint_id = :e AND state = 'waiting'"""), {"e": endpoint_id})
        await self._wake(tx)
        return int(result.rowcount or 0)

    async def _wake(self, tx: AsyncConnection) -> None:
        await tx.execute(self.sql("SELECT pg_notify(:channel, '')"), {"channel": self.channel})

    # ------------------------------------------------------------------ deliveries

    async def enqueue(self, tx: AsyncConnection, webhook_id: UUID, workspace_id: UUID, kind: str, body: bytes) -> int:
        """One delivery per enabled endpoint of the workspace that wants `kind`; none twice."""
        result = await tx.execute(self.sql("""
            INSERT INTO {s}.webhook_deliveries (id, webhook_id, endpoint_id, workspace_id, kind, body, state)
            SELECT gen_random_uuid(), :webhook_id, e.id, e.workspace_id, :kind, :body, 'pending'
            FROM {s}.webhook_endpoints e
            WHERE e.workspace_id = :w AND e.enabled AND (cardinality(e.kinds) = 0 OR :kind = ANY(e.kinds))
            ON CONFLICT (endpoint_id, webhook_id) DO NOTHING"""),
            {"webhook_id": webhook_id, "w": workspace_id, "kind": kind, "body": body})
        return int(result.rowcount or 0)

    async def due(self, tx: AsyncConnection, delivery_ids: Sequence[UUID], worker: str) -> list[DueDelivery]:
        """The claimed deliveries still pending and leased to `worker`, in the order asked."""
        rows = await tx.execute(self.sql(f"""
            SELECT d.id, d.webhook_id, d.body, d.tries, {', '.join('e.' + c.strip() for c in _ENDPOINT.split(','))},
                   array(SELECT s.id || ' ' || s.sealed FROM {{s}}.webhook_secrets s WHERE s.endpoint_id = e.id
                         AND (s.retires_at IS NULL OR s.retires_at > now()) ORDER BY s.created_at DESC)
            FROM {{s}}.webhook_deliveries d JOIN {{s}}.webhook_endpoints e ON e.id = d.endpoint_id
            WHERE d.id = ANY(:ids) AND d.state = 'pending' AND d.leased_by = :worker"""),
            {"ids": list(delivery_ids), "worker": worker})
        found = {}
        for row in rows:
            endpoint = _endpoint(row[4:13])
            secrets = tuple(self._open(endpoint.id, pair) for pair in row[13])
            found[row[0]] = DueDelivery(row[0], row[1], endpoint, bytes(row[2]), row[3], secrets)
        return [found[i] for i in delivery_ids if i in found]

    def _open(self, endpoint_id: UUID, pair: str) -> str:
        secret_id, sealed = pair.split(" ", 1)
        return self.keyring.decrypt(Sealed.from_text(sealed), aad=self.aad(endpoint_id, UUID(secret_id))).decode()

    async def record(self, tx: AsyncConnection, delivery: DueDelivery, outcome: Outcome, state: str,
                     retry_in: float | None) -> None:
        """The attempt in the log, and the delivery delivered, failed or due again in `retry_in` s."""
        await tx.execute(self.sql("""
            WITH attempt AS (
                INSERT INTO {s}.webhook_attempts (delivery_id, status, latency_ms, response_excerpt, error)
                SELECT id, CAST(:status AS integer), CAST(:latency AS integer), CAST(:excerpt AS text),
                       CAST(:error AS text)
                FROM {s}.webhook_deliveries WHERE id = :id)
            UPDATE {s}.webhook_deliveries SET state = :state, tries = tries + 1, leased_by = NULL,
                leased_until = NULL,
                not_before = CASE WHEN CAST(:retry_in AS double precision) IS NULL THEN NULL
                                  ELSE now() + make_interval(secs => CAST(:retry_in AS double precision)) END,
                delivered_at = CASE WHEN CAST(:state AS text) = 'delivered' THEN now() ELSE delivered_at END,
                finished_at = CASE WHEN CAST(:state AS text) IN ('delivered', 'failed') THEN now() ELSE NULL END
            WHERE id = :id"""),
            {"id": delivery.id, "status": outcome.status, "latency": outcome.latency_ms, "excerpt": outcome.excerpt,
             "error": outcome.error, "state": state, "retry_in": retry_in})

    async def delivered(self, tx: AsyncConnection, finished: Sequence[tuple[DueDelivery, Outcome]]) -> None:
        """Many delivered attempts in two statements: the attempts logged, the deliveries done."""
        await tx.execute(self.sql("""
            WITH attempt AS (
                INSERT INTO {s}.webhook_attempts (delivery_id, status, latency_ms, response_excerpt)
                SELECT u.* FROM unnest(CAST(:ids AS uuid[]), CAST(:statuses AS integer[]),
                                       CAST(:latencies AS integer[]), CAST(:excerpts AS text[])) AS u(id, s, l, e)
                JOIN {s}.webhook_deliveries d USING (id))  -- an endpoint deleted meanwhile took its deliveries
            UPDATE {s}.webhook_deliveries SET state = 'delivered', tries = tries + 1, leased_by = NULL,
                leased_until = NULL, not_before = NULL, delivered_at = now(), finished_at = now()
            WHERE id = ANY(:ids)"""),
            {"ids": [d.id for d, _ in finished], "statuses": [o.status for _, o in finished],
             "latencies": [o.latency_ms for _, o in finished], "excerpts": [o.excerpt for _, o in finished]})

    async def succeeded(self, tx: AsyncConnection, endpoint_id: UUID) -> None:
        # Touched at most once a minute while healthy: at a thousand deliveries a second to one
        # endpoint, an update each would queue every outcome behind that one row's lock.
        await tx.execute(self.sql("""UPDATE {s}.webhook_endpoints SET last_success_at = now(), failing_since = NULL
            WHERE id = :e AND (failing_since IS NOT NULL OR last_success_at IS NULL
                               OR last_success_at < now() - interval '1 minute')"""), {"e": endpoint_id})

    async def failing(self, tx: AsyncConnection, endpoint_id: UUID) -> datetime | None:
        """Since when the endpoint fails (now, at its first failure); None if it is gone or disabled.
        The update locks the row, so of two failures deciding at once the second sees it disabled."""
        row = (await tx.execute(self.sql("""UPDATE {s}.webhook_endpoints
            SET failing_since = COALESCE(failing_since, now()) WHERE id = :e AND enabled
            RETURNING failing_since"""), {"e": endpoint_id})).first()
        return row[0] if row else None

    async def redeliver(self, tx: AsyncConnection, endpoint_id: UUID, delivery_id: UUID) -> bool:
        result = await tx.execute(self.sql("""UPDATE {s}.webhook_deliveries SET state = 'pending', tries = 0,
            not_before = now(), finished_at = NULL WHERE id = :id AND endpoint_id = :e"""),
            {"id": delivery_id, "e": endpoint_id})
        await self._wake(tx)
        return bool(result.rowcount)

    async def log(self, tx: AsyncConnection, endpoint_id: UUID, limit: int, before: UUID | None) -> list[DeliveryLog]:
        """Newest first; `before`: the last delivery of the previous page."""
        rows = (await tx.execute(self.sql("""
            SELECT d.id, d.webhook_id, d.kind, d.state, d.created_at, d.delivered_at,
                   CASE WHEN d.state = 'pending' THEN d.not_before END
            FROM {s}.webhook_deliveries d
            WHERE d.endpoint_id = :e AND (CAST(:before AS uuid) IS NULL OR (d.created_at, d.id) < (
                SELECT created_at, id FROM {s}.webhook_deliveries WHERE id = :before))
            ORDER BY d.created_at DESC, d.id DESC LIMIT :limit"""),
            {"e": endpoint_id, "before": before, "limit": limit})).all()
        attempts: dict[UUID, list[Attempt]] = {row[0]: [] for row in rows}
        if attempts:
            found = await tx.execute(self.sql("""SELECT delivery_id, attempted_at, status, latency_ms, response_excerpt,
                error FROM {s}.webhook_attempts WHERE delivery_id = ANY(:ids) ORDER BY id"""), {"ids": list(attempts)})
            for a in found:
                attempts[a[0]].append(Attempt(a[1], a[2], a[3], a[4], a[5]))
        return [DeliveryLog(*row, attempts=attempts[row[0]]) for row in rows]

    async def record_events(self, tx: AsyncConnection, endpoint: Endpoint, events: Sequence[Contract]) -> None:
        """An endpoint's events are a log beside its row, appended at its next version."""
        versions = await self.store.load(tx, endpoint.id)
        await record(tx, self.store, events, aggregate_id=endpoint.id, expected_version=len(versions),
                     workspace_id=endpoint.workspace_id)
