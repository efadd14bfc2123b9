"""Governance writes: history, the insert-only points ledger, reversals and frozen lists."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from settlements import rules
from settlements.governance import rules as governance_rules
from settlements.governance import services
from settlements.governance.codes import GovernanceRefusal as Refusal
from settlements.governance.selectors import households_with_balance, organisation_gaps_for
from settlements.models import (
    HonourList,
    HonourListRow,
    Household,
    ImmutableRecordError,
    PointCategory,
    PointEntry,
    TeamMember,
)
from tests.refusals import refused

ID_1 = "11010519491231002X"


def valid_id(prefix17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(prefix17, weights, strict=True))
    return prefix17 + "10X98765432"[total % 11]


@pytest.fixture
def category(db):
    return PointCategory.objects.get(name="爱护卫生")


@pytest.fixture
def household(settlement_a, official_a):
    return services.household_add(
        settlement=settlement_a,
        by=official_a,
        head_name="张三",
        id_number=ID_1,
        phone="13800000000",
        members=4,
    )


def record(household, by, points, day=None, category=None, reason="打扫楼道"):
    return services.point_entry_record(
        household=household,
        category=category or PointCategory.objects.get(name="参与公益"),
        points=Decimal(points),
        reason=reason,
        occurred_on=day or timezone.localdate(),
        by=by,
    )


def balance(household):
    return households_with_balance(household.settlement).get(pk=household.pk).balance  # type: ignore[attr-defined]  # annotated by the selector


def test_default_categories_are_seeded(db):
    assert list(PointCategory.objects.values_list("name", flat=True)) == [
        "参与管理",
        "爱护卫生",
        "参与公益",
    ]


def test_organisation_update_records_who_changed_it(settlement_a, official_a):
    org = services.settlement_organisation_update(
        settlement=settlement_a,
        by=official_a,
        party_org=rules.PARTY_BRANCH,
        self_management=rules.SELF_COMMITTEE,
        party_leader_name="李书记",
        party_leader_phone="13900000000",
    )
    assert org.history.latest().history_user == official_a
    settlement_a.refresh_from_db()
    assert settlement_a.party_org == rules.PARTY_BRANCH
    assert settlement_a.history.latest().history_user == official_a
    # Same input again writes no new history row.
    n = org.history.count()
    services.settlement_organisation_update(
        settlement=settlement_a,
        by=official_a,
        party_org=rules.PARTY_BRANCH,
        self_management=rules.SELF_COMMITTEE,
        party_leader_name="李书记",
        party_leader_phone="13900000000",
    )
    assert org.history.count() == n


def test_outsider_and_assessor_cannot_edit(settlement_a, official_b, assessor, secretary):
    for user in (official_b, assessor):
        with pytest.raises(PermissionDenied):
            services.team_member_add(
                settlement=settlement_a, by=user, role=governance_rules.TEAM_GRID, name="王五"
            )
    assert services.team_member_add(
        settlement=settlement_a, by=secretary, role=governance_rules.TEAM_GRID, name="王五"
    ).pk


def test_bad_phone_is_refused_with_a_message(settlement_a, official_a):
    with pytest.raises(ValidationError) as err:
        services.team_member_add(
            settlement=settlement_a,
            by=official_a,
            role=governance_rules.TEAM_GRID,
            name="王五",
            phone="abc",
        )
    assert "电话" in str(err.value)
    assert not TeamMember.objects.exists()


def test_team_removal_keeps_history_and_reopens_gap(settlement_a, official_a):
    members = [
        services.team_member_add(settlement=settlement_a, by=official_a, role=r, name=f"成员{i}")
        for i, r in enumerate(governance_rules.TEAM_ROLES)
    ]
    assert "team_missing" not in [g.code for g in organisation_gaps_for(settlement_a)]
    services.team_member_remove(member=members[-1], by=official_a)
    gaps = {g.code: g for g in organisation_gaps_for(settlement_a)}
    assert gaps["team_missing"].detail == "楼栋长"
    assert TeamMember.history.filter(history_type="-").get().history_user == official_a


def test_organisation_gaps_for_reports_people_missing(settlement_a, official_a):
    services.settlement_organisation_update(
        settlement=settlement_a,
        by=official_a,
        party_org=rules.PARTY_BRANCH,
        self_management=rules.SELF_EXECUTOR,
    )
    settlement_a.refresh_from_db()
    codes = [g.code for g in organisation_gaps_for(settlement_a)]
    # 120 households with only an executor, no names recorded, no team.
    assert codes == ["party_no_leader", "self_form", "self_no_executor", "team_missing"]


def test_balance_is_base_plus_sum_of_entries(household, official_a):
    assert balance(household) == Decimal("100")
    record(household, official_a, "5")
    record(household, official_a, "-2.5")
    assert balance(household) == Decimal("102.5")


def test_correction_is_a_reversing_entry(household, official_a):
    wrong = record(household, official_a, "10")
    reversal = services.point_entry_reverse(entry=wrong, by=official_a, reason="录入错误")
    assert reversal.points == Decimal("-10") and reversal.reverses == wrong
    assert reversal.occurred_on == wrong.occurred_on
    assert balance(household) == Decimal("100")
    assert PointEntry.objects.count() == 2  # nothing edited or deleted


def test_double_reversal_and_reversing_a_reversal_are_refused(household, official_a):
    entry = record(household, official_a, "3")
    reversal = services.point_entry_reverse(entry=entry, by=official_a, reason="错录")
    with refused(ValidationError, Refusal.ALREADY_REVERSED):
        services.point_entry_reverse(entry=entry, by=official_a, reason="再次")
    with refused(ValidationError, Refusal.REVERSAL_OF_REVERSAL):
        services.point_entry_reverse(entry=reversal, by=official_a, reason="再次")
    assert PointEntry.objects.count() == 2


def test_database_refuses_a_second_reversal(household, official_a):
    entry = record(household, official_a, "3")
    services.point_entry_reverse(entry=entry, by=official_a, reason="错录")
    with pytest.raises(IntegrityError), transaction.atomic():
        PointEntry.objects.create(
            household=household,
            category=entry.category,
            points=Decimal("-3"),
            reason="x",
            occurred_on=entry.occurred_on,
            recorded_by=official_a,
            reverses=entry,
        )


def test_entries_are_immutable(household, official_a):
    entry = record(household, official_a, "3")
    entry.points = Decimal("30")
    with pytest.raises(ImmutableRecordError):
        entry.save()
    with pytest.raises(ImmutableRecordError):
        entry.delete()
    with pytest.raises(ImmutableRecordError):
        PointEntry.objects.filter(pk=entry.pk).update(points=Decimal("30"))
    with pytest.raises(ImmutableRecordError):
        PointEntry.objects.filter(pk=entry.pk).delete()
    assert PointEntry.objects.get(pk=entry.pk).points == Decimal("3")


def test_entry_rules(household, official_a, category):
    with refused(ValidationError, Refusal.POINTS_ZERO):
        record(household, official_a, "0")
    with refused(ValidationError, Refusal.OCCURRED_IN_FUTURE):
        record(household, official_a, "1", day=timezone.localdate() + datetime.timedelta(days=1))
    with refused(ValidationError, Refusal.REASON_REQUIRED):
        record(household, official_a, "1", reason="  ")
    category.is_active = False
    category.save()
    with refused(ValidationError, Refusal.CATEGORY_INACTIVE):
        record(household, official_a, "1", category=category)
    assert not PointEntry.objects.exists()


def test_base_score_is_not_editable_by_update(household, official_a):
    services.household_update(
        household=household, by=official_a, head_name="张三丰", id_number=ID_1, members=5
    )
    household.refresh_from_db()
    assert (household.head_name, household.members, household.base_score) == (
        "张三丰",
        5,
        Decimal("100"),
    )
    assert household.history.latest().history_user == official_a


def test_household_id_number_checked_and_unique(settlement_a, official_a, household):
    with refused(ValidationError, Refusal.ID_CHECKSUM):
        services.household_add(
            settlement=settlement_a, by=official_a, head_name="李四", id_number="110105194912310021"
        )
    with refused(ValidationError, Refusal.DUPLICATE_HOUSEHOLD):
        services.household_add(
            settlement=settlement_a, by=official_a, head_name="李四", id_number=ID_1.lower()
        )
    assert Household.objects.count() == 1


def make_households(settlement, by, n):
    return [
        services.household_add(
            settlement=settlement,
            by=by,
            head_name=f"户主{i}",
            id_number=valid_id(f"5113221990010{i:04d}"),
        )
        for i in range(n)
    ]


def test_published_list_is_frozen(settlement_a, official_a):
    today = timezone.localdate()
    start = today - datetime.timedelta(days=30)
    h = make_households(settlement_a, official_a, 5)
    for hh, pts in zip(h, ["8", "5", "-3", "-6", "1"], strict=True):
        record(hh, official_a, pts, day=today - datetime.timedelta(days=2))
    record(h[4], official_a, "50", day=start - datetime.timedelta(days=1))  # outside the period
    published = services.honour_list_publish(
        settlement=settlement_a, period_start=start, period_end=today, size=2, by=official_a
    )
    rows = list(
        published.rows.order_by("kind", "rank").values_list("kind", "rank", "head_name", "points")
    )
    assert rows == [
        ("black", 1, "户主3", Decimal("-6")),
        ("black", 2, "户主2", Decimal("-3")),
        ("red", 1, "户主0", Decimal("8")),
        ("red", 2, "户主1", Decimal("5")),
    ]
    # Later entries in the period, and a later rename, do not change the published list.
    record(h[4], official_a, "100", day=today)
    services.household_update(
        household=h[0], by=official_a, head_name="改名", id_number=h[0].id_number
    )
    again = services.honour_list_publish(
        settlement=settlement_a, period_start=start, period_end=today, size=2, by=official_a
    )
    assert again.pk == published.pk
    assert (
        list(
            published.rows.order_by("kind", "rank").values_list(
                "kind", "rank", "head_name", "points"
            )
        )
        == rows
    )
    with refused(ValidationError, Refusal.LIST_ALREADY_PUBLISHED):
        services.honour_list_publish(
            settlement=settlement_a, period_start=start, period_end=today, size=3, by=official_a
        )
    with pytest.raises(ImmutableRecordError):
        HonourListRow.objects.filter(honour_list=published).delete()
    with pytest.raises(ImmutableRecordError):
        published.delete()
    assert HonourList.objects.count() == 1


def test_publish_refuses_bad_periods(settlement_a, official_a, official_b):
    today = timezone.localdate()
    with refused(ValidationError, Refusal.PERIOD_END_BEFORE_START):
        services.honour_list_publish(
            settlement=settlement_a,
            period_start=today,
            period_end=today - datetime.timedelta(days=1),
            size=5,
            by=official_a,
        )
    with refused(ValidationError, Refusal.PERIOD_NOT_ENDED):
        services.honour_list_publish(
            settlement=settlement_a,
            period_start=today,
            period_end=today + datetime.timedelta(days=1),
            size=5,
            by=official_a,
        )
    with refused(ValidationError, Refusal.BAD_LIST_SIZE):
        services.honour_list_publish(
            settlement=settlement_a, period_start=today, period_end=today, size=0, by=official_a
        )
    with pytest.raises(PermissionDenied):
        services.honour_list_publish(
            settlement=settlement_a, period_start=today, period_end=today, size=5, by=official_b
        )
    assert not HonourList.objects.exists()
