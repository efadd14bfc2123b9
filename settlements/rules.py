"""Pure rules about settlements (SPEC §1–2). No Django, no database: plain values in and out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

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


# ---------------------------------------------------------------------------
# Governance (SPEC §2, §8): the 5员1长 team, the people behind each organisation,
# residents' points, red/black lists and the masking of ID numbers.
# ---------------------------------------------------------------------------

# The six roles of the "5员1长" team, in the order the county lists them.
TEAM_PARTY_MEMBER = "party_member"  # 党员
TEAM_LIFE_SERVICE = "life_service"  # "友邻家务"生活服务员
TEAM_SAFETY = "safety"  # 公共安全协管员
TEAM_WELFARE_POST = "welfare_post"  # 公益性岗位人员
TEAM_GRID = "grid"  # 网格化治理员
TEAM_BUILDING_HEAD = "building_head"  # 楼栋长
TEAM_ROLES: tuple[str, ...] = (
    TEAM_PARTY_MEMBER,
    TEAM_LIFE_SERVICE,
    TEAM_SAFETY,
    TEAM_WELFARE_POST,
    TEAM_GRID,
    TEAM_BUILDING_HEAD,
)

# Gap codes beyond organisation_gaps(); GAP_ORDER is the order pages list them in.
GAP_PARTY_NO_LEADER = "party_no_leader"  # branch/joint/group without a named secretary or leader
GAP_PARTY_NO_DISPATCHED = "party_no_dispatched"  # station without the Party member sent in
GAP_SELF_NO_COMMITTEE_MEMBERS = "self_no_committee_members"
GAP_SELF_NO_EXECUTOR = "self_no_executor"
GAP_TEAM_MISSING = "team_missing"
GAP_ORDER: tuple[str, ...] = (
    "party_missing",
    "party_form",
    GAP_PARTY_NO_LEADER,
    GAP_PARTY_NO_DISPATCHED,
    "self_missing",
    "self_form",
    GAP_SELF_NO_COMMITTEE_MEMBERS,
    GAP_SELF_NO_EXECUTOR,
    GAP_TEAM_MISSING,
)


def team_role_gaps(present_roles: Iterable[str]) -> list[str]:
    """The 5员1长 roles nobody holds, in the canonical order. Unknown roles are ignored."""
    present = set(present_roles)
    return [role for role in TEAM_ROLES if role not in present]


def governance_gaps(
    *,
    households: int,
    party_members: int,
    party_org: str,
    self_management: str,
    party_leader_named: bool,
    dispatched_member_named: bool,
    committee_members: int,
    executor_named: bool,
    team_roles: Iterable[str],
) -> list[str]:
    """Every gap SPEC §2 lets the system see, as stable codes in GAP_ORDER.

    The form checks come from organisation_gaps(); on top of them a declared form must
    have its people: a station its dispatched Party member, a branch/joint organisation/
    group its secretary or leader, a committee at least one member, an executor a name.
    A form that is itself wrong still gets its people checked: both need fixing.
    """
    gaps = organisation_gaps(
        households=households,
        party_members=party_members,
        party_org=party_org,
        self_management=self_management,
    )
    if party_org == PARTY_STATION and not dispatched_member_named:
        gaps.append(GAP_PARTY_NO_DISPATCHED)
    if party_org in (PARTY_BRANCH, PARTY_JOINT, PARTY_GROUP) and not party_leader_named:
        gaps.append(GAP_PARTY_NO_LEADER)
    if self_management == SELF_COMMITTEE and committee_members <= 0:
        gaps.append(GAP_SELF_NO_COMMITTEE_MEMBERS)
    if self_management == SELF_EXECUTOR and not executor_named:
        gaps.append(GAP_SELF_NO_EXECUTOR)
    if team_role_gaps(team_roles):
        gaps.append(GAP_TEAM_MISSING)
    return sorted(gaps, key=GAP_ORDER.index)


DEFAULT_BASE_SCORE = Decimal("100")


def household_balance(base: Decimal, points: Iterable[Decimal]) -> Decimal:
    """A household's balance: its base plus every entry, reversals included."""
    return base + sum(points, Decimal("0"))


