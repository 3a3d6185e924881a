"""What campaigns keeps per workspace besides campaigns: its policies, the catalog's products
(fed by catalog's events) and the creative sets creative produced for its campaigns."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_campaigns.domain.brief import CatalogItem
from adly_campaigns.domain.policies import ApprovalPolicy, BudgetPolicy
from adly_campaigns.handlers.ports import ProductFacts
from adly_kit.permissions import Role
from adly_kit.sql import Statements


class PolicyRepository:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def of(self, tx: AsyncConnection, workspace_id: UUID) -> tuple[ApprovalPolicy, BudgetPolicy]:
        row = (await tx.execute(self.sql("""SELECT approval_required, approver_role, approver_not_author,
            budget_thresholds FROM {s}.workspace_policies WHERE workspace_id = :w"""), {"w": workspace_id})).first()
        if row is None:
            return ApprovalPolicy(), BudgetPolicy()
        thresholds = {currency: Decimal(str(amount)) for currency, amount in (row[3] or {}).items()}
        return ApprovalPolicy(row[0], Role(row[1]), row[2]), BudgetPolicy(thresholds)

    async def save(self, tx: AsyncConnection, workspace_id: UUID, approval: ApprovalPolicy, budget: BudgetPolicy,
                   by: str) -> None:
        await tx.execute(self.sql("""
            INSERT INTO {s}.workspace_policies (workspace_id, approval_required, approver_role, approver_not_author,
                budget_thresholds, updated_by) VALUES (:w, :req, :role, :other, CAST(:t AS jsonb), :by)
            ON CONFLICT (workspace_id) DO UPDATE SET approval_required = EXCLUDED.approval_required,
                approver_role = EXCLUDED.approver_role, approver_not_author = EXCLUDED.approver_not_author,
                budget_thresholds = EXCLUDED.budget_thresholds, updated_by = EXCLUDED.updated_by, updated_at = now()"""),
            {"w": workspace_id, "req": approval.required, "role": approval.approver_role.value,
             "other": approval.not_author, "t": json.dumps({c: str(a) for c, a in budget.thresholds.items()}),
             "by": by})


class ProductRepository:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def catalog(self, tx: AsyncConnection, workspace_id: UUID) -> list[CatalogItem]:
        rows = await tx.execute(self.sql("""SELECT id, title, tags, collections FROM {s}.products
            WHERE workspace_id = :w AND status = 'active' ORDER BY title"""), {"w": workspace_id})
        return [CatalogItem(id=r[0], title=r[1], tags=tuple(r[2]), collections=tuple(r[3])) for r in rows]

    async def facts(self, tx: AsyncConnection, workspace_id: UUID, ids: Sequence[UUID]) -> dict[UUID, ProductFacts]:
        rows = await tx.execute(self.sql("""SELECT id, title, url FROM {s}.products
            WHERE workspace_id = :w AND id = ANY(:ids)"""), {"w": workspace_id, "ids": list(ids)})
        return {r[0]: ProductFacts(r[0], r[1], r[2]) for r in rows}

    async def keep(self, tx: AsyncConnection, workspace_id: UUID, store_id: UUID, product_id: UUID, title: str,
                   url: str | None, tags: Sequence[str], collections: Sequence[str], status: str) -> None:
        await tx.execute(self.sql("""
            INSERT INTO {s}.products (id, workspace_id, store_id, title, url, tags, collections, status)
            VALUES (:id, :w, :store, :title, :url, :tags, :collections, :status)
            ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, url = EXCLUDED.url, tags = EXCLUDED.tags,
                collections = EXCLUDED.collections, status = EXCLUDED.status, updated_at = now()"""),
            {"id": product_id, "w": workspace_id, "store": store_id, "title": title, "url": url, "tags": list(tags),
             "collections": list(collections), "status": status})

    async def drop(self, tx: AsyncConnection, product_id: UUID) -> None:
        await tx.execute(self.sql("DELETE FROM {s}.products WHERE id = :id"), {"id": product_id})


class CreativeSetRepository:
    def __init__(self, schema: str) -> None:
        self.sql = Statements(schema)

    async def keep(self, tx: AsyncConnection, workspace_id: UUID, campaign_id: UUID, request_id: UUID,
                   assets: list[dict[str, Any]], copies: list[dict[str, Any]]) -> None:
        await tx.execute(self.sql("""INSERT INTO {s}.creative_sets (campaign_id, request_id, workspace_id, assets, copies)
            VALUES (:c, :r, :w, CAST(:a AS jsonb), CAST(:k AS jsonb)) ON CONFLICT DO NOTHING"""),
            {"c": campaign_id, "r": request_id, "w": workspace_id, "a": json.dumps(assets, default=str),
             "k": json.dumps(copies, default=str)})
