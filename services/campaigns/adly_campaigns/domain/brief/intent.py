"""What the campaign is for (objective) and where it runs (platforms)."""

from __future__ import annotations

from adly_campaigns.domain.brief import lexicon
from adly_campaigns.domain.brief.matching import Match, PhraseIndex
from adly_campaigns.domain.brief.reading import Found, Reading
from adly_campaigns.domain.brief.text import normalize_word

PLATFORMS = PhraseIndex([(p, key) for key, phrases in lexicon.PLATFORMS.items() for p in phrases], fuzzy=True)
OBJECTIVES = PhraseIndex([(p, key) for key, phrases in lexicon.OBJECTIVES.items() for p in phrases])
NEGATIONS = frozenset(normalize_word(w) for w in lexicon.NEGATIONS)
# Words that hint at a goal rather than name it: they lose to a word that names one.
_WEAK_GOALS = frozenset(normalize_word(w) for w in (
    "sale", "اوصل", "نوصل", "engagement", "views", "followers", "تفاعل", "متابعين", "مشاهدات", "visit", "بيع", "البيع"))
_GOAL_WORDS = frozenset(normalize_word(w) for w in ("goal", "objective", "aim", "الهدف", "هدف", "هدفي", "هدفنا"))


def negated(reading: Reading, start: int) -> bool:
    """"not on TikTok", "بدون تيك توك", "ماعدا سناب": the mention is excluded, not chosen
    (and the negation is taken as understood)."""
    for token in reading.previous(start, limit=2):
        if token.text in {",", "and", "و"}:
            return False
        if set(token.forms) & NEGATIONS or token.text in NEGATIONS:
            reading.claim(token.index, token.index + 1, "negation")
            return True
    return False


def find_platforms(reading: Reading) -> list[Match[str]]:
    matches = reading.find(PLATFORMS)
    for match in matches:
        reading.claim(match.start, match.end, "platforms")
    return matches


def read_platforms(reading: Reading, matches: list[Match[str]]) -> Found:
    chosen: set[str] = set()
    excluded: set[str] = set()
    for match in matches:
        names = set(lexicon.ALL_PLATFORMS) if match.value == "ALL" else {match.value}
        (excluded if negated(reading, match.start) else chosen).update(names)
    if not chosen and excluded:
        chosen = set(lexicon.ALL_PLATFORMS)     # "anything but TikTok"
    platforms = sorted(chosen - excluded)
    if not platforms:
        return Found([], None, None, 0.0)
    parts = [(m.start, m.end) for m in matches]
    confidence = 0.95 if all(m.exact for m in matches) else 0.8
    return Found(platforms, parts[0][0], parts[-1][1], confidence, parts)


def read_objective(reading: Reading) -> Found:
    best: tuple[float, Match[str]] | None = None
    for match in reading.find(OBJECTIVES):
        if negated(reading, match.start):
            reading.claim(match.start, match.end, "objective")
            continue
        strength = _strength(reading, match)
        if best is None or strength > best[0]:
            best = (strength, match)
        reading.claim(match.start, match.end, "objective")
    if best is None:
        return Found("sales", None, None, 0.3)     # most merchants want sales; said with low confidence
    strength, match = best
    return Found(match.value, match.start, match.end, strength)


def _strength(reading: Reading, match: Match[str]) -> float:
    goal = [t for t in reading.previous(match.start, skip_stops=False, limit=3) if set(t.forms) & _GOAL_WORDS]
    if goal:
        reading.claim(goal[0].index, goal[0].index + 1, "objective")
        return 0.95
    text = reading.tokens[match.start].forms
    if match.end - match.start == 1 and set(text) & _WEAK_GOALS:
        return 0.6
    return 0.85
