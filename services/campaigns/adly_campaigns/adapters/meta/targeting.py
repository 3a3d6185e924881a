"""ADLY's objective and audience in Meta's words.

Objectives (Meta's outcome-based objectives):
- sales and conversions -> OUTCOME_SALES, optimized for OFFSITE_CONVERSIONS on the account's
  pixel (`promoted_object {pixel_id, custom_event_type: PURCHASE}`): both mean "orders in the
  store", so both need a pixel, and a campaign without one is refused before anything is
  created rather than quietly optimized for clicks;
- traffic -> OUTCOME_TRAFFIC, LINK_CLICKS; awareness -> OUTCOME_AWARENESS, REACH.
Every ad set bills on IMPRESSIONS at LOWEST_COST_WITHOUT_CAP (no bid to guess).

Audience: Meta targets cities by key, and ADLY has city names, so each city is looked up with
`/search?type=adgeolocation` and kept only if Meta knows a city of that name in one of the
campaign's countries. A country with a resolved city is targeted through its cities only
(Meta refuses a country and a city inside it together); a country whose cities all stay
unresolved is targeted whole. Languages (ISO 639-1) become Meta locale keys through
`/search?type=adlocale`, the "(All)" group first. What stays unresolved is logged and reported
by `MetaPublisher.resolve_targeting`, so the merchant can be told.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from adly_campaigns.adapters.meta.client import MetaGraph
from adly_events.contracts.campaigns import Audience, Gender, Objective

log = logging.getLogger(__name__)

OBJECTIVES: dict[Objective, tuple[str, str]] = {
    Objective.SALES: ("OUTCOME_SALES", "OFFSITE_CONVERSIONS"),
    Objective.CONVERSIONS: ("OUTCOME_SALES", "OFFSITE_CONVERSIONS"),
    Objective.TRAFFIC: ("OUTCOME_TRAFFIC", "LINK_CLICKS"),
    Objective.AWARENESS: ("OUTCOME_AWARENESS", "REACH"),
}
PURCHASE = "PURCHASE"
GENDERS = {Gender.MALE: [1], Gender.FEMALE: [2]}
LANGUAGE_NAMES = {
    "ar": "Arabic", "en": "English", "fr": "French", "ur": "Urdu", "hi": "Hindi", "fa": "Persian", "tr": "Turkish",
    "es": "Spanish", "de": "German", "it": "Italian", "pt": "Portuguese", "ru": "Russian", "zh": "Chinese",
    "id": "Indonesian", "ms": "Malay", "bn": "Bengali", "tl": "Tagalog", "ml": "Malayalam", "ta": "Tamil",
    "ku": "Kurdish", "so": "Somali", "sw": "Swahili", "ja": "Japanese", "ko": "Korean", "nl": "Dutch",
}


def needs_pixel(objective: Objective) -> bool:
    return OBJECTIVES[objective][1] == "OFFSITE_CONVERSIONS"


@dataclass(frozen=True)
class CityKey:
    key: str
    country: str


@dataclass(frozen=True)
class ResolvedTargeting:
    targeting: dict[str, Any]
    unresolved_cities: list[str] = field(default_factory=list)
    unresolved_languages: list[str] = field(default_factory=list)


def pick_city(name: str, countries: list[str], rows: list[dict[str, Any]]) -> CityKey | None:
    """The city Meta means: same name first, else Meta's first city in one of the countries
    (an Arabic name comes back spelled in English)."""
    cities = [r for r in rows if r.get("type") == "city" and r.get("key") and r.get("country_code") in countries]
    same = [r for r in cities if str(r.get("name", "")).casefold() == name.strip().casefold()]
    chosen = same or cities
    return CityKey(str(chosen[0]["key"]), str(chosen[0]["country_code"])) if chosen else None


def pick_locale(language: str, rows: list[dict[str, Any]]) -> int | None:
    wanted = LANGUAGE_NAMES.get(language.lower(), language).casefold()
    named = [(str(r.get("name", "")).casefold(), r.get("key")) for r in rows]
    for choice in (f"{wanted} (all)", wanted):
        for name, key in named:
            if name == choice and str(key).isdigit():
                return int(str(key))
    starts = [key for name, key in named if name.startswith(wanted) and str(key).isdigit()]
    return int(str(starts[0])) if starts else None


def build_targeting(audience: Audience, cities: list[CityKey], locales: list[int]) -> dict[str, Any]:
    with_cities = {c.country for c in cities}
    geo: dict[str, Any] = {}
    countries = [c for c in audience.countries if c not in with_cities]
    if countries:
        geo["countries"] = countries
    if cities:
        geo["cities"] = [{"key": c.key} for c in cities]
    targeting: dict[str, Any] = {"geo_locations": geo, "age_min": audience.age_min, "age_max": audience.age_max,
                                 "targeting_automation": {"advantage_audience": 0}}
    if audience.gender in GENDERS:
        targeting["genders"] = GENDERS[audience.gender]
    if locales:
        targeting["locales"] = sorted(set(locales))
    return targeting


class AudienceResolver:
    """City and locale keys through Meta's targeting search, remembered for the process's life
    (they are Meta-wide, not per account)."""

    def __init__(self, graph: MetaGraph) -> None:
        self.graph = graph
        self._cities: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}
        self._locales: dict[str, int | None] = {}

    async def resolve(self, token: str, audience: Audience) -> ResolvedTargeting:
        cities: list[CityKey] = []
        locales: list[int] = []
        missing_cities: list[str] = []
        missing_languages: list[str] = []
        for name in audience.cities:
            key = pick_city(name, audience.countries, await self._city_rows(token, name, audience.countries))
            if key is None:
                missing_cities.append(name)
            else:
                cities.append(key)
        for language in audience.languages:
            locale = await self._locale(token, language)
            if locale is None:
                missing_languages.append(language)
            else:
                locales.append(locale)
        if missing_cities or missing_languages:
            log.warning("meta targeting left out what Meta could not place",
                        extra={"cities": missing_cities, "languages": missing_languages})
        return ResolvedTargeting(build_targeting(audience, cities, locales), missing_cities, missing_languages)

    async def _city_rows(self, token: str, name: str, countries: list[str]) -> list[dict[str, Any]]:
        cache_key = (name.casefold(), tuple(countries))
        if cache_key not in self._cities:
            params: dict[str, Any] = {"type": "adgeolocation", "location_types": ["city"], "q": name, "limit": 25}
            if len(countries) == 1:
                params["country_code"] = countries[0]
            self._cities[cache_key] = _rows(await self.graph.get("search", token, params))
        return self._cities[cache_key]

    async def _locale(self, token: str, language: str) -> int | None:
        if language not in self._locales:
            query = LANGUAGE_NAMES.get(language.lower(), language)
            rows = _rows(await self.graph.get("search", token, {"type": "adlocale", "q": query, "limit": 50}))
            self._locales[language] = pick_locale(language, rows)
        return self._locales[language]


def _rows(body: Any) -> list[dict[str, Any]]:
    data = body.get("data") if isinstance(body, dict) else None
    return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []
