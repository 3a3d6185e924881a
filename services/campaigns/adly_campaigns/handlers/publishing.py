"""Publishing one campaign on one platform, step by step, resumable at any step.

The runner (entrypoints/runners.py) owns the transactions; each function here is one of
them, or a platform call between them:

- `open_job`: the campaign, the steps to take (domain/publishing.py), the objects already
  recorded and the account's access, read in one transaction;
- per step not recorded: `mark_attempt` commits that a create is about to happen, the
  platform creates, `mark_created` commits its id. A step marked but never created is an
  answer that never came back: `run_step` looks the object up by its deterministic name
  before creating it again, so a publisher killed anywhere creates nothing twice;
- `switch_on`: ads, ad set, then campaign set active (setting a status twice is harmless);
- `finish` / `fail` record `CampaignPublished` or `CampaignPublishFailed` and close the work row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_campaigns.adapters.container import Adapters
from adly_campaigns.domain.campaign import Campaign
from adly_campaigns.domain.ports import (
    AccountAccess,
    AdSetSpec,
    AdSpec,
    CampaignSpec,
    CreativeSpec,
    ErrorKind,
    MediaSpec,
    ObjectKind,
    PlatformError,
)
from adly_campaigns.domain.publishing import Step, steps_for, switch_on_order
from adly_campaigns.domain.schedule import window
from adly_campaigns.handlers.ports import Publication
from adly_events.contracts.campaigns import AdAccountAccessLost, PublishedAd
from adly_events.contracts.common import AdPlatform


@dataclass
class PublishJob:
    publication: Publication
    campaign: Campaign
    steps: list[Step]
    done: dict[str, str | None]       # step key -> platform id; None: attempted, answer unknown
    access: AccountAccess | None

    @property
    def platform(self) -> AdPlatform:
        return self.publication.platform


async def open_job(tx: AsyncConnection, a: Adapters, publication_id: UUID) -> PublishJob | None:
    publication = await a.publications.get(tx, publication_id)
    if publication is None:
        return None
    await a.publications.begin_attempt(tx, publication_id)
    campaign = await a.campaigns.load(tx, publication.campaign_id)
    ads = campaign.ads_on(publication.platform)
    steps = steps_for(campaign.id, campaign.name, ads)
    done = await a.publications.objects(tx, campaign.id, publication.platform)
    access = await a.ad_accounts.access(tx, publication.ad_account_id)
    return PublishJob(publication, campaign, steps, done, access)


async def fresh_access(a: Adapters, access: AccountAccess) -> AccountAccess:
    """The access with a token good for the next calls (adapters/tokens.py), outside any transaction."""
    return await a.tokens.fresh(access) if a.tokens is not None else access


async def mark_attempt(tx: AsyncConnection, a: Adapters, job: PublishJob, step: Step) -> None:
    await a.publications.attempting(tx, job.campaign.id, job.platform, step.key)
    job.done.setdefault(step.key, None)


async def mark_created(tx: AsyncConnection, a: Adapters, job: PublishJob, step: Step, platform_id: str) -> None:
    await a.publications.created(tx, job.campaign.id, job.platform, step.key, platform_id)
    job.done[step.key] = platform_id


def _parent(job: PublishJob, step: Step) -> str | None:
    return job.done.get(step.parent) if step.parent else None


async def find_existing(a: Adapters, job: PublishJob, step: Step) -> str | None:
    """The object a create whose answer never came may have made, looked up by its name."""
    assert job.access is not None
    return await a.publishers[job.platform].find(job.access, step.kind, step.name, _parent(job, step))


async def create(a: Adapters, job: PublishJob, step: Step) -> str:
    """Create the step's object on the platform (no transaction is open)."""
    publisher, access, campaign = a.publishers[job.platform], job.access, job.campaign
    assert access is not None
    plan = campaign.current_plan
    match step.kind:
        case ObjectKind.CAMPAIGN:
            return await publisher.create_campaign(access, CampaignSpec(step.name, plan.objective))
        case ObjectKind.AD_SET:
            parent = _parent(job, step)
            assert parent is not None
            starts_at, ends_at = window(plan.schedule)
            landing = next((ad.landing_url for ad in campaign.ads_on(job.platform)), plan.landing_url or "")
            # An audience with no language speaks the ads' language (Snapchat needs one with several countries).
            audience = plan.audience if plan.audience.languages else plan.audience.model_copy(
                update={"languages": [plan.creative_language]})
            return await publisher.create_ad_set(access, AdSetSpec(
                step.name, parent, plan.objective, campaign.budget_of(job.platform), audience,
                starts_at, ends_at, landing))
        case ObjectKind.IMAGE | ObjectKind.VIDEO:
            assert step.ad is not None
            asset_id = step.ad.image_asset_id if step.kind == ObjectKind.IMAGE else step.ad.video_asset_id
            assert asset_id is not None
            media = await a.assets.media(job.publication.workspace_id, asset_id)
            return await publisher.upload_media(access, MediaSpec(step.name, step.kind, media.content,
                                                                  media.media_type, media.sha256))
        case ObjectKind.CREATIVE:
            ad = step.ad
            assert ad is not None
            prefix = f"ad/{ad.ad_id}"
            return await publisher.create_creative(access, CreativeSpec(
                step.name, ad.headline, ad.primary_text, ad.description, ad.call_to_action, ad.landing_url,
                image_ref=job.done.get(f"{prefix}/image"), video_ref=job.done.get(f"{prefix}/video")))
        case ObjectKind.AD:
            assert step.ad is not None
            ad_set, creative = _parent(job, step), job.done.get(f"ad/{step.ad.ad_id}/creative")
            assert ad_set is not None and creative is not None
            return await publisher.create_ad(access, AdSpec(step.name, ad_set, creative))
    raise AssertionError(step.kind)


