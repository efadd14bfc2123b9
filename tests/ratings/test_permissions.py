"""The workflow's predicates (ratings/permissions.py), for every role with the outsider
(township B's official) in each, and the services refusing exactly what they deny."""

import datetime as dt

import pytest
import rules

from ratings import permissions as p
from ratings import services
from ratings.models import Objection, Rating
from settlements.models import User
from tests.ratings.workflow import REVIEW_DAY, fresh

pytestmark = pytest.mark.django_db


NOBODY = dict.fromkeys(
    ["official_a", "official_b", "assessor", "assessor2", "secretary", "anonymous"], False
)


def test_county_work_is_for_assessors_and_secretaries(cast, ask):
    assert ask(p.may_review) == NOBODY | {"assessor": True, "assessor2": True, "secretary": True}
    assert ask(p.may_manage_rounds) == NOBODY | {"secretary": True}


def test_only_township_as_officials_edit_its_open_self_assessment(cast, q1_sa_a, monkeypatch, ask):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda: q1_sa_a.deadline)
    sa = fresh(q1_sa_a)
    assert ask(p.may_edit_self_assessment, sa) == NOBODY | {"official_a": True}
    assert rules.has_perm("ratings.edit_self_assessment", cast["official_b"], sa) is False


def test_nobody_edits_a_self_assessment_past_its_deadline(cast, q1_sa_a, monkeypatch, ask):
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda: q1_sa_a.deadline + dt.timedelta(days=1)
    )
    assert ask(p.may_edit_self_assessment, fresh(q1_sa_a)) == NOBODY


def test_nobody_edits_a_submitted_self_assessment(cast, q1_submitted_a, ask):
    assert ask(p.may_edit_self_assessment, fresh(q1_submitted_a)) == NOBODY


def test_objections_are_filed_by_the_county_or_the_townships_own_officials(cast, q1_notice_a, ask):
    assert ask(p.may_file_objection, q1_notice_a) == NOBODY | {
        "official_a": True,
        "assessor": True,
        "assessor2": True,
        "secretary": True,
    }


def test_the_outsider_filing_an_objection_is_refused_by_the_service(official_b, q1_notice_a):
    with pytest.raises(services.WorkflowPermissionDenied) as refused:
        services.objection_file(
            rating=q1_notice_a, by=official_b, filed_by_name="张三", text="不公", today=REVIEW_DAY
        )
    assert refused.value.code == services.Refusal.NOT_OWN_TOWNSHIP
    assert not Objection.objects.exists()


def test_whoever_reviewed_never_hears_the_objection(cast, q1_notice_a, secretary, ask):
    objection = services.objection_file(
        rating=q1_notice_a, by=secretary, filed_by_name="王五", text="有垃圾堆放", today=REVIEW_DAY
    )
    objection = Objection.objects.select_related("rating__review").get(pk=objection.pk)
    # assessor finalised the review; assessor2 and the secretary did not take part
    assert ask(p.may_hear_objection, objection) == NOBODY | {"assessor2": True, "secretary": True}
    assert cast["secretary"].has_perm("ratings.hear_objection", objection)
    assert not cast["assessor"].has_perm("ratings.hear_objection", objection)
    with pytest.raises(services.WorkflowPermissionDenied) as refused:
        services.objection_decide(
            objection=objection, by=cast["assessor"], outcome="rejected", reasons="理由"
        )
    assert refused.value.code == services.Refusal.REVIEWER_MAY_NOT_HEAR
    assert Objection.objects.get(pk=objection.pk).outcome == "pending"


def test_hearers_are_read_once_per_rating_however_many_objections(
    q1_notice_a, secretary, assessor2, django_assert_num_queries
):
    for n in range(3):
        services.objection_file(
            rating=q1_notice_a,
            by=secretary,
            filed_by_name=f"居民{n}",
            text=f"意见{n}",
            today=REVIEW_DAY,
        )
    rating = Rating.objects.select_related("review").get(pk=q1_notice_a.pk)
    user = User.objects.get(pk=assessor2.pk)
    objections = list(rating.objections.all())
    with django_assert_num_queries(2):  # the user's groups, the review's history
        assert all(p.may_hear_objection(user, o) for o in objections)


def test_rectifications_are_answered_by_the_townships_own_officials(cast, q1_effective_a, ask):
    from ratings.models import Rectification

    rect = Rectification(settlement=q1_effective_a.settlement, rating=q1_effective_a, trigger="t")
    assert ask(p.may_answer_rectification, rect) == NOBODY | {"official_a": True}
    assert ask(p.may_answer_rectification, None) == NOBODY | {
        "official_a": True,
        "official_b": True,
    }
