"""A campaign plan checked against each chosen ad platform's rules before it is accepted.

The rules are the small tables below, each with its source (docs/campaigns-tracking.md has them
for people). `problems_of` lists everything wrong at once, each under the field path a form can
highlight; `check_plan` refuses a plan with any problem. `today` is the workspace's calendar day.

Budgets are held to a floor, not to each platform's exact minimum: Meta's own figure comes per ad
account (`GET /act_{id}/minimum_budgets`) and moves with the optimisation goal and the exchange
rate, TikTok's and Google's are applied by the platform when publishing. The floor is the least
the platform documents for the cheapest ad set we create, converted at the low end of each
currency's rate, so a budget refused here would be refused by the platform too; a budget that
passes may still be refused at publishing, with the platform's reason.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from urllib.parse import urlsplit

from adly_events.contracts.campaigns import BudgetKind, CampaignPlan, Objective
from adly_events.contracts.common import AdPlatform, Money
from adly_kit.errors import InvalidInput

META, TIKTOK, SNAPCHAT, GOOGLE = AdPlatform.META, AdPlatform.TIKTOK, AdPlatform.SNAPCHAT, AdPlatform.GOOGLE_ADS
NAMES = {META: "Meta", TIKTOK: "TikTok", SNAPCHAT: "Snapchat", GOOGLE: "Google Ads"}
GCC = ("SA", "AE", "KW", "QA", "BH", "OM")

# ISO 4217 minor units: how many decimals an amount may have.
DECIMALS = {"SAR": 2, "AED": 2, "QAR": 2, "KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "EGP": 2, "USD": 2, "EUR": 2,
            "GBP": 2, "JPY": 0}
# Meta counts budgets in minor units by its own offset table (developers.facebook.com/docs/marketing-api/
# currencies): BHD and JOD have offset 100 although they have three decimals, so Meta takes two.
META_DECIMALS = {"BHD": 2, "JOD": 2}

# Least daily budget per currency and platform (None: the platform has no ad accounts in it).
# - per USD: units per US dollar at the low end of the rate, so converted floors stay floors. The Gulf
#   currencies and JOD are pegged (KWD to a basket, 0.30-0.31); EGP, EUR and GBP float (2024-26 lows).
# - Meta: $1.00/day for USD, EUR, GBP (and 13 others), $0.50 in every other currency, for ad sets
#   charged on impressions, which ours are (Meta Business Help "About minimum budgets"; smartly.io
#   "Facebook's limits for budgets and bids"). Meta has no KWD or OMR ad accounts (its currency table).
# - TikTok: $20/day per ad group, where ADLY puts the budget (the campaign minimum, $50, applies only
#   to campaign budgets) (ads.tiktok.com/help/article/budget; budget-and-bidding-faq).
# - Snapchat: `daily_budget_micro` at least 5,000,000 "across all supported currencies": 5 of any
#   currency (developers.snap.com/api/marketing-api/Ads-API/ad-squads).
# - Google Ads: no published minimum; an amount too low for the campaign type is refused at publishing
#   with BudgetPerDayMinimumErrorDetails (developers.google.com/google-ads/api/reference/rpc).
#            per USD    Meta     TikTok    Snapchat  Google
_FLOORS: dict[str, tuple[str, str | None, str, str, str]] = {
    "SAR": ("3.75", "1.87", "75.00", "5.00", "0"),
    "AED": ("3.6725", "1.83", "73.45", "5.00", "0"),
    "QAR": ("3.64", "1.82", "72.80", "5.00", "0"),
    "KWD": ("0.30", None, "6.000", "5.000", "0"),
    "BHD": ("0.376", "0.18", "7.520", "5.000", "0"),
    "OMR": ("0.3845", None, "7.690", "5.000", "0"),
    "JOD": ("0.709", "0.35", "14.180", "5.000", "0"),
    "EGP": ("40", "20.00", "800.00", "5.00", "0"),
    "USD": ("1", "1.00", "20.00", "5.00", "0"),
    "EUR": ("0.85", "0.85", "17.00", "5.00", "0"),
    "GBP": ("0.73", "0.73", "14.60", "5.00", "0"),
}


def _column(i: int) -> dict[str, Decimal]:
    return {currency: Decimal(value) for currency, row in _FLOORS.items() if (value := row[i]) is not None}


PER_USD = _column(0)
MIN_DAILY = {platform: _column(i) for i, platform in enumerate((META, TIKTOK, SNAPCHAT, GOOGLE), start=1)}

# Youngest age ADLY targets, and the platform's age groups where it targets groups, not years; 65 is
# "65 and older" (Meta's age_max). Meta: 13+ technically (basic-targeting reference), but since 2023
# teens get no gender or language targeting and lose goals and placements we publish with (Meta,
# "Announcing changes to the ways teens can be reached"), so ADLY targets 18+ there. TikTok: 13-17 is a
# group, its under-18 limits cover the US, Latin America and Europe, not the GCC (ads.tiktok.com/help/
# article/about-advertising-to-people-under-the-age-of-18). Snapchat: any age from 13 (example targeting
# specs). Google: demographic ranges from 18 (AgeRangeType).
AGES: dict[AdPlatform, tuple[int, tuple[tuple[int, int], ...]]] = {
    META: (18, ()),
    TIKTOK: (13, ((13, 17), (18, 24), (25, 34), (35, 44), (45, 54), (55, 65))),
    SNAPCHAT: (13, ()),
    GOOGLE: (18, ((18, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, 65))),
}

# Countries a platform cannot target. All four follow US sanctions (Google Ads Help 6163740 lists Cuba,
# Iran, North Korea, Syria; Meta's terms forbid commerce from embargoed countries); TikTok does not run
# in mainland China or India. Every GCC state is served by all four: Meta and Google everywhere but
# here, TikTok's METAP region names all six, Snap lists all six in its ad category rules.
NOT_SERVED = {META: {"CU", "IR", "KP", "SY"}, TIKTOK: {"CU", "IR", "KP", "SY", "CN", "IN"},
              SNAPCHAT: {"CU", "IR", "KP", "SY"}, GOOGLE: {"CU", "IR", "KP", "SY"}}
# Meta (geo_locations.cities), TikTok (city location_ids) and Google (city geo target constants) take
# cities; Snapchat's geos are countries, regions and US metros only.
TARGETS_CITIES = {META: True, TIKTOK: True, SNAPCHAT: False, GOOGLE: True}

# ADLY's objective -> the platform's own: Meta's outcome objectives; TikTok's objective_type (website
# purchases are WEB_CONVERSIONS, PRODUCT_SALES needs a TikTok Shop or catalog); Snapchat's
# objective_v2_type; Google's advertising channel (Performance Max for sales, responsive search ads for
# traffic, responsive display ads for awareness).
OBJECTIVES: dict[AdPlatform, dict[Objective, str]] = {
    META: {Objective.AWARENESS: "OUTCOME_AWARENESS", Objective.TRAFFIC: "OUTCOME_TRAFFIC",
           Objective.CONVERSIONS: "OUTCOME_SALES", Objective.SALES: "OUTCOME_SALES"},
    TIKTOK: {Objective.AWARENESS: "REACH", Objective.TRAFFIC: "TRAFFIC",
             Objective.CONVERSIONS: "WEB_CONVERSIONS", Objective.SALES: "WEB_CONVERSIONS"},
    SNAPCHAT: {Objective.AWARENESS: "AWARENESS_AND_ENGAGEMENT", Objective.TRAFFIC: "TRAFFIC",
               Objective.CONVERSIONS: "SALES", Objective.SALES: "SALES"},
    # Demand Gen for every objective: its campaign → ad group → ad shape is ours, each ad is
    # reviewed and reported on its own; the objective picks the bidding (adapters/google_ads).
    GOOGLE: {Objective.AWARENESS: "DEMAND_GEN", Objective.TRAFFIC: "DEMAND_GEN",
             Objective.CONVERSIONS: "DEMAND_GEN", Objective.SALES: "DEMAND_GEN"},
}

# ISO 3166-1 alpha-2 and ISO 639-1, from Debian's iso-codes (iso_3166-1.json, iso_639-2.json).
COUNTRIES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC
CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD
GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH
KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW
MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC
SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY
UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW""".split())
LANGUAGES = frozenset("""
aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el en eo
es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg
ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn
no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta
te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu""".split())


