"""One event of each type the intake reads, as its producer would publish it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from adly_events import CATALOG, EventEnvelope
from adly_events.contracts.analytics import RuleAction, RuleActionKind, RuleFired, RuleMetric, RuleTarget
from adly_events.contracts.auth import MemberAdded, MemberRemoved, WorkspaceRole
from adly_events.contracts.campaigns import (
    AdAccountAccessLost,
    AdDraft,
    AdReviewChanged,
    CampaignPublished,
    CampaignPublishFailed,
    CreativesReceived,
)
from adly_events.contracts.catalog import DisconnectReason, StoreDisconnected, StorePlatform, SyncFailed
from adly_events.contracts.common import AdPlatform, Contract, Money
from adly_events.contracts.creative import AssetReference, CreativeGenerated, CreativeGenerationFailed
from adly_events.contracts.notifications import WebhookEndpointDisabled

META = AdPlatform.META


def envelope(payload: Contract, workspace_id: UUID | None, *, aggregate_id: UUID | None = None,
             version: int = 1) -> EventEnvelope:
    return CATALOG.envelope(payload, aggregate_id=aggregate_id or uuid.uuid4(), aggregate_version=version,
                            workspace_id=workspace_id)


def an_ad() -> AdDraft:
    return AdDraft(ad_id=uuid.uuid4(), platform=META, headline="عطر العود", primary_text="دافئ لكل مساء",
                   call_to_action="SHOP_NOW", landing_url="https://oud.example/p?utm_source=meta")


def an_asset() -> AssetReference:
    return AssetReference(asset_id=uuid.uuid4(), kind="image", format="1:1", sha256="a" * 64)


def events(user: UUID | None = None) -> dict[str, Contract]:
    """kind -> an event that gives a notice of that kind."""
    return {
        "sync.failed": SyncFailed(store_id=uuid.uuid4(), reason="Salla refused the access token.", retryable=False),
        "store.disconnected": StoreDisconnected(platform=StorePlatform.SALLA, reason=DisconnectReason.UNINSTALLED),
        "creative.ready": CreativeGenerated(request_id=uuid.uuid4(), campaign_id=uuid.uuid4(), assets=[an_asset()],
                                            copies=[], provider="offline",
                                            cost=Money(amount=Decimal("0.10"), currency="USD")),
        "creative.failed": CreativeGenerationFailed(request_id=uuid.uuid4(), reason="Every provider failed.",
                                                    code="providers_failed"),
        "campaign.awaiting_approval": CreativesReceived(request_id=uuid.uuid4(), ads=[an_ad(), an_ad()]),
        "campaign.published": CampaignPublished(platform=META, ad_account_id="123", platform_campaign_id="c-1"),
        "campaign.publish_failed": CampaignPublishFailed(platform=META, reason="The ad account is closed.",
                                                         retryable=False),
        "ad.disapproved": AdReviewChanged(platform=META, ad_id=uuid.uuid4(), platform_ad_id="ad-1",
                                          review="disapproved", reason="Misleading claims."),
        "ad_account.access_lost": AdAccountAccessLost(platform=META, platform_account_id="123",
                                                      reason="The token was revoked."),
        "member.invited": MemberAdded(user_id=user or uuid.uuid4(), role=WorkspaceRole.MARKETER),
        "member.removed": MemberRemoved(user_id=user or uuid.uuid4(), removed_by=uuid.uuid4()),
        "rule.fired": RuleFired(rule_name="CPA above 40", metric=RuleMetric.CPA, threshold=Decimal(40),
                                since=date(2026, 6, 10), until=date(2026, 6, 12),
                                figures={"cpa": "", "spend": "300.00 SAR", "orders": "0"},
                                target=RuleTarget(level="ad_set", campaign_id=uuid.uuid4(), platform=META,
                                                  platform_ad_set_id="as-1"),
                                action=RuleAction(kind=RuleActionKind.PAUSE), dry_run=False,
                                reasoning="CPA over 3 days (0 orders), target 40.",
                                fired_at=datetime(2026, 6, 12, tzinfo=UTC)),
        "webhook.disabled": WebhookEndpointDisabled(endpoint_id=uuid.uuid4(), reason="HTTP 500",
                                                    failing_since=datetime(2026, 12, 1, 8, 0, tzinfo=UTC)),
    }
