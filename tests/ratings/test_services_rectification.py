"""Tracking (跟踪考评): rectification orders, re-checks, downgrade and revocation."""

import datetime as dt
from decimal import Decimal

import pytest

from ratings import services
from ratings.models import Certificate, Rectification, StarChange
from ratings.services import Refusal
from ratings.signals import rating_stars_changed
from tests.ratings.workflow import (
    AFTER_NOTICE,
    PNG,
    assessment_of,
    finalise,
    fresh,
    self_submit,
)
from tests.refusals import refused

ISSUE_DAY = dt.date(2031, 4, 24)
RECT_DEADLINE = dt.date(2031, 5, 20)


def rate(rnd, settlement, official, assessor, counts=None, **kw):
    """Self-assess, review and make the rating take effect within the round."""
    day = rnd.opened_on
    sa = assessment_of(rnd, settlement)
    submitted = self_submit(sa, official, counts or {}, today=day)
    rating = finalise(submitted, assessor, counts or {}, today=day, **kw)
    assert services.rating_take_effect(
        rating=rating, today=rating.notice_ends_on + dt.timedelta(days=1)
    )
    return fresh(rating)


@pytest.fixture
def q2(q1_effective_a, secretary):
    return services.round_open(year=2031, quarter=2, by=secretary, today=dt.date(2031, 7, 1))[0]


@pytest.fixture
def stars_changed():
    calls = []

    def receiver(sender, rating_id, **kwargs):
        calls.append(rating_id)

    rating_stars_changed.connect(receiver, dispatch_uid="test-stars-changed")
    yield calls
    rating_stars_changed.disconnect(dispatch_uid="test-stars-changed")


@pytest.fixture
def flagged_a(q1_submitted_a, assessor):
    """The county finds a fire hazard (AQ01, a flagged item): 95.0, still five stars."""
    rating = finalise(q1_submitted_a, assessor, {"ZZ02": 2, "HJ01": 1, "AQ01": 1})
    services.rating_take_effect(rating=rating, today=AFTER_NOTICE)
    return Rectification.objects.get(rating=rating)


def issue(rect, by, deadline=RECT_DEADLINE):
    return services.rectification_issue(
        rectification=rect,
        by=by,
        deadline=deadline,
        requirements="一个月内整改消防隐患",
        today=ISSUE_DAY,
    )


# ------------------------------------------------------------------- proposals


def test_flagged_item_in_the_county_review_proposes_a_rectification(flagged_a):
    assert flagged_a.status == "proposed"
    assert "AQ01" in flagged_a.trigger
    assert flagged_a.settlement_id == flagged_a.rating.settlement_id


def test_score_below_the_last_rating_proposes_a_rectification(
    q2, settlement_a, official_a, assessor
):
    # Q1 stood at 97.0; Q2 finds 92.0 (still five stars, but lower).
    rating = rate(q2, settlement_a, official_a, assessor, {"HJ01": 5, "ZZ02": 3})
    rect = Rectification.objects.get(rating=rating)
    assert rect.status == "proposed"
    assert "92.0" in rect.trigger and "97.0" in rect.trigger
    settlement_a.refresh_from_db()
    assert (settlement_a.current_star, settlement_a.current_score) == (5, Decimal("92.0"))


def test_no_proposal_when_the_score_holds_and_no_flagged_item(
    q2, settlement_a, official_a, assessor
):
    rating = rate(q2, settlement_a, official_a, assessor, {"ZZ02": 3})  # 97.0, equal to Q1
    assert not Rectification.objects.filter(rating=rating).exists()
    assert not Rectification.objects.exists()


def test_proposal_for_a_first_rating_only_from_flagged_items(q1_effective_a):
    assert not Rectification.objects.exists()


# ------------------------------------------------------------------- issue, answer


