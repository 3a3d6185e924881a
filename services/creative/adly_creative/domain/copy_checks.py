"""Generated ad copy is checked before it is accepted; a variant that fails is rejected
with the reason, and when every variant of a provider fails the router tries the next.

The checks, in the order a variant meets them:
1. Length: headline, primary text and description within the platform's limits
   (copy_limits, counted in code points); a description on a platform that has no such
   field is dropped, not refused. Headline and primary text must not be empty.
2. Call to action: one of the platform's own values.
3. Language: Arabic copy has Arabic letters, English copy has Latin ones.
4. Words to avoid (the brand kit): whole words, case-insensitive. Arabic is compared
   after folding what does not change a word (diacritics, tatweel, the forms of alef,
   alef maqsura, taa marbuta) and a word may carry the proclitics و ف ب ك ل ال, so
   "رخيص" also catches "والرخيص" but not a longer word that merely contains it.
5. Prices: every number that reads as a price (outside the product's own name) (next to a currency such as SAR, ر.س,
   ريال, $, or after "price", "only", "بسعر", in Western or Arabic-Indic digits) must
   be one of the product's real prices or compare-at prices.
6. Claims the product data does not support (a deliberately small list; the product's own
   name is left out first, so "عطر رقم 1" is a name, not a claim):
   - free shipping / delivery ("free shipping", "شحن مجاني"): only if the product text says so;
   - a discount ("% off", "on sale", "خصم", "تخفيض"): only with a compare-at price above the
     price, and a claimed percentage no larger than the real discount;
   - best-selling ("best seller", "#1", "الأكثر مبيعاً"): never, we have no sales ranks;
   - scarcity ("limited stock", "only 3 left", "كمية محدودة"): never, stock is not ours to promise;
   - a guarantee ("money-back", "guarantee", "ضمان"): only if the product text says so.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from adly_creative.domain.copy_limits import LIMITS
from adly_creative.domain.ports import BrandKit, CopyVariant, Money, ProductFacts
from adly_events.contracts.common import AdPlatform

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬٪", "01234567890123456789.,%")
_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ی": "ي", "ة": "ه", "ک": "ك", "\u0640": None})
_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_ARABIC = re.compile("[\u0621-\u064a]")
_LATIN = re.compile("[A-Za-z]")
_PROCLITICS = "(?:[وف]?(?:ال|لل|[بكل]ال|[بكل])?)"


def normalise(text: str) -> str:
    """Fold what never changes meaning: case, presentation forms, Arabic-Indic digits,
    diacritics, tatweel and the letter variants above."""
    text = unicodedata.normalize("NFKC", text).translate(_DIGITS)
    return _MARKS.sub("", text).translate(_LETTERS).casefold()


def _phrase(words: str) -> str:
    return r"\s+".join(re.escape(w) for w in normalise(words).split())


def avoided_word_pattern(word: str) -> re.Pattern[str]:
    prefix = _PROCLITICS if _ARABIC.search(normalise(word)) else ""
    return re.compile(rf"(?<!\w){prefix}{_phrase(word)}(?!\w)")


# -- prices ---------------------------------------------------------------------------

_NUMBER = r"(?P<n>\d{1,3}(?:,\d{3})+(?:\.\d{1,3})?|\d+(?:[.,]\d{1,3})?)(?![\d%])"  # KWD, BHD, OMR: 3 decimals
_CURRENCY = (r"(?:sar|sr|usd|us\$|\$|aed|kwd|qar|bhd|omr|egp|eur|€|gbp|£|\u20c1|"
             r"ر\.?\s?س\.?|ريال(?:ا|ات)?|رس|درهم|د\.?\s?ا\.?|د\.?\s?ك\.?|ر\.?\s?ق\.?|جنيه)")
_PRICE_WORDS = r"(?:price(?:d at)?|for (?:just|only)|only|just|now|was|بسعر|السعر|سعر|ب)"
_PRICES = [
    re.compile(rf"(?<![\w.]){_CURRENCY}\s?:?\s?{_NUMBER}"),
    re.compile(rf"(?<![\w.,]){_NUMBER}\s?{_CURRENCY}(?!\w)"),
    re.compile(rf"(?<!\w){_PRICE_WORDS}\s?:?\s?{_NUMBER}"),
    re.compile(rf"(?<![\w.,]){_NUMBER}\s?(?:فقط|only)(?!\w)"),
]


def _amount(text: str) -> Decimal | None:
    if re.fullmatch(r"\d+,\d{1,2}", text):
        text = text.replace(",", ".")
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def prices_in(text: str) -> list[Decimal]:
    """Amounts that read as prices, in order of appearance, whatever the digits."""
    text = normalise(text)
    found: dict[int, Decimal] = {}
    for pattern in _PRICES:
        for match in pattern.finditer(text):
            amount = _amount(match.group("n"))
            if amount is not None:
                found.setdefault(match.start("n"), amount)
    return [found[position] for position in sorted(found)]


# -- claims ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    name: str
    pattern: re.Pattern[str]
    supported_by_text: bool   # the product's own name or description may back it


def _claim(name: str, supported_by_text: bool, *alternatives: str) -> Claim:
    return Claim(name, re.compile("|".join(f"(?:{a})" for a in alternatives)), supported_by_text)


FREE_SHIPPING = _claim("free shipping", True, r"free\s+(?:shipping|delivery)", r"ships?\s+(?:for\s+)?free",
                       r"(?:ال)?(?:شحن|توصيل)\s+(?:ال)?مجان(?:ي|ا)?", r"(?:شحن|توصيل)\s+ببلاش")
DISCOUNT = _claim("a discount", False, r"\d+(?:\.\d+)?\s*%\s*off", r"\bon\s+sale\b", r"\bsale\s+price\b",
                  r"\bdiscount(?:ed|s)?\b", r"\bsave\s+(?:\d|\$|up\s+to)", r"half[\s-]price", r"(?<!\w)خصم",
                  r"(?<!\w)(?:ال)?تخفيض(?:ات)?", r"(?<!\w)تنزيلات", r"نصف\s+السعر")
BEST_SELLING = _claim("best-selling", False, r"best[\s-]?sell(?:ing|ers?)", r"#\s?1(?!\d)", r"\bnumber\s+one\b",
                      r"(?:ال)?اكثر\s+مبيع", r"(?<!\w)رقم\s+(?:1|واحد)(?!\d)")
SCARCITY = _claim("limited stock or time", False, r"limited\s+(?:stock|time|offer|quantit(?:y|ies))",
                  r"only\s+\d+\s+left", r"selling\s+fast", r"while\s+stocks?\s+last", r"كميه\s+محدوده",
                  r"لفتره\s+محدوده", r"عرض\s+محدود", r"(?<!\w)(?:قبل\s+)?نفاد")
GUARANTEE = _claim("a guarantee", True, r"money[\s-]back", r"\bguarantee[ds]?\b", r"(?<!\w)(?:ال)?ضمان",
                   r"(?<!\w)مضمون", r"استرداد\s+(?:ال)?(?:مبلغ|اموال|فلوس)")
CLAIMS: tuple[Claim, ...] = (FREE_SHIPPING, DISCOUNT, BEST_SELLING, SCARCITY, GUARANTEE)

# A percentage that is said to be the discount: "25% off", "خصم 25%", "25% خصم", "save up to 25%".
_PERCENT_OFF = [
    re.compile(r"(?P<p>\d+(?:\.\d+)?)\s*%\s*(?:off|discount|خصم|تخفيض)"),
    re.compile(r"(?:off|discount|save|خصم|تخفيض)\s*(?:of|up\s+to|by|حتى|يصل\s+الي|بنسبه)?\s*(?P<p>\d+(?:\.\d+)?)\s*%"),
]


def discount_percent(prices: Sequence[tuple[Money, Money | None]]) -> Decimal | None:
    """The largest real discount among the product's variants, or None without a sale."""
    best = None
    for price, was in prices:
        if was is not None and was.amount > price.amount > 0:
            off = (was.amount - price.amount) / was.amount * 100
            best = off if best is None else max(best, off)
    return best


