"""What the parser asks the merchant, in the language of the brief."""

from __future__ import annotations

from adly_campaigns.domain.brief.model import Question
from adly_campaigns.domain.brief.places import COUNTRY_NAMES_AR, COUNTRY_NAMES_EN

_MESSAGES: dict[str, tuple[str, str]] = {
    "budget": ("How much do you want to spend, per day or in total, and in which currency?",
               "كم تبي تصرف على الحملة، باليوم أو إجمالي، وبأي عملة؟"),
    "budget.currency": ("Which currency is the budget of {amount} in?",
                        "الميزانية {amount} بأي عملة؟"),
    "budget.kind": ("Is {amount} {currency} per day or for the whole campaign?",
                    "هل {amount} {currency} باليوم أو للحملة كاملة؟"),
    "countries": ("Which countries should see the ads?", "في أي دول تبي الإعلانات تظهر؟"),
    "countries.default": ("We assumed {countries}, your store's country. Where should the ads run?",
                          "افترضنا {countries} (دولة متجرك). وين تبي الإعلانات تظهر؟"),
    "platforms": ("Which platforms: Meta (Facebook and Instagram), TikTok, Snapchat or Google? We assumed Meta.",
                  "على أي منصات: ميتا (فيسبوك وانستقرام)، تيك توك، سناب شات أو قوقل؟ افترضنا ميتا."),
    "schedule.ends_before_start": ("The campaign would end before it starts: when should it end?",
                                   "الحملة تنتهي قبل ما تبدأ، متى تبيها تنتهي؟"),
    "schedule.starts_in_the_past": ("The start date has passed: when should the campaign start?",
                                    "تاريخ البداية فات، متى تبي الحملة تبدأ؟"),
    "budget.per_platform": ("How should {amount} {currency} be shared between the platforms?",
                            "كيف نوزع {amount} {currency} على المنصات؟"),
}


def ask(key: str, language: str, **facts: str) -> Question:
    english, arabic = _MESSAGES[key]
    field = key.split(".")[0] if key.startswith(("countries", "schedule")) else key
    return Question(field, (arabic if language == "ar" else english).format(**facts))


def country_names(codes: list[str], language: str) -> str:
    names = COUNTRY_NAMES_AR if language == "ar" else COUNTRY_NAMES_EN
    return (" و" if language == "ar" else " and ").join(names.get(code, code) for code in codes)
