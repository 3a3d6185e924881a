"""Occasions: Ramadan, the Eids, White Friday and national days, read as the merchant's calendar days."""

from datetime import date, timedelta

import pytest

from adly_campaigns.domain.brief import BriefContext, parse_brief
from adly_campaigns.domain.brief.occasions import UMM_AL_QURA, window

TODAY = date(2026, 12, 6)   # Ramadan 1448 begins on 8 February 2027 (Umm al-Qura), Eid al-Fitr on 9 March


def schedule(text: str, *, today: date = TODAY, time_zone: str = "Asia/Riyadh") -> tuple[str | None, str | None]:
    value = parse_brief(text, BriefContext(today=today, time_zone=time_zone)).value("schedule")
    return value["starts_on"], value["ends_on"]


@pytest.mark.parametrize("brief", ["Ramadan campaign on snap", "حملة رمضان على سناب", "during the holy month: Ramadan",
                                   "اعلانات الشهر الفضيل"])
def test_a_ramadan_campaign_runs_from_the_first_of_ramadan_to_the_eve_of_eid(brief):
    assert schedule(brief) == ("2027-02-08", "2027-03-08")


def test_ramadan_read_during_ramadan_is_what_is_left_of_it():
    assert schedule("Ramadan offers", today=date(2027, 2, 20)) == ("2027-02-20", "2027-03-08")


def test_the_last_ten_nights_are_the_last_ten_days_of_ramadan():
    assert schedule("العشر الأواخر") == ("2027-02-27", "2027-03-08")
    assert schedule("the last 10 days of Ramadan") == ("2027-02-27", "2027-03-08")


def test_eid_alone_is_the_nearer_eid_and_runs_its_three_days():
    assert schedule("Eid sale") == ("2027-03-09", "2027-03-11")
    assert schedule("عروض العيد") == ("2027-03-09", "2027-03-11")
    assert schedule("Eid sale", today=date(2027, 4, 1)) == ("2027-05-16", "2027-05-19")   # after al-Fitr: al-Adha


def test_two_weeks_before_eid_ends_on_its_eve_in_either_word_order():
    assert schedule("2 weeks before Eid") == ("2027-02-23", "2027-03-08")
    assert schedule("قبل العيد باسبوعين") == ("2027-02-23", "2027-03-08")


def test_until_eid_ends_on_its_eve_and_after_ramadan_starts_the_day_after():
    assert schedule("from next Sunday until Eid") == ("2026-12-13", "2027-03-08")
    assert schedule("after Ramadan for a week") == ("2027-03-09", "2027-03-15")
    assert schedule("until the end of Ramadan") == (None, "2027-03-08")


@pytest.mark.parametrize("brief", ["White Friday", "black friday deals", "الجمعة البيضاء", "بلاك فرايدي"])
def test_white_friday_is_the_friday_after_the_fourth_thursday_of_november(brief):
    assert schedule(brief) == ("2027-11-26", "2027-11-26")
    assert schedule(brief, today=date(2026, 11, 1)) == ("2026-11-27", "2026-11-27")


def test_national_day_is_the_workspaces_countrys_unless_a_country_is_named():
    assert schedule("اليوم الوطني") == ("2027-09-23", "2027-09-23")
    assert schedule("national day", time_zone="Asia/Dubai") == ("2027-12-02", "2027-12-02")   # 2 Dec is past
    assert schedule("national day", time_zone="Asia/Dubai", today=date(2026, 11, 20)) == ("2026-12-02", "2026-12-02")
    assert schedule("national day", time_zone="Asia/Kuwait") == ("2027-02-25", "2027-02-25")
    assert schedule("UAE national day campaign") == ("2027-12-02", "2027-12-02")
    assert schedule("عيد الاتحاد") == ("2027-12-02", "2027-12-02")


def test_a_date_read_from_an_occasion_is_said_with_less_confidence_than_one_written_out():
    context = BriefContext(today=TODAY, time_zone="Asia/Riyadh")
    assert parse_brief("Ramadan campaign", context).fields["schedule"].confidence == 0.75
    assert parse_brief("from 1 Feb to 28 Feb", context).fields["schedule"].confidence == 0.9


def test_the_calendar_knows_every_ramadan_until_2039_and_each_lasts_29_or_30_days():
    for ramadan, eid, _ in UMM_AL_QURA.values():
        assert 29 <= (eid - ramadan).days <= 30
        assert window("ramadan", ramadan - timedelta(days=1), "Asia/Riyadh") == (ramadan, eid - timedelta(days=1))
    assert window("ramadan", date(2039, 12, 1), "Asia/Riyadh") is None   # past the table: no dates, not wrong ones
