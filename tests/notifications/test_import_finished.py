"""Issue 15 — "import finished": the person who uploaded a spreadsheet hears when its
preview is ready, when it was applied, and when it failed (rows refused, changed since the
preview, or an error), with a link to the job's page; nobody else does."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from core.imports import services
from core.imports.selectors import job_token
from core.models import ImportJob, ImportStatus
from notifications import messages, rules
from notifications.models import Notification
from settlements.models import Settlement
from tests.settlement_rows import csv_bytes, row

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(tmp_media):
    return tmp_media


def _previewed(user, data: bytes, capture) -> ImportJob:
    job = services.import_job_create(
        kind="settlements", upload=SimpleUploadedFile("聚居点.csv", data), by=user
    )
    with capture(execute=True):
        return services.import_job_preview(job_id=job.pk)


def _applied(job: ImportJob, user, capture) -> ImportJob:
    assert services.import_job_confirm(job=job, by=user)
    with capture(execute=True):
        return services.import_job_apply(job_id=job.pk)


def _only(user) -> Notification:
    rows = list(Notification.objects.filter(recipient=user))
    assert len(rows) == 1, rows
    return rows[0]


def _link(job: ImportJob) -> str:
    return reverse("imports:job", args=[job_token(job)])


def test_a_finished_preview_tells_the_uploader_with_a_link_to_the_job(
    secretary, assessor, village_a, client, django_capture_on_commit_callbacks
):
    job = _previewed(
        secretary, csv_bytes([row(), row(code="SN2")]), django_capture_on_commit_callbacks
    )

    assert job.status == ImportStatus.PREVIEWED
    note = _only(secretary)
    assert note.kind == rules.IMPORT_PREVIEWED
    assert note.link == _link(job)
    assert not Notification.objects.filter(recipient=assessor).exists()
    with translation.override("zh-hans"):
        assert "新增 2 条" in messages.text(note.kind, note.params)
    with translation.override("en"):
        assert "2 new" in messages.text(note.kind, note.params)
    client.force_login(secretary)
    assert client.get(note.link).status_code == 200


def test_an_applied_import_tells_the_uploader_once_more(
    secretary, village_a, django_capture_on_commit_callbacks
):
    job = _previewed(secretary, csv_bytes([row()]), django_capture_on_commit_callbacks)
    job = _applied(job, secretary, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.APPLIED
    kinds = set(Notification.objects.filter(recipient=secretary).values_list("kind", flat=True))
    assert kinds == {rules.IMPORT_PREVIEWED, rules.IMPORT_APPLIED}
    applied = Notification.objects.get(recipient=secretary, kind=rules.IMPORT_APPLIED)
    assert applied.link == _link(job)
    assert applied.params["new"] == 1


def test_refused_rows_are_a_failed_import(secretary, village_a, django_capture_on_commit_callbacks):
    job = _previewed(
        secretary,
        csv_bytes([row(), row(code="SN2", households="abc")]),
        django_capture_on_commit_callbacks,
    )

    assert job.status == ImportStatus.REFUSED
    note = _only(secretary)
    assert (note.kind, note.params["refused"], note.link) == (rules.IMPORT_FAILED, 1, _link(job))
    with translation.override("zh-hans"):
        assert "1 行未通过检查" in messages.text(note.kind, note.params)


def test_a_row_changed_since_the_preview_fails_the_apply_and_says_so(
    secretary, official_a, settlement_a, django_capture_on_commit_callbacks
):
    job = _previewed(
        secretary,
        csv_bytes([row(code=settlement_a.code, name="改名")]),
        django_capture_on_commit_callbacks,
    )
    Settlement.objects.filter(pk=settlement_a.pk).update(households=61, residents=201)
    job = _applied(job, secretary, django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.REFUSED
    failed = Notification.objects.get(recipient=secretary, kind=rules.IMPORT_FAILED)
    assert failed.key == f"import:{job.pk}:apply" and failed.link == _link(job)
    assert not Notification.objects.filter(recipient=official_a).exists()


def test_an_error_is_a_failed_import(secretary, village_a, django_capture_on_commit_callbacks):
    with mock.patch(
        "settlements.importers.SettlementImporter.prepare", side_effect=RuntimeError("boom")
    ):
        job = _previewed(secretary, csv_bytes([row()]), django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.FAILED
    note = _only(secretary)
    assert (note.kind, note.params["status"]) == (rules.IMPORT_FAILED, "failed")
    with translation.override("zh-hans"):
        assert "出错" in messages.text(note.kind, note.params)


def test_a_step_announced_twice_is_one_notification(
    secretary, village_a, django_capture_on_commit_callbacks
):
    from core.imports.signals import import_step_finished

    job = _previewed(secretary, csv_bytes([row()]), django_capture_on_commit_callbacks)
    import_step_finished.send(sender=ImportJob, job_id=job.pk, step="preview")

    assert Notification.objects.filter(recipient=secretary).count() == 1


def test_which_kind_an_import_step_gives():
    assert rules.import_kind(step="preview", status="previewed") == rules.IMPORT_PREVIEWED
    assert rules.import_kind(step="apply", status="applied") == rules.IMPORT_APPLIED
    assert rules.import_kind(step="preview", status="refused") == rules.IMPORT_FAILED
    assert rules.import_kind(step="apply", status="failed") == rules.IMPORT_FAILED
    assert rules.import_kind(step="preview", status="previewing") is None
