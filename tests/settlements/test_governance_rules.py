"""Pure governance rules (SPEC §2, §8): no database, each boundary tested on both sides."""

from decimal import Decimal
from typing import Any

import pytest

from settlements import rules
from settlements.governance import rules as governance_rules

ALL_ROLES = list(governance_rules.TEAM_ROLES)


def gaps(**overrides):
    """A settlement that satisfies every rule, with one or more facts changed."""
    facts: dict[str, Any] = {
        "households": 60,
        "party_members": 3,
        "party_org": rules.PARTY_BRANCH,
        "self_management": rules.SELF_COMMITTEE,
        "party_leader_named": True,
        "dispatched_member_named": False,
        "committee_members": 3,
        "executor_named": False,
        "team_roles": ALL_ROLES,
    }
    facts.update(overrides)
    return governance_rules.governance_gaps(**facts)


def test_complete_settlement_has_no_gaps():
    assert gaps() == []


# Party organisation: 3+ members need a branch of their own.
@pytest.mark.parametrize(
    ("members", "org", "expected"),
    [
        (3, rules.PARTY_GROUP, ["party_form"]),  # 3 members, only a group: gap
        (3, rules.PARTY_JOINT, ["party_form"]),
        (3, rules.PARTY_BRANCH, []),
        (2, rules.PARTY_GROUP, []),  # just under the boundary a group is right
        (2, rules.PARTY_JOINT, []),
        (2, rules.PARTY_BRANCH, ["party_form"]),  # a branch needs 3 members
        (1, rules.PARTY_JOINT, []),
        (1, rules.PARTY_STATION, ["party_form"]),  # 1 member: joint or group, not a station
        (0, rules.PARTY_GROUP, ["party_form"]),  # 0 members: a station with a dispatched member
        (0, rules.PARTY_NONE, ["party_missing"]),
    ],
)
def test_party_form_rule_both_sides(members, org, expected):
    assert gaps(party_members=members, party_org=org, dispatched_member_named=True) == expected


def test_station_without_dispatched_member_is_a_gap():
    assert gaps(
        party_members=0,
        party_org=rules.PARTY_STATION,
        party_leader_named=False,
        dispatched_member_named=False,
    ) == [governance_rules.GAP_PARTY_NO_DISPATCHED]
    assert (
        gaps(
            party_members=0,
            party_org=rules.PARTY_STATION,
            party_leader_named=False,
            dispatched_member_named=True,
        )
        == []
    )


@pytest.mark.parametrize("org", [rules.PARTY_BRANCH, rules.PARTY_JOINT, rules.PARTY_GROUP])
def test_branch_joint_or_group_without_leader_is_a_gap(org):
    members = 3 if org == rules.PARTY_BRANCH else 2
    assert gaps(party_members=members, party_org=org, party_leader_named=False) == [
        governance_rules.GAP_PARTY_NO_LEADER
    ]
    assert gaps(party_members=members, party_org=org, party_leader_named=True) == []


# Self-management: 50+ households need a committee; fewer an elected executor.
@pytest.mark.parametrize(
    ("households", "form", "expected"),
    [
        (50, rules.SELF_EXECUTOR, ["self_form"]),  # 50: only an executor is a gap
        (60, rules.SELF_EXECUTOR, ["self_form"]),
        (50, rules.SELF_COMMITTEE, []),
        (49, rules.SELF_EXECUTOR, []),  # 49: an executor is right
        (49, rules.SELF_COMMITTEE, ["self_form"]),
        (49, rules.SELF_NONE, ["self_missing"]),
        (50, rules.SELF_NONE, ["self_missing"]),
    ],
)
def test_self_management_rule_both_sides(households, form, expected):
    assert (
        gaps(households=households, self_management=form, executor_named=True, committee_members=2)
        == expected
    )


def test_executor_must_be_named_and_committee_must_have_members():
    assert gaps(households=49, self_management=rules.SELF_EXECUTOR, executor_named=False) == [
        governance_rules.GAP_SELF_NO_EXECUTOR
    ]
    assert gaps(households=49, self_management=rules.SELF_EXECUTOR, executor_named=True) == []
    assert gaps(households=50, committee_members=0) == [
        governance_rules.GAP_SELF_NO_COMMITTEE_MEMBERS
    ]
    assert gaps(households=50, committee_members=1) == []


@pytest.mark.parametrize("missing", ALL_ROLES)
def test_team_missing_any_one_role_is_a_gap(missing):
    present = [r for r in ALL_ROLES if r != missing]
    assert gaps(team_roles=present) == [governance_rules.GAP_TEAM_MISSING]
    assert governance_rules.team_role_gaps(present) == [missing]


