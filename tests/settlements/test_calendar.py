"""China's working-day calendar: the built-in package, the county's table over it, unknown years."""

import datetime as dt

import chinese_calendar
import pytest

from ratings import rules
from settlements import calendar as county_calendar
from settlements.models import CalendarDay
from settlements.rules import CalendarYearUnknown, WorkingCalendar, calendar_year_to_warn

OFFICIAL = WorkingCalendar(days={}, builtin=chinese_calendar.is_workday)


def five_after(day: dt.date, calendar: WorkingCalendar = OFFICIAL) -> dt.date:
    return rules.add_working_days(day, 5, is_working_day=calendar.is_working_day)


# ------------------------------------------------------------------ pure, no database


@pytest.mark.parametrize(
    ("finalised", "ends"),
    [
        (
            dt.date(2026, 9, 30),
            dt.date(2026, 10, 13),
        ),  # National Day; Saturday 10 October is worked
        (dt.date(2026, 2, 13), dt.date(2026, 2, 27)),  # Spring Festival
        (dt.date(2026, 4, 30), dt.date(2026, 5, 11)),  # Labour Day
        (
            dt.date(2026, 9, 14),
            dt.date(2026, 9, 20),
        ),  # Sunday 20 September is a make-up working day
        (dt.date(2026, 6, 8), dt.date(2026, 6, 15)),  # no holiday in the way: Monday to Monday
    ],
)
def test_notice_counts_official_working_days(finalised, ends):
    assert five_after(finalised) == ends


def test_table_entry_wins_over_the_package():
    # The county marks Monday 12 October 2026 as a rest day: the count moves one day on.
    calendar = WorkingCalendar(
        days={dt.date(2026, 10, 12): "rest"}, builtin=chinese_calendar.is_workday
    )
    assert five_after(dt.date(2026, 9, 30), calendar) == dt.date(2026, 10, 14)


def test_a_year_neither_source_knows_is_refused_not_guessed():
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(
            dt.date(2027, 1, 4)
        )  # the package's contract this code relies on
    assert OFFICIAL.knows_year(2026) and not OFFICIAL.knows_year(2027)
    with pytest.raises(CalendarYearUnknown) as refused:
        OFFICIAL.is_working_day(dt.date(2027, 1, 4))
    assert refused.value.year == 2027
    # Finalised Thursday 24 December 2026: the fifth working day is 31 December, inside 2026.
    assert five_after(dt.date(2026, 12, 24)) == dt.date(2026, 12, 31)
    with pytest.raises(CalendarYearUnknown):
        five_after(dt.date(2026, 12, 25))  # would run into 2027


def test_a_year_in_the_table_is_known_and_its_other_days_are_weekdays():
    calendar = WorkingCalendar(
        days={dt.date(2027, 1, 1): "rest", dt.date(2027, 2, 6): "work"},
        builtin=chinese_calendar.is_workday,
    )
    assert calendar.knows_year(2027)
    assert calendar.is_working_day(dt.date(2027, 2, 6))  # a Saturday made a working day
    assert not calendar.is_working_day(dt.date(2027, 1, 1))
    assert calendar.is_working_day(dt.date(2027, 1, 4)) and not calendar.is_working_day(
        dt.date(2027, 1, 9)
    )
    assert five_after(dt.date(2026, 12, 25), calendar) == dt.date(
        2027, 1, 4
    )  # 28, 29, 30, 31, (1 off), 4


def test_warning_year_from_the_first_of_november():
    known = {2026}.__contains__
    assert calendar_year_to_warn(dt.date(2026, 10, 31), known) is None
    assert calendar_year_to_warn(dt.date(2026, 11, 1), known) == 2027
    assert calendar_year_to_warn(dt.date(2026, 11, 1), {2026, 2027}.__contains__) is None
    # A year already under way that is unknown is warned about at once.
    assert calendar_year_to_warn(dt.date(2027, 3, 1), known) == 2027


# --------------------------------------------------------------- the product's calendar


@pytest.mark.django_db
def test_product_calendar_reads_the_county_table_over_the_package():
    assert county_calendar.working_calendar().is_working_day(dt.date(2026, 10, 12))
    CalendarDay.objects.create(date=dt.date(2026, 10, 12), kind="rest", note="县里另行安排")
    assert not county_calendar.working_calendar().is_working_day(dt.date(2026, 10, 12))


@pytest.mark.django_db
def test_product_warning_until_the_county_enters_next_year():
    CalendarDay.objects.filter(date__year=2027).delete()  # the test county has not entered 2027
    assert county_calendar.calendar_year_to_warn(dt.date(2026, 10, 31)) is None
    assert county_calendar.calendar_year_to_warn(dt.date(2026, 11, 1)) == 2027
    CalendarDay.objects.create(date=dt.date(2027, 1, 1), kind="rest", note="元旦")
    assert county_calendar.calendar_year_to_warn(dt.date(2026, 11, 1)) is None
    assert county_calendar.year_known(2027) and not county_calendar.year_known(2028)
