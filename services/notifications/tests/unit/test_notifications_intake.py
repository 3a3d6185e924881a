"""The intake: each consumed event type gives its notice (or none), told in the feeds of its
audience, recorded as `NotificationCreated`, and handed to the webhooks, once."""

from __future__ import annotations

import string
import uuid

import pytest

from adly_events.contracts.auth import MemberAdded, MemberRemoved, WorkspaceCreated, WorkspaceRole
from adly_events.contracts.campaigns import AdReviewChanged
from adly_events.contracts.notifications import NotificationCreated
from adly_kit.testing.doubles import NO_DATABASE
from adly_notifications.domain.feed import render
from adly_notifications.domain.kinds import KINDS
from adly_notifications.handlers import intake, members, preferences

from .feed_doubles import World, world
from .samples import META, envelope, events

KIND_OF_EVENT = sorted(events())


async def team(w: World, workspace_id):
    """A workspace with one member of each role, as auth's events make it."""
    owner, admin, marketer, analyst = (uuid.uuid4() for _ in range(4))
    a = w.adapters
    await members.workspace_created(NO_DATABASE, a, WorkspaceCreated(name="Oud", owner_id=owner),
                                    envelope(WorkspaceCreated(name="Oud", owner_id=owner), workspace_id,
                                             aggregate_id=workspace_id, version=1))
    for version, (user, role) in enumerate([(admin, "admin"), (marketer, "marketer"), (analyst, "analyst")], start=2):
        added = MemberAdded(user_id=user, role=WorkspaceRole(role), invited_by=owner)
        await members.member_added(NO_DATABASE, a, added, envelope(added, workspace_id, aggregate_id=workspace_id,
                                                                    version=version))
    return owner, admin, marketer, analyst


@pytest.mark.parametrize("kind", KIND_OF_EVENT)
def test_each_event_type_gives_its_kind_of_notice_with_every_word_filled(kind):
    workspace_id = uuid.uuid4()
    event = events()[kind]
    sent = envelope(event, workspace_id)
    notice = intake.notice_of(event, sent)
    assert notice is not None and notice.kind == kind
    assert notice.workspace_id == workspace_id and notice.source_event_id == sent.event_id
    assert notice.occurred_at == sent.occurred_at
    named = {f for w in KINDS[kind].words.values() for t in (w.title, w.body)
             for _, f, _, _ in string.Formatter().parse(t) if f}
    assert named <= set(notice.params)
    assert notice.link and notice.link.startswith("/")
    assert all(isinstance(v, str) for v in notice.params.values())


@pytest.mark.parametrize("kind", KIND_OF_EVENT)
def test_the_same_event_gives_the_same_notice_id(kind):
    event = events()[kind]
    sent = envelope(event, uuid.uuid4())
    first, second = intake.notice_of(event, sent), intake.notice_of(event, sent)
    assert first is not None and second is not None and first.id == second.id


def test_an_ad_approved_or_in_review_tells_nobody():
    for review in ("approved", "in_review"):
        event = AdReviewChanged(platform=META, ad_id=uuid.uuid4(), platform_ad_id="1", review=review)
        assert intake.notice_of(event, envelope(event, uuid.uuid4())) is None


def test_a_disapproval_without_a_reason_says_the_platform_gave_none():
    event = AdReviewChanged(platform=META, ad_id=uuid.uuid4(), platform_ad_id="1", review="disapproved")
    notice = intake.notice_of(event, envelope(event, uuid.uuid4()))
    assert notice is not None
    assert render(notice.kind, notice.params, "en").body == "The platform gave no reason."
    assert render(notice.kind, notice.params, "ar").title == "رفضت ميتا أحد الإعلانات"


def test_an_event_without_a_workspace_tells_nobody():
    event = events()["sync.failed"]
    assert intake.notice_of(event, envelope(event, None)) is None


