"""In-memory implementations of the campaigns ports (handlers/ports.py, domain/ports.py), for
handler tests without Postgres, a broker or an ad platform.

`CampaignLog` checks the versions the real event store would check, so a stale save is a
ConcurrencyConflict here too. The ad platforms, their logins and creative's asset bytes are in
platform_doubles.py. `World.adapters` is the service's own `Adapters` on these doubles; the
engine, the event store and the read-model queries fail loudly if a handler reaches for them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, cast
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_campaigns.adapters.container import Adapters
from adly_campaigns.domain.brief import CatalogItem
from adly_campaigns.domain.campaign import Campaign
from adly_campaigns.domain.lifecycle import RUNNING
from adly_campaigns.domain.performance import Figures, Revision
from adly_campaigns.domain.policies import ApprovalPolicy, BudgetPolicy
from adly_campaigns.domain.ports import AccountAccess, PlatformToken
from adly_campaigns.handlers.ports import AdAccount, Login, ProductFacts, Publication
from adly_campaigns.settings import CampaignsSettings
from adly_events.contracts.campaigns import PerformanceReported
from adly_events.contracts.common import AdPlatform, Contract, Money
from adly_kit.eventstore import ConcurrencyConflict
from adly_kit.sql import utc_now

from .platform_doubles import AssetShelf, FakeLink, RecordingPublisher

Tx = AsyncConnection  # NO_DATABASE in these tests, never touched by a double


class Unused:
    """Stands for an adapter only the edges use: a handler that reaches for it fails loudly."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        raise AssertionError(f"a handler used {self._name}.{attribute}; handlers go through their ports")


# -- campaigns ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recorded:
    version: int
    payload: Contract
    causation_id: UUID | None = None
    correlation_id: UUID | None = None


class CampaignLog:
    """Campaigns: their workspace and their events, appended at the version they were loaded at."""

    def __init__(self) -> None:
        self.workspaces: dict[UUID, UUID] = {}
        self.events: dict[UUID, list[Recorded]] = {}

    async def load(self, tx: Tx, campaign_id: UUID) -> Campaign:
        return Campaign.replay(campaign_id, self.of(campaign_id))

    async def save(self, tx: Tx, workspace_id: UUID, campaign: Campaign, new_events: Sequence[Contract], *,
                   causation_id: UUID | None = None, correlation_id: UUID | None = None) -> None:
        if not new_events:
            return
        expected = campaign.version - len(new_events)
        history = self.events.setdefault(campaign.id, [])
        if len(history) != expected:
            raise ConcurrencyConflict(campaign.id, expected)
        self.workspaces.setdefault(campaign.id, workspace_id)
        history += [Recorded(expected + n, e, causation_id, correlation_id) for n, e in enumerate(new_events, start=1)]

    async def workspace_of(self, tx: Tx, campaign_id: UUID) -> UUID | None:
        return self.workspaces.get(campaign_id)

    async def running(self, tx: Tx, limit: int) -> list[tuple[UUID, UUID]]:
        running = [(w, c) for c, w in self.workspaces.items() if Campaign.replay(c, self.of(c)).state in RUNNING]
        return running[:limit]

    async def reporting(self, tx: Tx, since: datetime) -> list[tuple[UUID, UUID]]:
        reporting = []
        for c, w in self.workspaces.items():
            campaign = Campaign.replay(c, self.of(c))
            if campaign.state in RUNNING or (campaign.state.value in ("ended", "archived") and campaign.platforms):
                reporting.append((w, c))
        return reporting

    def of(self, campaign_id: UUID) -> list[Contract]:
        return [r.payload for r in self.events.get(campaign_id, [])]

    def types(self, campaign_id: UUID) -> list[str]:
        return [type(e).__name__ for e in self.of(campaign_id)]

    def last(self, campaign_id: UUID) -> Contract:
        return self.events[campaign_id][-1].payload

    def count(self) -> int:
        return sum(len(history) for history in self.events.values())


# -- ad accounts and logins -----------------------------------------------------------------------

