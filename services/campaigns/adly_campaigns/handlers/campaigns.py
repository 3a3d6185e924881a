"""Campaign commands before publishing: draft, edit, ask for creatives, choose ads, review.

Each loads the campaign through its port, lets the aggregate decide and saves its events;
the route around it owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_campaigns.adapters.container import Adapters
from adly_campaigns.domain.brief import CatalogItem
from adly_campaigns.domain.campaign import Campaign
from adly_campaigns.domain.platform_rules import check_plan
from adly_campaigns.domain.proposals import Tagger
from adly_campaigns.domain.tracking import tagged_url
from adly_events.contracts.campaigns import AdDraft, CampaignPlan
from adly_events.contracts.common import AdPlatform
from adly_kit.errors import InvalidInput, NotFound


async def load(tx: AsyncConnection, a: Adapters, workspace_id: UUID, campaign_id: UUID) -> Campaign:
    """The campaign, if it is this workspace's; another workspace's campaign does not exist here."""
    if await a.campaigns.workspace_of(tx, campaign_id) != workspace_id:
        raise NotFound("No such campaign.")
    return await a.campaigns.load(tx, campaign_id)


async def account_currencies(tx: AsyncConnection, a: Adapters, workspace_id: UUID) -> dict[AdPlatform, str]:
    """Each platform's ad-account currency, where the workspace has connected exactly one account."""
    accounts = [acc for acc in await a.ad_accounts.connected(tx, workspace_id) if acc.status == "connected"]
    currencies: dict[AdPlatform, set[str]] = {}
    for account in accounts:
        currencies.setdefault(account.platform, set()).add(account.currency)
    return {platform: next(iter(found)) for platform, found in currencies.items() if len(found) == 1}


COLLECTION_PRODUCTS = 10  # the ads of a collection show its first products; the merchant may pick others


def in_collection(catalog: Sequence[CatalogItem], collection: str) -> list[UUID]:
    wanted = collection.casefold()
    return [item.id for item in catalog
            if any(c.casefold() == wanted for c in (*item.collections, *item.tags))][:COLLECTION_PRODUCTS]


async def checked_plan(tx: AsyncConnection, a: Adapters, workspace_id: UUID, plan: CampaignPlan, today: date
                       ) -> CampaignPlan:
    """The plan as accepted: its platforms' rules hold, its products are the workspace's, and a
    collection without chosen products promotes the collection's products."""
    if plan.collection and not plan.product_ids:
        found = in_collection(await a.products.catalog(tx, workspace_id), plan.collection)
        if not found:
            raise InvalidInput("No product of the catalog is in this collection.", field="plan.collection")
        plan = plan.model_copy(update={"product_ids": found})
    check_plan(plan, today=today, account_currencies=await account_currencies(tx, a, workspace_id), prefix="plan.")
    known = await a.products.facts(tx, workspace_id, plan.product_ids)
    for index, product_id in enumerate(plan.product_ids):
        if product_id not in known:
            raise InvalidInput("This product is not in the workspace's catalog.", field=f"plan.product_ids.{index}")
    return plan


async def draft(tx: AsyncConnection, a: Adapters, workspace_id: UUID, name: str, brief: str, plan: CampaignPlan,
                by: str, today: date) -> Campaign:
    campaign = Campaign(uuid.uuid4())
    plan = await checked_plan(tx, a, workspace_id, plan, today)
    await a.campaigns.save(tx, workspace_id, campaign, campaign.draft(name, brief, plan, by))
    return campaign


async def change_plan(tx: AsyncConnection, a: Adapters, workspace_id: UUID, campaign_id: UUID, name: str | None,
                      plan: CampaignPlan | None, by: str, today: date) -> Campaign:
    campaign = await load(tx, a, workspace_id, campaign_id)
    plan = await checked_plan(tx, a, workspace_id, plan, today) if plan is not None else campaign.current_plan
    await a.campaigns.save(tx, workspace_id, campaign, campaign.change_plan(name, plan, by))
    return campaign


async def duplicate(tx: AsyncConnection, a: Adapters, workspace_id: UUID, campaign_id: UUID, by: str) -> Campaign:
    original = await load(tx, a, workspace_id, campaign_id)
    copy = Campaign(uuid.uuid4())
    name = f"{original.name[:190]} (copy)"
    await a.campaigns.save(tx, workspace_id, copy,
                           copy.draft(name, original.brief, original.current_plan, by, duplicated_from=original.id))
    return copy


async def request_creatives(tx: AsyncConnection, a: Adapters, workspace_id: UUID, campaign_id: UUID) -> Campaign:
    campaign = await load(tx, a, workspace_id, campaign_id)
    # One id per request of this campaign at this version: a retried command asks once.
    request_id = uuid.uuid5(campaign.id, f"creatives@{campaign.version}")
    await a.campaigns.save(tx, workspace_id, campaign, campaign.request_creatives(request_id))
    return campaign


