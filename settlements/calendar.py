"""The product's working-day calendar: China's official one, as data.

Built from two sources (pure logic in ``settlements.rules.WorkingCalendar``):

- the ``chinesecalendar`` package (``import chinese_calendar``) for the years it knows;
- the county's table ``CalendarDay`` (admin: 节假日安排), filled in when the State
  Council publishes next year's arrangement. Its entries win over the package.

A year neither knows raises ``CalendarYearUnknown``: callers decide what an unknown
date means (a public notice stays pending, see ratings.services). Every caller gets
the calendar through ``working_calendar()``: one query, so build it once per request
or job and pass it on.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar

from . import rules
from .models import CalendarDay
from .rules import CalendarYearUnknown, WorkingCalendar

__all__ = [
    "CalendarYearUnknown",
    "WorkingCalendar",
    "calendar_year_to_warn",
    "working_calendar",
    "year_known",
]


def _builtin(day: dt.date) -> bool:
    # chinese_calendar raises NotImplementedError outside the years it has data for.
    return chinese_calendar.is_workday(day)


def working_calendar() -> WorkingCalendar:
    """China's working days: the county's table over the built-in package (one query)."""
    days = dict(CalendarDay.objects.values_list("date", "kind"))
    return WorkingCalendar(days=days, builtin=_builtin)


def _builtin_knows(year: int) -> bool:
    try:
        _builtin(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def year_known(year: int) -> bool:
    """Whether the calendar knows ``year``; asks the table only when the package does not."""
    return _builtin_knows(year) or CalendarDay.objects.filter(date__year=year).exists()


def calendar_year_to_warn(today: dt.date) -> int | None:
    """The year to fill in the admin now (this year, or next from 1 November), else None.

    Always exactly one query, whatever the date, so pages that show the warning have a
    query count that does not depend on the day they are opened.
    """
    first, after = dt.date(today.year, 1, 1), dt.date(today.year + 2, 1, 1)
    # The dates themselves (a few dozen a year), not DISTINCT DATE_TRUNC: that query took
    # the ORM longer to build than the database to answer, on every dashboard request.
    entered = CalendarDay.objects.filter(date__gte=first, date__lt=after).order_by()
    in_table = {day.year for day in entered.values_list("date", flat=True)}
    return rules.calendar_year_to_warn(today, lambda year: year in in_table or _builtin_knows(year))
