"""A campaign before it publishes, driven through adly_campaigns.handlers (campaigns.py and
creatives.py) on in-memory ports: drafting against the catalog and the platforms' rules,
creative's answer turned into ads, review, and the start of publishing into the right ad accounts."""

from __future__ import annotations

import uuid
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import pytest

from adly_campaigns.domain.lifecycle import IllegalTransition, State
from adly_campaigns.domain.policies import ApprovalPolicy, BudgetPolicy
from adly_campaigns.handlers import campaigns, creatives
from adly_events.contracts.campaigns import (
    CampaignDrafted,
    CampaignPublishRequested,
    CampaignRejected,
    CreativesFailed,
    CreativesReceived,
    CreativesRequested,
)
from adly_kit.errors import InvalidInput, NotAllowed, NotFound
from adly_kit.permissions import Role
from adly_kit.testing.doubles import NO_DATABASE

from .flows import (
    META,
    TIKTOK,
    TODAY,
    Shop,
    approved,
    asked,
    drafted,
    envelope,
    generated,
    generation_failed,
    in_review,
    shop,
)
from .journeys import AUTHOR, REVIEWER, a_plan, an_ad


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def failed_publish_on_tiktok(s: Shop, campaign_id: UUID) -> None:
    campaign = await s.campaign(campaign_id)
    await s.w.campaigns.save(NO_DATABASE, s.workspace_id, campaign, [
        *campaign.published(META, "act_1", "meta-campaign", []),
        *campaign.publish_failed(TIKTOK, "TikTok is down.", None, True)])


# -- drafting -----------------------------------------------------------------------------------

async def test_a_draft_is_recorded_in_its_workspace():
    s = shop()
    campaign_id = await drafted(s)
    assert s.w.campaigns.types(campaign_id) == ["CampaignDrafted"]
    assert await s.w.campaigns.workspace_of(NO_DATABASE, campaign_id) == s.workspace_id
    drafted_event = s.w.campaigns.last(campaign_id)
    assert isinstance(drafted_event, CampaignDrafted) and drafted_event.plan.product_ids == [s.product_id]


async def test_a_draft_refuses_a_product_not_in_the_catalog_with_its_field_path():
    s = shop()
    with pytest.raises(InvalidInput, match="catalog") as refused:
        await drafted(s, products=(s.product_id, uuid.uuid4()))
    assert refused.value.field == "plan.product_ids.1"
    assert s.w.campaigns.count() == 0


async def test_a_collection_without_chosen_products_promotes_the_collections_products():
    s = shop()
    abaya = s.w.product(s.workspace_id, "Black abaya")
    s.w.products.rows[abaya] = replace(s.w.products.rows[abaya], collections=("Abayas",))
    plan = a_plan(products=()).model_copy(update={"collection": "abayas"})
    campaign = await campaigns.draft(NO_DATABASE, s.a, s.workspace_id, "Abayas", "", plan, AUTHOR, TODAY)
    assert campaign.current_plan.product_ids == [abaya]


async def test_a_collection_the_catalog_does_not_have_is_refused_with_its_field():
    s = shop()
    plan = a_plan(products=()).model_copy(update={"collection": "Sneakers"})
    with pytest.raises(InvalidInput) as refused:
        await campaigns.draft(NO_DATABASE, s.a, s.workspace_id, "Shoes", "", plan, AUTHOR, TODAY)
    assert refused.value.field == "plan.collection" and s.w.campaigns.count() == 0


async def test_another_workspaces_product_is_not_in_this_catalog():
    s = shop()
    theirs = s.w.product(uuid.uuid4(), "Someone else's oud")
    with pytest.raises(InvalidInput) as refused:
        await drafted(s, products=(theirs,))
    assert refused.value.field == "plan.product_ids.0"


async def test_a_draft_refuses_a_budget_under_the_platforms_floor():
    s = shop()
    with pytest.raises(InvalidInput, match="Meta needs at least") as refused:
        await drafted(s, amount="1")
    assert refused.value.field == "plan.budgets.0.budget.amount.amount"


async def test_a_draft_budget_is_in_the_connected_accounts_currency():
    s = shop()
    s.w.accounts.rows.clear()
    s.w.account(s.workspace_id, META, currency="AED")
    with pytest.raises(InvalidInput, match="AED") as refused:
        await drafted(s)
    assert refused.value.field == "plan.budgets.0.budget.amount.currency"


async def test_another_workspaces_campaign_does_not_exist_here():
    s = shop()
    campaign_id = await drafted(s)
    with pytest.raises(NotFound):
        await campaigns.archive(NO_DATABASE, s.a, uuid.uuid4(), campaign_id, AUTHOR)
    assert s.w.campaigns.types(campaign_id) == ["CampaignDrafted"]


