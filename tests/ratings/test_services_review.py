"""The county's on-site review and finalising a rating (定分)."""

import datetime as dt
from decimal import Decimal

import pytest

from ratings import services
from ratings.models import Rating, Review, ReviewItem, StarChange
from ratings.services import Refusal
from tests.ratings.workflow import (
    NOTICE_ENDS,
    OPENED,
    REVIEW_DAY,
    SELF_DEADLINE,
    finalise,
    fresh,
    items_by_code,
    review,
    self_save,
    self_submit,
)
from tests.refusals import refused


def test_first_review_save_creates_the_review_with_scores(q1_submitted_a, assessor):
    saved = review(q1_submitted_a, assessor, {"ZZ02": 2, "HJ01": 2})
    assert (saved.assessor, saved.version, saved.status) == (assessor, 1, "draft")
    assert saved.score == Decimal("96.0")
    assert saved.items.count() == q1_submitted_a.rubric.items.count()
    assert saved.items.get(item__code="HJ01").points == Decimal("2.0")
    assert saved.history.first().history_user == assessor
    assert (
        ReviewItem.objects.get(review=saved, item__code="HJ01").history.first().history_user
        == assessor
    )


@pytest.mark.parametrize("who", ["official_a", "official_b"])
def test_officials_cannot_post_county_scores(request, q1_submitted_a, who):
    with pytest.raises(services.WorkflowPermissionDenied):
        review(q1_submitted_a, request.getfixturevalue(who))
    assert not Review.objects.exists()


def test_secretary_may_review(q1_submitted_a, secretary):
    assert review(q1_submitted_a, secretary).assessor == secretary


def test_review_waits_for_submission_but_takes_an_overdue_one(
    q1_sa_a, q1_sa_b, official_a, assessor
):
    self_save(q1_sa_a, official_a)
    with refused(services.WorkflowError, Refusal.NOT_SUBMITTED):
        review(q1_sa_a, assessor)
    services.self_assessments_mark_overdue(
        round=q1_sa_b.round, today=SELF_DEADLINE + dt.timedelta(days=1)
    )
    rating = finalise(q1_sa_b, assessor, {"HJ01": 1})
    assert (rating.score, rating.stars) == (Decimal("99.0"), 5)


def test_review_refused_while_returned(q1_submitted_a, assessor):
    item = items_by_code(q1_submitted_a.rubric)["ZZ02"]
    services.self_assessment_send_back(
        assessment=q1_submitted_a,
        by=assessor,
        item_ids=[item.pk],
        reason="补充",
        deadline=dt.date(2031, 4, 20),
        today=dt.date(2031, 4, 12),
    )
    with refused(services.WorkflowError, Refusal.SELF_RETURNED):
        review(q1_submitted_a, assessor)


def test_review_stale_version_is_refused(q1_submitted_a, assessor, assessor2):
    first = review(q1_submitted_a, assessor, {"HJ01": 1})
    item = items_by_code(q1_submitted_a.rubric)["HJ01"]
    with pytest.raises(services.StaleVersion):
        services.review_save(
            assessment=q1_submitted_a,
            by=assessor2,
            items={item.pk: (4, "", "")},
            visit_date=REVIEW_DAY,
            team_members="",
            notes="",
            total_gap_reason="",
            expected_version=0,
            today=REVIEW_DAY,
        )
    assert fresh(first).items.get(item=item).occurrences == 1
    assert fresh(first).version == 1


def test_visit_date_cannot_be_in_the_future_or_before_the_round(q1_submitted_a, assessor):
    for visit in (REVIEW_DAY + dt.timedelta(days=1), OPENED - dt.timedelta(days=1)):
        with pytest.raises(services.WorkflowError) as exc:
            services.review_save(
                assessment=q1_submitted_a,
                by=assessor,
                items={},
                visit_date=visit,
                team_members="",
                notes="",
                total_gap_reason="",
                expected_version=0,
                today=REVIEW_DAY,
            )
        assert "visit_date" in exc.value.error_dict


