"""Rubric items in and out of spreadsheets: the shipped default CSV imports into a chosen, unfrozen version."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from core.models import ImportJob
from ratings.models import Rubric
from ratings.rubric_loader import DEFAULT_RUBRIC_CSV, read_rubric_rows
from tests import factories as f

IMPORT_URL = reverse("admin:ratings_rubricitem_import")
PROCESS_URL = reverse("admin:ratings_rubricitem_process_import")
EXPORT_URL = reverse("admin:ratings_rubricitem_export")
HEADER = ["领域", "条目编号", "内容", "类型", "每次分值", "条目上限", "重点关注", "排序"]
FIELDS = ("area", "code", "text", "kind", "points", "cap", "flagged", "position")


@pytest.fixture
def draft(db):
    return Rubric.objects.create(version=2, name="评分细则（修订）")


def csv_bytes(rows, encoding="utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


@pytest.fixture(autouse=True)
def jobs_run_here(tmp_media, eager_celery):
    """Uploads under a temporary MEDIA_ROOT; the import's jobs run in the test (eagerly)."""


def preview(client, rubric, data: bytes, filename="rubric.csv"):
    """Upload (the preview job runs on commit) and open the job's page."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            IMPORT_URL, {"rubric": rubric.pk, "file": SimpleUploadedFile(filename, data)}
        )
    return client.get(response.url) if response.status_code == 302 else response


def confirm(client, response):
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = client.post(reverse("imports:confirm", args=[response.context["token"]]))
    return client.get(done.url)


def problems(response) -> list[str]:
    return [str(p) for p in response.context["summary"].problems]


def items_of(rubric) -> list[tuple]:
    return list(rubric.items.order_by("position", "code").values_list(*FIELDS))


def test_default_rubric_csv_imports_into_a_new_version(login, secretary, rubric, draft):
    client = login(secretary)

    response = preview(client, draft, DEFAULT_RUBRIC_CSV.read_bytes(), "default_rubric.csv")

    assert response.context["can_confirm"], problems(response)
    assert response.context["summary"].new == 31
    assert not draft.items.exists()  # the preview wrote nothing
    assert confirm(client, response).context["job"].status == "applied"
    assert items_of(draft) == items_of(rubric)  # the same 31 items as the migration installed
    assert items_of(draft) == [
        tuple(r[k] for k in FIELDS)
        for r in sorted(read_rubric_rows(), key=lambda r: (r["position"], r["code"]))
    ]


def test_importing_the_same_file_again_changes_nothing(login, secretary, draft):
    client = login(secretary)
    confirm(client, preview(client, draft, DEFAULT_RUBRIC_CSV.read_bytes()))
    before = items_of(draft)

    response = preview(client, draft, DEFAULT_RUBRIC_CSV.read_bytes())

    assert response.context["summary"].unchanged == 31
    confirm(client, response)
    assert items_of(draft) == before and draft.items.count() == 31


def test_gbk_csv_of_the_default_rubric_imports(login, secretary, draft):
    data = DEFAULT_RUBRIC_CSV.read_text(encoding="utf-8-sig").encode("gbk")

    response = preview(login(secretary), draft, data)

    assert response.context["summary"].new == 31


def test_frozen_version_is_not_offered_and_refused_if_posted(login, secretary, rubric):
    Rubric.objects.filter(pk=rubric.pk).update(frozen_at=timezone.now())
    client = login(secretary)

    assert rubric not in client.get(IMPORT_URL).context["form"].fields["rubric"].queryset
    response = preview(client, rubric, DEFAULT_RUBRIC_CSV.read_bytes())

    assert "rubric" in response.context["form"].errors
    assert not ImportJob.objects.exists()


def test_a_version_frozen_between_preview_and_confirm_is_refused(login, secretary, draft):
    client = login(secretary)
    response = preview(client, draft, DEFAULT_RUBRIC_CSV.read_bytes())
    Rubric.objects.filter(pk=draft.pk).update(frozen_at=timezone.now())  # a round opened meanwhile

    response = confirm(client, response)

    assert response.context["job"].status == "refused"
    assert "已被使用并冻结" in response.content.decode()
    assert not draft.items.exists()


def test_bad_rows_are_all_reported_and_nothing_is_written(login, secretary, draft):
    data = csv_bytes(
        [
            ["组织建设", "X01", "好的条目", "扣分", "1", "3", "否", "1"],
            ["组织建设", "X02", "上限小于分值", "扣分", "5", "3", "否", "2"],
            ["宣传教育", "X03", "没有这个领域", "扣分", "1", "3", "否", "3"],
            ["组织建设", "X04", "类型不对", "减分", "1", "3", "否", "4"],
            ["组织建设", "X05", "小数位太多", "加分", "0.25", "3", "也许", "5"],
            ["组织建设", "X01", "编号重复", "扣分", "1", "3", "否", "6"],
        ]
    )

    response = preview(login(secretary), draft, data)

    listed = problems(response)
    assert [p.split("：")[0] for p in listed] == [
        "第 2 行",
        "第 3 行",
        "第 4 行",
        "第 5 行",
        "第 6 行",
        "第 6 行",
        "第 7 行",
    ]
    assert "条目编号“X01”在文件中重复出现（第 2、7 行）" in listed[0]
    assert "条目上限（3）不能小于每次分值（5）" in listed[1]
    assert "“宣传教育”不是可选值" in listed[2] and "组织建设" in listed[2]
    assert "“减分”不是可选值" in listed[3]
    assert "重点关注：“也许”应填“是”或“否”" in listed[4]
    assert listed[5].startswith("第 6 行：每次分值：") and "1 位" in listed[5]
    assert listed[6] == listed[0].replace("第 2 行", "第 7 行")
    assert not draft.items.exists()


def test_rubric_item_import_and_export_need_their_own_permissions(login, draft):
    clerk = f.user("clerk", is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_rubricitem", "add_rubricitem", "change_rubricitem"]
        )
    )
    client = login(clerk)

    assert client.get(IMPORT_URL).status_code == 403
    assert client.get(EXPORT_URL).status_code == 403
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["import_rubricitem", "export_rubricitem"])
    )
    assert client.get(IMPORT_URL).status_code == 200
    assert client.get(EXPORT_URL).status_code == 200


def test_export_uses_the_default_rubric_headers_and_imports_back(login, secretary, rubric, draft):
    client = login(secretary)
    form = client.get(EXPORT_URL).context["form"]
    fields = {
        n: "on" for n, fld in form.fields.items() if getattr(fld, "is_selectable_field", False)
    }

    response = client.post(
        EXPORT_URL + f"?rubric__id__exact={rubric.pk}", {**fields, "format": "0", "resource": "0"}
    )

    rows = list(
        openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    )
    assert list(rows[0]) == [*HEADER, "版本"]
    assert len(rows) == 32
    zz01 = next(r for r in rows if r[1] == "ZZ01")
    assert (zz01[0], zz01[3], zz01[4], zz01[5], zz01[6], zz01[7], zz01[8]) == (
        "组织建设",
        "扣分",
        5,
        10,
        "是",
        1,
        1,
    )
    assert isinstance(zz01[4], int | float)  # numbers stay numbers in xlsx

    confirm(client, preview(client, draft, response.content, "export.xlsx"))
    assert items_of(draft) == items_of(rubric)
