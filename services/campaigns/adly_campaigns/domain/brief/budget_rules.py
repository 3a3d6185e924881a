"""The budget as the plan holds it: a currency the countries settle, per day or in total,
per platform; and what to ask when the brief leaves it open.

Per platform: the same budget on every platform, unless the brief splits it. "100 on snap and
200 on tiktok" gives each platform its own; "split between", "مقسمة" shares the amount
equally. A budget with no per-day or in-total word is daily, unless the brief gives an end
date (then it reads as the campaign's total); either way the merchant is asked.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from adly_campaigns.domain.brief.model import Question
from adly_campaigns.domain.brief.money import BudgetReading, amount_text
from adly_campaigns.domain.brief.questions import ask
from adly_campaigns.domain.brief.reading import Found

# A bare "ريال" is the riyal of the one riyal country the brief is about, Saudi otherwise;
# a bare "dinar" is Kuwait's unless the brief is about Bahrain, Jordan or Iraq.
_RIYALS = {"QA": "QAR", "OM": "OMR"}
_DINARS = {"KW": "KWD", "BH": "BHD", "JO": "JOD", "IQ": "IQD"}


def currency_of(family: str | None, countries: list[str]) -> str | None:
    if family == "riyal":
        local = [_RIYALS[c] for c in countries if c in _RIYALS]
        return local[0] if len(local) == 1 and "SA" not in countries else "SAR"
    if family == "dinar":
        local = [_DINARS[c] for c in countries if c in _DINARS]
        return local[0] if local else "KWD"
    return family


def share(amount: Decimal, parts: int) -> Decimal:
    return (amount / parts).quantize(Decimal("0.01"), ROUND_HALF_UP)


def budget_finding(budget: BudgetReading | None, found: dict[str, Found], questions: list[Question],
                   notes: list[str], language: str) -> Found:
    if budget is None:
        questions.append(ask("budget", language))
        return Found(None, None, None, 0.0)
    platforms: list[str] = found["platforms"].value
    currency = currency_of(budget.currency, found["countries"].value)
    amount = amount_text(budget.amount)
    confidence = budget.confidence if not budget.orphan_currency else min(budget.confidence, 0.8)
    kind = budget.kind
    if kind is None:
        kind = "lifetime" if (found["schedule"].value or {}).get("ends_on") else "daily"
        confidence = min(confidence, 0.6)
        questions.append(ask("budget.kind", language, amount=amount, currency=currency or ""))
        notes.append(f"the brief does not say per day or in total: {kind} assumed")
    if currency is None:
        questions.append(ask("budget.currency", language, amount=amount))
    value: dict[str, Any] = {"amount": amount, "currency": currency, "kind": kind}
    per_platform = _per_platform(budget, platforms, notes)
    if per_platform:
        value["per_platform"] = per_platform
        if set(per_platform) != set(platforms):
            questions.append(ask("budget.per_platform", language, amount=amount, currency=currency or ""))
    if not budget.parts:
        return Found(value, None, None, confidence)
    return Found(value, min(p[0] for p in budget.parts), max(p[1] for p in budget.parts), confidence, budget.parts)


def _per_platform(budget: BudgetReading, platforms: list[str], notes: list[str]) -> dict[str, str]:
    if budget.per_platform:
        return {p: amount_text(a) for p, a in sorted(budget.per_platform.items())}
    if budget.split and len(platforms) > 1:
        notes.append(f"the budget is shared equally between {', '.join(platforms)}")
        each = share(budget.amount, len(platforms))
        return {p: amount_text(each) for p in platforms}
    return {}
