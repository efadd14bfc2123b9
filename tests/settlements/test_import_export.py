"""Settlements in and out of spreadsheets through the admin: preview, confirm, all-or-nothing, scope."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
import tablib
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from core.models import ImportJob
from settlements.models import Settlement
from settlements.resources import SettlementResource
from tests import factories as f
from tests.settlement_rows import HEADER, csv_bytes, row, xlsx_bytes

IMPORT_URL = reverse("admin:settlements_settlement_import")
PROCESS_URL = reverse("admin:settlements_settlement_process_import")
EXPORT_URL = reverse("admin:settlements_settlement_export")


@pytest.fixture(autouse=True)
def jobs_run_here(tmp_media, eager_celery):
    """Uploads under a temporary MEDIA_ROOT; the import's jobs run in the test (eagerly)."""


def preview(client, data: bytes, filename="settlements.csv"):
    """Upload (the preview job runs on commit, eagerly) and open the job's page."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(IMPORT_URL, {"file": SimpleUploadedFile(filename, data)})
    if response.status_code != 302:
        return response
    return client.get(response.url)


def confirm(client, response):
    token = response.context["token"]
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("imports:confirm", args=[token]))


def problems(response) -> list[str]:
    return [str(p) for p in response.context["summary"].problems]


def can_confirm(response) -> bool:
    return bool(response.context.get("can_confirm"))


def snapshot() -> list[tuple]:
    return list(
        Settlement.objects.order_by("code").values_list("code", "name", "households", "village_id")
    )


@pytest.fixture
def staff_official_a(official_a):
    official_a.is_staff = True
    official_a.save()
    official_a.user_permissions.add(Permission.objects.get(codename="import_settlement"))
    return official_a


@pytest.fixture
def staff_official_b(official_b):
    official_b.is_staff = True
    official_b.save()
    official_b.user_permissions.add(Permission.objects.get(codename="import_settlement"))
    return official_b


# -------------------------------------------------------------------- happy path


def test_secretary_previews_then_confirms_new_and_updated_rows(
    login, secretary, settlement_a, settlement_b
):
    client = login(secretary)
    data = csv_bytes(
        [row(), row(code="SA1", name="幸福苑（扩建）", households="130", residents="420")]
    )

    response = preview(client, data)

    assert response.status_code == 200
    assert can_confirm(response), problems(response)
    summary = response.context["summary"]
    assert (summary.new, summary.changed, summary.unchanged) == (1, 1, 0)
    assert not Settlement.objects.filter(code="SN1").exists()  # a preview writes nothing

    response = confirm(client, response)

    assert response.status_code == 302
    new = Settlement.objects.get(code="SN1")
    assert (new.name, new.village.name, new.households, new.residents, new.party_members) == (
        "新村苑",
        "甲村",
        60,
        200,
        4,
    )
    assert new.moved_in_on == date(2019, 6, 30)
    assert (new.party_org, new.self_management, new.klass) == ("branch", "committee", 2)
    settlement_a.refresh_from_db()
    assert (settlement_a.name, settlement_a.households) == ("幸福苑（扩建）", 130)
    assert settlement_a.history.latest().history_user == secretary  # who changed it is kept


def test_xlsx_with_numbers_and_date_cells_imports(login, secretary, village_a):
    from datetime import datetime

    data = xlsx_bytes(
        [
            [
                "SN1",
                "新村苑",
                "甲镇",
                "甲村",
                45,
                150,
                0,
                datetime(2018, 3, 1),
                "党员先锋服务站（选派党员）",
                "",
            ]
        ]
    )

    response = preview(login(secretary), data, "s.xlsx")
    confirm(login(secretary), response)

    new = Settlement.objects.get(code="SN1")
    assert (new.households, new.residents, new.party_members, new.moved_in_on) == (
        45,
        150,
        0,
        date(2018, 3, 1),
    )
    assert (new.party_org, new.self_management, new.klass) == ("station", "none", 3)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_utf8_with_or_without_bom_and_gbk_csv_are_accepted(login, secretary, village_a, encoding):
    response = preview(login(secretary), csv_bytes([row()], encoding=encoding))

    assert can_confirm(response), problems(response)
    confirm(login(secretary), response)
    assert Settlement.objects.get(code="SN1").name == "新村苑"


def test_class_is_derived_never_imported(login, secretary, village_a):
    data = csv_bytes(
        [[*row(households="30", residents="90"), "一类（100户及以上）"]], header=[*HEADER, "类别"]
    )

    confirm(login(secretary), preview(login(secretary), data))

    assert Settlement.objects.get(code="SN1").klass == 3


# ------------------------------------------------------------ all or nothing


def test_one_bad_row_writes_nothing_and_every_bad_row_is_listed_with_its_reason(
    login, secretary, settlement_a
):
    before = snapshot()
    data = csv_bytes(
        [
            row(),  # row 2: fine
            row(code="SN2", households="abc"),  # row 3: not a number
            row(code="SN3", village="不存在村"),  # row 4: no such village
            row(
                code="SN4", households="80", residents="50"
            ),  # row 5: fewer residents than households
            row(code="SN5", party_org="党委"),  # row 6: not a choice
        ]
    )

    response = preview(login(secretary), data)

    assert not can_confirm(response)
    listed = problems(response)
    assert [p.split("：")[0] for p in listed] == ["第 3 行", "第 4 行", "第 5 行", "第 6 行"]
    assert "户数" in listed[0] and "“abc”不是整数" in listed[0]
    assert "没有名为“不存在村”的村" in listed[1]
    assert "人口数（50）不能少于户数（80）" in listed[2]
    assert "“党委”不是可选值" in listed[3]
    assert "第 3 行" in response.content.decode()
    assert snapshot() == before


def test_resource_level_import_is_all_or_nothing_even_without_the_preview(secretary, settlement_a):
    before = snapshot()
    dataset = tablib.Dataset(row(), row(code="SN2", households="-3"), headers=HEADER)

    result = SettlementResource(user=secretary).import_data(dataset, dry_run=False)

    assert result.has_validation_errors()
    assert snapshot() == before  # the good row was rolled back too


def test_model_validation_errors_are_reported_per_row(login, secretary, village_a):
    data = csv_bytes([row(name="长" * 101), row(code="SN2", moved_in_on="去年"), row(code="")])

    response = preview(login(secretary), data)

    listed = problems(response)
    assert len(listed) == 3
    assert listed[0].startswith(
        "第 2 行：名称：确保该变量包含不超过 100 字符"
    )  # Django's max_length message
    assert "不是日期" in listed[1]
    assert listed[2] == "第 4 行：代码：不能为空。"
    assert not Settlement.objects.exists()


def test_duplicate_codes_in_one_file_are_reported(login, secretary, village_a):
    response = preview(login(secretary), csv_bytes([row(), row(name="另一个")]))

    assert problems(response) == [
        "第 2 行：代码：代码“SN1”在文件中重复出现（第 2、3 行）。",
        "第 3 行：代码：代码“SN1”在文件中重复出现（第 2、3 行）。",
    ]


def test_blank_rows_are_skipped_and_later_rows_keep_their_excel_numbers(
    login, secretary, village_a
):
    data = csv_bytes(
        [row(), ["", "", "", "", "", "", "", "", "", ""], row(code="SN2", households="x")]
    )

    assert problems(preview(login(secretary), data)) == ["第 4 行：户数：“x”不是整数。"]


def test_missing_columns_are_refused_before_any_row(login, secretary, village_a):
    data = csv_bytes([row()[:4]], header=HEADER[:4])

    response = preview(login(secretary), data)

    assert problems(response) == [
        "表头缺少这些列：户数、人口数、党员数。请使用导出的表格作为模板。"
    ]
    assert response.context["job"].status == "refused"


def test_a_confirm_that_fails_after_the_preview_writes_nothing_and_says_why(
    login, secretary, village_a
):
    client = login(secretary)
    response = preview(client, csv_bytes([row(), row(code="SN2")]))
    assert can_confirm(response)
    # Between preview and confirm someone else creates SN2: the confirm applies what was
    # previewed (two new rows) or nothing, and names the row that changed.
    f.settlement(village_a, code="SN2", name="别人建的")

    response = client.get(confirm(client, response).url)

    assert response.context["job"].status == "refused"
    assert "没有写入任何数据" in response.content.decode()
    assert [p.split("：")[:2] for p in problems(response)] == [["第 3 行", "代码"]]
    assert "“别人建的”" in problems(response)[0]
    assert list(Settlement.objects.values_list("code", flat=True)) == ["SN2"]


# ------------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    ("encoding", "message"),
    [("utf-16", "UTF-16"), ("shift_jis", "无法识别文件编码")],
)
def test_other_encodings_are_refused_with_a_clear_message(
    login, secretary, village_a, encoding, message
):
    text = (
        "名前,ｱｲｳ\r\nテスト,ｶ\r\n"
        if encoding == "shift_jis"
        else ",".join(HEADER) + "\r\n" + ",".join(row()) + "\r\n"
    )

    response = preview(login(secretary), text.encode(encoding))

    assert response.status_code == 200
    assert message in response.context["job"].error
    assert message in response.content.decode()
    assert "Traceback" not in response.content.decode()
    # The upload page says which columns it expects.
    assert login(secretary).get(IMPORT_URL).context["columns"][:5] == [
        "代码",
        "名称",
        "乡镇",
        "村",
        "户数",
    ]
    assert not Settlement.objects.exists()


def test_oversized_file_is_refused(login, secretary, village_a, settings):
    settings.IMPORT_MAX_BYTES = 200
    data = csv_bytes([row(code=f"SN{i}") for i in range(10)])
    assert len(data) > 200

    response = preview(login(secretary), data)

    assert any("文件过大" in e for e in response.context["form"].errors["file"])
    assert not Settlement.objects.exists()


# ------------------------------------------------------------------------- scope


def test_official_import_preview_shows_only_their_township(
    login, staff_official_a, settlement_a, settlement_b
):
    response = preview(
        login(staff_official_a),
        csv_bytes(
            [row(code="SA1", name="幸福苑", households="120", residents="400", party_members="5")]
        ),
    )

    assert can_confirm(response), problems(response)
    summary = response.context["summary"]
    assert (summary.new, summary.changed, summary.unchanged) == (
        0,
        1,
        0,
    )  # date and organisation forms differ
    page = response.content.decode()
    assert "安居园" not in page and "乙镇" not in page


def test_official_row_for_another_township_is_rejected_and_nothing_written(
    login, staff_official_a, settlement_a, settlement_b
):
    before = snapshot()
    data = csv_bytes(
        [
            row(),  # own township: fine on its own
            row(code="SN2", township="乙镇", village="乙村"),  # another township's village
            row(code="SB1", name="抢过来"),  # another township's settlement, by code
        ]
    )

    response = preview(login(staff_official_a), data)

    listed = problems(response)
    assert listed[0].startswith("第 3 行：乡镇：乡镇“乙镇”不存在或不在您的管辖范围内")
    assert "“甲镇”" in listed[0]
    assert listed[1] == "第 4 行：代码：代码“SB1”已被其他乡镇的聚居点使用，您无权修改该聚居点。"
    assert not can_confirm(response)
    assert snapshot() == before


def test_outsider_cannot_update_a_settlement_of_township_a_by_its_code(
    login, staff_official_b, settlement_a, village_b
):
    data = csv_bytes([row(code="SA1", name="改名", township="乙镇", village="乙村")])

    response = preview(login(staff_official_b), data)

    assert problems(response) == [
        "第 2 行：代码：代码“SA1”已被其他乡镇的聚居点使用，您无权修改该聚居点。"
    ]
    settlement_a.refresh_from_db()
    assert (settlement_a.name, settlement_a.village.township.name) == ("幸福苑", "甲镇")


def test_secretary_may_import_into_any_township(login, secretary, settlement_a, village_b):
    data = csv_bytes(
        [
            row(
                code="SA1",
                name="幸福苑",
                households="120",
                residents="400",
                party_members="5",
                township="乙镇",
                village="乙村",
            )
        ]
    )

    confirm(login(secretary), preview(login(secretary), data))

    settlement_a.refresh_from_db()
    assert settlement_a.village == village_b


# ------------------------------------------------------------------- permissions


def test_import_needs_its_own_permission(login, township_a, settlement_a):
    # A staff user who can view and change settlements, but has not been given import.
    clerk = f.user("clerk", is_staff=True, township_obj=township_a)
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_settlement", "change_settlement"])
    )
    client = login(clerk)

    assert client.get(reverse("admin:settlements_settlement_changelist")).status_code == 200
    assert client.get(IMPORT_URL).status_code == 403
    assert preview(client, csv_bytes([row()])).status_code == 403
    assert (
        client.post(
            PROCESS_URL, {"import_file_name": "x", "original_file_name": "x.csv", "format": "0"}
        ).status_code
        == 403
    )
    assert not ImportJob.objects.exists()
    assert (
        IMPORT_URL
        not in client.get(reverse("admin:settlements_settlement_changelist")).content.decode()
    )


def test_export_needs_its_own_permission(login, settlement_a):
    clerk = f.user("clerk", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_settlement"))
    client = login(clerk)

    assert client.get(EXPORT_URL).status_code == 403
    assert client.post(EXPORT_URL, {"format": "0"}).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="export_settlement"))
    assert client.get(EXPORT_URL).status_code == 200


# ------------------------------------------------------------------------ export


def export(client, fmt: str):
    """Post the export form as a person would: every column ticked (the default), a format chosen."""
    form = client.get(EXPORT_URL).context["form"]
    data = {
        name: "on"
        for name, field in form.fields.items()
        if getattr(field, "is_selectable_field", False)
    }
    return client.post(EXPORT_URL, {**data, "format": fmt, "resource": "0"})


def test_xlsx_export_neutralises_formulas_and_keeps_numbers(login, secretary, village_a):
    f.settlement(
        village_a,
        code="SX1",
        name='=HYPERLINK("http://evil","点我")',
        households=45,
        residents=150,
        party_members=2,
        longitude=Decimal("-104.123456"),
    )
    f.settlement(
        village_a, code="SX2", name="@SUM(A1)", households=10, residents=30, party_members=0
    )

    response = export(login(secretary), "0")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:10] == tuple(HEADER)
    by_code = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert by_code["SX1"]["名称"] == '\'=HYPERLINK("http://evil","点我")'
    assert by_code["SX2"]["名称"] == "'@SUM(A1)"
    assert by_code["SX1"]["户数"] == 45 and isinstance(by_code["SX1"]["户数"], int)
    assert by_code["SX1"]["经度"] == pytest.approx(-104.123456)
    assert by_code["SX1"]["类别"] == "三类（20–49户）"
    assert all(cell.data_type != "f" for r in sheet.iter_rows() for cell in r)


def test_csv_export_is_utf8_with_bom_and_neutralised(login, secretary, village_a):
    f.settlement(village_a, code="SX1", name="+1-1", households=45, residents=150, party_members=2)

    response = export(login(secretary), "1")

    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith(",".join(HEADER))
    assert "SX1,'+1-1,甲镇,甲村,45,150,2," in text


def test_official_export_contains_only_their_township(
    login, official_a, settlement_a, settlement_b
):
    official_a.is_staff = True
    official_a.save()

    response = export(login(official_a), "1")

    text = response.content.decode("utf-8-sig")
    assert "SA1" in text and "幸福苑" in text
    assert "SB1" not in text and "安居园" not in text


def test_exported_file_imports_back_unchanged(login, secretary, settlement_a, settlement_b):
    before = snapshot()
    exported = export(login(secretary), "0").content

    response = preview(login(secretary), exported, "export.xlsx")

    assert can_confirm(response), problems(response)
    summary = response.context["summary"]
    assert (summary.unchanged, summary.new, summary.changed) == (2, 0, 0)
    confirm(login(secretary), response)
    assert snapshot() == before


# ------------------------------------------------------------------- performance


def test_townships_and_villages_are_read_once_per_import_not_per_row(secretary):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.imports import services

    villages = [f.village(f.township(f"镇{i}"), f"村{i}") for i in range(5)]
    rows = [
        row(code=f"SN{i}", township=villages[i % 5].township.name, village=villages[i % 5].name)
        for i in range(40)
    ]
    job = services.import_job_create(
        kind="settlements", upload=SimpleUploadedFile("s.csv", csv_bytes(rows)), by=secretary
    )

    with CaptureQueriesContext(connection) as queries:
        job = services.import_job_preview(job_id=job.pk)

    assert job.status == "previewed", job.problems
    selects = [q["sql"] for q in queries if q["sql"].startswith("SELECT")]
    assert sum('FROM "settlements_village"' in q for q in selects) == 1
    assert sum('FROM "settlements_township"' in q for q in selects) == 1
    assert (
        sum('FROM "settlements_settlement"' in q for q in selects) == 1
    )  # existing codes, one batch


def test_township_officials_group_may_import_and_export_their_township(
    login, official_a, settlement_a
):
    official_a.is_staff = True
    official_a.save()
    client = login(official_a)
    assert client.get(IMPORT_URL).status_code == 200
    assert client.get(EXPORT_URL).status_code == 200
