# ruff: noqa: F811 - fixtures are imported from tests.ratings.view_fixtures and requested by name
"""Bad input answered in Chinese and in the right place: the admin's password rules, an
empty spreadsheet, a bad 乡镇 cell, a tampered hidden version field."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

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
from tests.settlements.test_import_export import HEADER, csv_bytes, preview, problems, row

pytestmark = pytest.mark.django_db

ERRORLIST = re.compile(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', re.S)


def error_texts(response) -> list[str]:
    return [re.sub(r"<[^>]+>", " ", m).strip() for m in ERRORLIST.findall(response.content.decode())]


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


@pytest.mark.parametrize("rows", [[], [["", "", "", "", "", "", "", "", "", ""]]], ids=["header-only", "blank-row"])
def test_header_only_import_answers_in_chinese(client, secretary, village_a, rows):
    client.force_login(secretary)
    response = preview(client, csv_bytes(rows))
    page = response.content.decode()
    assert "No valid data" not in page
    assert "没有可导入的数据" in page or any("没有可导入" in p for p in problems(response))
    assert not Settlement.objects.exists()


def test_empty_file_answers_in_chinese(client, secretary, village_a):
    client.force_login(secretary)
    response = client.post(
        reverse("admin:settlements_settlement_import"),
        {"format": "0", "import_file": SimpleUploadedFile("x.csv", b"")},
    )
    page = response.content.decode()
    assert "No valid data" not in page
    assert error_texts(response) == ["所提交的是空文件。"]


@pytest.mark.parametrize(
    ("township", "expected"),
    [("", "第 2 行：乡镇：请同时填写乡镇。"), ("不存在镇", "第 2 行：乡镇：乡镇“不存在镇”不存在。")],
    ids=["blank", "unknown"],
)
def test_bad_township_is_reported_under_the_township_column(client, secretary, village_a, township, expected):
    client.force_login(secretary)
    response = preview(client, csv_bytes([row(township=township)]))
    assert problems(response) == [expected]


def test_unknown_village_is_still_reported_under_the_village_column(client, secretary, village_a):
    client.force_login(secretary)
    response = preview(client, csv_bytes([row(village="没有这个村")]))
    assert problems(response) == ["第 2 行：村：乡镇“甲镇”下没有名为“没有这个村”的村。"]


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
    assert [e.code for e in form.non_field_errors().as_data()] == ["stale_version"]
    page = response.content.decode()
    assert "该表已被他人修改，请刷新后重试" in page
    assert "有条目需要修改，请查看标红的内容" not in page
    assert fresh(sa_a).version == 0
    assert not SelfAssessmentItem.objects.filter(assessment=sa_a, occurrences=3).exists()
