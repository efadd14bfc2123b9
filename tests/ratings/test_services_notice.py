"""Public notice (公示), objections (异议), taking effect and certificates (命名授牌)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from ratings import services
from ratings.models import Certificate, Objection, Rating, Review, StarChange
from ratings.services import Refusal
from ratings.signals import rating_took_effect
from tests.ratings.workflow import (
    AFTER_NOTICE,
    NOTICE_ENDS,
    REVIEW_DAY,
    assessment_of,
    finalise,
    fresh,
    review,
    self_submit,
)
from tests.refusals import refused


def file_objection(rating, by, today=REVIEW_DAY, text="卫生检查时有垃圾堆放未计入"):
    return services.objection_file(
        rating=rating, by=by, filed_by_name="王五", text=text, today=today
    )


@pytest.fixture
def received():
    """Signals received: (signal name, rating_id)."""
    calls = []

    def receiver(sender, rating_id, **kwargs):
        calls.append(rating_id)

    rating_took_effect.connect(receiver, dispatch_uid="test-took-effect")
    yield calls
    rating_took_effect.disconnect(dispatch_uid="test-took-effect")


# --------------------------------------------------------------------- objections


@pytest.mark.parametrize("who", ["assessor", "assessor2", "official_a", "secretary"])
def test_objection_recorded_during_notice(request, q1_notice_a, who):
    by = request.getfixturevalue(who)
    objection = file_objection(q1_notice_a, by, today=NOTICE_ENDS)  # the last day still counts
    assert (objection.outcome, objection.recorded_by, objection.reviewed_by) == (
        "pending",
        by,
        q1_notice_a.review.assessor,
    )
    assert objection.history.first().history_user == by


def test_outsider_official_cannot_file_an_objection(q1_notice_a, official_b):
    with pytest.raises(services.WorkflowPermissionDenied):
        file_objection(q1_notice_a, official_b)
    assert not Objection.objects.exists()


def test_objection_after_the_notice_window_is_refused(q1_notice_a, assessor2):
    with refused(services.WorkflowError, Refusal.NOTICE_OVER):
        file_objection(q1_notice_a, assessor2, today=NOTICE_ENDS + dt.timedelta(days=1))


def test_objection_on_an_effective_rating_is_refused(q1_effective_a, assessor2):
    with refused(services.WorkflowError, Refusal.NOT_IN_NOTICE):
        file_objection(q1_effective_a, assessor2, today=REVIEW_DAY)


def test_objection_needs_a_name_and_text(q1_notice_a, assessor2):
    with refused(services.WorkflowError, Refusal.REQUIRED, field="filed_by_name"):
        services.objection_file(
            rating=q1_notice_a, by=assessor2, filed_by_name=" ", text="x", today=REVIEW_DAY
        )
    with refused(services.WorkflowError, Refusal.REQUIRED, field="text"):
        services.objection_file(
            rating=q1_notice_a, by=assessor2, filed_by_name="王五", text="", today=REVIEW_DAY
        )


def test_the_same_objection_posted_twice_is_recorded_once(q1_notice_a, assessor2):
    first = file_objection(q1_notice_a, assessor2)
    assert file_objection(q1_notice_a, assessor2).pk == first.pk
    assert Objection.objects.count() == 1


def test_reviewing_assessor_cannot_hear_the_objection(q1_notice_a, assessor, assessor2):
    objection = file_objection(q1_notice_a, assessor2)
    with refused(services.WorkflowPermissionDenied, Refusal.REVIEWER_MAY_NOT_HEAR):
        services.objection_decide(
            objection=objection, by=assessor, outcome="rejected", reasons="维持"
        )
    assert fresh(objection).outcome == "pending"


def test_database_also_refuses_a_self_hearing(q1_notice_a, assessor, assessor2):
    objection = file_objection(q1_notice_a, assessor2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Objection.objects.filter(pk=objection.pk).update(heard_by=assessor)


def test_anyone_who_edited_the_review_cannot_hear_it(
    q1_submitted_a, assessor, assessor2, secretary
):
    review(q1_submitted_a, assessor, {"ZZ02": 2, "HJ01": 1})
    rating = finalise(
        q1_submitted_a, assessor2, {"ZZ02": 2, "HJ01": 1}
    )  # assessor2 edits and finalises
    objection = file_objection(rating, secretary)
    for participant in (assessor, assessor2):
        with pytest.raises(services.WorkflowPermissionDenied):
            services.objection_decide(
                objection=objection, by=participant, outcome="rejected", reasons="维持"
            )
    decided = services.objection_decide(
        objection=objection, by=secretary, outcome="rejected", reasons="维持"
    )
    assert decided.heard_by == secretary


@pytest.mark.parametrize("who", ["official_a", "official_b"])
def test_officials_cannot_hear_objections(request, q1_notice_a, assessor2, who):
    objection = file_objection(q1_notice_a, assessor2)
    with pytest.raises(services.WorkflowPermissionDenied):
        services.objection_decide(
            objection=objection, by=request.getfixturevalue(who), outcome="rejected", reasons="x"
        )


def test_rejected_objection_keeps_the_rating_and_it_takes_effect(
    q1_notice_a, assessor2, settlement_a
):
    objection = file_objection(q1_notice_a, assessor2)
    with refused(services.WorkflowError, Refusal.OBJECTION_PENDING):
        services.rating_take_effect(rating=q1_notice_a, today=AFTER_NOTICE)

    decided = services.objection_decide(
        objection=objection, by=assessor2, outcome="rejected", reasons="经核实，扣分无误"
    )
    assert (decided.outcome, decided.heard_by, decided.reasons) == (
        "rejected",
        assessor2,
        "经核实，扣分无误",
    )
    assert decided.decided_at is not None
    assert decided.history.first().history_user == assessor2
    assert fresh(q1_notice_a).status == "notice"

    assert services.rating_take_effect(rating=q1_notice_a, today=AFTER_NOTICE) is True
    settlement_a.refresh_from_db()
    assert settlement_a.current_star == 5


def test_decision_needs_reasons_and_a_valid_outcome(q1_notice_a, assessor2):
    objection = file_objection(q1_notice_a, assessor2)
    with refused(services.WorkflowError, Refusal.REQUIRED, field="reasons"):
        services.objection_decide(
            objection=objection, by=assessor2, outcome="rejected", reasons=" "
        )
    with refused(services.WorkflowError, Refusal.BAD_OUTCOME):
        services.objection_decide(objection=objection, by=assessor2, outcome="pending", reasons="x")


def test_decided_objection_cannot_change_outcome(q1_notice_a, assessor2):
    objection = file_objection(q1_notice_a, assessor2)
    services.objection_decide(objection=objection, by=assessor2, outcome="rejected", reasons="维持")
    again = services.objection_decide(
        objection=objection, by=assessor2, outcome="rejected", reasons="维持"
    )
    assert again.outcome == "rejected"
    with refused(services.WorkflowError, Refusal.ALREADY_DECIDED):
        services.objection_decide(
            objection=objection, by=assessor2, outcome="upheld", reasons="改判"
        )


def test_upheld_objection_overturns_the_rating_and_reopens_the_review(
    q1_notice_a, assessor, assessor2, secretary, settlement_a
):
    objection = file_objection(q1_notice_a, assessor2)
    services.objection_decide(
        objection=objection, by=assessor2, outcome="upheld", reasons="垃圾堆放属实，应扣分"
    )

    rating = fresh(q1_notice_a)
    assert rating.status == "overturned"
    assert rating.history.first().history_user == assessor2
    change = StarChange.objects.filter(rating=rating).order_by("pk").last()
    assert (change.kind, change.from_stars, change.to_stars) == ("objection", 5, 0)
    reopened = Review.objects.get(pk=rating.review_id)
    assert (reopened.status, reopened.finalised_at) == ("draft", None)
    with refused(services.WorkflowError, Refusal.RATING_OVERTURNED):
        services.rating_take_effect(rating=rating, today=AFTER_NOTICE)
    settlement_a.refresh_from_db()
    assert settlement_a.current_star == 0

    # The county re-reviews (the hearing assessor here); the same rating row is noticed again.
    sa = reopened.self_assessment
    again = finalise(sa, assessor2, {"ZZ02": 2, "HJ01": 4}, today=dt.date(2031, 4, 24))
    assert again.pk == rating.pk
    assert (again.status, again.score, again.stars, again.decided_by) == (
        "notice",
        Decimal("94.0"),
        5,
        assessor2,
    )
    assert again.notice_ends_on == dt.date(2031, 5, 1)
    # Everyone who did either review is now excluded from hearing a new objection.
    new_objection = file_objection(again, secretary, today=dt.date(2031, 4, 25), text="仍有异议")
    with pytest.raises(services.WorkflowPermissionDenied):
        services.objection_decide(
            objection=new_objection, by=assessor2, outcome="rejected", reasons="x"
        )
    with pytest.raises(services.WorkflowPermissionDenied):
        services.objection_decide(
            objection=new_objection, by=assessor, outcome="rejected", reasons="x"
        )
    services.objection_decide(
        objection=new_objection, by=secretary, outcome="rejected", reasons="维持复核结果"
    )
    assert services.rating_take_effect(rating=again, today=dt.date(2031, 5, 2)) is True


# ------------------------------------------------------------------- taking effect


@pytest.mark.parametrize("today", [REVIEW_DAY, NOTICE_ENDS])
def test_take_effect_before_the_notice_ends_is_refused(q1_notice_a, today):
    with refused(services.WorkflowError, Refusal.NOTICE_NOT_OVER):
        services.rating_take_effect(rating=q1_notice_a, today=today)
    assert fresh(q1_notice_a).status == "notice"


def test_take_effect_updates_the_settlement_and_history(q1_notice_a, settlement_a, assessor):
    assert services.rating_take_effect(rating=q1_notice_a, by=assessor, today=AFTER_NOTICE) is True

    rating = fresh(q1_notice_a)
    assert rating.status == "effective"
    assert rating.effective_at is not None
    latest = rating.history.first()
    assert (latest.status, latest.history_user, latest.history_change_reason) == (
        "effective",
        assessor,
        "公示期满生效",
    )
    settlement_a.refresh_from_db()
    assert (settlement_a.current_star, settlement_a.current_score) == (5, Decimal("97.0"))
    assert settlement_a.history.first().history_user == assessor
    change = StarChange.objects.get(rating=rating, kind="effective")
    assert (change.from_stars, change.to_stars, change.by) == (0, 5, assessor)


def test_take_effect_is_idempotent(q1_notice_a, settlement_a):
    assert services.rating_take_effect(rating=q1_notice_a, today=AFTER_NOTICE) is True
    counts = (StarChange.objects.count(), Rating.history.count(), settlement_a.history.count())

    assert (
        services.rating_take_effect(rating=q1_notice_a, today=AFTER_NOTICE + dt.timedelta(days=1))
        is False
    )

    assert (
        StarChange.objects.count(),
        Rating.history.count(),
        settlement_a.history.count(),
    ) == counts


@pytest.mark.parametrize("who", ["official_a", "official_b"])
def test_officials_cannot_make_a_rating_take_effect(request, q1_notice_a, who):
    with pytest.raises(services.WorkflowPermissionDenied):
        services.rating_take_effect(
            rating=q1_notice_a, by=request.getfixturevalue(who), today=AFTER_NOTICE
        )


def test_took_effect_signal_is_sent_on_commit_only(
    q1_notice_a, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.rating_take_effect(rating=q1_notice_a, today=AFTER_NOTICE)
    assert received == []  # not before the commit
    for callback in callbacks:
        callback()
    assert received == [q1_notice_a.pk]


def test_no_signal_when_take_effect_is_refused_or_repeated(
    q1_notice_a, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(services.WorkflowError):
        services.rating_take_effect(rating=q1_notice_a, today=NOTICE_ENDS)
    assert received == []
    with django_capture_on_commit_callbacks(execute=True):
        services.rating_take_effect(rating=q1_notice_a, today=AFTER_NOTICE)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.rating_take_effect(rating=q1_notice_a, today=AFTER_NOTICE)
    assert callbacks == []
    assert received == [q1_notice_a.pk]


def test_take_effect_due_handles_every_ended_notice_once(
    q1_sa_a, q1_sa_b, official_a, official_b, assessor, assessor2
):
    rating_a = finalise(self_submit(q1_sa_a, official_a), assessor)
    rating_b = finalise(self_submit(q1_sa_b, official_b), assessor)
    file_objection(rating_b, assessor2)

    assert services.ratings_take_effect_due(today=NOTICE_ENDS) == 0
    assert services.ratings_take_effect_due(today=AFTER_NOTICE) == 1
    assert services.ratings_take_effect_due(today=AFTER_NOTICE) == 0
    assert (fresh(rating_a).status, fresh(rating_b).status) == ("effective", "notice")
    assert fresh(rating_a).history.first().history_user is None


# ---------------------------------------------------------------------- certificates


def _rate_in_round(rnd, settlement, official, assessor, counts=None):
    sa = assessment_of(rnd, settlement)
    day = rnd.opened_on
    submitted = self_submit(sa, official, counts or {}, today=day)
    rating = finalise(submitted, assessor, counts or {}, today=day)
    assert services.rating_take_effect(
        rating=rating, today=rating.notice_ends_on + dt.timedelta(days=1)
    )
    return fresh(rating)


@pytest.fixture
def q4(secretary, rubric, settlement_a, settlement_b):
    return services.round_open(year=2031, quarter=4, by=secretary, today=dt.date(2032, 1, 1))[0]


def test_final_rating_with_stars_gets_a_numbered_certificate(
    q4, settlement_a, settlement_b, official_a, official_b, assessor
):
    rating_a = _rate_in_round(q4, settlement_a, official_a, assessor)  # 100 → 5★
    rating_b = _rate_in_round(
        q4, settlement_b, official_b, assessor, {"ZZ01": 2, "HJ01": 5}
    )  # 85 → 4★

    cert_a = Certificate.objects.get(rating=rating_a)
    assert (cert_a.number, cert_a.year, cert_a.stars, cert_a.settlement) == (
        "PS-2031-5-0001",
        2031,
        5,
        settlement_a,
    )
    assert Certificate.objects.get(rating=rating_b).number == "PS-2031-4-0001"
    assert services.certificate_issue(rating=rating_a).pk == cert_a.pk  # once


def test_second_certificate_of_the_same_star_takes_the_next_serial(
    q4, settlement_a, settlement_b, official_a, official_b, assessor
):
    _rate_in_round(q4, settlement_a, official_a, assessor)
    rating_b = _rate_in_round(q4, settlement_b, official_b, assessor)
    assert Certificate.objects.get(rating=rating_b).number == "PS-2031-5-0002"


def test_no_certificate_without_a_star_or_before_the_final_stage(
    q4, q1_effective_a, settlement_b, official_b, assessor
):
    assert not Certificate.objects.filter(rating=q1_effective_a).exists()
    with refused(services.WorkflowError, Refusal.NOT_FINAL_STAGE):
        services.certificate_issue(rating=q1_effective_a)
    no_star = _rate_in_round(q4, settlement_b, official_b, assessor, {"AQ09": 1})
    assert not Certificate.objects.filter(rating=no_star).exists()
    with refused(services.WorkflowError, Refusal.NO_STARS):
        services.certificate_issue(rating=no_star)


def test_no_certificate_while_in_notice(q4, settlement_a, official_a, assessor):
    sa = assessment_of(q4, settlement_a)
    rating = finalise(self_submit(sa, official_a, today=q4.opened_on), assessor, today=q4.opened_on)
    with refused(services.WorkflowError, Refusal.RATING_NOT_EFFECTIVE):
        services.certificate_issue(rating=rating)
