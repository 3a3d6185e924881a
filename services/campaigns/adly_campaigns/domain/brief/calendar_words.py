"""Calendar words: weekdays, months (Gregorian in Egyptian/Gulf use, Syriac in Levantine:
كانون الثاني = January), relative days and periods, durations, start and end words; and the
working week of the workspace's time zone (the Gulf rests Friday-Saturday, the UAE since 2022
Saturday-Sunday)."""

from __future__ import annotations

WEEKDAYS: dict[int, tuple[str, ...]] = {   # date.weekday(): Monday is 0
    0: ("monday", "الاثنين", "الاتنين", "اثنين", "الإثنين"),
    1: ("tuesday", "tues", "الثلاثاء", "الثلاثا", "التلات", "التلاتاء"),
    2: ("wednesday", "الاربعاء", "الاربعا"),
    3: ("thursday", "thurs", "الخميس"),
    4: ("friday", "الجمعة", "الجمعه"),
    5: ("saturday", "السبت"),
    6: ("sunday", "الاحد", "الحد"),
}
# Arabic weekday names that are also ordinary words (احد "someone", الحد "the limit",
# اثنين "two", الجمعة "the gathering"): a weekday only after يوم/من or before "next".
AMBIGUOUS_WEEKDAYS = frozenset({"احد", "الحد", "حد", "اثنين", "الجمعه"})
NEXT_WORDS = ("next", "coming", "this", "this coming", "القادم", "القادمه", "الجاي", "الجايه", "الياي", "الياية",
              "اللي جاي", "الي جاي", "المقبل", "الجاية")

MONTHS: dict[int, tuple[str, ...]] = {
    1: ("january", "jan", "يناير", "جانفي", "كانون الثاني"),
    2: ("february", "feb", "فبراير", "فيفري", "شباط"),
    3: ("march", "mar", "مارس", "اذار"),
    4: ("april", "apr", "ابريل", "افريل", "نيسان"),
    5: ("may", "مايو", "ايار"),
    6: ("june", "jun", "يونيو", "يونيه", "جوان", "حزيران"),
    7: ("july", "jul", "يوليو", "يوليه", "جويلية", "تموز"),
    8: ("august", "aug", "اغسطس", "اوت", "اب"),
    9: ("september", "sep", "sept", "سبتمبر", "ايلول"),
    10: ("october", "oct", "اكتوبر", "تشرين الاول"),
    11: ("november", "nov", "نوفمبر", "تشرين الثاني"),
    12: ("december", "dec", "ديسمبر", "كانون الاول"),
}
# Month names that are also words ("may", "mar", اب "father"): a month only next to a day.
AMBIGUOUS_MONTHS = frozenset({"may", "mar", "اب", "jun", "dec", "sep", "oct", "jan", "aug", "apr"})

RELATIVE: dict[str, tuple[str, ...]] = {
    "today": ("today", "starting today", "النهارده", "النهاردة", "من اليوم", "ابتداء من اليوم"),
    "tomorrow": ("tomorrow", "tmrw", "tmr", "tomorow", "بكرة", "بكره", "بكرا", "باچر", "باجر", "باكر", "غدا", "الغد"),
    "after_tomorrow": ("day after tomorrow", "the day after tomorrow", "بعد بكرة", "بعد بكره", "بعد بكرا",
                       "بعد باچر", "بعد باجر", "بعد غد", "بعد الغد"),
    "asap": ("asap", "as soon as possible", "immediately", "right away", "right now", "فورا", "على طول", "من الحين",
             "الحين", "حالا", "باسرع وقت", "اسرع وقت", "في اقرب وقت", "من دلوقتي", "دلوقتي", "هلق"),
    "this_week": ("this week", "هالاسبوع", "هذا الاسبوع", "الاسبوع هذا", "الاسبوع ده", "هذي الاسبوع"),
    "next_week": ("next week", "the coming week", "الاسبوع القادم", "الاسبوع الجاي", "الاسبوع الياي",
                  "الاسبوع المقبل", "الاسبوع اللي جاي", "الاسبوع الي جاي"),
    "this_weekend": ("this weekend", "the weekend", "weekend", "الويكند", "ويكند", "هالويكند", "الويك اند",
                     "نهاية الاسبوع", "عطلة نهاية الاسبوع", "الويكاند"),
    "next_weekend": ("next weekend", "الويكند الجاي", "الويكند القادم", "الويكند الياي"),
    "this_month": ("this month", "هالشهر", "هذا الشهر", "الشهر هذا", "الشهر ده", "الشهر الحالي"),
    "next_month": ("next month", "the coming month", "الشهر القادم", "الشهر الجاي", "الشهر الياي", "الشهر المقبل",
                   "الشهر اللي جاي", "الشهر الي جاي"),
    "all_next_month": ("all of next month", "all next month", "the whole of next month", "the whole next month",
                       "طول الشهر الجاي", "طول الشهر القادم", "الشهر الجاي كامل", "الشهر الجاي كله",
                       "الشهر القادم كامل", "كل الشهر الجاي"),
    "start_next_month": ("start of next month", "beginning of next month", "the beginning of next month",
                         "the start of next month", "first of next month", "1st of next month",
                         "the 1st of next month", "بداية الشهر الجاي", "بداية الشهر القادم", "بداية الشهر الياي",
                         "اول الشهر الجاي", "اول الشهر القادم", "اول الشهر الياي", "مطلع الشهر القادم",
                         "مطلع الشهر الجاي", "بدايه الشهر الجاي"),
    "start_month": ("start of the month", "beginning of the month", "بداية الشهر", "اول الشهر", "مطلع الشهر"),
    "end_month": ("end of the month", "end of month", "month end", "the end of the month", "نهاية الشهر",
                  "اخر الشهر", "نهايه الشهر", "لاخر الشهر", "اخر هالشهر", "اخره", "نهايته", "the end of it"),
    "end_next_month": ("end of next month", "the end of next month", "نهاية الشهر الجاي", "نهاية الشهر القادم",
                       "اخر الشهر الجاي", "اخر الشهر القادم"),
}

