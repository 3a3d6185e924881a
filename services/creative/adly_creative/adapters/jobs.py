"""Generation jobs: the aggregate's repository over the event store, the read model's
queries, the work queue the workers claim from, and the usage ledger."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_creative.domain.job import GenerationJob
from adly_creative.domain.limits import MonthUsage
from adly_creative.projections.jobs import JobProjection
from adly_events import CATALOG
from adly_events.contracts.common import Contract
from adly_events.contracts.creative import ProviderUsage
from adly_kit.eventstore import EventStore
from adly_kit.recording import record
from adly_kit.sql import Statements
from adly_kit.worklist import Worklist


class JobRepository:
    """Loads a job from its events; saving appends the new ones at the version it was
    loaded at (a stale save is a ConcurrencyConflict: someone cancelled meanwhile) and
    applies them to the read model in the same transaction."""

    def __init__(self, store: EventStore, projection: JobProjection) -> None:
        self.store = store
        self.projection = projection

    async def load(self, tx: AsyncConnection, job_id: UUID) -> GenerationJob:
        history = await self.store.load(tx, job_id)
        workspace = history[0].workspace_id if history else None
        return GenerationJob.replay(job_id, [CATALOG.decode(e) for e in history], workspace)

    async def save(self, tx: AsyncConnection, job: GenerationJob, new_events: list[Contract], *,
                   causation_id: UUID | None = None) -> None:
        """Every event of a job is correlated by its request id, which the requester knows too."""
        if not new_events:
            return
        envelopes = await record(
            tx, self.store, new_events, aggregate_id=job.id, expected_version=job.version - len(new_events),
            workspace_id=job.workspace_id, causation_id=causation_id, correlation_id=job.request_id)
        for envelope in envelopes:
            await self.projection.apply(tx, envelope)


@dataclass(frozen=True)
class JobView:
    id: UUID
    workspace_id: UUID
    request_id: UUID
    campaign_id: UUID | None
    source: str | None
    status: str
    spec: dict | None
    steps: list[str]
    steps_done: int
    steps_total: int
    providers: list[str]
    cost_usd: Decimal
    copies: list[dict]
    assets: list[dict]
    notes: list[str]
    rejected: list[str]
    failure_reason: str | None
    failure_code: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


_COLUMNS = """id, workspace_id, request_id, campaign_id, source, status, spec, steps, steps_done, steps_total,
              providers, cost_usd, copies, assets, notes, rejected, failure_reason, failure_code, created_at,
              started_at, finished_at"""


def encode_cursor(view: JobView) -> str:
    return base64.urlsafe_b64encode(json.dumps([view.created_at.isoformat(), str(view.id)]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID] | None:
    try:
        at, job_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(at), UUID(job_id)
    except (ValueError, TypeError):
        return None


class JobQueries:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def get(self, conn: AsyncConnection, workspace_id: UUID, job_id: UUID) -> JobView | None:
        row = (await conn.execute(self.sql(f"SELECT {_COLUMNS} FROM {{s}}.jobs WHERE id = :id AND workspace_id = :w"),
                                  {"id": job_id, "w": workspace_id})).first()
        return JobView(*row) if row else None

    async def page(self, conn: AsyncConnection, workspace_id: UUID, limit: int, after: tuple[datetime, UUID] | None,
                   status: str | None) -> list[JobView]:
        """Newest first; `after` is the (created_at, id) of the last row of the previous page."""
        at, job_id = after if after else (None, None)
        rows = await conn.execute(self.sql(f"""
            SELECT {_COLUMNS} FROM {{s}}.jobs WHERE workspace_id = :w
              AND (CAST(:status AS text) IS NULL OR status = :status)
              AND (CAST(:at AS timestamptz) IS NULL OR (created_at, id) < (:at, :job))
            ORDER BY created_at DESC, id DESC LIMIT :limit"""),
            {"w": workspace_id, "status": status, "at": at, "job": job_id, "limit": limit})
        return [JobView(*row) for row in rows]


class UsageLedger:
    """One row per provider call that cost something (or nothing: offline calls are kept too), and
    the month's sums the quota and the spend cap are checked against."""

    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def record(self, tx: AsyncConnection, workspace_id: UUID, job_id: UUID, step: str,
                     usages: Sequence[ProviderUsage]) -> None:
        for usage in usages:
            await tx.execute(self.sql("""
                INSERT INTO {s}.usage_records (workspace_id, job_id, step, provider, model, input_tokens, output_tokens,
                                               characters, images, credits, cost_usd)
                VALUES (:w, :job, :step, :provider, :model, :input, :output, :characters, :images, :credits, :cost)"""),
                {"w": workspace_id, "job": job_id, "step": step, "provider": usage.provider, "model": usage.model,
                 "input": usage.input_tokens, "output": usage.output_tokens, "characters": usage.characters,
                 "images": usage.images, "credits": Decimal(usage.credits),
                 "cost": usage.cost.amount if usage.cost.currency == "USD" else Decimal(0)})

    async def month_usage(self, conn: AsyncConnection, workspace_id: UUID, since: datetime) -> MonthUsage:
        row = (await conn.execute(self.sql("""
            SELECT (SELECT count(*) FROM {s}.jobs WHERE workspace_id = :w AND accepted_at >= :since),
                   (SELECT COALESCE(sum(cost_usd), 0) FROM {s}.usage_records WHERE workspace_id = :w AND recorded_at >= :since)
            """), {"w": workspace_id, "since": since})).one()
        return MonthUsage(jobs=row[0], spend_usd=Decimal(row[1]))

    async def spend_since(self, conn: AsyncConnection, workspace_id: UUID, since: datetime) -> Decimal:
        row = (await conn.execute(self.sql("""
            SELECT COALESCE(sum(cost_usd), 0) FROM {s}.usage_records WHERE workspace_id = :w AND recorded_at >= :since"""),
            {"w": workspace_id, "since": since})).one()
        return Decimal(row[0])

    async def lock_workspace(self, tx: AsyncConnection, workspace_id: UUID) -> None:
        """Serialise acceptances of one workspace, so two at once cannot both take the last job of the quota."""
        await tx.execute(self.sql("SELECT pg_advisory_xact_lock(hashtextextended('creative-quota:' || :w, 0))"),
                         {"w": str(workspace_id)})


