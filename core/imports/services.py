"""The import pipeline, shared by the pages (through Celery jobs) and the commands.

Preview reads the stored upload row by row (core.spreadsheets.SheetRows: memory flat,
row limit checked while reading), checks each row against lookups loaded once, looks
existing rows up in batches, and writes a *plan* (core.imports.plans: signed, bound to
its job): every row's action (new, changed, unchanged), its checked values and a
fingerprint of the record it would change as it was at preview. Confirm applies that
plan, and only it (the upload is not read again), in one transaction: the records are
locked (``select_for_update``) and any whose fingerprint differs — someone changed or
created it since the preview — is refused by name, and nothing is written. Every state
change is guarded (``filter(pk, status=OLD).update(status=NEW) == 1``), so a second
confirm or a redelivered task does nothing twice.
"""

from __future__ import annotations

import gc
import io
import logging
import uuid
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import PurePath
from typing import Any, TypedDict, Unpack

from celery import current_app
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.models import RUNNING, ImportJob, ImportStatus
from core.spreadsheets.reading import SheetRows, SpreadsheetError, check_size, is_blank

from .base import (
    BATCH,
    ApplyRefused,
    Importer,
    Problem,
    RowRefused,
    importer_for,
    in_batches,
    validation_messages,
)
from .plans import PlanUnusable, plan_load, plan_save, plan_typed, plan_typing
from .signals import import_step_finished

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 1000  # rows between two progress writes
SHOWN_PROBLEMS = 20  # refused rows listed on the page; all of them are in the xlsx


class ImportRefused(Exception):  # noqa: N818 - a refusal with a stable code
    """An import cannot start: ``code`` is stable, the message is for people."""

    def __init__(self, code: str, message: Any) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = str(message)


@dataclass
class Summary:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    refused: int = 0
    problems: list[Problem] = field(default_factory=list)

    def line(self) -> str:
        # The CLI's one line: stable, in English, for scripts and the benchmark.
        return f"new {self.new}, changed {self.changed}, unchanged {self.unchanged}, refused {self.refused}"


def summary_of(job: ImportJob) -> Summary:
    return Summary(
        new=job.new_count,
        changed=job.changed_count,
        unchanged=job.unchanged_count,
        refused=job.refused_count,
        problems=[Problem(**p) for p in job.problems],
    )


# ------------------------------------------------------------------------------ create


def _importer_class(kind: str, by: Any) -> type[Importer]:
    importer = importer_for(kind)
    if importer is None:
        raise ImportRefused("unknown_kind", _("没有这种导入：%(kind)s。") % {"kind": kind})
    if not importer.allowed(by):
        raise ImportRefused("forbidden", _("您没有权限导入%(title)s。") % {"title": importer.title})
    return importer


def _queue(task_name: str, job_id: int) -> None:
    # By name: services never import the tasks that call them. The web process has not
    # necessarily imported the apps' tasks modules yet: autodiscovery does it once.
    if task_name not in current_app.tasks:
        current_app.loader.import_default_modules()
    current_app.tasks[task_name].delay(job_id)


def import_job_create(
    *, kind: str, upload: Any, by: Any, params: dict[str, Any] | None = None
) -> ImportJob:
    """Store the upload and queue its preview (after commit). The page returns at once."""
    _importer_class(kind, by)
    try:
        check_size(upload.size)
    except SpreadsheetError as exc:
        raise ImportRefused("file_size", exc.messages[0]) from exc
    suffix = PurePath(upload.name or "").suffix.lower()
    stored_name = uuid.uuid4().hex + (suffix if suffix in (".xlsx", ".csv") else ".dat")
    with transaction.atomic():
        job = ImportJob(
            kind=kind, params=params or {}, created_by=by, original_name=(upload.name or "")[:255]
        )
        job.file.save(stored_name, upload, save=False)
        job.save()
        transaction.on_commit(partial(_queue, "core.tasks.import_preview", job.pk))
    return job


