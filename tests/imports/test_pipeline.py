"""The import pipeline as a story: preview, confirm, the race, the double confirm, limits."""

from __future__ import annotations

import io
from datetime import date
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from core.imports import services
from core.models import ImportJob, ImportStatus
from core.spreadsheets import SheetRows, SpreadsheetError
from settlements.models import Settlement
from tests import factories as f
from tests.settlement_rows import csv_bytes, row, xlsx_bytes


def create(user, data: bytes, name="s.csv", kind="settlements", **kw) -> ImportJob:
    return services.import_job_create(
        kind=kind, upload=SimpleUploadedFile(name, data), by=user, **kw
    )


def previewed(user, data: bytes, name="s.csv") -> ImportJob:
    job = create(user, data, name)
    return services.import_job_preview(job_id=job.pk)


def applied(job: ImportJob, by) -> ImportJob:
    assert services.import_job_confirm(job=job, by=by) is True
    return services.import_job_apply(job_id=job.pk)


def snapshot() -> list[tuple]:
    return list(
        Settlement.objects.order_by("code").values_list("code", "name", "households", "village_id")
    )


def test_preview_counts_then_apply_writes_exactly_that(secretary, settlement_a, settlement_b):
    data = csv_bytes(
        [
            row(),
            row(
                code="SA1",
                name="幸福苑（扩建）",
                households="130",
                residents="420",
                party_members="5",
            ),
            row(
                code="SB1",
                name="安居园",
                township="乙镇",
                village="乙村",
                households="30",
                residents="100",
                party_members="1",
                moved_in_on="",
                party_org="",
                self_management="",
            ),
        ]
    )

    job = previewed(secretary, data)

    assert job.status == ImportStatus.PREVIEWED, job.problems
    assert services.summary_of(job).line() == "new 1, changed 1, unchanged 1, refused 0"
    assert (job.rows_read, job.rows_checked, job.rows_written) == (3, 3, 0)
    assert not Settlement.objects.filter(code="SN1").exists()  # a preview writes nothing

    job = applied(job, secretary)

    assert job.status == ImportStatus.APPLIED and job.rows_written == 2
    new = Settlement.objects.get(code="SN1")
    assert (new.name, new.village.name, new.households, new.moved_in_on, new.klass) == (
        "新村苑",
        "甲村",
        60,
        date(2019, 6, 30),
        2,
    )
    assert new.history.get().history_user == secretary
    settlement_a.refresh_from_db()
    assert (settlement_a.name, settlement_a.households) == ("幸福苑（扩建）", 130)
    latest = settlement_a.history.latest()
    assert (latest.history_user, latest.history_type, latest.name) == (
        secretary,
        "~",
        "幸福苑（扩建）",
    )


def test_every_bad_row_is_refused_by_row_and_column_and_nothing_is_written(secretary, settlement_a):
    before = snapshot()
    data = csv_bytes(
        [
            row(),
            row(code="SN2", households="abc"),
            row(code="SN3", village="不存在村"),
            row(code="SN4", households="80", residents="50"),
            row(code="SN1", name="又一次"),
        ]
    )

    job = previewed(secretary, data)

    assert job.status == ImportStatus.REFUSED
    listed = [str(p) for p in services.summary_of(job).problems]
    assert listed == [
        "第 2 行：代码：代码“SN1”在文件中重复出现（第 2、6 行）。",
        "第 3 行：户数：“abc”不是整数。",
        "第 4 行：村：乡镇“甲镇”下没有名为“不存在村”的村。",
        "第 5 行：人口数：人口数（50）不能少于户数（80）。",
        "第 6 行：代码：代码“SN1”在文件中重复出现（第 2、6 行）。",
    ]
    assert job.refused_count == 5
    assert (
        services.import_job_confirm(job=job, by=secretary) is False
    )  # a refused job cannot be confirmed
    assert snapshot() == before


