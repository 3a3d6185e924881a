"""A member's preferences: on unless turned off; a kind that is not mutable cannot be turned off."""

from __future__ import annotations

import uuid

import pytest

from adly_kit.errors import InvalidInput
from adly_kit.testing.doubles import NO_DATABASE
from adly_notifications.domain.kinds import KINDS
from adly_notifications.domain.preferences import Preferences, PreferencesRefused, choices
from adly_notifications.handlers import preferences

from .feed_doubles import world


def test_everything_is_on_until_a_member_turns_it_off():
    table = Preferences().table()
    assert [kind.name for kind, _ in table] == list(KINDS)
    assert all(channels == {c: True for c in kind.channels} for kind, channels in table)
    assert {"feed": True, "email": True} in [channels for _, channels in table]


def test_a_mutable_kind_turned_off_on_one_channel_stays_on_the_other():
    mine = Preferences({("sync.failed", "email"): False})
    assert not mine.allows(KINDS["sync.failed"], "email")
    assert mine.allows(KINDS["sync.failed"], "feed")


def test_a_kind_that_is_not_mutable_cannot_be_turned_off_and_the_answer_names_the_field():
    with pytest.raises(PreferencesRefused) as refused:
        choices({"store.disconnected": {"feed": False}})
    assert isinstance(refused.value, InvalidInput) and refused.value.status == 422
    assert refused.value.code == "not-mutable"
    assert refused.value.problems() == [("body/kinds/store.disconnected/feed",
                                         "store.disconnected is always sent: it cannot be turned off.")]


def test_a_kind_that_is_not_mutable_may_be_set_on():
    assert choices({"store.disconnected": {"feed": True}}) == [("store.disconnected", "feed", True)]


def test_every_fault_of_a_request_is_named_and_nothing_of_it_is_kept():
    with pytest.raises(PreferencesRefused) as refused:
        choices({"sync.failed": {"sms": False}, "budget.spent": {"feed": False}, "creative.ready": {"feed": False}})
    assert [path for path, _ in refused.value.problems()] == ["body/kinds/sync.failed/sms", "body/kinds/budget.spent"]


async def test_a_change_keeps_what_it_does_not_name():
    w, ws, me = world(), uuid.uuid4(), uuid.uuid4()
    await preferences.change(NO_DATABASE, w.adapters, ws, me, {"sync.failed": {"email": False}})
    after = await preferences.change(NO_DATABASE, w.adapters, ws, me, {"creative.ready": {"feed": False}})
    assert not after.allows(KINDS["sync.failed"], "email") and not after.allows(KINDS["creative.ready"], "feed")
    assert after.allows(KINDS["sync.failed"], "feed")


async def test_preferences_are_per_workspace():
    w, me = world(), uuid.uuid4()
    first, second = uuid.uuid4(), uuid.uuid4()
    await preferences.change(NO_DATABASE, w.adapters, first, me, {"sync.failed": {"feed": False}})
    assert (await preferences.of(NO_DATABASE, w.adapters, second, me)).allows(KINDS["sync.failed"], "feed")


async def test_a_refused_change_keeps_nothing():
    w, ws, me = world(), uuid.uuid4(), uuid.uuid4()
    with pytest.raises(PreferencesRefused):
        await preferences.change(NO_DATABASE, w.adapters, ws, me,
                                 {"sync.failed": {"feed": False}, "ad.disapproved": {"email": False}})
    assert w.preferences.chosen == {}