def test_issue_then_answer(flagged_a, assessor, official_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    issued = issue(flagged_a, assessor)
    assert (issued.status, issued.deadline, issued.issued_by) == ("issued", RECT_DEADLINE, assessor)
    assert issued.history.first().history_user == assessor
    assert issue(flagged_a, assessor).pk == issued.pk  # a repeat changes nothing

    answered = services.rectification_answer(
        rectification=issued,
        by=official_a,
        answer="已更换老化线路，配置灭火器",
        today=dt.date(2031, 5, 10),
    )
    assert (answered.status, answered.answered_by) == ("answered", official_a)
    assert answered.history.first().history_user == official_a
    evidence = services.evidence_add(
        by=official_a,
        file=_png("整改.png"),
        side="rectification",
        rectification=answered,
        today=dt.date(2031, 5, 10),
    )
    assert (evidence.rectification_id, evidence.assessment_id, evidence.side) == (
        answered.pk,
        None,
        "rectification",
    )


def _png(name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, PNG, content_type="image/png")


@pytest.mark.parametrize("who", ["official_a", "official_b"])
def test_officials_cannot_issue_or_dismiss(request, flagged_a, who):
    by = request.getfixturevalue(who)
    with pytest.raises(services.WorkflowPermissionDenied):
        issue(flagged_a, by)
    with pytest.raises(services.WorkflowPermissionDenied):
        services.rectification_dismiss(rectification=flagged_a, by=by, reason="x")
    assert fresh(flagged_a).status == "proposed"


def test_issue_needs_a_future_deadline_and_requirements(flagged_a, assessor):
    with refused(services.WorkflowError, Refusal.DEADLINE_IN_PAST):
        issue(flagged_a, assessor, deadline=ISSUE_DAY)
    with refused(services.WorkflowError, Refusal.REQUIRED, field="requirements"):
        services.rectification_issue(
            rectification=flagged_a,
            by=assessor,
            deadline=RECT_DEADLINE,
            requirements="",
            today=ISSUE_DAY,
        )
    assert fresh(flagged_a).status == "proposed"


@pytest.mark.parametrize("who", ["official_b", "assessor"])
def test_only_the_townships_official_answers(request, flagged_a, assessor, who):
    issued = issue(flagged_a, assessor)
    with pytest.raises(services.WorkflowPermissionDenied):
        services.rectification_answer(
            rectification=issued,
            by=request.getfixturevalue(who),
            answer="x",
            today=dt.date(2031, 5, 1),
        )


def test_answer_refused_before_issue_and_after_the_deadline(flagged_a, assessor, official_a):
    with refused(services.WorkflowError, Refusal.RECTIFICATION_NOT_OPEN):
        services.rectification_answer(
            rectification=flagged_a, by=official_a, answer="x", today=ISSUE_DAY
        )
    issued = issue(flagged_a, assessor)
    with refused(services.WorkflowError, Refusal.RECTIFICATION_DEADLINE_PASSED):
        services.rectification_answer(
            rectification=issued,
            by=official_a,
            answer="x",
            today=RECT_DEADLINE + dt.timedelta(days=1),
        )
    with refused(services.WorkflowError, Refusal.REQUIRED, field="answer"):
        services.rectification_answer(
            rectification=issued, by=official_a, answer="  ", today=RECT_DEADLINE
        )


def test_dismiss_a_proposal(flagged_a, assessor):
    dismissed = services.rectification_dismiss(
        rectification=flagged_a, by=assessor, reason="已当场整改"
    )
    assert (dismissed.status, dismissed.check_notes, dismissed.checked_by) == (
        "dismissed",
        "已当场整改",
        assessor,
    )
    with refused(services.WorkflowError, Refusal.RECTIFICATION_NOT_PROPOSED):
        issue(dismissed, assessor)


# ------------------------------------------------------------------------- re-check


@pytest.fixture
def answered(flagged_a, assessor, official_a):
    issued = issue(flagged_a, assessor)
    return services.rectification_answer(
        rectification=issued, by=official_a, answer="已整改", today=dt.date(2031, 5, 1)
    )


def test_check_passed_keeps_the_star(
    answered, assessor2, settlement_a, stars_changed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        checked = services.rectification_check(
            rectification=answered, by=assessor2, outcome="passed", notes="复查合格"
        )
    assert (checked.status, checked.checked_by, checked.check_notes) == (
        "passed",
        assessor2,
        "复查合格",
    )
    assert fresh(answered.rating).stars == 5
    settlement_a.refresh_from_db()
    assert settlement_a.current_star == 5
    assert stars_changed == []


def test_check_downgraded_lowers_one_star(
    answered, assessor, settlement_a, stars_changed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        checked = services.rectification_check(
            rectification=answered, by=assessor, outcome="downgraded", notes="仍有隐患"
        )
    assert stars_changed == []  # only after the commit
    for callback in callbacks:
        callback()
    assert stars_changed == [answered.rating_id]

    assert checked.status == "downgraded"
    rating = fresh(answered.rating)
    assert (rating.stars, rating.awarded_stars) == (4, 5)
    assert rating.history.first().history_user == assessor
    change = StarChange.objects.filter(rating=rating).order_by("pk").last()
    assert (change.kind, change.from_stars, change.to_stars, change.by) == (
        "downgraded",
        5,
        4,
        assessor,
    )
    settlement_a.refresh_from_db()
    assert settlement_a.current_star == 4


def test_check_revoked_removes_the_star(answered, assessor, settlement_a):
    services.rectification_check(
        rectification=answered, by=assessor, outcome="revoked", notes="拒不整改"
    )
    assert fresh(answered.rating).stars == 0
    settlement_a.refresh_from_db()
    assert settlement_a.current_star == 0


def test_check_waits_for_the_answer_or_the_deadline(flagged_a, assessor):
    issued = issue(flagged_a, assessor)
    with refused(services.WorkflowError, Refusal.RECTIFICATION_NOT_ANSWERED):
        services.rectification_check(
            rectification=issued, by=assessor, outcome="passed", notes="x", today=RECT_DEADLINE
        )
    late = services.rectification_check(
        rectification=issued,
        by=assessor,
        outcome="downgraded",
        notes="逾期未整改",
        today=RECT_DEADLINE + dt.timedelta(days=1),
    )
    assert late.status == "downgraded"


def test_check_refuses_a_proposal(flagged_a, assessor):
    with refused(services.WorkflowError, Refusal.RECTIFICATION_NOT_ISSUED):
        services.rectification_check(
            rectification=flagged_a, by=assessor, outcome="passed", notes="x"
        )
    assert fresh(flagged_a).status == "proposed"


@pytest.mark.parametrize("who", ["official_a", "official_b"])
def test_officials_cannot_check(request, answered, who):
    with pytest.raises(services.WorkflowPermissionDenied):
        services.rectification_check(
            rectification=answered, by=request.getfixturevalue(who), outcome="passed", notes="x"
        )
    assert fresh(answered).status == "answered"


def test_check_outcome_is_final(answered, assessor):
    services.rectification_check(
        rectification=answered, by=assessor, outcome="passed", notes="合格"
    )
    assert (
        services.rectification_check(
            rectification=answered, by=assessor, outcome="passed", notes="合格"
        ).status
        == "passed"
    )
    with refused(services.WorkflowError, Refusal.ALREADY_DECIDED):
        services.rectification_check(
            rectification=answered, by=assessor, outcome="revoked", notes="x"
        )
    with refused(services.WorkflowError, Refusal.BAD_OUTCOME):
        services.rectification_check(
            rectification=answered, by=assessor, outcome="maybe", notes="x"
        )


# --------------------------------------------------------- direct downgrade / revoke


def test_downgrade_steps_five_four_three_none(q1_effective_a, assessor, settlement_a):
    for expected in (4, 3, 0):
        rating = services.rating_downgrade(rating=q1_effective_a, by=assessor, reason="重大问题")
        assert rating.stars == expected
        settlement_a.refresh_from_db()
        assert settlement_a.current_star == expected
    with refused(services.WorkflowError, Refusal.NO_STARS):
        services.rating_downgrade(rating=q1_effective_a, by=assessor, reason="重大问题")
    kinds = list(
        StarChange.objects.filter(rating=q1_effective_a, kind="downgraded").values_list(
            "from_stars", "to_stars"
        )
    )
    assert kinds == [(5, 4), (4, 3), (3, 0)]


def test_downgrade_with_the_stars_the_user_saw_refuses_a_double_post(q1_effective_a, assessor):
    services.rating_downgrade(
        rating=q1_effective_a, by=assessor, reason="重大问题", expected_stars=5
    )
    with pytest.raises(services.StaleVersion):
        services.rating_downgrade(
            rating=q1_effective_a, by=assessor, reason="重大问题", expected_stars=5
        )
    assert fresh(q1_effective_a).stars == 4


def test_revoke_at_once_and_again_is_a_no_op(
    q1_effective_a, assessor, settlement_a, stars_changed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        revoked = services.rating_revoke(
            rating=q1_effective_a, by=assessor, reason="发生重大安全事故"
        )
    assert revoked.stars == 0
    assert stars_changed == [q1_effective_a.pk]
    change = StarChange.objects.get(rating=revoked, kind="revoked")
    assert (change.from_stars, change.to_stars, change.reason) == (5, 0, "发生重大安全事故")
    with django_capture_on_commit_callbacks(execute=True):
        services.rating_revoke(rating=q1_effective_a, by=assessor, reason="发生重大安全事故")
    assert stars_changed == [q1_effective_a.pk]
    assert StarChange.objects.filter(kind="revoked").count() == 1


def test_three_star_downgrade_means_no_star(q1_submitted_a, assessor, settlement_a):
    rating = finalise(
        q1_submitted_a,
        assessor,
        {"ZZ01": 2, "HJ01": 5, "GL02": 5, "ZZ02": 6},
        reasons={"ZZ01": "未建", "HJ01": "脏乱", "GL02": "积案", "ZZ02": "缺员"},
        total_gap_reason="多项问题",
    )  # 100 − 10 − 5 − 5 − 6 = 74.0 → 3★
    services.rating_take_effect(rating=rating, today=AFTER_NOTICE)
    assert services.rating_downgrade(rating=rating, by=assessor, reason="复查不合格").stars == 0
    settlement_a.refresh_from_db()
    assert settlement_a.current_star == 0


@pytest.mark.parametrize("who", ["official_a", "official_b"])
def test_officials_cannot_downgrade_or_revoke(request, q1_effective_a, who):
    by = request.getfixturevalue(who)
    with pytest.raises(services.WorkflowPermissionDenied):
        services.rating_downgrade(rating=q1_effective_a, by=by, reason="x")
    with pytest.raises(services.WorkflowPermissionDenied):
        services.rating_revoke(rating=q1_effective_a, by=by, reason="x")
    assert fresh(q1_effective_a).stars == 5


def test_downgrade_needs_an_effective_rating_and_a_reason(q1_notice_a, assessor):
    with refused(services.WorkflowError, Refusal.RATING_NOT_EFFECTIVE):
        services.rating_downgrade(rating=q1_notice_a, by=assessor, reason="x")
    services.rating_take_effect(rating=q1_notice_a, today=AFTER_NOTICE)
    with refused(services.WorkflowError, Refusal.REQUIRED, field="reason"):
        services.rating_revoke(rating=q1_notice_a, by=assessor, reason="")


def test_downgrading_an_older_rating_keeps_the_newer_star(
    q2, q1_effective_a, settlement_a, official_a, assessor
):
    rate(q2, settlement_a, official_a, assessor, {"ZZ02": 2, "HJ01": 1})  # Q2: 97.0, 5★
    services.rating_revoke(rating=q1_effective_a, by=assessor, reason="核查发现Q1材料造假")
    settlement_a.refresh_from_db()
    assert settlement_a.current_star == 5


def test_downgrade_voids_the_certificate(secretary, rubric, settlement_a, official_a, assessor):
    q4 = services.round_open(year=2031, quarter=4, by=secretary, today=dt.date(2032, 1, 1))[0]
    rating = rate(q4, settlement_a, official_a, assessor)
    cert = Certificate.objects.get(rating=rating)
    assert cert.revoked_at is None
    services.rating_downgrade(rating=rating, by=assessor, reason="重大问题")
    cert.refresh_from_db()
    assert cert.revoked_at is not None
    assert cert.revoked_reason == "重大问题"
