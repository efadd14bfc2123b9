"""Who sees and moves money (rewards/permissions.py), the outsider in each."""

import pytest
import rules

from rewards import permissions as p
from rewards import selectors

pytestmark = pytest.mark.django_db


def test_money_is_for_secretaries_and_officials(cast, ask):
    assert ask(p.may_see_money) == {
        "official_a": True,
        "official_b": True,
        "assessor": False,
        "secretary": True,
        "anonymous": False,
    }
    assert selectors.sees_money is p.may_see_money


def test_a_townships_money_is_for_its_own_officials_and_secretaries(
    cast, township_a, settlement_a, ask
):
    expected = {
        "official_a": True,
        "official_b": False,
        "assessor": False,
        "secretary": True,
        "anonymous": False,
    }
    assert ask(p.may_see_township_money, township_a.pk) == expected
    assert ask(p.may_see_township_money, settlement_a) == expected


def test_only_secretaries_manage_money(cast, ask):
    assert ask(p.may_manage_money) == {
        "official_a": False,
        "official_b": False,
        "assessor": False,
        "secretary": True,
        "anonymous": False,
    }
    for name, user in cast.items():
        assert rules.has_perm("rewards.manage_money", user) == p.may_manage_money(user), name