class AccountShelf:
    """Ad account rows, their tokens (in the clear: sealing is the adapter's) and their events."""

    def __init__(self) -> None:
        self.rows: dict[UUID, AdAccount] = {}
        self.tokens: dict[UUID, PlatformToken] = {}
        self.events: dict[UUID, list[Contract]] = {}

    async def get(self, tx: Tx, workspace_id: UUID, account_id: UUID) -> AdAccount | None:
        row = self.rows.get(account_id)
        return row if row is not None and row.workspace_id == workspace_id else None

    async def connected(self, tx: Tx, workspace_id: UUID) -> list[AdAccount]:
        return [r for r in self.rows.values() if r.workspace_id == workspace_id and r.status != "disconnected"]

    async def access(self, tx: Tx, account_id: UUID) -> AccountAccess | None:
        row, token = self.rows.get(account_id), self.tokens.get(account_id)
        if row is None or token is None or row.status != "connected":
            return None
        return AccountAccess(row.platform_account_id, token.access_token, row.currency, row.time_zone, row.page_id,
                             row.pixel_id)

    async def save_connection(self, tx: Tx, account: AdAccount, token: PlatformToken, by: str) -> AdAccount:
        same = next((r for r in self.rows.values() if (r.workspace_id, r.platform, r.platform_account_id)
                     == (account.workspace_id, account.platform, account.platform_account_id)), None)
        row = replace(account, id=same.id if same else account.id, status="connected", status_reason=None,
                      token_expires_at=token.expires_at)
        self.rows[row.id], self.tokens[row.id] = row, token
        return row

    async def choose(self, tx: Tx, account_id: UUID, page_id: str | None, pixel_id: str | None) -> None:
        self.rows[account_id] = replace(self.rows[account_id], page_id=page_id, pixel_id=pixel_id)

    async def set_status(self, tx: Tx, account_id: UUID, status: str, reason: str | None) -> None:
        self.rows[account_id] = replace(self.rows[account_id], status=status, status_reason=reason)
        if status == "disconnected":
            self.tokens.pop(account_id, None)

    async def record(self, tx: Tx, account: AdAccount, events: Sequence[Contract]) -> None:
        self.events.setdefault(account.id, []).extend(events)


class LoginShelf:
    def __init__(self) -> None:
        self.rows: dict[UUID, tuple[Login, str, bool]] = {}   # id -> (login, state, finished)

    async def start(self, tx: Tx, workspace_id: UUID, platform: AdPlatform, state: str, by: str) -> UUID:
        login = Login(uuid.uuid4(), workspace_id, platform, by, utc_now() + timedelta(minutes=30), None)
        self.rows[login.id] = (login, state, False)
        return login.id

    async def by_state(self, tx: Tx, workspace_id: UUID, login_id: UUID, state: str) -> Login | None:
        login = await self.get(tx, workspace_id, login_id)
        return login if login is not None and self.rows[login_id][1] == state else None

    async def get(self, tx: Tx, workspace_id: UUID, login_id: UUID) -> Login | None:
        login, _, finished = self.rows.get(login_id, (None, "", True))
        if login is None or finished or login.workspace_id != workspace_id or login.expires_at <= utc_now():
            return None
        return login

    async def keep_token(self, tx: Tx, login_id: UUID, token: PlatformToken) -> None:
        login, state, finished = self.rows[login_id]
        self.rows[login_id] = (replace(login, token=token), state, finished)

    async def finish(self, tx: Tx, login_id: UUID) -> None:
        login, state, _ = self.rows[login_id]
        self.rows[login_id] = (replace(login, token=None), state, True)


# -- what campaigns keeps per workspace -----------------------------------------------------------

class PolicyShelf:
    def __init__(self) -> None:
        self.saved: dict[UUID, tuple[ApprovalPolicy, BudgetPolicy]] = {}

    async def of(self, tx: Tx, workspace_id: UUID) -> tuple[ApprovalPolicy, BudgetPolicy]:
        return self.saved.get(workspace_id, (ApprovalPolicy(), BudgetPolicy()))

    async def save(self, tx: Tx, workspace_id: UUID, approval: ApprovalPolicy, budget: BudgetPolicy, by: str) -> None:
        self.saved[workspace_id] = (approval, budget)


@dataclass
class Product:
    workspace_id: UUID
    title: str
    url: str | None
    tags: tuple[str, ...] = ()
    collections: tuple[str, ...] = ()
    status: str = "active"


