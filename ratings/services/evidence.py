"""Photos and documents attached to a self-assessment, a review or a rectification."""

from __future__ import annotations

import datetime as dt
import functools
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import PurePath
from typing import Any, ParamSpec, TypeVar
from uuid import uuid4

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import CharField
from django.utils.translation import gettext as _

from settlements.models import User

from .. import rules
from ..models import (
    AssessmentStatus,
    Evidence,
    Rectification,
    Review,
    ReviewStatus,
    RubricItem,
    SelfAssessment,
)
from ..permissions import self_assessment_editable_ids
from ._common import (
    REVIEWABLE,
    _check_answerable,
    _check_self_editable,
    _lock_assessment,
    _require_county,
    _require_official_of,
    _today,
)
from .errors import Refusal, WorkflowError
from .evidence_check import evidence_inspect
from .review_deadline import check_review_open

# --------------------------------------------------------------------- evidence

_original_name = Evidence._meta.get_field("original_name")
assert isinstance(_original_name, CharField) and _original_name.max_length is not None
ORIGINAL_NAME_MAX = _original_name.max_length

# Stored names written by the service call in progress: deleted again when it fails,
# since the rows that named them are rolled back (the storage is not transactional).
_written: ContextVar[list[str] | None] = ContextVar("evidence_written", default=None)

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def _files_removed_on_failure() -> Iterator[None]:
    outer = _written.get()
    names: list[str] = []
    token = _written.set(names)
    try:
        yield
    except BaseException:
        for name in names:
            Evidence.file.field.storage.delete(name)
        raise
    finally:
        _written.reset(token)
    if outer is not None:
        # Succeeded inside a larger call: the files live or go with that call.
        outer.extend(names)


def removes_files_on_failure(func: Callable[P, R]) -> Callable[P, R]:
    """Put outside ``@transaction.atomic``: the evidence files the call wrote are deleted
    when it raises (its rows are rolled back by then), so no file is left without a row."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with _files_removed_on_failure():
            return func(*args, **kwargs)

    return wrapper


def _sniff_upload(file: Any) -> tuple[str, str, int]:
    """(original name, content type, size) of an acceptable upload; WorkflowError otherwise."""
    name = PurePath(str(getattr(file, "name", "") or "")).name.strip()
    if not name:
        raise WorkflowError(_("文件没有名称。"), code=Refusal.FILE_UNNAMED)
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, 2)
        size = file.tell()
    if size <= 0:
        raise WorkflowError(_("文件为空。"), code=Refusal.FILE_EMPTY)
    limit = settings.EVIDENCE_MAX_BYTES
    if size > limit:
        raise WorkflowError(
            _("文件 %(name)s 过大（%(size).1f MB），不能超过 %(max).1f MB。")
            % {"name": name, "size": size / 1048576, "max": limit / 1048576},
            code=Refusal.FILE_TOO_LARGE,
        )
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    content_type = rules.sniff_evidence_type(head)
    if content_type is None and rules.is_zip(head):
        content_type = _office_type(file)
    if content_type is None:
        raise WorkflowError(
            _("文件 %(name)s 不是 JPG、PNG、PDF、Word（docx）或 Excel（xlsx）文件。")
            % {"name": name},
            code=Refusal.FILE_TYPE,
        )
    if not rules.extension_matches(content_type, name):
        raise WorkflowError(
            _("文件 %(name)s 的扩展名与内容不符（内容为 %(type)s）。")
            % {"name": name, "type": content_type},
            code=Refusal.FILE_EXTENSION_MISMATCH,
        )
    return rules.shortened_file_name(name, ORIGINAL_NAME_MAX), content_type, size


# [Content_Types].xml is a few kilobytes; more is not an Office file worth reading.
CONTENT_TYPES_LIMIT = 256 * 1024


def _office_type(file: Any) -> str | None:
    """docx/xlsx by the archive's parts (names and [Content_Types].xml), never by the name."""
    try:
        with zipfile.ZipFile(file) as archive:
            names = archive.namelist()
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > CONTENT_TYPES_LIMIT:
                return None
            xml = archive.read(info).decode("utf-8", errors="replace")
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, NotImplementedError, RuntimeError):
        return None
    finally:
        file.seek(0)
    return rules.office_type(names=names, content_types_xml=xml)


