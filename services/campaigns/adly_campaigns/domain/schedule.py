"""A schedule's calendar days, in the workspace's time zone, as the instants platforms take."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adly_events.contracts.campaigns import Schedule
from adly_kit.errors import InvalidInput


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"{name!r} is not a time zone we know (use an IANA name such as Asia/Riyadh).",
                           field="schedule.time_zone") from None


def window(schedule: Schedule) -> tuple[datetime | None, datetime | None]:
    """From the start of `starts_on` to the end of `ends_on` (the next midnight), local time."""
    tz = zone(schedule.time_zone)
    starts = datetime.combine(schedule.starts_on, time.min, tz) if schedule.starts_on else None
    ends = datetime.combine(schedule.ends_on + timedelta(days=1), time.min, tz) if schedule.ends_on else None
    return starts, ends