@dataclass(frozen=True)
class Problem:
    path: str      # the field at fault, e.g. `budgets.0.budget.amount.amount`, `audience.age_min`
    message: str


class PlanRefused(InvalidInput):
    """A plan that does not fit its platforms; `problems` holds every one, the error's field the first."""

    def __init__(self, problems: Sequence[Problem], prefix: str = "") -> None:
        text = "; ".join(f"{p.message} ({p.path})" for p in problems) if len(problems) > 1 else problems[0].message
        super().__init__(text, field=prefix + problems[0].path)
        self.found = tuple(Problem(prefix + p.path, p.message) for p in problems)

    def problems(self) -> list[tuple[str, str]]:
        return [(self.located(p.path), p.message) for p in self.found]


def check_plan(plan: CampaignPlan, *, today: date, account_currencies: Mapping[AdPlatform, str] = {},
               prefix: str = "") -> None:
    """`prefix`: where the plan sits in the request (`plan.` in a campaign's body)."""
    problems = problems_of(plan, today=today, account_currencies=account_currencies)
    if problems:
        raise PlanRefused(problems, prefix)


def problems_of(plan: CampaignPlan, *, today: date,
                account_currencies: Mapping[AdPlatform, str] = {}) -> list[Problem]:
    found = [*_platforms(plan), *_budgets(plan, today, account_currencies), *_schedule(plan, today),
             *_audience(plan), *_objective(plan), *_landing_url(plan)]
    return list(dict.fromkeys(found))


