"""A merchant's brief, read into a plan: the offline parser always, an LLM's proposal when a
provider is configured (checked by the same rules, never trusted blindly), and the problems
each chosen platform would have with the plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from adly_campaigns.adapters.container import Adapters
from adly_campaigns.domain.brief import BriefContext, ParsedBrief, parse_brief
from adly_campaigns.domain.platform_rules import Problem, problems_of
from adly_campaigns.handlers.campaigns import account_currencies, in_collection
from adly_events.contracts.campaigns import CampaignPlan
from adly_events.contracts.common import AdPlatform


@dataclass(frozen=True)
class ReadBrief:
    parsed: ParsedBrief
    plan: CampaignPlan | None
    problems: list[Problem]
    parser: str                       # "offline" or the LLM provider's name


async def context(tx: AsyncConnection, a: Adapters, workspace_id: UUID, today: date, time_zone: str
                  ) -> tuple[BriefContext, dict[AdPlatform, str]]:
    catalog = await a.products.catalog(tx, workspace_id)
    return BriefContext(today=today, time_zone=time_zone, catalog=catalog), await account_currencies(tx, a, workspace_id)


async def read(a: Adapters, text: str, brief_context: BriefContext, currencies: dict[AdPlatform, str]) -> ReadBrief:
    parsed, parser = parse_brief(text, brief_context), "offline"
    if a.brief_llm is not None:
        proposed = await a.brief_llm.parse(text, brief_context, parsed)
        if proposed is not None:
            parsed, parser = proposed, a.brief_llm.name
    plan = parsed.plan()
    if plan is not None and plan.collection and not plan.product_ids:
        plan = plan.model_copy(update={"product_ids": in_collection(brief_context.catalog, plan.collection)})
    problems = problems_of(plan, today=brief_context.today, account_currencies=currencies) if plan else []
    return ReadBrief(parsed, plan, problems, parser)