DAY_UNITS = ("day", "days", "يوم", "ايام", "يوما")
WEEK_UNITS = ("week", "weeks", "wk", "wks", "اسبوع", "اسابيع", "اسبوعا")
MONTH_UNITS = ("month", "months", "شهر", "شهور", "اشهر", "شهرا")
DUALS = {"يومين": ("day", 2), "اسبوعين": ("week", 2), "شهرين": ("month", 2), "fortnight": ("week", 2)}
DURATION_CUES = ("for", "for the next", "over", "during", "run for", "lasting", "over the course of", "لمدة", "مدة", "مده", "لمده",
                 "على مدار", "مدار", "على مدى", "مدى",
                 "طوال", "خلال", "ل")

START_CUES = ("from", "starting", "start", "starts", "begin", "beginning", "begins", "launch", "launching",
              "go live", "going live", "goes live", "kick off", "kicking off", "as of", "effective", "on", "live",
              "starting from", "start from", "start on", "starting on", "من", "ابتداء", "ابتداءا", "ابتداء من",
              "اعتبارا من", "بداية من", "بدءا من", "يبدا", "تبدا", "نبدا", "نبلش", "تبلش", "ينطلق", "تنطلق",
              "نطلق", "يبدا من", "تبدا من", "نبدا من", "يوم")
END_CUES = ("until", "till", "til", "to", "through", "thru", "end", "ends", "ending", "up to", "untill", "-",
            "حتى", "لين", "لغاية", "لغايه", "لحد", "الى", "ل", "وتنتهي", "تنتهي", "ينتهي", "وينتهي", "الين",
            "لحين", "and end", "ends on", "end on", "stop", "stops", "finish", "finishes", "تخلص", "يخلص", "وتخلص",
            "وتنتهي", "نوقف", "توقف", "وتوقف", "تقفل")
RANGE_JOINERS = ("to", "-", "until", "till", "through", "thru", "and", "الى", "ل", "لين", "حتى", "لغاية", "لحد", "و")
ORDINAL_SUFFIXES = frozenset({"st", "nd", "rd", "th"})
FIRST_DAY_WORDS = ("اول", "first", "بداية", "مطلع")
ONLY_WORDS = ("only", "بس", "فقط", "alone", "just that day")
EVENT_RELATIONS = ("before", "after", "ahead of", "قبل", "بعد")

_FRIDAY_SATURDAY = ("Asia/Riyadh", "Asia/Kuwait", "Asia/Qatar", "Asia/Bahrain", "Asia/Muscat", "Africa/Cairo",
                    "Asia/Amman", "Asia/Baghdad", "Asia/Aden")


def weekend(time_zone: str) -> tuple[int, int]:
    """The two rest days (date.weekday()) where the workspace is."""
    return (4, 5) if time_zone in _FRIDAY_SATURDAY else (5, 6)


def week_start(time_zone: str) -> int:
    return (weekend(time_zone)[1] + 1) % 7