# ----------------------------------------------------------------------------- preview


@dataclass
class _Row:
    number: int
    key: Hashable
    values: dict[str, Any]


def _save_progress(job_id: int, **counts: int) -> None:
    ImportJob.objects.filter(pk=job_id).update(updated_at=timezone.now(), **counts)


class _Counts(TypedDict, total=False):
    """The job's counters a preview or a refusal writes (``ImportJob`` fields), besides ``refused_count``."""

    rows_read: int
    rows_checked: int
    new_count: int
    changed_count: int
    unchanged_count: int


def _refuse(
    job: ImportJob,
    problems: list[Problem],
    *,
    error: str = "",
    refused_count: int | None = None,
    **counts: Unpack[_Counts],
) -> None:
    ImportJob.objects.filter(
        pk=job.pk, status__in=[ImportStatus.PREVIEWING, ImportStatus.APPLYING]
    ).update(
        status=ImportStatus.REFUSED,
        refused_count=len({p.row for p in problems}) if refused_count is None else refused_count,
        problems=[p.as_json() for p in problems[:SHOWN_PROBLEMS]],
        error=error,
        updated_at=timezone.now(),
        **counts,
    )


def _refused_xlsx(job: ImportJob, problems: list[Problem]) -> None:
    """Every refused row with its reasons and its cells, read again from the upload."""
    import openpyxl

    by_row: dict[int | None, list[Problem]] = {}
    for p in problems:
        by_row.setdefault(p.row, []).append(p)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(gettext("未通过的行"))
    headers: list[str] = []
    with job.file.open("rb") as stream:
        try:
            rows = SheetRows(stream, max_rows=10**9)
            headers = rows.headers
            sheet.append([gettext("行号"), gettext("列"), gettext("原因"), *headers])
            for p in by_row.get(None, []):
                sheet.append(["", p.column, p.message])
            for number, cells in rows:
                for p in by_row.get(number, []):
                    sheet.append([number, p.column, p.message, *cells])
        except SpreadsheetError:
            sheet.append([gettext("行号"), gettext("列"), gettext("原因")])
            for p in problems:
                sheet.append([p.row or "", p.column, p.message])
    out = io.BytesIO()
    book.save(out)
    job.refused_file.save(f"{uuid.uuid4().hex}.xlsx", ContentFile(out.getvalue()), save=False)
    ImportJob.objects.filter(pk=job.pk).update(refused_file=job.refused_file.name)


def import_job_preview(*, job_id: int) -> ImportJob | None:
    """Read and check the upload; leave the job previewed (with a plan) or refused."""
    if (
        ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
            status=ImportStatus.PREVIEWING
        )
        != 1
    ):
        return None  # already previewed: a redelivered task does nothing
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    try:
        importer = _importer_class(job.kind, job.created_by)(user=job.created_by, params=job.params)
        with _cycles_uncollected():
            _preview(job, importer)
    except (SpreadsheetError, ImportRefused) as exc:
        message = exc.messages[0] if isinstance(exc, SpreadsheetError) else exc.message
        _refuse(job, [Problem(None, "", message)], error=message, refused_count=0)
    except Exception as exc:
        logger.exception("import job %s: preview failed", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED,
            error=gettext("检查文件时出错，没有写入任何数据：%(error)s") % {"error": exc},
        )
    job.refresh_from_db()
    _announce(job.pk, "preview")
    return job


