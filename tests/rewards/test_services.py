"""The ledger through the services: SPEC §6's table row by row, falls, top-ups, idempotency,
the budget, approval and payment with their history."""

from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from config.celery import app as celery_app
from ratings.signals import rating_stars_changed, rating_took_effect
from rewards import services, tasks
from rewards.models import Disbursement, RewardSchedule, ScheduleFrozen, YearBudget
from rewards.services import RewardRefusal
from tests import factories as f
from tests.refusals import refused

from .conftest import YEAR, lower, rate, schedule

pytestmark = pytest.mark.django_db


def propose(rating):
    return services.disbursements_propose(
        settlement_id=rating.settlement_id, year=YEAR, rating_id=rating.pk
    )


def amounts(rows):
    return [
        (r.kind, r.tops_up.kind if r.tops_up_id else None, r.star_basis, r.amount) for r in rows
    ]


@pytest.mark.parametrize(
    ("stars", "due"),
    [
        ((3, 3, 3, 3), ("4000", "3000", "0", "3000")),
        ((3, 4, 4, 5), ("4000", "10000", "0", "16000")),
        ((4, 3, 3, 4), ("8000", "3000", "0", "9000")),
        ((0, 0, 5, 5), ("0", "0", "12000", "9000")),
        ((5, 5, 5, 0), ("12000", "9000", "0", "0")),
    ],
)
def test_spec_table_row_by_row_through_the_ledger(settlement_a, rubric, spec_schedule, stars, due):
    for quarter, (star, expected) in enumerate(zip(stars, due, strict=True), start=1):
        rating = rate(settlement_a, quarter, star, rubric=rubric)
        created = propose(rating)
        assert sum((r.amount for r in created), D(0)) == D(expected), f"after Q{quarter}"
        assert all(r.rating_id == rating.pk for r in created)
    ledger = Disbursement.objects.filter(settlement=settlement_a, year=YEAR)
    assert sum(r.amount for r in ledger) == sum(D(x) for x in due)
    assert all(r.status == "proposed" and r.amount.as_tuple().exponent == -2 for r in ledger)


def test_upgrade_tops_up_earlier_tranches_with_rows_pointing_at_them(
    settlement_a, rubric, spec_schedule
):
    q1 = rate(settlement_a, 1, 3, rubric=rubric)
    (initial,) = propose(q1)
    q2 = rate(settlement_a, 2, 4, rubric=rubric)
    q2_rows = propose(q2)
    assert amounts(q2_rows) == [
        ("top_up", "initial", 4, D("4000.00")),
        ("re", None, 4, D("6000.00")),
    ]
    assert q2_rows[0].tops_up == initial
    re = q2_rows[1]
    rate(settlement_a, 3, 4, rubric=rubric)
    q4 = rate(settlement_a, 4, 5, rubric=rubric)
    q4_rows = propose(q4)
    assert amounts(q4_rows) == [
        ("top_up", "initial", 5, D("4000.00")),
        ("top_up", "re", 5, D("3000.00")),
        ("final", None, 5, D("9000.00")),
    ]
    assert [r.tops_up for r in q4_rows[:2]] == [initial, re]
    assert set(initial.top_ups.values_list("rating", flat=True)) == {q2.pk, q4.pk}
    assert sum(r.amount for r in Disbursement.objects.filter(settlement=settlement_a)) == D(
        "30000.00"
    )


def test_proposing_twice_creates_nothing_twice(settlement_a, rubric, spec_schedule):
    q1 = rate(settlement_a, 1, 3, rubric=rubric)
    q2 = rate(settlement_a, 2, 5, rubric=rubric)
    first = propose(q2)
    assert sum(r.amount for r in first) == D("21000.00")  # caught up: Q1 tranche, top-up, re-rating
    assert propose(q2) == []
    assert propose(q1) == []
    assert Disbursement.objects.filter(settlement=settlement_a).count() == 3


