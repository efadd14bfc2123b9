# ruff: noqa: F811 - fixtures are imported from tests.ratings.view_fixtures and requested by name
"""Bad input answered in Chinese and in the right place: the admin's password rules, an
empty spreadsheet, a bad 乡镇 cell, a tampered hidden version field."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.imports import services as import_services
from core.models import ImportStatus
from ratings.models import SelfAssessmentItem
from settlements.models import Settlement, User
from tests import factories as f
from tests.ratings.view_fixtures import (  # noqa: F401 - fixtures
    fresh,
    media_root,
    round_now,
    sa_a,
    self_form_data,
)
from tests.settlements.test_import_export import HEADER, csv_bytes, row

pytestmark = pytest.mark.django_db

ERRORLIST = re.compile(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', re.S)


def error_texts(response) -> list[str]:
    return [
        re.sub(r"<[^>]+>", " ", m).strip() for m in ERRORLIST.findall(response.content.decode())
    ]


# ----------------------------------------------------------------- password rules


def test_admin_password_rules_answer_in_chinese(client, secretary):
    superuser = f.user("root", is_superuser=True, is_staff=True)
    client.force_login(superuser)
    response = client.post(
        reverse("admin:settlements_user_add"),
        {"username": "newcomer", "password1": "abc", "password2": "abc", "usable_password": "true"},
    )
    assert response.status_code == 200
    errors = " ".join(error_texts(response))
    assert "密码太短，至少要有 8 个字符" in errors
    assert "too short" not in errors
    assert not User.objects.filter(username="newcomer").exists()


def test_admin_password_rules_still_english_in_english(client):
    superuser = f.user("root", is_superuser=True, is_staff=True)
    client.force_login(superuser)
    response = client.post(
        reverse("admin:settlements_user_add"),
        {"username": "newcomer", "password1": "abc", "password2": "abc", "usable_password": "true"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "This password is too short" in " ".join(error_texts(response))


# --------------------------------------------------------------------- spreadsheets


def _previewed(user, data: bytes):
    """The import pipeline's preview of an uploaded CSV (core.imports), run in place."""
    job = import_services.import_job_create(
        kind="settlements", upload=SimpleUploadedFile("s.csv", data), by=user
    )
    return import_services.import_job_preview(job_id=job.pk)


@pytest.mark.parametrize(
    "rows", [[], [["", "", "", "", "", "", "", "", "", ""]]], ids=["header-only", "blank-row"]
)
def test_header_only_import_answers_in_chinese(secretary, village_a, rows, tmp_media):
    job = _previewed(secretary, csv_bytes(rows))
    assert job.status == ImportStatus.REFUSED
    assert "No valid data" not in job.error
    assert "没有可导入的数据" in job.error
    assert import_services.import_job_confirm(job=job, by=secretary) is False
    assert not Settlement.objects.exists()


def test_empty_file_answers_in_chinese(secretary, village_a, tmp_media):
    with pytest.raises(import_services.ImportRefused) as refused:
        import_services.import_job_create(
            kind="settlements", upload=SimpleUploadedFile("x.csv", b""), by=secretary
        )
    assert refused.value.code == "file_size"
    assert refused.value.message == "文件是空的。"


@pytest.mark.parametrize(
    ("township", "expected"),
    [
        ("", "第 2 行：乡镇：请同时填写乡镇。"),
        ("不存在镇", "第 2 行：乡镇：乡镇“不存在镇”不存在。"),
    ],
    ids=["blank", "unknown"],
)
def test_bad_township_is_reported_under_the_township_column(
    secretary, village_a, township, expected, tmp_media
):
    job = _previewed(secretary, csv_bytes([row(township=township)]))
    assert [str(p) for p in import_services.summary_of(job).problems] == [expected]


def test_unknown_village_is_still_reported_under_the_village_column(
    secretary, village_a, tmp_media
):
    job = _previewed(secretary, csv_bytes([row(village="没有这个村")]))
    assert [str(p) for p in import_services.summary_of(job).problems] == [
        "第 2 行：村：乡镇“甲镇”下没有名为“没有这个村”的村。"
    ]


assert HEADER[2:4] == ["乡镇", "村"]


# ------------------------------------------------------------- tampered version


@pytest.mark.parametrize("version", ["abc", "-1", ""], ids=["text", "negative", "blank"])
def test_tampered_version_is_a_visible_conflict_message(client, official_a, sa_a, version):
    client.force_login(official_a)
    data = self_form_data(sa_a, {"HJ01": 3})
    data["version"] = version
    response = client.post(reverse("ratings:self_assessment", args=[sa_a.pk]), data)

    assert response.status_code in (400, 409)
    form = response.context["form"]
    assert "version" not in form.errors
    assert [e.code for e in form.non_field_errors().as_data()] == ["bad_version"]
    page = response.content.decode()
    assert "表单已失效（缺少或无效的版本号），请刷新页面后重新填写" in page
    assert "有条目需要修改，请查看标红的内容" not in page
    assert fresh(sa_a).version == 0
    assert not SelfAssessmentItem.objects.filter(assessment=sa_a, occurrences=3).exists()
