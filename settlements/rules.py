"""Pure rules about settlements (SPEC §1–2). No Django, no database: plain values in and out."""

from __future__ import annotations

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
