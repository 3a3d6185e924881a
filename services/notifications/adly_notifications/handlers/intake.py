"""The intake: a consumed event becomes at most one notice, told in the event's transaction.

Each `notice_of_*` reads one event type (docs/notifications.md, "What notifies whom"); an
event that tells nobody anything (an ad approved, an event with no workspace) gives None.
`tell` writes the feed rows of the notice's audience, records `NotificationCreated` for the
live socket, queues the mails of those told by email, and hands the notice to the webhooks. The notice's id is stable per source
event and kind, so a replay finds it recorded and adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_events import EventEnvelope
from adly_events.contracts.analytics import RuleFired
from adly_events.contracts.auth import MemberAdded, MemberRemoved
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
from adly_events.contracts.notifications import NotificationCreated, WebhookEndpointDisabled
from adly_kit.recording import record
from adly_notifications.adapters.container import Adapters
from adly_notifications.domain.audience import recipients
from adly_notifications.domain.kinds import KINDS
from adly_notifications.domain.notices import Notice
from adly_notifications.handlers import mail, webhooks

E = TypeVar("E", bound=Contract)
Mapper = Callable[[Any, EventEnvelope], Notice | None]
MAPPERS: dict[type[Contract], Mapper] = {}


def maps(model: type[E]) -> Callable[[Callable[[E, EventEnvelope], Notice | None]],
                                     Callable[[E, EventEnvelope], Notice | None]]:
    def register(mapper: Callable[[E, EventEnvelope], Notice | None]) -> Callable[[E, EventEnvelope], Notice | None]:
        MAPPERS[model] = mapper
        return mapper

    return register


async def take(tx: AsyncConnection, a: Adapters, event: Contract, envelope: EventEnvelope) -> list[UUID]:
    """Tell whom it concerns of a consumed event; the members told in their feeds."""
    notice = notice_of(event, envelope)
    return await tell(tx, a, notice, envelope) if notice is not None else []


def notice_of(event: Contract, envelope: EventEnvelope) -> Notice | None:
    mapper = MAPPERS.get(type(event))
    return mapper(event, envelope) if mapper is not None and envelope.workspace_id is not None else None


async def tell(tx: AsyncConnection, a: Adapters, notice: Notice, envelope: EventEnvelope) -> list[UUID]:
    kind = KINDS[notice.kind]
    members = await a.members.of_workspace(tx, notice.workspace_id)
    turned_off = await a.preferences.turned_off(tx, notice.workspace_id, kind.name, "feed")
    told = recipients(kind, notice, members, turned_off)
    if not await a.feed.add(tx, notice, told):
        return []  # recorded already: a replay adds nothing, not even a second webhook
    if told:
        await record(tx, a.store, [NotificationCreated(kind=notice.kind, recipients=told, params=notice.params,
                                                       source_event_id=notice.source_event_id, link=notice.link)],
                     aggregate_id=notice.id, expected_version=0, workspace_id=notice.workspace_id,
                     causation_id=envelope.event_id, correlation_id=envelope.correlation_id or envelope.event_id)
    await mail.enqueue(tx, a, notice, members)
    await webhooks.enqueue(tx, a, notice)
    return told


def _notice(kind: str, envelope: EventEnvelope, params: dict[str, str], data: dict[str, Any],
            link: str | None) -> Notice:
    assert envelope.workspace_id is not None
    return Notice(kind=kind, workspace_id=envelope.workspace_id, source_event_id=envelope.event_id,
                  occurred_at=envelope.occurred_at, params=params, data=data, link=link)


def _id(value: UUID | None) -> str | None:
    return str(value) if value is not None else None


# -- catalog -----------------------------------------------------------------------------------

@maps(SyncFailed)
def notice_of_sync_failed(event: SyncFailed, envelope: EventEnvelope) -> Notice:
    store = str(event.store_id)
    return _notice("sync.failed", envelope, {"reason": event.reason, "store_id": store},
                   {"store_id": store, "sync_id": str(envelope.aggregate_id), "reason": event.reason,
                    "retryable": event.retryable}, f"/stores/{store}")


@maps(StoreDisconnected)
def notice_of_store_disconnected(event: StoreDisconnected, envelope: EventEnvelope) -> Notice:
    store = str(envelope.aggregate_id)
    return _notice("store.disconnected", envelope, {"platform": event.platform.value, "reason": event.reason.value},
                   {"store_id": store, "platform": event.platform.value, "reason": event.reason.value},
                   f"/stores/{store}")


# -- creative ----------------------------------------------------------------------------------

def _creative_link(job_id: UUID, campaign_id: UUID | None) -> str:
    return f"/campaigns/{campaign_id}" if campaign_id else f"/creatives/jobs/{job_id}"


@maps(CreativeGenerated)
def notice_of_creative_generated(event: CreativeGenerated, envelope: EventEnvelope) -> Notice:
    job = envelope.aggregate_id
    return _notice("creative.ready", envelope, {"assets": str(len(event.assets)), "copies": str(len(event.copies))},
                   {"job_id": str(job), "request_id": str(event.request_id), "campaign_id": _id(event.campaign_id),
                    "asset_ids": [str(asset.asset_id) for asset in event.assets], "copies": len(event.copies)},
                   _creative_link(job, event.campaign_id))


@maps(CreativeGenerationFailed)
def notice_of_creative_failed(event: CreativeGenerationFailed, envelope: EventEnvelope) -> Notice:
    job = envelope.aggregate_id
    return _notice("creative.failed", envelope, {"reason": event.reason},
                   {"job_id": str(job), "request_id": str(event.request_id), "campaign_id": _id(event.campaign_id),
                    "reason": event.reason, "code": event.code},
                   _creative_link(job, event.campaign_id))


# -- campaigns ---------------------------------------------------------------------------------

@maps(CreativesReceived)
def notice_of_creatives_received(event: CreativesReceived, envelope: EventEnvelope) -> Notice:
    campaign = str(envelope.aggregate_id)
    return _notice("campaign.awaiting_approval", envelope, {"ads": str(len(event.ads)), "campaign_id": campaign},
                   {"campaign_id": campaign, "request_id": str(event.request_id), "ads": len(event.ads),
                    "alternatives": event.alternatives}, f"/campaigns/{campaign}")


@maps(CampaignPublished)
def notice_of_campaign_published(event: CampaignPublished, envelope: EventEnvelope) -> Notice:
    campaign = str(envelope.aggregate_id)
    return _notice("campaign.published", envelope, {"platform": event.platform.value, "campaign_id": campaign},
                   {"campaign_id": campaign, "platform": event.platform.value,
                    "platform_campaign_id": event.platform_campaign_id, "ad_account_id": event.ad_account_id},
                   f"/campaigns/{campaign}")


@maps(CampaignPublishFailed)
def notice_of_publish_failed(event: CampaignPublishFailed, envelope: EventEnvelope) -> Notice:
    campaign = str(envelope.aggregate_id)
    return _notice("campaign.publish_failed", envelope,
                   {"platform": event.platform.value, "reason": event.reason, "campaign_id": campaign},
                   {"campaign_id": campaign, "platform": event.platform.value, "reason": event.reason,
                    "platform_error_code": event.platform_error_code, "retryable": event.retryable},
                   f"/campaigns/{campaign}")


@maps(AdReviewChanged)
def notice_of_ad_review(event: AdReviewChanged, envelope: EventEnvelope) -> Notice | None:
    if event.review != "disapproved":
        return None  # in review or approved: nothing to act on
    campaign = str(envelope.aggregate_id)
    return _notice("ad.disapproved", envelope,
                   {"platform": event.platform.value, "reason": event.reason or "no_reason", "campaign_id": campaign},
                   {"campaign_id": campaign, "ad_id": str(event.ad_id), "platform": event.platform.value,
                    "platform_ad_id": event.platform_ad_id, "reason": event.reason},
                   f"/campaigns/{campaign}")


@maps(AdAccountAccessLost)
def notice_of_access_lost(event: AdAccountAccessLost, envelope: EventEnvelope) -> Notice:
    return _notice("ad_account.access_lost", envelope, {"platform": event.platform.value, "reason": event.reason},
                   {"ad_account_id": str(envelope.aggregate_id), "platform": event.platform.value,
                    "platform_account_id": event.platform_account_id, "reason": event.reason,
                    "platform_error_code": event.platform_error_code}, "/settings/ad-accounts")


# -- analytics -------------------------------------------------------------------------------

@maps(RuleFired)
def notice_of_rule_fired(event: RuleFired, envelope: EventEnvelope) -> Notice:
    campaign = str(event.target.campaign_id)
    return _notice("rule.fired", envelope,
                   {"rule": event.rule_name, "action": "dry_run" if event.dry_run else event.action.kind.value,
                    "reasoning": event.reasoning, "campaign_id": campaign},
                   {"rule_id": str(envelope.aggregate_id), "rule_name": event.rule_name, "metric": event.metric.value,
                    "campaign_id": campaign, "level": event.target.level, "action": event.action.kind.value,
                    "dry_run": event.dry_run, "figures": event.figures, "reasoning": event.reasoning,
                    "since": event.since.isoformat(), "until": event.until.isoformat()},
                   f"/campaigns/{campaign}")


# -- auth --------------------------------------------------------------------------------------

@maps(MemberAdded)
def notice_of_member_added(event: MemberAdded, envelope: EventEnvelope) -> Notice:
    return _notice("member.invited", envelope, {"role": event.role.value},
                   {"user_id": str(event.user_id), "role": event.role.value, "invited_by": _id(event.invited_by)},
                   "/settings/members")


@maps(MemberRemoved)
def notice_of_member_removed(event: MemberRemoved, envelope: EventEnvelope) -> Notice:
    return _notice("member.removed", envelope, {},
                   {"user_id": str(event.user_id), "removed_by": str(event.removed_by)}, "/settings/members")


# -- ours --------------------------------------------------------------------------------------

@maps(WebhookEndpointDisabled)
def notice_of_endpoint_disabled(event: WebhookEndpointDisabled, envelope: EventEnvelope) -> Notice:
    endpoint = str(event.endpoint_id)
    return _notice("webhook.disabled", envelope,
                   {"reason": event.reason, "failing_since": event.failing_since.date().isoformat()},
                   {"endpoint_id": endpoint, "reason": event.reason, "failing_since": event.failing_since.isoformat()},
                   f"/settings/webhooks/{endpoint}")
