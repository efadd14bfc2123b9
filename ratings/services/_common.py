"""Helpers every workflow service shares: saving with history, permission and state checks, scoring."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.db.models import CharField, DateTimeField, IntegerField, Model, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from settlements.models import User

from .. import rules, states
from ..models import (
    AssessmentStatus,
    Rating,
    Rectification,
    RectificationStatus,
    RubricItem,
    SelfAssessment,
)
from ..permissions import is_county, is_official_of_township
from .errors import Refusal, StaleVersion, WorkflowError, WorkflowPermissionDenied

BATCH_SIZE = 2000
MAX_OCCURRENCES = 999
MAX_TEXT = 2000

# The groups of states are defined in ratings.states; these names are the services' own.
SELF_EDITABLE = states.NOT_SUBMITTED
SELF_OPEN = states.NOT_SUBMITTED  # what the overdue job closes
REVIEWABLE = states.REVIEWABLE
CHECK_OUTCOMES = (
    RectificationStatus.PASSED,
    RectificationStatus.DOWNGRADED,
    RectificationStatus.REVOKED,
)


# ------------------------------------------------------------------------ helpers


def _today(today: dt.date | None) -> dt.date:
    # Asia/Shanghai (TIME_ZONE): a deadline ends at local midnight, not UTC's.
    return today if today is not None else timezone.localdate()


def _save(obj: Model, by: User | None, reason: str = "", **kwargs: Any) -> None:
    """Save recording ``by`` (None for system jobs) and a reason in the object's history."""
    obj._history_user = by  # type: ignore[attr-defined]
    obj._change_reason = reason  # type: ignore[attr-defined]
    obj.save(**kwargs)


def _record_history(objs: Iterable[Model], by: User | None, reason: str) -> None:
    """History rows for objects written by a guarded ``QuerySet.update`` (which has no signals)."""
    objs = list(objs)
    if objs:
        type(objs[0]).history.bulk_history_create(  # type: ignore[attr-defined]
            objs, update=True, default_user=by, default_change_reason=reason
        )


def _insert_select(model: type[Model], columns: list[str], select: QuerySet[Any]) -> int:
    """INSERT INTO model (columns) SELECT …: many rows in one statement, no Python object per row.

    ``select`` is an ORM queryset whose ``values_list`` yields the columns in order, so
    quoting and parameters stay Django's. Measured on a loaded 2-core machine, 35,000
    self-assessments with their history took ~50 s through bulk_create (per-object
    model init and client-side parameter quoting) and well under a second this way.
    """
    select_sql, params = select.query.sql_with_params()
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        # Table and column names come from model metadata, never from input.
        cursor.execute(f"INSERT INTO {table} ({names}) {select_sql}", params)  # noqa: S608
        return int(cursor.rowcount)


_HISTORY_FIELDS = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
}


def _insert_history(
    rows: QuerySet[Any], *, by: User | None, reason: str, history_type: str, now: dt.datetime
) -> int:
    """One history row per row of ``rows`` (as stored now), written in one statement."""
    model = rows.model
    historical = model.history.model
    tracked = [f.attname for f in historical.tracked_fields]
    own = {f.name for f in historical._meta.concrete_fields if f.attname not in tracked}
    if own != _HISTORY_FIELDS:  # a history option changed: this copy would be incomplete
        raise RuntimeError(f"unexpected historical fields on {historical.__name__}: {sorted(own)}")
    select = (
        rows.order_by()
        .annotate(
            _h_date=Value(now, output_field=DateTimeField()),
            _h_reason=Value(reason, output_field=CharField()),
            _h_type=Value(history_type, output_field=CharField()),
            _h_user=Value(getattr(by, "pk", None), output_field=IntegerField()),
        )
        .values_list(*tracked, "_h_date", "_h_reason", "_h_type", "_h_user")
    )
    columns = [
        historical._meta.get_field(model._meta.get_field(attname).name).column
        for attname in tracked
    ]
    columns += [
        "history_date",
        "history_change_reason",
        "history_type",
        historical._meta.get_field("history_user").column,
    ]
    return _insert_select(historical, columns, select)


# The township's own officials (the name the workflow's callers know).
is_township_official = is_official_of_township


def _require_county(by: User) -> None:
    if not is_county(by):
        raise WorkflowPermissionDenied(
            _("只有县考评组成员或党组织书记可以进行此操作。"), code=Refusal.NOT_COUNTY
        )


def _require_official_of(by: User, township_id: int) -> None:
    if not is_official_of_township(by, township_id):
        raise WorkflowPermissionDenied(
            _("只有本乡镇的乡镇干部可以填报本乡镇聚居点的材料。"), code=Refusal.NOT_OWN_TOWNSHIP
        )


def _required_text(
    value: Any, message: str, *, field: str | None = None, limit: int = MAX_TEXT
) -> str:
    text = str(value or "").strip()
    if not text:
        raise WorkflowError({field: message} if field else message, code=Refusal.REQUIRED)
    if len(text) > limit:
        raise WorkflowError(
            _("内容过长（不超过 %(n)d 字）。") % {"n": limit}, code=Refusal.TOO_LONG
        )
    return text