@contextmanager
def _cycles_uncollected() -> Iterator[None]:
    """The cyclic garbage collector paused while an import reads, checks or writes its rows.

    A step holds tens of thousands of rows alive at once (values, model objects), and the
    collector walks every one of them again each time they pile up past its thresholds
    (about 0.3 s of a 35,000-row apply); they form no cycles, reference counting frees
    them. Cycles made meanwhile are found by the next collection after the step."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _announce(job_id: int, step: str) -> None:
    """Tell the apps above (the inbox) that a step ended, once its state is committed."""
    transaction.on_commit(
        partial(import_step_finished.send, sender=ImportJob, job_id=job_id, step=step)
    )


def _preview(job: ImportJob, importer: Importer) -> None:
    problems: list[Problem] = []
    checked: list[_Row] = []
    keys: dict[Hashable, list[int]] = {}
    read = 0
    with job.file.open("rb") as stream:
        rows = SheetRows(stream)
        file_problems = importer.file_problems(rows.headers)
        if file_problems:
            raise ImportRefused(
                "file_problems", "；".join(p.rstrip("。") for p in file_problems) + "。"
            )
        importer.prepare()
        headers = rows.headers
        for number, cells in rows:
            read += 1
            if read % PROGRESS_EVERY == 0:
                _save_progress(job.pk, rows_read=read)
            if is_blank(cells):
                continue
            try:
                key, values = importer.check_row(number, dict(zip(headers, cells, strict=True)))
            except RowRefused as refused:
                problems.extend(
                    Problem(number, column, message) for column, message in refused.problems
                )
                continue
            checked.append(_Row(number, key, values))
            if key is not None:
                keys.setdefault(key, []).append(number)
    _save_progress(job.pk, rows_read=read)
    if not checked and not problems:
        # Only a header (or blank rows): say so, rather than a preview of nothing to confirm.
        raise ImportRefused("no_rows", gettext("没有可导入的数据：文件只有表头，没有数据行。"))

    for number, found in sorted(importer.file_checks(keys).items()):
        problems.extend(Problem(number, column, message) for column, message in found)
    refused_rows = {p.row for p in problems}

    plan: list[list[Any]] = []
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    done = 0
    for batch in in_batches(checked, BATCH):
        for number, found in importer.resolve(batch).items():
            problems.extend(Problem(number, column, message) for column, message in found)
            refused_rows.add(number)
        current = importer.existing([r.key for r in batch if r.key is not None])
        for row in batch:
            obj = current.get(row.key) if row.key is not None else None
            for column, message in importer.reconcile(row.values, obj):
                problems.append(Problem(row.number, column, message))
                refused_rows.add(row.number)
            if row.number in refused_rows:
                continue
            if obj is None:
                action, fingerprint = "new", None
            else:
                stored = importer.current_values(obj)
                changes = importer.differs(row.values, obj, stored)
                action = "changed" if changes else "unchanged"
                fingerprint = importer.fingerprint(obj, stored)
            counts[action] += 1
            plan.append(
                [
                    row.number,
                    row.key,
                    action,
                    fingerprint,
                    row.values if action != "unchanged" else None,
                ]
            )
        done += len(batch)
        _save_progress(job.pk, rows_read=read, rows_checked=done + (read - len(checked)))

    problems.sort(key=lambda p: p.row or 0)
    counts_saved: _Counts = {
        "rows_read": read,
        "rows_checked": read,
        "new_count": counts["new"],
        "changed_count": counts["changed"],
        "unchanged_count": counts["unchanged"],
    }
    if problems:
        _refused_xlsx(job, problems)
        _refuse(job, problems, refused_count=len(refused_rows), **counts_saved)
        return
    plan_save(job, fields=list(importer.fields), rows=plan)
    ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PREVIEWING).update(
        status=ImportStatus.PREVIEWED,
        plan=job.plan.name,
        refused_count=0,
        problems=[],
        updated_at=timezone.now(),
        **counts_saved,
    )


# ------------------------------------------------------------------------------- apply


def import_job_confirm(*, job: ImportJob, by: Any) -> bool:
    """Queue the apply of a previewed job. False (doing nothing) when it is not awaiting
    confirmation any more: a second press, or a job refused or already applied."""
    if job.created_by_id != by.pk:
        raise PermissionDenied(gettext("只有上传文件的人可以确认导入。"))
    with transaction.atomic():
        if not _start_apply(job.pk):
            return False
        transaction.on_commit(partial(_queue, "core.tasks.import_apply", job.pk))
    return True


def _start_apply(job_id: int) -> bool:
    return (
        ImportJob.objects.filter(pk=job_id, status=ImportStatus.PREVIEWED).update(
            status=ImportStatus.APPLYING, updated_at=timezone.now()
        )
        == 1
    )


class _Conflict(Exception):  # noqa: N818
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems


def _changed_by(importer: Importer, objs: list[Any]) -> dict[Any, str]:
    """Who last changed each record, from its history (only for the conflicting rows)."""
    history = getattr(importer.model, "history", None)
    if history is None or not objs:
        return {}
    pk_name = importer.model._meta.pk.attname
    names: dict[Any, str] = {}
    for record in (
        history.filter(**{f"{pk_name}__in": [o.pk for o in objs]})
        .select_related("history_user")
        .order_by("-history_date")
    ):
        pk = getattr(record, pk_name)
        if pk not in names and record.history_user is not None:
            names[pk] = str(record.history_user)
    return names


def import_job_apply(*, job_id: int) -> ImportJob | None:
    """Apply a confirmed job's plan, all rows or none."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status != ImportStatus.APPLYING:
        return None  # not confirmed, or already done: a redelivered task does nothing
    try:
        importer = importer_for(job.kind)(user=job.created_by, params=job.params)  # type: ignore[misc]
        with _cycles_uncollected():
            written = _apply(job, importer, plan_load(job))
    except PlanUnusable as unusable:
        problem = Problem(None, "", unusable.message, code=unusable.code)
        _refuse(job, [problem], error=unusable.message, refused_count=0)
    except _Conflict as conflict:
        _refuse(job, conflict.problems)
        _refused_xlsx(job, conflict.problems)
    except ApplyRefused as refused:
        _refuse(job, [Problem(None, "", refused.message)], error=refused.message, refused_count=0)
    except (ValidationError, DatabaseError) as exc:
        # The database's own guard caught what the checks did not: nothing was written.
        message = gettext(
            "数据库拒绝保存（与现有数据冲突或违反约束），没有写入任何数据：%(error)s"
        ) % {"error": validation_messages(exc)}
        logger.warning("import job %s refused by the database: %s", job_id, exc)
        _refuse(job, [Problem(None, "", message)], error=message, refused_count=0)
    except Exception as exc:
        logger.exception("import job %s: apply failed", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED,
            error=gettext("写入时出错，没有写入任何数据：%(error)s") % {"error": exc},
        )
    else:
        ImportJob.objects.filter(pk=job_id, status=ImportStatus.APPLYING).update(
            status=ImportStatus.APPLIED, rows_written=written, updated_at=timezone.now()
        )
    job.refresh_from_db()
    _announce(job.pk, "apply")
    return job