def test_finalise_creates_the_rating_from_the_county_score(q1_submitted_a, assessor, settlement_a):
    # The township applied for 5★ at 97.0; the county finds 89.0 (ZZ01 −10, HJ01 −1): the county decides.
    saved = review(
        q1_submitted_a,
        assessor,
        {"ZZ01": 2, "HJ01": 1},
        reasons={"ZZ01": "党支部未建立"},
        total_gap_reason="党组织未覆盖",
    )
    rating = services.review_finalise(review=saved, by=assessor, today=REVIEW_DAY)

    assert (rating.score, rating.vetoed, rating.awarded_stars, rating.stars) == (
        Decimal("89.0"),
        False,
        4,
        4,
    )
    assert (rating.stage, rating.rubric_id, rating.settlement_class) == (
        "initial",
        q1_submitted_a.rubric_id,
        1,
    )
    assert (rating.status, rating.decided_by, rating.round, rating.settlement) == (
        "notice",
        assessor,
        q1_submitted_a.round,
        settlement_a,
    )
    assert rating.notice_ends_on == NOTICE_ENDS  # five working days after Tuesday 15 April
    review_after = fresh(saved)
    assert (review_after.status, review_after.finalised_at is not None) == ("final", True)
    change = StarChange.objects.get(rating=rating)
    assert (change.kind, change.from_stars, change.to_stars, change.by) == ("rated", 0, 4, assessor)
    assert rating.history.first().history_user == assessor
    settlement_a.refresh_from_db()
    assert settlement_a.current_star == 0  # nothing takes effect before the notice


def test_notice_ending_skips_the_weekend(q1_submitted_a, assessor):
    rating = finalise(
        q1_submitted_a, assessor, {"ZZ02": 2, "HJ01": 1}, today=dt.date(2031, 4, 18)
    )  # a Friday
    assert rating.notice_ends_on == dt.date(2031, 4, 25)


def test_veto_item_in_the_county_review_means_no_star(q1_submitted_a, assessor):
    rating = finalise(
        q1_submitted_a,
        assessor,
        {"ZZ02": 2, "HJ01": 1, "AQ09": 1},
    )
    assert (rating.score, rating.vetoed, rating.stars, rating.awarded_stars) == (
        Decimal("97.0"),
        True,
        0,
        0,
    )


def test_item_gap_of_five_needs_a_reason_at_finalise(q1_submitted_a, assessor):
    item = items_by_code(q1_submitted_a.rubric)["ZZ01"]
    saved = review(
        q1_submitted_a, assessor, {"ZZ02": 2, "HJ01": 1, "ZZ01": 1}
    )  # ZZ01: self 0, county 5
    with refused(services.WorkflowError, Refusal.GAP_REASON_MISSING) as exc:
        services.review_finalise(review=saved, by=assessor, today=REVIEW_DAY)
    assert item.pk in exc.value.error_dict
    assert not Rating.objects.exists()
    assert fresh(saved).status == "draft"

    saved = review(
        q1_submitted_a, assessor, {"ZZ01": 1}, reasons={"ZZ01": "现场未见党组织活动记录"}
    )
    assert services.review_finalise(review=saved, by=assessor, today=REVIEW_DAY).score == Decimal(
        "92.0"
    )


def test_item_gap_below_five_needs_no_reason(q1_submitted_a, assessor):
    rating = finalise(
        q1_submitted_a, assessor, {"ZZ02": 6, "HJ01": 1}
    )  # ZZ02: self 2, county 6 (gap 4)
    assert rating.score == Decimal("93.0")


@pytest.mark.parametrize(("limit", "needs"), [("4.0", True), ("4.1", False)])
def test_item_gap_limit_is_the_countys_setting(q1_submitted_a, assessor, limit, needs):
    from settlements.models import CountySettings

    CountySettings.objects.create(item_gap_needs_reason=Decimal(limit))
    saved = review(
        q1_submitted_a, assessor, {"ZZ02": 6, "HJ01": 1}
    )  # ZZ02: self 2, county 6 (gap 4)
    if needs:
        with pytest.raises(services.WorkflowError, match="相差 4.0 分及以上"):
            services.review_finalise(review=saved, by=assessor, today=REVIEW_DAY)
    else:
        assert services.review_finalise(
            review=saved, by=assessor, today=REVIEW_DAY
        ).score == Decimal("93.0")


