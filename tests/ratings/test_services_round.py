"""Opening a round and closing late self-assessments (逾期未报)."""

import datetime as dt

import pytest

from ratings import services
from ratings.models import AssessmentStatus, Round, Rubric, SelfAssessment
from ratings.services import Refusal
from tests import factories as f
from tests.ratings.workflow import OPENED, SELF_DEADLINE, fresh, self_save, self_submit
from tests.refusals import refused


def test_round_open_creates_one_assessment_per_settlement_with_frozen_class_and_rubric(
    secretary, rubric, settlement_a, settlement_b
):
    rnd, created = services.round_open(year=2031, quarter=1, by=secretary, today=OPENED)

    assert created is True
    assert (rnd.stage, rnd.opened_on, rnd.opened_by) == ("initial", OPENED, secretary)
    assert rnd.self_deadline == dt.date(2031, 4, 11)
    assert rnd.review_deadline == dt.date(2031, 5, 1)
    assert rnd.notice_working_days == 5
    assessments = {sa.settlement_id: sa for sa in SelfAssessment.objects.filter(round=rnd)}
    assert set(assessments) == {settlement_a.pk, settlement_b.pk}
    assert assessments[settlement_a.pk].settlement_class == 1  # 120 households
    assert assessments[settlement_b.pk].settlement_class == 3  # 30 households
    for sa in assessments.values():
        assert (sa.status, sa.rubric_id, sa.deadline, sa.version) == (
            "not_started",
            rubric.pk,
            rnd.self_deadline,
            0,
        )
    assert Rubric.objects.get(pk=rubric.pk).frozen_at is not None


def test_round_open_stage_follows_the_default_calendar(rubric, settlement_a):
    stages = {
        q: services.round_open(year=2031, quarter=q, today=OPENED)[0].stage for q in (1, 2, 3, 4)
    }
    assert stages == {1: "initial", 2: "re", 3: "initial", 4: "final"}


def test_round_open_is_idempotent(
    secretary, rubric, settlement_a, settlement_b, django_assert_max_num_queries
):
    first, created = services.round_open(year=2031, quarter=1, by=secretary, today=OPENED)
    f.settlement(settlement_a.village, code="SA9")  # a settlement added after opening

    with django_assert_max_num_queries(3):
        again, created_again = services.round_open(
            year=2031, quarter=1, by=secretary, today=OPENED + dt.timedelta(days=3)
        )

    assert (again.pk, created_again) == (first.pk, False)
    assert again.opened_on == OPENED
    assert SelfAssessment.objects.filter(round=first).count() == 2
    assert Round.objects.count() == 1


def test_class_frozen_on_the_assessment_survives_a_change_of_households(q1, q1_sa_a, settlement_a):
    settlement_a.households = 10
    settlement_a.residents = 30
    settlement_a.save()
    settlement_a.refresh_from_db()
    assert settlement_a.klass == 4
    assert fresh(q1_sa_a).settlement_class == 1


def test_frozen_rubric_refuses_changes(q1, rubric):
    from ratings.models import RubricFrozen

    rubric.refresh_from_db()
    rubric.bonus_cap = 20
    with pytest.raises(RubricFrozen):
        rubric.save()


def test_round_open_records_history_with_the_user(secretary, rubric, settlement_a):
    rnd, _ = services.round_open(year=2031, quarter=1, by=secretary, today=OPENED)
    assert rnd.history.get().history_user == secretary
    sa = SelfAssessment.objects.get(round=rnd)
    assert sa.history.get().history_user == secretary


def test_round_open_by_system_job_has_no_user(rubric, settlement_a):
    rnd, created = services.round_open(year=2031, quarter=1, by=None, today=OPENED)
    assert created and rnd.opened_by is None


@pytest.mark.parametrize("who", ["official_a", "assessor"])
def test_only_a_secretary_opens_a_round(request, who, rubric, settlement_a):
    with pytest.raises(services.WorkflowPermissionDenied):
        services.round_open(year=2031, quarter=1, by=request.getfixturevalue(who), today=OPENED)
    assert not Round.objects.exists()


@pytest.mark.parametrize(("year", "quarter"), [(2031, 0), (2031, 5), (1999, 1)])
def test_round_open_refuses_bad_year_or_quarter(rubric, year, quarter):
    with pytest.raises(services.WorkflowError):
        services.round_open(year=year, quarter=quarter, today=OPENED)


def test_round_open_without_current_rubric_is_refused(rubric, settlement_a):
    Rubric.objects.filter(pk=rubric.pk).update(is_current=False)
    with refused(services.WorkflowError, Refusal.NO_CURRENT_RUBRIC):
        services.round_open(year=2031, quarter=1, today=OPENED)
    assert not Round.objects.exists()