def test_refused_rows_download_lists_every_refused_row_with_its_cells(
    secretary, village_a, settings
):
    rows = [row(code=f"SN{i}", households="x") for i in range(30)]  # more than the page shows

    job = previewed(secretary, csv_bytes(rows))

    assert job.refused_count == 30 and len(job.problems) == services.SHOWN_PROBLEMS
    import openpyxl

    sheet = openpyxl.load_workbook(job.refused_file.open("rb"), read_only=True).active
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0][:4] == ("行号", "列", "原因", "代码")
    assert len(lines) == 31
    assert lines[1][:5] == (2, "户数", "“x”不是整数。", "SN0", "新村苑")


def test_official_cannot_rewrite_another_townships_settlement_by_its_code(
    official_a, settlement_a, settlement_b
):
    official_a.is_staff = True
    official_a.save()
    job = previewed(official_a, csv_bytes([row(code="SB1", name="抢过来")]))

    assert [str(p) for p in services.summary_of(job).problems] == [
        "第 2 行：代码：代码“SB1”已被其他乡镇的聚居点使用，您无权修改该聚居点。"
    ]
    settlement_b.refresh_from_db()
    assert settlement_b.name == "安居园"


# ---------------------------------------------------------------------- progress


def test_progress_counts_advance_while_the_job_runs(secretary, village_a):
    seen: list[tuple[int, int]] = []
    original = services._save_progress

    def record(job_id, **counts):
        original(job_id, **counts)
        # What the page's poll would read at that moment.
        seen.append(ImportJob.objects.values_list("rows_read", "rows_checked").get(pk=job_id))

    data = csv_bytes([row(code=f"SN{i:03}") for i in range(45)])
    with (
        mock.patch.object(services, "PROGRESS_EVERY", 10),
        mock.patch.object(services, "BATCH", 20),
        mock.patch.object(services, "_save_progress", side_effect=record),
    ):
        job = previewed(secretary, data)

    reads = [r for r, _c in seen]
    checks = [c for _r, c in seen]
    assert reads[:4] == [10, 20, 30, 40]
    assert reads == sorted(reads) and checks == sorted(checks)
    assert checks[-3:] == [20, 40, 45]  # checked in batches after reading
    assert (job.rows_read, job.rows_checked, job.new_count) == (45, 45, 45)


# -------------------------------------------------------------------------- race


def test_a_row_changed_by_someone_else_after_the_preview_is_refused_by_name(
    secretary, settlement_a, settlement_b
):
    job = previewed(
        secretary,
        csv_bytes(
            [
                row(),
                row(
                    code="SA1", name="幸福苑", households="130", residents="420", party_members="5"
                ),
            ]
        ),
    )
    assert job.new_count == 1 and job.changed_count == 1
    other = f.secretary("secretary2")
    settlement_a.residents = 999
    settlement_a._history_user = other
    settlement_a.save()
    before = snapshot()

    job = applied(job, secretary)

    assert job.status == ImportStatus.REFUSED
    assert [str(p) for p in services.summary_of(job).problems] == [
        "第 3 行：代码：聚居点“幸福苑”（代码 SA1）在预览之后已被“secretary2”修改。请重新导出或重新上传后再预览。"
    ]
    assert snapshot() == before  # the new row of line 2 was not written either
    settlement_a.refresh_from_db()
    assert settlement_a.residents == 999  # their edit stands


def test_a_row_previewed_as_unchanged_and_changed_since_is_refused_too(secretary, settlement_a):
    job = previewed(
        secretary,
        csv_bytes(
            [
                row(
                    code="SA1",
                    name="幸福苑",
                    households="120",
                    residents="400",
                    party_members="5",
                    moved_in_on="",
                    party_org="",
                    self_management="",
                )
            ]
        ),
    )
    assert job.unchanged_count == 1, job.problems
    Settlement.objects.filter(pk=settlement_a.pk).update(name="改过的名字")

    job = applied(job, secretary)

    assert job.status == ImportStatus.REFUSED
    assert (
        "聚居点“改过的名字”（代码 SA1）在预览之后已被他人新建或修改" in job.problems[0]["message"]
    )


