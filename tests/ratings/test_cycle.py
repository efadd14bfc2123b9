"""The county's calendar (SPEC §5): opening jobs, the daily job, run_cycle, queued opening.

Every job is run twice in these stories: the second run must change nothing.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal
from io import StringIO
from unittest import mock

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection, connections, transaction
from django.urls import reverse

from ratings import queue, rules, services, tasks
from ratings.models import (
    AssessmentStatus,
    Notice,
    Rating,
    RatingStatus,
    Rectification,
    RectificationStatus,
    Review,
    ReviewStatus,
    Round,
    SelfAssessment,
    StarChange,
)
from ratings.services import Refusal, cycle
from tests import factories as f
from tests.conftest import require_service
from tests.refusals import refused

D = dt.date


def run(job: str, day: str) -> str:
    out = StringIO()
    call_command("run_cycle", job, "--date", day, stdout=out)
    return out.getvalue()


def snapshot() -> tuple:
    """Everything the jobs may write, to show that a second run writes nothing."""
    return (
        list(Round.objects.order_by("pk").values_list("pk", "self_locked_at", "review_locked_at")),
        list(SelfAssessment.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        Round.history.count(),
        SelfAssessment.history.count(),
        list(Notice.objects.order_by("pk").values_list("pk", "user_id", "key")),
        list(Rectification.objects.order_by("pk").values_list("pk", "overdue_notified_at")),
        list(Rating.objects.order_by("pk").values_list("pk", "status")),
        StarChange.objects.count(),
    )


@pytest.fixture
def cast(settlement_a, settlement_b, official_a, official_b, assessor, assessor2, rubric):
    official_a.email = "official_a@example.com"
    official_a.save(update_fields=["email"])
    assessor.email = "assessor@example.com"
    assessor.save(update_fields=["email"])
    return settlement_a, settlement_b


@pytest.fixture
def q1_2031(cast) -> Round:
    report = cycle.quarterly_job(today=D(2031, 4, 1))
    assert report.created
    return report.round


def submit(settlement, rnd: Round) -> None:
    SelfAssessment.objects.filter(round=rnd, settlement=settlement).update(
        status=AssessmentStatus.SUBMITTED, score=Decimal("92.0"), star_applied=5
    )


def rated(settlement, rnd: Round, assessor, *, score: str, notice_ends_on: dt.date) -> Rating:
    """A county rating in its public notice period (built directly: only the cycle is under test)."""
    submit(settlement, rnd)
    assessment = SelfAssessment.objects.get(round=rnd, settlement=settlement)
    review = Review.objects.create(
        self_assessment=assessment,
        assessor=assessor,
        status=ReviewStatus.FINAL,
        score=Decimal(score),
    )
    stars = rules.star_level(Decimal(score))
    return Rating.objects.create(
        settlement=settlement,
        round=rnd,
        review=review,
        stage=rnd.stage,
        rubric=rnd.rubric,
        settlement_class=assessment.settlement_class,
        score=Decimal(score),
        awarded_stars=stars,
        stars=stars,
        notice_ends_on=notice_ends_on,
        decided_by=assessor,
    )


# ------------------------------------------------------------------- opening jobs


@pytest.mark.parametrize(
    ("job", "day", "year", "quarter", "stage"),
    [
        ("quarterly", "2031-04-01", 2031, 1, "initial"),
        ("semiannual", "2031-07-01", 2031, 2, "re"),
        ("quarterly", "2031-10-01", 2031, 3, "initial"),
        ("annual", "2032-01-01", 2031, 4, "final"),
    ],
)
def test_run_cycle_opens_the_quarter_just_ended(cast, job, day, year, quarter, stage):
    out = run(job, day)

    rnd = Round.objects.get()
    assert (rnd.year, rnd.quarter, rnd.stage) == (year, quarter, stage)
    assert rnd.opened_on == D.fromisoformat(day)
    assert rnd.opened_by is None
    assert SelfAssessment.objects.filter(round=rnd).count() == 2
    assert f"已开启{rnd}考评轮次" in out
    assert "生成 2 份乡镇自评" in out


def test_running_an_opening_job_twice_changes_nothing_the_second_time(cast):
    run("quarterly", "2031-04-01")
    before = snapshot()

    out = run("quarterly", "2031-04-01")

    assert snapshot() == before
    assert "2031年第1季度（初评）考评轮次已于2031年4月1日开启，未作改动" in out


@pytest.mark.parametrize(
    ("job", "day", "owner"),
    [
        ("quarterly", "2031-07-01", "半年任务"),
        ("quarterly", "2032-01-01", "年度任务"),
        ("semiannual", "2031-04-01", "季度任务"),
        ("semiannual", "2031-10-01", "季度任务"),
        ("annual", "2031-07-01", "半年任务"),
        ("annual", "2031-04-01", "季度任务"),
    ],
)
def test_opening_job_refuses_a_date_that_is_not_its_own(cast, job, day, owner):
    out = run(job, day)

    assert not Round.objects.exists()
    assert f"{day} 不是" in out
    assert f"属于{owner}" in out
    assert "未作任何改动" in out


def test_quarterly_on_1_july_opens_nothing(cast):
    report = cycle.quarterly_job(today=D(2031, 7, 1))
    assert report.refused
    assert (report.year, report.quarter) == (2031, 2)
    assert not Round.objects.exists()


def test_late_run_in_the_same_quarter_still_opens_its_round(cast):
    # A retried task or a backfill weeks later opens the round the job owns.
    report = cycle.quarterly_job(today=D(2031, 5, 20))
    assert (report.round.year, report.round.quarter, report.created) == (2031, 1, True)


@pytest.mark.parametrize(
    "bad", ["2031-13-01", "2031-02-30", "20310401", "yesterday", "1999-04-01", "2101-01-01"]
)
def test_bad_date_is_a_chinese_command_error(cast, bad):
    with pytest.raises(CommandError, match="日期"):
        run("quarterly", bad)
    assert not Round.objects.exists()


def test_opening_refused_by_the_service_is_a_command_error(cast):
    # No current rubric: the service refuses with its own Chinese message.
    with mock.patch.object(
        cycle,
        "round_open",
        side_effect=services.WorkflowError(
            "没有当前使用的评分细则。", code=Refusal.NO_CURRENT_RUBRIC
        ),
    ):
        with pytest.raises(CommandError, match="没有当前使用的评分细则"):
            run("quarterly", "2031-04-01")


# ----------------------------------------------------------------------- catch-up


def test_daily_job_opens_rounds_a_missed_beat_left_unopened(cast):
    report = cycle.daily_job(today=D(2031, 7, 15))

    assert [(r.year, r.quarter, r.stage) for r in report.opened] == [
        (2031, 1, "initial"),
        (2031, 2, "re"),
    ]
    assert Round.objects.count() == 2
    before = snapshot()
    again = cycle.daily_job(today=D(2031, 7, 15))
    assert again.opened == []
    assert snapshot() == before


def test_daily_job_in_january_catches_up_last_years_final_round_only(cast):
    cycle.daily_job(today=D(2031, 1, 10))
    assert list(Round.objects.values_list("year", "quarter", "stage")) == [(2030, 4, "final")]


def test_daily_job_after_the_beat_opened_the_round_opens_nothing_more(q1_2031):
    report = cycle.daily_job(today=D(2031, 4, 1))
    assert report.opened == []
    assert list(Round.objects.values_list("pk", flat=True)) == [q1_2031.pk]


# -------------------------------------------------------------------- reminders


def test_self_assessment_reminder_goes_once_three_days_before_the_deadline(
    q1_2031, settlement_b, official_a, official_b, township_a, django_capture_on_commit_callbacks
):
    colleague = f.official("official_a2", township_a)  # no e-mail address: notice only
    submit(settlement_b, q1_2031)  # township B has nothing outstanding
    deadline = q1_2031.self_deadline

    cycle.daily_job(today=deadline - dt.timedelta(days=4))
    assert not Notice.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        report = cycle.daily_job(today=deadline - dt.timedelta(days=3))

    notices = Notice.objects.order_by("user_id")
    assert [n.user for n in notices] == [official_a, colleague]
    assert "1 个聚居点的自评尚未提交" in notices[0].text
    assert notices[0].url == reverse("ratings:round", args=[q1_2031.pk])
    assert (report.reminders, report.emails) == (2, 1)
    assert [m.to for m in mail.outbox] == [["official_a@example.com"]]
    assert "自评截止提醒" in mail.outbox[0].subject

    for days_before in (3, 2, 0):
        with django_capture_on_commit_callbacks(execute=True):
            again = cycle.daily_job(today=deadline - dt.timedelta(days=days_before))
        assert again.reminders == 0
    assert Notice.objects.count() == 2
    assert len(mail.outbox) == 1
    assert not Notice.objects.filter(user=official_b).exists()


def test_no_reminder_when_every_settlement_has_submitted(q1_2031, settlement_a, settlement_b):
    submit(settlement_a, q1_2031)
    submit(settlement_b, q1_2031)
    cycle.daily_job(today=q1_2031.self_deadline - dt.timedelta(days=3))
    assert not Notice.objects.exists()


def test_review_reminder_goes_once_to_every_assessor(
    q1_2031, settlement_a, assessor, assessor2, django_capture_on_commit_callbacks
):
    submit(settlement_a, q1_2031)  # submitted, not yet reviewed
    day = q1_2031.review_deadline - dt.timedelta(days=3)

    with django_capture_on_commit_callbacks(execute=True):
        cycle.daily_job(today=day)
    with django_capture_on_commit_callbacks(execute=True):
        cycle.daily_job(today=day + dt.timedelta(days=1))

    review_notices = Notice.objects.filter(key__startswith="review-due:")
    assert sorted(n.user_id for n in review_notices) == [assessor.pk, assessor2.pk]
    assert "1 份已提交的自评未完成县级考评" in review_notices[0].text
    assert [m.to for m in mail.outbox if "县级考评截止提醒" in m.subject] == [
        ["assessor@example.com"]
    ]


def test_a_rolled_back_job_sends_no_e_mail(q1_2031, django_capture_on_commit_callbacks):
    day = q1_2031.self_deadline - dt.timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            cycle.self_assessment_reminders_send(today=day)
            raise RuntimeError("boom")
    assert not Notice.objects.exists()
    assert mail.outbox == []


# ---------------------------------------------------------------------- locking


def test_after_the_self_deadline_late_assessments_are_marked_and_the_step_locked_once(
    q1_2031, settlement_a, settlement_b
):
    submit(settlement_b, q1_2031)

    on_deadline = cycle.daily_job(today=q1_2031.self_deadline)
    assert on_deadline.self_locked == []
    assert Round.objects.get().self_locked_at is None

    report = cycle.daily_job(today=q1_2031.self_deadline + dt.timedelta(days=1))

    assert report.self_locked == [q1_2031]
    assert report.marked_overdue == 1
    statuses = dict(SelfAssessment.objects.values_list("settlement_id", "status"))
    assert statuses == {
        settlement_a.pk: AssessmentStatus.OVERDUE,
        settlement_b.pk: AssessmentStatus.SUBMITTED,
    }
    locked_at = Round.objects.get().self_locked_at
    assert locked_at is not None

    before = snapshot()
    again = cycle.daily_job(today=q1_2031.self_deadline + dt.timedelta(days=2))
    assert (again.self_locked, again.marked_overdue, again.changed) == ([], 0, False)
    assert snapshot() == before
    assert Round.objects.get().self_locked_at == locked_at


def test_a_second_worker_with_a_stale_round_locks_nothing(q1_2031):
    # Two workers load the round before either locks it; only one UPDATE wins.
    first, second = Round.objects.get(pk=q1_2031.pk), Round.objects.get(pk=q1_2031.pk)
    day = q1_2031.review_deadline + dt.timedelta(days=1)

    assert cycle.round_deadlines_apply(round=first, today=day)[1:] == (True, True)
    assert cycle.round_deadlines_apply(round=second, today=day) == (0, False, False)


def test_after_the_review_deadline_the_review_step_is_locked_once(q1_2031):
    report = cycle.daily_job(today=q1_2031.review_deadline + dt.timedelta(days=1))
    assert report.review_locked == [q1_2031]
    assert Round.objects.get().review_locked_at is not None

    again = cycle.daily_job(today=q1_2031.review_deadline + dt.timedelta(days=2))
    assert again.review_locked == []


# ------------------------------------------------------------ notices and orders


def test_daily_job_makes_ratings_take_effect_when_the_notice_period_ends(
    q1_2031, settlement_a, assessor
):
    rating = rated(settlement_a, q1_2031, assessor, score="92.0", notice_ends_on=D(2031, 4, 20))

    cycle.daily_job(today=D(2031, 4, 20))
    rating.refresh_from_db()
    assert rating.status == RatingStatus.NOTICE

    report = cycle.daily_job(today=D(2031, 4, 21))
    rating.refresh_from_db()
    settlement_a.refresh_from_db()
    assert report.took_effect == 1
    assert rating.status == RatingStatus.EFFECTIVE
    assert settlement_a.current_star == 5

    changes = StarChange.objects.count()
    again = cycle.daily_job(today=D(2031, 4, 22))
    assert again.took_effect == 0
    assert StarChange.objects.count() == changes


def test_overdue_rectification_is_reported_to_assessors_once(
    q1_2031, settlement_a, assessor, assessor2, django_capture_on_commit_callbacks
):
    rating = rated(settlement_a, q1_2031, assessor, score="85.0", notice_ends_on=D(2031, 4, 20))
    order = Rectification.objects.create(
        settlement=settlement_a,
        rating=rating,
        trigger="得分下降",
        status=RectificationStatus.ISSUED,
        requirements="整改环境卫生",
        deadline=D(2031, 6, 30),
        issued_by=assessor,
    )
    answered = Rectification.objects.create(
        settlement=settlement_a,
        rating=rating,
        trigger="得分下降",
        status=RectificationStatus.ANSWERED,
        requirements="整改",
        deadline=D(2031, 6, 1),
        issued_by=assessor,
        answer="已整改",
    )

    with django_capture_on_commit_callbacks(execute=True):
        on_deadline = cycle.daily_job(today=D(2031, 6, 30))
    assert on_deadline.rectifications_overdue == 0

    with django_capture_on_commit_callbacks(execute=True):
        report = cycle.daily_job(today=D(2031, 7, 1))
    assert report.rectifications_overdue == 1
    order.refresh_from_db()
    assert order.overdue_notified_at is not None
    notices = Notice.objects.filter(key=f"rectification-overdue:{order.pk}")
    assert sorted(n.user_id for n in notices) == [assessor.pk, assessor2.pk]
    assert notices[0].url == order.get_absolute_url()
    assert "幸福苑的限期整改已于2031年6月30日到期" in notices[0].text
    overdue_mail = [m.to for m in mail.outbox if "整改逾期提醒" in m.subject]
    assert overdue_mail == [["assessor@example.com"]]
    assert not Notice.objects.filter(key=f"rectification-overdue:{answered.pk}").exists()

    with django_capture_on_commit_callbacks(execute=True):
        again = cycle.daily_job(today=D(2031, 7, 2))
    assert again.rectifications_overdue == 0
    assert notices.count() == 2
    assert len([m for m in mail.outbox if "整改逾期提醒" in m.subject]) == 1


def test_run_cycle_daily_prints_what_it_did_in_chinese(q1_2031):
    out = run("daily", (q1_2031.self_deadline + dt.timedelta(days=1)).isoformat())
    assert "每日任务" in out
    assert "自评已截止并锁定" in out
    assert "标记逾期未报的自评：2 份" in out

    again = run("daily", (q1_2031.self_deadline + dt.timedelta(days=1)).isoformat())
    assert "没有需要处理的事项，未作改动" in again


# ----------------------------------------------------------------------- tasks


def test_tasks_take_a_date_string_and_call_the_job(cast):
    tasks.annual_job("2032-01-01")
    assert list(Round.objects.values_list("year", "quarter", "stage")) == [(2031, 4, "final")]


def test_task_retries_a_transient_database_error(cast):
    real = cycle.semiannual_job
    calls = []

    def flaky(*, today):
        calls.append(today)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(today=today)

    with mock.patch.object(cycle, "semiannual_job", side_effect=flaky):
        tasks.semiannual_job.apply(args=["2031-07-01"])
    assert calls == [D(2031, 7, 1), D(2031, 7, 1)]
    assert Round.objects.get().stage == "re"


# --------------------------------------------------------- opening from the admin


def test_round_open_queue_sends_the_task_only_after_commit(
    secretary, rubric, django_capture_on_commit_callbacks
):
    with mock.patch.object(queue, "round_open") as delay:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with transaction.atomic():
                assert (
                    services.round_open_queue(year=2031, quarter=1, by=secretary, allow_early=True)
                    is True
                )
                delay.assert_not_called()
    assert len(callbacks) == 1
    delay.assert_called_once_with(year=2031, quarter=1, by_id=secretary.pk, allow_early=True)


def test_a_rolled_back_transaction_queues_nothing(
    secretary, rubric, django_capture_on_commit_callbacks
):
    with mock.patch.object(queue, "round_open") as delay:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(RuntimeError), transaction.atomic():
                services.round_open_queue(year=2031, quarter=1, by=secretary, allow_early=True)
                raise RuntimeError("the admin action failed after queuing")
    assert callbacks == []
    delay.assert_not_called()


def test_round_open_queue_is_a_no_op_for_an_open_round(
    q1_2031, secretary, django_capture_on_commit_callbacks
):
    with mock.patch.object(queue, "round_open") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            assert services.round_open_queue(year=2031, quarter=1, by=secretary) is False
    delay.assert_not_called()


@pytest.mark.parametrize("who", ["official_a", "assessor"])
def test_only_the_secretary_may_queue_a_round(
    request, who, rubric, django_capture_on_commit_callbacks
):
    user = request.getfixturevalue(who)
    with mock.patch.object(queue, "round_open") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            with refused(services.WorkflowError, Refusal.NOT_SECRETARY):
                services.round_open_queue(year=2031, quarter=1, by=user)
    delay.assert_not_called()


def test_the_queued_task_name_is_a_task_the_worker_knows():
    from config.celery import app as celery_app

    celery_app.loader.import_default_modules()
    assert queue.ROUND_OPEN_TASK in celery_app.tasks
    assert tasks.round_open_task.name == queue.ROUND_OPEN_TASK


def test_services_never_import_the_tasks():
    # Tasks import services; the reverse would bring back the import cycle. A fresh
    # interpreter shows what importing the services pulls in.
    import subprocess
    import sys

    code = (
        "import django, sys; django.setup(); import ratings.services, ratings.queue; "
        "print(sorted(m for m in sys.modules if m.endswith('.tasks') and m.split('.')[0] in "
        "('ratings', 'rewards', 'settlements')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_round_open_task_opens_the_round_as_the_secretary(cast, secretary):
    year, quarter = 2026, 1
    tasks.round_open_task(year, quarter, secretary.pk)
    rnd = Round.objects.get()
    assert (rnd.year, rnd.quarter, rnd.opened_by) == (year, quarter, secretary)


# ------------------------------------------------------- two workers at once (PostgreSQL)


def race(calls):
    """Run the calls at the same instant, one thread (and database connection) each."""
    barrier = threading.Barrier(len(calls))
    results, errors, lock = [], [], threading.Lock()

    def run_one(call):
        try:
            barrier.wait()
            value = call()
            with lock:
                results.append(value)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run_one, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a worker is stuck (deadlock?)"
    return results, errors


@pytest.fixture
def on_postgres():
    require_service(
        "PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL to a PostgreSQL database"
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_running_the_daily_job_at_once_lock_and_remind_once(
    on_postgres, cast, monkeypatch
):
    rnd = cycle.quarterly_job(today=D(2031, 4, 1)).round
    real_mark = services.self_assessments_mark_overdue

    def slow_mark(**kwargs):
        marked = real_mark(**kwargs)
        time.sleep(0.3)  # both workers are between marking and locking
        return marked

    monkeypatch.setattr(cycle, "self_assessments_mark_overdue", slow_mark)
    day_after = rnd.self_deadline + dt.timedelta(days=1)
    reports, errors = race([lambda: cycle.daily_job(today=day_after)] * 3)

    assert errors == []
    assert sorted(len(r.self_locked) for r in reports) == [0, 0, 1]
    assert sum(r.marked_overdue for r in reports) == 2
    assert SelfAssessment.objects.filter(status=AssessmentStatus.OVERDUE).count() == 2

    reminder_day = rnd.review_deadline - dt.timedelta(days=3)
    submit(cast[0], rnd)
    reports, errors = race([lambda: cycle.daily_job(today=reminder_day)] * 3)
    assert errors == []
    assert Notice.objects.filter(key__startswith="review-due:").count() == 2  # assessor, assessor2
    assert sum(r.reminders for r in reports) == 2
    assert len([m for m in mail.outbox if "县级考评截止提醒" in m.subject]) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_running_the_quarterly_job_at_once_open_one_round(on_postgres, cast):
    reports, errors = race([lambda: cycle.quarterly_job(today=D(2031, 4, 1))] * 3)

    assert errors == []
    assert sorted(r.created for r in reports) == [False, False, True]
    assert Round.objects.count() == 1
    assert SelfAssessment.objects.count() == 2
