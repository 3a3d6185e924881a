"""ADLY's objective and audience in Snapchat's words.

Objective: the campaign carries `objective_v2_properties.objective_v2_type` from
platform_rules (SALES, TRAFFIC, AWARENESS_AND_ENGAGEMENT); the ad squad optimizes for what
the objective means to a store: PIXEL_PURCHASE on the account's Snap Pixel for sales and
conversions (so both need a pixel, refused before anything is created rather than quietly
optimized for swipes), SWIPES for traffic, IMPRESSIONS for awareness.

Audience: Snapchat targets countries (lowercase ISO codes, one `geos` entry each), not
cities, so cities are left out (platform rules already refuse a Snapchat plan with cities).
Several countries in one ad squad need a demographics entry with languages (Snap's
targeting spec), so such a plan without a language is refused with the field to fill.
Ages: Snap's oldest bucket is 55 and over, so an upper age of 55 or more targets every age
from the lower one up (ADLY's 65 already means "65 and older").
"""

from __future__ import annotations

from typing import Any

from adly_campaigns.domain.platform_rules import platform_objective
from adly_campaigns.domain.ports import ErrorKind, PlatformError
from adly_events.contracts.campaigns import Audience, Gender, Objective
from adly_events.contracts.common import AdPlatform

GOALS = {"SALES": "PIXEL_PURCHASE", "TRAFFIC": "SWIPES", "AWARENESS_AND_ENGAGEMENT": "IMPRESSIONS"}
GENDERS = {Gender.MALE: "MALE", Gender.FEMALE: "FEMALE"}
OLDEST = 55   # Snap's top age: "55+"


def objective_type(objective: Objective) -> str:
    return platform_objective(AdPlatform.SNAPCHAT, objective)


def optimization_goal(objective: Objective) -> str:
    return GOALS[objective_type(objective)]


def needs_pixel(objective: Objective) -> bool:
    return optimization_goal(objective) == "PIXEL_PURCHASE"


def targeting(audience: Audience) -> dict[str, Any]:
    """Snap's targeting spec; PlatformError(INVALID_PARAMETER) for an audience Snap refuses."""
    countries = list(dict.fromkeys(c.lower() for c in audience.countries))
    if len(countries) > 1 and not audience.languages:
        raise PlatformError(ErrorKind.INVALID_PARAMETER, "Snapchat targets several countries in one ad squad only "
                            "with a language: choose the language your ads speak.", field="audience.languages")
    demographics: dict[str, Any] = {"min_age": min(audience.age_min, OLDEST)}
    if audience.age_max < OLDEST:
        demographics["max_age"] = audience.age_max
    if audience.gender in GENDERS:
        demographics["gender"] = GENDERS[audience.gender]
    if audience.languages:
        demographics["languages"] = list(dict.fromkeys(language.lower() for language in audience.languages))
    return {"geos": [{"country_code": country, "operation": "INCLUDE"} for country in countries],
            "demographics": [demographics]}