async def test_a_draft_plan_is_edited_and_checked_again():
    s = shop()
    campaign_id = await drafted(s)
    edited = await campaigns.change_plan(NO_DATABASE, s.a, s.workspace_id, campaign_id, "Eid sale 2",
                                         a_plan(META, amount="150", products=(s.product_id,)), AUTHOR, TODAY)
    assert edited.name == "Eid sale 2" and s.w.campaigns.types(campaign_id)[-1] == "CampaignPlanChanged"
    with pytest.raises(InvalidInput):
        await campaigns.change_plan(NO_DATABASE, s.a, s.workspace_id, campaign_id, None,
                                    a_plan(META, amount="0.5", products=(s.product_id,)), AUTHOR, TODAY)


async def test_a_plan_is_not_edited_once_creatives_are_asked_for():
    s = shop()
    campaign_id = await drafted(s)
    await asked(s, campaign_id)
    with pytest.raises(IllegalTransition, match="still being generated"):
        await campaigns.change_plan(NO_DATABASE, s.a, s.workspace_id, campaign_id, "Renamed", None, AUTHOR, TODAY)


async def test_a_duplicate_is_a_new_draft_of_the_same_plan_that_names_its_original():
    s = shop()
    original = await in_review(s)
    copy = await campaigns.duplicate(NO_DATABASE, s.a, s.workspace_id, original, REVIEWER)
    drafted_event = s.w.campaigns.last(copy.id)
    assert isinstance(drafted_event, CampaignDrafted)
    assert drafted_event.name == "Eid sale (copy)" and drafted_event.duplicated_from == original
    assert copy.state == State.DRAFT and copy.current_plan == (await s.campaign(original)).current_plan
    assert (await s.campaign(original)).state == State.IN_REVIEW


async def test_creatives_are_asked_for_under_one_id_per_campaign_version():
    s = shop()
    campaign_id = await drafted(s)
    request_id = await asked(s, campaign_id)
    asked_event = s.w.campaigns.last(campaign_id)
    assert isinstance(asked_event, CreativesRequested) and asked_event.request_id == request_id
    assert request_id == uuid.uuid5(campaign_id, "creatives@1")


# -- creative's answer ----------------------------------------------------------------------------

async def test_creatives_generated_for_the_campaign_propose_ads_with_tagged_landing_urls():
    s = shop(META, TIKTOK)
    campaign_id = await drafted(s)
    request_id = await asked(s, campaign_id)
    answer = generated(s, campaign_id, request_id, [META, TIKTOK])
    delivered = envelope(s.workspace_id, answer)
    await creatives.generated(NO_DATABASE, s.a, answer, delivered)

    campaign = await s.campaign(campaign_id)
    received = s.w.campaigns.last(campaign_id)
    assert isinstance(received, CreativesReceived) and campaign.state == State.IN_REVIEW
    assert [ad.platform for ad in received.ads] == [META, TIKTOK] and received.alternatives == 2
    for ad, source in zip(received.ads, ("facebook", "tiktok"), strict=True):
        tags = query(ad.landing_url)
        assert ad.landing_url.startswith("https://oud.example/p/oud?")
        assert (tags["utm_source"], tags["adly_c"], tags["adly_a"]) == (source, str(campaign_id), str(ad.ad_id))
        assert ad.image_asset_id == answer.assets[0].asset_id and ad.headline == "عطر العود"
    assert (campaign_id, request_id) in s.w.creative_sets.kept
    recorded = s.w.campaigns.events[campaign_id][-1]
    assert recorded.causation_id == delivered.event_id and recorded.correlation_id == delivered.correlation_id


async def test_creatives_generated_for_another_workspace_are_ignored():
    s = shop()
    campaign_id = await drafted(s)
    request_id = await asked(s, campaign_id)
    answer = generated(s, campaign_id, request_id, [META])
    await creatives.generated(NO_DATABASE, s.a, answer, envelope(uuid.uuid4(), answer))
    assert (await s.campaign(campaign_id)).state == State.CREATIVES_REQUESTED
    assert not s.w.creative_sets.kept


async def test_creatives_a_merchant_generated_by_hand_concern_no_campaign():
    s = shop()
    answer = generated(s, uuid.uuid4(), uuid.uuid4(), [META]).model_copy(update={"campaign_id": None})
    await creatives.generated(NO_DATABASE, s.a, answer, envelope(s.workspace_id, answer))
    assert s.w.campaigns.count() == 0


