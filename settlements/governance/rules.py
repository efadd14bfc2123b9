"""Pure rules of settlement governance (SPEC §2, §8): the 5员1长 team, the people behind
each organisation, residents' points, red/black lists and the masking of ID numbers.
No Django, no database: plain values in and out. The organisation forms themselves
(which Party organisation, which self-management body) are settlements.rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from settlements.rules import (
    PARTY_BRANCH,
    PARTY_GROUP,
    PARTY_JOINT,
    PARTY_STATION,
    SELF_COMMITTEE,
    SELF_EXECUTOR,
    organisation_gaps,
)

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
    return HonourRanking(
        red=_competition_ranks(gained[:size]), black=_competition_ranks(lost[:size])
    )


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
    if (
        not value[:17].isdigit()
        or not (value[17].isdigit() or value[17] == "X")
        or not value.isascii()
    ):
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


def pack_codes(codes: Iterable[str]) -> str:
    """Codes stored in one text column as ",a,b," ("" for none): a filter on ",a," finds one."""
    codes = list(codes)
    return f",{','.join(codes)}," if codes else ""


def unpack_codes(packed: str) -> list[str]:
    return [c for c in (packed or "").split(",") if c]