def _apply(job: ImportJob, importer: Importer, plan: dict[str, Any]) -> int:
    rows = plan["rows"]
    fields = plan["fields"]
    typing = plan_typing(importer.model, fields)
    with transaction.atomic():
        importer.before_apply()
        keyed = [importer.key_from_json(r[1]) for r in rows]
        current: dict[Hashable, Any] = {}
        wanted = [k for k in keyed if k is not None]
        for batch in in_batches(wanted):
            current.update(importer.existing(batch, lock=True))
        conflicts: list[tuple[int, Hashable, Any]] = []
        new: list[Any] = []
        changed: list[Any] = []
        written: list[tuple[int, dict[str, Any]]] = []
        for (number, _key, action, fingerprint, values), key in zip(rows, keyed, strict=True):
            obj = current.get(key) if key is not None else None
            if key is not None and importer.fingerprint(obj) != fingerprint:
                conflicts.append((number, key, obj))
                continue
            if action == "new":
                typed = plan_typed(values, typing)
                new.append(importer.build(typed))
                written.append((number, typed))
            elif action == "changed":
                typed = plan_typed(values, typing)
                for name, value in typed.items():
                    setattr(obj, name, value)
                changed.append(obj)
                written.append((number, typed))
        stale = importer.recheck(written)
        if stale:
            raise _Conflict([Problem(number, column, message) for number, column, message in stale])
        if conflicts:
            who = _changed_by(importer, [o for _n, _k, o in conflicts if o is not None])
            problems = []
            for number, key, obj in conflicts:
                if obj is None:
                    message = gettext("%(record)s在预览之后已被删除或移出您的范围。") % {
                        "record": importer.describe(obj, key)
                    }
                elif who.get(obj.pk):
                    message = gettext("%(record)s在预览之后已被%(user)s修改。") % {
                        "record": importer.describe(obj, key),
                        "user": f"“{who[obj.pk]}”",
                    }
                else:
                    message = gettext("%(record)s在预览之后已被他人新建或修改。") % {
                        "record": importer.describe(obj, key)
                    }
                problems.append(
                    Problem(
                        number,
                        importer.key_column or "",
                        message + gettext("请重新导出或重新上传后再预览。"),
                        code="gone_since_preview" if obj is None else "changed_since_preview",
                    )
                )
            raise _Conflict(problems)
        importer.write(new, changed, fields, by=job.created_by)
        return len(new) + len(changed)