async def test_a_failing_sync_reaches_the_owner_admin_and_marketer_feeds_and_not_the_analysts():
    w, workspace_id = world(), uuid.uuid4()
    owner, admin, marketer, analyst = await team(w, workspace_id)
    event = events()["sync.failed"]
    sent = envelope(event, workspace_id)

    told = await intake.take(NO_DATABASE, w.adapters, event, sent)

    assert set(told) == {owner, admin, marketer}
    for user in (owner, admin, marketer):
        assert [i.kind for i in w.feed.of(workspace_id, user)] == ["sync.failed"]
    assert w.feed.of(workspace_id, analyst) == []
    (recorded,) = w.store.events
    created = NotificationCreated.model_validate(recorded.payload)
    assert recorded.event_type == "NotificationCreated" and recorded.aggregate_version == 1
    assert recorded.aggregate_id == intake.notice_of(event, sent).id  # type: ignore[union-attr]
    assert set(created.recipients) == {owner, admin, marketer} and created.source_event_id == sent.event_id
    assert recorded.causation_id == sent.event_id and recorded.workspace_id == workspace_id
    assert w.deliveries.enqueued == [(recorded.aggregate_id, workspace_id, "sync.failed")]


async def test_a_replayed_event_adds_nothing():
    w, workspace_id = world(), uuid.uuid4()
    owner, *_ = await team(w, workspace_id)
    event = events()["sync.failed"]
    sent = envelope(event, workspace_id)
    await intake.take(NO_DATABASE, w.adapters, event, sent)

    assert await intake.take(NO_DATABASE, w.adapters, event, sent) == []
    assert len(w.feed.of(workspace_id, owner)) == 1
    assert len(w.store.events) == 1 and len(w.deliveries.enqueued) == 1


async def test_a_member_who_turned_sync_failed_off_gets_nothing_and_the_others_still_do():
    w, workspace_id = world(), uuid.uuid4()
    owner, admin, marketer, _ = await team(w, workspace_id)
    await preferences.change(NO_DATABASE, w.adapters, workspace_id, marketer, {"sync.failed": {"feed": False}})
    event = events()["sync.failed"]

    told = await intake.take(NO_DATABASE, w.adapters, event, envelope(event, workspace_id))

    assert set(told) == {owner, admin}
    assert w.feed.of(workspace_id, marketer) == []


async def test_a_removed_member_gets_nothing_more_and_loses_their_feed():
    w, workspace_id = world(), uuid.uuid4()
    owner, _, marketer, _ = await team(w, workspace_id)
    first = events()["sync.failed"]
    await intake.take(NO_DATABASE, w.adapters, first, envelope(first, workspace_id))
    removed = MemberRemoved(user_id=marketer, removed_by=owner)
    await members.member_removed(NO_DATABASE, w.adapters, removed,
                                 envelope(removed, workspace_id, aggregate_id=workspace_id, version=5))
    second = events()["sync.failed"]

    told = await intake.take(NO_DATABASE, w.adapters, second, envelope(second, workspace_id))

    assert marketer not in told and owner in told
    assert w.feed.of(workspace_id, marketer) == []


async def test_an_older_member_event_fed_back_does_not_bring_a_removed_member_back():
    w, workspace_id = world(), uuid.uuid4()
    owner, _, marketer, _ = await team(w, workspace_id)
    removed = MemberRemoved(user_id=marketer, removed_by=owner)
    await members.member_removed(NO_DATABASE, w.adapters, removed,
                                 envelope(removed, workspace_id, aggregate_id=workspace_id, version=5))
    again = MemberAdded(user_id=marketer, role=WorkspaceRole.MARKETER)

    assert not await members.member_added(NO_DATABASE, w.adapters, again,
                                          envelope(again, workspace_id, aggregate_id=workspace_id, version=3))
    assert marketer not in {m.user_id for m in await w.members.of_workspace(NO_DATABASE, workspace_id)}


async def test_a_new_member_and_the_owner_hear_of_the_joining():
    w, workspace_id = world(), uuid.uuid4()
    owner, admin, *_ = await team(w, workspace_id)
    newcomer = uuid.uuid4()
    added = MemberAdded(user_id=newcomer, role=WorkspaceRole.ANALYST, invited_by=owner)
    sent = envelope(added, workspace_id, aggregate_id=workspace_id, version=5)
    assert await members.member_added(NO_DATABASE, w.adapters, added, sent)

    told = await intake.take(NO_DATABASE, w.adapters, added, sent)

    assert set(told) == {owner, newcomer}
    (item,) = w.feed.of(workspace_id, newcomer)
    assert render(item.kind, item.params, "ar").title == "انضم عضو بدور محلل"


