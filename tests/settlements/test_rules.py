import pytest

from settlements import rules


@pytest.mark.parametrize(
    ("households", "klass"),
    [(0, 4), (19, 4), (20, 3), (49, 3), (50, 2), (99, 2), (100, 1), (5000, 1)],
)
def test_settlement_class_boundaries(households, klass):
    assert rules.settlement_class(households) == klass


def test_negative_households_raise():
    with pytest.raises(ValueError):
        rules.settlement_class(-1)


@pytest.mark.parametrize(
    ("members", "form"),
    [
        (0, rules.FORM_STATION),
        (1, rules.FORM_JOINT_OR_GROUP),
        (2, rules.FORM_JOINT_OR_GROUP),
        (3, rules.FORM_BRANCH),
        (40, rules.FORM_BRANCH),
    ],
)
def test_party_organisation_form(members, form):
    assert rules.party_organisation_form(members) == form


@pytest.mark.parametrize(
    ("households", "form"),
    [
        (0, rules.SELF_EXECUTOR),
        (49, rules.SELF_EXECUTOR),
        (50, rules.SELF_COMMITTEE),
        (100, rules.SELF_COMMITTEE),
    ],
)
def test_self_management_form(households, form):
    assert rules.self_management_form(households) == form


def test_negative_counts_raise():
    with pytest.raises(ValueError):
        rules.party_organisation_form(-1)
    with pytest.raises(ValueError):
        rules.self_management_form(-1)


def test_gaps_sixty_households_with_only_an_executor():
    gaps = rules.organisation_gaps(
        households=60,
        party_members=3,
        party_org=rules.PARTY_BRANCH,
        self_management=rules.SELF_EXECUTOR,
    )
    assert gaps == ["self_form"]


def test_gaps_three_members_without_branch_and_nothing_for_self():
    gaps = rules.organisation_gaps(
        households=10, party_members=3, party_org=rules.PARTY_GROUP, self_management=rules.SELF_NONE
    )
    assert gaps == ["party_form", "self_missing"]


def test_no_gaps_when_forms_match():
    assert (
        rules.organisation_gaps(
            households=49,
            party_members=2,
            party_org=rules.PARTY_JOINT,
            self_management=rules.SELF_EXECUTOR,
        )
        == []
    )
    assert (
        rules.organisation_gaps(
            households=50,
            party_members=0,
            party_org=rules.PARTY_STATION,
            self_management=rules.SELF_COMMITTEE,
        )
        == []
    )
    assert rules.organisation_gaps(
        households=50,
        party_members=0,
        party_org=rules.PARTY_NONE,
        self_management=rules.SELF_COMMITTEE,
    ) == ["party_missing"]