def tagger(campaign: Campaign) -> Tagger:
    def tag(url: str, platform: AdPlatform, ad_id: UUID) -> str:
        return tagged_url(url, platform=platform, campaign_id=campaign.id, ad_id=ad_id, campaign_name=campaign.name)
    return tag


async def landing_urls(tx: AsyncConnection, a: Adapters, workspace_id: UUID, plan: CampaignPlan
                       ) -> dict[UUID | None, str]:
    urls: dict[UUID | None, str] = {}
    if plan.landing_url:
        urls[None] = plan.landing_url
    for product_id, facts in (await a.products.facts(tx, workspace_id, plan.product_ids)).items():
        if facts.url and not plan.landing_url:
            urls[product_id] = facts.url
    return urls


async def choose_ads(tx: AsyncConnection, a: Adapters, workspace_id: UUID, campaign_id: UUID,
                     choices: Sequence[AdDraft], by: str) -> Campaign:
    """The merchant's ads, as sent (copy and media), each with its landing URL tagged anew and
    ADLY's ad id kept when it names one of the campaign's ads."""
    campaign = await load(tx, a, workspace_id, campaign_id)
    plan = campaign.current_plan
    urls = await landing_urls(tx, a, workspace_id, plan)
    known = {ad.ad_id for ad in campaign.ads}
    tag = tagger(campaign)
    ads = []
    for index, choice in enumerate(choices):
        ad_id = choice.ad_id if choice.ad_id in known else uuid.uuid4()
        url = choice.landing_url or urls.get(choice.product_id) or urls.get(None)
        if not url:
            raise InvalidInput("Where should this ad lead? Give a landing URL.", field=f"ads.{index}.landing_url")
        ads.append(choice.model_copy(update={"ad_id": ad_id, "landing_url": tag(url, choice.platform, ad_id)}))
    await a.campaigns.save(tx, workspace_id, campaign, campaign.choose_ads(ads, by))
    return campaign


async def approve(tx: AsyncConnection, a: Adapters, workspace_id: UUID, campaign_id: UUID, by: str,
                  role: str | None, note: str | None) -> Campaign:
    campaign = await load(tx, a, workspace_id, campaign_id)
    approval, _ = await a.policies.of(tx, workspace_id)
    await a.campaigns.save(tx, workspace_id, campaign, campaign.approve(by, role, approval, note))
    return campaign


async def reject(tx: AsyncConnection, a: Adapters, workspace_id: UUID, campaign_id: UUID, by: str,
                 role: str | None, reason: str) -> Campaign:
    campaign = await load(tx, a, workspace_id, campaign_id)
    approval, _ = await a.policies.of(tx, workspace_id)
    await a.campaigns.save(tx, workspace_id, campaign, campaign.reject(by, role, approval, reason))
    return campaign


async def publish(tx: AsyncConnection, a: Adapters, workspace_id: UUID, campaign_id: UUID, by: str,
                  chosen: dict[AdPlatform, UUID]) -> Campaign:
    """Start publishing on every platform not live yet, each into its ad account: the one
    named, else the workspace's only connected account on that platform."""
    campaign = await load(tx, a, workspace_id, campaign_id)
    accounts = {acc.id: acc for acc in await a.ad_accounts.connected(tx, workspace_id)}
    use: dict[AdPlatform, UUID] = {}
    live = set(campaign.published_platforms())
    for platform in campaign.current_plan.platforms:
        if platform in live:
            continue  # a retry publishes the failed platforms only; the live ones keep their account
        if platform not in a.publishers:
            raise InvalidInput(f"ADLY cannot publish on {platform.value} yet.", field="plan.platforms",
                               code="platform-unavailable")
        if platform in chosen:
            account = accounts.get(chosen[platform])
            if account is None or account.platform != platform:
                raise InvalidInput(f"No such {platform.value} ad account in this workspace.",
                                   field=f"ad_accounts.{platform.value}")
        else:
            candidates = [acc for acc in accounts.values() if acc.platform == platform]
            if len(candidates) > 1:
                raise InvalidInput(f"Several {platform.value} ad accounts are connected: say which one.",
                                   field=f"ad_accounts.{platform.value}")
            if not candidates:
                continue  # the aggregate says which platforms lack an account
            account = candidates[0]
        if account.status != "connected":
            raise InvalidInput(f"The {platform.value} ad account {account.name} lost its access: reconnect it.",
                               field=f"ad_accounts.{platform.value}", code="ad-account-access-lost")
        use[platform] = account.id
    events = campaign.request_publish(by, use)
    await a.campaigns.save(tx, workspace_id, campaign, events)
    for platform in campaign.platforms:
        if campaign.platforms[platform].status == "pending":
            await a.publications.enqueue(tx, workspace_id, campaign.id, platform, use[platform])
    return campaign


async def archive(tx: AsyncConnection, a: Adapters, workspace_id: UUID, campaign_id: UUID, by: str) -> Campaign:
    campaign = await load(tx, a, workspace_id, campaign_id)
    await a.campaigns.save(tx, workspace_id, campaign, campaign.archive(by))
    return campaign
