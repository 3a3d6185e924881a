"""What publishing a campaign on one platform creates, in order, under which names.

Every object gets a deterministic name that carries the campaign id and the step's key,
so a publisher that died after the platform created an object but before ADLY recorded
its id finds it by name instead of creating a second one (domain/ports.py). The order is
the platforms' own dependency order: campaign, ad set, then per ad its media, creative and
ad; everything is created paused and switched on at the end, ads first, so nothing spends
before the whole campaign exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from adly_campaigns.domain.ports import ObjectKind
from adly_events.contracts.campaigns import AdDraft

NAME_LIMIT = 400   # Meta allows 400 characters in names; TikTok 512; the tag must survive the cut


@dataclass(frozen=True)
class Step:
    key: str                      # "campaign", "ad_set", "ad/<ad id>/image|video|creative|ad"
    kind: ObjectKind
    name: str
    parent: str | None = None     # the key of the step whose object this one is created under
    ad: AdDraft | None = None


def tag(campaign_id: UUID, key: str) -> str:
    return f"[adly {campaign_id} {key}]"


def object_name(campaign_name: str, campaign_id: UUID, key: str) -> str:
    label = tag(campaign_id, key)
    room = NAME_LIMIT - len(label) - 1
    return f"{campaign_name[:room]} {label}"


def steps_for(campaign_id: UUID, campaign_name: str, ads: list[AdDraft]) -> list[Step]:
    def step(key: str, kind: ObjectKind, parent: str | None = None, ad: AdDraft | None = None) -> Step:
        return Step(key, kind, object_name(campaign_name, campaign_id, key), parent, ad)

    plan = [step("campaign", ObjectKind.CAMPAIGN), step("ad_set", ObjectKind.AD_SET, "campaign")]
    for ad in ads:
        prefix = f"ad/{ad.ad_id}"
        if ad.image_asset_id is not None:
            plan.append(step(f"{prefix}/image", ObjectKind.IMAGE, None, ad))
        if ad.video_asset_id is not None:
            plan.append(step(f"{prefix}/video", ObjectKind.VIDEO, None, ad))
        plan.append(step(f"{prefix}/creative", ObjectKind.CREATIVE, None, ad))
        plan.append(step(f"{prefix}/ad", ObjectKind.AD, "ad_set", ad))
    return plan


def switch_on_order(steps: list[Step]) -> list[Step]:
    """Ads first, then the ad set, then the campaign: the last switch starts the spending."""
    order = {ObjectKind.AD: 0, ObjectKind.AD_SET: 1, ObjectKind.CAMPAIGN: 2}
    return sorted((s for s in steps if s.kind in order), key=lambda s: order[s.kind])
