"""Match the brief's words against the workspace's catalog: products by their titles and
tags, or a whole collection.

Words are compared as things ("perfume" = «عطر», product_words.py) or, for words no list
knows, as themselves, so a catalog in one language is found from a brief in the other. An
item is picked when most of its title is named (two of "Royal Oud Perfume"), or when a word
that only it has is named ("sneakers"), unless that word is a quality ("white"). A
collection is picked when its name is named and no item is picked by more than that name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from adly_campaigns.domain.brief import lexicon, product_words
from adly_campaigns.domain.brief.matching import PhraseIndex
from adly_campaigns.domain.brief.model import CatalogItem
from adly_campaigns.domain.brief.reading import STOPS, Found, Reading
from adly_campaigns.domain.brief.text import Token, normalize, normalize_word, strip_article, tokenize

WORDS = PhraseIndex([(p, key) for key, phrases in product_words.THINGS.items() for p in phrases]
                    + [(p, "~" + key) for key, phrases in product_words.QUALITIES.items() for p in phrases])
ALL_PRODUCTS = PhraseIndex([(p, True) for p in lexicon.ALL_PRODUCTS])
UNITS = frozenset(normalize_word(w) for w in product_words.UNITS)
COLLECTION_CUES = frozenset(normalize_word(w) for w in product_words.COLLECTION_CUES) | {"collection", "مجموعه"}
# Tokens other rules used that still may name a product ("men" in "for men", a gender).
SHARED = frozenset({"gender", "objective", "languages"})


@dataclass(frozen=True)
class _Term:
    key: str
    start: int
    end: int


def terms_of(tokens: list[Token], usable: Sequence[bool] | None = None) -> list[_Term]:
    """Things and qualities, and the other words as themselves; no stop words, numbers, units."""
    terms: list[_Term] = []
    blocked = {i for i in range(len(tokens)) if usable is not None and not usable[i]}
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if usable is not None and not usable[index]:
            index += 1
            continue
        if index + 1 < len(tokens) and tokens[index + 1].text == ":":
            index += 1          # "Dates: 20 May", "Product: ...": a label, not a product
            continue
        match = WORDS.match_at(tokens, index, blocked)
        if match is not None:
            terms.append(_Term(match.value, match.start, match.end))
            index = match.end
            continue
        if token.is_word and token.text not in STOPS and token.text not in UNITS and len(token.text) > 1:
            terms.append(_Term(_plain(token), index, index + 1))
        index += 1
    return terms


def _plain(token: Token) -> str:
    if token.arabic:
        return strip_article(token.forms[-1] if len(token.forms) > 1 else token.text)
    text = token.text.removesuffix("'s")
    return text[:-1] if len(text) > 3 and text.endswith("s") and not text.endswith("ss") else text


def _keys(text: str) -> set[str]:
    return {term.key for term in terms_of(tokenize(normalize(text)))}


def read_products(reading: Reading, catalog: Sequence[CatalogItem]) -> tuple[Found, Found]:
    """(product ids, collection)."""
    whole = reading.find(ALL_PRODUCTS)
    for match in whole:
        reading.claim(match.start, match.end, "products")
    if whole or not catalog:
        parts = [(m.start, m.end) for m in whole]
        first, last = _bounds(parts)
        return Found([], first, last, 0.9 if whole else 0.5, parts), Found(None, None, None, 0.5)
    usable = [i not in reading.claimed or reading.claimed[i] in SHARED for i in range(len(reading.tokens))]
    brief = terms_of(reading.tokens, usable)
    said = {term.key for term in brief}
    items = [(item, _keys(item.title), _keys(" ".join(item.tags))) for item in catalog]
    owners = Counter(key for _, title, tags in items for key in title | tags)
    picked: list[tuple[CatalogItem, set[str], float]] = []
    for item, title, tags in items:
        matched = (title | tags) & said
        score = len(title & said) / len(title) if title else 0.0
        things = {k for k in matched if not k.startswith("~")}
        unique = any(owners[k] == 1 and len(k) > 1 for k in things)
        if things and (score >= 0.6 or unique):
            picked.append((item, matched, score))
    collection = _collection(catalog, said, picked)
    used_keys = _collection_keys(collection) if collection else set().union(*(m for _, m, _ in picked))
    parts = [(t.start, t.end) for t in brief if t.key in used_keys]
    parts += _title_numbers(reading, [item for item, _, _ in picked]) if collection is None else []
    parts += _collection_cues(reading, parts) if collection is not None else []
    for start, end in parts:
        reading.claim(start, end, "products")
    first, last = _bounds(parts)
    if collection is not None:
        return Found([], None, None, 0.5), Found(collection, first, last, 0.8, parts)
    if not picked:
        return Found([], None, None, 0.5), Found(None, None, None, 0.5)
    confidence = 0.9 if all(score >= 0.99 for _, _, score in picked) else 0.75
    return Found([str(item.id) for item, _, _ in picked], first, last, confidence, parts), Found(None, None, None, 0.5)


def _bounds(parts: list[tuple[int, int]]) -> tuple[int | None, int | None]:
    if not parts:
        return None, None
    return min(p[0] for p in parts), max(p[1] for p in parts)


def _title_numbers(reading: Reading, items: list[CatalogItem]) -> list[tuple[int, int]]:
    """"iPhone 16", "SPF 50", "500 pcs": a number of a picked product's title is part of its name."""
    numbers = {t.text for item in items for t in tokenize(normalize(item.title)) if t.kind == "number"}
    found: list[tuple[int, int]] = []
    for token in reading.tokens:
        if token.kind == "number" and token.text in numbers and reading.free(token.index):
            following = reading.tokens[token.index + 1] if token.index + 1 < len(reading.tokens) else None
            unit = following is not None and reading.free(following.index) and following.text in UNITS
            found.append((token.index, token.index + (2 if unit else 1)))
    return found


def _collection_cues(reading: Reading, parts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """"the abayas collection", "all skincare", "منتجات العناية": the words that say "all of it"."""
    found: list[tuple[int, int]] = []
    for start, end in parts:
        for position in (start - 1, start - 2, end, end + 1):
            if 0 <= position < len(reading.tokens) and reading.free(position) \
                    and set(reading.tokens[position].forms) & COLLECTION_CUES:
                found.append((position, position + 1))
    return found


def _collection_keys(name: str) -> set[str]:
    return _keys(name) - {"collection"}


def _collection(catalog: Sequence[CatalogItem], said: set[str],
                picked: list[tuple[CatalogItem, set[str], float]]) -> str | None:
    names = list(dict.fromkeys(name for item in catalog for name in item.collections))
    best: tuple[int, str] | None = None
    for name in names:
        keys = _collection_keys(name)
        if not keys or not keys <= said:
            continue
        if any(matched - keys for _, matched, _ in picked):
            continue                # an item named by more than the collection's name wins
        if best is None or len(keys) > best[0]:
            best = (len(keys), name)
    return best[1] if best else None
