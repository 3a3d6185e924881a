"""Occasions merchants in the region plan campaigns around, as calendar days.

Ramadan and the two Eids follow the Umm al-Qura calendar (Saudi Arabia's official one; the
table below was computed with the `hijridate` package, 2.6.0, for 1446-1461 AH, i.e. 2025-2039).
Elsewhere the moon may be sighted a day apart, so a date read from an occasion is said with
confidence 0.75 and the merchant sees it in the plan before anything is published.

- Ramadan: 1 Ramadan to the eve of Eid al-Fitr; "the last ten days" (العشر الأواخر): its last ten.
- Eid al-Fitr: 1-3 Shawwal; Eid al-Adha: 10-13 Dhu al-Hijjah; "Eid" alone: the nearer one.
- White Friday (the Gulf's name for it) and Black Friday: the Friday after the fourth Thursday
  of November; Singles' Day: 11 November; Valentine's Day: 14 February; Mother's Day: 21
  March, as the Arab world keeps it; Saudi Founding Day: 22 February.
- National days: Saudi Arabia 23 September, the UAE 2 December, Kuwait 25 February, Qatar 18
  December, Bahrain 16 December, Oman 20 November (a royal decree of January 2025 moved it from
  18 November; found with the `search` tool in regional news, mcnews.ca 2025-01-24), Jordan 25 May; "national day" alone is the workspace's country's (by
  its time zone).

An occasion's window is its next occurrence whose last day is today or later, so "Ramadan",
read during Ramadan, is what is left of it.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, timedelta

# Hijri year: (1 Ramadan, 1 Shawwal = Eid al-Fitr, 10 Dhu al-Hijjah = Eid al-Adha)
UMM_AL_QURA: dict[int, tuple[date, date, date]] = {
    1446: (date(2025, 3, 1), date(2025, 3, 30), date(2025, 6, 6)),
    1447: (date(2026, 2, 18), date(2026, 3, 20), date(2026, 5, 27)),
    1448: (date(2027, 2, 8), date(2027, 3, 9), date(2027, 5, 16)),
    1449: (date(2028, 1, 28), date(2028, 2, 26), date(2028, 5, 5)),
    1450: (date(2029, 1, 16), date(2029, 2, 14), date(2029, 4, 24)),
    1451: (date(2030, 1, 5), date(2030, 2, 4), date(2030, 4, 13)),
    1452: (date(2030, 12, 26), date(2031, 1, 24), date(2031, 4, 2)),
    1453: (date(2031, 12, 15), date(2032, 1, 14), date(2032, 3, 22)),
    1454: (date(2032, 12, 4), date(2033, 1, 2), date(2033, 3, 11)),
    1455: (date(2033, 11, 23), date(2033, 12, 23), date(2034, 3, 1)),
    1456: (date(2034, 11, 12), date(2034, 12, 12), date(2035, 2, 18)),
    1457: (date(2035, 11, 1), date(2035, 12, 1), date(2036, 2, 7)),
    1458: (date(2036, 10, 20), date(2036, 11, 19), date(2037, 1, 26)),
    1459: (date(2037, 10, 10), date(2037, 11, 8), date(2038, 1, 16)),
    1460: (date(2038, 9, 30), date(2038, 10, 29), date(2039, 1, 5)),
    1461: (date(2039, 9, 19), date(2039, 10, 19), date(2039, 12, 26)),
}

OCCASION_WORDS: dict[str, tuple[str, ...]] = {
    "last_ten_nights": ("last ten days of ramadan", "last 10 days of ramadan", "last ten nights of ramadan",
                        "last 10 nights of ramadan", "last ten nights", "العشر الاواخر", "العشر الاواخر من رمضان",
                        "اخر عشر ايام من رمضان", "العشر الاخيره من رمضان", "العشر الاخيرة"),
    "ramadan": ("ramadan", "ramadhan", "ramzan", "رمضان", "شهر رمضان", "الشهر الفضيل", "الشهر الكريم",
                "رمضان الكريم", "رمضان المبارك"),
    "eid_al_fitr": ("eid al fitr", "eid al-fitr", "eid ul fitr", "eid ul-fitr", "eid-ul-fitr", "eid alfitr",
                    "eid el fitr", "عيد الفطر", "عيد الفطر المبارك", "العيد الصغير"),
    "eid_al_adha": ("eid al adha", "eid al-adha", "eid ul adha", "eid ul-adha", "eid-ul-adha", "eid aladha",
                    "eid el adha", "عيد الاضحى", "عيد الاضحى المبارك", "العيد الكبير", "عيد الحج"),
    "eid": ("eid", "العيد", "عيد", "eid holidays", "eid holiday", "اجازة العيد", "ايام العيد"),
    "black_friday": ("white friday", "black friday", "الجمعة البيضاء", "الجمعه البيضاء", "الجمعة البيضا",
                     "الجمعة السوداء", "الجمعه السوداء", "بلاك فرايدي", "وايت فرايدي", "البلاك فرايدي",
                     "الوايت فرايدي"),
    "singles_day": ("singles day", "singles' day", "single's day", "يوم العزاب"),
    "valentines": ("valentine's day", "valentines day", "valentine day", "valentine's", "valentines",
                   "عيد الحب", "الفالنتاين", "فالنتاين"),
    "mothers_day": ("mother's day", "mothers day", "mothers' day", "عيد الام", "عيد الأم", "يوم الام"),
    "founding_day": ("founding day", "saudi founding day", "يوم التاسيس", "يوم التأسيس"),
    "national_day:SA": ("saudi national day", "ksa national day", "اليوم الوطني السعودي", "اليوم الوطني للمملكة",
                        "اليوم الوطني ٩٣", "اليوم الوطني السعودي ال"),
    "national_day:AE": ("uae national day", "emirates national day", "eid al etihad", "اليوم الوطني الاماراتي",
                        "عيد الاتحاد", "اليوم الوطني للامارات"),
    "national_day:KW": ("kuwait national day", "kuwaiti national day", "اليوم الوطني الكويتي", "العيد الوطني الكويتي",
                        "هلا فبراير"),
    "national_day:QA": ("qatar national day", "qatari national day", "اليوم الوطني القطري", "اليوم الوطني لقطر"),
    "national_day:BH": ("bahrain national day", "اليوم الوطني البحريني", "العيد الوطني البحريني"),
    "national_day:OM": ("oman national day", "omani national day", "اليوم الوطني العماني", "العيد الوطني العماني"),
    "national_day:JO": ("jordan independence day", "jordanian independence day", "عيد الاستقلال الاردني"),
    "national_day": ("national day", "اليوم الوطني", "العيد الوطني", "يوم الوطن"),
}

NATIONAL_DAYS = {"SA": (9, 23), "AE": (12, 2), "KW": (2, 25), "QA": (12, 18), "BH": (12, 16), "OM": (11, 20),
                 "JO": (5, 25)}
COUNTRY_OF_ZONE = {"Asia/Riyadh": "SA", "Asia/Dubai": "AE", "Asia/Kuwait": "KW", "Asia/Qatar": "QA",
                   "Asia/Bahrain": "BH", "Asia/Muscat": "OM", "Asia/Amman": "JO"}
FIXED = {"singles_day": (11, 11), "valentines": (2, 14), "mothers_day": (3, 21), "founding_day": (2, 22)}


def window(occasion: str, today: date, time_zone: str) -> tuple[date, date] | None:
    """The occasion's days (first, last), its next occurrence not over by today; None when the
    calendar here does not know it (a national day of a country without one listed)."""
    if occasion in {"ramadan", "last_ten_nights", "eid_al_fitr", "eid_al_adha"}:
        return _islamic(occasion, today)
    if occasion == "eid":
        candidates = [w for w in (_islamic("eid_al_fitr", today), _islamic("eid_al_adha", today)) if w]
        return min(candidates) if candidates else None
    if occasion == "black_friday":
        return _yearly(today, _black_friday)
    if occasion in FIXED:
        month, day = FIXED[occasion]
        return _yearly(today, lambda year: date(year, month, day))
    if occasion.startswith("national_day"):
        country = occasion.partition(":")[2] or COUNTRY_OF_ZONE.get(time_zone, "")
        if country not in NATIONAL_DAYS:
            return None
        month, day = NATIONAL_DAYS[country]
        return _yearly(today, lambda year: date(year, month, day))
    return None


def _islamic(occasion: str, today: date) -> tuple[date, date] | None:
    for ramadan, fitr, adha in sorted(UMM_AL_QURA.values()):
        days = {"ramadan": (ramadan, fitr - timedelta(days=1)),
                "last_ten_nights": (fitr - timedelta(days=10), fitr - timedelta(days=1)),
                "eid_al_fitr": (fitr, fitr + timedelta(days=2)),
                "eid_al_adha": (adha, adha + timedelta(days=3))}[occasion]
        if days[1] >= today:
            return max(days[0], today), days[1]
    return None


def _yearly(today: date, day_of: Callable[[int], date]) -> tuple[date, date]:
    this_year = day_of(today.year)
    day = this_year if this_year >= today else day_of(today.year + 1)
    return day, day


def _black_friday(year: int) -> date:
    """The Friday after the fourth Thursday of November."""
    first_thursday = 1 + (calendar.THURSDAY - calendar.weekday(year, 11, 1)) % 7
    return date(year, 11, first_thursday + 21 + 1)
