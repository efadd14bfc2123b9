"""Household and point-entry imports: preview then confirm, all or nothing, scoped."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from core.imports import services as imports
from core.imports.selectors import job_token
from core.models import ImportJob, ImportStatus
from settlements.governance import services
from settlements.governance.importers import HouseholdImporter, PointEntryImporter
from settlements.models import Household, PointCategory, PointEntry

ID_1 = "11010519491231002X"


def valid_id(prefix17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(prefix17, weights, strict=True))
    return prefix17 + "10X98765432"[total % 11]


ID_2 = valid_id("51132219900101001")
ID_3 = valid_id("51132219900101002")
HOUSEHOLD_HEADER = "聚居点代码,户主姓名,身份证号,联系电话,家庭人口,基础分"
ENTRY_HEADER = "聚居点代码,户主身份证号,积分类别,分值,事由,发生日期"


@pytest.fixture(autouse=True)
def jobs_run_here(tmp_media, eager_celery):
    """Uploads under a temporary MEDIA_ROOT; the import's jobs run in the test (eagerly)."""


def csv_bytes(lines, encoding="utf-8-sig"):
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


KINDS = {HouseholdImporter: "households", PointEntryImporter: "points"}


def run(importer, user, data, dry_run=True, name="file.csv"):
    """The pipeline without the pages: preview, then (unless dry_run) apply."""
    job = imports.import_job_create(
        kind=KINDS[importer], upload=SimpleUploadedFile(name, data), by=user
    )
    job = imports.import_job_preview(job_id=job.pk)
    if not dry_run and job.status == ImportStatus.PREVIEWED:
        job = imports.import_apply_now(job=job, by=user)
    return job, [str(p) for p in imports.summary_of(job).problems]


def upload(client, kind, data, name="file.csv"):
    """Upload on the page; the preview job runs on commit; the job's page is returned."""
    url = reverse("settlements:governance_import", args=[kind])
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url, {"file": SimpleUploadedFile(name, data)})
    return client.get(response.url) if response.status_code == 302 else response


def confirm(client, kind):
    job = ImportJob.objects.filter(kind=kind).latest("pk")
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("imports:confirm", args=[job_token(job)]))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_households_import_preview_then_confirm(login, settlement_a, official_a, encoding):
    client = login(official_a)
    data = csv_bytes(
        [HOUSEHOLD_HEADER, f"SA1,张三,{ID_1},13800000000,4,", f"SA1,李四,{ID_2.lower()},,2,90"],
        encoding,
    )
    preview = upload(client, "households", data)
    html = preview.content.decode()
    assert preview.status_code == 200 and "确认导入" in html and preview.context["summary"].new == 2
    assert ID_1 not in html and ID_2 not in html  # the preview shows counts, never an ID number
    assert not Household.objects.exists()  # preview writes nothing
    response = confirm(client, "households")
    assert response.status_code == 302
    households = {h.head_name: h for h in Household.objects.all()}
    assert households["张三"].base_score == Decimal("100") and households["张三"].members == 4
    assert households["李四"].base_score == Decimal("90") and households["李四"].id_number == ID_2
    assert households["张三"].history.latest().history_user == official_a


def test_households_import_from_xlsx_with_numeric_cells(settlement_a, official_a):
    data = xlsx_bytes([HOUSEHOLD_HEADER.split(","), ["SA1", "张三", ID_1, 13800000000, 4, None]])
    result, problems = run(HouseholdImporter, official_a, data, dry_run=False, name="h.xlsx")
    assert problems == []
    assert Household.objects.get().phone == "13800000000"


def test_one_bad_row_means_nothing_is_written(login, settlement_a, official_a):
    client = login(official_a)
    data = csv_bytes(
        [
            HOUSEHOLD_HEADER,
            f"SA1,张三,{ID_1},13800000000,4,",
            "SA1,王五,110105194912310021,,2,",  # bad check digit
            f"SA1,赵六,{ID_2},,0,",  # no members
            "SA1,孙七,5113**********1234,,1,",  # a masked export pasted back
        ]
    )
    response = upload(client, "households", data)
    html = response.content.decode()
    assert "第 3 行" in html and "校验位" in html
    assert "第 4 行" in html and "家庭人口至少为1" in html
    assert "第 5 行" in html and "已脱敏" in html
    assert "确认导入" not in html
    assert confirm(client, "households").status_code == 302  # a refused job cannot be confirmed
    assert ImportJob.objects.get().status == ImportStatus.REFUSED
    assert not Household.objects.exists()


