"""The township's self-assessment: draft, submit, deadline, send-back, versions, evidence."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ratings import services
from ratings.models import AssessmentStatus, Evidence, SelfAssessment, SelfAssessmentItem
from ratings.services import Refusal
from tests.ratings.workflow import (
    JPEG,
    OPENED,
    PDF,
    PNG,
    SELF_DEADLINE,
    fresh,
    items_by_code,
    self_items,
    self_save,
    self_submit,
)
from tests.refusals import refused


def test_first_save_makes_a_draft_with_item_points_and_score(q1_sa_a, official_a):
    saved = self_save(q1_sa_a, official_a, {"ZZ02": 2, "HJ01": 1, "ZJ01": 1}, star=5, note="见台账")

    assert saved.status == AssessmentStatus.DRAFT
    assert saved.version == 1
    # 100 + 2 (ZJ01) − 2 (ZZ02) − 1 (HJ01)
    assert saved.score == Decimal("99.0")
    assert saved.vetoed is False
    assert saved.star_applied == 5
    rows = {row.item.code: row for row in saved.items.select_related("item")}
    assert len(rows) == saved.rubric.items.count()  # every rubric item has a row
    assert (rows["ZZ02"].occurrences, rows["ZZ02"].points, rows["ZZ02"].note) == (
        2,
        Decimal("2.0"),
        "见台账",
    )
    assert rows["AQ01"].points == Decimal("0.0")


def test_item_points_are_capped(q1_sa_a, official_a):
    saved = self_save(q1_sa_a, official_a, {"ZZ01": 5})  # 5 points each, cap 10
    assert saved.items.get(item__code="ZZ01").points == Decimal("10.0")
    assert saved.score == Decimal("90.0")


def test_bonus_is_capped_by_the_rubric(q1_sa_a, official_a):
    saved = self_save(
        q1_sa_a, official_a, {"ZJ01": 2, "ZJ02": 2, "ZDJ1": 2}
    )  # 4 + 4 + 4 = 12 bonus
    assert saved.score == Decimal("110.0")


def test_veto_item_sets_vetoed_and_forbids_any_star(q1_sa_a, official_a):
    saved = self_save(q1_sa_a, official_a, {"AQ09": 1})
    assert saved.vetoed is True
    assert saved.score == Decimal("100.0")
    with refused(services.WorkflowError, Refusal.STAR_ABOVE_SCORE) as exc:
        self_save(q1_sa_a, official_a, {"AQ09": 1}, star=3)
    assert "star_applied" in exc.value.error_dict


def test_star_applied_cannot_exceed_what_the_score_earns(q1_sa_a, official_a):
    with refused(services.WorkflowError, Refusal.STAR_ABOVE_SCORE):
        self_save(q1_sa_a, official_a, {"ZZ01": 2, "HJ01": 1}, star=5)  # 89.0
    sa = fresh(q1_sa_a)
    assert (sa.status, sa.version, sa.score) == ("not_started", 0, None)
    assert not sa.items.exists()  # nothing half-saved
    assert self_save(q1_sa_a, official_a, {"ZZ01": 2, "HJ01": 1}, star=4).star_applied == 4


@pytest.mark.parametrize("star", [1, 2, 6])
def test_star_applied_must_be_a_star_level(q1_sa_a, official_a, star):
    with pytest.raises(services.WorkflowError):
        self_save(q1_sa_a, official_a, star=star)


@pytest.mark.parametrize("occurrences", [-1, 1000, "2", 1.5, True])
def test_occurrences_must_be_a_small_whole_number(q1_sa_a, official_a, occurrences):
    item = items_by_code(q1_sa_a.rubric)["ZZ02"]
    with refused(services.WorkflowError, Refusal.BAD_OCCURRENCES):
        services.self_assessment_save(
            assessment=q1_sa_a,
            by=official_a,
            items={item.pk: (occurrences, "")},
            star_applied=0,
            expected_version=0,
            today=OPENED,
        )


def test_item_from_another_rubric_is_refused(q1_sa_a, official_a):
    with refused(services.WorkflowError, Refusal.UNKNOWN_ITEM):
        services.self_assessment_save(
            assessment=q1_sa_a,
            by=official_a,
            items={999999: (1, "")},
            star_applied=0,
            expected_version=0,
            today=OPENED,
        )


def test_outsider_official_cannot_save_or_submit(q1_sa_a, official_b):
    with pytest.raises(services.WorkflowPermissionDenied):
        self_save(q1_sa_a, official_b)
    with pytest.raises(services.WorkflowPermissionDenied):
        services.self_assessment_submit(assessment=q1_sa_a, by=official_b, today=OPENED)
    assert fresh(q1_sa_a).status == "not_started"


@pytest.mark.parametrize("who", ["assessor", "secretary"])
def test_county_cannot_post_township_scores(request, q1_sa_a, who):
    with pytest.raises(services.WorkflowPermissionDenied):
        self_save(q1_sa_a, request.getfixturevalue(who))


def test_stale_version_is_refused_and_nothing_saved(q1_sa_a, official_a):
    first = self_save(q1_sa_a, official_a, {"ZZ02": 1})
    item = items_by_code(q1_sa_a.rubric)["HJ01"]
    with refused(services.StaleVersion, Refusal.STALE_VERSION):
        services.self_assessment_save(
            assessment=q1_sa_a,
            by=official_a,
            items={item.pk: (3, "")},
            star_applied=0,
            expected_version=0,
            today=OPENED,  # the version the second tab loaded
        )
    stored = fresh(first)
    assert stored.version == 1
    assert stored.items.get(item=item).occurrences == 0


def test_concurrent_tabs_second_save_is_refused(q1_sa_a, official_a):
    """Two people load version 0; the first saves; the second gets the message."""
    loaded_by_both = fresh(q1_sa_a)
    items = self_items(q1_sa_a.rubric, {"ZZ02": 1})
    services.self_assessment_save(
        assessment=loaded_by_both,
        by=official_a,
        items=items,
        star_applied=0,
        expected_version=0,
        today=OPENED,
    )
    with pytest.raises(services.WorkflowError):
        services.self_assessment_save(
            assessment=loaded_by_both,
            by=official_a,
            items=self_items(q1_sa_a.rubric, {"ZZ02": 3}),
            star_applied=0,
            expected_version=loaded_by_both.version,
            today=OPENED,
        )
    assert fresh(q1_sa_a).items.get(item__code="ZZ02").occurrences == 1


def test_submit_locks_the_assessment(q1_sa_a, official_a):
    submitted = self_submit(q1_sa_a, official_a, {"ZZ02": 1}, star=5)
    assert submitted.status == AssessmentStatus.SUBMITTED
    assert submitted.submitted_by == official_a
    assert submitted.submitted_at is not None
    with refused(services.WorkflowError, Refusal.SELF_SUBMITTED):
        self_save(submitted, official_a, {"ZZ02": 2})


def test_submit_again_is_a_no_op(q1_sa_a, official_a):
    submitted = self_submit(q1_sa_a, official_a)
    again = services.self_assessment_submit(assessment=submitted, by=official_a, today=OPENED)
    assert (again.version, again.submitted_at) == (submitted.version, submitted.submitted_at)


def test_submit_needs_a_saved_draft(q1_sa_a, official_a):
    with refused(services.WorkflowError, Refusal.SELF_NOT_SAVED):
        services.self_assessment_submit(assessment=q1_sa_a, by=official_a, today=OPENED)


def test_submit_with_stale_version_is_refused(q1_sa_a, official_a):
    saved = self_save(q1_sa_a, official_a)
    with pytest.raises(services.StaleVersion):
        services.self_assessment_submit(
            assessment=saved, by=official_a, expected_version=0, today=OPENED
        )
    assert fresh(saved).status == "draft"


def test_deadline_day_is_still_open_the_day_after_is_not(q1_sa_a, official_a):
    self_save(q1_sa_a, official_a, {"ZZ02": 1}, today=SELF_DEADLINE)
    after = SELF_DEADLINE + dt.timedelta(days=1)
    with refused(services.WorkflowError, Refusal.SELF_DEADLINE_PASSED):
        self_save(q1_sa_a, official_a, {"ZZ02": 2}, today=after)
    with refused(services.WorkflowError, Refusal.SELF_DEADLINE_PASSED):
        services.self_assessment_submit(assessment=q1_sa_a, by=official_a, today=after)
    assert fresh(q1_sa_a).status == "draft"


def test_deadline_uses_the_local_date_by_default(q1_sa_a, official_a, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: SELF_DEADLINE + dt.timedelta(days=1))
    sa = fresh(q1_sa_a)
    with refused(services.WorkflowError, Refusal.SELF_DEADLINE_PASSED):
        services.self_assessment_save(
            assessment=sa, by=official_a, items={}, star_applied=0, expected_version=0
        )


def test_overdue_assessment_cannot_be_saved(q1_sa_a, official_a):
    services.self_assessments_mark_overdue(
        round=q1_sa_a.round, today=SELF_DEADLINE + dt.timedelta(days=1)
    )
    with refused(services.WorkflowError, Refusal.SELF_OVERDUE):
        self_save(q1_sa_a, official_a, today=SELF_DEADLINE)


def test_save_records_history_with_the_user(q1_sa_a, official_a):
    saved = self_save(q1_sa_a, official_a, {"ZZ02": 1})
    latest = saved.history.first()
    assert (latest.history_user, latest.status, latest.version) == (official_a, "draft", 1)
    row = saved.items.get(item__code="ZZ02")
    assert row.history.first().history_user == official_a
    submitted = services.self_assessment_submit(assessment=saved, by=official_a, today=OPENED)
    assert submitted.history.first().history_user == official_a
    assert submitted.history.first().status == "submitted"


# --------------------------------------------------------------------- send-back


def _ids(rubric, *codes):
    items = items_by_code(rubric)
    return [items[c].pk for c in codes]


def test_send_back_reopens_only_returned_items(q1_sa_a, official_a, assessor):
    submitted = self_submit(q1_sa_a, official_a, {"ZZ02": 1, "HJ01": 1}, star=5)
    returned = services.self_assessment_send_back(
        assessment=submitted,
        by=assessor,
        item_ids=_ids(q1_sa_a.rubric, "ZZ02"),
        reason="台账不全",
        deadline=dt.date(2031, 4, 20),
        today=dt.date(2031, 4, 12),
    )
    assert (returned.status, returned.return_reason, returned.deadline) == (
        "returned",
        "台账不全",
        dt.date(2031, 4, 20),
    )
    assert set(returned.items.filter(returned=True).values_list("item__code", flat=True)) == {
        "ZZ02"
    }
    assert returned.history.first().history_user == assessor

    # The new deadline applies: past the round's self deadline, still open.
    later = dt.date(2031, 4, 18)
    with refused(services.WorkflowError, Refusal.ITEM_NOT_RETURNED) as exc:
        self_save(returned, official_a, {"ZZ02": 3, "HJ01": 2}, star=5, today=later)
    assert _ids(q1_sa_a.rubric, "HJ01")[0] in exc.value.error_dict
    assert fresh(returned).items.get(item__code="ZZ02").occurrences == 1  # nothing saved

    resaved = self_save(
        returned, official_a, {"ZZ02": 3, "HJ01": 1}, star=5, today=later
    )  # HJ01 unchanged: fine
    assert resaved.status == "returned"
    assert resaved.score == Decimal("96.0")

    resubmitted = services.self_assessment_submit(assessment=resaved, by=official_a, today=later)
    assert resubmitted.status == "submitted"
    assert not resubmitted.items.filter(returned=True).exists()


def test_returned_assessment_closes_at_its_new_deadline(q1_sa_a, official_a, assessor):
    submitted = self_submit(q1_sa_a, official_a, {"ZZ02": 1})
    services.self_assessment_send_back(
        assessment=submitted,
        by=assessor,
        item_ids=_ids(q1_sa_a.rubric, "ZZ02"),
        reason="补充",
        deadline=dt.date(2031, 4, 20),
        today=dt.date(2031, 4, 12),
    )
    with refused(services.WorkflowError, Refusal.SELF_DEADLINE_PASSED):
        self_save(submitted, official_a, {"ZZ02": 2}, today=dt.date(2031, 4, 21))


@pytest.mark.parametrize("who", ["official_a", "official_b"])
def test_officials_cannot_send_back(request, q1_sa_a, official_a, who):
    submitted = self_submit(q1_sa_a, official_a)
    with pytest.raises(services.WorkflowPermissionDenied):
        services.self_assessment_send_back(
            assessment=submitted,
            by=request.getfixturevalue(who),
            item_ids=_ids(q1_sa_a.rubric, "ZZ02"),
            reason="x",
            deadline=dt.date(2031, 4, 20),
            today=OPENED,
        )


def test_send_back_needs_submitted_items_reason_and_future_deadline(q1_sa_a, official_a, assessor):
    draft = self_save(q1_sa_a, official_a)
    kwargs = {
        "by": assessor,
        "reason": "补充",
        "deadline": dt.date(2031, 4, 20),
        "today": dt.date(2031, 4, 12),
    }
    with refused(services.WorkflowError, Refusal.NOT_SUBMITTED):
        services.self_assessment_send_back(
            assessment=draft, item_ids=_ids(q1_sa_a.rubric, "ZZ02"), **kwargs
        )
    submitted = services.self_assessment_submit(assessment=draft, by=official_a, today=OPENED)
    with refused(services.WorkflowError, Refusal.NO_ITEMS_CHOSEN):
        services.self_assessment_send_back(assessment=submitted, item_ids=[], **kwargs)
    with refused(services.WorkflowError, Refusal.REQUIRED, field="reason"):
        services.self_assessment_send_back(
            assessment=submitted,
            item_ids=_ids(q1_sa_a.rubric, "ZZ02"),
            **{**kwargs, "reason": "  "},
        )
    with refused(services.WorkflowError, Refusal.DEADLINE_IN_PAST):
        services.self_assessment_send_back(
            assessment=submitted,
            item_ids=_ids(q1_sa_a.rubric, "ZZ02"),
            **{**kwargs, "deadline": dt.date(2031, 4, 11)},
        )
    with refused(services.WorkflowError, Refusal.BAD_ITEMS):
        services.self_assessment_send_back(assessment=submitted, item_ids=[999999], **kwargs)
    assert fresh(submitted).status == "submitted"


def test_send_back_repeated_is_a_no_op(q1_sa_a, official_a, assessor):
    submitted = self_submit(q1_sa_a, official_a)
    kwargs = {
        "by": assessor,
        "item_ids": _ids(q1_sa_a.rubric, "ZZ02"),
        "reason": "补充",
        "deadline": dt.date(2031, 4, 20),
        "today": dt.date(2031, 4, 12),
    }
    first = services.self_assessment_send_back(assessment=submitted, **kwargs)
    again = services.self_assessment_send_back(assessment=submitted, **kwargs)
    assert again.version == first.version


# ---------------------------------------------------------------------- evidence


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("现场.jpg", JPEG, "image/jpeg"),
        ("photo.PNG", PNG, "image/png"),
        ("台账.pdf", PDF, "application/pdf"),
    ],
)
def test_evidence_accepts_jpg_png_pdf_by_their_bytes(
    q1_sa_a, official_a, name, content, content_type, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    item = items_by_code(q1_sa_a.rubric)["ZZ02"]
    evidence = services.evidence_add(
        by=official_a,
        file=upload(name, content, "text/plain"),
        side=Evidence.SIDE_SELF,
        assessment=q1_sa_a,
        item=item,
        today=OPENED,
    )
    assert (evidence.original_name, evidence.content_type, evidence.size) == (
        name,
        content_type,
        len(content),
    )
    assert (evidence.settlement_id, evidence.item, evidence.uploaded_by) == (
        q1_sa_a.settlement_id,
        item,
        official_a,
    )
    assert evidence.file.name.startswith(f"evidence/{q1_sa_a.settlement_id}/")
    assert name not in evidence.file.name  # stored under a random name
    with evidence.file.open("rb") as fh:
        assert fh.read() == content


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("x.jpg", b"GIF89a" + b"\x00" * 20, Refusal.FILE_TYPE),
        ("x.exe", b"MZ\x90\x00" + b"\x00" * 20, Refusal.FILE_TYPE),
        ("x.png", JPEG, Refusal.FILE_EXTENSION_MISMATCH),
        ("x.pdf.jpg", PDF, Refusal.FILE_EXTENSION_MISMATCH),
        ("empty.png", b"", Refusal.FILE_EMPTY),
    ],
)
def test_evidence_refuses_wrong_type_extension_or_empty(
    q1_sa_a, official_a, name, content, code, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    with refused(services.WorkflowError, code):
        services.evidence_add(
            by=official_a,
            file=upload(name, content, "image/png"),
            side=Evidence.SIDE_SELF,
            assessment=q1_sa_a,
            today=OPENED,
        )
    assert not Evidence.objects.exists()


def test_evidence_size_limit(q1_sa_a, official_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EVIDENCE_MAX_BYTES = 100
    with refused(services.WorkflowError, Refusal.FILE_TOO_LARGE):
        services.evidence_add(
            by=official_a,
            file=upload("big.png", PNG + b"\x00" * 100),
            side=Evidence.SIDE_SELF,
            assessment=q1_sa_a,
            today=OPENED,
        )
    small = services.evidence_add(
        by=official_a,
        file=upload("ok.png", (PNG + b"\x00" * 100)[:100]),
        side=Evidence.SIDE_SELF,
        assessment=q1_sa_a,
        today=OPENED,
    )
    assert small.size == 100


def test_evidence_permissions_and_state(
    q1_sa_a, official_a, official_b, assessor, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    kwargs = {"side": Evidence.SIDE_SELF, "assessment": q1_sa_a, "today": OPENED}
    with pytest.raises(services.WorkflowPermissionDenied):
        services.evidence_add(by=official_b, file=upload("a.png", PNG), **kwargs)
    with pytest.raises(services.WorkflowPermissionDenied):
        services.evidence_add(by=assessor, file=upload("a.png", PNG), **kwargs)
    with refused(services.WorkflowError, Refusal.SELF_DEADLINE_PASSED):
        services.evidence_add(
            by=official_a,
            file=upload("a.png", PNG),
            **{**kwargs, "today": SELF_DEADLINE + dt.timedelta(days=1)},
        )
    # County photos wait for a submitted (or overdue) self-assessment.
    with refused(services.WorkflowError, Refusal.NOT_SUBMITTED):
        services.evidence_add(
            by=assessor, file=upload("a.png", PNG), side=Evidence.SIDE_COUNTY, assessment=q1_sa_a
        )
    submitted = self_submit(q1_sa_a, official_a)
    with refused(services.WorkflowError, Refusal.SELF_SUBMITTED):
        services.evidence_add(by=official_a, file=upload("a.png", PNG), **kwargs)
    photo = services.evidence_add(
        by=assessor, file=upload("site.jpg", JPEG), side=Evidence.SIDE_COUNTY, assessment=submitted
    )
    assert photo.side == "county"
    with pytest.raises(services.WorkflowPermissionDenied):
        services.evidence_add(
            by=official_a,
            file=upload("a.png", PNG),
            side=Evidence.SIDE_COUNTY,
            assessment=submitted,
        )
    with pytest.raises(services.WorkflowError):
        services.evidence_add(
            by=official_a, file=upload("a.png", PNG), side="other", assessment=submitted
        )
    assert Evidence.objects.count() == 1


def test_evidence_while_returned_only_for_returned_items(
    q1_sa_a, official_a, assessor, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    submitted = self_submit(q1_sa_a, official_a)
    items = items_by_code(q1_sa_a.rubric)
    services.self_assessment_send_back(
        assessment=submitted,
        by=assessor,
        item_ids=[items["ZZ02"].pk],
        reason="补照片",
        deadline=dt.date(2031, 4, 20),
        today=dt.date(2031, 4, 12),
    )
    kwargs = {
        "by": official_a,
        "side": Evidence.SIDE_SELF,
        "assessment": submitted,
        "today": dt.date(2031, 4, 13),
    }
    with refused(services.WorkflowError, Refusal.ITEM_NOT_RETURNED):
        services.evidence_add(file=upload("a.png", PNG), item=items["HJ01"], **kwargs)
    assert (
        services.evidence_add(file=upload("a.png", PNG), item=items["ZZ02"], **kwargs).item
        == items["ZZ02"]
    )


def test_self_assessment_items_unique_per_assessment(q1_sa_a, official_a):
    self_save(q1_sa_a, official_a, {"ZZ02": 1})
    self_save(q1_sa_a, official_a, {"ZZ02": 2})
    assert (
        SelfAssessmentItem.objects.filter(assessment=q1_sa_a).count()
        == q1_sa_a.rubric.items.count()
    )
    assert SelfAssessment.objects.get(pk=q1_sa_a.pk).version == 2


@pytest.mark.parametrize(
    ("deadline", "accepted"), [(dt.date(2031, 4, 30), True), (dt.date(2031, 5, 1), False)]
)
def test_send_back_deadline_falls_before_the_rounds_review_deadline(
    q1_sa_a, official_a, assessor, deadline, accepted
):
    # The Q1 2031 round's county review deadline is 1 May 2031.
    submitted = self_submit(q1_sa_a, official_a, {"ZZ02": 1})
    kwargs = {
        "assessment": submitted,
        "by": assessor,
        "item_ids": _ids(q1_sa_a.rubric, "ZZ02"),
        "reason": "补充",
        "deadline": deadline,
        "today": dt.date(2031, 4, 12),
    }
    if accepted:
        assert services.self_assessment_send_back(**kwargs).deadline == deadline
        return
    with pytest.raises(services.WorkflowError) as refused:
        services.self_assessment_send_back(**kwargs)
    assert refused.value.error_dict["deadline"][0].code == "send_back_after_review_deadline"
    assert SelfAssessment.objects.get(pk=submitted.pk).status == AssessmentStatus.SUBMITTED


def test_send_back_far_in_the_future_is_refused(q1_sa_a, official_a, assessor):
    submitted = self_submit(q1_sa_a, official_a, {"ZZ02": 1})
    with pytest.raises(services.WorkflowError):
        services.self_assessment_send_back(
            assessment=submitted,
            by=assessor,
            item_ids=_ids(q1_sa_a.rubric, "ZZ02"),
            reason="补充",
            deadline=dt.date(2100, 1, 1),
            today=dt.date(2031, 4, 12),
        )
