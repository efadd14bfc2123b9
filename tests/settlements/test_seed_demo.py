"""The demo county: realistic, deterministic, and a second run changes nothing."""

from __future__ import annotations

from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from settlements import demo
from settlements.models import PartyOrg, SelfManagement, Settlement, Township, User, Village
from settlements.roles import ASSESSOR, OFFICIAL, SECRETARY
from settlements.selectors import settlements_visible_to


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def snapshot() -> dict:
    """Everything seed_demo writes, as plain values."""
    return {
        "townships": list(Township.objects.order_by("code").values()),
        "villages": list(Village.objects.order_by("code").values()),
        "settlements": list(Settlement.objects.order_by("code").values()),
        "users": list(User.objects.order_by("username").values()),
        "memberships": sorted(User.groups.through.objects.values_list("user_id", "group_id")),
        "permissions": sorted(
            User.user_permissions.through.objects.values_list("user_id", "permission_id")
        ),
    }


# ------------------------------------------------------------------ the plan, no database


def test_township_count_is_about_ten_for_pingshan_and_scales_beyond():
    assert demo.township_count(283) == 10
    assert demo.township_count(3) == 3
    assert demo.township_count(35_000) == 700
    with pytest.raises(ValueError):
        demo.township_count(0)


def test_township_names_start_with_pingshan_and_stay_unique_at_national_scale():
    names = demo.township_names(700)
    assert names[:10] == list(demo.PINGSHAN_TOWNSHIPS)
    assert len(set(names)) == 700
    assert all(name.endswith(("镇", "乡")) for name in names)


@pytest.mark.parametrize(("total", "parts"), [(283, 10), (35_000, 700), (5, 5), (11, 10)])
def test_allocation_adds_up_and_gives_every_township_a_settlement(total, parts):
    weights = [1.0 + (i % 7) / 10 for i in range(parts)]
    counts = demo.allocate(total, weights)
    assert sum(counts) == total
    assert min(counts) >= 1


def test_a_settlements_facts_depend_only_on_its_code():
    village = demo.VillagePlan(code="511529101201", name="胜利村", township_code="511529101")
    assert demo.plan_settlement(village, 3) == demo.plan_settlement(village, 3)
    assert demo.plan_settlement(village, 3) != demo.plan_settlement(village, 4)


# ------------------------------------------------------------------ the command


@pytest.mark.django_db
def test_seed_demo_builds_a_pingshan_sized_county_with_realistic_facts():
    output = seed()

    assert Settlement.objects.count() == 283
    assert list(Township.objects.order_by("code").values_list("name", flat=True)) == list(
        demo.PINGSHAN_TOWNSHIPS
    )
    per_township = Counter(Settlement.objects.values_list("village__township__name", flat=True))
    assert len(per_township) == 10 and min(per_township.values()) >= 15
    assert Village.objects.count() >= 30

    rows = list(Settlement.objects.all())
    per_class = Counter(s.klass for s in rows)
    assert set(per_class) == {1, 2, 3, 4} and min(per_class.values()) >= 25
    assert all(5 <= s.households <= 300 for s in rows)
    assert all(s.residents >= s.households for s in rows)
    assert all(0 <= s.party_members <= 10 for s in rows)
    assert all(date(2016, 1, 1) <= s.moved_in_on <= date(2020, 12, 31) for s in rows)
    assert all(s.latitude is not None and s.longitude is not None for s in rows)
    # The stored class is the rule's class.
    assert all(s.klass == s.settlement_class for s in rows)

    # Organisation mostly matches SPEC §2, with some realistic gaps of every kind.
    with_gaps = [s for s in rows if s.organisation_gaps]
    assert 0.05 * len(rows) < len(with_gaps) < 0.40 * len(rows)
    gap_kinds = Counter(g for s in with_gaps for g in s.organisation_gaps)
    assert set(gap_kinds) == {"party_missing", "party_form", "self_missing", "self_form"}
    assert {s.party_org for s in rows} == set(PartyOrg.values)
    assert {s.self_management for s in rows} == set(SelfManagement.values)

    assert demo.DEMO_PASSWORD in output
    for username in ("official", "assessor", "secretary"):
        assert username in output


@pytest.mark.django_db
def test_demo_users_have_their_roles_and_the_printed_password(client):
    seed()
    official = User.objects.get(username="official")
    assessor = User.objects.get(username="assessor")
    secretary = User.objects.get(username="secretary")

    assert official.township.name == "锦屏镇"
    assert list(official.groups.values_list("name", flat=True)) == [OFFICIAL]
    assert official.is_staff and not official.is_superuser
    assert official.has_perm("settlements.import_settlement")
    assert official.has_perm("settlements.export_settlement")
    assert list(assessor.groups.values_list("name", flat=True)) == [ASSESSOR]
    assert assessor.township is None and not assessor.is_superuser
    assert list(secretary.groups.values_list("name", flat=True)) == [SECRETARY]
    assert secretary.is_staff and secretary.is_superuser

    for user in (official, assessor, secretary):
        assert user.check_password(demo.DEMO_PASSWORD)
    # Through the login page: django-axes needs the request (client.login() has none).
    response = client.post("/login/", {"username": "official", "password": demo.DEMO_PASSWORD})
    assert response.status_code == 302

    # The official sees their own township only; the assessor sees the county.
    own = settlements_visible_to(official)
    assert own.count() == Settlement.objects.filter(village__township=official.township).count() > 0
    assert set(own.values_list("village__township__name", flat=True)) == {"锦屏镇"}
    assert settlements_visible_to(assessor).count() == 283


