"""How the query of a landing URL a store kept is read: one rule for the campaigns service, which
writes ADLY's tags (docs/campaigns-tracking.md), and for analytics, which reads them back off
orders. Stores keep landing URLs in odd ways: `&amp;`, the whole URL percent-encoded, or the
query inside a single-page store's fragment (`#/p?utm_source=...`)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, unquote


def landing_params(text: str) -> list[tuple[str, str]]:
    """Every (key, value) of the URL's query and of a query in its fragment; keys lower-cased."""
    text = text.strip().replace("&amp;", "&")
    if "?" not in text and "=" not in text and "%3d" in text.lower():
        text = unquote(text)   # a landing site stored percent-encoded as a whole
    return [(key.strip().lower(), value) for query in _queries(text)
            for key, value in parse_qsl(query, keep_blank_values=True)]


def _queries(text: str) -> Iterator[str]:
    """The query, and one hidden in the fragment as single-page stores route (`#/p?utm_source=...`)."""
    head, _, fragment = text.partition("#")
    if "?" in head or "=" in head:
        yield head.partition("?")[2] if "?" in head else head
    if "=" in fragment:
        yield fragment.partition("?")[2] if "?" in fragment else fragment
