"""A feed item in the reader's words: the language from `Accept-Language` (ar or en), the
kind's words with its params filled in. Params stay codes on the bus and in the database
(`meta`, `marketer`); the words name them in the reader's language."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

from adly_kit.errors import InvalidInput
from adly_notifications.domain.kinds import KINDS, LANGUAGES, Words

DEFAULT_LANGUAGE = "en"

# Codes a param may hold (platforms, roles, reasons), named in each language.
TERMS: dict[str, dict[str, str]] = {
    "en": {
        "meta": "Meta", "google_ads": "Google Ads", "tiktok": "TikTok", "snapchat": "Snapchat",
        "shopify": "Shopify", "woocommerce": "WooCommerce", "salla": "Salla", "zid": "Zid",
        "owner": "owner", "admin": "admin", "marketer": "marketer", "analyst": "analyst",
        "merchant": "disconnected by a member", "uninstalled": "the app was uninstalled",
        "credentials_revoked": "its credentials were revoked", "no_reason": "The platform gave no reason.",
        "pause": "It paused what it watches", "change_budget": "It changed a daily budget",
        "move_budget": "It moved budget between platforms", "notify": "It only tells you",
        "dry_run": "A dry run: nothing was changed",
    },
    "ar": {
        "meta": "ميتا", "google_ads": "إعلانات Google", "tiktok": "تيك توك", "snapchat": "سناب شات",
        "shopify": "Shopify", "woocommerce": "WooCommerce", "salla": "سلة", "zid": "زد",
        "owner": "مالك", "admin": "مشرف", "marketer": "مسوّق", "analyst": "محلل",
        "merchant": "فصله أحد الأعضاء", "uninstalled": "أُزيل التطبيق", "credentials_revoked": "أُلغيت صلاحياته",
        "no_reason": "لم تذكر المنصة سببًا.",
        "pause": "أوقفت ما تراقبه مؤقتًا", "change_budget": "غيّرت ميزانية يومية",
        "move_budget": "نقلت الميزانية بين المنصات", "notify": "تكتفي بتنبيهك",
        "dry_run": "تجربة فقط: لم يتغير شيء",
    },
}


def language_of(accept_language: str | None) -> str:
    """The first of ar and en the reader accepts, by preference (`q`); else English."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, rest = part.strip().partition(";")
        quality = 1.0
        if rest.strip().startswith("q="):
            try:
                quality = float(rest.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.split("-")[0].lower()
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, index, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def render(kind: str, params: Mapping[str, str], language: str) -> Words:
    """The title and body of an item; a param the words name but the notice lacks reads as empty."""
    words = KINDS[kind].words.get(language) or KINDS[kind].words[DEFAULT_LANGUAGE]
    named = _Named({key: TERMS.get(language, {}).get(value, value) for key, value in params.items()})
    return Words(words.title.format_map(named).strip(), words.body.format_map(named).strip())


class _Named(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def cursor_after(created_at: datetime, notification_id: UUID) -> str:
    """An opaque place in a feed, newest first: the page after it starts below this item."""
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{notification_id}".encode()).decode().rstrip("=")


def place_of(cursor: str) -> tuple[datetime, UUID]:
    try:
        created, ident = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
        when = datetime.fromisoformat(created)
        if when.tzinfo is None:
            raise ValueError(created)
        return when, UUID(ident)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("This cursor is not one we handed out.", field="query/cursor") from None
