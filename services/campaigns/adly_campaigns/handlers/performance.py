"""Pulling every live campaign's performance from its platform, per ad account.

`accounts` reads, in one transaction, which campaigns of which ad account to ask about (live,
partly live, paused, or ended within the restatement window) and with which access; the
platform is read between transactions (`read`, the last `performance_restate_days` days plus
today's hours, in the account's time zone); `record` keeps what is news (domain/performance.py)
as `PerformanceReported` revisions. Credentials never leave this service: analytics learns the
figures from the events only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_campaigns.adapters.container import Adapters
from adly_campaigns.domain.performance import news
from adly_campaigns.domain.ports import AccountAccess, PerformanceRow
from adly_campaigns.domain.schedule import zone
from adly_campaigns.handlers.publishing import fresh_access
from adly_events.contracts.common import AdPlatform


@dataclass
class AccountReport:
    workspace_id: UUID
    account_id: UUID
    platform: AdPlatform
    access: AccountAccess
    campaigns: dict[str, UUID] = field(default_factory=dict)      # platform campaign id -> ADLY campaign id
    ads: dict[str, UUID] = field(default_factory=dict)            # platform ad id -> ADLY ad id

    def today(self, now: datetime) -> date:
        return now.astimezone(zone(self.access.time_zone)).date()


async def accounts(tx: AsyncConnection, a: Adapters, now: datetime) -> list[AccountReport]:
    since = now - timedelta(days=a.settings.performance_restate_days)
    found: dict[UUID, AccountReport] = {}
    for workspace_id, campaign_id in await a.campaigns.reporting(tx, since):
        campaign = await a.campaigns.load(tx, campaign_id)
        for platform in campaign.published_platforms():
            run = campaign.platforms[platform]
            if platform not in a.reports or run.ad_account_id is None or run.platform_campaign_id is None:
                continue
            report = found.get(run.ad_account_id)
            if report is None:
                access = await a.ad_accounts.access(tx, run.ad_account_id)
                if access is None:
                    continue  # access lost: the merchant reconnects, and the next pull catches up
                report = found[run.ad_account_id] = AccountReport(workspace_id, run.ad_account_id, platform, access)
            report.campaigns[run.platform_campaign_id] = campaign.id
            report.ads |= {ad.platform_ad_id: ad.ad_id for ad in run.ads.values()}
    return list(found.values())


async def read(a: Adapters, report: AccountReport, now: datetime) -> tuple[AccountReport, list[PerformanceRow]]:
    report = replace(report, access=await fresh_access(a, report.access))
    today = report.today(now)
    since = today - timedelta(days=a.settings.performance_restate_days)
    rows = await a.reports[report.platform].performance(report.access, sorted(report.campaigns), since, today,
                                                        hourly_day=today)
    return report, rows


async def record(tx: AsyncConnection, a: Adapters, report: AccountReport, rows: list[PerformanceRow],
                 now: datetime) -> int:
    since = report.today(now) - timedelta(days=a.settings.performance_restate_days)
    by_campaign: dict[UUID, list[PerformanceRow]] = {}
    for row in rows:
        campaign_id = report.campaigns.get(row.platform_campaign_id)
        if campaign_id is not None and row.day >= since:
            by_campaign.setdefault(campaign_id, []).append(row)
    reported = await a.performance.reported(tx, list(by_campaign), report.platform, since)
    made = [revision for campaign_id, found in by_campaign.items()
            for revision in news(campaign_id, report.platform, found, reported)]
    refs = {campaign_id: ref for ref, campaign_id in report.campaigns.items()}
    await a.performance.save(tx, report.workspace_id, made, currency=report.access.currency,
                             time_zone=report.access.time_zone, ad_ids=report.ads, campaign_refs=refs, pulled_at=now)
    return len(made)
