"""A plan a language model proposes, held to the offline parser's rules before any of it is used.

The offline parse is always made first; a proposal can only replace a field with a value that
passes the same checks: a budget amount must be a number the brief states where the rules
allow money (not an age, a date, a percentage, a size or a price) and its currency one the
brief names; products must be ids of the catalog given; enum values must be known, and the
unknown ones go to `not_understood`; a field the offline rules found nothing for is taken only
with a quote that is really in the brief. A provider that fails leaves the offline parse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from adly_campaigns.domain.brief.budget_rules import budget_finding
from adly_campaigns.domain.brief.lexicon import ALL_PLATFORMS
from adly_campaigns.domain.brief.model import BriefContext, Finding, ParsedBrief, Question, Span
from adly_campaigns.domain.brief.money import BudgetReading
from adly_campaigns.domain.brief.parser import read_brief
from adly_campaigns.domain.brief.places import KNOWN_COUNTRIES
from adly_campaigns.domain.brief.proposal_checks import Evidence, amounts_in, currencies_in
from adly_campaigns.domain.brief.proposal_schema import GENDERS, KINDS, OBJECTIVES
from adly_campaigns.domain.brief.reading import Found, Reading

LANGUAGE_CODES = frozenset({"ar", "en", "fr", "ur", "hi", "tl", "bn", "fa", "tr", "ru", "zh", "es", "de", "ml"})


class ProposalFailed(Exception):
    """The provider gave no usable proposal (refused, throttled, down, cut off, not JSON)."""

    def __init__(self, provider: str, reason: str) -> None:
        super().__init__(f"{provider}: {reason}")
        self.provider, self.reason = provider, reason


class PlanProposer(Protocol):
    name: str

    async def propose(self, text: str, context: BriefContext) -> Mapping[str, Any]:
        """The model's plan in the shape of `proposal_schema.SCHEMA`; raises ProposalFailed."""
        ...


async def parse_brief_with(proposer: PlanProposer | None, text: str, context: BriefContext) -> ParsedBrief:
    """The offline parse, improved by the proposer's plan where the plan passes the rules."""
    offline, reading = read_brief(text, context)
    if proposer is None:
        return offline
    try:
        proposal = await proposer.propose(text, context)
    except ProposalFailed as failure:
        return _with_note(offline, f"{failure.provider} proposed no plan ({failure.reason}): offline parse used")
    return check_proposal(proposal, offline, reading, proposer.name)


def check_proposal(proposal: Mapping[str, Any], offline: ParsedBrief, reading: Reading, provider: str) -> ParsedBrief:
    checker = _Checker(proposal, offline, reading)
    checker.run()
    questions = [q for q in offline.questions if not q.field.startswith("budget")]
    found = {name: Found(f.value, None, None, f.confidence) for name, f in checker.fields.items()}
    budget = budget_finding(checker.budget, found, questions, [], offline.language) if checker.budget_changed \
        else None
    fields = dict(checker.fields)
    if budget is not None:
        fields["budget"] = Finding(budget.value, checker.budget_source or offline.fields["budget"].source,
                                   budget.confidence)
    else:
        questions += [q for q in offline.questions if q.field.startswith("budget")]
    notes = [*offline.notes, f"plan proposed by {provider}, checked against the brief", *checker.notes]
    return ParsedBrief(language=offline.language, fields=fields,
                       not_understood=[*offline.not_understood, *checker.unknown], questions=questions,
                       time_zone=offline.time_zone, notes=notes)


def _with_note(parsed: ParsedBrief, note: str) -> ParsedBrief:
    return ParsedBrief(language=parsed.language, fields=parsed.fields, not_understood=parsed.not_understood,
                       questions=parsed.questions, time_zone=parsed.time_zone, notes=[*parsed.notes, note])


