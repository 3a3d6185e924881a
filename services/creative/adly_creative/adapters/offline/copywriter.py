"""The offline copywriter: ad copy from product facts, the brand kit and templates, no network."""

from __future__ import annotations

import random
from dataclasses import dataclass

from adly_creative.adapters.offline.copy_templates import (
    TEMPLATES,
    TONE_CALLS_TO_ACTION,
    LanguageCopy,
    ToneCopy,
    tone_of,
)
from adly_creative.domain.copy_limits import LIMITS, CopyLimits, cta_label
from adly_creative.domain.offline_copy import (
    Filler,
    clean_name,
    fit_sentences,
    forbidden_in,
    format_price,
    highlight,
    is_sale,
    pick,
    rotate,
    seed_of,
    shorten_words,
    usable_words,
)
from adly_creative.domain.ports import CopyRequest, CopyResult, CopyVariant, ProductFacts, ProviderError, Usage

MODEL = "templates-v1"
ATTEMPTS = 40      # template combinations tried while looking for distinct variants


class OfflineCopywriter:
    """Writes copy variants in Arabic and English; any other language gets the English templates
    (with the product's name in that language when ProductFacts.names has it).

    Deterministic: the same request gives the same variants (seeded from the product id,
    platform, language and tone), so golden tests and retries are stable.
    Prices are formatted by `format_price`: "SAR 149.00" in English, "149.00 ر.س" in Arabic.
    """

    name = "offline"

    async def write_copy(self, request: CopyRequest) -> CopyResult:
        # Composing is microseconds of string work: no thread needed.
        variants = compose_variants(request)
        if not variants:
            raise ProviderError(self.name, "the brand's words to avoid rule out every template", retryable=False)
        return CopyResult(variants=variants, usage=Usage(provider=self.name, model=MODEL))


@dataclass(frozen=True)
class Plan:
    """Everything a variant is made of, reordered once per request by the seeded generator."""

    language: str
    templates: LanguageCopy
    tone: ToneCopy
    tone_name: str
    limits: CopyLimits
    filler: Filler
    words: tuple[str, ...]
    sale: bool
    calls_to_action: tuple[str, ...]


def plan_of(request: CopyRequest) -> Plan:
    spoken = base_language(request.language)
    language = spoken if spoken in TEMPLATES else "en"
    templates, tone_name = TEMPLATES[language], tone_of(request.brand.tone)
    rng = random.Random(seed_of(request.product.product_id, str(request.platform), request.language, tone_name))
    tone = TEMPLATES[language].tones[tone_name]
    tone = ToneCopy(pick(tone.headlines, rng), pick(tone.openings, rng), pick(tone.closings, rng), tone.prices)
    avoid = request.brand.words_to_avoid
    sale = is_sale(request.product.price, request.product.compare_at_price)
    return Plan(
        language=language, templates=templates, tone=tone, tone_name=tone_name,
        limits=LIMITS[request.platform],
        filler=Filler(values_of(request, language, sale), avoid, templates.stop_words),
        words=usable_words(request.brand.words_to_use, avoid, spoken),
        sale=sale, calls_to_action=calls_to_action(LIMITS[request.platform], tone_name, sale),
    )


def base_language(language: str) -> str:
    """ "ar-SA" -> "ar": the templates are per language, not per region."""
    return language.split("-")[0].split("_")[0].casefold()


def name_in(product: ProductFacts, language: str) -> str:
    return product.names.get(language) or product.names.get(base_language(language)) or product.name


def values_of(request: CopyRequest, language: str, sale: bool) -> dict[str, str]:
    product, avoid = request.product, request.brand.words_to_avoid
    brand = request.brand.name.strip() or (product.store_name or "")
    values = {
        "name": clean_name(name_in(product, request.language), avoid),
        "brand": "" if forbidden_in(brand, avoid) else brand,
        "price": format_price(product.price, language) if product.price else "",
        "was": format_price(product.compare_at_price, language) if sale and product.compare_at_price else "",
    }
    return values


