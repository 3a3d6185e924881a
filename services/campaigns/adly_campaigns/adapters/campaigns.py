"""Campaigns: the aggregate's repository over the event store, and the read model's queries.

Saving appends the new events at the version the campaign was loaded at (a stale save is a
ConcurrencyConflict) and writes the campaign's snapshot row in the same transaction, so a
read after a write sees it and the row never runs ahead of the events.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_campaigns.domain.campaign import Campaign
from adly_events import CATALOG
from adly_events.contracts.common import Contract
from adly_kit.errors import InvalidInput
from adly_kit.eventstore import EventStore
from adly_kit.recording import record
from adly_kit.sql import Statements


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


def snapshot(campaign: Campaign) -> dict[str, Any]:
    plan = campaign.current_plan
    return {
        "id": campaign.id, "version": campaign.version, "name": campaign.name, "state": campaign.state.value,
        "objective": plan.objective.value, "platforms": [p.value for p in plan.platforms],
        "plan": _json(plan.model_dump(mode="json")),
        "ads": _json([ad.model_dump(mode="json") for ad in campaign.ads]),
        "runs": _json({p.value: {
            "status": run.status, "ad_account_id": run.ad_account_id, "platform_campaign_id": run.platform_campaign_id,
            "ads": [ad.model_dump(mode="json") for ad in run.ads.values()], "reason": run.reason,
            "error_code": run.error_code, "retryable": run.retryable} for p, run in campaign.platforms.items()}),
        "reviews": _json({str(k): v for k, v in campaign.reviews.items()}),
        "brief": campaign.brief, "drafted_by": campaign.drafted_by, "approved_by": campaign.approved_by,
        "last_rejection": campaign.last_rejection, "creatives_request": campaign.creatives_request,
    }


class CampaignRepository:
    def __init__(self, store: EventStore, schema: str) -> None:
        self.store = store
        self.sql = Statements(schema)

    async def load(self, tx: AsyncConnection, campaign_id: UUID) -> Campaign:
        history = await self.store.load(tx, campaign_id)
        return Campaign.replay(campaign_id, [cast(Contract, CATALOG.decode(envelope)) for envelope in history])

    async def running(self, tx: AsyncConnection, limit: int) -> list[tuple[UUID, UUID]]:
        """(workspace, campaign) of campaigns with ads on a platform, least recently looked at first."""
        rows = await tx.execute(self.sql("""SELECT workspace_id, id FROM {s}.campaigns
            WHERE state IN ('live', 'partly_live', 'paused') ORDER BY updated_at LIMIT :limit"""), {"limit": limit})
        return [(r[0], r[1]) for r in rows]

    async def reporting(self, tx: AsyncConnection, since: datetime) -> list[tuple[UUID, UUID]]:
        """(workspace, campaign) of campaigns whose platforms still report figures: running, or
        ended or archived recently enough that the platforms may restate their last days."""
        rows = await tx.execute(self.sql("""SELECT workspace_id, id FROM {s}.campaigns
            WHERE state IN ('live', 'partly_live', 'paused')
               OR (state IN ('ended', 'archived') AND updated_at >= :since AND runs <> '{}'::jsonb)
            ORDER BY id"""), {"since": since})
        return [(r[0], r[1]) for r in rows]

    async def workspace_of(self, tx: AsyncConnection, campaign_id: UUID) -> UUID | None:
        row = (await tx.execute(self.sql("SELECT workspace_id FROM {s}.campaigns WHERE id = :id"),
                                {"id": campaign_id})).first()
        return row[0] if row else None

    async def save(self, tx: AsyncConnection, workspace_id: UUID, campaign: Campaign, new_events: Sequence[Contract],
                   *, causation_id: UUID | None = None, correlation_id: UUID | None = None) -> None:
        if not new_events:
            return
        envelopes = await record(tx, self.store, new_events, aggregate_id=campaign.id,
                                 expected_version=campaign.version - len(new_events), workspace_id=workspace_id,
                                 causation_id=causation_id, correlation_id=correlation_id)
        row = snapshot(campaign) | {"w": workspace_id, "at": envelopes[-1].occurred_at}
        await tx.execute(self.sql("""
            INSERT INTO {s}.campaigns (id, workspace_id, version, name, state, objective, platforms, plan, ads, runs,
                reviews, brief, drafted_by, approved_by, last_rejection, creatives_request, created_at, updated_at)
            VALUES (:id, :w, :version, :name, :state, :objective, :platforms, CAST(:plan AS jsonb), CAST(:ads AS jsonb),
                CAST(:runs AS jsonb), CAST(:reviews AS jsonb), :brief, :drafted_by, :approved_by, :last_rejection,
                :creatives_request, :at, :at)
            ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, name = EXCLUDED.name, state = EXCLUDED.state,
                objective = EXCLUDED.objective, platforms = EXCLUDED.platforms, plan = EXCLUDED.plan,
                ads = EXCLUDED.ads, runs = EXCLUDED.runs, reviews = EXCLUDED.reviews,
                approved_by = EXCLUDED.approved_by, last_rejection = EXCLUDED.last_rejection,
                creatives_request = EXCLUDED.creatives_request, updated_at = EXCLUDED.updated_at
            WHERE {s}.campaigns.version < EXCLUDED.version"""), row)


@dataclass(frozen=True)
class CampaignRow:
    id: UUID
    workspace_id: UUID
    version: int
    name: str
    state: str
    objective: str
    platforms: list[str]
    plan: dict[str, Any]
    ads: list[dict[str, Any]]
    runs: dict[str, Any]
    reviews: dict[str, str]
    brief: str
    drafted_by: str | None
    approved_by: str | None
    last_rejection: str | None
    created_at: datetime
    updated_at: datetime


_COLUMNS = """id, workspace_id, version, name, state, objective, platforms, plan, ads, runs, reviews, brief, drafted_by,
    approved_by, last_rejection, created_at, updated_at"""


def encode_cursor(row: CampaignRow) -> str:
    return base64.urlsafe_b64encode(f"{row.created_at.isoformat()}|{row.id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        created, ident = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
        return datetime.fromisoformat(created), UUID(ident)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("This cursor is not one we handed out.", field="query/cursor") from None


class CampaignQueries:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def one(self, tx: AsyncConnection, workspace_id: UUID, campaign_id: UUID) -> CampaignRow | None:
        row = (await tx.execute(self.sql(f"SELECT {_COLUMNS} FROM {{s}}.campaigns WHERE id = :id AND workspace_id = :w"),
                                {"id": campaign_id, "w": workspace_id})).first()
        return CampaignRow(*row) if row else None

    async def page(self, tx: AsyncConnection, workspace_id: UUID, *, states: Sequence[str], platform: str | None,
                   text: str | None, limit: int, cursor: str | None) -> list[CampaignRow]:
        where, params = ["workspace_id = :w"], {"w": workspace_id, "limit": limit}
        if states:
            where.append("state = ANY(:states)")
            params["states"] = list(states)
        if platform:
            where.append(":platform = ANY(platforms)")
            params["platform"] = platform
        if text:
            where.append("name ILIKE :text")
            params["text"] = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        if cursor:
            params["c_at"], params["c_id"] = decode_cursor(cursor)
            where.append("(created_at, id) < (:c_at, :c_id)")
        rows = await tx.execute(self.sql(f"""SELECT {_COLUMNS} FROM {{s}}.campaigns WHERE {' AND '.join(where)}
            ORDER BY created_at DESC, id DESC LIMIT :limit"""), params)
        return [CampaignRow(*row) for row in rows]

    async def creative_sets(self, tx: AsyncConnection, workspace_id: UUID, campaign_id: UUID) -> list[dict[str, Any]]:
        rows = await tx.execute(self.sql("""SELECT request_id, assets, copies, received_at FROM {s}.creative_sets
            WHERE campaign_id = :c AND workspace_id = :w ORDER BY received_at DESC"""), {"c": campaign_id, "w": workspace_id})
        return [{"request_id": r[0], "assets": r[1], "copies": r[2], "received_at": r[3]} for r in rows]

    async def objects(self, tx: AsyncConnection, campaign_id: UUID) -> list[dict[str, Any]]:
        rows = await tx.execute(self.sql("""SELECT platform, step, platform_id, created_at FROM {s}.platform_objects
            WHERE campaign_id = :c ORDER BY attempted_at"""), {"c": campaign_id})
        return [{"platform": r[0], "step": r[1], "platform_id": r[2], "created_at": r[3]} for r in rows]

    async def performance(self, tx: AsyncConnection, campaign_id: UUID, level: str, since: date | None,
                          until: date | None) -> list[dict[str, Any]]:
        where, params = ["campaign_id = :c", "level = :level"], {"c": campaign_id, "level": level}
        if since is not None:
            where.append("day >= :since")
            params["since"] = since
        if until is not None:
            where.append("day <= :until")
            params["until"] = until
        rows = await tx.execute(self.sql(f"""SELECT platform, platform_object_id, day, hour, revision, impressions,
            reach, clicks, spend, conversions, conversion_value, currency, pulled_at FROM {{s}}.performance
            WHERE {' AND '.join(where)} ORDER BY day, hour NULLS FIRST, platform, platform_object_id LIMIT 5000"""),
            params)
        keys = ("platform", "platform_object_id", "day", "hour", "revision", "impressions", "reach", "clicks", "spend",
                "conversions", "conversion_value", "currency", "pulled_at")
        return [dict(zip(keys, row, strict=True)) for row in rows]
