"""A Demand Gen ad's creative: Google has no creative object of its own.

A Demand Gen ad carries its headlines, descriptions, business name and call to action inline
and links its image assets, so the creative step creates nothing on Google: it answers a
self-describing reference (`dg1.` + base64url JSON of the copy, the landing page and the
image asset with its size) that ADLY records like any platform id, and the ad step unpacks
it. Creating it again gives the same reference, so the step is idempotent without a lookup.

Where the image goes follows its shape (DemandGenMultiAssetAdInfo, v18-v24 reference):
1.91:1 `marketingImages`, 1:1 `squareMarketingImages`, 4:5 `portraitMarketingImages`, 9:16
`tallPortraitMarketingImages`, each within 1%. The logo must be square (1:1, >= 128 px) and
ADLY has no logo of the shop, so the ad's own image is the logo: a product image that is not
square cannot run on Google (the merchant is told before Google is asked).
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass
from typing import Any

PREFIX = "dg1."
SLOTS = (("marketingImages", 1.91), ("squareMarketingImages", 1.0), ("portraitMarketingImages", 0.8),
         ("tallPortraitMarketingImages", 0.5625))
LOGO_MIN_PIXELS = 128
# ADLY's call to action -> Demand Gen's call_to_action_text (UNVERIFIED which texts Google takes:
# an unknown one is left out and Google chooses; the texts are its UI's labels).
CALLS_TO_ACTION = {"SHOP_NOW": "Shop now", "LEARN_MORE": "Learn more", "BUY_NOW": "Buy now", "ORDER_NOW": "Order now",
                   "SIGN_UP": "Sign up", "GET_OFFER": "Get offer", "BOOK_NOW": "Book now", "CONTACT_US": "Contact us"}


@dataclass(frozen=True)
class PackedCreative:
    asset_id: str
    width: int
    height: int
    headline: str
    descriptions: list[str]
    link: str
    call_to_action: str | None

    def pack(self) -> str:
        raw = json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":")).encode()
        return PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unpack(reference: str) -> PackedCreative | None:
    if not reference.startswith(PREFIX):
        return None
    text = reference[len(PREFIX):]
    try:
        values: dict[str, Any] = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        return PackedCreative(**values)
    except (ValueError, TypeError):
        return None


def slot_of(width: int, height: int) -> str | None:
    """The image field a picture of this size fills, None if no Demand Gen shape fits."""
    if width <= 0 or height <= 0:
        return None
    ratio = width / height
    return next((name for name, wanted in SLOTS if abs(ratio - wanted) <= wanted * 0.01), None)


def logo_problem(width: int, height: int) -> str | None:
    if slot_of(width, height) != "squareMarketingImages" or min(width, height) < LOGO_MIN_PIXELS:
        return (f"Google Ads shows the shop's logo beside every Demand Gen ad and ADLY uses the ad's image as that "
                f"logo, which must be square and at least {LOGO_MIN_PIXELS} pixels; this image is "
                f"{width}x{height}. Use a square product image for Google Ads.")
    return None
