"""Evidence: Word and Excel files accepted by their content; a wrong upload taken back before submitting."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ratings import rules, services
from ratings.models import Evidence
from ratings.services import Refusal
from tests.ratings.office_files import (
    docm_bytes,
    docx_bytes,
    docx_parts_with_xlsx_type,
    plain_zip,
    xlsx_bytes,
)
from tests.ratings.workflow import OPENED, PNG, SELF_DEADLINE, items_by_code, self_submit
from tests.refusals import refused

pytest_plugins = ["tests.ratings.workflow_fixtures"]


def upload(name: str, content: bytes):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def add(sa, by, name="a.png", content=PNG, *, item=None, today=OPENED):
    return services.evidence_add(
        by=by,
        file=upload(name, content),
        side=Evidence.SIDE_SELF,
        assessment=sa,
        item=item,
        today=today,
    )


# ------------------------------------------------------------------ Word and Excel


def test_office_type_rule_reads_parts_and_content_types():
    xml = '<Override PartName="/word/document.xml" ContentType="%s"/>'
    docx_main = rules.OFFICE_TYPES[rules.DOCX][1]
    assert (
        rules.office_type(
            names=["[Content_Types].xml", "word/document.xml"], content_types_xml=xml % docx_main
        )
        == rules.DOCX
    )
    # the type without the parts, the parts without the type, or no [Content_Types].xml: not Office
    assert (
        rules.office_type(
            names=["[Content_Types].xml", "xl/workbook.xml"], content_types_xml=xml % docx_main
        )
        is None
    )
    assert (
        rules.office_type(names=["[Content_Types].xml", "word/document.xml"], content_types_xml="")
        is None
    )
    assert rules.office_type(names=["word/document.xml"], content_types_xml=xml % docx_main) is None


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("整改台账.docx", docx_bytes(), rules.DOCX),
        ("户数统计.XLSX", xlsx_bytes(), rules.XLSX),
    ],
)
def test_word_and_excel_files_are_accepted_by_their_content(
    q1_sa_a, official_a, name, content, content_type, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    evidence = add(q1_sa_a, official_a, name, content)
    assert (evidence.content_type, evidence.size) == (content_type, len(content))
    assert evidence.file.name.endswith(name[-5:].lower())


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("宏.docx", docm_bytes(), Refusal.FILE_TYPE),  # macro-enabled: not a plain Word file
        ("压缩包.docx", plain_zip(), Refusal.FILE_TYPE),
        ("混合.docx", docx_parts_with_xlsx_type(), Refusal.FILE_TYPE),
        ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 40, Refusal.FILE_TYPE),
        ("台账.xlsx", docx_bytes(), Refusal.FILE_EXTENSION_MISMATCH),  # a Word file named .xlsx
        ("table.docx", xlsx_bytes(), Refusal.FILE_EXTENSION_MISMATCH),
        ("photo.docx", PNG, Refusal.FILE_EXTENSION_MISMATCH),
    ],
)
def test_zip_that_is_not_the_office_file_it_claims_is_refused(
    q1_sa_a, official_a, name, content, code, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    with refused(services.WorkflowError, code):
        add(q1_sa_a, official_a, name, content)
    assert not Evidence.objects.exists()


# ------------------------------------------------------------------------ removing


def test_official_removes_a_wrong_upload_from_the_draft_and_the_file_goes(
    q1_sa_a, official_a, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    evidence = add(q1_sa_a, official_a)
    stored = tmp_path / evidence.file.name
    assert stored.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_remove(evidence=evidence, by=official_a, today=OPENED)
    assert not Evidence.objects.exists()
    assert not stored.exists()
    # a second click is a no-op
    services.evidence_remove(evidence=evidence, by=official_a, today=OPENED)


def test_removal_refused_after_submission_past_deadline_and_for_others(
    q1_sa_a, official_a, official_b, assessor, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    evidence = add(q1_sa_a, official_a)
    with refused(services.WorkflowPermissionDenied, Refusal.NOT_OWN_TOWNSHIP):
        services.evidence_remove(evidence=evidence, by=official_b, today=OPENED)
    with refused(services.WorkflowPermissionDenied, Refusal.NOT_OWN_TOWNSHIP):
        services.evidence_remove(evidence=evidence, by=assessor, today=OPENED)
    with refused(services.WorkflowError, Refusal.SELF_DEADLINE_PASSED):
        services.evidence_remove(
            evidence=evidence, by=official_a, today=SELF_DEADLINE + dt.timedelta(days=1)
        )
    submitted = self_submit(q1_sa_a, official_a)
    with refused(services.WorkflowError, Refusal.SELF_SUBMITTED):
        services.evidence_remove(evidence=evidence, by=official_a, today=OPENED)
    photo = services.evidence_add(
        by=assessor, file=upload("site.png", PNG), side=Evidence.SIDE_COUNTY, assessment=submitted
    )
    with refused(services.WorkflowError, Refusal.EVIDENCE_NOT_REMOVABLE):
        services.evidence_remove(evidence=photo, by=official_a, today=OPENED)
    assert Evidence.objects.count() == 2


def test_while_returned_only_returned_items_files_may_be_removed(
    q1_sa_a, official_a, assessor, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    items = items_by_code(q1_sa_a.rubric)
    on_returned = add(q1_sa_a, official_a, item=items["ZZ02"])
    on_other = add(q1_sa_a, official_a, item=items["HJ01"])
    submitted = self_submit(q1_sa_a, official_a)
    services.self_assessment_send_back(
        assessment=submitted,
        by=assessor,
        item_ids=[items["ZZ02"].pk],
        reason="照片拍错了",
        deadline=dt.date(2031, 4, 20),
        today=dt.date(2031, 4, 12),
    )
    day = dt.date(2031, 4, 13)
    with refused(services.WorkflowError, Refusal.ITEM_NOT_RETURNED):
        services.evidence_remove(evidence=on_other, by=official_a, today=day)
    services.evidence_remove(evidence=on_returned, by=official_a, today=day)
    assert list(Evidence.objects.values_list("pk", flat=True)) == [on_other.pk]