def test_team_role_gaps_lists_missing_in_canonical_order_and_ignores_duplicates():
    assert governance_rules.team_role_gaps([]) == ALL_ROLES
    assert governance_rules.team_role_gaps(ALL_ROLES + ALL_ROLES) == []
    assert governance_rules.team_role_gaps([governance_rules.TEAM_GRID, "unknown"]) == [
        r for r in ALL_ROLES if r != governance_rules.TEAM_GRID
    ]


def test_several_gaps_come_in_stable_order():
    result = gaps(
        households=60,
        party_members=0,
        party_org=rules.PARTY_NONE,
        self_management=rules.SELF_EXECUTOR,
        executor_named=False,
        team_roles=[],
    )
    assert result == [
        "party_missing",
        "self_form",
        governance_rules.GAP_SELF_NO_EXECUTOR,
        governance_rules.GAP_TEAM_MISSING,
    ]


def test_balance_is_base_plus_every_entry():
    assert governance_rules.household_balance(Decimal("100"), []) == Decimal("100")
    assert governance_rules.household_balance(
        Decimal("100"), [Decimal("5"), Decimal("-2.5"), Decimal("2.5")]
    ) == Decimal("105.0")


def test_honour_ranking_top_and_bottom():
    earned = [
        (1, Decimal("10")),
        (2, Decimal("3")),
        (3, Decimal("-4")),
        (4, Decimal("0")),
        (5, Decimal("-1")),
        (6, Decimal("7")),
    ]
    ranking = governance_rules.honour_ranking(earned, 2)
    assert [(r.rank, r.key, r.points) for r in ranking.red] == [
        (1, 1, Decimal("10")),
        (2, 6, Decimal("7")),
    ]
    assert [(r.rank, r.key, r.points) for r in ranking.black] == [
        (1, 3, Decimal("-4")),
        (2, 5, Decimal("-1")),
    ]


def test_honour_ranking_ties_share_a_rank_and_cut_is_repeatable():
    earned = [(9, Decimal("5")), (2, Decimal("5")), (3, Decimal("8")), (4, Decimal("1"))]
    red = governance_rules.honour_ranking(earned, 3).red
    assert [(r.rank, r.key) for r in red] == [(1, 3), (2, 2), (2, 9)]
    assert [(r.rank, r.key) for r in governance_rules.honour_ranking(reversed(earned), 2).red] == [
        (1, 3),
        (2, 2),
    ]


def test_honour_ranking_never_puts_zero_or_a_household_on_both_lists():
    ranking = governance_rules.honour_ranking([(1, Decimal("1")), (2, Decimal("0"))], 5)
    assert [r.key for r in ranking.red] == [1]
    assert ranking.black == []
    with pytest.raises(ValueError):
        governance_rules.honour_ranking([], 0)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("511322199001011234", "5113**********1234"),
        ("51132219900101123X", "5113**********123X"),
        ("123456789", "1234*6789"),
        ("12345678", "********"),
        ("", ""),
    ],
)
def test_mask_id_number(value, masked):
    assert governance_rules.mask_id_number(value) == masked


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("11010519491231002X", None),  # the standard's worked example
        ("110105194912310021", governance_rules.ID_PROBLEM_CHECKSUM),
        ("11010519491231002", governance_rules.ID_PROBLEM_LENGTH),
        ("11010519491231002XX", governance_rules.ID_PROBLEM_LENGTH),
        ("1101051949123100A2", governance_rules.ID_PROBLEM_CHARACTERS),
        ("１１010519491231002X", governance_rules.ID_PROBLEM_CHARACTERS),
    ],
)
def test_id_number_problem(value, problem):
    assert governance_rules.id_number_problem(value) == problem


def test_normalise_id_number_accepts_lowercase_x_and_spaces():
    assert governance_rules.normalise_id_number(" 11010519491231002x ") == "11010519491231002X"


@pytest.mark.parametrize(
    ("points", "problem"),
    [
        ("0", governance_rules.POINTS_PROBLEM_ZERO),
        ("0.0", governance_rules.POINTS_PROBLEM_ZERO),
        ("0.1", None),
        ("-0.1", None),
        ("0.05", governance_rules.POINTS_PROBLEM_PRECISION),
        ("1000", None),
        ("-1000", None),
        ("1000.1", governance_rules.POINTS_PROBLEM_TOO_LARGE),
        ("-1000.1", governance_rules.POINTS_PROBLEM_TOO_LARGE),
    ],
)
def test_point_value_problem_boundaries(points, problem):
    assert governance_rules.point_value_problem(Decimal(points)) == problem