async def test_ownership_moves_the_old_owner_to_admin():
    from adly_events.contracts.auth import OwnershipTransferred

    w, workspace_id = world(), uuid.uuid4()
    owner, admin, *_ = await team(w, workspace_id)
    moved = OwnershipTransferred(previous_owner_id=owner, new_owner_id=admin)
    await members.ownership_transferred(NO_DATABASE, w.adapters, moved,
                                        envelope(moved, workspace_id, aggregate_id=workspace_id, version=5))
    roles = {m.user_id: m.role for m in await w.members.of_workspace(NO_DATABASE, workspace_id)}
    assert roles[owner] == WorkspaceRole.ADMIN and roles[admin] == WorkspaceRole.OWNER


async def test_a_deleted_workspace_keeps_no_member_feed_or_preference():
    from adly_events.contracts.auth import WorkspaceDeleted

    w, workspace_id = world(), uuid.uuid4()
    owner, *_ = await team(w, workspace_id)
    event = events()["sync.failed"]
    await intake.take(NO_DATABASE, w.adapters, event, envelope(event, workspace_id))
    await preferences.change(NO_DATABASE, w.adapters, workspace_id, owner, {"sync.failed": {"email": False}})
    deleted = WorkspaceDeleted(deleted_by=owner)
    await members.workspace_deleted(NO_DATABASE, w.adapters, deleted,
                                    envelope(deleted, workspace_id, aggregate_id=workspace_id, version=5))

    assert await w.members.of_workspace(NO_DATABASE, workspace_id) == []
    assert w.feed.of(workspace_id, owner) == [] and w.preferences.chosen == {}
    later = events()["sync.failed"]
    assert await intake.take(NO_DATABASE, w.adapters, later, envelope(later, workspace_id)) == []


async def test_a_notice_queues_one_mail_per_member_told_by_email_and_a_replay_queues_none():
    w, workspace_id = world(), uuid.uuid4()
    owner, admin, marketer, analyst = await team(w, workspace_id)
    await preferences.change(NO_DATABASE, w.adapters, workspace_id, admin, {"sync.failed": {"email": False}})
    event = events()["sync.failed"]
    sent = envelope(event, workspace_id)

    told = await intake.take(NO_DATABASE, w.adapters, event, sent)
    await intake.take(NO_DATABASE, w.adapters, event, sent)

    assert set(told) == {owner, admin, marketer}  # the feed is still the admin's
    assert [len(w.mails.to(user, "sync.failed")) for user in (owner, admin, marketer, analyst)] == [1, 0, 1, 0]
    (mail,) = w.mails.to(owner, "sync.failed")
    assert mail.params["reason"] == "Salla refused the access token." and mail.link == f"/stores/{event.store_id}"


async def test_a_kind_that_cannot_be_turned_off_is_mailed_even_to_who_tried():
    w, workspace_id = world(), uuid.uuid4()
    owner, admin, *_ = await team(w, workspace_id)
    w.preferences.chosen[workspace_id, admin] = {("store.disconnected", "email"): False}  # as an old row might say
    event = events()["store.disconnected"]
    await intake.take(NO_DATABASE, w.adapters, event, envelope(event, workspace_id))
    assert len(w.mails.to(owner, "store.disconnected")) == len(w.mails.to(admin, "store.disconnected")) == 1


async def test_a_removed_member_loses_the_mail_still_queued_for_them():
    w, workspace_id = world(), uuid.uuid4()
    owner, _, marketer, _ = await team(w, workspace_id)
    event = events()["sync.failed"]
    await intake.take(NO_DATABASE, w.adapters, event, envelope(event, workspace_id))
    removed = MemberRemoved(user_id=marketer, removed_by=owner)
    await members.member_removed(NO_DATABASE, w.adapters, removed, envelope(removed, workspace_id,
                                                                           aggregate_id=workspace_id, version=5))
    assert w.mails.to(marketer) == [] and len(w.mails.to(owner, "sync.failed")) == 1
