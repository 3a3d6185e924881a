"""ADLY's objective and audience in TikTok's words.

Objectives (domain/platform_rules.py): awareness -> REACH, optimised for REACH and billed per
thousand impressions (CPM); traffic -> TRAFFIC, CLICK on CPC; sales and conversions ->
WEB_CONVERSIONS, CONVERT on OCPM with the account's pixel and its purchase event
(`optimization_event` SHOPPING, TikTok's name for CompletePayment, UNVERIFIED): both mean
orders in the store, so a campaign without a pixel is refused before anything is created.
Every ad group is placed on TikTok itself (PLACEMENT_TIKTOK, where the 9:16 video plays),
bids without a cap (BID_TYPE_NO_BID) and paces smoothly.

Audience: ages become TikTok's age groups (the plan is already on group edges:
platform_rules), gender GENDER_MALE / GENDER_FEMALE / GENDER_UNLIMITED, languages pass as
ISO 639-1 codes. Places are location ids, looked up with `/tool/region/` (per objective, as
TikTok offers different places per objective) and never from a table: a country by its
ISO code, a city by its name inside one of the campaign's countries. A country with a
resolved city is targeted through its cities only; cities TikTok does not know are left
out, logged and reported by `TikTokPublisher.resolve_targeting`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from adly_campaigns.adapters.tiktok.client import TikTokApi
from adly_campaigns.domain.platform_rules import platform_objective
from adly_events.contracts.campaigns import Audience, Gender, Objective
from adly_events.contracts.common import AdPlatform

log = logging.getLogger(__name__)

PLACEMENTS = ["PLACEMENT_TIKTOK"]
PURCHASE_EVENT = "SHOPPING"
# objective_type -> (optimization_goal, billing_event)
GOALS = {"REACH": ("REACH", "CPM"), "TRAFFIC": ("CLICK", "CPC"), "WEB_CONVERSIONS": ("CONVERT", "OCPM")}
AGE_GROUPS = ((13, 17, "AGE_13_17"), (18, 24, "AGE_18_24"), (25, 34, "AGE_25_34"), (35, 44, "AGE_35_44"),
              (45, 54, "AGE_45_54"), (55, 65, "AGE_55_100"))
GENDERS = {Gender.MALE: "GENDER_MALE", Gender.FEMALE: "GENDER_FEMALE"}


def objective_type(objective: Objective) -> str:
    return platform_objective(AdPlatform.TIKTOK, objective)


def needs_pixel(objective: Objective) -> bool:
    return objective_type(objective) == "WEB_CONVERSIONS"


def age_groups(age_min: int, age_max: int) -> list[str]:
    """Every group that holds an age from `age_min` to `age_max`; all of them is no limit."""
    groups = [name for low, high, name in AGE_GROUPS if high >= age_min and low <= age_max]
    return [] if len(groups) == len(AGE_GROUPS) else groups


def gender(value: Gender) -> str:
    return GENDERS.get(value, "GENDER_UNLIMITED")


@dataclass(frozen=True)
class ResolvedTargeting:
    targeting: dict[str, Any]
    unresolved_countries: list[str] = field(default_factory=list)
    unresolved_cities: list[str] = field(default_factory=list)


def pick_locations(audience: Audience, regions: list[dict[str, Any]]) -> ResolvedTargeting:
    countries = {str(r.get("region_code", "")).upper(): str(r["location_id"]) for r in regions
                 if str(r.get("level", "")).upper() == "COUNTRY" and r.get("location_id")}
    cities = [r for r in regions if str(r.get("level", "")).upper() == "CITY" and r.get("location_id")]
    chosen_cities: dict[str, list[str]] = {}
    missing_cities: list[str] = []
    for name in audience.cities:
        wanted = name.strip().casefold()
        found = next((r for r in cities if str(r.get("region_code", "")).upper() in audience.countries
                      and wanted in {str(r.get("name", "")).casefold(), str(r.get("name_local", "")).casefold()}), None)
        if found is None:
            missing_cities.append(name)
        else:
            chosen_cities.setdefault(str(found["region_code"]).upper(), []).append(str(found["location_id"]))
    location_ids: list[str] = []
    missing_countries: list[str] = []
    for country in audience.countries:
        if country in chosen_cities:
            location_ids += chosen_cities[country]
        elif country in countries:
            location_ids.append(countries[country])
        else:
            missing_countries.append(country)
    targeting: dict[str, Any] = {"location_ids": list(dict.fromkeys(location_ids)),
                                 "gender": gender(audience.gender)}
    if groups := age_groups(audience.age_min, audience.age_max):
        targeting["age_groups"] = groups
    if audience.languages:
        targeting["languages"] = [language.lower() for language in audience.languages]
    return ResolvedTargeting(targeting, missing_countries, missing_cities)


class LocationResolver:
    """TikTok's places per objective, read once per process (they are TikTok-wide)."""

    def __init__(self, api: TikTokApi) -> None:
        self.api = api
        self._regions: dict[str, list[dict[str, Any]]] = {}

    async def resolve(self, token: str, advertiser_id: str, objective: Objective, audience: Audience) -> ResolvedTargeting:
        kind = objective_type(objective)
        if kind not in self._regions:
            data = await self.api.get("tool/region", token, {"advertiser_id": advertiser_id, "placements": PLACEMENTS,
                                                              "objective_type": kind})
            rows = data.get("region_info") if isinstance(data, dict) else None
            self._regions[kind] = [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
        resolved = pick_locations(audience, self._regions[kind])
        if resolved.unresolved_cities or resolved.unresolved_countries:
            log.warning("tiktok targeting left out what TikTok could not place",
                        extra={"cities": resolved.unresolved_cities, "countries": resolved.unresolved_countries})
        return resolved
