"""The import through the pages: upload returns at once, the job page polls, confirm once."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.imports import services
from core.imports.selectors import job_token
from core.models import ImportJob, ImportStatus
from settlements.models import Settlement
from tests import factories as f
from tests.settlement_rows import csv_bytes, row

IMPORT_URL = reverse("admin:settlements_settlement_import")
PROCESS_URL = reverse("admin:settlements_settlement_process_import")


def upload(client, data: bytes, name="s.csv"):
    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, data)})


@pytest.fixture
def staff_official_a(official_a):
    official_a.is_staff = True
    official_a.save()
    return official_a


def test_upload_returns_at_once_and_the_job_page_shows_the_preview_then_confirm_writes(
    login, secretary, settlement_a, eager_celery, django_capture_on_commit_callbacks
):
    client = login(secretary)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = upload(client, csv_bytes([row()]))

    # The preview is a job, queued after the upload is stored (its end is then announced
    # to the inbox, tests/notifications/test_import_finished.py).
    assert [c.args[0] for c in queued if c.func.__name__ == "_queue"] == [
        "core.tasks.import_preview"
    ]
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "imports:job", args=[job_token(job)]
    )
    page = client.get(response.url)
    assert page.status_code == 200
    assert page.context["job"].status == ImportStatus.PREVIEWED
    html = page.content.decode()
    assert "新增" in html and "确认导入" in html
    assert not Settlement.objects.filter(code="SN1").exists()

    confirm_url = reverse("imports:confirm", args=[job_token(job)])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm_url)

    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.rows_written) == (ImportStatus.APPLIED, 1)
    assert Settlement.objects.get(code="SN1").history.get().history_user == secretary


def test_pressing_confirm_twice_writes_once_and_never_answers_500(
    login, secretary, village_a, eager_celery, django_capture_on_commit_callbacks
):
    client = login(secretary)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, csv_bytes([row()]))
    job = ImportJob.objects.get()
    confirm_url = reverse("imports:confirm", args=[job_token(job)])

    # The second press arrives while the first is still being written, then after it.
    with django_capture_on_commit_callbacks(execute=False) as first_queued:
        first = client.post(confirm_url)
        second = client.post(confirm_url)
    for callback in first_queued:
        callback()
    third = client.post(confirm_url, follow=True)

    assert len(first_queued) == 1
    assert [first.status_code, second.status_code] == [302, 302]
    assert third.status_code == 200 and "已经确认过" in third.content.decode()
    assert Settlement.objects.filter(code="SN1").count() == 1


def test_the_page_polls_a_static_script_no_inline_script(login, secretary, village_a):
    client = login(secretary)
    upload(client, csv_bytes([row()]))  # not run: the job waits in the queue
    job = ImportJob.objects.get()

    html = client.get(reverse("imports:job", args=[job_token(job)])).content.decode()

    assert "js/import_progress.js" in html
    assert f'data-import-status-url="{reverse("imports:status", args=[job_token(job)])}"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # every script is a file


def test_status_endpoint_reports_counts_to_its_creator_and_the_secretary_only(
    login, staff_official_a, official_b, secretary, settlement_a
):
    job = services.import_job_create(
        kind="settlements",
        upload=SimpleUploadedFile("s.csv", csv_bytes([row(), row(code="SA1")])),
        by=staff_official_a,
    )
    url = reverse("imports:status", args=[job_token(job)])

    queued = login(staff_official_a).get(url).json()
    assert (queued["status"], queued["running"], queued["rows_read"]) == ("queued", True, 0)
    services.import_job_preview(job_id=job.pk)
    done = login(staff_official_a).get(url).json()
    assert (done["status"], done["running"], done["rows_read"], done["new"], done["changed"]) == (
        "previewed",
        False,
        2,
        1,
        1,
    )
    assert login(secretary).get(url).status_code == 200
    outsider = login(official_b)
    assert outsider.get(url).status_code == 404
    assert outsider.get(reverse("imports:job", args=[job_token(job)])).status_code == 404
    assert outsider.post(reverse("imports:confirm", args=[job_token(job)])).status_code == 404
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED


def test_a_guessed_or_tampered_job_id_is_a_404(login, secretary, village_a):
    job = services.import_job_create(
        kind="settlements", upload=SimpleUploadedFile("s.csv", csv_bytes([row()])), by=secretary
    )
    client = login(secretary)

    assert client.get(f"/imports/{job.pk}/status/").status_code == 404
    assert (
        client.get(f"/imports/{job.pk + 1}:{job_token(job).split(':')[1]}/status/").status_code
        == 404
    )


def test_only_the_uploader_may_confirm_even_a_secretary_who_sees_the_job(
    login, staff_official_a, secretary, settlement_a
):
    job = services.import_job_create(
        kind="settlements",
        upload=SimpleUploadedFile("s.csv", csv_bytes([row()])),
        by=staff_official_a,
    )
    services.import_job_preview(job_id=job.pk)

    assert (
        login(secretary).post(reverse("imports:confirm", args=[job_token(job)])).status_code == 404
    )
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED


def test_refused_rows_download_is_for_the_job_owner(login, secretary, official_b, village_a):
    job = services.import_job_create(
        kind="settlements",
        upload=SimpleUploadedFile("s.csv", csv_bytes([row(households="x")])),
        by=secretary,
    )
    job = services.import_job_preview(job_id=job.pk)
    url = reverse("imports:refused", args=[job_token(job)])

    page = login(secretary).get(reverse("imports:job", args=[job_token(job)])).content.decode()
    assert "第 2 行：户数：“x”不是整数。" in page and url in page
    response = login(secretary).get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert login(official_b).get(url).status_code == 404


def test_import_needs_its_own_permission(login, township_a, settlement_a):
    clerk = f.user("clerk", is_staff=True, township_obj=township_a)
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_settlement", "change_settlement"])
    )
    client = login(clerk)

    assert client.get(IMPORT_URL).status_code == 403
    assert upload(client, csv_bytes([row()])).status_code == 403
    assert client.post(PROCESS_URL, {}).status_code == 403
    assert not ImportJob.objects.exists()


def test_oversized_upload_is_refused_on_the_form(login, secretary, village_a, settings):
    settings.IMPORT_MAX_BYTES = 200

    response = upload(login(secretary), csv_bytes([row(code=f"SN{i}") for i in range(10)]))

    assert response.status_code == 200
    assert any("文件过大" in e for e in response.context["form"].errors["file"])
    assert not ImportJob.objects.exists()