def test_official_cannot_import_into_another_township(
    login, settlement_a, settlement_b, official_a
):
    client = login(official_a)
    data = csv_bytes(
        [HOUSEHOLD_HEADER, f"SA1,张三,{ID_1},,4,", f"SB1,李四,{ID_2},,2,", f"NOPE,王五,{ID_3},,2,"]
    )
    html = upload(client, "households", data).content.decode()
    assert "第 3 行" in html and "“SB1”不存在，或不在您可以管理的范围内" in html
    assert "第 4 行" in html and "“NOPE”不存在，或不在您可以管理的范围内" in html
    assert not Household.objects.exists()


def test_secretary_imports_anywhere_and_assessor_not_at_all(
    login, settlement_a, settlement_b, secretary, assessor
):
    data = csv_bytes([HOUSEHOLD_HEADER, f"SA1,张三,{ID_1},,4,", f"SB1,李四,{ID_2},,2,"])
    _, problems = run(HouseholdImporter, secretary, data, dry_run=False)
    assert problems == [] and Household.objects.count() == 2
    assert upload(login(assessor), "households", data).status_code == 403
    with pytest.raises(imports.ImportRefused) as refused:
        run(HouseholdImporter, assessor, csv_bytes([HOUSEHOLD_HEADER, f"SA1,王五,{ID_3},,4,"]))
    assert refused.value.code == "forbidden"


def test_duplicate_rows_and_base_score_changes_are_refused(settlement_a, official_a):
    services.household_add(settlement=settlement_a, by=official_a, head_name="张三", id_number=ID_1)
    data = csv_bytes(
        [
            HOUSEHOLD_HEADER,
            f"SA1,张三,{ID_1},,4,120",  # existing household: base fixed at 100
            f"SA1,李四,{ID_2},,2,",
            f"SA1,李四二,{ID_2},,2,",
        ]
    )
    _, problems = run(HouseholdImporter, official_a, data, dry_run=False)
    assert problems[0].startswith("第 2 行") and "基础分（100.0）不能修改" in problems[0]
    assert "第 3、4 行" in problems[1] and "第 3、4 行" in problems[2]
    assert Household.objects.count() == 1 and Household.objects.get().members == 1


def test_existing_household_is_updated_not_duplicated(settlement_a, official_a):
    services.household_add(settlement=settlement_a, by=official_a, head_name="张三", id_number=ID_1)
    result, problems = run(
        HouseholdImporter,
        official_a,
        csv_bytes([HOUSEHOLD_HEADER, f"SA1,张三,{ID_1},13800000000,5,100"]),
        dry_run=False,
    )
    assert problems == [] and result.changed_count == 1 and result.status == ImportStatus.APPLIED
    household = Household.objects.get()
    assert (household.members, household.phone) == (5, "13800000000")
    assert household.history.latest().history_user == official_a


def test_missing_columns_are_reported(settlement_a, official_a):
    _, problems = run(HouseholdImporter, official_a, csv_bytes(["聚居点代码,户主姓名", "SA1,张三"]))
    assert "表头缺少这些列" in problems[0] and "身份证号" in problems[0]


@pytest.fixture
def households(settlement_a, official_a):
    return [
        services.household_add(
            settlement=settlement_a, by=official_a, head_name="张三", id_number=ID_1
        ),
        services.household_add(
            settlement=settlement_a, by=official_a, head_name="李四", id_number=ID_2
        ),
    ]