# -- the check ------------------------------------------------------------------------


@dataclass(frozen=True)
class CopyFacts:
    """What the copy may say: the product's prices (every variant) and its own words."""

    prices: tuple[tuple[Money, Money | None], ...]
    product_text: str
    names: tuple[str, ...] = ()      # folded; the product's own name is not a claim ("عطر رقم 1")

    @classmethod
    def of(cls, product: ProductFacts, variant_prices: Iterable[tuple[Money, Money | None]] = ()) -> CopyFacts:
        prices = list(variant_prices)
        if product.price is not None:
            prices.append((product.price, product.compare_at_price))
        text = " ".join([product.name, *product.names.values(), product.description or ""])
        names = sorted({normalise(n) for n in (product.name, *product.names.values()) if n.strip()}, key=len, reverse=True)
        return cls(tuple(prices), normalise(text), tuple(names))

    def without_names(self, folded: str) -> str:
        for name in self.names:
            folded = folded.replace(name, " ")
        return folded

    @property
    def allowed_amounts(self) -> set[Decimal]:
        return {m.amount for pair in self.prices for m in pair if m is not None}


@dataclass(frozen=True)
class CheckedCopy:
    accepted: list[CopyVariant]
    rejected: list[str]


def check_copy(variants: Sequence[CopyVariant], *, platform: AdPlatform, language: str, facts: CopyFacts,
               brand: BrandKit) -> CheckedCopy:
    accepted, rejected = [], []
    avoid = [(w, avoided_word_pattern(w)) for w in brand.words_to_avoid if w.strip()]
    # The brand kit's own words ("free shipping", "lifetime guarantee") are the merchant's
    # statements: a claim they make is as backed as one in the product's description.
    facts = replace(facts, product_text=f"{facts.product_text} {normalise(' '.join(brand.words_to_use))}")
    for number, variant in enumerate(variants, start=1):
        variant = tidy(variant, platform)
        problems = problems_of(variant, platform=platform, language=language, facts=facts, avoid=avoid)
        if problems:
            rejected.append(f"variant {number}: " + "; ".join(problems))
        else:
            accepted.append(variant)
    return CheckedCopy(accepted, rejected)


