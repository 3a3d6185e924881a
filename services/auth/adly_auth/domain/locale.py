"""A user's language and time zone: which templates their mail uses, and when their day starts.

Most of ADLY's merchants are in the Gulf, so a new account is in Riyadh's time zone unless it
says otherwise (docs/identity.md, "A user's language and time zone")."""

from __future__ import annotations

from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo, available_timezones

from adly_kit.errors import InvalidInput

Language = Literal["en", "ar"]
DEFAULT_LANGUAGE: Language = "en"
DEFAULT_TIME_ZONE = "Asia/Riyadh"


def is_time_zone(name: str) -> bool:
    """An IANA place name (`Asia/Riyadh`) or `UTC`. Fixed offsets and their abbreviations
    (`EST`, `Etc/GMT-3`, `+03:00`) are refused: they ignore daylight saving, so a digest
    "at 8 every morning" would drift by an hour where the clocks change."""
    if name != "UTC" and ("/" not in name or name.startswith("Etc/")):
        return False
    if name not in _known_zones():  # also keeps out the database's `posix/` and `right/` copies
        return False
    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # listed but unreadable: not one to promise a user
        return False
    return True


@cache
def _known_zones() -> frozenset[str]:
    """The names in the time zone database, read once per process."""
    return frozenset(available_timezones())


def check_time_zone(name: str) -> str:
    if not is_time_zone(name):
        raise InvalidInput("Use a time zone's IANA name, such as Asia/Riyadh or Europe/London.", field="time_zone")
    return name


def language_of(accept_language: str | None) -> Language:
    """Arabic when the browser's first choice is Arabic (`ar`, `ar-SA`), otherwise English."""
    first = (accept_language or "").split(",")[0].split(";")[0].strip().lower()
    return "ar" if first == "ar" or first.startswith("ar-") else DEFAULT_LANGUAGE
