"""The creation saga so far, driven through adly_campaigns.handlers on the in-memory doubles: a
shop with products and ad accounts, a campaign drafted, answered by creative, approved, published.
Each helper is what a route or a consumer does in one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from adly_campaigns.adapters.container import Adapters
from adly_campaigns.domain.campaign import Campaign
from adly_campaigns.domain.ports import ObjectKind
from adly_campaigns.handlers import campaigns, creatives, publishing
from adly_events import EventEnvelope
from adly_events.contracts.common import AdPlatform, Contract, Money
from adly_events.contracts.creative import AdCopy, AssetReference, CreativeGenerated, CreativeGenerationFailed
from adly_kit.testing.doubles import NO_DATABASE

from .doubles import World, world
from .journeys import AUTHOR, a_plan

TODAY = date(2031, 2, 1)
META, TIKTOK = AdPlatform.META, AdPlatform.TIKTOK


@dataclass
class Shop:
    """A workspace with one product and one connected ad account per platform it advertises on."""

    w: World
    workspace_id: UUID
    product_id: UUID
    accounts: dict[AdPlatform, UUID] = field(default_factory=dict)

    @property
    def a(self) -> Adapters:
        return self.w.adapters

    async def campaign(self, campaign_id: UUID) -> Campaign:
        return await self.w.campaigns.load(NO_DATABASE, campaign_id)


def shop(*platforms: AdPlatform, **settings: Any) -> Shop:
    w = world(**settings)
    workspace_id = uuid.uuid4()
    s = Shop(w, workspace_id, w.product(workspace_id))
    for platform in platforms or (META,):
        s.accounts[platform] = w.account(workspace_id, platform).id
    return s


def envelope(workspace_id: UUID | None, payload: Contract, aggregate_id: UUID | None = None) -> EventEnvelope:
    return EventEnvelope(event_type=type(payload).__name__, schema_version=1, aggregate_type="creative_job",
                         aggregate_id=aggregate_id or uuid.uuid4(), aggregate_version=1, workspace_id=workspace_id,
                         correlation_id=uuid.uuid4(), payload=payload.model_dump(mode="json"))


async def drafted(s: Shop, *platforms: AdPlatform, **plan: Any) -> UUID:
    plan.setdefault("products", (s.product_id,))
    campaign = await campaigns.draft(NO_DATABASE, s.a, s.workspace_id, "Eid sale", "عيد سعيد",
                                     a_plan(*(platforms or tuple(s.accounts)), **plan), AUTHOR, TODAY)
    return campaign.id


async def asked(s: Shop, campaign_id: UUID) -> UUID:
    campaign = await campaigns.request_creatives(NO_DATABASE, s.a, s.workspace_id, campaign_id)
    assert campaign.creatives_request is not None
    return campaign.creatives_request


def generated(s: Shop, campaign_id: UUID, request_id: UUID, platforms: list[AdPlatform]) -> CreativeGenerated:
    """Creative's answer: a square image per product, stored where publishing fetches it, and copy per platform."""
    image = s.w.assets.put(s.workspace_id)
    return CreativeGenerated(
        request_id=request_id, campaign_id=campaign_id,
        assets=[AssetReference(asset_id=image, kind="image", format="1:1", product_id=s.product_id,
                               sha256=s.w.assets.media_of[s.workspace_id, image].sha256, media_type="image/png")],
        copies=[copy for p in platforms for copy in (
            AdCopy(platform=p, language="ar", headline="عطر العود", primary_text="دافئ لكل مساء",
                   call_to_action="SHOP_NOW", product_id=s.product_id),
            AdCopy(platform=p, language="ar", headline="عود ملكي", primary_text="هدية العيد",
                   call_to_action="SHOP_NOW", product_id=s.product_id))],
        provider="offline", cost=Money(amount=Decimal("0"), currency="USD"), product_ids=[s.product_id])


def generation_failed(campaign_id: UUID, request_id: UUID) -> CreativeGenerationFailed:
    return CreativeGenerationFailed(request_id=request_id, campaign_id=campaign_id, reason="Every provider refused.",
                                    code="providers-exhausted")


async def in_review(s: Shop, *platforms: AdPlatform, **plan: Any) -> UUID:
    campaign_id = await drafted(s, *platforms, **plan)
    request_id = await asked(s, campaign_id)
    answer = generated(s, campaign_id, request_id, list(platforms or s.accounts))
    await creatives.generated(NO_DATABASE, s.a, answer, envelope(s.workspace_id, answer))
    return campaign_id


async def approved(s: Shop, *platforms: AdPlatform, **plan: Any) -> UUID:
    campaign_id = await in_review(s, *platforms, **plan)
    await campaigns.approve(NO_DATABASE, s.a, s.workspace_id, campaign_id, AUTHOR, "marketer", None)
    return campaign_id


async def publishing_started(s: Shop, *platforms: AdPlatform, **plan: Any) -> UUID:
    campaign_id = await approved(s, *platforms, **plan)
    await campaigns.publish(NO_DATABASE, s.a, s.workspace_id, campaign_id, AUTHOR, {})
    return campaign_id


def publication_of(s: Shop, campaign_id: UUID, platform: AdPlatform) -> UUID:
    (found,) = [p.id for p in s.w.publications.queued(campaign_id) if p.platform == platform]
    return found


async def run_publication(s: Shop, publication_id: UUID) -> publishing.PublishJob:
    """What the publisher runner does for one publication, each call its own transaction or a platform call."""
    job = await publishing.open_job(NO_DATABASE, s.a, publication_id)
    assert job is not None and job.access is not None
    for step in job.steps:
        if job.done.get(step.key):
            continue
        if step.key in job.done:
            existing = await publishing.find_existing(s.a, job, step)
            if existing is not None:
                await publishing.mark_created(NO_DATABASE, s.a, job, step, existing)
                continue
        else:
            await publishing.mark_attempt(NO_DATABASE, s.a, job, step)
        await publishing.mark_created(NO_DATABASE, s.a, job, step, await publishing.create(s.a, job, step))
    await publishing.switch_on(s.a, job)
    await publishing.finish(NO_DATABASE, s.a, job)
    return job


async def live(s: Shop, *platforms: AdPlatform, **plan: Any) -> UUID:
    campaign_id = await publishing_started(s, *platforms, **plan)
    for platform in platforms or tuple(s.accounts):
        await run_publication(s, publication_of(s, campaign_id, platform))
    return campaign_id


def created_ids(s: Shop, platform: AdPlatform, kind: ObjectKind) -> list[str]:
    return [i for i, o in s.w.publishers[platform].objects.items() if o.kind == kind]
