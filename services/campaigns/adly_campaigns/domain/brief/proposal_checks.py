"""What a proposal is checked against: the amounts and currencies the brief states, and the
quotes the model gives as its evidence, found in the brief or not."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from adly_campaigns.domain.brief.model import Span
from adly_campaigns.domain.brief.money import CURRENCIES, not_money
from adly_campaigns.domain.brief.numbers import read_number
from adly_campaigns.domain.brief.places import CITIES
from adly_campaigns.domain.brief.reading import Reading
from adly_campaigns.domain.brief.text import normalize

FAMILIES = {"riyal": {"SAR", "QAR", "OMR"}, "dinar": {"KWD", "BHD", "JOD", "IQD"}}
ALIASES = {"schedule": ("starts_on", "ends_on"), "age_range": ("age_min", "age_max"), "products": ("product_ids",),
           "budget_amount": ("budget", "budget_currency", "budget_kind")}
# What the offline rules took a number to be that money is not.
NOT_BUDGET = frozenset({"schedule", "schedule.duration", "ages", "variants", "price", "discount", "products"})


def amounts_in(reading: Reading) -> set[Decimal]:
    """Every amount the brief states where money may stand."""
    amounts: set[Decimal] = set()
    tokens = reading.tokens
    for index, token in enumerate(tokens):
        if not (token.kind == "number" or token.is_word):
            continue
        number = read_number(tokens, index)
        if number is None or not_money(tokens, number.end):
            continue
        if any(reading.claimed.get(i) in NOT_BUDGET for i in range(number.start, number.end)):
            continue
        amounts.add(number.value)
    return amounts


def currencies_in(reading: Reading) -> set[str]:
    """The currencies the brief names: a bare riyal or dinar stands for any of its family."""
    codes: set[str] = set()
    for match in CURRENCIES.find_all(reading.tokens):
        codes |= FAMILIES.get(match.value, {match.value})
    return codes


class Evidence:
    """The model's quotes, each found in the brief (normalized, so ٢٠٠ finds 200) or not."""

    def __init__(self, text: str, raw: Any) -> None:
        self.text = text
        self.normalized = normalize(text)
        self.quotes: dict[str, list[str]] = {}
        for entry in raw if isinstance(raw, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("field"), str) and isinstance(entry.get("quote"), str):
                self.quotes.setdefault(entry["field"], []).append(entry["quote"])

    def find(self, quote: str) -> Span | None:
        quote = quote.strip()
        if not quote:
            return None
        at = self.text.find(quote)
        if at >= 0:
            return Span(at, at + len(quote), quote)
        wanted = normalize(quote).text
        at = self.normalized.text.find(wanted) if wanted else -1
        if at < 0:
            return None
        start, end = self.normalized.original_range(at, at + len(wanted))
        return Span(start, end, self.text[start:end])

    def span_for(self, field: str) -> Span | None:
        for name in (field, *ALIASES.get(field, ())):
            for quote in self.quotes.get(name, ()):
                span = self.find(quote)
                if span is not None:
                    return span
        return None

    def names(self, city: str) -> bool:
        """The brief names the city, in one of its spellings."""
        spellings = next((names for (name, _), names in CITIES.items() if name.lower() == city.lower()), (city,))
        return any(self.find(s) is not None for s in (city, *spellings))
