"""An ADLY audience as Google Ads criteria: places and languages on the campaign, ages and
genders excluded on the ad group.

Countries, cities and languages are looked up through GAQL (`geo_target_constant`,
`language_constant`), never from a table of ids. A country with cities named in the audience
is targeted by those cities only; one without, as a whole. Google targets every age range
and gender unless told otherwise, so ADLY adds negative ad group criteria for the ranges
outside the merchant's ages and for the gender left out (AgeRangeType: 18-24 ... 55-64, 65
and up; GenderType MALE / FEMALE). UNVERIFIED: that Demand Gen ad groups take demographic
exclusions (Google's Demand Gen guide lists demographics among ad group targeting).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adly_campaigns.adapters.google_ads.client import GoogleAdsApi, quoted
from adly_campaigns.domain.ports import AccountAccess, ErrorKind, PlatformError
from adly_events.contracts.campaigns import Audience, Gender

AGE_RANGES = (((18, 24), "AGE_RANGE_18_24"), ((25, 34), "AGE_RANGE_25_34"), ((35, 44), "AGE_RANGE_35_44"),
              ((45, 54), "AGE_RANGE_45_54"), ((55, 64), "AGE_RANGE_55_64"), ((65, 65), "AGE_RANGE_65_UP"))
LEFT_OUT = {Gender.FEMALE: ["MALE"], Gender.MALE: ["FEMALE"], Gender.ALL: []}


@dataclass(frozen=True)
class Targets:
    places: list[str]       # geoTargetConstants/...
    languages: list[str]    # languageConstants/...
    age_ranges_out: list[str]
    genders_out: list[str]

    def campaign_criteria(self, campaign: str) -> list[dict[str, Any]]:
        return ([{"campaignCriterionOperation": {"create": {"campaign": campaign, "location": {
                    "geoTargetConstant": place}}}} for place in self.places]
                + [{"campaignCriterionOperation": {"create": {"campaign": campaign, "language": {
                    "languageConstant": language}}}} for language in self.languages])

    def ad_group_criteria(self, ad_group: str) -> list[dict[str, Any]]:
        return ([{"adGroupCriterionOperation": {"create": {"adGroup": ad_group, "negative": True, "ageRange": {
                    "type": age}}}} for age in self.age_ranges_out]
                + [{"adGroupCriterionOperation": {"create": {"adGroup": ad_group, "negative": True, "gender": {
                    "type": gender}}}} for gender in self.genders_out])


def _in(values: list[str]) -> str:
    return "(" + ", ".join(quoted(v) for v in values) + ")"


class Targeting:
    def __init__(self, api: GoogleAdsApi) -> None:
        self.api = api

    async def resolve(self, account: AccountAccess, audience: Audience) -> Targets:
        countries = [c.upper() for c in audience.countries]
        cities = await self._cities(account, audience.cities, countries) if audience.cities else {}
        covered = {country for country, _ in cities.values()}
        wanted = [c for c in countries if c not in covered]
        places = [place for _, place in cities.values()]
        if wanted:
            found = await self._constants(account, "geo_target_constant", "country_code", wanted,
                                          "geo_target_constant.target_type = 'Country'")
            missing = [c for c in wanted if c not in found]
            if missing:
                raise self._refuse(f"Google Ads does not target {', '.join(missing)}.", "audience.countries")
            places += [found[c] for c in wanted]
        languages: list[str] = []
        if audience.languages:
            known = await self._constants(account, "language_constant", "code", list(audience.languages))
            missing = [code for code in audience.languages if code not in known]
            if missing:
                raise self._refuse(f"Google Ads has no language {', '.join(missing)}.", "audience.languages")
            languages = [known[code] for code in audience.languages]
        ages = [age for (low, high), age in AGE_RANGES if high < audience.age_min or low > audience.age_max]
        return Targets(places, languages, ages, LEFT_OUT[audience.gender])

    async def _constants(self, account: AccountAccess, resource: str, key: str, values: list[str],
                         extra: str | None = None) -> dict[str, str]:
        where = f"{resource}.{key} IN {_in(values)}" + (f" AND {extra}" if extra else "")
        query = f"SELECT {resource}.resource_name, {resource}.{key} FROM {resource} WHERE {where}"
        field = "countryCode" if key == "country_code" else key
        name = "geoTargetConstant" if resource == "geo_target_constant" else "languageConstant"
        found: dict[str, str] = {}
        for row in await self.api.rows(account.token, account.platform_account_id, query):
            entity = row.get(name) or {}
            if entity.get(field) and entity.get("resourceName"):
                found.setdefault(str(entity[field]).upper() if key == "country_code" else str(entity[field]),
                                 str(entity["resourceName"]))
        return found

    async def _cities(self, account: AccountAccess, names: list[str], countries: list[str]) -> dict[str, tuple[str, str]]:
        """Each city's (country, geo target), within the audience's countries."""
        query = ("SELECT geo_target_constant.resource_name, geo_target_constant.name, geo_target_constant.country_code "
                 f"FROM geo_target_constant WHERE geo_target_constant.name IN {_in(names)} AND "
                 f"geo_target_constant.country_code IN {_in(countries)} AND geo_target_constant.target_type = 'City'")
        found: dict[str, tuple[str, str]] = {}
        for row in await self.api.rows(account.token, account.platform_account_id, query):
            entity = row.get("geoTargetConstant") or {}
            if entity.get("name") and entity.get("resourceName"):
                found.setdefault(str(entity["name"]).casefold(), (str(entity.get("countryCode", "")).upper(),
                                                                  str(entity["resourceName"])))
        missing = [n for n in names if n.casefold() not in found]
        if missing:
            raise self._refuse(f"Google Ads does not know the cities {', '.join(missing)} in "
                               f"{', '.join(countries)}.", "audience.cities")
        return found

    def _refuse(self, message: str, field: str) -> PlatformError:
        return self.api.refuse(PlatformError(ErrorKind.INVALID_PARAMETER, message, field=field))
