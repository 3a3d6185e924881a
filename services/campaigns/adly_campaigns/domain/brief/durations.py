"""Durations: "for two weeks", "لمدة ١٠ أيام", "اسبوعين", "a month", "للأسبوع كله"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from adly_campaigns.domain.brief import calendar_words as words
from adly_campaigns.domain.brief.dates_found import MONTHS, add_months
from adly_campaigns.domain.brief.numbers import read_number
from adly_campaigns.domain.brief.reading import Reading
from adly_campaigns.domain.brief.text import Token, normalize_word

_UNITS = {**{normalize_word(w): "day" for w in words.DAY_UNITS}, **{normalize_word(w): "week" for w in words.WEEK_UNITS},
          **{normalize_word(w): "month" for w in words.MONTH_UNITS}}
_DUALS = {normalize_word(w): value for w, value in words.DUALS.items()}
_CUES = frozenset(normalize_word(w) for w in words.DURATION_CUES)
_WHOLE = frozenset(normalize_word(w) for w in ("كامل", "كامله", "واحد", "كله", "كلها", "بالكامل"))
_EVENT = frozenset(normalize_word(w) for w in words.EVENT_RELATIONS)


@dataclass
class Duration:
    start: int
    end: int
    unit: str           # day | week | month
    count: int
    back: bool = False  # "2 weeks before Eid": counted back from the day before the occasion

    def first_day(self, last: date) -> date:
        if self.unit == "month":
            return add_months(last + timedelta(days=1), -self.count)
        return last - timedelta(days=self.count * (7 if self.unit == "week" else 1) - 1)

    def last_day(self, start: date) -> date:
        if self.unit == "month":
            return add_months(start, self.count) - timedelta(days=1)
        return start + timedelta(days=self.count * (7 if self.unit == "week" else 1) - 1)


def find_durations(reading: Reading) -> list[Duration]:
    found: list[Duration] = []
    tokens = reading.tokens
    index = 0
    while index < len(tokens):
        duration = _duration_at(reading, index) if reading.free(index) else None
        if duration is None:
            index += 1
            continue
        start = duration.start
        while start > 0 and reading.free(start - 1) and _is_cue(tokens[start - 1]):
            start -= 1
        back = duration.end < len(tokens) and bool(set(tokens[duration.end].forms) & _EVENT)
        duration = Duration(start, duration.end, duration.unit, duration.count, back)
        reading.claim(duration.start, duration.end, "schedule.duration")
        found.append(duration)
        index = duration.end
    return found


def _duration_at(reading: Reading, index: int) -> Duration | None:
    tokens = reading.tokens
    token = tokens[index]
    for form in token.forms:
        if form in _DUALS:
            unit, count = _DUALS[form]
            return Duration(index, index + 1, unit, count)
    number = read_number(tokens, index)
    if number is not None and number.end < len(tokens) and reading.free(number.end):
        unit_name = _unit(tokens[number.end])
        if unit_name and number.value == int(number.value) and 0 < number.value <= 366:
            return Duration(index, number.end + 1, unit_name, int(number.value))
    unit_name = _unit(token)
    if unit_name is None or _followed_by_of_month(reading, index):
        return None
    before = tokens[index - 1] if index > 0 else None
    if before is not None and reading.free(index - 1) and (_is_cue(before) or before.text in {"a", "an", "one"}):
        if before.text in {"a", "an"} and any(t.kind in {"number", "sym"} for t in tokens[max(0, index - 3):index - 1]):
            return None     # "200 SAR a week" is a weekly budget
        return Duration(index, index + 1, unit_name, 1)
    if index + 1 < len(tokens) and set(tokens[index + 1].forms) & _WHOLE:
        return Duration(index, index + 2, unit_name, 1)
    return None


def _unit(token: Token) -> str | None:
    for form in token.forms:
        if form in _UNITS:
            return _UNITS[form]
    return None


def _is_cue(token: Token) -> bool:
    return bool(set(token.forms) & _CUES) or token.text in _CUES


def _followed_by_of_month(reading: Reading, index: int) -> bool:
    tokens = reading.tokens
    return index + 2 < len(tokens) and tokens[index + 1].text == "of" and \
        MONTHS.match_at(tokens, index + 2) is not None