def platform_objective(platform: AdPlatform, objective: Objective) -> str:
    try:
        return OBJECTIVES[platform][objective]
    except KeyError:
        raise InvalidInput(f"{NAMES[platform]} has no objective for {objective.value}.", field="objective") from None


def money(amount: Decimal, currency: str) -> str:
    places = Decimal(1).scaleb(-DECIMALS.get(currency, 2))
    return f"{currency} {amount.quantize(places, rounding=ROUND_DOWN):,}"


def _platforms(plan: CampaignPlan) -> Iterator[Problem]:
    for i, platform in enumerate(plan.platforms):
        if platform in plan.platforms[:i]:
            yield Problem(f"platforms.{i}", f"{NAMES[platform]} is chosen twice.")


def _budgets(plan: CampaignPlan, today: date, accounts: Mapping[AdPlatform, str]) -> Iterator[Problem]:
    seen: list[AdPlatform] = []
    for i, entry in enumerate(plan.budgets):
        name = NAMES[entry.platform]
        if entry.platform not in plan.platforms:
            yield Problem(f"budgets.{i}.platform", f"There is a budget for {name}, which is not one of the "
                                                   "campaign's platforms.")
        elif entry.platform in seen:
            yield Problem(f"budgets.{i}.platform", f"{name} has more than one budget; keep one.")
        else:
            seen.append(entry.platform)
            yield from _budget(plan, i, today, accounts.get(entry.platform))
    for platform in dict.fromkeys(plan.platforms):
        if platform not in seen:
            yield Problem("budgets", f"{NAMES[platform]} has no budget.")


def _budget(plan: CampaignPlan, i: int, today: date, account_currency: str | None) -> Iterator[Problem]:
    platform, budget = plan.budgets[i].platform, plan.budgets[i].budget
    name, at = NAMES[platform], f"budgets.{i}.budget.amount"
    amount, currency = budget.amount.amount, budget.amount.currency
    if amount <= 0:
        yield Problem(f"{at}.amount", "The budget must be more than zero.")
    places = META_DECIMALS.get(currency, DECIMALS.get(currency, 2)) if platform == META else DECIMALS.get(currency, 2)
    if amount > 0 and -min(0, int(amount.normalize().as_tuple().exponent)) > places:
        yield Problem(f"{at}.amount", f"{currency} amounts on {name} have at most {places} decimals.")
    floors = MIN_DAILY[platform]
    if account_currency is not None and currency != account_currency:
        yield Problem(f"{at}.currency", f"Your {name} ad account is in {account_currency}, so its budget must "
                                        f"be in {account_currency}, not {currency}.")
    elif currency not in floors:
        yield Problem(f"{at}.currency", f"ADLY takes {name} budgets in {', '.join(floors)}, not {currency}.")
    elif amount > 0:
        yield from _daily_floor(plan, at, name, budget.kind, budget.amount, floors[currency], today)


