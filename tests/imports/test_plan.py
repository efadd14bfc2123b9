"""The preview's plan: what the apply writes, exactly as checked, and nothing else.

The apply never reads the upload again: it writes the checked values the preview stored
(signed, bound to its job) after the race check. A plan that is gone, altered, or another
job's is refused with a stable code, and nothing is written; so is a row someone changed
since the preview, by name.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Field
from django.urls import reverse
from django.utils import timezone

from core.imports import services
from core.imports.base import validation_messages
from core.imports.selectors import job_token
from core.models import ImportJob, ImportStatus
from settlements.governance.services import settlement_gaps_refresh
from settlements.models import Settlement, SettlementGaps
from tests.settlement_rows import HEADER, csv_bytes, row


def previewed(user, data: bytes) -> ImportJob:
    job = services.import_job_create(
        kind="settlements", upload=SimpleUploadedFile("s.csv", data), by=user
    )
    job = services.import_job_preview(job_id=job.pk)
    assert job is not None and job.status == ImportStatus.PREVIEWED, job and job.problems
    return job


def applied(job: ImportJob, by) -> ImportJob:
    assert services.import_job_confirm(job=job, by=by) is True
    done = services.import_job_apply(job_id=job.pk)
    assert done is not None
    return done


def plan_bytes(job: ImportJob) -> bytes:
    with job.plan.open("rb") as stream:
        return stream.read()


def replace_plan(job: ImportJob, data: bytes) -> None:
    job.plan.storage.delete(job.plan.name)
    job.plan.storage.save(job.plan.name, ContentFile(data))


def codes(job: ImportJob) -> list[str]:
    return [p.get("code", "") for p in job.problems]


# ------------------------------------------------------------- applies what was checked


def test_apply_writes_the_checked_values_without_reading_the_upload_again(secretary, settlement_a):
    job = previewed(
        secretary,
        csv_bytes(
            [
                row(moved_in_on="2019年6月30日"),
                row(code="SA1", name="幸福苑（扩建）", households="130", residents="420"),
            ]
        ),
    )
    # The upload is no longer what was previewed (or is gone): the apply does not care.
    job.file.storage.delete(job.file.name)
    job.file.storage.save(job.file.name, ContentFile(csv_bytes([row(name="换过的名字")])))

    job = applied(job, secretary)

    assert (job.status, job.rows_written) == (ImportStatus.APPLIED, 2)
    new = Settlement.objects.get(code="SN1")
    assert (new.name, str(new.moved_in_on), new.households) == ("新村苑", "2019-06-30", 60)
    settlement_a.refresh_from_db()
    assert (settlement_a.name, settlement_a.households) == ("幸福苑（扩建）", 130)
    assert settlement_a.history.latest().history_type == "~"
    assert new.history.get().history_user == secretary


def test_a_row_changed_since_the_preview_is_refused_by_name_with_a_code(secretary, settlement_a):
    job = previewed(secretary, csv_bytes([row(), row(code="SA1", name="幸福苑（扩建）")]))
    Settlement.objects.filter(pk=settlement_a.pk).update(households=121)

    job = applied(job, secretary)

    assert job.status == ImportStatus.REFUSED
    assert codes(job) == ["changed_since_preview"]
    assert (
        job.problems[0]["row"] == 3 and "聚居点“幸福苑”（代码 SA1）" in job.problems[0]["message"]
    )
    assert not Settlement.objects.filter(code="SN1").exists()  # nothing of the plan


def test_a_row_deleted_since_the_preview_is_refused_with_a_code(secretary, settlement_a):
    job = previewed(secretary, csv_bytes([row(code="SA1", name="幸福苑（扩建）")]))
    Settlement.objects.filter(pk=settlement_a.pk).delete()

    job = applied(job, secretary)

    assert job.status == ImportStatus.REFUSED and codes(job) == ["gone_since_preview"]


# ------------------------------------------------------------------- a plan not to apply


def test_an_altered_plan_is_refused_with_a_code_and_nothing_is_written(secretary, village_a):
    job = previewed(secretary, csv_bytes([row()]))
    replace_plan(job, plan_bytes(job).replace("新村苑".encode(), "改过的".encode()))

    job = applied(job, secretary)

    assert (job.status, codes(job), job.refused_count) == (
        ImportStatus.REFUSED,
        ["plan_invalid"],
        0,
    )
    assert "请重新上传文件" in job.error
    assert not Settlement.objects.filter(code="SN1").exists()


def test_another_jobs_plan_is_refused(secretary, village_a):
    first = previewed(secretary, csv_bytes([row()]))
    second = previewed(secretary, csv_bytes([row(code="SN2")]))
    replace_plan(second, plan_bytes(first))  # validly signed, but the first job's

    job = applied(second, secretary)

    assert job.status == ImportStatus.REFUSED and codes(job) == ["plan_invalid"]
    assert not Settlement.objects.filter(code__in=["SN1", "SN2"]).exists()


def test_garbage_or_an_unsigned_plan_is_refused(secretary, village_a):
    for data in (b"", b"\xff\xfe not text", b'{"version": 2, "rows": []}'):
        job = previewed(secretary, csv_bytes([row()]))
        replace_plan(job, data)

        job = applied(job, secretary)

        assert job.status == ImportStatus.REFUSED and codes(job) == ["plan_invalid"], data
    assert not Settlement.objects.filter(code="SN1").exists()


def test_a_plan_that_is_gone_is_refused_with_a_code(secretary, village_a):
    job = previewed(secretary, csv_bytes([row()]))
    job.plan.storage.delete(job.plan.name)

    job = applied(job, secretary)

    assert job.status == ImportStatus.REFUSED and codes(job) == ["plan_missing"]
    assert not Settlement.objects.filter(code="SN1").exists()


def test_a_tampered_plan_confirmed_on_the_page_is_a_refusal_not_a_500(
    login, secretary, village_a, eager_celery, django_capture_on_commit_callbacks
):
    job = previewed(secretary, csv_bytes([row()]))
    replace_plan(job, plan_bytes(job) + b" ")
    client = login(secretary)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("imports:confirm", args=[job_token(job)]))
    page = client.get(reverse("imports:job", args=[job_token(job)]))

    assert response.status_code == 302 and page.status_code == 200
    job.refresh_from_db()
    assert job.status == ImportStatus.REFUSED and codes(job) == ["plan_invalid"]
    assert "预览结果已损坏或被改动" in page.content.decode()


# ------------------------------------------------------------------ the fields' own checks


def test_the_fields_own_checks_refuse_with_djangos_words_by_row_and_column(secretary, village_a):
    def django_says(field: str, value) -> str:
        model_field = Settlement._meta.get_field(field)
        assert isinstance(model_field, Field)
        try:
            model_field.run_validators(value)
        except ValidationError as exc:
            return validation_messages(exc)
        raise AssertionError("valid")

    header = [*HEADER, "纬度"]
    data = csv_bytes(
        [
            [*row(), "26.5"],
            [*row(code="X" * 33), "26.1234567"],
            [*row(code="SN3", name="名" * 101), "-91"],
        ],
        header=header,
    )
    job = services.import_job_create(
        kind="settlements", upload=SimpleUploadedFile("s.csv", data), by=secretary
    )
    job = services.import_job_preview(job_id=job.pk)

    assert job.status == ImportStatus.REFUSED
    assert [(p["row"], p["column"], p["message"]) for p in job.problems] == [
        (3, "代码", django_says("code", "X" * 33)),
        (3, "纬度", django_says("latitude", Decimal("26.1234567"))),
        (4, "名称", django_says("name", "名" * 101)),
        (4, "纬度", "应在 -90 到 90 之间。"),
    ]


# --------------------------------------------------------------------------- stored gaps


def test_stored_gaps_are_recounted_for_rows_whose_gap_facts_changed(
    secretary, settlement_a, settlement_b
):
    settlement_gaps_refresh(settlement_ids=[settlement_a.pk])  # settlement_b has none stored
    earlier = timezone.now() - timedelta(days=3)
    SettlementGaps.objects.update(counted_at=earlier, codes=",as_counted_then,")
    same = {"moved_in_on": "", "party_org": "", "self_management": ""}
    job = previewed(
        secretary,
        csv_bytes(
            [
                row(),  # new
                # a new name only: the gap facts are those the stored row was counted from
                row(
                    code="SA1",
                    name="新名字",
                    households="120",
                    residents="400",
                    party_members="5",
                    **same,
                ),
                # settlement_b: a new name, but no stored gaps yet
                row(
                    code="SB1",
                    name="新名字乙",
                    township="乙镇",
                    village="乙村",
                    households="30",
                    residents="100",
                    party_members="1",
                    **same,
                ),
            ]
        ),
    )
    job = applied(job, secretary)
    assert job.status == ImportStatus.APPLIED, job.problems

    stored = {g.settlement.code: g for g in SettlementGaps.objects.select_related("settlement")}
    assert (stored["SA1"].codes, stored["SA1"].counted_at) == (",as_counted_then,", earlier)
    assert stored["SB1"].counted_at > earlier and "party_missing" in stored["SB1"].code_list
    assert stored["SN1"].counted_at > earlier

    # Households changed: the row is counted again.
    job = previewed(
        secretary,
        csv_bytes(
            [
                row(
                    code="SA1",
                    name="新名字",
                    households="10",
                    residents="400",
                    party_members="5",
                    **same,
                )
            ]
        ),
    )
    assert applied(job, secretary).status == ImportStatus.APPLIED
    again = SettlementGaps.objects.get(settlement=settlement_a)
    assert again.counted_at > earlier and again.codes != ",as_counted_then,"


def test_an_official_applies_changes_to_their_own_township_only(
    official_a, settlement_a, settlement_b
):
    official_a.user_permissions.add(Permission.objects.get(codename="import_settlement"))
    job = previewed(
        official_a, csv_bytes([row(), row(code="SA1", name="幸福苑（扩建）", households="130")])
    )

    job = applied(job, official_a)

    assert (job.status, job.rows_written) == (ImportStatus.APPLIED, 2)
    assert Settlement.objects.get(code="SA1").name == "幸福苑（扩建）"
    assert Settlement.objects.get(code="SB1").name == "安居园"  # another township's, untouched
