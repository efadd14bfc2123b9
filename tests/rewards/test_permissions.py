"""Who sees and moves money (rewards/permissions.py), the outsider in each."""

import pytest
import rules
from django.contrib.auth.models import AnonymousUser

from rewards import permissions as p
from rewards import selectors

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(official_a, official_b, assessor, secretary):
    return {"official_a": official_a, "official_b": official_b, "assessor": assessor,
            "secretary": secretary, "anonymous": AnonymousUser()}


def answers(predicate, cast, *obj):
    return {name: bool(predicate(user, *obj)) for name, user in cast.items()}


def test_money_is_for_secretaries_and_officials(cast):
    assert answers(p.may_see_money, cast) == {
        "official_a": True, "official_b": True, "assessor": False, "secretary": True, "anonymous": False}
    assert selectors.sees_money is p.may_see_money


def test_a_townships_money_is_for_its_own_officials_and_secretaries(cast, township_a, settlement_a):
    expected = {"official_a": True, "official_b": False, "assessor": False, "secretary": True, "anonymous": False}
    assert answers(p.may_see_township_money, cast, township_a.pk) == expected
    assert answers(p.may_see_township_money, cast, settlement_a) == expected


def test_only_secretaries_manage_money(cast):
    assert answers(p.may_manage_money, cast) == {
        "official_a": False, "official_b": False, "assessor": False, "secretary": True, "anonymous": False}
    for name, user in cast.items():
        assert rules.has_perm("rewards.manage_money", user) == p.may_manage_money(user), name
