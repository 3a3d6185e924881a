"""Find a lexicon's phrases among the brief's tokens: longest phrase first, Arabic clitics
stripped (وبالسعودية finds السعودية), a Latin typo of one letter forgiven where asked."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from adly_campaigns.domain.brief.text import Token, normalize, strip_article, tokenize

V = TypeVar("V")


@dataclass(frozen=True)
class Match(Generic[V]):
    start: int          # token index
    end: int            # exclusive
    value: V
    exact: bool         # False when found through a forgiven typo


def phrase_words(phrase: str) -> tuple[str, ...]:
    return tuple(token.text for token in tokenize(normalize(phrase)))


class PhraseIndex(Generic[V]):
    def __init__(self, entries: Iterable[tuple[str, V]], *, fuzzy: bool = False) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], V]]] = {}
        self._fuzzy = fuzzy
        for phrase, value in entries:
            words = phrase_words(phrase)
            if not words:
                continue
            for first in {words[0], strip_article(words[0])}:
                self._by_first.setdefault(first, []).append((words, value))
        for entries_of_first in self._by_first.values():
            entries_of_first.sort(key=lambda entry: -len(entry[0]))

    def match_at(self, tokens: list[Token], index: int, claimed: Collection[int] = ()) -> Match[V] | None:
        token = tokens[index]
        if index in claimed or token.kind == "punct":
            return None
        best: Match[V] | None = None
        for form in _first_forms(token):
            for words, value in self._by_first.get(form, ()):
                end = _rest_matches(tokens, index, words, claimed)
                if end is not None and (best is None or end > best.end):
                    best = Match(index, end, value, True)
        if best is None and self._fuzzy:
            best = self._fuzzy_at(tokens, index, claimed)
        return best

    def find_all(self, tokens: list[Token], claimed: Collection[int] = ()) -> list[Match[V]]:
        found: list[Match[V]] = []
        index = 0
        while index < len(tokens):
            match = self.match_at(tokens, index, claimed)
            if match is None:
                index += 1
            else:
                found.append(match)
                index = match.end
        return found

    def _fuzzy_at(self, tokens: list[Token], index: int, claimed: Collection[int]) -> Match[V] | None:
        token = tokens[index]
        if token.arabic or not token.is_word or len(token.text) < 5:
            return None
        hits: dict[str, Match[V]] = {}
        for first, entries in self._by_first.items():
            if len(first) < 5 or abs(len(first) - len(token.text)) > 1 or not within_one_edit(first, token.text):
                continue
            for words, value in entries:
                end = _rest_matches(tokens, index, words, claimed)
                if end is not None:
                    hits.setdefault(repr(value), Match(index, end, value, False))
        return next(iter(hits.values())) if len(hits) == 1 else None


def _first_forms(token: Token) -> tuple[str, ...]:
    if token.arabic:
        return token.forms
    return (token.text, token.text[:-2]) if token.text.endswith("'s") else (token.text,)


def _rest_matches(tokens: list[Token], index: int, words: tuple[str, ...], claimed: Collection[int]) -> int | None:
    end = index + len(words)
    if end > len(tokens):
        return None
    for offset, word in enumerate(words[1:], start=1):
        token = tokens[index + offset]
        if index + offset in claimed:
            return None
        if token.text != word and strip_article(word) not in token.forms and word not in token.forms:
            return None
    return end


def within_one_edit(a: str, b: str) -> bool:
    """One insertion, deletion, substitution or swap of two neighbours turns a into b."""
    if a == b:
        return True
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diffs) == 1 or (len(diffs) == 2 and diffs[1] == diffs[0] + 1
                                   and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]])
    short, long = (a, b) if len(a) < len(b) else (b, a)
    if len(long) - len(short) != 1:
        return False
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))
