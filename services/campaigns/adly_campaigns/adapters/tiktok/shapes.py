"""TikTok's formats for what ADLY sends and reads: schedule times, stable keys for names,
ad texts, calls to action and review states (publisher.py uses them; no I/O here)."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from adly_campaigns.domain.ports import AdReview, Review

CALLS_TO_ACTION = {"SHOP_NOW", "LEARN_MORE", "ORDER_NOW", "SIGN_UP", "CONTACT_US", "BOOK_NOW", "APPLY_NOW",
                   "DOWNLOAD_NOW", "WATCH_NOW", "GET_QUOTE", "SUBSCRIBE", "VISIT_STORE"}
SAME_MEANING = {"BUY_NOW": "SHOP_NOW", "GET_OFFER": "SHOP_NOW", "ORDER": "ORDER_NOW"}
IN_REVIEW = frozenset({"AD_STATUS_AUDIT", "AD_STATUS_REAUDIT"})
DISAPPROVED = frozenset({"AD_STATUS_AUDIT_DENY", "AD_STATUS_REJECT"})
IDS_PER_READ = 100
AD_TEXT_LIMIT, DISPLAY_NAME_LIMIT = 100, 40


def tiktok_time(moment: datetime, time_zone: str) -> str:
    """UTC+0, as TikTok reads schedule times; a naive moment is in the account's zone."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(time_zone))
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def request_id(name: str) -> str:
    """TikTok's idempotency key for a create, the same for every attempt at one step."""
    return str(int(hashlib.sha256(name.encode()).hexdigest()[:15], 16))


def file_stem(name: str) -> str:
    return "adly-" + hashlib.sha256(name.encode()).hexdigest()[:40]


def plain_text(text: str, limit: int) -> str:
    """Without emoji (TikTok refuses them), cut to `limit` characters."""
    kept = "".join(c for c in text if unicodedata.category(c) not in ("So", "Cs") and ord(c) < 0x1F000)
    return " ".join(kept.split())[:limit].strip()


def call_to_action(value: str) -> str:
    wanted = value.strip().upper().replace(" ", "_")
    wanted = SAME_MEANING.get(wanted, wanted)
    return wanted if wanted in CALLS_TO_ACTION else "LEARN_MORE"


def review_of(ad_id: str, row: dict[str, Any], reasons: dict[str, str]) -> AdReview:
    status = str(row.get("secondary_status", "")).upper()
    if status in DISAPPROVED:
        return AdReview(ad_id, Review.DISAPPROVED, reasons.get(ad_id) or "TikTok disapproved the ad without saying why.")
    return AdReview(ad_id, Review.IN_REVIEW if status in IN_REVIEW else Review.APPROVED)


def reject_reasons(data: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    entries = data.get("ad_review_map") if isinstance(data, dict) else None
    for ad_id, entry in entries.items() if isinstance(entries, dict) else []:
        notes: list[str] = []
        for info in entry.get("reject_info") or [] if isinstance(entry, dict) else []:
            if isinstance(info, dict):
                notes += [str(r) for r in info.get("reasons") or [] if r]
                if info.get("suggestion"):
                    notes.append(str(info["suggestion"]))
        if notes:
            found[str(ad_id)] = "; ".join(dict.fromkeys(notes))
    return found