async def switch_on(a: Adapters, job: PublishJob) -> None:
    assert job.access is not None
    for step in switch_on_order(job.steps):
        platform_id = job.done.get(step.key)
        assert platform_id is not None
        await a.publishers[job.platform].set_status(job.access, step.kind, platform_id, True)


async def finish(tx: AsyncConnection, a: Adapters, job: PublishJob) -> Campaign:
    campaign = await a.campaigns.load(tx, job.campaign.id)
    ad_set = job.done["ad_set"] or ""
    ads = [PublishedAd(ad_id=step.ad.ad_id, platform_ad_id=job.done[step.key] or "", platform_ad_set_id=ad_set)
           for step in job.steps if step.kind == ObjectKind.AD and step.ad is not None]
    assert job.access is not None
    events = campaign.published(job.platform, job.access.platform_account_id, job.done["campaign"] or "", ads)
    await a.campaigns.save(tx, job.publication.workspace_id, campaign, events)
    await a.publications.finish(tx, job.publication.id, "done", None)
    return campaign


async def fail(tx: AsyncConnection, a: Adapters, job: PublishJob, error: PlatformError) -> None:
    campaign = await a.campaigns.load(tx, job.campaign.id)
    events = campaign.publish_failed(job.platform, error.message, error.error_code, error.retryable)
    await a.campaigns.save(tx, job.publication.workspace_id, campaign, events)
    await a.publications.finish(tx, job.publication.id, "failed", error.message)
    if error.kind == ErrorKind.TOKEN_INVALID:
        await lose_access(tx, a, job.publication.workspace_id, job.publication.ad_account_id, error)


async def lose_access(tx: AsyncConnection, a: Adapters, workspace_id: UUID, account_id: UUID,
                      error: PlatformError) -> None:
    """A refused token is a state the merchant sees and fixes by reconnecting, not a retry loop."""
    account = await a.ad_accounts.get(tx, workspace_id, account_id)
    if account is None or account.status != "connected":
        return
    await a.ad_accounts.set_status(tx, account_id, "access_lost", error.message)
    await a.ad_accounts.record(tx, account, [AdAccountAccessLost(
        platform=account.platform, platform_account_id=account.platform_account_id, reason=error.message,
        platform_error_code=error.error_code)])


async def retry_later(tx: AsyncConnection, a: Adapters, job: PublishJob, seconds: float, error: str) -> None:
    await a.publications.retry_later(tx, job.publication.id, seconds, error)


def seconds_since(moment: datetime | None, now: datetime) -> float | None:
    return (now - moment).total_seconds() if moment else None
