"""An ad group ad's policy summary as ADLY's review.

`ad_group_ad.policy_summary` holds `reviewStatus` (REVIEW_IN_PROGRESS, REVIEWED, UNDER_APPEAL,
ELIGIBLE_MAY_SERVE), `approvalStatus` (APPROVED, APPROVED_LIMITED, AREA_OF_INTEREST_ONLY,
DISAPPROVED) and `policyTopicEntries` [{topic, type: PROHIBITED | LIMITED | ...}] (PolicySummary,
PolicyReviewStatus and PolicyApprovalStatus references). A disapproval names its topics;
an ad still in review, or one Google has not judged (UNKNOWN), is in review; an ad that may
serve, even limited, is approved.
"""

from __future__ import annotations

from typing import Any

from adly_campaigns.domain.ports import AdReview, Review

IN_REVIEW = frozenset({"REVIEW_IN_PROGRESS", "UNDER_APPEAL", "UNDER_REVIEW"})
APPROVED = frozenset({"APPROVED", "APPROVED_LIMITED", "AREA_OF_INTEREST_ONLY"})


def review_of(ad_id: str, ad_group_ad: dict[str, Any]) -> AdReview:
    summary = ad_group_ad.get("policySummary") or {}
    approval = str(summary.get("approvalStatus", "")).upper()
    status = str(summary.get("reviewStatus", "")).upper()
    if approval == "DISAPPROVED":
        topics = [str(e.get("topic")) for e in summary.get("policyTopicEntries") or []
                  if isinstance(e, dict) and e.get("topic")]
        reason = "Google Ads policy: " + ", ".join(dict.fromkeys(topics)) if topics else None
        return AdReview(ad_id, Review.DISAPPROVED, reason or "Google Ads disapproved the ad without saying why.")
    if approval in APPROVED and status not in IN_REVIEW:
        return AdReview(ad_id, Review.APPROVED)
    return AdReview(ad_id, Review.IN_REVIEW)