def test_a_settlement_created_with_the_same_code_after_the_preview_is_refused(secretary, village_a):
    job = previewed(secretary, csv_bytes([row()]))
    f.settlement(village_a, code="SN1", name="抢先建的")

    job = applied(job, secretary)

    assert job.status == ImportStatus.REFUSED
    assert job.problems[0]["row"] == 2 and "“抢先建的”" in job.problems[0]["message"]
    assert Settlement.objects.get(code="SN1").name == "抢先建的"


# ---------------------------------------------------------------- double confirm


def test_confirming_twice_does_the_work_once(secretary, village_a):
    job = previewed(secretary, csv_bytes([row()]))

    assert services.import_job_confirm(job=job, by=secretary) is True
    assert services.import_job_confirm(job=job, by=secretary) is False
    services.import_job_apply(job_id=job.pk)
    assert services.import_job_apply(job_id=job.pk) is None  # a redelivered task
    assert services.import_job_confirm(job=job, by=secretary) is False

    assert Settlement.objects.filter(code="SN1").count() == 1
    assert Settlement.history.filter(code="SN1").count() == 1
    job.refresh_from_db()
    assert (job.status, job.rows_written) == (ImportStatus.APPLIED, 1)


def test_only_the_uploader_confirms(secretary, village_a):
    job = previewed(secretary, csv_bytes([row()]))
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.import_job_confirm(job=job, by=f.secretary("secretary2"))
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEWED


def test_a_redelivered_preview_does_nothing(secretary, village_a):
    job = previewed(secretary, csv_bytes([row()]))

    assert services.import_job_preview(job_id=job.pk) is None


# --------------------------------------------------------------------- the files


def test_row_limit_is_checked_while_reading_not_after(settings):
    settings.IMPORT_MAX_ROWS = 5
    rows = SheetRows(io.BytesIO(csv_bytes([row(code=f"SN{i}") for i in range(1000)])))
    yielded = []

    with pytest.raises(SpreadsheetError) as refused:
        for number, _cells in rows:
            yielded.append(number)

    assert yielded == [2, 3, 4, 5, 6]  # stopped at the sixth data row, not after reading 1,000
    assert "超过 5 行" in refused.value.messages[0]


def test_a_file_over_the_row_limit_is_refused_with_a_chinese_message(
    secretary, village_a, settings
):
    settings.IMPORT_MAX_ROWS = 5

    job = previewed(secretary, xlsx_bytes([row(code=f"SN{i}") for i in range(6)]), "s.xlsx")

    assert job.status == ImportStatus.REFUSED
    assert "文件超过 5 行数据" in job.error
    assert not Settlement.objects.exists()


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_gbk_and_utf8_bom_csv_import(secretary, village_a, encoding):
    job = applied(
        previewed(secretary, csv_bytes([row(name="幸福家园·二期")], encoding=encoding)), secretary
    )

    assert job.status == ImportStatus.APPLIED, job.problems
    assert Settlement.objects.get(code="SN1").name == "幸福家园·二期"


def test_an_export_imported_unchanged_changes_nothing_formula_text_included(
    secretary, village_a, tmp_path
):
    from core.imports.base import importer_for

    f.settlement(village_a, code="SX1", name="=1+1", households=45, residents=150, party_members=2)
    f.settlement(
        village_a,
        code="SX2",
        name="-减号开头",
        households=10,
        residents=30,
        party_members=0,
        latitude="26.5",
        longitude="-104.123456",
    )
    f.settlement(
        village_a, code="SX3", name="'引号开头", households=10, residents=30, party_members=0
    )
    before = list(Settlement.objects.order_by("code").values())
    _rows, data = importer_for("settlements")(user=secretary).export()

    job = previewed(secretary, data, "export.xlsx")

    assert services.summary_of(job).line() == "new 0, changed 0, unchanged 3, refused 0", (
        job.problems
    )
    applied(job, secretary)
    assert list(Settlement.objects.order_by("code").values()) == before
    assert Settlement.objects.get(code="SX1").name == "=1+1"


