"""The answer a language model gives for a brief: a flat JSON object, strict-mode friendly
(every property required, nullable where the brief may say nothing, no extra properties),
with a quote from the brief for every field it filled, so each value can be checked."""

from __future__ import annotations

from typing import Any

from adly_campaigns.domain.brief.lexicon import ALL_PLATFORMS

OBJECTIVES = ("awareness", "traffic", "conversions", "sales")
GENDERS = ("all", "female", "male")
KINDS = ("daily", "lifetime")


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


def _strings(**extra: Any) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string", **extra}}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


PROPERTIES: dict[str, Any] = {
    "objective": _nullable("string", enum=[*OBJECTIVES, None]),
    "platforms": _strings(enum=list(ALL_PLATFORMS)),
    "budget_amount": _nullable("string", description="The amount as the brief states it, digits only; null when "
                                                     "the brief states no budget. Never estimate one."),
    "budget_currency": _nullable("string", description="ISO 4217 code of the currency the brief names, or null."),
    "budget_kind": _nullable("string", enum=[*KINDS, None]),
    "budget_per_platform": {"type": "array", "items": _object({"platform": {"type": "string",
                                                                            "enum": list(ALL_PLATFORMS)},
                                                               "amount": {"type": "string"}})},
    "starts_on": _nullable("string", description="YYYY-MM-DD"),
    "ends_on": _nullable("string", description="YYYY-MM-DD, the last day the ads run"),
    "countries": _strings(description="ISO 3166-1 alpha-2"),
    "cities": _strings(),
    "languages": _strings(description="ISO 639-1 codes of the audience's languages, only when the brief says"),
    "age_min": _nullable("integer"),
    "age_max": _nullable("integer"),
    "gender": _nullable("string", enum=[*GENDERS, None]),
    "product_ids": _strings(description="ids from the catalog given, nothing else"),
    "collection": _nullable("string"),
    "landing_url": _nullable("string"),
    "creative_language": _nullable("string", description="ISO 639-1 code of the language the ads are written in"),
    "variants_per_platform": _nullable("integer"),
    "name": _nullable("string"),
    "evidence": {"type": "array", "items": _object({"field": {"type": "string"}, "quote": {"type": "string"}}),
                 "description": "For each field filled: the words of the brief it comes from, copied exactly."},
}
SCHEMA: dict[str, Any] = _object(PROPERTIES)
SCHEMA_NAME = "campaign_plan"
