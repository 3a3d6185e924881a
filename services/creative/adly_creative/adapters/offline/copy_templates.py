"""The offline writer's templates, per language and tone.

Placeholders: {name} (the product, may be shortened at word boundaries), {brand}, {price},
{was} (the compare-at price, sales only). No template makes a claim the product data
cannot back (no "free shipping", "best", "new", percentages): the merchant's own words
to use are where such claims come from. Arabic templates never make a word agree with the
product's gender or number (a name may be feminine or plural: "سماعات"), so none can be wrong.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ToneCopy:
    headlines: tuple[str, ...]
    openings: tuple[str, ...]
    closings: tuple[str, ...]
    prices: tuple[str, ...]


@dataclass(frozen=True)
class LanguageCopy:
    tones: dict[str, ToneCopy]
    nameless_headlines: tuple[str, ...]   # when the name cannot appear (too long, or avoided words)
    nameless_openings: tuple[str, ...]
    sales: tuple[str, ...]
    descriptions: tuple[str, ...]
    sale_descriptions: tuple[str, ...]
    full_stop: str
    stop_words: frozenset[str]            # never left dangling at the end of a shortened name


ENGLISH = LanguageCopy(
    tones={
        "friendly": ToneCopy(
            headlines=("Meet {name}", "Say hello to {name}", "You'll love {name}", "{name}, made for you",
                       "Treat yourself: {name}"),
            openings=("Meet {name} from {brand}.", "Say hello to {name}, made with care by {brand}.",
                      "Looking for something you'll love? Try {name}.", "Treat yourself to {name} from {brand}."),
            closings=("Order today and we'll take care of the rest.", "We think you'll love it.",
                      "Made with care by {brand}."),
            prices=("Yours for {price}.", "Just {price}."),
        ),
        "luxurious": ToneCopy(
            headlines=("Discover {name}", "The art of {name}", "{name}. Pure elegance", "Refined: {name}",
                       "Indulge in {name}"),
            openings=("Discover {name}, curated by {brand}.", "Indulge in {name}.",
                      "Elegance, redefined: {name} by {brand}.", "Crafted for those who notice: {name}."),
            closings=("An experience worth savouring.", "Because you deserve the finest.", "Presented by {brand}."),
            prices=("{price}.", "Yours for {price}."),
        ),
        "playful": ToneCopy(
            headlines=("Hello, {name}!", "{name}? Yes, please!", "Your new fave: {name}", "Psst… {name}!",
                       "Good news: {name}!"),
            openings=("Good news! Say hi to {name}.", "Psst… have you met {name}?",
                      "Your new favourite thing: {name} from {brand}.", "Warning: {name} may make you smile."),
            closings=("Go on, treat yourself!", "Don't say we didn't tell you!", "Your cart is waiting!"),
            prices=("All yours for {price}!", "Only {price}!"),
        ),
        "bold": ToneCopy(
            headlines=("{name}. Get yours", "Don't miss {name}", "Go big with {name}", "{name}: no compromises",
                       "This is {name}"),
            openings=("This is {name}. No compromises.", "Level up with {name} from {brand}.",
                      "{name}. Made to stand out.", "Go big with {name}."),
            closings=("Get yours today.", "Don't wait.", "Make it yours."),
            prices=("{price}. That's it.", "{price}."),
        ),
    },
    nameless_headlines=("Shop {brand}", "Discover {brand}", "Picked by {brand}"),
    nameless_openings=("Discover {brand}.", "Something special from {brand}."),
    sales=("Was {was}, now {price}.",),
    descriptions=("{price} at {brand}", "From {brand}", "Shop {brand} today"),
    sale_descriptions=("Was {was}, now {price}", "Now {price}"),
    full_stop=".",
    stop_words=frozenset({"with", "and", "for", "of", "the", "a", "an", "in", "on", "to", "by", "or", "from",
                          "&", "+", "x"}),
)

ARABIC = LanguageCopy(
    tones={
        "friendly": ToneCopy(
            headlines=("تعرّف على {name}", "{name} لأجلك", "ستحب {name}", "دلّل نفسك مع {name}", "{name} بانتظارك"),
            openings=("تعرّف على {name} من {brand}.", "تبحث عن شيء ستحبه؟ جرّب {name}.",
                      "دلّل نفسك مع {name} من {brand}.", "{name} من {brand}، بكل عناية لأجلك."),
            closings=("اطلب اليوم ونحن نهتم بالباقي.", "ستحب التجربة.", "بكل حب من {brand}."),
            prices=("بسعر {price}.", "فقط {price}."),
        ),
        "luxurious": ToneCopy(
            headlines=("اكتشف {name}", "فن {name}", "{name}. أناقة خالصة", "{name} بلمسة فاخرة", "انغمس في فخامة {name}"),
            openings=("اكتشف {name}، من اختيار {brand}.", "انغمس في فخامة {name}.",
                      "الأناقة بمفهوم جديد: {name} من {brand}.", "لمن يقدّر التفاصيل: {name}."),
            closings=("تجربة تستحق أن تُعاش.", "لأنك تستحق الأرقى.", "بتوقيع {brand}."),
            prices=("{price}.", "بسعر {price}."),
        ),
        "playful": ToneCopy(
            headlines=("مرحبًا {name}!", "{name}؟ أكيد!", "مفضّلك الجديد: {name}", "ششش… {name}!", "خبر حلو: {name}!"),
            openings=("خبر حلو: {name} هنا!", "ششش… هل تعرّفت على {name}؟",
                      "مفضّلك الجديد: {name} من {brand}.", "تحذير: قد تبتسم كثيرًا مع {name}."),
            closings=("هيا، دلّل نفسك!", "لا تقل إننا لم نخبرك!", "سلتك بانتظارك!"),
            prices=("كله لك بسعر {price}!", "فقط {price}!"),
        ),
        "bold": ToneCopy(
            headlines=("{name}. اطلب الآن", "لا تفوّت {name}", "انطلق مع {name}", "{name}: بلا تنازلات", "إليك {name}"),
            openings=("إليك {name}. بلا تنازلات.", "ارتقِ مع {name} من {brand}.",
                      "{name}. لمن يحب التميّز.", "انطلق مع {name}."),
            closings=("اطلب اليوم.", "لا تنتظر.", "القرار لك."),
            prices=("بسعر {price}.", "{price} فقط."),
        ),
    },
    nameless_headlines=("تسوّق من {brand}", "اكتشف {brand}", "اختيار {brand}"),
    nameless_openings=("اكتشف {brand}.", "شيء مميز من {brand}."),
    sales=("كان {was}، والآن {price}.", "بدلًا من {was}، الآن {price}."),
    descriptions=("{price} من {brand}", "من {brand}", "تسوّق من {brand} اليوم"),
    sale_descriptions=("كان {was}، الآن {price}", "الآن {price}"),
    full_stop=".",
    stop_words=frozenset({"مع", "من", "في", "على", "و", "أو", "عن", "إلى", "ب", "ل", "لـ", "بـ", "ذو", "ذات", "&", "+",
                          "بخاصية", "بتقنية", "بلون", "بحجم", "بسعة", "بمقاس"}),
)

TEMPLATES: dict[str, LanguageCopy] = {"en": ENGLISH, "ar": ARABIC}

# Brand kits name tones freely; these are the ones the templates speak.
TONE_ALIASES = {
    "friendly": "friendly", "warm": "friendly", "casual": "friendly", "helpful": "friendly",
    "luxurious": "luxurious", "luxury": "luxurious", "elegant": "luxurious", "premium": "luxurious",
    "sophisticated": "luxurious",
    "playful": "playful", "fun": "playful", "cheerful": "playful", "witty": "playful",
    "bold": "bold", "confident": "bold", "energetic": "bold", "direct": "bold",
}

# Calls to action each tone reaches for first; the platform's vocabulary decides what is allowed.
TONE_CALLS_TO_ACTION = {
    "friendly": ("SHOP_NOW", "LEARN_MORE", "ORDER_NOW"),
    "luxurious": ("SHOP_NOW", "LEARN_MORE", "MORE"),
    "playful": ("SHOP_NOW", "ORDER_NOW", "BUY_NOW"),
    "bold": ("BUY_NOW", "ORDER_NOW", "SHOP_NOW"),
}


def tone_of(tone: str) -> str:
    return TONE_ALIASES.get(tone.strip().casefold(), "friendly")