async def test_an_answer_to_an_older_request_changes_nothing():
    s = shop()
    campaign_id = await drafted(s)
    await asked(s, campaign_id)
    stale = generated(s, campaign_id, uuid.uuid4(), [META])
    await creatives.generated(NO_DATABASE, s.a, stale, envelope(s.workspace_id, stale))
    assert s.w.campaigns.types(campaign_id) == ["CampaignDrafted", "CreativesRequested"]


async def test_creative_generation_failed_returns_the_campaign_to_draft_with_the_reason():
    s = shop()
    campaign_id = await drafted(s)
    request_id = await asked(s, campaign_id)
    failure = generation_failed(campaign_id, request_id)
    await creatives.failed(NO_DATABASE, s.a, failure, envelope(s.workspace_id, failure))
    failed = s.w.campaigns.last(campaign_id)
    assert isinstance(failed, CreativesFailed) and failed.reason == "Every provider refused."
    assert (await s.campaign(campaign_id)).state == State.DRAFT
    await creatives.failed(NO_DATABASE, s.a, failure, envelope(uuid.uuid4(), failure))
    assert s.w.campaigns.types(campaign_id).count("CreativesFailed") == 1


# -- choosing ads and reviewing -------------------------------------------------------------------

async def test_chosen_ads_keep_known_ids_get_new_ones_otherwise_and_their_urls_tagged_anew():
    s = shop()
    campaign_id = await in_review(s)
    (proposed,) = (await s.campaign(campaign_id)).ads
    mine = an_ad(META, "My headline").model_copy(update={"landing_url": "https://oud.example/eid?utm_source=mail"})
    chosen = await campaigns.choose_ads(NO_DATABASE, s.a, s.workspace_id, campaign_id, [proposed, mine], AUTHOR)
    kept, new = chosen.ads
    assert kept.ad_id == proposed.ad_id and new.ad_id != mine.ad_id
    assert parse_qs(urlsplit(kept.landing_url).query)["adly_a"] == [str(kept.ad_id)]   # tagged once, not twice
    assert query(new.landing_url)["adly_a"] == str(new.ad_id) and query(new.landing_url)["utm_source"] == "facebook"


async def test_an_ad_with_nowhere_to_lead_is_refused_with_its_field_path():
    s = shop()
    campaign_id = await in_review(s)
    s.w.products.rows[s.product_id].url = None   # the store unpublished the product's page meanwhile
    (proposed,) = (await s.campaign(campaign_id)).ads
    with pytest.raises(InvalidInput) as refused:
        await campaigns.choose_ads(NO_DATABASE, s.a, s.workspace_id, campaign_id,
                                   [proposed.model_copy(update={"landing_url": ""})], AUTHOR)
    assert refused.value.field == "ads.0.landing_url"


async def test_a_campaign_whose_products_lead_nowhere_gets_no_ad_and_is_a_draft_again():
    s = shop()
    s.w.products.rows[s.product_id].url = None
    campaign_id = await in_review(s)
    assert (await s.campaign(campaign_id)).state == State.DRAFT
    assert s.w.campaigns.types(campaign_id)[-1] == "CreativesFailed"


async def test_approval_follows_the_workspaces_policy():
    s = shop()
    campaign_id = await in_review(s)
    await s.w.policies.save(NO_DATABASE, s.workspace_id, ApprovalPolicy(True, Role.ADMIN, not_author=True),
                            BudgetPolicy(), AUTHOR)
    with pytest.raises(NotAllowed):
        await campaigns.approve(NO_DATABASE, s.a, s.workspace_id, campaign_id, REVIEWER, "marketer", None)
    with pytest.raises(NotAllowed):
        await campaigns.approve(NO_DATABASE, s.a, s.workspace_id, campaign_id, AUTHOR, "owner", None)
    await campaigns.approve(NO_DATABASE, s.a, s.workspace_id, campaign_id, REVIEWER, "admin", "Looks right")
    assert (await s.campaign(campaign_id)).state == State.APPROVED


async def test_a_rejection_is_recorded_with_who_and_why():
    s = shop()
    campaign_id = await approved(s)
    await campaigns.reject(NO_DATABASE, s.a, s.workspace_id, campaign_id, REVIEWER, "admin", "Wrong price")
    assert s.w.campaigns.last(campaign_id) == CampaignRejected(rejected_by=REVIEWER, reason="Wrong price")
    assert (await s.campaign(campaign_id)).state == State.IN_REVIEW


# -- publishing into ad accounts ------------------------------------------------------------------

