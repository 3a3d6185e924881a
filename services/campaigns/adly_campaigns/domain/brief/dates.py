"""The schedule: when the campaign starts and ends, in calendar days of the workspace.

Rules (docs/campaigns-brief.md, "Dates"): relative to `context.today`; a weekday ("Sunday",
"next Sunday", "الأحد الجاي") is the first such day strictly after today; "for two weeks" is 14
days counting the first, so ends_on = starts_on + 13 days, and "for a month" ends the day
before the same date a month on; a duration with no start starts today; a date without a
year is its next occurrence (an end: its next occurrence on or after the start); "end of the
month" is the last day of the start's month (today's when there is no start); "next week"
starts on the first day of the working week of the workspace's time zone (Sunday in the
Gulf, Monday in the UAE); "this weekend" is the workspace's coming rest days.

The library `dateparser` (1.5) was tried for this and left out: it reads "1 يناير" and "next
Sunday" but none of "الأحد القادم", "بكرة", "كانون الثاني", "this weekend", "starting 1 Jan".
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from adly_campaigns.domain.brief import calendar_words as words
from adly_campaigns.domain.brief.dates_found import Mention, find_mentions, last_day
from adly_campaigns.domain.brief.durations import Duration, find_durations
from adly_campaigns.domain.brief.reading import Found, Reading
from adly_campaigns.domain.brief.text import normalize_word

_START = frozenset(normalize_word(w) for w in words.START_CUES)
_JOINERS = frozenset(normalize_word(w) for w in words.RANGE_JOINERS)
# "to", "-", "ل", "الى" end a range only right after its first date; "until", "حتى" end on their own.
_END = frozenset(normalize_word(w) for w in words.END_CUES) - {"to", "-", "ل", "الى", "و", "and", "through", "thru"}


@dataclass
class _Roles:
    starts: list[Mention] = field(default_factory=list)
    ends: list[Mention] = field(default_factory=list)
    periods: list[Mention] = field(default_factory=list)
    points: list[Mention] = field(default_factory=list)


def read_schedule(reading: Reading) -> tuple[Found, list[str]]:
    """The schedule, and what is wrong with it for the merchant to answer."""
    mentions = find_mentions(reading)
    durations = find_durations(reading)
    # "a campaign for Eid ... 2 weeks before Eid": the run-up is the schedule, Eid itself the context
    related = {m.occasion for m in mentions if m.occasion and m.special in {"start", "end"}}
    context = [m for m in mentions if m.special == "occasion" and m.occasion in related]
    mentions = [m for m in mentions if m not in context]
    ends_before = {m.end for m in mentions if m.occasion and m.special == "end"}
    durations = [replace(d, back=True) if d.start in ends_before else d for d in durations]  # "قبل العيد باسبوعين"
    today = reading.context.today
    start, end, confidence = _compose(_assign(reading, mentions), durations, today)
    used = [(m.start, m.end) for m in mentions + context] + [(d.start, d.end) for d in durations]
    problems: list[str] = []
    if start is not None and end is not None and end < start:
        problems.append("ends_before_start")
        end = None
    if start is not None and start < today:
        problems.append("starts_in_the_past")
    value = {"starts_on": start.isoformat() if start else None, "ends_on": end.isoformat() if end else None}
    if not used:
        return Found(value, None, None, 0.5), problems
    return Found(value, min(u[0] for u in used), max(u[1] for u in used), confidence, used), problems


def _assign(reading: Reading, mentions: list[Mention]) -> _Roles:
    roles = _Roles()
    previous: Mention | None = None
    for mention in mentions:
        role = _role(reading, mention, previous)
        if role:
            _claim_cues(reading, mention.start)
        if mention.special == "asap":
            pass                                  # "asap": as soon as it is live, which is no start date
        elif role == "start" or mention.special == "start":
            roles.starts.append(mention)
        elif role == "end" or mention.special in {"end_month", "end"}:
            roles.ends.append(mention)
        elif mention.until is not None or mention.month_only:
            roles.periods.append(mention)
        else:
            roles.points.append(mention)
        previous = mention
    return roles


def _claim_cues(reading: Reading, start: int) -> None:
    """"starting from", "نبدأ من", "ابتداء من": the words that said start or end."""
    for token in reading.previous(start, limit=2):
        if not (set(token.forms) & (_START | _END | _JOINERS)) or not reading.free(token.index):
            break
        reading.claim(token.index, token.index + 1, "schedule")


def _role(reading: Reading, mention: Mention, previous: Mention | None) -> str:
    before = reading.previous(mention.start, limit=1)
    if not before:
        return ""
    forms = set(before[0].forms) | {before[0].text}
    if previous is not None and mention.start - previous.end <= 2 and forms & _JOINERS:
        return "end"
    if forms & _END:
        return "end"
    return "start" if forms & _START else ""


def _compose(roles: _Roles, durations: list[Duration], today: date) -> tuple[date | None, date | None, float]:
    confidence = 0.9
    counted_back = [d for d in durations if d.back]
    durations = [d for d in durations if not d.back]
    first = next((m for m in roles.starts + roles.points[:1] if m.resolve(today) is not None), None)
    start = first.resolve(today) if first is not None else None
    end: date | None = start if first is not None and first.single else None
    if first is not None and not roles.starts and len(roles.points) > 1 and start is not None:
        end = roles.points[1].resolve(start)
    if start is None and roles.periods:
        period = roles.periods[0]
        start = period.resolve(today)
        if not durations and start is not None:
            end = period.period_end(start)
    if roles.ends:
        end = _end_of(roles.ends[0], start, today)
    if counted_back and end is not None and start is None:
        start = max(counted_back[0].first_day(end), today)     # "two weeks before Eid"
    if durations and end is None:
        if start is None:
            start, confidence = today, 0.6
        end = durations[0].last_day(start)
    if any(m.occasion for m in roles.starts + roles.ends + roles.periods + roles.points):
        confidence = min(confidence, 0.75)   # an occasion's days: the moon decides, and which days are meant
    return start, end, confidence


def _end_of(mention: Mention, start: date | None, today: date) -> date | None:
    reference = start or today
    if mention.special == "occasion" and mention.day is not None:
        return mention.day - timedelta(days=1)   # "until Eid": up to its eve
    if mention.special == "end_month":
        return last_day(reference.year, reference.month)
    if mention.until is not None and mention.month_day is None:
        return mention.until
    if mention.month_only and mention.month is not None:
        first = mention.resolve(reference)
        return last_day(first.year, first.month) if first else None
    return mention.resolve(reference)