def test_total_gap_of_ten_needs_a_reason(q1_submitted_a, assessor):
    # Self 97.0; county: five items each 2–4 points apart (no item gap ≥ 5), total 87.0.
    counts = {"ZZ02": 6, "HJ01": 5, "GL02": 3}  # 6 + 5 + 3 = 14 → 86.0
    saved = review(q1_submitted_a, assessor, counts, reasons={})
    with pytest.raises(services.WorkflowError) as exc:
        services.review_finalise(review=saved, by=assessor, today=REVIEW_DAY)
    assert list(exc.value.error_dict) == ["total_gap_reason"]
    saved = review(q1_submitted_a, assessor, counts, total_gap_reason="环境卫生较差")
    assert services.review_finalise(review=saved, by=assessor, today=REVIEW_DAY).score == Decimal(
        "86.0"
    )


def test_no_gap_reason_against_an_overdue_self_assessment(q1_sa_a, official_a, assessor):
    self_save(q1_sa_a, official_a)  # a draft at 100, never submitted
    services.self_assessments_mark_overdue(
        round=q1_sa_a.round, today=SELF_DEADLINE + dt.timedelta(days=1)
    )
    rating = finalise(q1_sa_a, assessor, {"ZZ01": 2, "AQ03": 3})
    assert rating.score == Decimal("81.0")


def test_finalise_needs_a_visit_date(q1_submitted_a, assessor):
    saved = services.review_save(
        assessment=q1_submitted_a,
        by=assessor,
        items={},
        visit_date=None,
        team_members="",
        notes="",
        total_gap_reason="",
        expected_version=0,
        today=REVIEW_DAY,
    )
    with refused(services.WorkflowError, Refusal.REQUIRED, field="visit_date"):
        services.review_finalise(review=saved, by=assessor, today=REVIEW_DAY)


def test_finalise_twice_is_a_no_op_and_final_review_is_locked(q1_notice_a, assessor):
    saved = Review.objects.get(pk=q1_notice_a.review_id)
    again = services.review_finalise(
        review=saved, by=assessor, today=REVIEW_DAY + dt.timedelta(days=2)
    )
    assert again.pk == q1_notice_a.pk
    assert again.notice_ends_on == NOTICE_ENDS
    assert StarChange.objects.filter(rating=q1_notice_a).count() == 1
    with refused(services.WorkflowError, Refusal.REVIEW_FINAL):
        review(saved.self_assessment, assessor, {"HJ01": 3})


@pytest.mark.parametrize("who", ["official_a", "official_b"])
def test_officials_cannot_finalise(request, q1_submitted_a, assessor, who):
    saved = review(q1_submitted_a, assessor, {"ZZ02": 2, "HJ01": 1})
    with pytest.raises(services.WorkflowPermissionDenied):
        services.review_finalise(review=saved, by=request.getfixturevalue(who), today=REVIEW_DAY)
    assert not Rating.objects.exists()


def test_send_back_refused_after_finalising(q1_notice_a, assessor):
    sa = q1_notice_a.review.self_assessment
    item = items_by_code(sa.rubric)["ZZ02"]
    with refused(services.WorkflowError, Refusal.REVIEW_FINAL):
        services.self_assessment_send_back(
            assessment=sa,
            by=assessor,
            item_ids=[item.pk],
            reason="x",
            deadline=dt.date(2031, 4, 30),
            today=REVIEW_DAY,
        )


def test_resubmitted_after_send_back_can_be_reviewed(q1_submitted_a, official_a, assessor):
    item = items_by_code(q1_submitted_a.rubric)["ZZ02"]
    review(q1_submitted_a, assessor, {"ZZ02": 2})
    services.self_assessment_send_back(
        assessment=q1_submitted_a,
        by=assessor,
        item_ids=[item.pk],
        reason="补充",
        deadline=dt.date(2031, 4, 20),
        today=dt.date(2031, 4, 12),
    )
    self_submit(q1_submitted_a, official_a, {"ZZ02": 3}, star=5, today=dt.date(2031, 4, 14))
    rating = finalise(q1_submitted_a, assessor, {"ZZ02": 3, "HJ01": 1})
    assert rating.score == Decimal("96.0")