async def test_publishing_picks_the_single_connected_account_and_queues_work_per_platform():
    s = shop(META, TIKTOK)
    campaign_id = await approved(s)
    await campaigns.publish(NO_DATABASE, s.a, s.workspace_id, campaign_id, AUTHOR, {})
    requested = s.w.campaigns.last(campaign_id)
    assert isinstance(requested, CampaignPublishRequested)
    assert requested.ad_accounts == {"meta": s.accounts[META], "tiktok": s.accounts[TIKTOK]}
    assert {(p.platform, p.ad_account_id) for p in s.w.publications.queued(campaign_id)} == {
        (META, s.accounts[META]), (TIKTOK, s.accounts[TIKTOK])}
    assert (await s.campaign(campaign_id)).state == State.PUBLISHING


async def test_publishing_refuses_to_guess_between_several_connected_accounts():
    s = shop()
    second = s.w.account(s.workspace_id, META, name="Second shop").id
    campaign_id = await approved(s)
    with pytest.raises(InvalidInput, match="Several") as refused:
        await campaigns.publish(NO_DATABASE, s.a, s.workspace_id, campaign_id, AUTHOR, {})
    assert refused.value.field == "ad_accounts.meta" and not s.w.publications.queued()
    await campaigns.publish(NO_DATABASE, s.a, s.workspace_id, campaign_id, AUTHOR, {META: second})
    assert [p.ad_account_id for p in s.w.publications.queued(campaign_id)] == [second]


async def test_publishing_refuses_an_account_of_another_platform_or_workspace():
    s = shop(META, TIKTOK)
    campaign_id = await approved(s, META)
    elsewhere = s.w.account(uuid.uuid4(), META).id
    for wrong in (s.accounts[TIKTOK], elsewhere):
        with pytest.raises(InvalidInput) as refused:
            await campaigns.publish(NO_DATABASE, s.a, s.workspace_id, campaign_id, AUTHOR, {META: wrong})
        assert refused.value.field == "ad_accounts.meta"


async def test_publishing_refuses_an_account_that_lost_its_access():
    s = shop()
    campaign_id = await approved(s)
    await s.w.accounts.set_status(NO_DATABASE, s.accounts[META], "access_lost", "Token revoked")
    with pytest.raises(InvalidInput, match="reconnect") as refused:
        await campaigns.publish(NO_DATABASE, s.a, s.workspace_id, campaign_id, AUTHOR, {})
    assert refused.value.code == "ad-account-access-lost" and refused.value.field == "ad_accounts.meta"
    assert (await s.campaign(campaign_id)).state == State.APPROVED and not s.w.publications.queued()


async def test_publishing_without_an_account_on_a_platform_asks_to_connect_one():
    s = shop(META)
    campaign_id = await approved(s, META)
    s.w.accounts.rows.clear()
    with pytest.raises(InvalidInput, match="Connect an ad account on meta") as refused:
        await campaigns.publish(NO_DATABASE, s.a, s.workspace_id, campaign_id, AUTHOR, {})
    assert refused.value.field == "ad_accounts"


async def test_a_retry_queues_only_the_platform_that_failed():
    s = shop(META, TIKTOK)
    campaign_id = await approved(s)
    await campaigns.publish(NO_DATABASE, s.a, s.workspace_id, campaign_id, AUTHOR, {})
    for row in s.w.publications.rows.values():
        row.state = "done"
    await failed_publish_on_tiktok(s, campaign_id)
    assert (await s.campaign(campaign_id)).state == State.PARTLY_LIVE
    await campaigns.publish(NO_DATABASE, s.a, s.workspace_id, campaign_id, AUTHOR, {})
    assert [p.platform for p in s.w.publications.queued(campaign_id)] == [TIKTOK]


@pytest.mark.parametrize("meanwhile", ["a second meta account connected", "the meta account lost its access"])
async def test_a_retry_asks_nothing_of_the_platform_that_is_live_already(meanwhile: str):
    s = shop(META, TIKTOK)
    campaign_id = await approved(s)
    await campaigns.publish(NO_DATABASE, s.a, s.workspace_id, campaign_id, AUTHOR, {})
    for row in s.w.publications.rows.values():
        row.state = "done"
    await failed_publish_on_tiktok(s, campaign_id)
    if meanwhile == "a second meta account connected":
        s.w.account(s.workspace_id, META, name="Second shop")
    else:
        await s.w.accounts.set_status(NO_DATABASE, s.accounts[META], "access_lost", "Token expired")
    await campaigns.publish(NO_DATABASE, s.a, s.workspace_id, campaign_id, AUTHOR, {})
    assert [p.platform for p in s.w.publications.queued(campaign_id)] == [TIKTOK]


async def test_a_draft_is_archived():
    s = shop()
    campaign_id = await drafted(s)
    archived = await campaigns.archive(NO_DATABASE, s.a, s.workspace_id, campaign_id, AUTHOR)
    assert archived.state == State.ARCHIVED and s.w.campaigns.types(campaign_id)[-1] == "CampaignArchived"
