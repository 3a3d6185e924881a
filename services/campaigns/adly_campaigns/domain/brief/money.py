"""The budget: an amount the brief states, its currency, per day or in total, per platform.

The parser never invents a budget. An amount is a budget when the brief says so (a budget
word, "per day", "in total", or "100 on snap") or when it is money that is neither a price
("prices from 199 QAR", "بسعر ٢٥٠") nor a discount ("50 SAR off", "خصم"). Percentages, sizes
(500ml, 1L), counts (500 pcs), ages and durations are never money.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from adly_campaigns.domain.brief import lexicon
from adly_campaigns.domain.brief.matching import Match, PhraseIndex
from adly_campaigns.domain.brief.numbers import read_number
from adly_campaigns.domain.brief.reading import Reading
from adly_campaigns.domain.brief.text import Token, normalize_word

CURRENCIES = PhraseIndex([(p, code) for code, phrases in lexicon.CURRENCIES.items() for p in phrases])
KINDS = PhraseIndex([(p, kind) for kind, phrases in (("daily", lexicon.DAILY), ("lifetime", lexicon.LIFETIME),
                                                     ("weekly", lexicon.WEEKLY), ("monthly", lexicon.MONTHLY))
                     for p in phrases])
SPLITS = PhraseIndex([(p, True) for p in lexicon.SPLIT])


def _words(*groups: tuple[str, ...]) -> frozenset[str]:
    return frozenset(normalize_word(w) for group in groups for w in group)


BUDGET_CUES = _words(lexicon.BUDGET_CUES)
PRICE_CUES = _words(lexicon.PRICE_CUES)
DISCOUNT_CUES = _words(lexicon.DISCOUNT_CUES)
NOT_MONEY_AFTER = _words(("%", "percent", "بالمية", "بالميه", "ml", "مل", "g", "gr", "gm", "غرام", "جرام", "kg",
                          "كيلو", "l", "لتر", "liter", "pcs", "pieces", "piece", "قطعة", "قطع", "حبة", "حبه", "cm",
                          "سم", "gb", "tb", "inch", "انش", "x", "years", "year", "yrs", "yr", "yo", "سنة", "سنه",
                          "عام", "+", "days", "day", "weeks", "week", "months", "month", "يوم", "ايام", "اسبوع",
                          "اسابيع", "شهر", "شهور", "variants", "versions", "نسخ", "تصاميم", "followers", "متابع"))
ATTACH = _words(("on", "in", "for", "at", "to", "على", "في", "ع", "ل", "لل", "عال", "بال"))
_BREAKS = frozenset({",", ".", "!", "?", ";", "\n"})


@dataclass
class Money:
    amount: Decimal
    start: int                          # tokens of the amount and its currency
    end: int
    currency: str | None = None         # ISO code, or a family ("riyal", "dinar") the countries resolve
    role: str = "budget"                # budget | price | discount
    cued: bool = False                  # a budget word or a per-day / in-total word is near
    platform: str | None = None         # "100 on snap"
    parts: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class BudgetReading:
    amount: Decimal
    currency: str | None
    kind: str | None                    # daily | lifetime, or None when the brief does not say
    per_platform: dict[str, Decimal]
    split: bool                         # "split between": the amount is shared equally
    parts: list[tuple[int, int]]
    confidence: float
    orphan_currency: bool = False       # the currency stood apart from the amount ("(SAR)")


def read_budget(reading: Reading, platforms: list[Match[str]]) -> BudgetReading | None:
    currencies = reading.find(CURRENCIES)
    mentions = [m for m in _money(reading, currencies, platforms) if m.role == "budget"]
    if not mentions:
        return None
    attached = [m for m in mentions if m.platform]
    if len({m.platform for m in attached}) >= 2:
        chosen = attached
    else:
        chosen = [next((m for m in mentions if m.cued), mentions[0])]
    parts = [p for m in chosen for p in m.parts]
    currency = next((m.currency for m in chosen if m.currency), None)
    orphan = False
    if currency is None:
        loose = [c for c in currencies if all(not (c.start <= i < c.end) for i in reading.claimed)]
        if loose:
            currency, orphan = loose[0].value, True
            parts.append((loose[0].start, loose[0].end))
            reading.claim(loose[0].start, loose[0].end, "budget")
    kind, kind_parts = _kind(reading, chosen[0])
    parts += kind_parts
    split = _split(reading, chosen[-1])
    if split is not None:
        parts.append(split)
    per_platform = {m.platform: m.amount for m in chosen if m.platform} if len(chosen) > 1 else {}
    amount = sum((m.amount for m in chosen), Decimal(0))
    amount, kind = _as_daily(amount, kind)
    confidence = 0.95 if any(m.cued for m in chosen) and chosen[0].currency else 0.8
    return BudgetReading(amount, currency, kind, per_platform, split is not None, parts, confidence, orphan)


def claim_budget_words(reading: Reading) -> None:
    """"budget", "ميزانية", "spend": understood, whether the brief gives an amount or not."""
    for token in reading.tokens:
        if reading.free(token.index) and set(token.forms) & BUDGET_CUES:
            reading.claim(token.index, token.index + 1, "budget")


def _money(reading: Reading, currencies: list[Match[str]], platforms: list[Match[str]]) -> list[Money]:
    tokens = reading.tokens
    starts = {c.start: c for c in currencies}
    ends = {c.end: c for c in currencies}
    found: list[Money] = []
    index = 0
    while index < len(tokens):
        number = read_number(tokens, index) if reading.free(index) else None
        if number is None or number.value <= 0 or not_money(tokens, number.end):
            index = index + 1 if number is None else number.end
            continue
        money = Money(number.value, number.start, number.end)
        currency = starts.get(number.end) or ends.get(number.start)
        if currency is not None:
            money.currency = currency.value
            money.start, money.end = min(money.start, currency.start), max(money.end, currency.end)
        money.cued = _cued(reading, money)
        money.platform = _platform_of(reading, money, platforms)
        money.role = _role(reading, money)
        if money.currency is not None or money.cued or money.platform:
            money.parts = [(money.start, money.end)]
            reading.claim(money.start, money.end, "budget" if money.role == "budget" else money.role)
            found.append(money)
        index = max(money.end, number.end)
    return found


def not_money(tokens: list[Token], end: int) -> bool:
    following = tokens[end] if end < len(tokens) else None
    return following is not None and (following.text in NOT_MONEY_AFTER or bool(set(following.forms) & NOT_MONEY_AFTER))


def _window(reading: Reading, money: Money, before: int, after: int) -> list[Token]:
    """Tokens around the money, not across a comma or the end of a sentence."""
    tokens = reading.tokens
    found: list[Token] = []
    position = money.start - 1
    while position >= 0 and money.start - position <= before and tokens[position].text not in _BREAKS:
        found.append(tokens[position])
        position -= 1
    position = money.end
    while position < len(tokens) and position - money.end < after and tokens[position].text not in _BREAKS:
        found.append(tokens[position])
        position += 1
    return found


def _cued(reading: Reading, money: Money) -> bool:
    near = _window(reading, money, 4, 4)
    if any(set(t.forms) & BUDGET_CUES for t in near):
        return True
    return KINDS.match_at(reading.tokens, money.end) is not None if money.end < len(reading.tokens) else False


def _role(reading: Reading, money: Money) -> str:
    before = _window(reading, money, 2, 0)
    after = _window(reading, money, 0, 1)
    if any(set(t.forms) & DISCOUNT_CUES for t in before + after):
        return "discount"
    if not money.cued and any(set(t.forms) & PRICE_CUES or t.text in PRICE_CUES for t in before):
        return "price"
    return "budget"


def _platform_of(reading: Reading, money: Money, platforms: list[Match[str]]) -> str | None:
    for platform in platforms:
        gap = reading.tokens[money.end:platform.start]
        if 0 <= platform.start - money.end <= 1 and all(t.text in ATTACH for t in gap):
            return platform.value
        if platform.end == money.start:
            return platform.value
    return None


def _kind(reading: Reading, money: Money) -> tuple[str | None, list[tuple[int, int]]]:
    tokens = reading.tokens
    start, end = money.start, money.end
    while start > 0 and tokens[start - 1].text not in {".", "!", "?", ";", "\n"}:
        start -= 1
    while end < len(tokens) and tokens[end].text not in {".", "!", "?", ";", "\n"}:
        end += 1
    best: tuple[int, Match[str]] | None = None
    for match in KINDS.find_all(tokens[:end], reading.claimed):
        if match.start < start:
            continue
        distance = match.start - money.end if match.start >= money.end else money.start - match.end + 1
        if best is None or distance < best[0]:
            best = (distance, match)
    if best is None:
        return None, []
    reading.claim(best[1].start, best[1].end, "budget")
    return best[1].value, [(best[1].start, best[1].end)]


def _split(reading: Reading, money: Money) -> tuple[int, int] | None:
    for position in range(money.end, min(len(reading.tokens), money.end + 4)):
        match = SPLITS.match_at(reading.tokens, position, reading.claimed)
        if match is not None:
            reading.claim(match.start, match.end, "budget")
            return match.start, match.end
    return None


def _as_daily(amount: Decimal, kind: str | None) -> tuple[Decimal, str | None]:
    """A weekly or monthly budget is run as its daily share (a month counts 30 days)."""
    if kind == "weekly":
        return (amount / 7).quantize(Decimal("0.01"), ROUND_HALF_UP), "daily"
    if kind == "monthly":
        return (amount / 30).quantize(Decimal("0.01"), ROUND_HALF_UP), "daily"
    return amount, kind


def amount_text(amount: Decimal) -> str:
    return f"{amount.normalize():f}" if amount == amount.to_integral_value() else f"{amount:f}"