class _Checker:
    def __init__(self, proposal: Mapping[str, Any], offline: ParsedBrief, reading: Reading) -> None:
        self.proposal, self.offline, self.reading = proposal, offline, reading
        self.context: BriefContext = reading.context
        self.fields: dict[str, Finding] = dict(offline.fields)
        self.evidence = Evidence(reading.text, proposal.get("evidence"))
        self.unknown: list[Span] = []
        self.notes: list[str] = []
        self.budget: BudgetReading | None = None
        self.budget_changed = False
        self.budget_source: Span | None = None

    def run(self) -> None:
        self._one("objective", lambda v: v if v in OBJECTIVES else None)
        self._many("platforms", lambda v: v if v in ALL_PLATFORMS else None)
        self._many("countries", lambda v: v.upper() if isinstance(v, str) and v.upper() in KNOWN_COUNTRIES else None)
        self._many("cities", lambda v: v if isinstance(v, str) and self.evidence.names(v) else None)
        self._many("languages", lambda v: v if isinstance(v, str) and v in LANGUAGE_CODES else None)
        self._one("gender", lambda v: v if v in GENDERS else None)
        self._one("creative_language", lambda v: v if isinstance(v, str) and v in LANGUAGE_CODES else None)
        self._one("variants_per_platform", lambda v: v if isinstance(v, int) and 1 <= v <= 10 else None)
        self._one("landing_url", lambda v: v if isinstance(v, str) and v in self.reading.text else None)
        self._one("name", lambda v: v.strip()[:200] if isinstance(v, str) and v.strip() else None, evidence=False)
        self._ages()
        self._schedule()
        self._products()
        self._budget()

    # -- one value, many values -------------------------------------------------------------
    def _one(self, name: str, check: Callable[[Any], Any], *, evidence: bool = True) -> None:
        raw = self.proposal.get(name)
        if raw is None:
            return
        value = check(raw)
        if value is None:
            self._refuse(name, raw)
            return
        self._take(name, value, evidence)

    def _many(self, name: str, check: Callable[[Any], Any]) -> None:
        raw = self.proposal.get(name)
        if not isinstance(raw, list) or not raw:
            return
        values = []
        for item in raw:
            value = check(item)
            if value is None:
                self._refuse(name, item)
            elif value not in values:
                values.append(value)
        if values:
            self._take(name, sorted(values), True)

    def _take(self, name: str, value: Any, needs_evidence: bool) -> None:
        before = self.offline.fields[name]
        if value == before.value:
            self.fields[name] = Finding(value, before.source, max(before.confidence, 0.9))
            return
        quote = self.evidence.span_for(name)
        if needs_evidence and before.source is None and quote is None:
            self.notes.append(f"{name}: {value!r} proposed without words of the brief to show for it; not used")
            return
        self.fields[name] = Finding(value, quote or before.source, 0.7)

    def _refuse(self, name: str, raw: Any) -> None:
        quote = self.evidence.span_for(name)
        self.unknown.append(quote or Span(-1, -1, f"{name}: {raw}"))
        self.notes.append(f"{name}: {raw!r} is not a value ADLY knows; not used")

    # -- fields with rules of their own -----------------------------------------------------
    def _ages(self) -> None:
        low, high = self.proposal.get("age_min"), self.proposal.get("age_max")
        if low is None and high is None:
            return
        low = low if isinstance(low, int) else 18
        high = high if isinstance(high, int) else 65
        if not 13 <= low <= high <= 65:
            self._refuse("age_range", f"{low}-{high}")
            return
        self._take("age_range", {"min": low, "max": high}, True)

    def _schedule(self) -> None:
        starts, ends = _day(self.proposal.get("starts_on")), _day(self.proposal.get("ends_on"))
        if starts is None and ends is None:
            return
        today = self.context.today
        if (starts is not None and starts < today) or (ends is not None and ends < (starts or today)):
            self.notes.append("schedule: proposed dates in the past or ending before they start; not used")
            return
        self._take("schedule", {"starts_on": _iso(starts), "ends_on": _iso(ends)}, True)

    def _products(self) -> None:
        catalog = {str(item.id) for item in self.context.catalog}
        collections = {name for item in self.context.catalog for name in item.collections}
        raw = self.proposal.get("product_ids")
        if isinstance(raw, list) and raw:
            known = sorted({str(p) for p in raw if str(p) in catalog})
            if len(known) < len(set(map(str, raw))):
                self.notes.append("products: ids not in the catalog proposed; dropped")
            if known:
                self._take("products", known, True)
        collection = self.proposal.get("collection")
        if isinstance(collection, str):
            (self._take("collection", collection, True) if collection in collections
             else self.notes.append(f"collection: {collection!r} is not a collection of the catalog; not used"))

    def _budget(self) -> None:
        raw_amount = self.proposal.get("budget_amount")
        if raw_amount is None:
            return
        amount = _decimal(raw_amount)
        allowed = amounts_in(self.reading)
        per_platform = _split(self.proposal.get("budget_per_platform"), allowed)
        stated = amount in allowed or (per_platform and sum(per_platform.values()) == amount)
        if amount is None or not stated:
            self.notes.append(f"budget: {raw_amount!r} is not an amount the brief states; not used")
            return
        currency = self.proposal.get("budget_currency")
        currency = currency.upper() if isinstance(currency, str) else None
        if currency is not None and currency not in currencies_in(self.reading):
            self.notes.append(f"budget: the brief names no {currency!r}; the currency is asked for")
            currency = None
        kind = self.proposal.get("budget_kind")
        self.budget = BudgetReading(amount, currency, kind if kind in KINDS else None, per_platform, False, [], 0.7)
        self.budget_changed = True
        self.budget_source = self.evidence.span_for("budget_amount") or self.evidence.find(str(raw_amount))


def _split(raw: Any, allowed: set[Decimal]) -> dict[str, Decimal]:
    if not isinstance(raw, list):
        return {}
    split: dict[str, Decimal] = {}
    for entry in raw:
        amount = _decimal(entry.get("amount")) if isinstance(entry, dict) else None
        if amount is None or amount not in allowed or entry.get("platform") not in ALL_PLATFORMS:
            return {}
        split[entry["platform"]] = amount
    return split if len(split) > 1 else {}


def _decimal(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value).replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() and amount > 0 else None


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


__all__ = ["PlanProposer", "ProposalFailed", "check_proposal", "parse_brief_with", "Question"]
