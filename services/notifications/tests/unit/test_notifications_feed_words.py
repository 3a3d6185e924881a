"""The feed in the reader's words and pages: language, rendering, cursors, read marks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from adly_kit.errors import InvalidInput, NotFound
from adly_kit.testing.doubles import NO_DATABASE
from adly_notifications.domain.feed import cursor_after, language_of, place_of, render
from adly_notifications.domain.notices import Notice
from adly_notifications.handlers import feed

from .feed_doubles import world


@pytest.mark.parametrize(("header", "language"), [
    (None, "en"), ("", "en"), ("ar", "ar"), ("ar-SA,en;q=0.8", "ar"), ("en-US,ar;q=0.9", "en"),
    ("fr-FR, ar;q=0.5, en;q=0.4", "ar"), ("de", "en"), ("ar;q=0", "en"), ("en;q=0.2, ar;q=0.7", "ar"),
])
def test_the_language_is_the_first_of_arabic_and_english_the_reader_accepts(header, language):
    assert language_of(header) == language


def test_words_name_the_params_in_the_readers_language():
    params = {"platform": "salla", "reason": "uninstalled"}
    assert render("store.disconnected", params, "en").title == "Your Salla store was disconnected"
    arabic = render("store.disconnected", params, "ar")
    assert arabic.title == "انقطع اتصال متجرك على سلة" and "أُزيل التطبيق" in arabic.body


def test_a_missing_param_reads_as_empty_rather_than_failing():
    assert render("sync.failed", {}, "en").body == "Syncing your store stopped:"


def test_a_cursor_comes_back_as_the_place_it_names_and_a_forged_one_is_refused():
    at, ident = datetime(2026, 12, 6, 10, 0, tzinfo=UTC), uuid.uuid4()
    assert place_of(cursor_after(at, ident)) == (at, ident)
    with pytest.raises(InvalidInput) as refused:
        place_of("not-a-cursor")
    assert refused.value.path == "query/cursor"


async def feed_of(count: int):
    w, ws, me = world(), uuid.uuid4(), uuid.uuid4()
    start = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    for n in range(count):
        notice = Notice(kind="sync.failed", workspace_id=ws, source_event_id=uuid.uuid4(),
                        occurred_at=start + timedelta(minutes=n), params={"reason": f"#{n}"})
        await w.feed.add(NO_DATABASE, notice, [me])
    return w, ws, me


async def test_pages_run_newest_first_and_the_cursor_leads_to_the_older_ones():
    w, ws, me = await feed_of(5)
    first = await feed.page(NO_DATABASE, w.adapters, ws, me, limit=2)
    second = await feed.page(NO_DATABASE, w.adapters, ws, me, limit=2, cursor=first.next_cursor)
    third = await feed.page(NO_DATABASE, w.adapters, ws, me, limit=2, cursor=second.next_cursor)
    reasons = [i.params["reason"] for p in (first, second, third) for i in p.items]
    assert reasons == ["#4", "#3", "#2", "#1", "#0"]
    assert third.next_cursor is None and first.unread == 5


async def test_marking_read_lowers_the_unread_count():
    w, ws, me = await feed_of(3)
    newest = (await feed.page(NO_DATABASE, w.adapters, ws, me, limit=1)).items[0]
    assert await feed.mark_read(NO_DATABASE, w.adapters, ws, me, newest.notification_id) == 2
    assert await feed.mark_read(NO_DATABASE, w.adapters, ws, me, newest.notification_id) == 2
    assert await feed.mark_all_read(NO_DATABASE, w.adapters, ws, me) == 2
    assert await feed.unread(NO_DATABASE, w.adapters, ws, me) == 0


async def test_someone_elses_notification_is_not_found_in_my_feed():
    w, ws, me = await feed_of(1)
    theirs = (await feed.page(NO_DATABASE, w.adapters, ws, me, limit=1)).items[0]
    with pytest.raises(NotFound):
        await feed.mark_read(NO_DATABASE, w.adapters, ws, uuid.uuid4(), theirs.notification_id)