def jobs_channel(schema: str) -> str:
    """Where the queue's insert trigger NOTIFYs at commit (migration 0002), so workers wake at once."""
    return f"adly_{schema}_jobs"


class JobQueue:
    """The work table `run_worklist` claims from: queued and running jobs whose lease ran out."""

    def __init__(self, schema: str, lease_seconds: float) -> None:
        self.sql = Statements(schema)
        self.worklist = Worklist(schema, "job_queue", runnable_states=["queued", "running"], lease_seconds=lease_seconds)

    async def enqueue(self, tx: AsyncConnection, job_id: UUID, workspace_id: UUID) -> None:
        await tx.execute(self.sql("""INSERT INTO {s}.job_queue (id, workspace_id, state) VALUES (:id, :w, 'queued')
                                     ON CONFLICT (id) DO NOTHING"""), {"id": job_id, "w": workspace_id})

    async def running(self, tx: AsyncConnection, job_id: UUID) -> int:
        """Mark the job taken; returns how many times a worker has taken it (this one included)."""
        row = (await tx.execute(self.sql("""UPDATE {s}.job_queue SET state = 'running', attempts = attempts + 1
                                            WHERE id = :id RETURNING attempts"""), {"id": job_id})).first()
        return row[0] if row else 1

    async def finish(self, tx: AsyncConnection, job_id: UUID) -> None:
        await tx.execute(self.sql("""UPDATE {s}.job_queue SET state = 'finished', leased_by = NULL, leased_until = NULL
                                     WHERE id = :id"""), {"id": job_id})

    async def postpone(self, tx: AsyncConnection, job_id: UUID, worker: str, seconds: float) -> None:
        await tx.execute(self.sql("""UPDATE {s}.job_queue SET leased_by = NULL, leased_until = NULL,
                                            not_before = now() + make_interval(secs => :secs)
                                     WHERE id = :id AND leased_by = :worker"""),
                         {"id": job_id, "worker": worker, "secs": seconds})

    async def age_seconds(self, conn: AsyncConnection, job_id: UUID) -> float:
        row = (await conn.execute(self.sql("SELECT extract(epoch FROM now() - created_at) FROM {s}.job_queue WHERE id = :id"),
                                  {"id": job_id})).first()
        return float(row[0]) if row else 0.0