@removes_files_on_failure
@transaction.atomic
def evidence_add(
    *,
    by: User,
    file: Any,
    side: str,
    assessment: SelfAssessment | None = None,
    rectification: Rectification | None = None,
    item: RubricItem | None = None,
    today: dt.date | None = None,
) -> Evidence:
    """Attach a photo or document (jpg/png/pdf checked by its bytes, size-limited).

    side ``self``: the township official, while the self-assessment is editable (only on
    returned items while it is returned); ``county``: the county, while its review is
    not final; ``rectification``: the township official answering an issued order.
    """
    today = _today(today)
    if side in (Evidence.SIDE_SELF, Evidence.SIDE_COUNTY):
        if assessment is None or rectification is not None:
            raise WorkflowError(
                _("自评或现场考评的佐证材料须属于一份自评。"), code=Refusal.BAD_EVIDENCE_TARGET
            )
        sa = _lock_assessment(assessment)
        settlement = sa.settlement
        if item is not None and item.rubric_id != sa.rubric_id:
            raise WorkflowError(
                _("评分条目不属于本表所用的评分细则版本。"), code=Refusal.UNKNOWN_ITEM
            )
        if side == Evidence.SIDE_SELF:
            _require_official_of(by, settlement.village.township_id)
            _check_self_editable(sa, today)
            if sa.status == AssessmentStatus.RETURNED and (
                item is None
                or not self_assessment_editable_ids(
                    assessment=sa, by=by, item_ids=[item.pk], today=today
                )
            ):
                raise WorkflowError(
                    _("退回修改期间，只能为被退回的条目补充佐证材料。"),
                    code=Refusal.ITEM_NOT_RETURNED,
                )
        else:
            _require_county(by)
            if sa.status not in REVIEWABLE:
                raise WorkflowError(
                    _("乡镇尚未提交自评，暂不能上传现场照片。"), code=Refusal.NOT_SUBMITTED
                )
            if Review.objects.filter(self_assessment=sa, status=ReviewStatus.FINAL).exists():
                raise WorkflowError(
                    _("县级考评已定分，不能再上传现场照片。"), code=Refusal.REVIEW_FINAL
                )
            check_review_open(sa, today)  # photos are part of the review: same deadline
        owner: dict[str, Any] = {"assessment": sa}
    elif side == Evidence.SIDE_RECTIFICATION:
        if rectification is None or assessment is not None or item is not None:
            raise WorkflowError(
                _("整改佐证材料须属于一份整改通知。"), code=Refusal.BAD_EVIDENCE_TARGET
            )
        rect = Rectification.objects.select_related("settlement__village").get(pk=rectification.pk)
        settlement = rect.settlement
        _require_official_of(by, settlement.village.township_id)
        _check_answerable(rect, today)
        owner = {"rectification": rect}
    else:
        raise WorkflowError(_("佐证材料类型无效。"), code=Refusal.BAD_EVIDENCE_TARGET)

    if not isinstance(file, File):
        file = File(file, name=getattr(file, "name", None))
    original_name, content_type, size = _sniff_upload(file)
    extension = PurePath(original_name).suffix.lower()
    evidence = Evidence(
        settlement=settlement,
        item=item,
        side=side,
        original_name=original_name,
        content_type=content_type,
        size=size,
        uploaded_by=by,
        **owner,
    )
    # A random stored name: the user's file name (often Chinese, sometimes hostile) is
    # kept only as data.
    evidence.file.save(f"{uuid4().hex}{extension}", file, save=False)
    written = _written.get()
    if written is not None:
        written.append(evidence.file.name)
    evidence.save()
    # EXIF time and place, perceptual hash, flags: never a refusal (evidence_check).
    evidence_inspect(evidence=evidence)
    return evidence


Uploads = Sequence[tuple[RubricItem | None, str, Sequence[Any]]]


@removes_files_on_failure
def evidence_add_many(
    *,
    by: User,
    uploads: Uploads,
    side: str,
    assessment: SelfAssessment | None = None,
    rectification: Rectification | None = None,
    today: dt.date | None = None,
) -> list[Evidence]:
    """Attach each ``(item, key, files)`` of ``uploads``; part of the caller's transaction.

    A refused file is reported under its ``key`` (the form field it came from), with the
    refusal's own code, so the page shows the message beside that field. Every file is
    checked before any is stored; a failure after that removes the files stored so far.
    """
    for _item, key, files in uploads:
        for file in files:
            try:
                _sniff_upload(
                    file if isinstance(file, File) else File(file, name=getattr(file, "name", None))
                )
            except WorkflowError as exc:
                raise WorkflowError({key: exc.error_list}, code=exc.code) from exc
    added = []
    for item, key, files in uploads:
        for file in files:
            try:
                added.append(
                    evidence_add(
                        by=by,
                        file=file,
                        side=side,
                        assessment=assessment,
                        rectification=rectification,
                        item=item,
                        today=today,
                    )
                )
            except WorkflowError as exc:
                raise WorkflowError({key: exc.error_list}, code=exc.code) from exc
    return added


@transaction.atomic
def evidence_remove(*, evidence: Evidence, by: User, today: dt.date | None = None) -> None:
    """Take back a wrongly uploaded file before it is submitted.

    Only the township's own officials, only their own side's files (self-assessment or
    rectification answer), and only while that side may still be changed: a draft (or a
    returned item while it is returned), or an issued order not yet checked. After that
    the file is part of the record and stays. The stored file goes once the row is gone.
    """
    today = _today(today)
    ev = Evidence.objects.select_for_update(of=("self",)).filter(pk=evidence.pk).first()
    if ev is None:
        return  # removed already (a double click): nothing to do
    if ev.side == Evidence.SIDE_SELF:
        assert ev.assessment is not None  # a self-assessment's file names its assessment
        sa = _lock_assessment(ev.assessment)
        _require_official_of(by, sa.settlement.village.township_id)
        _check_self_editable(sa, today)
        if sa.status == AssessmentStatus.RETURNED and (
            ev.item_id is None
            or not self_assessment_editable_ids(
                assessment=sa, by=by, item_ids=[ev.item_id], today=today
            )
        ):
            raise WorkflowError(
                _("退回修改期间，只能删除被退回条目的佐证材料。"), code=Refusal.ITEM_NOT_RETURNED
            )
    elif ev.side == Evidence.SIDE_RECTIFICATION:
        assert ev.rectification_id is not None  # a rectification answer's file names its order
        rect = Rectification.objects.select_related("settlement__village").get(
            pk=ev.rectification_id
        )
        _require_official_of(by, rect.settlement.village.township_id)
        _check_answerable(rect, today)
    else:
        raise WorkflowError(
            _("现场考评照片由县考评组管理，乡镇不能删除。"), code=Refusal.EVIDENCE_NOT_REMOVABLE
        )
    stored = ev.file.name
    storage = ev.file.storage
    ev.delete()
    # The bytes go only when the deletion is committed: a rollback keeps row and file.
    transaction.on_commit(lambda: storage.delete(stored) if stored else None)