def _daily_floor(plan: CampaignPlan, at: str, name: str, kind: BudgetKind, budget: Money, floor: Decimal,
                 today: date) -> Iterator[Problem]:
    amount, currency = budget.amount, budget.currency
    if kind == BudgetKind.LIFETIME and name == NAMES[GOOGLE]:  # a Google budget is an amount per day
        yield Problem(at.removesuffix(".amount") + ".kind", f"{name} budgets are daily; give a daily amount.")
        return
    if kind == BudgetKind.DAILY:
        if amount < floor:
            yield Problem(f"{at}.amount", f"{name} needs at least {money(floor, currency)} a day.")
        return
    ends, starts = plan.schedule.ends_on, plan.schedule.starts_on or today
    if ends is None:
        yield Problem("schedule.ends_on", f"A lifetime budget on {name} needs an end date.")
        return
    days = (ends - starts).days + 1
    if days >= 1 and amount / days < floor:
        yield Problem(f"{at}.amount", f"{money(amount, currency)} over {days} days is "
                                      f"{money(amount / days, currency)} a day; {name} needs at least "
                                      f"{money(floor, currency)} a day ({money(floor * days, currency)} in all).")


def _schedule(plan: CampaignPlan, today: date) -> Iterator[Problem]:
    starts, ends = plan.schedule.starts_on, plan.schedule.ends_on
    if starts is not None and starts < today:
        yield Problem("schedule.starts_on", f"The campaign cannot start in the past ({starts}; today is {today}).")
    if ends is not None and starts is not None and ends < starts:
        yield Problem("schedule.ends_on", f"The campaign ends ({ends}) before it starts ({starts}).")
    elif ends is not None and ends < today:
        yield Problem("schedule.ends_on", f"The campaign cannot end in the past ({ends}; today is {today}).")


def _audience(plan: CampaignPlan) -> Iterator[Problem]:
    audience = plan.audience
    if audience.age_min > audience.age_max:
        yield Problem("audience.age_min", f"The youngest age ({audience.age_min}) is above the oldest "
                                          f"({audience.age_max}).")
    for platform in dict.fromkeys(plan.platforms):
        yield from _ages(platform, audience.age_min, audience.age_max)
        name = NAMES[platform]
        for i, country in enumerate(audience.countries):
            if country in COUNTRIES and country in NOT_SERVED[platform]:
                yield Problem(f"audience.countries.{i}", f"{name} does not show ads in {country}.")
        if audience.cities and not TARGETS_CITIES[platform]:
            yield Problem("audience.cities", f"{name} targets whole countries, not cities: remove the cities or "
                                             f"leave {name} out of this campaign.")
    for i, country in enumerate(audience.countries):
        if country not in COUNTRIES:
            yield Problem(f"audience.countries.{i}", f"{country!r} is not an ISO 3166 country code (e.g. SA, AE).")
    for i, language in enumerate(audience.languages):
        if language not in LANGUAGES:
            yield Problem(f"audience.languages.{i}", f"{language!r} is not an ISO 639-1 language code (e.g. ar, en).")


def _ages(platform: AdPlatform, young: int, old: int) -> Iterator[Problem]:
    youngest, groups = AGES[platform]
    name = NAMES[platform]
    if young < youngest:
        yield Problem("audience.age_min", f"ADLY targets ages {youngest} and above on {name}.")
        return
    if not groups or young > old:
        return
    starts, ends = [g[0] for g in groups], [g[1] for g in groups]
    if young not in starts or old not in ends:
        low, high = max(s for s in starts if s <= young), min(e for e in ends if e >= old)
        shown = ", ".join(_ages_text(a, b) for a, b in groups)
        yield Problem("audience.age_min" if young not in starts else "audience.age_max",
                      f"{name} targets age groups ({shown}): choose {_ages_text(low, high)} to include "
                      f"{young} to {old}.")


def _ages_text(young: int, old: int) -> str:
    return f"{young}+" if old == 65 else f"{young}-{old}"


def _objective(plan: CampaignPlan) -> Iterator[Problem]:
    for platform in dict.fromkeys(plan.platforms):
        if plan.objective not in OBJECTIVES[platform]:
            yield Problem("objective", f"{NAMES[platform]} cannot run a {plan.objective.value} campaign.")


def _landing_url(plan: CampaignPlan) -> Iterator[Problem]:
    if plan.landing_url is None:
        return
    url = plan.landing_url.strip()
    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    if not url.lower().startswith("https://") or not host or any(c.isspace() for c in url):
        yield Problem("landing_url", "The landing page must be a full https:// address, e.g. "
                                     "https://yourstore.com/products/abaya.")
