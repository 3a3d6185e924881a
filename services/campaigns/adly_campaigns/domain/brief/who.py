"""Who sees the ads and in what words: age range, gender, the audience's languages, the
language of the ads, and how many variants of each ad."""

from __future__ import annotations

from adly_campaigns.domain.brief import lexicon
from adly_campaigns.domain.brief.matching import Match, PhraseIndex
from adly_campaigns.domain.brief.numbers import read_number
from adly_campaigns.domain.brief.reading import Found, Reading
from adly_campaigns.domain.brief.text import Token, normalize_word

GENDERS = PhraseIndex([(p, key) for key, phrases in lexicon.GENDERS.items() for p in phrases])
LANGUAGES = PhraseIndex([(p, key) for key, phrases in lexicon.LANGUAGES.items() for p in phrases])
SPEAKERS = PhraseIndex([(p, True) for p in lexicon.SPEAKERS])


def _words(*items: str) -> frozenset[str]:
    return frozenset(normalize_word(w) for w in items)


AGE_CUES = _words("age", "ages", "aged", "old", "olds", "yrs", "yr", "years", "year", "yo", "عمر", "العمر", "اعمار",
                  "الاعمار", "اعمارهم", "عمرهم", "العمريه", "سن", "سنه", "سنة", "عام", "الفئه", "between", "بين")
AGE_UNITS = _words("yrs", "yr", "years", "year", "yo", "y", "old", "olds", "سنه", "سنين", "عام", "عاما", "سنوات")
RANGE_JOINERS = _words("-", "to", "and", "الى", "ل", "لين", "حتى", "لغايه", "و", "لحد")
AT_LEAST_BEFORE = _words("over", "above", "older", "فوق", "اكبر", "اكثر")
AT_LEAST_AFTER = _words("+", "plus", "وفوق", "فوق", "وما", "فما", "and", "او")
AT_MOST_BEFORE = _words("under", "below", "younger", "تحت", "اقل", "اصغر")
CREATIVE_CUES = _words(*lexicon.CREATIVE_CUES)
VARIANT_WORDS = _words(*lexicon.VARIANT_WORDS)
VARIANT_DUALS = {normalize_word(w): n for w, n in lexicon.VARIANT_DUALS.items()}
_AGE_LABELS = _words("الفئه", "العمريه", "ages", "age", "aged", "عمر", "اعمار")
MIN_AGE, MAX_AGE = 13, 65


def read_ages(reading: Reading) -> Found:
    tokens = reading.tokens
    for index, token in enumerate(tokens):
        if token.kind != "number" or not reading.free(index):
            continue
        found = _range_at(reading, index) or _open_range_at(reading, index)
        if found is not None:
            return found
    return Found({"min": 18, "max": 65}, None, None, 0.5)


def _age(token: Token) -> int | None:
    return int(token.text) if token.text.isdigit() and 10 <= int(token.text) <= 99 else None


def _range_at(reading: Reading, index: int) -> Found | None:
    tokens = reading.tokens
    low = _age(tokens[index])
    if low is None or index + 2 >= len(tokens):
        return None
    joiner = tokens[index + 1]
    if not (set(joiner.forms) | {joiner.text}) & RANGE_JOINERS or not reading.free(index + 2):
        return None
    high = _age(tokens[index + 2])
    if high is None or high <= low:
        return None
    start, end = index, index + 3
    while start > 0 and reading.free(start - 1) and (tokens[start - 1].text in {"من", "from", "between", "بين"}
                                                     or set(tokens[start - 1].forms) & AGE_CUES):
        start -= 1
    while end < len(tokens) and reading.free(end) and (set(tokens[end].forms) | {tokens[end].text}) & AGE_UNITS:
        end += 1
    cued = start < index or end > index + 3 or _near_cue(reading, index)
    if not cued and (low < MIN_AGE or high > 70):
        return None
    while start > 0 and reading.free(start - 1) and set(tokens[start - 1].forms) & (AGE_CUES | _AGE_LABELS):
        start -= 1
    reading.claim(start, end, "ages")
    value = {"min": max(MIN_AGE, min(low, MAX_AGE)), "max": max(MIN_AGE, min(high, MAX_AGE))}
    return Found(value, start, end, 0.95 if cued else 0.75)


def _open_range_at(reading: Reading, index: int) -> Found | None:
    """"30+", "over 30", "فوق ٣٠", "under 40", "أقل من ٤٠"."""
    tokens = reading.tokens
    age = _age(tokens[index])
    if age is None:
        return None
    after = tokens[index + 1] if index + 1 < len(tokens) else None
    low, high = max(MIN_AGE, min(age, MAX_AGE)), MAX_AGE
    if after is not None and (set(after.forms) | {after.text}) & AT_LEAST_AFTER and (
            after.text == "+" or _near_cue(reading, index)):
        return _claim_ages(reading, index, index + 2, {"min": low, "max": high}, 0.9)
    for cue in (index - 1, index - 2):
        if cue < 0 or not reading.free(cue) or not _near_cue(reading, index):
            continue
        if set(tokens[cue].forms) & AT_LEAST_BEFORE:
            return _claim_ages(reading, cue, index + 1, {"min": low, "max": high}, 0.85)
        if set(tokens[cue].forms) & AT_MOST_BEFORE:
            return _claim_ages(reading, cue, index + 1, {"min": 18, "max": max(MIN_AGE, min(age, MAX_AGE))}, 0.85)
    return None


