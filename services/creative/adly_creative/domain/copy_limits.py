"""Each ad platform's text limits (characters) and its call-to-action vocabulary.

Sources: Meta's ad specs (headline 40 / primary text 125 / description 30 recommended;
ads are cut beyond), TikTok ad text 1-100, Snapchat headline 34 and brand name 25,
Google Ads responsive search ads (headline 30, description 90). Counted in characters
as the platforms count them (Unicode code points; Arabic letters count one each).
"""

from __future__ import annotations

from dataclasses import dataclass

from adly_events.contracts.common import AdPlatform


@dataclass(frozen=True)
class CopyLimits:
    headline: int
    primary_text: int
    description: int | None       # None: the platform has no description field
    calls_to_action: tuple[str, ...]


LIMITS: dict[AdPlatform, CopyLimits] = {
    AdPlatform.META: CopyLimits(40, 125, 30, ("SHOP_NOW", "LEARN_MORE", "ORDER_NOW", "GET_OFFER", "BUY_NOW")),
    AdPlatform.TIKTOK: CopyLimits(40, 100, None, ("SHOP_NOW", "LEARN_MORE", "ORDER_NOW", "BUY_NOW")),
    AdPlatform.SNAPCHAT: CopyLimits(34, 100, None, ("SHOP_NOW", "MORE", "ORDER_NOW", "BUY_NOW")),
    AdPlatform.GOOGLE_ADS: CopyLimits(30, 90, 90, ("SHOP_NOW", "LEARN_MORE", "BUY_NOW", "ORDER_NOW")),
}

# What a call to action says on an image or in a caption, per language.
CTA_LABELS: dict[str, dict[str, str]] = {
    "SHOP_NOW": {"en": "Shop now", "ar": "تسوق الآن"},
    "LEARN_MORE": {"en": "Learn more", "ar": "اعرف المزيد"},
    "ORDER_NOW": {"en": "Order now", "ar": "اطلب الآن"},
    "GET_OFFER": {"en": "Get the offer", "ar": "احصل على العرض"},
    "BUY_NOW": {"en": "Buy now", "ar": "اشترِ الآن"},
    "MORE": {"en": "More", "ar": "المزيد"},
}


def cta_label(call_to_action: str, language: str) -> str:
    labels = CTA_LABELS.get(call_to_action, CTA_LABELS["SHOP_NOW"])
    return labels.get(language) or labels["en"]