class ProductShelf:
    def __init__(self) -> None:
        self.rows: dict[UUID, Product] = {}

    async def catalog(self, tx: Tx, workspace_id: UUID) -> list[CatalogItem]:
        mine = sorted(((i, p) for i, p in self.rows.items() if p.workspace_id == workspace_id and p.status == "active"),
                      key=lambda row: row[1].title)
        return [CatalogItem(id=i, title=p.title, tags=p.tags, collections=p.collections) for i, p in mine]

    async def facts(self, tx: Tx, workspace_id: UUID, ids: Sequence[UUID]) -> dict[UUID, ProductFacts]:
        return {i: ProductFacts(i, p.title, p.url) for i in ids
                if (p := self.rows.get(i)) is not None and p.workspace_id == workspace_id}

    async def keep(self, tx: Tx, workspace_id: UUID, store_id: UUID, product_id: UUID, title: str, url: str | None,
                   tags: Sequence[str], collections: Sequence[str], status: str) -> None:
        self.rows[product_id] = Product(workspace_id, title, url, tuple(tags), tuple(collections), status)

    async def drop(self, tx: Tx, product_id: UUID) -> None:
        self.rows.pop(product_id, None)


class CreativeSetShelf:
    def __init__(self) -> None:
        self.kept: dict[tuple[UUID, UUID], tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}

    async def keep(self, tx: Tx, workspace_id: UUID, campaign_id: UUID, request_id: UUID,
                   assets: list[dict[str, Any]], copies: list[dict[str, Any]]) -> None:
        self.kept.setdefault((campaign_id, request_id), (assets, copies))


# -- publishing work ------------------------------------------------------------------------------

@dataclass
class PublicationRow:
    publication: Publication
    state: str = "queued"
    last_error: str | None = None
    retry_in: list[float] = field(default_factory=list)


class PublicationShelf:
    """The work rows (one queued row per campaign and platform) and the objects each step created."""

    def __init__(self) -> None:
        self.rows: dict[UUID, PublicationRow] = {}
        self.steps: dict[tuple[UUID, AdPlatform], dict[str, str | None]] = {}

    async def enqueue(self, tx: Tx, workspace_id: UUID, campaign_id: UUID, platform: AdPlatform,
                      ad_account_id: UUID) -> None:
        if any(r.state == "queued" and (r.publication.campaign_id, r.publication.platform) == (campaign_id, platform)
               for r in self.rows.values()):
            return
        publication = Publication(uuid.uuid4(), campaign_id, workspace_id, platform, ad_account_id, 0, utc_now())
        self.rows[publication.id] = PublicationRow(publication)

    async def get(self, tx: Tx, publication_id: UUID) -> Publication | None:
        row = self.rows.get(publication_id)
        return row.publication if row is not None and row.state == "queued" else None

    async def begin_attempt(self, tx: Tx, publication_id: UUID) -> int:
        row = self.rows[publication_id]
        row.publication = replace(row.publication, attempts=row.publication.attempts + 1)
        return row.publication.attempts

    async def objects(self, tx: Tx, campaign_id: UUID, platform: AdPlatform) -> dict[str, str | None]:
        return dict(self.steps.get((campaign_id, platform), {}))

    async def attempting(self, tx: Tx, campaign_id: UUID, platform: AdPlatform, step: str) -> None:
        self.steps.setdefault((campaign_id, platform), {}).setdefault(step, None)

    async def created(self, tx: Tx, campaign_id: UUID, platform: AdPlatform, step: str, platform_id: str) -> None:
        self.steps.setdefault((campaign_id, platform), {})[step] = platform_id

    async def finish(self, tx: Tx, publication_id: UUID, state: str, error: str | None) -> None:
        self.rows[publication_id].state, self.rows[publication_id].last_error = state, error

    async def retry_later(self, tx: Tx, publication_id: UUID, seconds: float, error: str) -> None:
        self.rows[publication_id].retry_in.append(seconds)
        self.rows[publication_id].last_error = error

    def queued(self, campaign_id: UUID | None = None) -> list[Publication]:
        return [r.publication for r in self.rows.values()
                if r.state == "queued" and campaign_id in (None, r.publication.campaign_id)]


# -- the world ------------------------------------------------------------------------------------

