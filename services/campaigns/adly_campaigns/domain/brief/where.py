"""Where the ads run: countries (every GCC state, "the Gulf" for all six) and cities, which
bring their country with them."""

from __future__ import annotations

from adly_campaigns.domain.brief import places
from adly_campaigns.domain.brief.intent import negated
from adly_campaigns.domain.brief.matching import PhraseIndex
from adly_campaigns.domain.brief.reading import Found, Reading
from adly_campaigns.domain.brief.text import SHADDA, normalize_word

CITIES = PhraseIndex([(p, city) for city, names in places.CITIES.items() for p in names], fuzzy=True)
COUNTRIES = PhraseIndex([(p, code) for code, names in places.COUNTRY_NAMES.items() for p in names], fuzzy=True)
NATIONALITIES = PhraseIndex([(p, code) for code, names in places.NATIONALITIES.items() for p in names])
AMMAN = ("Amman", "JO")
WHOLE = frozenset(normalize_word(w) for w in ("كلها", "كله", "كامله", "كامل", "بالكامل", "all", "whole", "wide"))


def read_places(reading: Reading) -> tuple[Found, Found]:
    """(countries, cities) the brief names; countries empty when it names none."""
    cities: dict[str, str] = {}
    countries: set[str] = set()
    excluded: set[str] = set()
    parts: list[tuple[int, int]] = []
    city_parts: list[tuple[int, int]] = []
    fuzzy = False
    for match in reading.find(CITIES):
        reading.claim(match.start, match.end, "places")
        name, country = match.value
        cities[name] = country
        countries.add(country)
        city_parts.append((match.start, match.end))
        fuzzy |= not match.exact
    for named in reading.find(COUNTRIES):
        reading.claim(named.start, named.end, "places")
        codes = set(places.GCC) if named.value == "GCC" else {named.value}
        if codes == {"OM"} and _is_amman(reading, named.start, named.end, set(cities.values())):
            cities[AMMAN[0]] = AMMAN[1]
            city_parts.append((named.start, named.end))
            codes = {"JO"}
        (excluded if negated(reading, named.start) else countries).update(codes)
        end = named.end + (1 if named.end < len(reading.tokens) and set(reading.tokens[named.end].forms) & WHOLE
                           else 0)
        reading.claim(named.start, end, "places")
        parts.append((named.start, end))
        fuzzy |= not named.exact
    nationality = _nationalities(reading)
    if not countries and not excluded and nationality:
        countries = nationality[0]
        parts += nationality[1]
    chosen = sorted(countries - excluded)
    confidence = 0.8 if fuzzy else 0.95
    country_found = Found(chosen, *_bounds(parts + city_parts), confidence, parts + city_parts) if chosen \
        else Found([], None, None, 0.0)
    city_names = sorted(name for name, country in cities.items() if country not in excluded)
    city_found = Found(city_names, *_bounds(city_parts), confidence, city_parts) if city_names \
        else Found([], None, None, 0.5)
    return country_found, city_found


def _nationalities(reading: Reading) -> tuple[set[str], list[tuple[int, int]]] | None:
    codes: set[str] = set()
    parts: list[tuple[int, int]] = []
    for match in reading.find(NATIONALITIES):
        reading.claim(match.start, match.end, "places")
        codes.add(match.value)
        parts.append((match.start, match.end))
    return (codes, parts) if codes else None


def _is_amman(reading: Reading, start: int, end: int, city_countries: set[str]) -> bool:
    """عمّان (Amman, with its shadda) and عمان (Oman) are one spelling without diacritics:
    the shadda, Jordan or a Jordanian city named in the brief, or a store in Jordan says Amman."""
    if not reading.tokens[start].arabic:
        return False
    if SHADDA in reading.span(start, end).text or "JO" in city_countries:
        return True
    if "JO" in reading.context.default_countries and "OM" not in reading.context.default_countries:
        return True
    return any(t.text in {"الاردن", "jordan"} or "الاردن" in t.forms for t in reading.tokens)


def _bounds(parts: list[tuple[int, int]]) -> tuple[int | None, int | None]:
    if not parts:
        return None, None
    return min(p[0] for p in parts), max(p[1] for p in parts)