# -------------------------------------------------------------------------- retention

UPLOAD_RETENTION = timedelta(days=1)


def import_files_purge(*, older_than: timedelta = UPLOAD_RETENTION) -> int:
    """Delete the stored files (uploads, plans, refused rows) of jobs that stopped running
    more than ``older_than`` ago: they hold residents' personal data, and a preview nobody
    confirmed within a day is stale anyway. The job rows (counts, problems) stay.
    Idempotent: a second run finds nothing. Returns the number of jobs cleaned."""
    cutoff = timezone.now() - older_than
    cleaned = 0
    stale = ImportJob.objects.filter(updated_at__lt=cutoff).exclude(status__in=RUNNING)
    for job in stale.exclude(file="", plan="", refused_file="").iterator():
        for stored in (job.file, job.plan, job.refused_file):
            if stored:
                stored.delete(save=False)
        # A previewed job whose plan is gone cannot be confirmed any more.
        ImportJob.objects.filter(pk=job.pk).update(
            file="",
            plan="",
            refused_file="",
            status=ImportStatus.REFUSED if job.status == ImportStatus.PREVIEWED else job.status,
            error=job.error
            or (
                gettext("预览已过期，请重新上传文件。")
                if job.status == ImportStatus.PREVIEWED
                else ""
            ),
        )
        cleaned += 1
    return cleaned


# ---------------------------------------------------------------------------- the CLI


def import_run(
    *, kind: str, path: str, by: Any, apply: bool, params: dict[str, Any] | None = None
) -> ImportJob:
    """The same pipeline, run in this process: preview, then (with ``apply``) apply."""
    from django.core.files import File

    original_name = PurePath(path).name
    with open(path, "rb") as handle:
        upload = File(handle, name=original_name)
        upload.size  # noqa: B018 - File computes it from the handle
        with transaction.atomic():
            _importer_class(kind, by)
            try:
                check_size(upload.size)
            except SpreadsheetError as exc:
                raise ImportRefused("file_size", exc.messages[0]) from exc
            job = ImportJob(
                kind=kind, params=params or {}, created_by=by, original_name=original_name[:255]
            )
            job.file.save(uuid.uuid4().hex + PurePath(path).suffix.lower(), upload, save=False)
            job.save()
    import_job_preview(job_id=job.pk)
    job.refresh_from_db()
    if apply:
        return import_apply_now(job=job, by=by)
    return job


def import_apply_now(*, job: ImportJob, by: Any) -> ImportJob:
    """Confirm and apply a previewed job in this process (the CLI; no queue)."""
    if job.created_by_id != by.pk:
        raise PermissionDenied(gettext("只有上传文件的人可以确认导入。"))
    if _start_apply(job.pk):
        import_job_apply(job_id=job.pk)
    job.refresh_from_db()
    return job
