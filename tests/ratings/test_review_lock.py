"""Steps lock: after its deadline a county review is neither saved nor finalised, except
through an explicit, recorded reopening (the secretary's extension of one review or of the
round, an upheld objection).

The story's Q1 2031 round (tests/ratings/workflow.py) opens 04-01 and its county review
closes on 2031-05-01 (30 days, the county's default).
"""

from __future__ import annotations

import datetime as dt

import pytest

from ratings import services
from ratings.models import (
    Evidence,
    ObjectionOutcome,
    ReopeningKind,
    Review,
    ReviewReopening,
    ReviewStatus,
    SelfAssessment,
)
from ratings.services import Refusal
from settlements.models import CountySettings
from tests.ratings.workflow import (
    PNG,
    REVIEW_DAY,
    assessment_of,
    finalise,
    fresh,
    items_by_code,
    review,
    self_submit,
)
from tests.refusals import refused

pytestmark = pytest.mark.django_db

DEADLINE = dt.date(2031, 5, 1)
DAY_AFTER = dt.date(2031, 5, 2)


@pytest.fixture
def submitted_b(q1_sa_b, official_b):
    return self_submit(q1_sa_b, official_b, {"ZZ02": 1}, star=5)


def extend(
    sa, by, until=dt.date(2031, 5, 10), reason="暴雨冲毁道路，考评组未能按期到场", today=DAY_AFTER
):
    return services.review_deadline_extend(
        assessment=fresh(sa), open_until=until, reason=reason, by=by, today=today
    )


# ------------------------------------------------------------------ the lock itself


def test_q1_review_deadline_is_the_rounds(q1):
    assert q1.review_deadline == DEADLINE


def test_review_saves_on_its_last_day_and_is_refused_the_day_after(q1_submitted_a, assessor):
    saved = review(q1_submitted_a, assessor, {"ZZ02": 2}, today=DEADLINE)
    assert saved.version == 1
    with refused(services.WorkflowError, Refusal.REVIEW_DEADLINE_PASSED):
        review(q1_submitted_a, assessor, {"ZZ02": 3}, today=DAY_AFTER)
    stored = Review.objects.get()
    assert stored.version == 1 and stored.items.get(item__code="ZZ02").occurrences == 2


def test_first_save_after_the_deadline_creates_no_review(q1_submitted_a, assessor):
    with refused(services.WorkflowError, Refusal.REVIEW_DEADLINE_PASSED):
        review(q1_submitted_a, assessor, {"ZZ02": 2}, today=DAY_AFTER)
    assert not Review.objects.exists()


def test_finalising_is_refused_after_the_deadline(q1_submitted_a, assessor):
    saved = review(q1_submitted_a, assessor, {"ZZ02": 2, "HJ01": 1})
    with refused(services.WorkflowError, Refusal.REVIEW_DEADLINE_PASSED):
        services.review_finalise(review=saved, by=assessor, today=DAY_AFTER)
    assert fresh(saved).status == ReviewStatus.DRAFT
    rating = services.review_finalise(review=saved, by=assessor, today=DEADLINE)
    assert rating.finalised_on == DEADLINE


def test_county_photos_lock_with_the_review(q1_submitted_a, assessor):
    from django.core.files.uploadedfile import SimpleUploadedFile

    def add(today):
        return services.evidence_add(
            by=assessor,
            file=SimpleUploadedFile("现场.png", PNG, content_type="image/png"),
            side=Evidence.SIDE_COUNTY,
            assessment=q1_submitted_a,
            today=today,
        )

    add(DEADLINE)
    with refused(services.WorkflowError, Refusal.REVIEW_DEADLINE_PASSED):
        add(DAY_AFTER)
    assert Evidence.objects.filter(side=Evidence.SIDE_COUNTY).count() == 1


def test_review_lock_says_why(q1_submitted_a):
    sa = fresh(q1_submitted_a)
    assert services.review_lock(sa, DEADLINE) is None
    lock = services.review_lock(sa, DAY_AFTER)
    assert lock is not None and lock.code == Refusal.REVIEW_DEADLINE_PASSED


# ------------------------------------------------------- the secretary extends one review


