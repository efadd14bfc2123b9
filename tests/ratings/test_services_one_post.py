"""One service per form press: scores, files and the next step together, or nothing at all.

Also the predicates the pages share with the services (who may edit which item, who may
hear an objection), so a page offers exactly what the service accepts.
"""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ratings import services
from ratings.models import AssessmentStatus, Evidence, Rectification, Review
from ratings.services import Refusal
from tests.ratings.workflow import (
    AFTER_NOTICE,
    OPENED,
    PNG,
    REVIEW_DAY,
    county_items,
    finalise,
    fresh,
    items_by_code,
    review,
    self_items,
)
from tests.refusals import refused


def png(name="现场.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def gif(name="x.png"):
    return SimpleUploadedFile(name, b"GIF89a" + b"\x00" * 20, content_type="image/png")


# ------------------------------------------------------------------ self-assessment


def update(sa, by, uploads, *, submit=False):
    sa = fresh(sa)
    return services.self_assessment_update(
        assessment=sa,
        by=by,
        items=self_items(sa.rubric, {"ZZ02": 2, "HJ01": 1}),
        star_applied=5,
        expected_version=sa.version,
        uploads=uploads,
        submit=submit,
        today=OPENED,
    )


def test_update_saves_attaches_and_submits_in_one_call(q1_sa_a, official_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    item = items_by_code(q1_sa_a.rubric)["ZZ02"]

    saved = update(q1_sa_a, official_a, [(item, f"evidence_{item.pk}", [png()])], submit=True)

    assert (saved.status, str(saved.score), saved.star_applied) == (
        AssessmentStatus.SUBMITTED,
        "97.0",
        5,
    )
    assert list(Evidence.objects.values_list("item_id", "side")) == [(item.pk, Evidence.SIDE_SELF)]


def test_a_refused_file_leaves_the_scores_unsaved_and_names_its_field(
    q1_sa_a, official_a, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    item = items_by_code(q1_sa_a.rubric)["ZZ02"]

    with refused(services.WorkflowError, Refusal.FILE_TYPE, field=f"evidence_{item.pk}"):
        update(q1_sa_a, official_a, [(item, f"evidence_{item.pk}", [png(), gif()])], submit=True)

    sa = fresh(q1_sa_a)
    assert (sa.status, sa.version, sa.score) == (AssessmentStatus.NOT_STARTED, 0, None)
    assert not sa.items.exists()
    assert not Evidence.objects.exists()


def test_an_outsider_official_cannot_update(q1_sa_a, official_b):
    with refused(services.WorkflowPermissionDenied, Refusal.NOT_OWN_TOWNSHIP):
        update(q1_sa_a, official_b, [], submit=True)
    assert fresh(q1_sa_a).version == 0


# -------------------------------------------------------------------- county review


def record(sa, by, counts, *, uploads=(), finalise_=True):
    sa = fresh(sa)
    return services.review_record(
        assessment=sa,
        by=by,
        items=county_items(sa.rubric, counts),
        visit_date=REVIEW_DAY,
        team_members="张三",
        notes="现场查看",
        total_gap_reason="",
        expected_version=0,
        uploads=uploads,
        finalise=finalise_,
        today=REVIEW_DAY,
    )


def test_record_saves_attaches_photos_and_finalises(q1_submitted_a, assessor, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    item = items_by_code(q1_submitted_a.rubric)["HJ01"]

    saved, rating = record(
        q1_submitted_a, assessor, {"ZZ02": 2, "HJ01": 1}, uploads=[(item, "photos", [png()])]
    )

    assert (saved.status, rating.status, str(rating.score)) == ("final", "notice", "97.0")
    assert list(Evidence.objects.values_list("side", flat=True)) == [Evidence.SIDE_COUNTY]


def test_a_refused_finalisation_leaves_no_review_and_no_photo(
    q1_submitted_a, assessor, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    item = items_by_code(q1_submitted_a.rubric)["ZZ01"]  # self 0, county 5 points: needs a reason

    with refused(services.WorkflowError, Refusal.GAP_REASON_MISSING, field=item.pk):
        record(
            q1_submitted_a,
            assessor,
            {"ZZ02": 2, "HJ01": 1, "ZZ01": 1},
            uploads=[(item, "photos", [png()])],
        )

    assert not Review.objects.exists()
    assert not Evidence.objects.exists()


def test_a_draft_record_does_not_finalise(q1_submitted_a, assessor):
    saved, rating = record(q1_submitted_a, assessor, {"ZZ02": 2}, finalise_=False)
    assert (saved.status, rating) == ("draft", None)


def test_officials_cannot_record_a_review(q1_submitted_a, official_a):
    with refused(services.WorkflowPermissionDenied, Refusal.NOT_COUNTY):
        record(q1_submitted_a, official_a, {"ZZ02": 2})
    assert not Review.objects.exists()


# -------------------------------------------------------------------- rectification


@pytest.fixture
def issued_a(q1_submitted_a, assessor):
    rating = finalise(
        q1_submitted_a, assessor, {"ZZ02": 2, "HJ01": 1, "AQ01": 1}
    )  # AQ01 is flagged
    services.rating_take_effect(rating=rating, today=AFTER_NOTICE)
    return services.rectification_issue(
        rectification=Rectification.objects.get(rating=rating),
        by=assessor,
        deadline=dt.date(2031, 5, 20),
        requirements="更换老化线路",
        today=dt.date(2031, 4, 24),
    )


def test_answer_with_photos_in_one_call(issued_a, official_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    answered = services.rectification_answer(
        rectification=issued_a,
        by=official_a,
        answer="已更换",
        evidence=[png()],
        today=dt.date(2031, 5, 10),
    )
    assert answered.status == "answered"
    assert list(Evidence.objects.values_list("rectification_id", "side")) == [
        (issued_a.pk, Evidence.SIDE_RECTIFICATION)
    ]
    # The same answer again with another photo adds the photo and changes nothing else.
    again = services.rectification_answer(
        rectification=issued_a,
        by=official_a,
        answer="已更换",
        evidence=[png("二.png")],
        today=dt.date(2031, 5, 10),
    )
    assert again.answered_at == answered.answered_at
    assert Evidence.objects.count() == 2


def test_a_refused_photo_leaves_the_answer_unsaved(issued_a, official_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with refused(services.WorkflowError, Refusal.FILE_TYPE, field="evidence"):
        services.rectification_answer(
            rectification=issued_a,
            by=official_a,
            answer="已更换",
            evidence=[png(), gif()],
            today=dt.date(2031, 5, 10),
        )
    rect = fresh(issued_a)
    assert (rect.status, rect.answer) == ("issued", "")
    assert not Evidence.objects.exists()


# ------------------------------------------------------------ predicates for pages


def editable(sa, by, today=OPENED):
    sa = fresh(sa)
    return services.self_assessment_editable_ids(
        assessment=sa, by=by, item_ids=[item.pk for item in sa.rubric.items.all()], today=today
    )


def test_editable_items_follow_the_services_rules(q1_sa_a, official_a, official_b, assessor):
    every = set(q1_sa_a.rubric.items.values_list("pk", flat=True))
    assert editable(q1_sa_a, official_a) == every
    assert editable(q1_sa_a, official_b) == set()  # another township
    assert editable(q1_sa_a, assessor) == set()  # the county never edits the township's sheet
    assert editable(q1_sa_a, official_a, today=q1_sa_a.deadline + dt.timedelta(days=1)) == set()


def test_only_returned_items_are_editable_while_returned(q1_submitted_a, official_a, assessor):
    zz02 = items_by_code(q1_submitted_a.rubric)["ZZ02"]
    assert editable(q1_submitted_a, official_a) == set()  # submitted: locked
    returned = services.self_assessment_send_back(
        assessment=q1_submitted_a,
        by=assessor,
        item_ids=[zz02.pk],
        reason="请补充材料",
        deadline=dt.date(2031, 4, 20),
        today=dt.date(2031, 4, 10),
    )
    assert editable(returned, official_a, today=dt.date(2031, 4, 18)) == {zz02.pk}


def test_whoever_saved_or_finalised_the_review_may_not_hear_but_others_may(
    q1_submitted_a, assessor, assessor2, secretary, official_a
):
    review(q1_submitted_a, assessor, {"ZZ02": 2, "HJ01": 1})
    rating = finalise(q1_submitted_a, assessor2, {"ZZ02": 2, "HJ01": 1})
    objection = services.objection_file(
        rating=rating, by=secretary, filed_by_name="王五", text="有垃圾堆放", today=REVIEW_DAY
    )
    excluded = services.objection_excluded_hearers(rating)

    assert {assessor.pk, assessor2.pk} <= excluded
    hearers = {
        u: services.may_hear_objection(u, objection)
        for u in (assessor, assessor2, secretary, official_a)
    }
    assert hearers == {assessor: False, assessor2: False, secretary: True, official_a: False}
