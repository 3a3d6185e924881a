"""Campaigns: /v1/workspaces/{workspace_id}/campaigns/...

A request is one unit of work, except where a platform must answer first (pause, resume,
budget, schedule, end): the route decides in one transaction, asks the platforms with none
open, and records in a second (handlers/steering.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response

from adly_campaigns.adapters.campaigns import CampaignRow, encode_cursor
from adly_campaigns.domain.campaign import Campaign
from adly_campaigns.domain.platform_rules import PlanRefused, Problem, problems_of
from adly_campaigns.domain.policies import ApprovalPolicy, BudgetPolicy
from adly_campaigns.domain.schedule import zone
from adly_campaigns.entrypoints.deps import AdaptersDep, CampaignsConfigure, CampaignsRead, CampaignsWrite, Member
from adly_campaigns.entrypoints.schemas import (
    AdsChoice,
    ApprovalIn,
    BriefIn,
    BudgetIn,
    CampaignChange,
    CampaignOut,
    CampaignPage,
    CreativeSetOut,
    EndIn,
    FiguresOut,
    FindingOut,
    NewCampaign,
    PlanOut,
    PoliciesIn,
    PoliciesOut,
    ProblemOut,
    PublicationIn,
    QuestionOut,
    RejectionIn,
    RunOut,
    ScheduleIn,
    SpanOut,
)
from adly_campaigns.handlers import briefs, campaigns, steering
from adly_events.contracts.campaigns import AdDraft
from adly_events.contracts.common import AdPlatform, Contract
from adly_kit.db import unit_of_work
from adly_kit.errors import InvalidInput, NotFound
from adly_kit.permissions import Role
from adly_kit.sql import utc_now

router = APIRouter(prefix="/v1/workspaces/{workspace_id}/campaigns", tags=["campaigns"])
MAX_PAGE = 100
STATES = ("draft", "creatives_requested", "in_review", "approved", "publishing", "live", "partly_live", "failed",
          "paused", "ended", "archived")


def today_in(time_zone: str) -> date:
    return utc_now().astimezone(zone(time_zone)).date()


def out(row: CampaignRow, steps: list[dict] | None = None) -> CampaignOut:
    return CampaignOut(
        id=row.id, name=row.name, state=row.state, version=row.version, plan=row.plan, brief=row.brief,  # type: ignore[arg-type]
        ads=row.ads, platforms={p: RunOut(**run) for p, run in row.runs.items()}, reviews=row.reviews,  # type: ignore[arg-type]
        drafted_by=row.drafted_by, approved_by=row.approved_by, last_rejection=row.last_rejection,
        created_at=row.created_at, updated_at=row.updated_at, steps=steps or [])


async def view(a: AdaptersDep, workspace_id: UUID, campaign_id: UUID) -> CampaignOut:
    async with a.engine.connect() as conn:
        row = await a.queries.one(conn, workspace_id, campaign_id)
        if row is None:
            raise NotFound("No such campaign.")
        steps = await a.queries.objects(conn, campaign_id)
    return out(row, steps)


# -- the brief -------------------------------------------------------------------------------

@router.post("/plans", response_model=PlanOut, summary="Read a brief (English or Arabic) into a plan")
async def read_brief(workspace_id: UUID, body: BriefIn, member: CampaignsWrite, a: AdaptersDep) -> PlanOut:
    today = today_in(body.time_zone)
    async with a.engine.connect() as conn:
        context, currencies = await briefs.context(conn, a, workspace_id, today, body.time_zone)
    read = await briefs.read(a, body.brief, context, currencies)
    parsed = read.parsed
    return PlanOut(
        language=parsed.language, parser=read.parser,
        fields={name: FindingOut(value=f.value, source=SpanOut(**vars(f.source)) if f.source else None,
                                 confidence=f.confidence) for name, f in parsed.fields.items()},
        not_understood=[SpanOut(**vars(s)) for s in parsed.not_understood],
        questions=[QuestionOut(field=q.field, message=q.message) for q in parsed.questions],
        plan=read.plan, problems=[ProblemOut(path=p.path, message=p.message) for p in read.problems])


# -- the workspace's policies ----------------------------------------------------------------

@router.get("/settings", response_model=PoliciesOut, summary="Approval and budget policies")
async def get_policies(workspace_id: UUID, member: CampaignsRead, a: AdaptersDep) -> PoliciesOut:
    async with a.engine.connect() as conn:
        approval, budget = await a.policies.of(conn, workspace_id)
    return PoliciesOut(approval_required=approval.required, approver_role=approval.approver_role.value,  # type: ignore[arg-type]
                       approver_not_author=approval.not_author,
                       budget_thresholds={c: str(v) for c, v in budget.thresholds.items()})


@router.put("/settings", response_model=PoliciesOut, summary="Set approval and budget policies (admins)")
async def put_policies(workspace_id: UUID, body: PoliciesIn, member: CampaignsConfigure, a: AdaptersDep) -> PoliciesOut:
    from decimal import Decimal, InvalidOperation
    thresholds = {}
    for currency, amount in body.budget_thresholds.items():
        try:
            value = Decimal(amount)
        except InvalidOperation:
            value = Decimal(-1)
        if len(currency) != 3 or not currency.isascii() or not currency.isupper() or not value.is_finite() or value < 0:
            raise InvalidInput("A threshold is a non-negative amount per ISO 4217 currency.",
                               field=f"budget_thresholds.{currency}")
        thresholds[currency] = value
    async with unit_of_work(a.engine) as tx:
        await a.policies.save(tx, workspace_id, ApprovalPolicy(body.approval_required, Role(body.approver_role),
                                                               body.approver_not_author),
                              BudgetPolicy(thresholds), member.actor)
    return await get_policies(workspace_id, member, a)  # type: ignore[arg-type]


# -- campaigns -------------------------------------------------------------------------------

@router.post("", response_model=CampaignOut, status_code=201, summary="Draft a campaign from a plan")
async def draft(workspace_id: UUID, body: NewCampaign, member: CampaignsWrite, a: AdaptersDep,
                response: Response) -> CampaignOut:
    async with unit_of_work(a.engine) as tx:
        campaign = await campaigns.draft(tx, a, workspace_id, body.name, body.brief, body.plan, member.actor,
                                         today_in(body.plan.schedule.time_zone))
    response.headers["Location"] = f"/v1/workspaces/{workspace_id}/campaigns/{campaign.id}"
    return await view(a, workspace_id, campaign.id)


@router.get("", response_model=CampaignPage, summary="List campaigns, newest first")
async def list_campaigns(workspace_id: UUID, member: CampaignsRead, a: AdaptersDep,
                         state: Annotated[list[str] | None, Query(description="Any of these states.")] = None,
                         platform: AdPlatform | None = None,
                         q: Annotated[str | None, Query(max_length=200, description="In the name.")] = None,
                         limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
                         cursor: Annotated[str | None, Query(max_length=200)] = None) -> CampaignPage:
    for index, value in enumerate(state or []):
        if value not in STATES:
            raise InvalidInput(f"{value!r} is not a campaign state.", field=f"query/state/{index}")
    async with a.engine.connect() as conn:
        rows = await a.queries.page(conn, workspace_id, states=state or [], platform=platform.value if platform else None,
                                    text=q, limit=limit + 1, cursor=cursor)
    return CampaignPage(items=[out(r) for r in rows[:limit]],
                        next_cursor=encode_cursor(rows[limit - 1]) if len(rows) > limit else None)


@router.get("/{campaign_id}", response_model=CampaignOut, summary="One campaign, with every platform's state")
async def get_campaign(workspace_id: UUID, campaign_id: UUID, member: CampaignsRead, a: AdaptersDep) -> CampaignOut:
    return await view(a, workspace_id, campaign_id)


@router.patch("/{campaign_id}", response_model=CampaignOut, summary="Edit a draft's name or plan")
async def change(workspace_id: UUID, campaign_id: UUID, body: CampaignChange, member: CampaignsWrite,
                 a: AdaptersDep) -> CampaignOut:
    time_zone = body.plan.schedule.time_zone if body.plan else "UTC"
    async with unit_of_work(a.engine) as tx:
        await campaigns.change_plan(tx, a, workspace_id, campaign_id, body.name, body.plan, member.actor,
                                    today_in(time_zone))
    return await view(a, workspace_id, campaign_id)


@router.post("/{campaign_id}/duplicate", response_model=CampaignOut, status_code=201, summary="Copy into a new draft")
async def duplicate(workspace_id: UUID, campaign_id: UUID, member: CampaignsWrite, a: AdaptersDep,
                    response: Response) -> CampaignOut:
    async with unit_of_work(a.engine) as tx:
        copy = await campaigns.duplicate(tx, a, workspace_id, campaign_id, member.actor)
    response.headers["Location"] = f"/v1/workspaces/{workspace_id}/campaigns/{copy.id}"
    return await view(a, workspace_id, copy.id)


@router.post("/{campaign_id}/creatives", response_model=CampaignOut, status_code=202,
             summary="Ask creative for the ads' variants")
async def request_creatives(workspace_id: UUID, campaign_id: UUID, member: CampaignsWrite,
                            a: AdaptersDep) -> CampaignOut:
    async with unit_of_work(a.engine) as tx:
        await campaigns.request_creatives(tx, a, workspace_id, campaign_id)
    return await view(a, workspace_id, campaign_id)


@router.get("/{campaign_id}/creatives", response_model=list[CreativeSetOut], summary="Every variant to pick from")
async def creative_sets(workspace_id: UUID, campaign_id: UUID, member: CampaignsRead,
                        a: AdaptersDep) -> list[CreativeSetOut]:
    async with a.engine.connect() as conn:
        if await a.queries.one(conn, workspace_id, campaign_id) is None:
            raise NotFound("No such campaign.")
        return [CreativeSetOut(**s) for s in await a.queries.creative_sets(conn, workspace_id, campaign_id)]


@router.get("/{campaign_id}/performance", response_model=list[FiguresOut],
            summary="The platforms' figures, latest revision per day (analytics joins them with orders)")
async def campaign_performance(workspace_id: UUID, campaign_id: UUID, member: CampaignsRead, a: AdaptersDep,
                               level: Literal["campaign", "ad_set", "ad"] = "campaign",
                               since: date | None = None, until: date | None = None) -> list[FiguresOut]:
    async with a.engine.connect() as conn:
        if await a.queries.one(conn, workspace_id, campaign_id) is None:
            raise NotFound("No such campaign.")
        return [FiguresOut(**row) for row in await a.queries.performance(conn, campaign_id, level, since, until)]


@router.put("/{campaign_id}/ads", response_model=CampaignOut, summary="Pick or edit the ads to publish")
async def choose_ads(workspace_id: UUID, campaign_id: UUID, body: AdsChoice, member: CampaignsWrite,
                     a: AdaptersDep) -> CampaignOut:
    choices = [AdDraft(ad_id=c.ad_id or UUID(int=0), landing_url=c.landing_url or "",
                       **c.model_dump(exclude={"ad_id", "landing_url"})) for c in body.ads]
    async with unit_of_work(a.engine) as tx:
        await campaigns.choose_ads(tx, a, workspace_id, campaign_id, choices, member.actor)
    return await view(a, workspace_id, campaign_id)


@router.post("/{campaign_id}/approval", response_model=CampaignOut, summary="Approve for publishing")
async def approve(workspace_id: UUID, campaign_id: UUID, body: ApprovalIn, member: CampaignsWrite,
                  a: AdaptersDep) -> CampaignOut:
    async with unit_of_work(a.engine) as tx:
        await campaigns.approve(tx, a, workspace_id, campaign_id, member.actor, member.role.value, body.note)
    return await view(a, workspace_id, campaign_id)


@router.post("/{campaign_id}/rejection", response_model=CampaignOut, summary="Ask for changes")
async def reject(workspace_id: UUID, campaign_id: UUID, body: RejectionIn, member: CampaignsWrite,
                 a: AdaptersDep) -> CampaignOut:
    async with unit_of_work(a.engine) as tx:
        await campaigns.reject(tx, a, workspace_id, campaign_id, member.actor, member.role.value, body.reason)
    return await view(a, workspace_id, campaign_id)


@router.post("/{campaign_id}/publication", response_model=CampaignOut, status_code=202,
             summary="Publish on every platform not live yet")
async def publish(workspace_id: UUID, campaign_id: UUID, body: PublicationIn, member: CampaignsWrite,
                  a: AdaptersDep) -> CampaignOut:
    async with unit_of_work(a.engine) as tx:
        await campaigns.publish(tx, a, workspace_id, campaign_id, member.actor, body.ad_accounts)
    return await view(a, workspace_id, campaign_id)


@router.post("/{campaign_id}/archive", response_model=CampaignOut, summary="Archive")
async def archive(workspace_id: UUID, campaign_id: UUID, member: CampaignsWrite, a: AdaptersDep) -> CampaignOut:
    async with unit_of_work(a.engine) as tx:
        await campaigns.archive(tx, a, workspace_id, campaign_id, member.actor)
    return await view(a, workspace_id, campaign_id)


# -- changes the platforms must make first -----------------------------------------------------

async def _steer(a: AdaptersDep, workspace_id: UUID, campaign_id: UUID, command: Callable[[Campaign], list[Contract]],
                 operation: Callable[[Campaign, AdPlatform], steering.Operation | None]) -> CampaignOut:
    async with unit_of_work(a.engine) as tx:
        change = await steering.decide(tx, a, workspace_id, campaign_id, command, operation)
    try:
        await steering.steer(a, change)
    except steering.Refused as refusal:
        async with unit_of_work(a.engine) as tx:
            error = await steering.refused(tx, a, change, refusal)
        raise error from None
    async with unit_of_work(a.engine) as tx:
        await steering.commit(tx, a, change)
    return await view(a, workspace_id, campaign_id)


@router.post("/{campaign_id}/pause", response_model=CampaignOut, summary="Pause on every platform")
async def pause(workspace_id: UUID, campaign_id: UUID, member: CampaignsWrite, a: AdaptersDep) -> CampaignOut:
    return await _steer(a, workspace_id, campaign_id, lambda c: c.pause(member.actor), steering.switch(False))


@router.post("/{campaign_id}/resume", response_model=CampaignOut, summary="Resume on every platform")
async def resume(workspace_id: UUID, campaign_id: UUID, member: CampaignsWrite, a: AdaptersDep) -> CampaignOut:
    return await _steer(a, workspace_id, campaign_id, lambda c: c.resume(member.actor), steering.switch(True))


@router.post("/{campaign_id}/end", response_model=CampaignOut, summary="End: stop spending for good")
async def end(workspace_id: UUID, campaign_id: UUID, body: EndIn, member: CampaignsWrite,
              a: AdaptersDep) -> CampaignOut:
    return await _steer(a, workspace_id, campaign_id, lambda c: c.end(member.actor, body.reason),
                        steering.switch(False))


@router.put("/{campaign_id}/budgets/{platform}", response_model=CampaignOut,
            summary="Change a platform's budget (an increase above the threshold needs X-2FA-Token)")
async def change_budget(workspace_id: UUID, campaign_id: UUID, platform: AdPlatform, body: BudgetIn,
                        member: CampaignsWrite, a: AdaptersDep) -> CampaignOut:
    async with a.engine.connect() as conn:
        _, policy = await a.policies.of(conn, workspace_id)

    def command(c: Campaign) -> list[Contract]:
        events = c.change_budget(platform, body.budget, member.actor, policy, two_factor=_may_raise(member))
        budget_fits(c, platform)
        return events
    return await _steer(a, workspace_id, campaign_id, command, steering.budget_to(body.budget, platform))


def budget_fits(c: Campaign, platform: AdPlatform) -> None:
    """The new budget against the platform's rules (minimum per currency and day, decimals)."""
    plan = c.current_plan
    index = next(i for i, b in enumerate(plan.budgets) if b.platform == platform)
    prefix = f"budgets.{index}."
    found = [Problem(p.path.removeprefix(prefix), p.message) for p in
             problems_of(plan, today=today_in(plan.schedule.time_zone)) if p.path.startswith(prefix)]
    if found:
        raise PlanRefused(found)


def _may_raise(member: Member) -> bool:
    """`budget.increase_above_threshold`: a maker with a fresh 2FA proof (docs/identity.md)."""
    from adly_kit.permissions import allows
    return member.two_factor and allows(member.role, "budget.increase_above_threshold")


@router.put("/{campaign_id}/schedule", response_model=CampaignOut, summary="Change the schedule")
async def change_schedule(workspace_id: UUID, campaign_id: UUID, body: ScheduleIn, member: CampaignsWrite,
                          a: AdaptersDep) -> CampaignOut:
    zone(body.schedule.time_zone)
    return await _steer(a, workspace_id, campaign_id, lambda c: c.change_schedule(body.schedule, member.actor),
                        steering.schedule_to(body.schedule))