def test_downgrade_never_claws_back_and_pays_later_tranches_lower(
    settlement_a, rubric, spec_schedule
):
    q1 = rate(settlement_a, 1, 5, rubric=rubric)
    propose(q1)
    lower(q1, 3)  # 降低星级 after the initial tranche was proposed at 5★
    assert propose(q1) == []
    q2 = rate(settlement_a, 2, 3, rubric=rubric)
    assert amounts(propose(q2)) == [("re", None, 3, D("3000.00"))]
    rows = Disbursement.objects.filter(settlement=settlement_a).for_pages().order_by("pk")
    assert [r.amount for r in rows] == [D("12000.00"), D("3000.00")]
    assert rows[0].basis_lowered and not rows[1].basis_lowered


def test_revocation_pays_nothing_more_that_year(settlement_a, rubric, spec_schedule):
    for quarter in (1, 2):
        propose(rate(settlement_a, quarter, 5, rubric=rubric))
    q3 = rate(settlement_a, 3, 5, rubric=rubric)
    lower(q3, 0)  # 取消星级
    assert propose(q3) == []
    q4 = rate(settlement_a, 4, 0, rubric=rubric)
    assert propose(q4) == []
    assert sum(r.amount for r in Disbursement.objects.filter(settlement=settlement_a)) == D(
        "21000.00"
    )


def test_rating_in_notice_counts_as_no_star_until_it_takes_effect(
    settlement_a, rubric, spec_schedule
):
    q1 = rate(settlement_a, 1, 5, rubric=rubric, status="notice")
    q2 = rate(settlement_a, 2, 4, rubric=rubric)
    assert amounts(propose(q2)) == [
        ("initial", None, 4, D("8000.00")),
        ("re", None, 4, D("6000.00")),
    ]
    q1.status = "effective"
    q1.save(update_fields=["status"])
    (top_up,) = propose(q1)
    assert (top_up.kind, top_up.tops_up.kind, top_up.rating, top_up.amount) == (
        "top_up",
        "initial",
        q1,
        D("4000.00"),
    )


def test_class_specific_amounts_win_over_the_general_schedule(
    settlement_a, settlement_b, rubric, spec_schedule
):
    schedule(amounts={3: D("15000.00")}, settlement_class=settlement_a.settlement_class)
    assert propose(rate(settlement_a, 1, 3, rubric=rubric))[0].amount == D("6000.00")
    assert propose(rate(settlement_b, 1, 3, rubric=rubric))[0].amount == D("4000.00")


def test_missing_schedule_is_refused_in_chinese_and_writes_nothing(settlement_a, rubric):
    schedule(amounts={3: D("10000"), 4: D("20000")})
    with refused(services.RewardsError, RewardRefusal.SCHEDULE_MISSING):
        propose(rate(settlement_a, 1, 3, rubric=rubric))
    assert not Disbursement.objects.exists()


def test_rating_of_another_settlement_is_refused(settlement_a, settlement_b, rubric, spec_schedule):
    rating = rate(settlement_b, 1, 3, rubric=rubric)
    with refused(services.RewardsError, RewardRefusal.RATING_MISMATCH):
        services.disbursements_propose(
            settlement_id=settlement_a.pk, year=YEAR, rating_id=rating.pk
        )


def test_odd_amounts_sum_to_the_fen_over_the_year(settlement_a, rubric):
    schedule(amounts={3: D("10000.01"), 4: D("10000.01"), 5: D("10000.01")})
    for quarter in (1, 2, 3, 4):
        propose(rate(settlement_a, quarter, 3, rubric=rubric))
    rows = list(Disbursement.objects.filter(settlement=settlement_a).order_by("pk"))
    assert [r.amount for r in rows] == [D("4000.00"), D("3000.01"), D("3000.00")]
    assert sum(r.amount for r in rows) == D("10000.01")


# ------------------------------------------------------------------------ the database guards


def test_database_refuses_a_second_row_for_a_tranche(settlement_a, rubric, spec_schedule):
    (initial,) = propose(rate(settlement_a, 1, 3, rubric=rubric))
    with pytest.raises(IntegrityError), transaction.atomic():
        Disbursement.objects.create(
            settlement=settlement_a,
            year=YEAR,
            kind="initial",
            rating=initial.rating,
            star_basis=3,
            settlement_class=1,
            amount=D("4000"),
        )