def test_point_entries_import(login, settlement_a, official_a, households):
    client = login(official_a)
    today = timezone.localdate()
    data = csv_bytes(
        [
            ENTRY_HEADER,
            f"SA1,{ID_1},参与公益,5,义务劳动,{today:%Y-%m-%d}",
            f"SA1,{ID_2},爱护卫生,-2.5,乱堆杂物,{today:%Y/%m/%d}",
        ]
    )
    assert upload(client, "points", data).context["summary"].new == 2
    assert not PointEntry.objects.exists()
    assert confirm(client, "points").status_code == 302
    entries = {e.household.head_name: e for e in PointEntry.objects.select_related("household")}
    assert entries["张三"].points == Decimal("5") and entries["张三"].recorded_by == official_a
    assert entries["李四"].points == Decimal("-2.5") and entries["李四"].category.name == "爱护卫生"


def test_point_entries_import_all_or_nothing(settlement_a, settlement_b, official_a, households):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    data = csv_bytes(
        [
            ENTRY_HEADER,
            f"SA1,{ID_1},参与公益,5,义务劳动,2024-03-01",
            f"SA1,{ID_1},打麻将,5,不存在的类别,2024-03-01",
            f"SA1,{ID_3},参与公益,5,没有这户,2024-03-01",
            f"SA1,{ID_2},参与公益,0,零分,2024-03-01",
            f"SA1,{ID_2},参与公益,1.25,两位小数,2024-03-01",
            f"SA1,{ID_2},参与公益,1,明天,{tomorrow:%Y-%m-%d}",
            f"SB1,{ID_2},参与公益,1,别的乡镇,2024-03-01",
            f"SA1,{ID_2},参与公益,1,,2024-03-01",
        ]
    )
    _, problems = run(PointEntryImporter, official_a, data, dry_run=False)
    assert [p.split("：")[0] for p in problems] == [f"第 {n} 行" for n in range(3, 10)]
    text = "\n".join(problems)
    for expected in (
        "积分类别“打麻将”不存在或已停用",
        "请先导入居民户",
        "分值不能为0",
        "小数",
        "不能晚于今天",
        "不在您可以管理的范围内",
        "事由：不能为空",
    ):
        assert expected in text
    assert not PointEntry.objects.exists()


def test_confirm_rechecks_and_writes_nothing_if_data_changed(
    login, settlement_a, official_a, households
):
    client = login(official_a)
    data = csv_bytes(
        [
            ENTRY_HEADER,
            f"SA1,{ID_1},参与公益,5,义务劳动,2024-03-01",
            f"SA1,{ID_2},爱护卫生,1,打扫,2024-03-01",
        ]
    )
    assert "确认导入" in upload(client, "points", data).content.decode()
    PointCategory.objects.filter(name="爱护卫生").update(is_active=False)
    response = client.get(confirm(client, "points").url)
    html = response.content.decode()
    assert (
        "没有写入任何数据" in html
        and "第 3 行：积分类别：积分类别“爱护卫生”在预览之后已被停用。" in html
    )
    assert not PointEntry.objects.exists()


def test_unreadable_file_is_refused_in_chinese(login, settlement_a, official_a):
    client = login(official_a)
    response = upload(client, "households", "聚居点代码,户主姓名\n".encode("utf-16"))
    assert "UTF-16" in response.content.decode() or "编码" in response.content.decode()
    assert not Household.objects.exists()


def test_a_household_changed_by_someone_else_after_the_preview_is_refused_by_name(
    settlement_a, official_a, secretary
):
    household = services.household_add(
        settlement=settlement_a, by=official_a, head_name="张三", id_number=ID_1
    )
    job = imports.import_job_create(
        kind="households",
        upload=SimpleUploadedFile("h.csv", csv_bytes([HOUSEHOLD_HEADER, f"SA1,张三,{ID_1},,5,"])),
        by=official_a,
    )
    job = imports.import_job_preview(job_id=job.pk)
    assert job.changed_count == 1
    services.household_update(
        household=household, by=secretary, head_name="张三丰", id_number=ID_1, members=2
    )

    job = imports.import_apply_now(job=job, by=official_a)

    assert job.status == ImportStatus.REFUSED
    assert (
        "居民户“张三丰”（1101**********002X）在预览之后已被“secretary”修改"
        in job.problems[0]["message"]
    )
    household.refresh_from_db()
    assert (household.head_name, household.members) == ("张三丰", 2)