def calls_to_action(limits: CopyLimits, tone: str, sale: bool) -> tuple[str, ...]:
    preferred = (("GET_OFFER",) if sale else ()) + TONE_CALLS_TO_ACTION[tone]
    allowed = tuple(cta for cta in preferred if cta in limits.calls_to_action)
    return allowed or limits.calls_to_action[:1]


def compose_variants(request: CopyRequest) -> list[CopyVariant]:
    """Up to `request.variants` distinct variants: different headlines and texts when the templates
    allow, at least different (headline, text) pairs; fewer only when the brand's words to avoid
    or a very long name leave fewer."""
    plan, wanted = plan_of(request), max(1, request.variants)
    chosen: list[CopyVariant] = []
    candidates: list[CopyVariant] = []
    for k in range(ATTEMPTS):                   # usually done after `wanted` rounds
        if (candidate := variant_of(plan, k, base_language(request.language))) is None:
            continue
        candidates.append(candidate)
        if _fully_distinct(candidate, chosen):
            chosen.append(candidate)
            if len(chosen) == wanted:
                return chosen
    for candidate in candidates:                # not enough different headlines and texts
        if len(chosen) < wanted and _pair_distinct(candidate, chosen):
            chosen.append(candidate)
    return chosen


def _fully_distinct(candidate: CopyVariant, chosen: list[CopyVariant]) -> bool:
    return all(candidate.headline != c.headline and candidate.primary_text != c.primary_text for c in chosen)


def _pair_distinct(candidate: CopyVariant, chosen: list[CopyVariant]) -> bool:
    return all((candidate.headline, candidate.primary_text) != (c.headline, c.primary_text) for c in chosen)


def variant_of(plan: Plan, k: int, language: str) -> CopyVariant | None:
    headline = headline_of(plan, k, language)
    primary = primary_text_of(plan, k)
    if headline is None or primary is None:
        return None
    cta = plan.calls_to_action[k % len(plan.calls_to_action)]
    return CopyVariant(headline=headline, primary_text=primary, description=description_of(plan, k), call_to_action=cta)


def headline_of(plan: Plan, k: int, language: str) -> str | None:
    limit, filler = plan.limits.headline, plan.filler
    found = filler.first_fit(rotate(plan.tone.headlines, k), limit) or filler.first_fit(plan.templates.nameless_headlines, limit)
    if found:
        return found
    label = cta_label(plan.calls_to_action[0], language)     # a short, safe last resort
    return None if forbidden_in(label, filler.words_to_avoid) else shorten_words(label, limit)


def primary_text_of(plan: Plan, k: int) -> str | None:
    """Opening, then the price, the brand's words and a closing, dropped from the end as room runs out."""
    filler, tone, limit = plan.filler, plan.tone, plan.limits.primary_text
    k_opening = k + k // len(tone.headlines)            # pairs headlines with other openings on later rounds
    extras = [
        _filled(filler, (plan.templates.sales if plan.sale else tone.prices), k, limit),
        highlight(plan.words, k, plan.templates.full_stop) if plan.words else "",
        _filled(filler, tone.closings, k_opening, limit),
    ]
    return (fit_sentences(filler, rotate(tone.openings, k_opening), extras, limit)
            or fit_sentences(filler, plan.templates.nameless_openings, extras, limit))


def description_of(plan: Plan, k: int) -> str | None:
    if plan.limits.description is None:
        return None
    templates = plan.templates.descriptions
    if plan.sale:
        templates = plan.templates.sale_descriptions + templates
    return plan.filler.first_fit(templates[:1] + rotate(templates[1:], k) if plan.sale else rotate(templates, k),
                                 plan.limits.description)


def _filled(filler: Filler, templates: tuple[str, ...], k: int, limit: int) -> str:
    usable = tuple(t for t in templates if filler.can_fill(t))
    return (filler.fill(usable[k % len(usable)], limit, shorten_name=False) or "") if usable else ""
