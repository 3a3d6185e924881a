"""Subscriptions of the notifications service, each under its own consumer group.

`members` keeps who holds which role from auth's workspace events (and tells of members
joining and leaving, after the change, in the same order); `notices` turns the events of the
table in docs/notifications.md into notices. Each handler runs in the consumer's transaction
(`delivery.tx`), which also records the event in the inbox: a redelivered event has no
second effect.
"""

from __future__ import annotations

from adly_events.contracts.analytics import RuleFired
from adly_events.contracts.auth import (
    MemberAdded,
    MemberRemoved,
    MemberRoleChanged,
    OwnershipTransferred,
    WorkspaceCreated,
    WorkspaceDeleted,
)
from adly_events.contracts.campaigns import (
    AdAccountAccessLost,
    AdReviewChanged,
    CampaignPublished,
    CampaignPublishFailed,
    CreativesReceived,
)
from adly_events.contracts.catalog import StoreDisconnected, SyncFailed
from adly_events.contracts.common import Contract
from adly_events.contracts.creative import CreativeGenerated, CreativeGenerationFailed
from adly_events.contracts.notifications import WebhookEndpointDisabled
from adly_kit.service import Delivery, Subscription
from adly_notifications.adapters.container import Adapters
from adly_notifications.handlers import intake, members

membership = Subscription("members")
notices = Subscription("notices")


@membership.on(WorkspaceCreated)
async def workspace_created(event: WorkspaceCreated, delivery: Delivery[Adapters]) -> None:
    await members.workspace_created(delivery.tx, delivery.adapters, event, delivery.envelope)


@membership.on(MemberAdded)
async def member_added(event: MemberAdded, delivery: Delivery[Adapters]) -> None:
    if await members.member_added(delivery.tx, delivery.adapters, event, delivery.envelope):
        await intake.take(delivery.tx, delivery.adapters, event, delivery.envelope)


@membership.on(MemberRoleChanged)
async def role_changed(event: MemberRoleChanged, delivery: Delivery[Adapters]) -> None:
    await members.role_changed(delivery.tx, delivery.adapters, event, delivery.envelope)


@membership.on(OwnershipTransferred)
async def ownership_transferred(event: OwnershipTransferred, delivery: Delivery[Adapters]) -> None:
    await members.ownership_transferred(delivery.tx, delivery.adapters, event, delivery.envelope)


@membership.on(MemberRemoved)
async def member_removed(event: MemberRemoved, delivery: Delivery[Adapters]) -> None:
    if await members.member_removed(delivery.tx, delivery.adapters, event, delivery.envelope):
        await intake.take(delivery.tx, delivery.adapters, event, delivery.envelope)


@membership.on(WorkspaceDeleted)
async def workspace_deleted(event: WorkspaceDeleted, delivery: Delivery[Adapters]) -> None:
    await members.workspace_deleted(delivery.tx, delivery.adapters, event, delivery.envelope)


@notices.on(SyncFailed, StoreDisconnected, CreativeGenerated, CreativeGenerationFailed, CreativesReceived,
            CampaignPublished, CampaignPublishFailed, AdReviewChanged, AdAccountAccessLost, WebhookEndpointDisabled,
            RuleFired)
async def notice(event: Contract, delivery: Delivery[Adapters]) -> None:
    await intake.take(delivery.tx, delivery.adapters, event, delivery.envelope)


subscriptions = [membership, notices]