@pytest.mark.django_db
def test_running_seed_demo_twice_changes_nothing():
    seed()
    before = snapshot()
    sample = Settlement.objects.order_by("code")[137]

    output = seed()

    assert snapshot() == before
    again = Settlement.objects.get(pk=sample.pk)
    assert (
        again.code,
        again.name,
        again.households,
        again.residents,
        again.party_members,
        again.moved_in_on,
        again.party_org,
        again.self_management,
    ) == (
        sample.code,
        sample.name,
        sample.households,
        sample.residents,
        sample.party_members,
        sample.moved_in_on,
        sample.party_org,
        sample.self_management,
    )
    assert "乡镇 0、村 0、聚居点 0" in output


@pytest.mark.django_db
def test_seed_demo_is_the_same_county_on_every_machine():
    seed(settlements=40, no_history=True)
    first = snapshot()["settlements"]
    Settlement.objects.all().delete()
    Village.objects.all().delete()
    seed(settlements=40, no_history=True)
    again = snapshot()["settlements"]

    def strip(rows):
        return [{k: v for k, v in r.items() if k not in ("id", "village_id")} for r in rows]  # noqa: E731

    assert strip(again) == strip(first)


@pytest.mark.django_db
def test_rerun_puts_a_demo_user_back_in_role_without_touching_the_password():
    seed(settlements=20)
    official = User.objects.get(username="official")
    official.groups.clear()
    official.user_permissions.clear()
    official.set_password("changed-by-the-user-1")
    official.save()
    password_hash = official.password

    seed(settlements=20)

    official = User.objects.get(pk=official.pk)  # no cached permissions
    assert official.groups.filter(name=OFFICIAL).exists()
    assert official.has_perm("settlements.import_settlement")
    assert official.password == password_hash


@pytest.mark.django_db
def test_a_larger_county_extends_the_smaller_one_without_rewriting_it():
    seed(settlements=20)
    small = {r["code"]: r for r in snapshot()["settlements"]}

    seed(settlements=60)

    large = {r["code"]: r for r in snapshot()["settlements"]}
    assert set(small) <= set(large)
    assert all(large[code] == row for code, row in small.items())
    assert len(large) >= 60


@pytest.mark.django_db
def test_settlements_are_inserted_in_batches_not_row_by_row(django_assert_max_num_queries):
    # 2,000 rows: a handful of lookups, then inserts of up to ~70 rows each on SQLite
    # (its 999-parameter limit) and 1,000 on PostgreSQL. Row-by-row would be 2,000+.
    with django_assert_max_num_queries(80):
        demo.build_places(2000)
    assert Settlement.objects.count() == 2000
    assert Township.objects.count() == 40


@pytest.mark.django_db
def test_bad_count_is_refused_and_nothing_is_written():
    with pytest.raises(CommandError, match="至少为 1"):
        seed(settlements=0)
    assert not Township.objects.exists()


@pytest.mark.django_db
def test_a_township_name_taken_by_another_code_is_refused_and_nothing_is_written():
    Township.objects.create(code="REAL-01", name="锦屏镇")
    with pytest.raises(CommandError, match="锦屏镇"):
        seed(settlements=20)
    assert Township.objects.count() == 1
    assert not Settlement.objects.exists()


@pytest.mark.django_db
def test_logins_only_prints_and_writes_nothing():
    output = seed(logins_only=True)
    assert demo.DEMO_PASSWORD in output and "secretary" in output
    assert not Township.objects.exists() and not User.objects.exists()


@pytest.mark.django_db
def test_missing_role_groups_are_a_clear_error():
    Group.objects.filter(name=ASSESSOR).delete()
    with pytest.raises(CommandError, match="migrate"):
        seed(settlements=20)
    # One transaction for the whole command: no places without their users.
    assert not User.objects.exists() and not Township.objects.exists()


@pytest.mark.django_db
def test_seed_demo_builds_a_rating_history_once():
    from ratings.models import Rating, Round, SelfAssessment

    seed(settlements=30)
    counts = (Round.objects.count(), SelfAssessment.objects.count(), Rating.objects.count())
    assert counts[0] >= 4 and counts[2] > 0  # a year or more of rounds, with ratings
    seed(settlements=30)
    assert (Round.objects.count(), SelfAssessment.objects.count(), Rating.objects.count()) == counts
