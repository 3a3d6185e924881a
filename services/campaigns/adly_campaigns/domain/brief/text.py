"""The brief as tokens: one spelling per word, with the way back to the merchant's characters.

Arabic is written many ways for one word (أ/إ/آ/ا, ة/ه, ى/ي, diacritics, tatweel, Arabic-Indic
digits), so every rule reads a normalized copy; `Normalized.origin` maps each normalized
character back to the original one, so every `Span` points at what the merchant typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_DIGITS = {**{ord(c): str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")},
           **{ord(c): str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")}}
_CHARS = {
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ی": "ي", "ک": "ك", "گ": "ك",
    "٬": ",", "٫": ".", "٪": "%", "،": ",", "؛": ";", "؟": "?", "–": "-", "—": "-", "’": "'", "‘": "'",
    "ـ": "",
}
_DIACRITICS = re.compile("[\u064b-\u065f\u0670]")
SHADDA = "\u0651"

_TOKEN = re.compile(
    r"(?P<abbr>ر\.س|د\.ا|د\.ك|د\.ب|ر\.ق|ر\.ع|ج\.م|l\.e|s\.r)"
    r"|(?P<url>https?://[^\s,،]+|www\.[^\s,،]+|[a-z0-9-]+\.(?:com|net|org|store|shop|sa|ae|kw|qa|bh|om|eg|jo)(?:/[^\s,،]*)?)"
    r"|(?P<number>\d+(?:[.,]\d+)*)"
    r"|(?P<word>[a-z][a-z0-9']*|[\u0621-\u064a\u0671-\u06d3چپژ]+)"
    r"|(?P<sym>[$%+\-/&()€£:])"
    r"|(?P<punct>[.,;!?\n])"
)
SENTENCE_ENDS = frozenset({".", "!", "?", ";", "\n"})


@dataclass(frozen=True)
class Normalized:
    text: str
    origin: tuple[int, ...]     # origin[i]: index in the original of normalized character i
    original: str

    def original_range(self, start: int, end: int) -> tuple[int, int]:
        """Where normalized characters start..end (end > start) came from."""
        return self.origin[start], self.origin[end - 1] + 1


def normalize(text: str) -> Normalized:
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if _DIACRITICS.match(char):
            continue
        mapped = _CHARS.get(char, char).translate(_DIGITS).lower()
        for piece in mapped:
            out.append(piece)
            origin.append(index)
    return Normalized("".join(out), tuple(origin), text)


def normalize_word(word: str) -> str:
    return normalize(word).text


@dataclass(frozen=True)
class Token:
    index: int
    text: str
    kind: str           # url | number | word | sym | punct
    start: int          # in the normalized text
    end: int
    arabic: bool = False
    forms: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_word(self) -> bool:
        return self.kind == "word"


def tokenize(normalized: Normalized) -> list[Token]:
    tokens: list[Token] = []
    for match in _TOKEN.finditer(normalized.text):
        kind = match.lastgroup or "word"
        kind = "word" if kind == "abbr" else kind
        text = match.group()
        arabic = kind == "word" and not text[0].isascii()
        forms = word_forms(text) if arabic else (text,)
        tokens.append(Token(len(tokens), text, kind, match.start(), match.end(), arabic, forms))
    return tokens


def word_forms(word: str) -> tuple[str, ...]:
    """The word, then what it is without its clitics: و/ف (and), ب/ل/ك (in, for, like),
    ع (Gulf and Egyptian for على, before ال), لل (ل + ال), هال (Gulf for "this ..."), ال."""
    forms: list[str] = [word]

    def add(form: str) -> None:
        if len(form) >= 2 and form not in forms:
            forms.append(form)

    conjunctions = [word] + ([word[1:]] if word[0] in "وف" and len(word) >= 3 else [])
    for base in conjunctions:
        add(base)
        if base.startswith("لل") and len(base) > 3:
            add("ال" + base[2:])
        if base.startswith("هال") and len(base) > 4:
            add("ال" + base[3:])
        if base.startswith("عال") and len(base) > 4:
            add(base[1:])
        if base[0] in "بلك" and len(base) >= 3:
            add(base[1:])
    for form in list(forms):
        if form.startswith("ال") and len(form) > 3:
            add(form[2:])
    return tuple(forms)


def strip_article(word: str) -> str:
    return word[2:] if word.startswith("ال") and len(word) > 3 else word