@dataclass(frozen=True)
class RankedRow:
    rank: int
    key: Any
    points: Decimal


@dataclass(frozen=True)
class HonourRanking:
    red: list[RankedRow]
    black: list[RankedRow]


def _competition_ranks(ordered: Sequence[tuple[Any, Decimal]]) -> list[RankedRow]:
    rows: list[RankedRow] = []
    for position, (key, points) in enumerate(ordered, start=1):
        rank = rows[-1].rank if rows and rows[-1].points == points else position
        rows.append(RankedRow(rank=rank, key=key, points=points))
    return rows


def honour_ranking(earned: Iterable[tuple[Any, Decimal]], size: int) -> HonourRanking:
    """Red list (红榜) and black list (黑榜) from the points each household earned in a period.

    ``earned`` pairs a sortable key (the household id) with its net points in the period.
    The red list is the top ``size`` among households that gained points, the black list
    the bottom ``size`` among those that lost points: a household with no net change is
    on neither, and no household can be on both. Ties share a rank (1, 2, 2, 4); which of
    several tied households makes the cut is decided by the key, so it is repeatable.
    """
    if size < 1:
        raise ValueError("size must be at least 1")
    pairs = list(earned)
    gained = sorted((p for p in pairs if p[1] > 0), key=lambda p: (-p[1], p[0]))
    lost = sorted((p for p in pairs if p[1] < 0), key=lambda p: (p[1], p[0]))
    return HonourRanking(red=_competition_ranks(gained[:size]), black=_competition_ranks(lost[:size]))


def mask_id_number(value: str) -> str:
    """Mask an ID number for lists and exports: the first 4 and last 4 characters stay.

    ``511322199001011234`` → ``5113**********1234``. Anything of 8 characters or fewer
    is masked entirely, since showing 4+4 of it would show (nearly) all of it.
    """
    value = (value or "").strip()
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
ID_PROBLEM_LENGTH = "length"
ID_PROBLEM_CHARACTERS = "characters"
ID_PROBLEM_CHECKSUM = "checksum"


def normalise_id_number(value: str) -> str:
    return (value or "").strip().replace(" ", "").upper()


def id_number_problem(value: str) -> str | None:
    """What is wrong with an 18-character resident ID number (GB 11643), or None.

    Call on a normalised value (normalise_id_number): a lowercase x is then accepted.
    """
    if len(value) != 18:
        return ID_PROBLEM_LENGTH
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X") or not value.isascii():
        return ID_PROBLEM_CHARACTERS
    total = sum(int(ch) * w for ch, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17]:
        return ID_PROBLEM_CHECKSUM
    return None


POINTS_LIMIT = Decimal("1000")  # one entry moves a balance by at most this much
POINTS_PROBLEM_ZERO = "zero"
POINTS_PROBLEM_PRECISION = "precision"
POINTS_PROBLEM_TOO_LARGE = "too_large"


def point_value_problem(points: Decimal) -> str | None:
    """What is wrong with the points of one entry, or None: non-zero, one decimal, ±1000."""
    if points == 0:
        return POINTS_PROBLEM_ZERO
    if points != points.quantize(Decimal("0.1")):
        return POINTS_PROBLEM_PRECISION
    if abs(points) > POINTS_LIMIT:
        return POINTS_PROBLEM_TOO_LARGE
    return None


# -------------------------------------------------------------- county settings
# Defaults of the county's own settings (settlements.models.CountySettings); the
# secretary changes them in the admin. SPEC §5: self-assessment 10 days, county review
# 30 days, public notice 5 working days; gaps of 5 per item or 10 in total need a reason.
DEFAULT_SELF_ASSESSMENT_DAYS = 10
DEFAULT_COUNTY_REVIEW_DAYS = 30
DEFAULT_NOTICE_WORKING_DAYS = 5
DEFAULT_REMINDER_DAYS = 3
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