def tidy(variant: CopyVariant, platform: AdPlatform) -> CopyVariant:
    description = (variant.description or "").strip() or None
    if LIMITS[platform].description is None:
        description = None
    return replace(variant, headline=variant.headline.strip(), primary_text=variant.primary_text.strip(),
                   description=description, call_to_action=variant.call_to_action.strip().upper())


def problems_of(variant: CopyVariant, *, platform: AdPlatform, language: str, facts: CopyFacts,
                avoid: Sequence[tuple[str, re.Pattern[str]]] = ()) -> list[str]:
    text = " ".join(filter(None, (variant.headline, variant.primary_text, variant.description)))
    return [*_length_problems(variant, platform), *_cta_problems(variant, platform), *_language_problems(text, language),
            *_avoided_words(text, avoid), *_price_problems(text, facts), *_claim_problems(text, facts)]


def _length_problems(variant: CopyVariant, platform: AdPlatform) -> list[str]:
    limits, problems = LIMITS[platform], []
    for field, value, limit in (("headline", variant.headline, limits.headline),
                                ("primary text", variant.primary_text, limits.primary_text),
                                ("description", variant.description or "", limits.description or 0)):
        if field != "description" and not value:
            problems.append(f"the {field} is empty")
        elif len(value) > limit:
            problems.append(f"the {field} has {len(value)} characters; {platform.value} allows {limit}")
    return problems


def _cta_problems(variant: CopyVariant, platform: AdPlatform) -> list[str]:
    allowed = LIMITS[platform].calls_to_action
    if variant.call_to_action not in allowed:
        return [f"call to action {variant.call_to_action!r} is not one of {platform.value}'s ({', '.join(allowed)})"]
    return []


def _language_problems(text: str, language: str) -> list[str]:
    if language == "ar" and not _ARABIC.search(text):
        return ["the copy is not in Arabic"]
    if language == "en" and not _LATIN.search(text):
        return ["the copy is not in English"]
    return []


def _avoided_words(text: str, avoid: Sequence[tuple[str, re.Pattern[str]]]) -> list[str]:
    folded = normalise(text)
    return [f"uses {word!r}, a word the brand kit avoids" for word, pattern in avoid if pattern.search(folded)]


def _price_problems(text: str, facts: CopyFacts) -> list[str]:
    allowed = facts.allowed_amounts
    wrong = [amount for amount in prices_in(facts.without_names(normalise(text))) if amount not in allowed]
    if not wrong:
        return []
    real = ", ".join(sorted({f"{m.amount} {m.currency}" for pair in facts.prices for m in pair if m})) or "none known"
    return [f"mentions a price of {wrong[0]} that is not the product's (real prices: {real})"]


def _claim_problems(text: str, facts: CopyFacts) -> list[str]:
    folded, problems = facts.without_names(normalise(text)), []
    for claim in CLAIMS:
        if not claim.pattern.search(folded):
            continue
        if claim is DISCOUNT:
            problems += _discount_problems(folded, facts)
        elif not (claim.supported_by_text and claim.pattern.search(facts.product_text)):
            problems.append(f"claims {claim.name}, which the product data does not support")
    return problems


def _discount_problems(folded: str, facts: CopyFacts) -> list[str]:
    real = discount_percent(facts.prices)
    if real is None:
        return ["claims a discount, but the product has no compare-at price"]
    claimed = [Decimal(m.group("p")) for pattern in _PERCENT_OFF for m in pattern.finditer(folded)]
    too_much = [p for p in claimed if p > math.ceil(real)]
    if too_much:
        return [f"claims {too_much[0]}% off; the real discount is {real.quantize(Decimal(1))}%"]
    return []