def test_secretary_extends_one_review_with_a_recorded_reason(
    q1_submitted_a, submitted_b, assessor, secretary
):
    reopening = extend(q1_submitted_a, secretary)
    assert (reopening.kind, reopening.open_until, reopening.by, reopening.objection) == (
        ReopeningKind.EXTENSION,
        dt.date(2031, 5, 10),
        secretary,
        None,
    )
    assert reopening.reason == "暴雨冲毁道路，考评组未能按期到场" and reopening.at is not None
    deadline = services.review_deadline_of(fresh(q1_submitted_a))
    assert (deadline.date, deadline.reopening) == (dt.date(2031, 5, 10), reopening)

    review(q1_submitted_a, assessor, {"ZZ02": 2}, today=dt.date(2031, 5, 10))
    with refused(services.WorkflowError, Refusal.REVIEW_DEADLINE_PASSED):
        review(q1_submitted_a, assessor, {"ZZ02": 3}, today=dt.date(2031, 5, 11))
    # Only that review: township B's stays locked on the round's deadline.
    with refused(services.WorkflowError, Refusal.REVIEW_DEADLINE_PASSED):
        review(submitted_b, assessor, {"ZZ02": 1}, today=DAY_AFTER)


@pytest.mark.parametrize("who", ["assessor", "official_a", "official_b"])
def test_only_the_secretary_extends_a_review(request, q1_submitted_a, who):
    with refused(services.WorkflowPermissionDenied, Refusal.NOT_SECRETARY):
        extend(q1_submitted_a, request.getfixturevalue(who))
    assert not ReviewReopening.objects.exists()


def test_an_extension_needs_a_reason(q1_submitted_a, secretary):
    with refused(services.WorkflowError, Refusal.REQUIRED, field="reason"):
        extend(q1_submitted_a, secretary, reason="  ")
    assert not ReviewReopening.objects.exists()


def test_an_extension_must_be_later_than_the_current_deadline(q1_submitted_a, secretary):
    with refused(services.WorkflowError, Refusal.REVIEW_EXTENSION_NOT_LATER, field="open_until"):
        extend(q1_submitted_a, secretary, until=DEADLINE, today=dt.date(2031, 4, 20))
    assert extend(q1_submitted_a, secretary, until=DAY_AFTER, today=dt.date(2031, 4, 20))
    with refused(services.WorkflowError, Refusal.REVIEW_EXTENSION_NOT_LATER):
        extend(q1_submitted_a, secretary, until=DAY_AFTER, reason="再次延长", today=DAY_AFTER)


def test_an_extension_cannot_end_in_the_past(q1_submitted_a, secretary):
    with refused(services.WorkflowError, Refusal.DEADLINE_IN_PAST, field="open_until"):
        extend(q1_submitted_a, secretary, until=dt.date(2031, 5, 9), today=dt.date(2031, 5, 10))
    assert extend(q1_submitted_a, secretary, until=dt.date(2031, 5, 10), today=dt.date(2031, 5, 10))


def test_the_same_extension_posted_twice_is_recorded_once(q1_submitted_a, secretary):
    first = extend(q1_submitted_a, secretary)
    assert extend(q1_submitted_a, secretary) == first
    assert ReviewReopening.objects.count() == 1


def test_a_finalised_review_is_not_extended(q1_notice_a, secretary):
    with refused(services.WorkflowError, Refusal.REVIEW_FINAL):
        extend(q1_notice_a.review.self_assessment, secretary)


# -------------------------------------------------------------- the round is extended


def move_review_deadline(rnd, secretary, review_deadline, today=DAY_AFTER):
    return services.round_deadlines_change(
        round=rnd,
        by=secretary,
        self_deadline=rnd.self_deadline,
        review_deadline=review_deadline,
        reason="全县防汛，考评顺延",
        today=today,
    )


def test_an_extended_round_reopens_every_review_until_its_new_deadline(
    q1, q1_submitted_a, assessor, secretary
):
    with refused(services.WorkflowError, Refusal.REVIEW_DEADLINE_PASSED):
        review(q1_submitted_a, assessor, {"ZZ02": 2}, today=DAY_AFTER)
    move_review_deadline(q1, secretary, dt.date(2031, 5, 20))
    review(q1_submitted_a, assessor, {"ZZ02": 2}, today=dt.date(2031, 5, 20))
    with refused(services.WorkflowError, Refusal.REVIEW_DEADLINE_PASSED):
        review(q1_submitted_a, assessor, {"ZZ02": 3}, today=dt.date(2031, 5, 21))
    entry = fresh(q1).history.first()
    assert (entry.history_user, entry.history_change_reason) == (
        secretary,
        "修改截止日期：全县防汛，考评顺延",
    )


def test_extending_only_the_review_step_leaves_self_assessments_alone(q1, q1_sa_b, secretary):
    before = SelfAssessment.history.count()
    move_review_deadline(q1, secretary, dt.date(2031, 5, 20))
    assert SelfAssessment.history.count() == before


# --------------------------------------------------------- send-back inside the deadline


def send_back(sa, by, deadline, today=dt.date(2031, 4, 20)):
    return services.self_assessment_send_back(
        assessment=fresh(sa),
        by=by,
        item_ids=[items_by_code(sa.rubric)["ZZ02"].pk],
        reason="照片不清晰",
        deadline=deadline,
        today=today,
    )


