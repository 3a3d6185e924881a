"""Creative's answers to a campaign's request: the variants are kept, ADLY proposes the ads,
the campaign moves to review; a failure makes it a draft again, with the reason."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_campaigns.adapters.container import Adapters
from adly_campaigns.domain.proposals import propose
from adly_campaigns.handlers.campaigns import landing_urls, tagger
from adly_events import EventEnvelope
from adly_events.contracts.creative import CreativeGenerated, CreativeGenerationFailed


async def generated(tx: AsyncConnection, a: Adapters, event: CreativeGenerated, envelope: EventEnvelope) -> None:
    if event.campaign_id is None or envelope.workspace_id is None:
        return  # a job a merchant started by hand: no campaign waits for it
    workspace_id = envelope.workspace_id
    if await a.campaigns.workspace_of(tx, event.campaign_id) != workspace_id:
        return
    campaign = await a.campaigns.load(tx, event.campaign_id)
    await a.creative_sets.keep(tx, workspace_id, campaign.id, event.request_id,
                               [asset.model_dump(mode="json") for asset in event.assets],
                               [copy.model_dump(mode="json") for copy in event.copies])
    plan = campaign.current_plan
    urls = await landing_urls(tx, a, workspace_id, plan)
    ads, alternatives = propose(campaign.id, event.request_id, plan.platforms, plan.product_ids, event.assets,
                                event.copies, urls, tagger(campaign))
    why_none = ("Give the campaign a landing URL: neither the plan nor its products have a page to lead to."
                if not urls else "Creative produced no ad for this campaign's platforms and products.")
    await a.campaigns.save(tx, workspace_id, campaign,
                           campaign.receive_creatives(event.request_id, ads, alternatives, why_none),
                           causation_id=envelope.event_id, correlation_id=_correlation(envelope))


async def failed(tx: AsyncConnection, a: Adapters, event: CreativeGenerationFailed, envelope: EventEnvelope) -> None:
    if event.campaign_id is None or envelope.workspace_id is None:
        return
    if await a.campaigns.workspace_of(tx, event.campaign_id) != envelope.workspace_id:
        return
    campaign = await a.campaigns.load(tx, event.campaign_id)
    await a.campaigns.save(tx, envelope.workspace_id, campaign,
                           campaign.creatives_failed(event.request_id, event.reason, event.code),
                           causation_id=envelope.event_id, correlation_id=_correlation(envelope))


def _correlation(envelope: EventEnvelope) -> UUID:
    return envelope.correlation_id or envelope.event_id
