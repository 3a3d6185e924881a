"""A running campaign steered on its platforms and its ads' reviews read back, driven through
adly_campaigns.handlers (steering.py, reviews.py) on in-memory ports: each change is made on
every published platform before it is recorded, and a platform's refusal records nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from adly_campaigns.domain.campaign import Campaign
from adly_campaigns.domain.lifecycle import IllegalTransition, State
from adly_campaigns.domain.policies import BudgetPolicy, TwoFactorRequired
from adly_campaigns.domain.ports import AdReview, ErrorKind, ObjectKind, PlatformError, Review
from adly_campaigns.handlers import publishing, reviews, steering
from adly_events.contracts.campaigns import (
    AdReviewChanged,
    CampaignBudgetChanged,
    CampaignPaused,
    Schedule,
)
from adly_events.contracts.common import AdPlatform, Contract
from adly_kit.errors import Conflict, InvalidInput, TooManyAttempts, UpstreamFailed
from adly_kit.eventstore import ConcurrencyConflict
from adly_kit.testing.doubles import NO_DATABASE

from .flows import (
    META,
    TIKTOK,
    Shop,
    created_ids,
    drafted,
    live,
    publication_of,
    publishing_started,
    run_publication,
    shop,
)
from .journeys import AUTHOR, WEEK, budget

Command = Callable[[Campaign], list[Contract]]
Operation = Callable[[Campaign, AdPlatform], steering.Operation | None]


async def steer(s: Shop, campaign_id: UUID, command: Command, operation: Operation) -> Campaign:
    """What a route does: decide in one transaction, change the platforms, record in another."""
    change = await steering.decide(NO_DATABASE, s.a, s.workspace_id, campaign_id, command, operation)
    try:
        await steering.steer(s.a, change)
    except steering.Refused as refusal:
        raise await steering.refused(NO_DATABASE, s.a, change, refusal) from None
    return await steering.commit(NO_DATABASE, s.a, change)


def pause(c: Campaign) -> list[Contract]:
    return c.pause(AUTHOR)


def raise_to(platform: AdPlatform, amount: str, policy: BudgetPolicy, two_factor: bool) -> Command:
    return lambda c: c.change_budget(platform, budget(amount), AUTHOR, policy, two_factor=two_factor)


async def partly_live(s: Shop) -> UUID:
    campaign_id = await publishing_started(s)
    await run_publication(s, publication_of(s, campaign_id, META))
    job = await publishing.open_job(NO_DATABASE, s.a, publication_of(s, campaign_id, TIKTOK))
    assert job is not None
    await publishing.fail(NO_DATABASE, s.a, job, PlatformError(ErrorKind.POLICY, "Not allowed here.", code="368"))
    return campaign_id


# -- steering -------------------------------------------------------------------------------------

async def test_pausing_switches_the_campaign_off_on_the_platform_before_it_is_recorded():
    s = shop()
    campaign_id = await live(s)
    (meta_campaign,) = created_ids(s, META, ObjectKind.CAMPAIGN)
    paused = await steer(s, campaign_id, pause, steering.switch(False))
    assert paused.state == State.PAUSED and s.w.campaigns.last(campaign_id) == CampaignPaused(paused_by=AUTHOR)
    assert s.w.publishers[META].calls[-1].args == (ObjectKind.CAMPAIGN, meta_campaign, False)
    assert s.w.publishers[META].active[meta_campaign] is False


async def test_a_paused_campaign_resumes_to_live_on_the_platform():
    s = shop()
    campaign_id = await live(s)
    await steer(s, campaign_id, pause, steering.switch(False))
    resumed = await steer(s, campaign_id, lambda c: c.resume(AUTHOR), steering.switch(True))
    assert resumed.state == State.LIVE and all(s.w.publishers[META].active.values())


async def test_a_partly_live_campaign_is_paused_only_where_it_is_published():
    s = shop(META, TIKTOK)
    campaign_id = await partly_live(s)
    tiktok_calls = len(s.w.publishers[TIKTOK].calls)
    await steer(s, campaign_id, pause, steering.switch(False))
    assert len(s.w.publishers[TIKTOK].calls) == tiktok_calls
    await steer(s, campaign_id, lambda c: c.resume(AUTHOR), steering.switch(True))
    assert (await s.campaign(campaign_id)).state == State.PARTLY_LIVE


@pytest.mark.parametrize(("kind", "details", "mapped", "code"), [
    (ErrorKind.TOKEN_INVALID, {"code": "190"}, Conflict, "ad-account-access-lost"),
    (ErrorKind.PERMISSION, {"code": "200"}, Conflict, "ad-account-permission"),
    (ErrorKind.INVALID_PARAMETER, {"field": "daily_budget"}, InvalidInput, "platform-refused"),
    (ErrorKind.POLICY, {}, InvalidInput, "platform-policy"),
    (ErrorKind.THROTTLED, {"retry_after": 90.0}, TooManyAttempts, "platform-throttled"),
    (ErrorKind.NOT_FOUND, {}, Conflict, "platform-object-missing"),
    (ErrorKind.TRANSIENT, {}, UpstreamFailed, "platform-unavailable"),
], ids=lambda v: v.value if isinstance(v, ErrorKind) else None)
async def test_a_platform_refusal_is_said_in_adlys_words_and_records_nothing(kind, details, mapped, code):
    s = shop()
    campaign_id = await live(s)
    before = s.w.campaigns.types(campaign_id)
    s.w.publishers[META].refuse(kind, message="Refused.", **details)
    with pytest.raises(mapped) as refused:
        await steer(s, campaign_id, pause, steering.switch(False))
    assert refused.value.code == code and str(refused.value).startswith("Meta: Refused.")
    assert s.w.campaigns.types(campaign_id) == before and (await s.campaign(campaign_id)).state == State.LIVE
    if kind == ErrorKind.INVALID_PARAMETER:
        assert refused.value.field == "daily_budget"
    if kind == ErrorKind.THROTTLED:
        assert refused.value.headers() == {"Retry-After": "90"}
    account = await s.w.accounts.get(NO_DATABASE, s.workspace_id, s.accounts[META])
    assert account is not None
    assert account.status == ("access_lost" if kind == ErrorKind.TOKEN_INVALID else "connected")


async def test_a_campaign_whose_account_lost_its_access_is_not_steered_at_all():
    s = shop()
    campaign_id = await live(s)
    await s.w.accounts.set_status(NO_DATABASE, s.accounts[META], "access_lost", "Token revoked")
    calls = len(s.w.publishers[META].calls)
    with pytest.raises(Conflict) as refused:
        await steering.decide(NO_DATABASE, s.a, s.workspace_id, campaign_id, pause, steering.switch(False))
    assert refused.value.code == "ad-account-access-lost" and len(s.w.publishers[META].calls) == calls


async def test_a_budget_change_is_made_on_that_platforms_ad_set_only():
    s = shop(META, TIKTOK)
    campaign_id = await live(s)
    await steer(s, campaign_id, raise_to(TIKTOK, "90", BudgetPolicy(), False), steering.budget_to(budget("90"), TIKTOK))
    (tiktok_ad_set,) = created_ids(s, TIKTOK, ObjectKind.AD_SET)
    assert s.w.publishers[TIKTOK].budgets == {tiktok_ad_set: budget("90")} and not s.w.publishers[META].budgets
    changed = s.w.campaigns.last(campaign_id)
    assert isinstance(changed, CampaignBudgetChanged) and changed.previous == budget("100")


async def test_an_increase_above_the_threshold_without_2fa_is_refused_before_any_platform_call():
    s = shop()
    campaign_id = await live(s)
    calls = len(s.w.publishers[META].calls)
    policy = BudgetPolicy({"SAR": Decimal("150")})
    with pytest.raises(TwoFactorRequired) as refused:
        await steer(s, campaign_id, raise_to(META, "500", policy, False), steering.budget_to(budget("500"), META))
    assert refused.value.code == "two-factor-required" and len(s.w.publishers[META].calls) == calls
    await steer(s, campaign_id, raise_to(META, "500", policy, True), steering.budget_to(budget("500"), META))
    assert (await s.campaign(campaign_id)).budget_of(META) == budget("500")


async def test_a_change_that_changes_nothing_calls_no_platform_and_records_nothing():
    s = shop()
    campaign_id = await live(s)
    before, calls = s.w.campaigns.count(), len(s.w.publishers[META].calls)
    await steer(s, campaign_id, raise_to(META, "100", BudgetPolicy(), False), steering.budget_to(budget("100"), META))
    assert (s.w.campaigns.count(), len(s.w.publishers[META].calls)) == (before, calls)


async def test_a_longer_schedule_moves_the_ad_sets_end_in_the_workspaces_time_zone():
    s = shop()
    campaign_id = await live(s)
    longer = WEEK.model_copy(update={"ends_on": date(2031, 3, 14)})
    await steer(s, campaign_id, lambda c: c.change_schedule(longer, AUTHOR), steering.schedule_to(longer))
    (ad_set,) = created_ids(s, META, ObjectKind.AD_SET)
    riyadh = ZoneInfo("Asia/Riyadh")
    assert s.w.publishers[META].schedules == {ad_set: (datetime(2031, 3, 1, tzinfo=riyadh),
                                                        datetime(2031, 3, 15, tzinfo=riyadh))}
    assert (await s.campaign(campaign_id)).current_plan.schedule == longer


async def test_ending_switches_the_campaign_off_and_it_cannot_be_resumed():
    s = shop()
    campaign_id = await live(s)
    ended = await steer(s, campaign_id, lambda c: c.end(AUTHOR, "Eid is over"), steering.switch(False))
    assert ended.state == State.ENDED and not any(s.w.publishers[META].active[i]
                                                   for i in created_ids(s, META, ObjectKind.CAMPAIGN))
    with pytest.raises(IllegalTransition, match="ended"):
        await steer(s, campaign_id, lambda c: c.resume(AUTHOR), steering.switch(True))


async def test_two_changes_decided_on_the_same_version_record_only_the_first():
    s = shop()
    campaign_id = await live(s)
    first = await steering.decide(NO_DATABASE, s.a, s.workspace_id, campaign_id, pause, steering.switch(False))
    second = await steering.decide(NO_DATABASE, s.a, s.workspace_id, campaign_id,
                                   lambda c: c.end(AUTHOR), steering.switch(False))
    await steering.commit(NO_DATABASE, s.a, first)
    with pytest.raises(ConcurrencyConflict):
        await steering.commit(NO_DATABASE, s.a, second)
    assert (await s.campaign(campaign_id)).state == State.PAUSED


async def test_a_draft_changes_its_schedule_without_asking_any_platform():
    s = shop()
    campaign_id = await drafted(s)
    shorter = Schedule(starts_on=date(2031, 3, 1), ends_on=date(2031, 3, 3), time_zone="Asia/Riyadh")
    await steer(s, campaign_id, lambda c: c.change_schedule(shorter, AUTHOR), steering.schedule_to(shorter))
    assert not s.w.publishers[META].calls and (await s.campaign(campaign_id)).current_plan.schedule == shorter


# -- the platforms' reviews -----------------------------------------------------------------------

async def test_reviews_are_read_for_the_running_campaigns_ads_and_recorded_once():
    s = shop()
    campaign_id = await live(s)
    (platform_ad,) = created_ids(s, META, ObjectKind.AD)
    (ad,) = (await s.campaign(campaign_id)).ads
    s.w.publishers[META].review_of[platform_ad] = AdReview(platform_ad, Review.DISAPPROVED, "Misleading claims")
    for _ in range(2):
        (target,) = await reviews.targets(NO_DATABASE, s.a)
        assert (target.campaign_id, target.platform, target.platform_ad_ids) == (campaign_id, META, [platform_ad])
        await reviews.record(NO_DATABASE, s.a, target, await reviews.read(s.a, target))
    assert [e for e in s.w.campaigns.of(campaign_id) if isinstance(e, AdReviewChanged)] == [AdReviewChanged(
        platform=META, ad_id=ad.ad_id, platform_ad_id=platform_ad, review="disapproved", reason="Misleading claims")]


async def test_an_approved_ad_is_not_asked_about_again():
    s = shop()
    campaign_id = await live(s)
    (platform_ad,) = created_ids(s, META, ObjectKind.AD)
    s.w.publishers[META].review_of[platform_ad] = AdReview(platform_ad, Review.APPROVED)
    (target,) = await reviews.targets(NO_DATABASE, s.a)
    await reviews.record(NO_DATABASE, s.a, target, await reviews.read(s.a, target))
    assert (await s.campaign(campaign_id)).reviews and await reviews.targets(NO_DATABASE, s.a) == []


async def test_campaigns_not_running_or_without_access_are_not_asked_about():
    s = shop()
    await publishing_started(s)
    assert await reviews.targets(NO_DATABASE, s.a) == []
    await live(s)
    await s.w.accounts.set_status(NO_DATABASE, s.accounts[META], "access_lost", "Token revoked")
    assert await reviews.targets(NO_DATABASE, s.a) == []
