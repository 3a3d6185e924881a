"""When a mail goes out: the digest's day in each member's own zone, and the retry schedule."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from adly_notifications.domain.mailing import (
    digest_due,
    digest_mail_id,
    newest_digest_day,
    notice_mail_id,
    retry_in,
)

EIGHT = 8


@pytest.mark.parametrize(("now", "zone", "covers"), [
    # 04:59 UTC is 07:59 in Riyadh: not yet; 05:00 UTC is 08:00 there: yesterday's digest.
    (datetime(2026, 12, 6, 4, 59, tzinfo=UTC), "Asia/Riyadh", None),
    (datetime(2026, 12, 6, 5, 0, tzinfo=UTC), "Asia/Riyadh", date(2026, 12, 5)),
    # The same instant is midnight in New York: the 5th's digest waits for 13:00 UTC.
    (datetime(2026, 12, 6, 5, 0, tzinfo=UTC), "America/New_York", None),
    (datetime(2026, 12, 6, 12, 59, tzinfo=UTC), "America/New_York", None),
    (datetime(2026, 12, 6, 13, 0, tzinfo=UTC), "America/New_York", date(2026, 12, 5)),
    # Kiritimati runs 14 hours ahead: on the 6th at 18:00 UTC it is already 08:00 on the 7th.
    (datetime(2026, 12, 6, 18, 0, tzinfo=UTC), "Pacific/Kiritimati", date(2026, 12, 6)),
    # A zone this machine does not know reads as UTC rather than never sending.
    (datetime(2026, 12, 6, 8, 0, tzinfo=UTC), "Mars/Olympus_Mons", date(2026, 12, 5)),
])
def test_the_digest_covers_the_members_yesterday_once_their_clock_passes_the_hour(now, zone, covers):
    assert digest_due(now, zone, EIGHT) == covers


def test_daylight_saving_moves_the_hour_with_the_member():
    # Berlin is UTC+2 in summer, UTC+1 in winter: 08:00 local is 06:00 and 07:00 UTC.
    assert digest_due(datetime(2026, 7, 1, 6, 0, tzinfo=UTC), "Europe/Berlin", EIGHT) == date(2026, 6, 30)
    assert digest_due(datetime(2026, 12, 1, 6, 0, tzinfo=UTC), "Europe/Berlin", EIGHT) is None


def test_no_member_anywhere_is_due_a_later_day_than_the_newest_digest_day():
    now = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
    newest = newest_digest_day(now)
    assert newest == date(2026, 12, 6)
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Riyadh", "UTC", "America/Los_Angeles"):
        covers = digest_due(now, zone, 0)
        assert covers is not None and covers <= newest


def test_mail_ids_are_stable_per_notice_and_member_and_per_digest_day():
    notice, member, workspace = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert notice_mail_id(notice, member) == notice_mail_id(notice, member)
    assert notice_mail_id(notice, member) != notice_mail_id(notice, uuid.uuid4())
    assert digest_mail_id(workspace, member, date(2026, 12, 5)) == digest_mail_id(workspace, member, date(2026, 12, 5))
    assert digest_mail_id(workspace, member, date(2026, 12, 5)) != digest_mail_id(workspace, member, date(2026, 12, 6))


def test_retries_follow_the_schedule_with_jitter_then_stop():
    delays = [30.0, 120.0, 600.0]
    assert retry_in(1, delays, lambda: 0.5) == pytest.approx(30.0)
    assert retry_in(2, delays, lambda: 0.0) == pytest.approx(96.0)    # -20 %
    assert retry_in(3, delays, lambda: 0.999999) == pytest.approx(720.0, rel=1e-5)  # +20 %
    assert retry_in(4, delays, lambda: 0.5) is None
