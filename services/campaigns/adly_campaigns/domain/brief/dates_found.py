"""Date mentions in the brief (days, periods, "asap"), each with the tokens it came from."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from adly_campaigns.domain.brief import calendar_words as words
from adly_campaigns.domain.brief import occasions
from adly_campaigns.domain.brief.matching import PhraseIndex
from adly_campaigns.domain.brief.reading import Reading
from adly_campaigns.domain.brief.text import Token, normalize_word

RELATIVE = PhraseIndex([(p, key) for key, phrases in words.RELATIVE.items() for p in phrases])
WEEKDAYS = PhraseIndex([(p, day) for day, names in words.WEEKDAYS.items() for p in names], fuzzy=True)
MONTHS = PhraseIndex([(p, month) for month, names in words.MONTHS.items() for p in names], fuzzy=True)
NEXT = PhraseIndex([(p, True) for p in words.NEXT_WORDS])
OCCASIONS = PhraseIndex([(p, key) for key, phrases in occasions.OCCASION_WORDS.items() for p in phrases])
_BEFORE = frozenset(normalize_word(w) for w in ("before", "ahead of", "prior to", "قبل", "ما قبل"))
_AFTER = frozenset(normalize_word(w) for w in ("after", "بعد"))
_END_OF = frozenset(normalize_word(w) for w in ("end", "نهاية", "نهايه", "اخر", "خلاص"))
_AMBIGUOUS_DAYS = frozenset(normalize_word(w) for w in words.AMBIGUOUS_WEEKDAYS)
_AMBIGUOUS_MONTHS = frozenset(normalize_word(w) for w in words.AMBIGUOUS_MONTHS)
_JOINERS = frozenset(normalize_word(w) for w in words.RANGE_JOINERS)
_FIRST = frozenset(normalize_word(w) for w in words.FIRST_DAY_WORDS)
_ONLY = frozenset(normalize_word(w) for w in words.ONLY_WORDS)


def last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_weekday(today: date, weekday: int) -> date:
    """The first `weekday` strictly after today."""
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


@dataclass
class Mention:
    start: int
    end: int
    day: date | None = None             # a day already known
    until: date | None = None           # with `day`: a period from day to until
    month_day: tuple[int, int] | None = None   # a calendar date whose year depends on what it follows
    year: int | None = None
    month: int | None = None            # a month named alone: all of it
    weekday: int | None = None          # the first such day after what it follows
    special: str = ""                   # asap | end_month | end | start | occasion
    single: bool = False                # "this Friday only": that one day
    occasion: str = ""                  # read from an occasion (occasions.py): Ramadan, Eid...

    @property
    def month_only(self) -> bool:
        return self.month is not None

    def resolve(self, reference: date) -> date | None:
        if self.month_day is not None:
            return _upcoming(*self.month_day, self.year, reference)
        if self.weekday is not None:
            return next_weekday(reference, self.weekday)
        if self.month is not None:
            year = reference.year + (self.month < reference.month)
            return reference if (year, self.month) == (reference.year, reference.month) else date(year, self.month, 1)
        return self.day

    def period_end(self, start: date) -> date | None:
        if self.month is not None:
            return last_day(start.year, start.month)
        return self.until


def _upcoming(month: int, day: int, year: int | None, reference: date) -> date | None:
    try:
        if year is not None:
            return date(year, month, day)
        found = date(reference.year, month, day)
        return found if found >= reference else date(reference.year + 1, month, day)
    except ValueError:
        return None


def find_mentions(reading: Reading) -> list[Mention]:
    found = _occasions(reading) + _relatives(reading) + _calendar_dates(reading) + _numeric_dates(reading) \
        + _weekdays(reading)
    for mention in found:
        if mention.end < len(reading.tokens) and reading.free(mention.end) \
                and set(reading.tokens[mention.end].forms) & _ONLY and mention.until is None:
            reading.claim(mention.end, mention.end + 1, "schedule")
            mention.end, mention.single = mention.end + 1, True
    return sorted(found, key=lambda m: m.start)


def _occasions(reading: Reading) -> list[Mention]:
    """Ramadan, Eid, White Friday, a national day (occasions.py): their days; "before Eid" is the
    eve of Eid as an end, "after Ramadan" the day after it as a start."""
    today, time_zone = reading.context.today, reading.context.time_zone
    found: list[Mention] = []
    for match in reading.find(OCCASIONS):
        days = occasions.window(match.value, today, time_zone)
        if days is None:
            continue
        start, end = match.start, match.end
        relation = reading.previous(start, limit=1)
        forms = set(relation[0].forms) | {relation[0].text} if relation else set()
        if forms & _BEFORE:
            mention = Mention(relation[0].index, end, day=days[0] - timedelta(days=1), special="end",
                              occasion=match.value)
        elif forms & _AFTER:
            mention = Mention(relation[0].index, end, day=days[1] + timedelta(days=1), special="start",
                              occasion=match.value)
        elif forms & _END_OF:
            mention = Mention(relation[0].index, end, day=days[1], special="end", occasion=match.value)
        else:
            mention = Mention(start, end, day=days[0], until=days[1], special="occasion", occasion=match.value)
        reading.claim(mention.start, mention.end, "schedule")
        found.append(mention)
    return found


def _relatives(reading: Reading) -> list[Mention]:
    today, time_zone = reading.context.today, reading.context.time_zone
    found: list[Mention] = []
    for match in reading.find(RELATIVE):
        mention = relative_mention(match.value, today, time_zone, match.start, match.end)
        reading.claim(match.start, match.end, "schedule")
        found.append(mention)
    return found


def relative_mention(key: str, today: date, time_zone: str, start: int, end: int) -> Mention:
    next_month = add_months(today.replace(day=1), 1)
    rest = words.weekend(time_zone)
    if key in {"today", "tomorrow", "after_tomorrow"}:
        return Mention(start, end, day=today + timedelta(days=("today", "tomorrow", "after_tomorrow").index(key)))
    if key in {"asap", "end_month"}:
        return Mention(start, end, special=key)
    if key == "end_next_month":
        return Mention(start, end, day=last_day(next_month.year, next_month.month), special="end")
    if key in {"this_week", "next_week"}:
        first = next_weekday(today, words.week_start(time_zone))
        return Mention(start, end, day=today, until=first - timedelta(days=1)) if key == "this_week" \
            else Mention(start, end, day=first, until=first + timedelta(days=6))
    if key in {"this_weekend", "next_weekend"}:
        first = today if today.weekday() in rest else next_weekday(today, rest[0])
        first += timedelta(days=7 if key == "next_weekend" else 0)
        return Mention(start, end, day=first, until=first + timedelta(days=(rest[1] - first.weekday()) % 7))
    if key == "this_month":
        return Mention(start, end, day=today, until=last_day(today.year, today.month))
    if key in {"next_month", "all_next_month"}:
        return Mention(start, end, day=next_month, until=last_day(next_month.year, next_month.month))
    if key == "start_month":
        return Mention(start, end, day=today if today.day == 1 else next_month)
    return Mention(start, end, day=next_month)      # start_next_month


def _day_at(reading: Reading, index: int) -> tuple[int, int, int] | None:
    """(day, first token, end token) of a day of the month at `index`: 5, 5th, the 5th."""
    tokens = reading.tokens
    if not reading.free(index) or tokens[index].kind != "number" or not tokens[index].text.isdigit():
        return None
    day = int(tokens[index].text)
    if not 1 <= day <= 31:
        return None
    end = index + 1
    if end < len(tokens) and tokens[end].text in words.ORDINAL_SUFFIXES:
        end += 1
    return day, index, end


def _calendar_dates(reading: Reading) -> list[Mention]:
    found: list[Mention] = []
    tokens = reading.tokens
    for match in reading.find(MONTHS):
        month, start, end = match.value, match.start, match.end
        before = _day_before(reading, start)
        after = _day_at(reading, end) if before is None else None
        if before is None and after is None and tokens[start].text in _AMBIGUOUS_MONTHS:
            continue
        year, end = _year_after(reading, after[2] if after else end)
        if before is not None:
            day, start = before[0], before[1]
            found.extend(_range_start(reading, start, month, year))
        elif after is not None:
            day = after[0]
        else:
            start = _month_words_before(reading, start)
            reading.claim(start, end, "schedule")
            found.append(Mention(start, end, month=month))
            continue
        reading.claim(start, end, "schedule")
        found.append(Mention(start, end, month_day=(month, day), year=year))
    return found


def _day_before(reading: Reading, index: int) -> tuple[int, int, int] | None:
    position = index - 1
    if position >= 0 and reading.tokens[position].text in {"of", "من"}:
        position -= 1
    if position >= 0 and reading.free(position) and set(reading.tokens[position].forms) & _FIRST:
        start = position - 1 if position > 0 and reading.tokens[position - 1].text == "the" else position
        return 1, start, index      # "أول يونيو", "the first of June"
    if position >= 0 and reading.tokens[position].text in words.ORDINAL_SUFFIXES:
        position -= 1
    return _day_at(reading, position) if position >= 0 else None


def _range_start(reading: Reading, day_token: int, month: int, year: int | None) -> list[Mention]:
    """"from 5 to 20 March": the first day borrows the month of the second."""
    joiner = day_token - 1
    if joiner < 1 or not ({reading.tokens[joiner].text} & _JOINERS):
        return []
    first = _day_at(reading, joiner - 1)
    if first is None:
        return []
    reading.claim(first[1], first[2], "schedule")
    return [Mention(first[1], first[2], month_day=(month, first[0]), year=year)]


def _year_after(reading: Reading, index: int) -> tuple[int | None, int]:
    position = index + (1 if index < len(reading.tokens) and reading.tokens[index].text == "," else 0)
    if position < len(reading.tokens) and reading.tokens[position].kind == "number":
        text = reading.tokens[position].text
        if text.isdigit() and 2000 <= int(text) <= 2100:
            return int(text), position + 1
    return None, index


def _month_words_before(reading: Reading, index: int) -> int:
    """Take "the month of" / "شهر" with the month's name."""
    position = index
    while position > 0 and reading.tokens[position - 1].text in {"the", "month", "of", "شهر", "in", "during", "whole", "entire"}:
        position -= 1
    return position


