"""Changes to a campaign that may be running: pause, resume, budget, schedule, end.

Three steps, so no transaction stays open while a platform answers (docs/ARCHITECTURE-SHAPE.md):
`decide` loads the campaign in one transaction, lets the aggregate decide and opens the
platform access it needs; `steer` makes the change on every platform the campaign is
published on, outside any transaction; `commit` saves the decided events in another
transaction, at the version loaded (a change that raced another is a 409, and the platform
call, being a set-to-value, is harmless to repeat). A platform's refusal stops the change
before anything is recorded, so ADLY never says paused while Meta still spends.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_campaigns.adapters.container import Adapters
from adly_campaigns.domain.campaign import Campaign
from adly_campaigns.domain.ports import AccountAccess, AdPublisher, ErrorKind, ObjectKind, PlatformError
from adly_campaigns.domain.schedule import window
from adly_campaigns.handlers.campaigns import load
from adly_campaigns.handlers.errors import refusal_of
from adly_campaigns.handlers.publishing import fresh_access, lose_access
from adly_events.contracts.campaigns import Budget, Schedule
from adly_events.contracts.common import AdPlatform, Contract
from adly_kit.errors import DomainError

Operation = Callable[[AdPublisher, AccountAccess], Awaitable[None]]


@dataclass
class Change:
    workspace_id: UUID
    campaign: Campaign
    events: list[Contract]
    operations: dict[AdPlatform, Operation] = field(default_factory=dict)
    access: dict[AdPlatform, AccountAccess] = field(default_factory=dict)
    account_ids: dict[AdPlatform, UUID] = field(default_factory=dict)


async def decide(tx: AsyncConnection, a: Adapters, workspace_id: UUID, campaign_id: UUID,
                 command: Callable[[Campaign], list[Contract]],
                 operation: Callable[[Campaign, AdPlatform], Operation | None]) -> Change:
    campaign = await load(tx, a, workspace_id, campaign_id)
    events = command(campaign)
    change = Change(workspace_id, campaign, events)
    if not events:
        return change
    for platform in campaign.published_platforms():
        op = operation(campaign, platform)
        account_id = campaign.platforms[platform].ad_account_id
        if op is None or account_id is None:
            continue
        access = await a.ad_accounts.access(tx, account_id)
        if access is None:
            raise refusal_of(platform, PlatformError(ErrorKind.TOKEN_INVALID, "The ad account lost its access."))
        change.operations[platform], change.access[platform], change.account_ids[platform] = op, access, account_id
    return change


class Refused(Exception):
    def __init__(self, platform: AdPlatform, error: PlatformError) -> None:
        super().__init__(error.message)
        self.platform, self.error = platform, error


async def steer(a: Adapters, change: Change) -> None:
    """Run the change on each platform; the first refusal stops it (`Refused`)."""
    for platform, op in change.operations.items():
        try:
            access = await fresh_access(a, change.access[platform])
            await op(a.publishers[platform], access)
        except PlatformError as error:
            raise Refused(platform, error) from None


async def refused(tx: AsyncConnection, a: Adapters, change: Change, refusal: Refused) -> DomainError:
    """What the merchant is told; a refused token also turns the account to access_lost."""
    if refusal.error.kind == ErrorKind.TOKEN_INVALID and refusal.platform in change.account_ids:
        await lose_access(tx, a, change.workspace_id, change.account_ids[refusal.platform], refusal.error)
    return refusal_of(refusal.platform, refusal.error)


async def commit(tx: AsyncConnection, a: Adapters, change: Change) -> Campaign:
    await a.campaigns.save(tx, change.workspace_id, change.campaign, change.events)
    return change.campaign


# -- the operations each command needs on a published platform -----------------------------

def switch(active: bool) -> Callable[[Campaign, AdPlatform], Operation | None]:
    def operation(campaign: Campaign, platform: AdPlatform) -> Operation | None:
        platform_campaign = campaign.platforms[platform].platform_campaign_id
        if platform_campaign is None:
            return None

        async def run(publisher: AdPublisher, access: AccountAccess) -> None:
            await publisher.set_status(access, ObjectKind.CAMPAIGN, platform_campaign, active)
        return run
    return operation


def ad_set_of(campaign: Campaign, platform: AdPlatform) -> str | None:
    ads = list(campaign.platforms[platform].ads.values())
    return ads[0].platform_ad_set_id if ads else None


def budget_to(budget: Budget, on: AdPlatform) -> Callable[[Campaign, AdPlatform], Operation | None]:
    def operation(campaign: Campaign, platform: AdPlatform) -> Operation | None:
        ad_set = ad_set_of(campaign, platform)
        if platform != on or ad_set is None:
            return None

        async def run(publisher: AdPublisher, access: AccountAccess) -> None:
            await publisher.set_budget(access, ad_set, budget)
        return run
    return operation


def schedule_to(schedule: Schedule) -> Callable[[Campaign, AdPlatform], Operation | None]:
    def operation(campaign: Campaign, platform: AdPlatform) -> Operation | None:
        ad_set = ad_set_of(campaign, platform)
        if ad_set is None:
            return None
        starts_at, ends_at = window(schedule)

        async def run(publisher: AdPublisher, access: AccountAccess) -> None:
            await publisher.set_schedule(access, ad_set, starts_at, ends_at)
        return run
    return operation

