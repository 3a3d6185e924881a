"""When and how often a mail goes out: its stable id, the retry schedule, the digest's day.

Plain rules, no I/O. A mail's id is derived from what it is about, so a replayed notice or a
second digest scheduler finds the row already there and sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adly_notifications.domain.notices import NOTICE_NAMESPACE

DIGEST = "digest.daily"
# The furthest ahead of UTC any zone runs (Pacific/Kiritimati): no member anywhere can be due
# a digest of a later day than this clock's yesterday.
AHEAD_OF_UTC_AT_MOST = timedelta(hours=14)


def notice_mail_id(notification_id: UUID, user_id: UUID) -> UUID:
    return uuid5(NOTICE_NAMESPACE, f"mail:{notification_id}:{user_id}")


def digest_mail_id(workspace_id: UUID, user_id: UUID, day: date) -> UUID:
    return uuid5(NOTICE_NAMESPACE, f"digest:{workspace_id}:{user_id}:{day.isoformat()}")


def zone(time_zone: str) -> ZoneInfo:
    """The member's zone; one auth holds that this machine does not know reads as UTC."""
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def digest_due(now: datetime, time_zone: str, send_hour: int) -> date | None:
    """The day a member's digest covers if it is due now (their yesterday, once their clock has
    passed `send_hour`), else None: before that hour, yesterday may still be restated."""
    local = now.astimezone(zone(time_zone))
    return local.date() - timedelta(days=1) if local.hour >= send_hour else None


def newest_digest_day(now: datetime) -> date:
    """The latest day any member anywhere can be due a digest for: a workspace whose members
    all have that day's digest needs no look at their clocks."""
    return (now + AHEAD_OF_UTC_AT_MOST).date() - timedelta(days=1)


def retry_in(tries: int, delays: Sequence[float], jitter: Callable[[], float]) -> float | None:
    """Seconds before the next try after `tries` failed ones (+-20 %), or None: give up."""
    if tries > len(delays):
        return None
    return delays[tries - 1] * (0.8 + 0.4 * jitter())