def _claim_ages(reading: Reading, start: int, end: int, value: dict[str, int], confidence: float) -> Found:
    tokens = reading.tokens
    while start > 0 and reading.free(start - 1) and set(tokens[start - 1].forms) & (AGE_CUES | _AGE_LABELS):
        start -= 1
    while end < len(tokens) and reading.free(end) and (set(tokens[end].forms) | {tokens[end].text}) & AGE_UNITS:
        end += 1
    reading.claim(start, end, "ages")
    return Found(value, start, end, confidence)


def _near_cue(reading: Reading, index: int) -> bool:
    """An age word or an audience word (women, men) next to the number."""
    for position in reading.nearby(index, 3, 3):
        token = reading.tokens[position]
        if set(token.forms) & AGE_CUES or GENDERS.match_at(reading.tokens, position) is not None:
            return True
    return False


def read_gender(reading: Reading) -> Found:
    matches = reading.find(GENDERS)
    values = {m.value for m in matches}
    for match in matches:
        reading.claim(match.start, match.end, "gender")
    if not matches:
        return Found("all", None, None, 0.5)
    gender = "all" if "all" in values or {"female", "male"} <= values else values.pop()
    parts = [(m.start, m.end) for m in matches]
    return Found(gender, parts[0][0], parts[-1][1], 0.9, parts)


def read_languages(reading: Reading, brief_language: str) -> tuple[Found, Found]:
    """(the audience's languages, the language of the ads)."""
    audience: list[Match[str]] = []
    creative: list[Match[str]] = []
    for group in _groups(reading, reading.find(LANGUAGES)):
        if _speakers_near(reading, group):
            audience += group
        elif _creative_cue(reading, group):
            creative += group
        else:
            continue
        for match in group:
            reading.claim(match.start, match.end, "languages")
        _claim_language_cues(reading, group)
    audience_found = Found(sorted({m.value for m in audience}), audience[0].start, audience[-1].end, 0.9) \
        if audience else Found([], None, None, 0.5)
    codes = list(dict.fromkeys(m.value for m in creative))
    if not codes:
        return audience_found, Found(brief_language, None, None, 0.6)
    chosen = codes[0] if len(codes) == 1 else (brief_language if brief_language in codes else codes[0])
    return audience_found, Found(chosen, creative[0].start, creative[-1].end, 0.9 if len(codes) == 1 else 0.6)


def _claim_language_cues(reading: Reading, group: list[Match[str]]) -> None:
    tokens = reading.tokens
    around = [*range(max(0, group[0].start - 3), group[0].start), *range(group[-1].end, group[-1].end + 2)]
    for position in around:
        if position < len(tokens) and reading.free(position) and (
                set(tokens[position].forms) & CREATIVE_CUES or SPEAKERS.match_at(tokens, position) is not None):
            reading.claim(position, position + 1, "languages")


def _groups(reading: Reading, matches: list[Match[str]]) -> list[list[Match[str]]]:
    """"English + Arabic", "عربي وانجليزي": one mention of several languages."""
    groups: list[list[Match[str]]] = []
    for match in matches:
        if groups:
            between = reading.tokens[groups[-1][-1].end:match.start]
            if all(t.text in {"+", "and", "&", "/", "و", ","} for t in between) and len(between) <= 1:
                groups[-1].append(match)
                continue
        groups.append([match])
    return groups


def _speakers_near(reading: Reading, group: list[Match[str]]) -> bool:
    tokens = reading.tokens
    for position in (*range(group[-1].end, min(len(tokens), group[-1].end + 2)), *range(max(0, group[0].start - 2),
                                                                                        group[0].start)):
        if SPEAKERS.match_at(tokens, position) is not None:
            return True
    return False


def _creative_cue(reading: Reading, group: list[Match[str]]) -> bool:
    tokens = reading.tokens
    first = tokens[group[0].start]
    if first.text.startswith("بال"):
        return True
    near = tokens[max(0, group[0].start - 3):group[0].start] + tokens[group[-1].end:group[-1].end + 1]
    return any(set(t.forms) & CREATIVE_CUES or t.text in CREATIVE_CUES for t in near)


_FILLERS = _words("ad", "ads", "different", "creative", "copy", "اعلان", "اعلانات", "مختلفه", "مختلفة")
_PER_PLATFORM = PhraseIndex([(p, True) for p in ("per platform", "each platform", "for each platform", "per channel",
                                                 "لكل منصة", "لكل منصه", "في كل منصة", "each")])


def _variant_word_end(reading: Reading, position: int) -> int | None:
    """"3 variants", "4 ad variations", "٣ نسخ لكل منصة": the end of the words, or None."""
    tokens = reading.tokens
    for offset in (0, 1):
        at = position + offset
        if at >= len(tokens) or not reading.free(at):
            return None
        if set(tokens[at].forms) & VARIANT_WORDS:
            if offset == 1 and not set(tokens[position].forms) & _FILLERS:
                return None
            per = _PER_PLATFORM.match_at(tokens, at + 1, reading.claimed) if at + 1 < len(tokens) else None
            return per.end if per is not None else at + 1
    return None


def read_variants(reading: Reading) -> Found:
    tokens = reading.tokens
    for index, token in enumerate(tokens):
        if not reading.free(index):
            continue
        dual = next((VARIANT_DUALS[f] for f in token.forms if f in VARIANT_DUALS), None)
        if dual is not None:
            reading.claim(index, index + 1, "variants")
            return Found(dual, index, index + 1, 0.9)
        number = read_number(tokens, index)
        if number is None or number.end >= len(tokens) or not reading.free(number.end):
            continue
        end = _variant_word_end(reading, number.end)
        if end is not None and number.value == int(number.value):
            count = max(1, min(10, int(number.value)))
            reading.claim(index, end, "variants")
            return Found(count, index, end, 0.9)
    return Found(2, None, None, 0.5)