def test_round_open_accepts_configured_deadlines(rubric, settlement_a):
    rnd, _ = services.round_open(
        year=2031,
        quarter=1,
        today=OPENED,
        self_deadline=dt.date(2031, 4, 20),
        review_deadline=dt.date(2031, 5, 20),
        notice_working_days=7,
    )
    assert (rnd.self_deadline, rnd.review_deadline, rnd.notice_working_days) == (
        dt.date(2031, 4, 20),
        dt.date(2031, 5, 20),
        7,
    )
    assert SelfAssessment.objects.get(round=rnd).deadline == dt.date(2031, 4, 20)
    with pytest.raises(services.WorkflowError):
        services.round_open(year=2031, quarter=2, today=OPENED, self_deadline=dt.date(2031, 3, 1))


def test_round_open_lost_race_returns_the_winners_round(rubric, settlement_a, monkeypatch):
    """Two workers pass the existence check; the unique constraint lets only one insert."""
    winner = Round.objects.create(
        year=2031,
        quarter=1,
        stage="initial",
        opened_on=OPENED,
        self_deadline=SELF_DEADLINE,
        review_deadline=dt.date(2031, 5, 1),
        rubric=rubric,
    )
    real_filter = Round.objects.filter
    calls = {"n": 0}

    def first_check_misses(*args, **kwargs):
        calls["n"] += 1
        qs = real_filter(*args, **kwargs)
        return qs.none() if calls["n"] == 1 else qs

    monkeypatch.setattr(Round.objects, "filter", first_check_misses)
    rnd, created = services.round_open(year=2031, quarter=1, today=OPENED)

    assert (rnd.pk, created) == (winner.pk, False)
    assert not SelfAssessment.objects.exists()


# ------------------------------------------------------------------ overdue marking


def test_mark_overdue_closes_unsubmitted_past_deadline(q1, q1_sa_a, q1_sa_b, official_a):
    self_submit(q1_sa_a, official_a)  # submitted: stays
    day_after = SELF_DEADLINE + dt.timedelta(days=1)

    assert services.self_assessments_mark_overdue(round=q1, today=SELF_DEADLINE) == 0
    assert services.self_assessments_mark_overdue(round=q1, today=day_after) == 1

    assert fresh(q1_sa_a).status == "submitted"
    late = fresh(q1_sa_b)
    assert late.status == "overdue"
    assert late.version == 1
    latest = late.history.first()
    assert (latest.status, latest.history_user, latest.history_change_reason) == (
        "overdue",
        None,
        "逾期未报",
    )


def test_mark_overdue_is_idempotent(q1, q1_sa_a, q1_sa_b, official_a):
    self_save(q1_sa_a, official_a)  # a draft is late too
    day_after = SELF_DEADLINE + dt.timedelta(days=1)
    assert services.self_assessments_mark_overdue(round=q1, today=day_after) == 2
    history_rows = SelfAssessment.history.count()

    assert services.self_assessments_mark_overdue(round=q1, today=day_after) == 0

    assert SelfAssessment.history.count() == history_rows
    assert set(SelfAssessment.objects.values_list("status", flat=True)) == {"overdue"}


def test_mark_overdue_respects_a_send_back_deadline(q1, q1_sa_a, official_a, assessor):
    submitted = self_submit(q1_sa_a, official_a, {"ZZ02": 1})
    codes = {i.code: i.pk for i in submitted.rubric.items.all()}
    services.self_assessment_send_back(
        assessment=submitted,
        by=assessor,
        item_ids=[codes["ZZ02"]],
        reason="请补充材料",
        deadline=dt.date(2031, 4, 20),
        today=dt.date(2031, 4, 10),
    )
    assert (
        services.self_assessments_mark_overdue(round=q1, today=dt.date(2031, 4, 15)) == 1
    )  # settlement B only
    assert fresh(q1_sa_a).status == AssessmentStatus.RETURNED
    assert services.self_assessments_mark_overdue(round=q1, today=dt.date(2031, 4, 21)) == 1
    assert fresh(q1_sa_a).status == AssessmentStatus.OVERDUE


def test_mark_overdue_works_in_batches(q1, q1_sa_a, q1_sa_b, monkeypatch):
    # The constant is read where the job runs, in its own module.
    monkeypatch.setattr(services.self_assessment, "BATCH_SIZE", 1)
    assert (
        services.self_assessments_mark_overdue(round=q1, today=SELF_DEADLINE + dt.timedelta(days=1))
        == 2
    )