def _optional_text(value: Any, *, limit: int = MAX_TEXT) -> str:
    text = str(value or "").strip()
    if len(text) > limit:
        raise WorkflowError(
            _("内容过长（不超过 %(n)d 字）。") % {"n": limit}, code=Refusal.TOO_LONG
        )
    return text


def _check_version(stored: int, expected: int | None) -> None:
    if expected is None or int(expected) != stored:
        raise StaleVersion(
            _("该表已被他人修改，请刷新后重试（您的修改未保存）。"), code=Refusal.STALE_VERSION
        )


def _occurrences(value: Any, item: RubricItem) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_OCCURRENCES:
        raise WorkflowError(
            {
                item.pk: _("条目 %(code)s 的次数须为 0 至 %(max)d 的整数。")
                % {"code": item.code, "max": MAX_OCCURRENCES}
            },
            code=Refusal.BAD_OCCURRENCES,
        )
    return int(value)


def _rubric_items(rubric_id: int) -> dict[int, RubricItem]:
    return {
        item.pk: item
        for item in RubricItem.objects.filter(rubric_id=rubric_id).order_by("position", "code")
    }


def _parse_item_keys(
    items: Mapping[Any, Any], rubric_items: Mapping[int, RubricItem]
) -> dict[int, Any]:
    parsed: dict[int, Any] = {}
    for key, value in items.items():
        try:
            item_id = int(key)
        except (TypeError, ValueError):
            raise WorkflowError(
                _("评分条目编号无效：%(key)s。") % {"key": key}, code=Refusal.UNKNOWN_ITEM
            ) from None
        if item_id not in rubric_items:
            raise WorkflowError(
                _("评分条目 %(key)s 不属于本表所用的评分细则版本。") % {"key": key},
                code=Refusal.UNKNOWN_ITEM,
            )
        parsed[item_id] = value
    return parsed


def _score_rows(
    rows: Iterable[Any], rubric_items: Mapping[int, RubricItem], bonus_cap: Decimal
) -> tuple[Decimal, bool]:
    """Set each row's points from its occurrences; return (total, vetoed)."""
    rows = list(rows)
    lines = [
        (
            rubric_items[r.item_id].kind,
            rubric_items[r.item_id].points,
            rubric_items[r.item_id].cap,
            r.occurrences,
        )
        for r in rows
    ]
    points, total, vetoed = rules.score_sheet(lines, bonus_cap=bonus_cap)
    for row, value in zip(rows, points, strict=True):
        row.points = value
    return total, vetoed


def _announce(signal: Any, model: type[Model], **ids: int) -> None:
    """Tell listeners (the inbox) about a workflow event once the transaction commits."""
    transaction.on_commit(partial(signal.send, sender=model, **ids))


def _signal_on_commit(signal: Any, rating_id: int) -> None:
    transaction.on_commit(partial(signal.send, sender=Rating, rating_id=rating_id))


def _lock_assessment(assessment: SelfAssessment) -> SelfAssessment:
    return (
        SelfAssessment.objects.select_for_update(of=("self",))
        .select_related("settlement__village", "round", "rubric")
        .get(pk=assessment.pk)
    )


def self_assessment_lock(assessment: SelfAssessment, today: dt.date) -> WorkflowError | None:
    """Why nobody may edit the self-assessment now (submitted, overdue, past its deadline), or None."""
    if assessment.status == AssessmentStatus.SUBMITTED:
        return WorkflowError(_("自评已提交并锁定，不能再修改。"), code=Refusal.SELF_SUBMITTED)
    if assessment.status == AssessmentStatus.OVERDUE:
        return WorkflowError(_("自评已逾期未报，不能再填报。"), code=Refusal.SELF_OVERDUE)
    if today > assessment.deadline:
        return WorkflowError(
            _("自评截止日期（%(date)s）已过，不能再保存或提交。")
            % {"date": assessment.deadline.isoformat()},
            code=Refusal.SELF_DEADLINE_PASSED,
        )
    return None


def _check_self_editable(sa: SelfAssessment, today: dt.date) -> None:
    lock = self_assessment_lock(sa, today)
    if lock is not None:
        raise lock


def _lock_rectification(rectification: Rectification) -> Rectification:
    return (
        Rectification.objects.select_for_update(of=("self",))
        .select_related("settlement__village")
        .get(pk=rectification.pk)
    )


def _check_answerable(rect: Rectification, today: dt.date) -> None:
    if rect.status not in (RectificationStatus.ISSUED, RectificationStatus.ANSWERED):
        raise WorkflowError(
            _("该整改通知不在整改期内，不能提交整改情况。"), code=Refusal.RECTIFICATION_NOT_OPEN
        )
    if rect.deadline is not None and today > rect.deadline:
        raise WorkflowError(
            _("整改期限（%(date)s）已过，不能再提交。") % {"date": rect.deadline.isoformat()},
            code=Refusal.RECTIFICATION_DEADLINE_PASSED,
        )
