"""The settlement predicates (settlements/permissions.py) and their named permissions, for
every role with the outsider (an official of another township) in each."""

import pytest
import rules

from settlements import permissions as p
from settlements.models import User
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_roles(cast, ask):
    assert ask(p.is_official) == {
        "official_a": True,
        "official_b": True,
        "assessor": False,
        "secretary": False,
        "anonymous": False,
    }
    assert ask(p.is_county) == {
        "official_a": False,
        "official_b": False,
        "assessor": True,
        "secretary": True,
        "anonymous": False,
    }
    assert p.sees_all_settlements is p.is_county


def test_an_official_without_a_township_is_no_official(township_a):
    lost = f.official("official_lost", township_a)
    User.objects.filter(pk=lost.pk).update(township=None)
    assert not p.is_official(User.objects.get(pk=lost.pk))


def test_a_superuser_is_a_secretary(db):
    boss = User.objects.create_superuser("boss", password="pw-Test-12345")
    assert p.is_secretary(boss) and p.is_county(boss)


def test_only_the_townships_own_official_is_official_of_it(
    cast, settlement_a, village_a, township_a, ask
):
    expected = {
        "official_a": True,
        "official_b": False,
        "assessor": False,
        "secretary": False,
        "anonymous": False,
    }
    for obj in (settlement_a, village_a, township_a, township_a.pk):
        assert ask(p.is_official_of_township, obj) == expected, obj


def test_settlement_visibility_and_personal_data(cast, settlement_a, ask):
    assert ask(p.may_see_settlement, settlement_a) == {
        "official_a": True,
        "official_b": False,
        "assessor": True,
        "secretary": True,
        "anonymous": False,
    }
    # assessors review the place but never see the residents' names and phones
    assert ask(p.may_see_personal_data, settlement_a) == {
        "official_a": True,
        "official_b": False,
        "assessor": False,
        "secretary": True,
        "anonymous": False,
    }
    assert ask(p.may_manage_residents) == {
        "official_a": True,
        "official_b": True,
        "assessor": False,
        "secretary": True,
        "anonymous": False,
    }


def test_named_permissions_answer_as_the_predicates(cast, settlement_a):
    for name, user in cast.items():
        assert rules.has_perm(
            "settlements.see_settlement", user, settlement_a
        ) == p.may_see_settlement(user, settlement_a), name
        assert rules.has_perm(
            "settlements.see_personal_data", user, settlement_a
        ) == p.may_see_personal_data(user, settlement_a), name
    # through Django's auth backends too (settings.AUTHENTICATION_BACKENDS)
    assert cast["official_a"].has_perm("settlements.edit_governance", settlement_a)
    assert not cast["official_b"].has_perm("settlements.edit_governance", settlement_a)
    assert not cast["assessor"].has_perm("settlements.edit_governance", settlement_a)


def test_asking_for_every_row_costs_no_query_once_the_roles_are_read(
    official_a, settlement_a, settlement_b, django_assert_num_queries
):
    user = User.objects.get(pk=official_a.pk)
    with django_assert_num_queries(1):  # the user's groups, once
        p.is_official(user)
    with django_assert_num_queries(0):
        for _ in range(20):
            assert p.may_see_settlement(user, settlement_a)
            assert not p.may_see_settlement(user, settlement_b)