def test_database_refuses_a_second_top_up_for_one_rating(settlement_a, rubric, spec_schedule):
    propose(rate(settlement_a, 1, 3, rubric=rubric))
    top_up, _re = propose(rate(settlement_a, 2, 5, rubric=rubric))
    with pytest.raises(IntegrityError), transaction.atomic():
        Disbursement.objects.create(
            settlement=settlement_a,
            year=YEAR,
            kind="top_up",
            tops_up=top_up.tops_up,
            rating=top_up.rating,
            star_basis=5,
            settlement_class=1,
            amount=D("1"),
        )


@pytest.mark.parametrize(
    "bad",
    [
        {"amount": D("-0.01")},
        {"kind": "top_up"},  # a top-up must point at its tranche
        {"status": "approved"},  # approved without an approver
        {"star_basis": 2},
    ],
)
def test_database_refuses_invalid_rows(settlement_a, rubric, bad):
    rating = rate(settlement_a, 1, 3, rubric=rubric)
    values = {
        "settlement": settlement_a,
        "year": YEAR,
        "kind": "initial",
        "rating": rating,
        "star_basis": 3,
        "settlement_class": 1,
        "amount": D("4000"),
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Disbursement.objects.create(**{**values, **bad})


def test_schedule_freezes_once_money_is_proposed(settlement_a, rubric, spec_schedule):
    propose(rate(settlement_a, 1, 3, rubric=rubric))
    row = RewardSchedule.objects.get(year=YEAR, star=3)
    row.amount = D("99999")
    with refused(ScheduleFrozen, RewardRefusal.SCHEDULE_FROZEN):
        row.save()
    with refused(ScheduleFrozen, RewardRefusal.SCHEDULE_FROZEN):
        RewardSchedule(year=YEAR, settlement_class=1, star=5, amount=D("1")).save()
    schedule(year=YEAR + 1)  # next year is still open


# ------------------------------------------------------------------------------- the budget


def test_proposal_past_the_budget_is_flagged(settlement_a, settlement_b, rubric, spec_schedule):
    YearBudget.objects.create(year=YEAR, amount=D("20000.00"))
    (a,) = propose(rate(settlement_a, 1, 5, rubric=rubric))
    (b,) = propose(rate(settlement_b, 1, 5, rubric=rubric))
    assert (a.amount, a.over_budget) == (D("12000.00"), False)
    assert (b.amount, b.over_budget) == (D("12000.00"), True)


def test_first_proposal_creates_the_default_budget(settlement_a, rubric, spec_schedule):
    propose(rate(settlement_a, 1, 5, rubric=rubric))
    assert YearBudget.objects.get(year=YEAR).amount == D("5000000.00")


def test_approval_past_the_budget_needs_a_confirm(
    settlement_a, settlement_b, rubric, spec_schedule, secretary
):
    YearBudget.objects.create(year=YEAR, amount=D("20000.00"))
    (a,) = propose(rate(settlement_a, 1, 5, rubric=rubric))
    (b,) = propose(rate(settlement_b, 1, 5, rubric=rubric))
    services.disbursement_approve(disbursement=a, by=secretary)
    with refused(services.OverBudget, RewardRefusal.OVER_BUDGET):
        services.disbursement_approve(disbursement=b, by=secretary)
    b.refresh_from_db()
    assert b.status == "proposed" and b.approved_by is None
    approved = services.disbursement_approve(disbursement=b, by=secretary, confirm_over_budget=True)
    assert (approved.status, approved.approved_by, approved.approved_over_budget) == (
        "approved",
        secretary,
        True,
    )


# -------------------------------------------------------------------- approval and payment


@pytest.fixture
def proposed(settlement_a, rubric, spec_schedule):
    (row,) = propose(rate(settlement_a, 1, 4, rubric=rubric))
    return row


@pytest.mark.parametrize("who", ["official_a", "assessor"])
def test_only_secretaries_approve_or_mark_paid(proposed, who, request):
    user = request.getfixturevalue(who)
    with refused(services.RewardsError, RewardRefusal.NOT_SECRETARY):
        services.disbursement_approve(disbursement=proposed, by=user)
    with refused(services.RewardsError, RewardRefusal.NOT_SECRETARY):
        services.disbursement_mark_paid(disbursement=proposed, by=user)
    proposed.refresh_from_db()
    assert proposed.status == "proposed"


def test_cannot_mark_paid_before_approval(proposed, secretary):
    with refused(services.RewardsError, RewardRefusal.NOT_APPROVED):
        services.disbursement_mark_paid(disbursement=proposed, by=secretary)


def test_every_status_change_is_in_the_history_with_the_user(proposed, secretary):
    other = f.secretary("secretary2")
    services.disbursement_approve(disbursement=proposed, by=secretary)
    services.disbursement_approve(disbursement=proposed, by=other)  # repeated: no-op
    services.disbursement_mark_paid(disbursement=proposed, by=other)
    services.disbursement_mark_paid(disbursement=proposed, by=secretary)  # repeated: no-op
    proposed.refresh_from_db()
    assert (proposed.status, proposed.approved_by, proposed.paid_by) == ("paid", secretary, other)
    steps = list(proposed.history.order_by("history_date", "history_id"))
    assert [(h.status, h.history_user, h.history_change_reason) for h in steps] == [
        ("proposed", None, "系统提出"),
        ("approved", secretary, "审批"),
        ("paid", other, "登记发放"),
    ]
    assert steps[1].prev_record.status == "proposed"


# -------------------------------------------------------------------- signals, tasks, daily job


@pytest.fixture
def eager_celery():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def test_rating_taking_effect_queues_the_proposal(
    settlement_a, rubric, spec_schedule, eager_celery, django_capture_on_commit_callbacks
):
    rating = rate(settlement_a, 1, 5, rubric=rubric)
    with django_capture_on_commit_callbacks(execute=True):
        rating_took_effect.send(sender=type(rating), rating_id=rating.pk)
    assert [r.amount for r in Disbursement.objects.filter(rating=rating)] == [D("12000.00")]
    with django_capture_on_commit_callbacks(execute=True):
        rating_stars_changed.send(sender=type(rating), rating_id=rating.pk)
    assert Disbursement.objects.count() == 1


def test_task_for_a_missing_schedule_logs_and_proposes_nothing(settlement_a, rubric, caplog):
    rating = rate(settlement_a, 1, 5, rubric=rubric)
    assert tasks.propose_for_rating(rating.pk) == 0
    assert "奖励标准尚未设置" in caplog.text


def test_daily_catch_up_proposes_what_was_missed_once(
    settlement_a, settlement_b, rubric, spec_schedule
):
    import datetime as dt

    for quarter, stars in enumerate((3, 4, 4, 5), start=1):
        rate(settlement_a, quarter, stars, rubric=rubric)
    rate(settlement_b, 1, 5, rubric=rubric)
    rate(settlement_b, 2, 0, rubric=rubric, status="notice")
    today = dt.date(YEAR + 1, 2, 1)
    assert services.disbursements_catch_up(today=today) == 6
    rows = Disbursement.objects.filter(settlement=settlement_a).order_by("pk")
    # One tranche row each, and one top-up per tranche for the rise it missed, caused by Q4.
    assert amounts(rows) == [
        ("initial", None, 3, D("4000.00")),
        ("top_up", "initial", 5, D("8000.00")),
        ("re", None, 4, D("6000.00")),
        ("top_up", "re", 5, D("3000.00")),
        ("final", None, 5, D("9000.00")),
    ]
    assert [r.rating.round.quarter for r in rows] == [1, 4, 2, 4, 4]
    assert sum(r.amount for r in Disbursement.objects.filter(settlement=settlement_b)) == D(
        "12000.00"
    )
    assert services.disbursements_catch_up(today=today) == 0
    assert tasks.catch_up(today.isoformat()) == 0


def test_catch_up_skips_a_year_without_schedule_and_goes_on(
    settlement_a, settlement_b, rubric, caplog
):
    import datetime as dt

    schedule(year=YEAR)
    rate(settlement_a, 1, 5, rubric=rubric, year=YEAR - 1)
    rate(settlement_b, 1, 5, rubric=rubric)
    assert services.disbursements_catch_up(today=dt.date(YEAR, 6, 1)) == 1
    assert f"{YEAR - 1}年度" in caplog.text
