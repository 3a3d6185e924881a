"""A merchant's brief read into a plan, driven through adly_campaigns.handlers (briefs.py) on
in-memory ports: the workspace's catalog and accounts as context, an LLM's proposal checked by
the same platform rules as the offline parser's and never trusted blindly."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from adly_campaigns.domain.brief import BriefContext, Finding, ParsedBrief
from adly_campaigns.handlers import briefs
from adly_events.contracts.campaigns import BudgetKind
from adly_events.contracts.common import AdPlatform
from adly_kit.testing.doubles import NO_DATABASE

from .flows import META, TIKTOK, TODAY, shop


@dataclass
class ProposingLlm:
    """An LLM parser that proposes what it is told to (None: it has nothing to add)."""

    proposal: ParsedBrief | None
    name: str = "anthropic"
    asked: list[str] = field(default_factory=list)

    async def parse(self, text: str, context: BriefContext, offline: ParsedBrief) -> ParsedBrief | None:
        self.asked.append(text)
        return self.proposal


def proposal(amount: str, *platforms: str) -> ParsedBrief:
    said = {"budget": {"amount": amount, "currency": "SAR", "kind": "daily"}, "objective": "sales",
            "platforms": list(platforms), "countries": ["SA", "AE"]}
    return ParsedBrief(language="en", fields={k: Finding(v, None, 0.9) for k, v in said.items()}, not_understood=[],
                       questions=[], time_zone="Asia/Riyadh")


async def test_the_context_is_the_workspaces_active_catalog_and_its_accounts_currencies():
    s = shop(META, TIKTOK)
    s.w.products.rows[s.product_id].tags = ("oud",)
    other = s.w.product(uuid.uuid4(), "Another shop's musk")
    s.w.products.rows[s.w.product(s.workspace_id, "Old amber")].status = "archived"
    context, currencies = await briefs.context(NO_DATABASE, s.a, s.workspace_id, TODAY, "Asia/Riyadh")
    assert [(item.id, item.title, item.tags) for item in context.catalog] == [(s.product_id, "Oud perfume", ("oud",))]
    assert other not in {item.id for item in context.catalog}
    assert (context.today, context.time_zone) == (TODAY, "Asia/Riyadh")
    assert currencies == {META: "SAR", TIKTOK: "SAR"}


async def test_a_platform_with_accounts_in_two_currencies_has_no_currency_to_hold_a_plan_to():
    s = shop(META)
    s.w.account(s.workspace_id, META, currency="AED")
    _, currencies = await briefs.context(NO_DATABASE, s.a, s.workspace_id, TODAY, "Asia/Riyadh")
    assert currencies == {}


async def test_a_brief_without_a_budget_gives_no_plan_and_invents_none():
    s = shop()
    context, currencies = await briefs.context(NO_DATABASE, s.a, s.workspace_id, TODAY, "Asia/Riyadh")
    read = await briefs.read(s.a, "Promote my oud perfume on Instagram in Saudi Arabia next week", context, currencies)
    assert read.parser == "offline" and read.plan is None and read.problems == []
    assert read.parsed.value("budget") is None


async def test_an_llms_proposal_is_held_to_the_platforms_rules():
    s = shop()
    s.a.brief_llm = ProposingLlm(proposal("1", "meta"))   # under Meta's floor of SAR 1.87 a day
    context, currencies = await briefs.context(NO_DATABASE, s.a, s.workspace_id, TODAY, "Asia/Riyadh")
    read = await briefs.read(s.a, "Sell oud in the Gulf, 1 riyal a day", context, currencies)
    assert read.parser == "anthropic" and read.plan is not None
    assert read.plan.budgets[0].budget.amount.amount == Decimal("1") and read.plan.budgets[0].platform == AdPlatform.META
    assert [p.path for p in read.problems] == ["budgets.0.budget.amount.amount"]


async def test_an_llm_with_nothing_to_propose_leaves_the_offline_reading():
    s = shop()
    llm = ProposingLlm(None)
    s.a.brief_llm = llm
    context, currencies = await briefs.context(NO_DATABASE, s.a, s.workspace_id, TODAY, "Asia/Riyadh")
    read = await briefs.read(s.a, "عطر العود على انستقرام في السعودية", context, currencies)
    assert read.parser == "offline" and llm.asked == ["عطر العود على انستقرام في السعودية"]


async def test_a_sound_proposal_has_no_problems():
    s = shop()
    s.a.brief_llm = ProposingLlm(proposal("150", "meta"))
    context, currencies = await briefs.context(NO_DATABASE, s.a, s.workspace_id, TODAY, "Asia/Riyadh")
    read = await briefs.read(s.a, "Sell oud in the Gulf, 150 riyals a day", context, currencies)
    assert read.plan is not None and read.problems == [] and read.plan.budgets[0].budget.kind == BudgetKind.DAILY
