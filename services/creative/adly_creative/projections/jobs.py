"""The jobs read model (`jobs`), fed from the event store.

Each row carries the version of the last event applied to it, and every statement below
moves it only from the version before: the repository applies new events in the writing
transaction (reads see writes at once), the projection runner replays the store behind
it, and an event arriving twice changes nothing. `rebuild` works from the events alone.
"""

from __future__ import annotations

import json

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from adly_creative.domain.job import spec_of
from adly_creative.domain.plan import plan
from adly_events import CATALOG, EventEnvelope
from adly_events.contracts.creative import (
    CreativeGenerated,
    CreativeGenerationFailed,
    CreativeJobAccepted,
    CreativeJobCancelled,
    CreativeJobProgressed,
    CreativeJobStarted,
)
from adly_kit.db import safe_schema

_NEXT = "version = :v WHERE id = :id AND version = :v - 1"


def _json(value) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


class JobProjection:
    name = "jobs"

    def __init__(self, schema: str) -> None:
        self.s = safe_schema(schema)
        self._sql: dict[str, object] = {}

    async def apply(self, tx: AsyncConnection, event: EventEnvelope) -> None:
        if event.aggregate_type != "generation_job":
            return
        payload = CATALOG.decode(event)
        at, params = event.occurred_at, {"id": event.aggregate_id, "v": event.aggregate_version}
        match payload:
            case CreativeJobAccepted():
                await self._accepted(tx, event, payload)
            case CreativeGenerationFailed() if event.aggregate_version == 1:
                await self._refused(tx, event, payload)
            case CreativeJobStarted(steps=steps):
                await self._run(tx, f"""UPDATE {{s}}.jobs SET status = 'running', steps = CAST(:steps AS jsonb),
                    steps_total = :total, started_at = :at, updated_at = :at, {_NEXT}""",
                    params | {"steps": _json(steps), "total": len(steps), "at": at})
            case CreativeJobProgressed():
                await self._progressed(tx, params, payload, at)
            case CreativeGenerated():
                await self._run(tx, f"""UPDATE {{s}}.jobs SET status = 'succeeded', cost_usd = :cost,
                    providers = CAST(:providers AS jsonb), finished_at = :at, updated_at = :at, {_NEXT}""",
                    params | {"cost": payload.cost.amount, "providers": _json(payload.providers), "at": at})
            case CreativeGenerationFailed():
                await self._run(tx, f"""UPDATE {{s}}.jobs SET status = 'failed', failure_reason = :reason,
                    failure_code = :code, cost_usd = COALESCE(:cost, cost_usd), finished_at = :at, updated_at = :at,
                    {_NEXT}""", params | {"reason": payload.reason, "code": payload.code, "at": at,
                                          "cost": payload.cost.amount if payload.cost else None})
            case CreativeJobCancelled():
                await self._run(tx, f"""UPDATE {{s}}.jobs SET status = 'cancelled', finished_at = :at, updated_at = :at,
                    {_NEXT}""", params | {"at": at})

    async def reset(self, tx: AsyncConnection) -> None:
        await tx.execute(text(f"TRUNCATE {self.s}.jobs"))

    async def _accepted(self, tx: AsyncConnection, event: EventEnvelope, payload: CreativeJobAccepted) -> None:
        spec = payload.model_dump(mode="json", exclude={"request_id", "campaign_id", "source"})
        await self._run(tx, """INSERT INTO {s}.jobs (id, workspace_id, request_id, campaign_id, source, status, spec,
                steps_total, version, created_at, accepted_at, updated_at)
            VALUES (:id, :ws, :request, :campaign, :source, 'queued', CAST(:spec AS jsonb), :total, 1, :at, :at, :at)
            ON CONFLICT (id) DO NOTHING""",
            {"id": event.aggregate_id, "ws": event.workspace_id, "request": payload.request_id,
             "campaign": payload.campaign_id, "source": payload.source, "spec": _json(spec), "at": event.occurred_at,
             "total": len(plan(spec_of(payload, event.workspace_id)))})

    async def _refused(self, tx: AsyncConnection, event: EventEnvelope, payload: CreativeGenerationFailed) -> None:
        await self._run(tx, """INSERT INTO {s}.jobs (id, workspace_id, request_id, campaign_id, source, status,
                failure_reason, failure_code, version, created_at, finished_at, updated_at)
            VALUES (:id, :ws, :request, :campaign, 'event', 'failed', :reason, :code, 1, :at, :at, :at)
            ON CONFLICT (id) DO NOTHING""",
            {"id": event.aggregate_id, "ws": event.workspace_id, "request": payload.request_id,
             "campaign": payload.campaign_id, "reason": payload.reason, "code": payload.code, "at": event.occurred_at})

    async def _progressed(self, tx: AsyncConnection, params: dict, payload: CreativeJobProgressed, at) -> None:
        dump = payload.model_dump(mode="json")
        await self._run(tx, f"""UPDATE {{s}}.jobs SET steps_done = :done, cost_usd = cost_usd + :cost,
                providers = CASE WHEN providers @> CAST(:provider AS jsonb) THEN providers
                                 ELSE providers || CAST(:provider AS jsonb) END,
                copies = copies || CAST(:copies AS jsonb), assets = assets || CAST(:assets AS jsonb),
                notes = notes || CAST(:notes AS jsonb), rejected = rejected || CAST(:rejected AS jsonb),
                updated_at = :at, {_NEXT}""",
            params | {"done": payload.steps_done, "cost": payload.cost.amount, "provider": _json([payload.provider]),
                      "copies": _json(dump["copies"]), "assets": _json(dump["assets"]), "notes": _json(payload.notes),
                      "rejected": _json([f"{payload.step}: {r}" for r in payload.rejected]), "at": at})

    async def _run(self, tx: AsyncConnection, sql: str, params: dict):
        if sql not in self._sql:
            self._sql[sql] = text(sql.replace("{s}", self.s))
        return await tx.execute(self._sql[sql], params)
