"""Publishing a campaign on each platform step by step, driven through adly_campaigns.handlers
(publishing.py) on in-memory ports and a recording platform: every object created once even
when the publisher dies between any two steps, one platform's failure kept to itself, a
refused token turned into an account that lost its access."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from adly_campaigns.domain.lifecycle import State
from adly_campaigns.domain.ports import AdSetSpec, CreativeSpec, ErrorKind, ObjectKind, PlatformError
from adly_campaigns.domain.publishing import tag
from adly_campaigns.handlers import campaigns, publishing
from adly_events.contracts.campaigns import (
    AdAccountAccessLost,
    CampaignPublished,
    CampaignPublishFailed,
    PublishedAd,
)
from adly_kit.testing.doubles import NO_DATABASE

from .flows import (
    META,
    TIKTOK,
    created_ids,
    publication_of,
    publishing_started,
    run_publication,
    shop,
)
from .journeys import AUTHOR
from .platform_doubles import AnswerLost

RIYADH = ZoneInfo("Asia/Riyadh")
KINDS = (ObjectKind.CAMPAIGN, ObjectKind.AD_SET, ObjectKind.IMAGE, ObjectKind.CREATIVE, ObjectKind.AD)


async def test_a_job_lists_the_steps_in_the_platforms_order_under_deterministic_names():
    s = shop()
    campaign_id = await publishing_started(s)
    job = await publishing.open_job(NO_DATABASE, s.a, publication_of(s, campaign_id, META))
    assert job is not None
    (ad,) = job.campaign.ads
    assert [step.key for step in job.steps] == [
        "campaign", "ad_set", f"ad/{ad.ad_id}/image", f"ad/{ad.ad_id}/creative", f"ad/{ad.ad_id}/ad"]
    assert all(step.name == f"Eid sale {tag(campaign_id, step.key)}" for step in job.steps)
    assert job.done == {} and job.access is not None and job.access.page_id == "page-1"
    assert job.publication.attempts == 0 and s.w.publications.rows[job.publication.id].publication.attempts == 1


async def test_a_publication_that_is_no_longer_queued_opens_no_job():
    s = shop()
    campaign_id = await publishing_started(s)
    publication_id = publication_of(s, campaign_id, META)
    await s.w.publications.finish(NO_DATABASE, publication_id, "done", None)
    assert await publishing.open_job(NO_DATABASE, s.a, publication_id) is None


async def test_publishing_creates_each_object_once_switches_them_on_and_records_the_id_mapping():
    s = shop()
    campaign_id = await publishing_started(s)
    job = await run_publication(s, publication_of(s, campaign_id, META))
    platform = s.w.publishers[META]
    assert [len(platform.made(kind)) for kind in KINDS] == [1, 1, 1, 1, 1]
    assert all(platform.active.values()) and not platform.made(ObjectKind.VIDEO)
    switched = [c.args[0] for c in platform.calls if c.method == "set_status"]
    assert switched == [ObjectKind.AD, ObjectKind.AD_SET, ObjectKind.CAMPAIGN]   # the campaign last: it starts spending

    published = s.w.campaigns.last(campaign_id)
    (ad,) = job.campaign.ads
    (ad_set,) = created_ids(s, META, ObjectKind.AD_SET)
    assert isinstance(published, CampaignPublished)
    assert published.platform_campaign_id == created_ids(s, META, ObjectKind.CAMPAIGN)[0]
    assert published.ad_account_id == s.w.accounts.rows[s.accounts[META]].platform_account_id
    assert published.ads == [PublishedAd(ad_id=ad.ad_id, platform_ad_id=created_ids(s, META, ObjectKind.AD)[0],
                                         platform_ad_set_id=ad_set)]
    assert (await s.campaign(campaign_id)).state == State.LIVE
    assert s.w.publications.rows[job.publication.id].state == "done"


async def test_the_ad_set_carries_the_budget_audience_and_the_schedule_in_the_workspaces_time_zone():
    s = shop()
    campaign_id = await publishing_started(s)
    job = await run_publication(s, publication_of(s, campaign_id, META))
    (ad_set,) = s.w.publishers[META].made(ObjectKind.AD_SET)
    spec: AdSetSpec = ad_set.spec
    plan = job.campaign.current_plan
    assert (spec.budget, spec.audience, spec.objective) == (job.campaign.budget_of(META), plan.audience, plan.objective)
    assert spec.starts_at == datetime(2031, 3, 1, tzinfo=RIYADH) and spec.ends_at == datetime(2031, 3, 8, tzinfo=RIYADH)
    assert spec.campaign_id == created_ids(s, META, ObjectKind.CAMPAIGN)[0]
    assert spec.landing_url == job.campaign.ads[0].landing_url


async def test_the_creative_shows_the_uploaded_image_and_leads_to_the_tagged_landing_url():
    s = shop()
    campaign_id = await publishing_started(s)
    job = await run_publication(s, publication_of(s, campaign_id, META))
    (ad,) = job.campaign.ads
    (creative,) = s.w.publishers[META].made(ObjectKind.CREATIVE)
    (image,) = s.w.publishers[META].made(ObjectKind.IMAGE)
    spec: CreativeSpec = creative.spec
    assert spec.image_ref == created_ids(s, META, ObjectKind.IMAGE)[0] and spec.video_ref is None
    assert (spec.headline, spec.link) == (ad.headline, ad.landing_url)
    assert image.spec.content == s.w.assets.media_of[s.workspace_id, ad.image_asset_id].content


async def test_a_step_attempted_without_an_id_is_looked_up_by_name_before_it_is_created_again():
    s = shop()
    campaign_id = await publishing_started(s)
    publication_id = publication_of(s, campaign_id, META)
    platform = s.w.publishers[META]
    platform.lose_answer(at_call=2)            # the ad set is made, its id never comes back
    with pytest.raises(AnswerLost):
        await run_publication(s, publication_id)
    assert s.w.publications.steps[campaign_id, META] == {"campaign": "meta-campaign-1", "ad_set": None}

    await run_publication(s, publication_id)
    assert platform.methods()[2:4] == ["find", "create_image"]
    assert platform.calls[2].args == (ObjectKind.AD_SET, f"Eid sale {tag(campaign_id, 'ad_set')}", "meta-campaign-1")
    assert [len(platform.made(kind)) for kind in KINDS] == [1, 1, 1, 1, 1]


async def test_a_step_whose_create_never_happened_is_created_after_the_lookup_finds_nothing():
    s = shop()
    campaign_id = await publishing_started(s)
    publication_id = publication_of(s, campaign_id, META)
    platform = s.w.publishers[META]
    platform.refuse(ErrorKind.TRANSIENT, at_call=3)   # the image upload is refused: nothing made
    with pytest.raises(PlatformError):
        await run_publication(s, publication_id)
    await run_publication(s, publication_id)
    assert platform.methods()[3:5] == ["find", "create_image"]
    assert [len(platform.made(kind)) for kind in KINDS] == [1, 1, 1, 1, 1]


@pytest.mark.parametrize("killed_at", range(1, 6), ids=[f"after-the-{k.value}-was-made" for k in KINDS])
async def test_a_publisher_killed_after_any_create_makes_nothing_twice(killed_at: int):
    s = shop()
    campaign_id = await publishing_started(s)
    publication_id = publication_of(s, campaign_id, META)
    s.w.publishers[META].lose_answer(at_call=killed_at)
    with pytest.raises(AnswerLost):
        await run_publication(s, publication_id)
    await run_publication(s, publication_id)
    assert [len(s.w.publishers[META].made(kind)) for kind in KINDS] == [1, 1, 1, 1, 1]
    assert s.w.campaigns.types(campaign_id).count("CampaignPublished") == 1


@pytest.mark.parametrize("refused_at", [6, 7, 8], ids=["switching-the-ad-on", "the-ad-set", "the-campaign"])
async def test_a_publisher_stopped_while_switching_on_resumes_without_creating_anything(refused_at: int):
    s = shop()
    campaign_id = await publishing_started(s)
    publication_id = publication_of(s, campaign_id, META)
    s.w.publishers[META].refuse(ErrorKind.TRANSIENT, at_call=refused_at)
    with pytest.raises(PlatformError):
        await run_publication(s, publication_id)
    assert (await s.campaign(campaign_id)).state == State.PUBLISHING
    await run_publication(s, publication_id)
    assert [len(s.w.publishers[META].made(kind)) for kind in KINDS] == [1, 1, 1, 1, 1]
    assert all(s.w.publishers[META].active.values()) and (await s.campaign(campaign_id)).state == State.LIVE


async def test_one_platform_publishing_leaves_the_campaign_publishing_until_the_other_answers():
    s = shop(META, TIKTOK)
    campaign_id = await publishing_started(s)
    await run_publication(s, publication_of(s, campaign_id, META))
    assert (await s.campaign(campaign_id)).state == State.PUBLISHING
    assert not s.w.publishers[TIKTOK].calls


async def test_one_platform_failing_leaves_the_other_live_and_a_retry_publishes_only_the_failed_one():
    s = shop(META, TIKTOK)
    campaign_id = await publishing_started(s)
    await run_publication(s, publication_of(s, campaign_id, META))
    job = await publishing.open_job(NO_DATABASE, s.a, publication_of(s, campaign_id, TIKTOK))
    assert job is not None
    await publishing.fail(NO_DATABASE, s.a, job, PlatformError(ErrorKind.POLICY, "The ad breaks a policy.", code="368"))
    failed = s.w.campaigns.last(campaign_id)
    assert failed == CampaignPublishFailed(platform=TIKTOK, reason="The ad breaks a policy.", platform_error_code="368",
                                           retryable=False)
    assert (await s.campaign(campaign_id)).state == State.PARTLY_LIVE
    assert s.w.publications.rows[job.publication.id].state == "failed"

    await campaigns.publish(NO_DATABASE, s.a, s.workspace_id, campaign_id, AUTHOR, {})
    await run_publication(s, publication_of(s, campaign_id, TIKTOK))
    assert (await s.campaign(campaign_id)).state == State.LIVE
    assert len(s.w.publishers[META].made(ObjectKind.CAMPAIGN)) == 1
    assert s.w.campaigns.types(campaign_id).count("CampaignPublished") == 2


async def test_a_refused_token_fails_the_platform_and_marks_the_account_as_having_lost_its_access():
    s = shop()
    campaign_id = await publishing_started(s)
    job = await publishing.open_job(NO_DATABASE, s.a, publication_of(s, campaign_id, META))
    assert job is not None
    error = PlatformError(ErrorKind.TOKEN_INVALID, "The session was invalidated.", code="190", subcode="460")
    await publishing.fail(NO_DATABASE, s.a, job, error)
    assert (await s.campaign(campaign_id)).state == State.FAILED
    account = s.w.accounts.rows[s.accounts[META]]
    assert (account.status, account.status_reason) == ("access_lost", "The session was invalidated.")
    assert s.w.accounts.events[account.id] == [AdAccountAccessLost(
        platform=META, platform_account_id=account.platform_account_id, reason="The session was invalidated.",
        platform_error_code="190/460")]
    assert await s.w.accounts.access(NO_DATABASE, account.id) is None

    await publishing.lose_access(NO_DATABASE, s.a, s.workspace_id, account.id, error)   # told twice: said once
    assert len(s.w.accounts.events[account.id]) == 1


async def test_another_refusal_leaves_the_account_connected():
    s = shop()
    campaign_id = await publishing_started(s)
    job = await publishing.open_job(NO_DATABASE, s.a, publication_of(s, campaign_id, META))
    assert job is not None
    await publishing.fail(NO_DATABASE, s.a, job, PlatformError(ErrorKind.INVALID_PARAMETER, "Bad age.", field="age"))
    assert s.w.accounts.rows[s.accounts[META]].status == "connected" and not s.w.accounts.events


async def test_an_account_that_lost_its_access_opens_a_job_without_access():
    s = shop()
    campaign_id = await publishing_started(s)
    await s.w.accounts.set_status(NO_DATABASE, s.accounts[META], "access_lost", "revoked")
    job = await publishing.open_job(NO_DATABASE, s.a, publication_of(s, campaign_id, META))
    assert job is not None and job.access is None


async def test_a_platform_that_answered_twice_is_recorded_once():
    s = shop()
    campaign_id = await publishing_started(s)
    job = await run_publication(s, publication_of(s, campaign_id, META))
    versions = len(s.w.campaigns.of(campaign_id))
    await publishing.finish(NO_DATABASE, s.a, job)
    await publishing.fail(NO_DATABASE, s.a, job, PlatformError(ErrorKind.TRANSIENT, "late"))
    assert len(s.w.campaigns.of(campaign_id)) == versions


async def test_a_throttled_publication_is_tried_again_later():
    s = shop()
    campaign_id = await publishing_started(s)
    job = await publishing.open_job(NO_DATABASE, s.a, publication_of(s, campaign_id, META))
    assert job is not None
    await publishing.retry_later(NO_DATABASE, s.a, job, 30.0, "Meta asked us to slow down.")
    row = s.w.publications.rows[job.publication.id]
    assert (row.state, row.retry_in, row.last_error) == ("queued", [30.0], "Meta asked us to slow down.")
    assert (await s.campaign(campaign_id)).state == State.PUBLISHING