def test_send_back_deadline_falls_before_the_review_deadline(q1_submitted_a, assessor):
    with refused(services.WorkflowError, Refusal.SEND_BACK_AFTER_REVIEW_DEADLINE, field="deadline"):
        send_back(q1_submitted_a, assessor, DEADLINE)
    assert send_back(q1_submitted_a, assessor, dt.date(2031, 4, 30)).deadline == dt.date(
        2031, 4, 30
    )


def test_send_back_uses_the_extended_round_deadline(q1, q1_submitted_a, assessor, secretary):
    with refused(services.WorkflowError, Refusal.SEND_BACK_AFTER_REVIEW_DEADLINE):
        send_back(q1_submitted_a, assessor, dt.date(2031, 5, 19))
    move_review_deadline(q1, secretary, dt.date(2031, 5, 20), today=dt.date(2031, 4, 20))
    with refused(services.WorkflowError, Refusal.SEND_BACK_AFTER_REVIEW_DEADLINE):
        send_back(q1_submitted_a, assessor, dt.date(2031, 5, 20))
    assert send_back(q1_submitted_a, assessor, dt.date(2031, 5, 19)).status == "returned"


def test_send_back_uses_one_reviews_extension(q1_submitted_a, assessor, secretary):
    extend(q1_submitted_a, secretary, until=dt.date(2031, 5, 10), today=dt.date(2031, 4, 20))
    with refused(services.WorkflowError, Refusal.SEND_BACK_AFTER_REVIEW_DEADLINE):
        send_back(q1_submitted_a, assessor, dt.date(2031, 5, 10))
    assert send_back(q1_submitted_a, assessor, dt.date(2031, 5, 9)).deadline == dt.date(2031, 5, 9)


# ----------------------------------------------------------- an upheld objection reopens


def uphold(rating, by, today):
    objection = services.objection_file(
        rating=rating, by=by, filed_by_name="王五", text="垃圾堆放未计入", today=today
    )
    return services.objection_decide(
        objection=objection,
        by=by,
        outcome=ObjectionOutcome.UPHELD,
        reasons="核实属实，须重新考评",
        today=today,
    )


def test_an_upheld_objection_reopens_its_review_with_its_own_deadline(
    q1, q1_sa_a, official_a, assessor, assessor2
):
    # Finalised on the round's last day; the objection is heard after the round has closed.
    sa = self_submit(q1_sa_a, official_a, {"ZZ02": 2}, star=5)
    rating = finalise(sa, assessor, {"ZZ02": 2}, today=DEADLINE)
    heard_on = dt.date(2031, 5, 6)
    objection = uphold(rating, assessor2, heard_on)

    reopening = ReviewReopening.objects.get()
    assert (reopening.kind, reopening.objection, reopening.by) == (
        ReopeningKind.OBJECTION,
        objection,
        assessor2,
    )
    assert reopening.open_until == heard_on + dt.timedelta(days=15)  # the county's default
    assert reopening.reason == "核实属实，须重新考评"
    assert fresh(rating.review).history.first().history_change_reason == (
        "异议成立，重新考评（至2031-05-21）"
    )

    review(sa, assessor, {"ZZ02": 4}, today=dt.date(2031, 5, 21))
    with refused(services.WorkflowError, Refusal.REVIEW_DEADLINE_PASSED):
        review(sa, assessor, {"ZZ02": 5}, today=dt.date(2031, 5, 22))
    again = services.review_finalise(
        review=Review.objects.get(), by=assessor, today=dt.date(2031, 5, 21)
    )
    assert again.pk == rating.pk and again.status == "notice"


def test_the_reopening_days_are_the_countys_setting(q1_notice_a, assessor2):
    CountySettings.objects.update_or_create(singleton=1, defaults={"objection_review_days": 3})
    uphold(q1_notice_a, assessor2, REVIEW_DAY)
    assert ReviewReopening.objects.get().open_until == dt.date(2031, 4, 18)
    # Three days from 04-15 end before the round's own deadline: the round's still counts.
    sa = assessment_of(q1_notice_a.round, q1_notice_a.settlement)
    assert services.review_deadline_of(sa) == services.ReviewDeadline(DEADLINE, None)


def test_a_rejected_objection_reopens_nothing(q1_notice_a, assessor2):
    objection = services.objection_file(
        rating=q1_notice_a, by=assessor2, filed_by_name="王五", text="不服", today=REVIEW_DAY
    )
    services.objection_decide(
        objection=objection, by=assessor2, outcome=ObjectionOutcome.REJECTED, reasons="不属实"
    )
    assert not ReviewReopening.objects.exists()
