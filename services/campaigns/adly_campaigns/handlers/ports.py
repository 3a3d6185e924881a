"""The ports the campaigns handlers use that take a transaction; adapters/ implements them
over Postgres, tests/unit/doubles.py in memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_campaigns.domain.brief import CatalogItem
from adly_campaigns.domain.campaign import Campaign
from adly_campaigns.domain.performance import Figures, Revision
from adly_campaigns.domain.policies import ApprovalPolicy, BudgetPolicy
from adly_campaigns.domain.ports import AccountAccess, PlatformToken
from adly_events.contracts.common import AdPlatform, Contract


class CampaignStore(Protocol):
    async def load(self, tx: AsyncConnection, campaign_id: UUID) -> Campaign: ...

    async def save(self, tx: AsyncConnection, workspace_id: UUID, campaign: Campaign, new_events: Sequence[Contract],
                   *, causation_id: UUID | None = None, correlation_id: UUID | None = None) -> None: ...

    async def workspace_of(self, tx: AsyncConnection, campaign_id: UUID) -> UUID | None: ...

    async def running(self, tx: AsyncConnection, limit: int) -> list[tuple[UUID, UUID]]: ...

    async def reporting(self, tx: AsyncConnection, since: datetime) -> list[tuple[UUID, UUID]]: ...


@dataclass(frozen=True)
class AdAccount:
    id: UUID
    workspace_id: UUID
    platform: AdPlatform
    platform_account_id: str
    name: str
    currency: str
    time_zone: str
    status: str                      # connected | access_lost | disconnected
    page_id: str | None = None
    pixel_id: str | None = None
    status_reason: str | None = None
    token_expires_at: datetime | None = None


class AdAccounts(Protocol):
    async def get(self, tx: AsyncConnection, workspace_id: UUID, account_id: UUID) -> AdAccount | None: ...

    async def connected(self, tx: AsyncConnection, workspace_id: UUID) -> list[AdAccount]: ...

    async def access(self, tx: AsyncConnection, account_id: UUID) -> AccountAccess | None: ...

    async def save_connection(self, tx: AsyncConnection, account: AdAccount, token: PlatformToken, by: str) -> AdAccount: ...

    async def choose(self, tx: AsyncConnection, account_id: UUID, page_id: str | None, pixel_id: str | None) -> None: ...

    async def set_status(self, tx: AsyncConnection, account_id: UUID, status: str, reason: str | None) -> None: ...

    async def record(self, tx: AsyncConnection, account: AdAccount, events: Sequence[Contract]) -> None: ...


@dataclass(frozen=True)
class Login:
    id: UUID
    workspace_id: UUID
    platform: AdPlatform
    started_by: str
    expires_at: datetime
    token: PlatformToken | None


class Logins(Protocol):
    async def start(self, tx: AsyncConnection, workspace_id: UUID, platform: AdPlatform, state: str, by: str) -> UUID: ...

    async def by_state(self, tx: AsyncConnection, workspace_id: UUID, login_id: UUID, state: str) -> Login | None: ...

    async def get(self, tx: AsyncConnection, workspace_id: UUID, login_id: UUID) -> Login | None: ...

    async def keep_token(self, tx: AsyncConnection, login_id: UUID, token: PlatformToken) -> None: ...

    async def finish(self, tx: AsyncConnection, login_id: UUID) -> None: ...


class Policies(Protocol):
    async def of(self, tx: AsyncConnection, workspace_id: UUID) -> tuple[ApprovalPolicy, BudgetPolicy]: ...

    async def save(self, tx: AsyncConnection, workspace_id: UUID, approval: ApprovalPolicy, budget: BudgetPolicy,
                   by: str) -> None: ...


@dataclass(frozen=True)
class ProductFacts:
    id: UUID
    title: str
    url: str | None


class Products(Protocol):
    async def catalog(self, tx: AsyncConnection, workspace_id: UUID) -> list[CatalogItem]: ...

    async def facts(self, tx: AsyncConnection, workspace_id: UUID, ids: Sequence[UUID]) -> dict[UUID, ProductFacts]: ...

    async def keep(self, tx: AsyncConnection, workspace_id: UUID, store_id: UUID, product_id: UUID, title: str,
                   url: str | None, tags: Sequence[str], collections: Sequence[str], status: str) -> None: ...

    async def drop(self, tx: AsyncConnection, product_id: UUID) -> None: ...


class CreativeSets(Protocol):
    async def keep(self, tx: AsyncConnection, workspace_id: UUID, campaign_id: UUID, request_id: UUID,
                   assets: list[dict[str, Any]], copies: list[dict[str, Any]]) -> None: ...


@dataclass(frozen=True)
class Publication:
    id: UUID
    campaign_id: UUID
    workspace_id: UUID
    platform: AdPlatform
    ad_account_id: UUID
    attempts: int
    approved_at: datetime | None


class Publications(Protocol):
    async def enqueue(self, tx: AsyncConnection, workspace_id: UUID, campaign_id: UUID, platform: AdPlatform,
                      ad_account_id: UUID) -> None: ...

    async def get(self, tx: AsyncConnection, publication_id: UUID) -> Publication | None: ...

    async def begin_attempt(self, tx: AsyncConnection, publication_id: UUID) -> int: ...

    async def objects(self, tx: AsyncConnection, campaign_id: UUID, platform: AdPlatform) -> dict[str, str | None]: ...

    async def attempting(self, tx: AsyncConnection, campaign_id: UUID, platform: AdPlatform, step: str) -> None: ...

    async def created(self, tx: AsyncConnection, campaign_id: UUID, platform: AdPlatform, step: str,
                      platform_id: str) -> None: ...

    async def finish(self, tx: AsyncConnection, publication_id: UUID, state: str, error: str | None) -> None: ...

    async def retry_later(self, tx: AsyncConnection, publication_id: UUID, seconds: float, error: str) -> None: ...


class Performance(Protocol):
    async def reported(self, tx: AsyncConnection, campaign_ids: Sequence[UUID], platform: AdPlatform, since: date
                       ) -> dict[UUID, tuple[int, Figures]]: ...

    async def save(self, tx: AsyncConnection, workspace_id: UUID, revisions: Sequence[Revision], *,
                   currency: str, time_zone: str, ad_ids: dict[str, UUID], campaign_refs: dict[UUID, str],
                   pulled_at: datetime) -> None: ...
