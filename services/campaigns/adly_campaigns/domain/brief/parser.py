"""The offline brief parser: deterministic rules, no network, no key.

Rules read the brief in a fixed order, each taking the words it uses so the next does not
read them again (a budget's "200" is not an age, a date's "1" is not a variant count): links,
dates, platforms, money, places, ages, variants, gender, languages, objective, products.
What no rule took, less stop words, is `not_understood`.
"""

from __future__ import annotations

from adly_campaigns.domain.brief.budget_rules import budget_finding
from adly_campaigns.domain.brief.dates import read_schedule
from adly_campaigns.domain.brief.intent import find_platforms, read_objective, read_platforms
from adly_campaigns.domain.brief.lexicon import NAME_CUES
from adly_campaigns.domain.brief.matching import PhraseIndex
from adly_campaigns.domain.brief.model import FIELDS, BriefContext, Finding, ParsedBrief, Question, Span
from adly_campaigns.domain.brief.money import claim_budget_words, read_budget
from adly_campaigns.domain.brief.products import read_products
from adly_campaigns.domain.brief.questions import ask, country_names
from adly_campaigns.domain.brief.reading import STOPS, Found, Reading
from adly_campaigns.domain.brief.text import SENTENCE_ENDS
from adly_campaigns.domain.brief.where import read_places
from adly_campaigns.domain.brief.who import read_ages, read_gender, read_languages, read_variants

NAMES = PhraseIndex([(p, True) for p in NAME_CUES])
OBJECTIVE_LABELS = {"sales": ("Sales", "مبيعات"), "traffic": ("Traffic", "زيارات"),
                    "awareness": ("Awareness", "انتشار"), "conversions": ("Conversions", "تحويلات")}


def parse_brief(text: str, context: BriefContext) -> ParsedBrief:
    return read_brief(text, context)[0]


def read_brief(text: str, context: BriefContext) -> tuple[ParsedBrief, Reading]:
    """The parse, and the reading behind it (which words each rule used)."""
    reading = Reading(text, context)
    language = brief_language(reading)
    found: dict[str, Found] = {"landing_url": _landing_url(reading), "name": _named(reading)}
    found["schedule"], schedule_problems = read_schedule(reading)
    platform_mentions = find_platforms(reading)
    found["platforms"] = read_platforms(reading, platform_mentions)
    budget = read_budget(reading, platform_mentions)
    claim_budget_words(reading)
    found["countries"], found["cities"] = read_places(reading)
    found["age_range"] = read_ages(reading)
    found["variants_per_platform"] = read_variants(reading)
    found["gender"] = read_gender(reading)
    found["languages"], found["creative_language"] = read_languages(reading, language)
    found["objective"] = read_objective(reading)
    found["products"], found["collection"] = read_products(reading, context.catalog)
    questions: list[Question] = [ask(f"schedule.{p}", language) for p in schedule_problems]
    notes: list[str] = []
    _default_platforms(found, questions, notes, language)
    _default_countries(found, context, questions, notes, language)
    found["budget"] = budget_finding(budget, found, questions, notes, language)
    if found["name"].value is None:
        found["name"] = Found(_name(found, context, language), None, None, 0.4)
    fields = {name: _finding(reading, found[name]) for name in FIELDS}
    parsed = ParsedBrief(language=language, fields=fields, not_understood=not_understood(reading),
                         questions=questions, time_zone=context.time_zone, notes=notes)
    return parsed, reading


def brief_language(reading: Reading) -> str:
    arabic = sum(len(t.text) for t in reading.tokens if t.arabic)
    latin = sum(len(t.text) for t in reading.tokens if t.is_word and not t.arabic)
    return "ar" if arabic > latin else "en"


def _finding(reading: Reading, found: Found) -> Finding:
    source: Span | None = None
    if found.start is not None and found.end is not None:
        source = reading.span(found.start, found.end)
    return Finding(value=found.value, source=source, confidence=found.confidence)


def _landing_url(reading: Reading) -> Found:
    for token in reading.tokens:
        if token.kind == "url":
            reading.claim(token.index, token.index + 1, "landing_url")
            url = reading.span(token.index, token.index + 1).text.rstrip(".,)")
            return Found(url if url.startswith("http") else f"https://{url}", token.index, token.index + 1, 0.95)
    return Found(None, None, None, 0.5)


def _named(reading: Reading) -> Found:
    """"campaign name: Summer Oud", "اسم الحملة: عروض الصيف": the rest of that sentence."""
    for match in reading.find(NAMES):
        start = match.end + (1 if match.end < len(reading.tokens) and reading.tokens[match.end].text == ":" else 0)
        end = start
        while end < len(reading.tokens) and reading.tokens[end].text not in SENTENCE_ENDS | {","} and end - start < 8:
            end += 1
        if end > start:
            reading.claim(match.start, end, "name")
            return Found(reading.span(start, end).text.strip(), start, end, 0.9)
    return Found(None, None, None, 0.4)


def _default_platforms(found: dict[str, Found], questions: list[Question], notes: list[str], language: str) -> None:
    if not found["platforms"].value:
        found["platforms"] = Found(["meta"], None, None, 0.3)
        questions.append(ask("platforms", language))
        notes.append("no platform named: Meta assumed")


def _default_countries(found: dict[str, Found], context: BriefContext, questions: list[Question], notes: list[str],
                       language: str) -> None:
    if found["countries"].value:
        return
    defaults = sorted(context.default_countries)
    if defaults:
        found["countries"] = Found(defaults, None, None, 0.3)
        questions.append(ask("countries.default", language, countries=country_names(defaults, language)))
        notes.append(f"no country named: the store's ({', '.join(defaults)}) assumed")
    else:
        found["countries"] = Found([], None, None, 0.0)
        questions.append(ask("countries", language))


def _name(found: dict[str, Found], context: BriefContext, language: str) -> str:
    titles = {str(item.id): item.title for item in context.catalog}
    products: list[str] = found["products"].value or []
    subject = found["collection"].value or (titles.get(products[0]) if products else None)
    label = OBJECTIVE_LABELS.get(found["objective"].value, ("Campaign", "حملة"))[language == "ar"]
    starts = (found["schedule"].value or {}).get("starts_on") or context.today.isoformat()
    return " · ".join(part for part in (subject, label, starts) if part)[:200]


def not_understood(reading: Reading) -> list[Span]:
    """Runs of words no rule used and that are not stop words, as the merchant wrote them."""
    spans: list[tuple[int, int]] = []
    for token in reading.tokens:
        if token.index in reading.claimed or token.kind in {"punct", "sym"} or _is_stop(token.forms):
            continue
        if token.kind == "word" and len(token.text) < 2:
            continue
        if spans and _only_stops_between(reading, spans[-1][1], token.index):
            spans[-1] = (spans[-1][0], token.index + 1)
        else:
            spans.append((token.index, token.index + 1))
    return [reading.span(start, end) for start, end in spans]


def _is_stop(forms: tuple[str, ...]) -> bool:
    return any(form in STOPS for form in forms)


def _only_stops_between(reading: Reading, end: int, start: int) -> bool:
    between = reading.tokens[end:start]
    return len(between) <= 1 and all(t.index not in reading.claimed and t.kind in {"word", "sym"} for t in between)

