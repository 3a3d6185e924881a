"""Numbers as merchants write them: 200, ٢٠٠, 1,500, ١٬٥٠٠, 2.5k, ٥ آلاف, "two hundred",
"ميتين" (200), "الف ونص" (1500), "مية وخمسين" (150), "ألفين" (2000).

Arabic-Indic digits and the Arabic separators ٬ ٫ are already ASCII in the normalized text
(`text.normalize`); this module reads a run of tokens as one value.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from adly_campaigns.domain.brief.text import Token, normalize_word


def _table(entries: dict[str, int]) -> dict[str, int]:
    return {normalize_word(word): value for word, value in entries.items()}


UNITS = _table({
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "واحد": 1, "واحدة": 1, "اثنين": 2, "اثنان": 2, "اتنين": 2, "ثنين": 2, "ثلاث": 3, "ثلاثة": 3, "تلات": 3,
    "تلاتة": 3, "اربع": 4, "اربعة": 4, "خمس": 5, "خمسة": 5, "ست": 6, "ستة": 6, "سبع": 7, "سبعة": 7, "ثمان": 8,
    "ثماني": 8, "ثمانية": 8, "تمن": 8, "تمانية": 8, "تسع": 9, "تسعة": 9, "عشر": 10, "عشرة": 10,
    "احدعش": 11, "اثنعش": 12, "اطنعش": 12, "خمستعش": 15, "خمسطعش": 15,
    "عشرين": 20, "ثلاثين": 30, "تلاتين": 30, "اربعين": 40, "خمسين": 50, "ستين": 60, "سبعين": 70,
    "ثمانين": 80, "تمانين": 80, "تسعين": 90,
})
# Arabic hundreds are one word each: مية (100), ميتين (200), خمسمية (500).
HUNDREDS = _table({
    "مية": 100, "مئة": 100, "مائة": 100, "ماية": 100, "ميت": 100, "ميتين": 200, "مئتين": 200, "مئتان": 200,
    "ميتان": 200, "مائتين": 200, "متين": 200, "ثلاثمية": 300, "ثلاثمائة": 300, "تلتمية": 300, "تلاتمية": 300,
    "اربعمية": 400, "اربعمائة": 400, "ربعمية": 400, "خمسمية": 500, "خمسمائة": 500, "ستمية": 600, "ستمائة": 600,
    "سبعمية": 700, "سبعمائة": 700, "ثمانمية": 800, "تمنمية": 800, "ثمانمائة": 800, "تسعمية": 900, "تسعمائة": 900,
})
THOUSANDS = _table({"الف": 1000, "الفين": 2000, "الاف": 1000, "thousand": 1000, "thousands": 1000,
                    "grand": 1000, "k": 1000})
HALF = frozenset(_table({"نص": 1, "نصف": 1, "half": 1}))
HUNDRED_WORDS = frozenset({"hundred", "hundreds"})


@dataclass(frozen=True)
class Number:
    value: Decimal
    start: int          # token index
    end: int            # exclusive
    digits: bool        # written with digits (not only words)


def digit_value(text: str) -> Decimal | None:
    """1,500 and 1.5 and 10,000; a comma before exactly three digits groups thousands."""
    parts = text.split(",")
    if len(parts) > 1 and all(len(p) == 3 for p in parts[1:]):
        text = "".join(parts)
    else:
        text = text.replace(",", ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def word_kind(token: Token) -> tuple[str, int, bool] | None:
    """(kind, value, joined by و) of a number word; kinds: unit, hundreds, hundred, thousands, half."""
    forms = token.forms if token.arabic else (token.text,)
    for form in forms:
        joined = token.arabic and form != token.text and token.text.startswith("و") and form == token.text[1:]
        for kind, table in (("unit", UNITS), ("hundreds", HUNDREDS), ("thousands", THOUSANDS)):
            if form in table and (form == token.text or joined):
                return kind, table[form], joined
        if form in HALF and (form == token.text or joined):
            return "half", 0, joined
        if form in HUNDRED_WORDS:
            return "hundred", 100, False
    return None


class _Reading:
    def __init__(self) -> None:
        self.total = Decimal(0)
        self.current = Decimal(0)
        self.last = ""

    def take(self, kind: str, value: Decimal, joined: bool) -> bool:
        """Add one part; False when it starts another number instead."""
        seen = bool(self.last)
        if kind == "digits":
            if seen:
                return False
            self.current = value
        elif kind == "unit":
            english_tail = self.last in {"hundred", "thousands"} or (
                self.last == "unit" and self.current % 10 == 0 and self.current >= 20 and value < 10)
            if seen and not joined and not english_tail:
                return False
            self.current += value
        elif kind == "hundreds":
            if seen and not joined and self.last in {"digits", "unit"} and 0 < self.current < 10 and value == 100:
                self.current *= 100
            elif seen and not joined:
                return False
            else:
                self.current += value
        elif kind == "hundred":
            self.current = (self.current or Decimal(1)) * 100
        elif kind == "thousands":
            if value == 2000:
                if seen and not joined:
                    return False
                self.total += 2000
            else:
                self.total += (self.current or 1) * 1000
                self.current = Decimal(0)
        elif kind == "half":
            if not seen:
                return False
            scale = {"thousands": 1000, "hundreds": 100, "hundred": 100}.get(self.last, 1)
            self.total += Decimal(scale) / 2
        self.last = kind
        return True

    @property
    def value(self) -> Decimal:
        return self.total + self.current


def read_number(tokens: list[Token], index: int) -> Number | None:
    """The number that starts at token `index`, as long as the words go on being one number."""
    reading = _Reading()
    digits, end, position = False, index, index
    while position < len(tokens):
        token = tokens[position]
        if token.kind == "number":
            value = digit_value(token.text)
            if value is None or not reading.take("digits", value, False):
                break
            digits = True
        elif token.is_word and (found := word_kind(token)) is not None:
            kind, value_int, joined = found
            if token.text == "k" and reading.last != "digits":
                break
            if not reading.last and kind in {"half", "hundred"}:
                break
            if not reading.take(kind, Decimal(value_int), joined):
                break
        elif token.text in {"and", "a"} and _number_word_follows(tokens, position):
            if token.text == "a" and not reading.last:
                reading.take("digits", Decimal(1), False)
            position += 1
            continue
        else:
            break
        end = position + 1
        position += 1
    if not reading.last:
        return None
    return Number(reading.value, index, end, digits)


def _number_word_follows(tokens: list[Token], position: int) -> bool:
    following = tokens[position + 1] if position + 1 < len(tokens) else None
    return following is not None and following.is_word and word_kind(following) is not None
