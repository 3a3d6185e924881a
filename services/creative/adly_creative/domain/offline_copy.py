"""Ad copy composed from product facts, a brand kit and templates: the offline writer's rules.

Pure functions, no I/O. The templates themselves are data (adapters/offline/copy_templates.py);
here is what makes any template safe to publish:
- lengths are counted in code points, as the platforms count them, and never exceeded;
  text is shortened at word boundaries, never inside a word;
- a brand's words to avoid never appear (case-insensitive, Arabic compared without diacritics,
  tatweel or alef/yeh/teh-marbuta variants, and as substrings, so "cheap" also rules out "cheaper");
- a price is only the product's real price, and "was X, now Y" only when compare_at_price > price.
"""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from string import Formatter

from adly_creative.domain.ports import Money

# Western digits in both languages: Saudi storefronts and ad platforms show prices that way,
# and a price checker can then compare one spelling of each amount.
ARABIC_CURRENCY_SYMBOLS = {
    "SAR": "ر.س", "AED": "د.إ", "KWD": "د.ك", "BHD": "د.ب", "QAR": "ر.ق",
    "OMR": "ر.ع", "EGP": "ج.م", "JOD": "د.أ",
}
MINOR_UNITS = {"KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "JPY": 0, "KRW": 0}

_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTER_VARIANTS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})
_ARABIC_LETTERS = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")
_TRAILING_JUNK = " \t-–—|,،;:/(&+·"
ELLIPSIS = "…"


def format_price(money: Money, language: str) -> str:
    """'SAR 149.00' in English (and other languages), '149.00 ر.س' in Arabic."""
    digits = MINOR_UNITS.get(money.currency, 2)
    amount = money.amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    number = f"{amount:,.{digits}f}"
    if language.split("-")[0].casefold() == "ar":      # "ar", "ar-SA"
        return f"{number} {ARABIC_CURRENCY_SYMBOLS.get(money.currency, money.currency)}"
    return f"{money.currency} {number}"


def is_sale(price: Money | None, compare_at: Money | None) -> bool:
    return (price is not None and compare_at is not None
            and price.currency == compare_at.currency and compare_at.amount > price.amount)


def normalise(text: str) -> str:
    """The form words are compared in: NFKC (Arabic presentation forms to letters), no marks, casefolded."""
    text = unicodedata.normalize("NFKC", text)
    return _ARABIC_MARKS.sub("", text).translate(_ARABIC_LETTER_VARIANTS).casefold()


def forbidden_in(text: str, words_to_avoid: tuple[str, ...]) -> str | None:
    """The first word to avoid that `text` contains, or None."""
    plain = normalise(text)
    for word in words_to_avoid:
        needle = normalise(word).strip()
        if needle and needle in plain:
            return word
    return None


def has_arabic(text: str) -> bool:
    return bool(_ARABIC_LETTERS.search(text))


