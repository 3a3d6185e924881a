"""The platforms' reviews of published ads, read back and recorded as `AdReviewChanged`.

`targets` reads, in one transaction, which ads of running campaigns to ask about and with
which access; the platform is asked between transactions (`read`); `record` saves what
changed, at the campaign's version (a review seen twice records nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_campaigns.adapters.container import Adapters
from adly_campaigns.domain.ports import AccountAccess, AdReview
from adly_events.contracts.common import AdPlatform


@dataclass(frozen=True)
class ReviewTarget:
    workspace_id: UUID
    campaign_id: UUID
    platform: AdPlatform
    access: AccountAccess
    platform_ad_ids: list[str]


async def targets(tx: AsyncConnection, a: Adapters, limit: int = 200) -> list[ReviewTarget]:
    found = []
    for workspace_id, campaign_id in await a.campaigns.running(tx, limit):
        campaign = await a.campaigns.load(tx, campaign_id)
        for platform in campaign.published_platforms():
            run = campaign.platforms[platform]
            pending = [ad.platform_ad_id for ad in run.ads.values() if campaign.reviews.get(ad.ad_id) != "approved"]
            access = await a.ad_accounts.access(tx, run.ad_account_id) if run.ad_account_id else None
            if pending and access is not None:
                found.append(ReviewTarget(workspace_id, campaign_id, platform, access, pending))
    return found


async def read(a: Adapters, target: ReviewTarget) -> list[AdReview]:
    return await a.publishers[target.platform].reviews(target.access, target.platform_ad_ids)


async def record(tx: AsyncConnection, a: Adapters, target: ReviewTarget, seen: list[AdReview]) -> None:
    campaign = await a.campaigns.load(tx, target.campaign_id)
    events = []
    for review in seen:
        events += campaign.review_changed(target.platform, review.platform_ad_id, review.review.value, review.reason)
    await a.campaigns.save(tx, target.workspace_id, campaign, events)