def _numeric_dates(reading: Reading) -> list[Mention]:
    """15/6 and 15/6/2026, day first as in the region; 24/7 is "always", not a date."""
    found: list[Mention] = []
    tokens = reading.tokens
    for index in range(len(tokens) - 2):
        if not (reading.free(index) and tokens[index + 1].text == "/" and tokens[index].text.isdigit()
                and tokens[index + 2].text.isdigit()):
            continue
        day, month = int(tokens[index].text), int(tokens[index + 2].text)
        if not (1 <= day <= 31 and 1 <= month <= 12) or (day, month) == (24, 7):
            continue
        end, year = index + 3, None
        if end + 1 < len(tokens) and tokens[end].text == "/" and tokens[end + 1].text.isdigit():
            year = int(tokens[end + 1].text)
            year, end = (year + 2000 if year < 100 else year), end + 2
        reading.claim(index, end, "schedule")
        found.append(Mention(index, end, month_day=(month, day), year=year))
    return found


def _weekdays(reading: Reading) -> list[Mention]:
    found: list[Mention] = []
    for match in reading.find(WEEKDAYS):
        start, end = match.start, match.end
        token = reading.tokens[start]
        next_after = NEXT.match_at(reading.tokens, end, reading.claimed) if end < len(reading.tokens) else None
        if _ambiguous(token) and next_after is None and not _after_day_word(reading, start):
            continue
        if next_after is not None:
            end = next_after.end
        if start > 0 and reading.tokens[start - 1].text in {"next", "this", "coming"}:
            start -= 1
        reading.claim(start, end, "schedule")
        found.append(Mention(start, end, weekday=match.value))
    return found


def _ambiguous(token: Token) -> bool:
    return bool(set(token.forms) & _AMBIGUOUS_DAYS) and not token.text.startswith(("ال", "وال", "بال"))  \
        or token.text in _AMBIGUOUS_DAYS


_CUED = frozenset(normalize_word(w) for w in (*words.START_CUES, *words.END_CUES))


def _after_day_word(reading: Reading, index: int) -> bool:
    return index > 0 and bool(set(reading.tokens[index - 1].forms) & _CUED)