class PerformanceShelf:
    """The latest revision per series, and every PerformanceReported in the order it was saved."""

    def __init__(self) -> None:
        self.latest: dict[UUID, tuple[int, Figures]] = {}
        self.days: dict[UUID, date] = {}
        self.campaign_of: dict[UUID, UUID] = {}
        self.reports: list[PerformanceReported] = []

    async def reported(self, tx: Tx, campaign_ids: Sequence[UUID], platform: AdPlatform, since: date
                       ) -> dict[UUID, tuple[int, Figures]]:
        return {k: v for k, v in self.latest.items()
                if self.campaign_of[k] in campaign_ids and self.days[k] >= since}

    async def save(self, tx: Tx, workspace_id: UUID, revisions: Sequence[Revision], *, currency: str, time_zone: str,
                   ad_ids: dict[str, UUID], campaign_refs: dict[UUID, str], pulled_at: datetime) -> None:
        for made in revisions:
            series = made.series
            if self.latest.get(series.id, (0,))[0] != made.revision - 1:
                raise ConcurrencyConflict(series.id, made.revision - 1)
            self.latest[series.id] = (made.revision, made.figures)
            self.days[series.id], self.campaign_of[series.id] = series.day, series.campaign_id
            self.reports.append(PerformanceReported(
                campaign_id=series.campaign_id, platform=series.platform, level=series.level,
                ad_id=ad_ids.get(series.platform_object_id) if series.level.value == "ad" else None,
                platform_campaign_id=campaign_refs[series.campaign_id], platform_object_id=series.platform_object_id,
                day=series.day, hour=series.hour, time_zone=time_zone, revision=made.revision,
                impressions=made.figures.impressions, clicks=made.figures.clicks,
                spend=Money(amount=made.figures.spend, currency=currency), conversions=made.figures.conversions,
                conversion_value=Money(amount=made.figures.conversion_value, currency=currency), pulled_at=pulled_at))


@dataclass
class World:
    """The campaigns context on doubles: `adapters` for the handlers, the doubles to look into."""

    adapters: Adapters
    campaigns: CampaignLog
    accounts: AccountShelf
    logins: LoginShelf
    policies: PolicyShelf
    products: ProductShelf
    creative_sets: CreativeSetShelf
    publications: PublicationShelf
    assets: AssetShelf
    publishers: dict[AdPlatform, RecordingPublisher]
    links: dict[AdPlatform, FakeLink]
    performance: PerformanceShelf

    def product(self, workspace_id: UUID, title: str = "Oud perfume", url: str | None = "https://oud.example/p/oud"
                ) -> UUID:
        product_id = uuid.uuid4()
        self.products.rows[product_id] = Product(workspace_id, title, url)
        return product_id

    def account(self, workspace_id: UUID, platform: AdPlatform = AdPlatform.META, *, currency: str = "SAR",
                status: str = "connected", name: str = "Oud House") -> AdAccount:
        account = AdAccount(uuid.uuid4(), workspace_id, platform, f"act_{uuid.uuid4().int % 10**12}", name, currency,
                            "Asia/Riyadh", status, page_id="page-1", pixel_id="pixel-1")
        self.accounts.rows[account.id] = account
        self.accounts.tokens[account.id] = PlatformToken(f"token-{account.id}")
        return account


def world(**settings: Any) -> World:
    values = {"database_url": "postgresql://unit@nowhere/none", "kafka_bootstrap_servers": "nowhere:9092"} | settings
    publishers = {p: RecordingPublisher(p) for p in AdPlatform}
    links = {AdPlatform.META: FakeLink(AdPlatform.META)}
    w = World(
        adapters=cast(Adapters, None), campaigns=CampaignLog(), accounts=AccountShelf(), logins=LoginShelf(),
        policies=PolicyShelf(), products=ProductShelf(), creative_sets=CreativeSetShelf(),
        publications=PublicationShelf(), assets=AssetShelf(), publishers=publishers, links=links,
        performance=PerformanceShelf())
    w.adapters = Adapters(
        settings=CampaignsSettings(**values), engine=cast(Any, Unused("engine")), store=cast(Any, Unused("store")),
        campaigns=w.campaigns, queries=cast(Any, Unused("queries")), ad_accounts=w.accounts, logins=w.logins,
        policies=w.policies, products=w.products, creative_sets=w.creative_sets, publications=w.publications,
        publication_queue=cast(Any, Unused("publication_queue")), assets=w.assets, publishers=publishers,
        links=links, reports=cast(Any, publishers), performance=w.performance)
    return w
