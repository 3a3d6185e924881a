"""The schedule: relative dates read against the workspace's today and time zone."""

from datetime import date

import pytest

from adly_campaigns.domain.brief import BriefContext, parse_brief

TODAY = date(2026, 5, 13)   # a Wednesday


def schedule(text: str, *, time_zone: str = "Asia/Riyadh", today: date = TODAY) -> tuple[str | None, str | None]:
    value = parse_brief(text, BriefContext(today=today, time_zone=time_zone)).value("schedule")
    return value["starts_on"], value["ends_on"]


def test_from_next_sunday_for_two_weeks_runs_fourteen_days_counting_the_first():
    assert schedule("starting next Sunday for two weeks") == ("2026-05-17", "2026-05-30")
    assert schedule("من الأحد القادم لمدة أسبوعين") == ("2026-05-17", "2026-05-30")


def test_next_sunday_is_the_first_sunday_after_today_even_when_today_is_sunday():
    assert schedule("from next Sunday", today=date(2026, 5, 17)) == ("2026-05-24", None)
    assert schedule("from Sunday", today=date(2026, 5, 16)) == ("2026-05-17", None)


@pytest.mark.parametrize("word", ["tomorrow", "بكرة", "بكره", "باچر", "باجر", "غدا"])
def test_tomorrow_in_every_dialect_is_the_day_after_today(word):
    assert schedule(f"start {word}") == ("2026-05-14", None)


def test_weekday_names_in_arabic_dialects():
    assert schedule("يبدأ من السبت الجاي") == ("2026-05-16", None)
    assert schedule("من الحد الجاي") == ("2026-05-17", None)           # Egyptian Sunday
    assert schedule("من يوم الاتنين") == ("2026-05-18", None)
    assert schedule("تبدأ الخميس") == ("2026-05-14", None)


def test_a_weekday_misspelled_by_one_letter_is_still_read():
    assert schedule("starting next thrusday") == ("2026-05-14", None)


def test_dates_with_month_names_in_english_and_arabic():
    assert schedule("from 20 May to 5 June") == ("2026-05-20", "2026-06-05")
    assert schedule("من ٢٠ مايو إلى ٥ يونيو") == ("2026-05-20", "2026-06-05")
    assert schedule("from June 1 to June 20") == ("2026-06-01", "2026-06-20")
    assert schedule("من ١ حزيران لـ ٣٠ حزيران") == ("2026-06-01", "2026-06-30")


def test_a_date_already_past_this_year_is_next_years():
    assert schedule("starting 1 Jan") == ("2027-01-01", None)
    assert schedule("من ١ كانون الثاني لآخر الشهر") == ("2027-01-01", "2027-01-31")


def test_day_and_month_in_digits_read_day_first():
    assert schedule("start 1/6 end 15/6") == ("2026-06-01", "2026-06-15")


def test_a_range_with_the_month_once_gives_both_days_that_month():
    assert schedule("من ١ الى ١٠ يونيو") == ("2026-06-01", "2026-06-10")


def test_a_duration_without_a_start_starts_today():
    assert schedule("for 10 days") == ("2026-05-13", "2026-05-22")
    assert schedule("لمدة ٥ أيام") == ("2026-05-13", "2026-05-17")


def test_a_month_long_campaign_ends_the_day_before_the_same_date_a_month_on():
    assert schedule("for 1 month starting 1 July") == ("2026-07-01", "2026-07-31")
    assert schedule("لمدة شهر") == ("2026-05-13", "2026-06-12")


def test_the_start_of_next_month_and_the_end_of_the_month():
    assert schedule("بداية الشهر الجاي") == ("2026-06-01", None)
    assert schedule("من بكرة لين نهاية الشهر") == ("2026-05-14", "2026-05-31")
    assert schedule("till the end of the month") == (None, "2026-05-31")
    assert schedule("all of next month") == ("2026-06-01", "2026-06-30")


def test_a_month_named_alone_is_all_of_that_month():
    assert schedule("for the month of June") == ("2026-06-01", "2026-06-30")


def test_this_weekend_is_the_workspaces_rest_days():
    assert schedule("ابي اعلان هالويكند بس") == ("2026-05-15", "2026-05-16")                   # Friday-Saturday
    assert schedule("this weekend", time_zone="Asia/Dubai") == ("2026-05-16", "2026-05-17")   # Saturday-Sunday


def test_next_week_starts_on_the_first_working_day_of_the_workspaces_week():
    assert schedule("الأسبوع الياي") == ("2026-05-17", "2026-05-23")
    assert schedule("الأسبوع الياي", time_zone="Asia/Dubai") == ("2026-05-18", "2026-05-24")


def test_a_period_said_as_a_start_gives_only_the_start():
    assert schedule("من الأسبوع الياي") == ("2026-05-17", None)
    assert schedule("go live this weekend") == ("2026-05-15", None)


def test_one_day_only():
    assert schedule("this Friday only") == ("2026-05-15", "2026-05-15")


def test_as_soon_as_possible_is_no_start_date():
    assert schedule("start asap") == (None, None)


def test_a_duration_before_a_day_the_parser_cannot_date_sets_no_schedule():
    assert schedule("2 weeks before the launch") == (None, None)


def test_a_brief_without_dates_runs_from_going_live_until_ended_with_no_source():
    parsed = parse_brief("snap ads in riyadh", BriefContext(today=TODAY, time_zone="Asia/Riyadh"))
    assert parsed.value("schedule") == {"starts_on": None, "ends_on": None}
    assert parsed.fields["schedule"].source is None


def test_an_end_without_a_year_is_its_next_occurrence_after_the_start():
    assert schedule("from 20 December until 5 January") == ("2026-12-20", "2027-01-05")


def test_an_end_before_the_start_is_dropped_and_asked_about():
    parsed = parse_brief("from 20 June 2026 until 5 June 2026", BriefContext(today=TODAY, time_zone="Asia/Riyadh"))
    assert parsed.value("schedule") == {"starts_on": "2026-06-20", "ends_on": None}
    assert "schedule" in [q.field for q in parsed.questions]
