"""What the brief parser is given and what it answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from adly_events.contracts.campaigns import (
    Audience,
    Budget,
    BudgetKind,
    CampaignPlan,
    Gender,
    Objective,
    PlatformBudget,
    Schedule,
)
from adly_events.contracts.common import AdPlatform, Money

FIELDS = ("objective", "platforms", "budget", "schedule", "countries", "cities", "languages", "age_range", "gender",
          "products", "collection", "landing_url", "creative_language", "variants_per_platform", "name")


@dataclass(frozen=True)
class CatalogItem:
    """One product of the workspace's catalog read model."""

    id: UUID
    title: str
    tags: tuple[str, ...] = ()
    collections: tuple[str, ...] = ()


@dataclass(frozen=True)
class BriefContext:
    today: date                                 # in the workspace's time zone
    time_zone: str                              # IANA, e.g. "Asia/Riyadh"
    catalog: Sequence[CatalogItem] = ()
    default_countries: tuple[str, ...] = ()     # the store's country: used only with low confidence, and said so


@dataclass(frozen=True)
class Span:
    """Where in the brief a value came from: `text == brief[start:end]`."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Finding:
    """One field of the plan. `value` is JSON-able; `source` is None when the value is a default."""

    value: Any
    source: Span | None
    confidence: float


@dataclass(frozen=True)
class Question:
    field: str
    message: str


@dataclass(frozen=True)
class ParsedBrief:
    language: str                               # "ar" | "en": the language of the brief
    fields: dict[str, Finding]
    not_understood: list[Span]
    questions: list[Question]
    time_zone: str = "UTC"
    notes: list[str] = field(default_factory=list)   # what the parser decided on the merchant's behalf

    def value(self, name: str) -> Any:
        finding = self.fields.get(name)
        return None if finding is None else finding.value

    def plan(self) -> CampaignPlan | None:
        """The plan when the brief says enough for one (a budget with its currency above all), else None."""
        budget = self.value("budget")
        objective, platforms, countries = self.value("objective"), self.value("platforms"), self.value("countries")
        if not budget or not budget.get("amount") or not budget.get("currency") or not budget.get("kind"):
            return None
        if not objective or not platforms or not countries:
            return None
        try:
            return self._plan(budget, objective, platforms, countries)
        except ValueError:      # pydantic's ValidationError: a value the contract refuses
            return None

    def _plan(self, budget: dict[str, Any], objective: str, platforms: list[str], countries: list[str]) -> CampaignPlan:
        per_platform: dict[str, str] = budget.get("per_platform") or {}
        budgets = [PlatformBudget(platform=AdPlatform(p), budget=Budget(
            kind=BudgetKind(budget["kind"]),
            amount=Money(amount=Decimal(per_platform.get(p, budget["amount"])), currency=budget["currency"])))
            for p in platforms]
        schedule = self.value("schedule") or {}
        ages = self.value("age_range") or {"min": 18, "max": 65}
        audience = Audience(countries=countries, cities=self.value("cities") or [],
                            languages=self.value("languages") or [], age_min=ages["min"], age_max=ages["max"],
                            gender=Gender(self.value("gender") or "all"))
        return CampaignPlan(
            objective=Objective(objective), platforms=[AdPlatform(p) for p in platforms], budgets=budgets,
            schedule=Schedule(starts_on=_day(schedule.get("starts_on")), ends_on=_day(schedule.get("ends_on")),
                              time_zone=self.time_zone),
            audience=audience, product_ids=[UUID(p) for p in self.value("products") or []],
            collection=self.value("collection"), landing_url=self.value("landing_url"),
            creative_language=self.value("creative_language") or self.language,
            variants_per_platform=self.value("variants_per_platform") or 2,
        )


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