def seed_of(*parts: str) -> int:
    """A stable seed (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "big")


def shorten_words(text: str, limit: int, stop_words: frozenset[str] = frozenset(), ellipsis: bool = False) -> str | None:
    """The longest leading run of whole words within `limit` code points, without a dangling
    connector ("with", "و") or punctuation at the end; None when not even the first word fits.

    A cut before a connector ("... Headphones | with Extra Long Battery") keeps a whole phrase,
    so it is preferred when it keeps most of what fits."""
    if len(text) <= limit:
        return text
    room = limit - 1 if ellipsis else limit
    words = text.split()
    fitting = [k for k in range(1, len(words) + 1) if len(" ".join(words[:k])) <= room]
    if not fitting:
        return None
    longest = fitting[-1]
    phrase_ends = [k for k in fitting if _starts_phrase(words, k, stop_words)]
    best = phrase_ends[-1] if phrase_ends and len(" ".join(words[:phrase_ends[-1]])) >= 0.6 * room else longest
    kept = words[:best]
    while kept and (kept[-1].casefold() in stop_words or not kept[-1].strip(_TRAILING_JUNK)):
        kept.pop()
    if not kept:
        return None
    short = " ".join(kept).rstrip(_TRAILING_JUNK)
    return short + ELLIPSIS if ellipsis else short


def _starts_phrase(words: list[str], k: int, stop_words: frozenset[str]) -> bool:
    """Whether a new phrase starts after the first k words (a connector, a conjunction or punctuation)."""
    if k >= len(words):
        return False
    following = words[k]
    return (following.casefold() in stop_words or words[k - 1][-1] in ",،;:|-–—"
            or following in "-–—|" or (following.startswith("و") and len(following) > 3))


def clean_name(name: str, words_to_avoid: tuple[str, ...]) -> str:
    """The product name without any word the brand avoids; empty when nothing is left."""
    kept = " ".join(word for word in name.split() if not forbidden_in(word, words_to_avoid))
    return "" if forbidden_in(kept, words_to_avoid) else kept


def fields_of(template: str) -> set[str]:
    return {field for _, field, _, _ in Formatter().parse(template) if field}


@dataclass(frozen=True)
class Filler:
    """Fills templates with values and fits them to a limit, shortening only the product name."""

    values: dict[str, str]
    words_to_avoid: tuple[str, ...]
    stop_words: frozenset[str]

    def can_fill(self, template: str) -> bool:
        return all(self.values.get(field) for field in fields_of(template))

    def fill(self, template: str, limit: int, shorten_name: bool = True) -> str | None:
        if not self.can_fill(template):
            return None
        text = template.format(**self.values)
        if len(text) > limit and shorten_name and "name" in fields_of(template):
            shortened = self._with_short_name(template, limit)
            if shortened is None:
                return None
            text = shortened
        if len(text) > limit or forbidden_in(text, self.words_to_avoid):
            return None
        return text

    def _with_short_name(self, template: str, limit: int) -> str | None:
        overhead = len(template.format(**{**self.values, "name": ""}))
        name = shorten_words(self.values["name"], limit - overhead, self.stop_words)
        return template.format(**{**self.values, "name": name}) if name else None

    def first_fit(self, templates: tuple[str, ...], limit: int) -> str | None:
        for shorten in (False, True):   # the whole name in any template beats a shortened one
            for template in templates:
                if (text := self.fill(template, limit, shorten_name=shorten)) is not None:
                    return text
        return None


def fit_sentences(filler: Filler, opening: tuple[str, ...], extras: list[str], limit: int) -> str | None:
    """An opening sentence followed by as many extra sentences (most important first) as fit.

    The whole product name beats any extra but the first (the price, when there is one);
    the first extra beats the whole name: a shortened name with the price beats the whole
    name without it."""
    extras = [extra for extra in extras if extra and not forbidden_in(extra, filler.words_to_avoid)]
    tries = [(keep, False) for keep in range(len(extras), 0, -1)] + [(1, True), (0, False), (0, True)]
    for keep, shorten in tries:
        tail = "".join(" " + extra for extra in extras[:keep]).replace("{", "{{").replace("}", "}}")
        for template in opening:
            if (text := filler.fill(template + tail, limit, shorten_name=shorten)) is not None:
                return text
    return None


def pick(options: tuple[str, ...], rng: random.Random) -> tuple[str, ...]:
    """A seeded reordering: variants start from different templates, the same way every time."""
    ordered = list(options)
    rng.shuffle(ordered)
    return tuple(ordered)


def rotate(options: tuple[str, ...], start: int) -> tuple[str, ...]:
    if not options:
        return options
    start %= len(options)
    return options[start:] + options[:start]


def usable_words(words_to_use: tuple[str, ...], words_to_avoid: tuple[str, ...], language: str) -> tuple[str, ...]:
    """Words to use that do not clash with words to avoid, in the copy's script when it has any."""
    words = tuple(w.strip() for w in words_to_use if w.strip() and not forbidden_in(w, words_to_avoid))
    if language == "ar":
        arabic = tuple(w for w in words if has_arabic(w))
        return arabic or words
    return tuple(w for w in words if not has_arabic(w))


def as_sentence(word: str, full_stop: str) -> str:
    word = word.rstrip(".!؟?،,")
    return (word[:1].upper() + word[1:]) + full_stop


def highlight(words: tuple[str, ...], start: int, full_stop: str, count: int = 2) -> str:
    """Up to `count` of the brand's words as short sentences ("Handmade. Free shipping.")."""
    chosen = rotate(words, start)[:count]
    return " ".join(as_sentence(word, full_stop) for word in chosen)