def test_an_upload_is_stored_under_a_random_name_never_the_users(secretary, village_a, media):
    job = create(secretary, csv_bytes([row()]), name="../../etc/passwd.csv")

    assert job.original_name == "passwd.csv"
    assert job.file.name.startswith("imports/uploads/") and "passwd" not in job.file.name
    assert (media / job.file.name).exists()


def test_an_oversized_upload_is_refused_before_it_is_stored(secretary, village_a, settings):
    settings.IMPORT_MAX_BYTES = 100

    with pytest.raises(services.ImportRefused) as refused:
        create(secretary, csv_bytes([row(code=f"SN{i}") for i in range(10)]))

    assert refused.value.code == "file_size"
    assert not ImportJob.objects.exists()


def test_someone_without_the_import_permission_is_refused(assessor):
    with pytest.raises(services.ImportRefused) as refused:
        create(assessor, csv_bytes([row()]))
    assert refused.value.code == "forbidden"


# ------------------------------------------------------------------- query counts


def _import(user, n: int, village, django_assert_num_queries) -> None:
    rows = [row(code=f"SN{i:04}") for i in range(n)]
    # Half the rows exist already with other values: the import changes them.
    for i in range(0, n, 2):
        f.settlement(
            village, code=f"SN{i:04}", name="旧名", households=60, residents=200, party_members=4
        )
    job = create(user, csv_bytes(rows))
    # job → previewing, job, user's permissions (2), groups, townships, villages,
    # rows read, existing settlements (one batch), rows checked, → previewed, job again
    with django_assert_num_queries(12):
        job = services.import_job_preview(job_id=job.pk)
    assert job.status == ImportStatus.PREVIEWED, job.problems
    services.import_job_confirm(job=job, by=user)
    # job, savepoint, groups, existing settlements locked, insert new, their history,
    # update changed, their history, the stored organisation gaps of the rows written
    # (settlements, their people, upsert), release, → applied, job again.
    # On PostgreSQL rows go by COPY (core.bulk): new ids from the sequence, the new rows
    # copied in, the changed rows and the gaps through temporary tables (create, copy,
    # then update / insert from it); history rows are copied by the database from the
    # rows written (INSERT … SELECT), one statement each.
    postgres = connection.vendor == "postgresql"
    with django_assert_num_queries(19 if postgres else 14):
        job = services.import_job_apply(job_id=job.pk)
    assert (job.status, job.new_count, job.changed_count) == (ImportStatus.APPLIED, n // 2, n // 2)
    Settlement.objects.all().delete()


@pytest.mark.parametrize("rows", [10, 60])
def test_query_count_of_an_import_does_not_grow_with_its_rows(
    secretary, village_a, rows, django_assert_num_queries
):
    # Lookups (townships, villages, existing codes) once per import; writes in bulk.
    _import(secretary, rows, village_a, django_assert_num_queries)


# --------------------------------------------------------------------- retention


def test_stored_files_of_old_jobs_are_purged_and_a_stale_preview_cannot_be_confirmed(
    secretary, village_a, media
):
    from datetime import timedelta

    from django.utils import timezone

    stale = previewed(secretary, csv_bytes([row()]))
    refused = previewed(secretary, csv_bytes([row(households="x")]))
    fresh = previewed(secretary, csv_bytes([row(code="SN9")]))
    paths = [
        media / n
        for n in (stale.file.name, stale.plan.name, refused.file.name, refused.refused_file.name)
    ]
    assert all(p.exists() for p in paths)
    ImportJob.objects.filter(pk__in=[stale.pk, refused.pk]).update(
        updated_at=timezone.now() - timedelta(days=2)
    )

    assert services.import_files_purge() == 2
    assert services.import_files_purge() == 0  # idempotent

    assert not any(p.exists() for p in paths)
    stale.refresh_from_db()
    assert (stale.status, stale.file.name, stale.plan.name) == (ImportStatus.REFUSED, "", "")
    assert services.import_job_confirm(job=stale, by=secretary) is False
    fresh.refresh_from_db()
    assert fresh.status == ImportStatus.PREVIEWED and (media / fresh.file.name).exists()
