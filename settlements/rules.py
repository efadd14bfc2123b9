"""Pure rules about settlements (SPEC §1–2). No Django, no database: plain values in and out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

# (minimum households, class) from the top down; anything below the last is class IV.
# "100户以上" includes 100 in official usage, so 100 households is class I.
CLASS_THRESHOLDS: tuple[tuple[int, int], ...] = ((100, 1), (50, 2), (20, 3))
LOWEST_CLASS = 4
CLASS_NAMES = {1: "一类", 2: "二类", 3: "三类", 4: "四类"}

# Party organisation forms (SPEC §2). The models' choices use the same codes.
PARTY_BRANCH = "branch"  # 党支部
PARTY_JOINT = "joint"  # 联合党组织
PARTY_GROUP = "group"  # 党小组
PARTY_STATION = "station"  # 党员先锋服务站（选派党员）
PARTY_NONE = "none"  # 尚未建立

# What party_organisation_form() returns: the form the rule calls for.
FORM_BRANCH = "branch"
FORM_JOINT_OR_GROUP = "joint_or_group"
FORM_STATION = "station"

# Self-management forms.
SELF_COMMITTEE = "committee"  # 自主管理委员会
SELF_EXECUTOR = "executor"  # 自主管理执行人
SELF_NONE = "none"

COMMITTEE_MIN_HOUSEHOLDS = 50
BRANCH_MIN_PARTY_MEMBERS = 3


def settlement_class(households: int) -> int:
    """Class 1–4 from the number of households (SPEC §1)."""
    if households < 0:
        raise ValueError("households cannot be negative")
    for minimum, klass in CLASS_THRESHOLDS:
        if households >= minimum:
            return klass
    return LOWEST_CLASS


def party_organisation_form(party_members: int) -> str:
    """The Party organisation the rule calls for, given the Party members living there."""
    if party_members < 0:
        raise ValueError("party_members cannot be negative")
    if party_members >= BRANCH_MIN_PARTY_MEMBERS:
        return FORM_BRANCH
    if party_members >= 1:
        return FORM_JOINT_OR_GROUP
    return FORM_STATION


def self_management_form(households: int) -> str:
    """The self-management body the rule calls for: a committee from 50 households."""
    if households < 0:
        raise ValueError("households cannot be negative")
    return SELF_COMMITTEE if households >= COMMITTEE_MIN_HOUSEHOLDS else SELF_EXECUTOR


# The forms that satisfy each rule outcome. A branch where 1–2 members live is not a gap
# of coverage, but a branch needs three members, so it is reported as not matching.
_PARTY_FORMS_SATISFYING = {
    FORM_BRANCH: {PARTY_BRANCH},
    FORM_JOINT_OR_GROUP: {PARTY_JOINT, PARTY_GROUP},
    FORM_STATION: {PARTY_STATION},
}


def organisation_gaps(
    *, households: int, party_members: int, party_org: str, self_management: str
) -> list[str]:
    """Gaps between what a settlement has and what SPEC §2 calls for, as stable codes.

    Codes: ``party_missing``, ``party_form``, ``self_missing``, ``self_form``.
    """
    gaps: list[str] = []
    wanted_party = party_organisation_form(party_members)
    if party_org == PARTY_NONE:
        gaps.append("party_missing")
    elif party_org not in _PARTY_FORMS_SATISFYING[wanted_party]:
        gaps.append("party_form")
    wanted_self = self_management_form(households)
    if self_management == SELF_NONE:
        gaps.append("self_missing")
    elif self_management != wanted_self:
        gaps.append("self_form")
    return gaps


# -------------------------------------------------------------- county settings
# Defaults of the county's own settings (settlements.models.CountySettings); the
# secretary changes them in the admin. SPEC §5: self-assessment 10 days, county review
# 30 days, public notice 5 working days; gaps of 5 per item or 10 in total need a reason.
DEFAULT_SELF_ASSESSMENT_DAYS = 10
DEFAULT_COUNTY_REVIEW_DAYS = 30
DEFAULT_NOTICE_WORKING_DAYS = 5
DEFAULT_REMINDER_DAYS = 3
# An upheld objection reopens the county review for this many days from the hearing.
DEFAULT_OBJECTION_REVIEW_DAYS = 15
DEFAULT_ITEM_GAP_NEEDS_REASON = Decimal("5")
DEFAULT_TOTAL_GAP_NEEDS_REASON = Decimal("10")


# ------------------------------------------------------------- the official calendar
# China's working days: weekends and public holidays are rest days, and some weekends
# are 调休 make-up working days. The State Council publishes each year's arrangement
# late in the year before, so a year may be unknown: it is never guessed.

CALENDAR_REST = "rest"  # 休息日 (a holiday, also on a weekday)
CALENDAR_WORK = "work"  # 调休上班日 (a working day, also on a weekend)
# From this day of the year before (1 November) an unknown year is warned about.
CALENDAR_WARN_FROM = (11, 1)


class CalendarYearUnknown(LookupError):
    """The calendar has no arrangement for ``year``: neither built in nor in the county's table."""

    def __init__(self, year: int) -> None:
        super().__init__(year)
        self.year = year


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days, from the county's table over a built-in source.

    ``days`` holds the county's entries (date → ``CALENDAR_REST``/``CALENDAR_WORK``); they
    win over the built-in source. A year the built-in source does not know counts as
    filled in once it has any entry: its other days follow Monday–Friday. ``builtin`` answers for the years it knows and
    raises ``NotImplementedError`` for the others (the ``chinese_calendar`` contract).
    """

    days: Mapping[dt.date, str]
    builtin: Callable[[dt.date], bool] | None = None

    @property
    def table_years(self) -> frozenset[int]:
        return frozenset(day.year for day in self.days)

    def is_working_day(self, day: dt.date) -> bool:
        kind = self.days.get(day)
        if kind is not None:
            return kind == CALENDAR_WORK
        if self.builtin is not None:
            try:
                return bool(self.builtin(day))
            except NotImplementedError:
                pass
        if day.year in self.table_years:
            return day.weekday() < 5
        raise CalendarYearUnknown(day.year)

    def knows_year(self, year: int) -> bool:
        try:
            self.is_working_day(dt.date(year, 1, 1))
        except CalendarYearUnknown:
            return False
        return True


def calendar_year_to_warn(today: dt.date, knows_year: Callable[[int], bool]) -> int | None:
    """The year the county must fill in now, else None.

    This year if unknown; next year from 1 November on if unknown.
    """
    if not knows_year(today.year):
        return today.year
    if (today.month, today.day) >= CALENDAR_WARN_FROM and not knows_year(today.year + 1):
        return today.year + 1
    return None
