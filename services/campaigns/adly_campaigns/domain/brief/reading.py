"""One brief being read: its tokens, which of them a rule has used, and the way back to spans."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from adly_campaigns.domain.brief.lexicon import STOP_WORDS
from adly_campaigns.domain.brief.matching import Match, PhraseIndex
from adly_campaigns.domain.brief.model import BriefContext, Span
from adly_campaigns.domain.brief.text import Token, normalize, normalize_word, tokenize

V = TypeVar("V")
STOPS = frozenset(normalize_word(word) for word in STOP_WORDS)


@dataclass
class Found:
    """A value a rule read, from tokens start..end (None when it is a default)."""

    value: Any
    start: int | None
    end: int | None
    confidence: float
    parts: list[tuple[int, int]] = field(default_factory=list)   # every mention, for the span


class Reading:
    def __init__(self, text: str, context: BriefContext) -> None:
        self.text = text
        self.context = context
        self.normalized = normalize(text)
        self.tokens: list[Token] = tokenize(self.normalized)
        self.claimed: dict[int, str] = {}

    def claim(self, start: int, end: int, by: str) -> None:
        for index in range(start, end):
            self.claimed.setdefault(index, by)

    def free(self, index: int) -> bool:
        return 0 <= index < len(self.tokens) and index not in self.claimed

    def find(self, index: PhraseIndex[V], *, claimed: bool = True) -> list[Match[V]]:
        return index.find_all(self.tokens, self.claimed if claimed else ())

    def span(self, start: int, end: int) -> Span:
        first, last = self.tokens[start], self.tokens[end - 1]
        begin, stop = self.normalized.original_range(first.start, last.end)
        return Span(begin, stop, self.text[begin:stop])

    def previous(self, index: int, *, skip_stops: bool = True, limit: int = 3) -> list[Token]:
        """Up to `limit` meaningful tokens before `index`, nearest first, within the sentence."""
        found: list[Token] = []
        position = index - 1
        while position >= 0 and len(found) < limit:
            token = self.tokens[position]
            if token.text in {".", "!", "?", ";", "\n"}:
                break
            if not (skip_stops and token.text in {"the", "a", "on", "of", "يوم"}):
                found.append(token)
            position -= 1
        return found

    def nearby(self, index: int, before: int, after: int) -> range:
        return range(max(0, index - before), min(len(self.tokens), index + after + 1))
