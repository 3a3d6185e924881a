"""From creative's variants to the ads ADLY proposes: per platform and product, the first copy
written for that platform and product, with the image in the format the platform shows
best and, where the platform plays video, the video. The merchant reviews the proposal and
may pick any other variant (AdsChosen); the rest are counted as alternatives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from uuid import UUID, uuid5

from adly_events.contracts.campaigns import AdDraft
from adly_events.contracts.common import AdPlatform
from adly_events.contracts.creative import AdCopy, AssetReference

# Image formats in the order each platform prefers them (feeds and stories / full screen).
IMAGE_FORMATS: dict[AdPlatform, tuple[str, ...]] = {
    AdPlatform.META: ("1:1", "4:5", "1.91:1", "9:16"),
    AdPlatform.TIKTOK: ("9:16", "1:1"),
    AdPlatform.SNAPCHAT: ("9:16", "1:1"),
    # Square first: a Google Demand Gen ad also uses its image as the shop's logo, which must be square.
    AdPlatform.GOOGLE_ADS: ("1:1", "1.91:1", "4:5"),
}
PLAYS_VIDEO = frozenset({AdPlatform.META, AdPlatform.TIKTOK, AdPlatform.SNAPCHAT})

Tagger = Callable[[str, AdPlatform, UUID], str]   # (url, platform, ad id) -> the tagged landing URL


def ad_id_for(campaign_id: UUID, request_id: UUID, platform: AdPlatform, product_id: UUID | None) -> UUID:
    """Stable: the same answer of creative proposes the same ads, whoever handles it."""
    return uuid5(campaign_id, f"{request_id}:{platform.value}:{product_id}")


def _pick_image(assets: Sequence[AssetReference], platform: AdPlatform, product_id: UUID | None) -> UUID | None:
    images = [a for a in assets if a.kind == "image" and a.product_id in (product_id, None)]
    for wanted in IMAGE_FORMATS[platform]:
        for asset in images:
            if asset.format == wanted:
                return asset.asset_id
    return images[0].asset_id if images else None


def _pick_video(assets: Sequence[AssetReference], platform: AdPlatform, product_id: UUID | None) -> UUID | None:
    if platform not in PLAYS_VIDEO:
        return None
    return next((a.asset_id for a in assets if a.kind == "video" and a.product_id in (product_id, None)), None)


def propose(campaign_id: UUID, request_id: UUID, platforms: Sequence[AdPlatform], product_ids: Sequence[UUID],
            assets: Sequence[AssetReference], copies: Sequence[AdCopy], landing: Mapping[UUID | None, str],
            tag: Tagger) -> tuple[list[AdDraft], int]:
    """The proposed ads and how many copy variants were left for the merchant to pick from.
    `landing` maps a product id (or None for the campaign's own URL) to where its ad leads."""
    ads: list[AdDraft] = []
    used = 0
    for platform in platforms:
        targets: list[UUID | None] = list(product_ids) or [None]
        for product_id in targets:
            copy = next((c for c in copies if c.platform == platform and c.product_id in (product_id, None)), None)
            url = landing.get(product_id) or landing.get(None)
            if copy is None or url is None:
                continue
            ad_id = ad_id_for(campaign_id, request_id, platform, product_id)
            ads.append(AdDraft(
                ad_id=ad_id, platform=platform, product_id=product_id, headline=copy.headline[:255],
                primary_text=copy.primary_text[:2200], description=(copy.description or None) and copy.description[:255],
                call_to_action=copy.call_to_action, image_asset_id=_pick_image(assets, platform, product_id),
                video_asset_id=_pick_video(assets, platform, product_id), landing_url=tag(url, platform, ad_id)))
            used += 1
    return ads, max(len(copies) - used, 0)
