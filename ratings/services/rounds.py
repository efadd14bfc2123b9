"""Opening a quarter's round (SPEC §3)."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Value
from django.utils import timezone
from django.utils.translation import gettext as _

from settlements.models import Settlement, User

from .. import queue, rules
from ..models import Round, Rubric, SelfAssessment
from ..permissions import may_manage_rounds
from ._common import _insert_history, _insert_select, _save, _today
from .errors import Refusal, WorkflowError, WorkflowPermissionDenied

# -------------------------------------------------------------------------- rounds


def _check_opening(*, year: int, quarter: int, by: User | None) -> None:
    """Who may open a round (the secretary; ``None`` is the calendar job) and which rounds exist."""
    if by is not None and not may_manage_rounds(by):
        raise WorkflowPermissionDenied(
            _("只有党组织书记可以开启考评轮次。"), code=Refusal.NOT_SECRETARY
        )
    if quarter not in (1, 2, 3, 4):
        raise WorkflowError(_("季度必须是1至4。"), code=Refusal.BAD_QUARTER)
    if not 2000 <= year <= 2100:
        raise WorkflowError(_("年度必须在2000至2100之间。"), code=Refusal.BAD_YEAR)


@transaction.atomic
def round_open(
    *,
    year: int,
    quarter: int,
    by: User | None = None,
    today: dt.date | None = None,
    stage: str | None = None,
    self_deadline: dt.date | None = None,
    review_deadline: dt.date | None = None,
    notice_working_days: int | None = None,
) -> tuple[Round, bool]:
    """Open the (year, quarter) round: freeze the current rubric, one self-assessment per settlement.

    Returns (round, created). An existing round is returned untouched with False, also
    when another worker opens it at the same moment (the unique constraint decides).
    """
    _check_opening(year=year, quarter=quarter, by=by)
    existing = Round.objects.filter(year=year, quarter=quarter).first()
    if existing is not None:
        return existing, False

    stage = stage or rules.DEFAULT_STAGE_BY_QUARTER[quarter]
    if stage not in (rules.STAGE_INITIAL, rules.STAGE_RE, rules.STAGE_FINAL):
        raise WorkflowError(_("阶段无效。"), code=Refusal.BAD_STAGE)
    rubric = Rubric.objects.select_for_update().filter(is_current=True).first()
    if rubric is None:
        raise WorkflowError(
            _("没有当前使用的评分细则版本，请先在管理后台设定。"), code=Refusal.NO_CURRENT_RUBRIC
        )
    opened_on = _today(today)
    self_deadline = self_deadline or opened_on + dt.timedelta(days=rules.SELF_ASSESSMENT_DAYS)
    review_deadline = review_deadline or opened_on + dt.timedelta(days=rules.COUNTY_REVIEW_DAYS)
    if not opened_on <= self_deadline <= review_deadline:
        raise WorkflowError(
            _("截止日期须依次为：开启日期 ≤ 自评截止 ≤ 县级考评截止。"),
            code=Refusal.BAD_ROUND_DEADLINES,
        )
    notice_days = rules.NOTICE_WORKING_DAYS if notice_working_days is None else notice_working_days
    if not 1 <= notice_days <= 30:
        raise WorkflowError(_("公示期须为1至30个工作日。"), code=Refusal.BAD_NOTICE_DAYS)

    rnd = Round(
        year=year,
        quarter=quarter,
        stage=stage,
        opened_on=opened_on,
        self_deadline=self_deadline,
        review_deadline=review_deadline,
        notice_working_days=notice_days,
        rubric=rubric,
        opened_by=by,
    )
    try:
        with transaction.atomic():
            _save(rnd, by, "开启考评轮次")
    except IntegrityError:
        # Another worker opened it between our check and our insert.
        return Round.objects.get(year=year, quarter=quarter), False

    if rubric.frozen_at is None:
        # Once an assessment uses a version it never changes (SPEC §3).
        Rubric.objects.filter(pk=rubric.pk, frozen_at__isnull=True).update(frozen_at=timezone.now())

    # One row per settlement, the class frozen from the settlement as it is now (SPEC §1):
    # a later change of households does not rewrite this round.
    now = timezone.now()
    template = SelfAssessment(
        round=rnd, rubric=rubric, deadline=self_deadline, settlement_class=1, updated_at=now
    )
    from_settlement = {"settlement_id": "pk", "settlement_class": "klass"}
    columns: list[str] = []
    values: dict[str, Any] = {}
    for field in SelfAssessment._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.attname not in from_settlement:
            values[f"_v_{field.attname}"] = Value(
                getattr(template, field.attname), output_field=field
            )
    select = (
        Settlement.objects.order_by("pk")
        .annotate(**values)
        .values_list(
            *[
                from_settlement.get(f.attname, f"_v_{f.attname}")
                for f in SelfAssessment._meta.concrete_fields
                if not f.primary_key
            ]
        )
    )
    _insert_select(SelfAssessment, columns, select)
    _insert_history(
        SelfAssessment.objects.filter(round=rnd),
        by=by,
        reason="开启考评轮次",
        history_type="+",
        now=now,
    )
    return rnd, True


@transaction.atomic
def round_open_queue(*, year: int, quarter: int, by: User) -> bool:
    """Queue opening a round in the worker (35,000 settlements take seconds), after commit.

    Returns False, queuing nothing, when the round is open already. A transaction that
    rolls back queues nothing. The task is sent by name (``ratings.queue``), so this
    module never imports the tasks that import it.
    """
    if by is None:
        raise WorkflowPermissionDenied(
            _("只有党组织书记可以开启考评轮次。"), code=Refusal.NOT_SECRETARY
        )
    _check_opening(year=year, quarter=quarter, by=by)
    if Round.objects.filter(year=year, quarter=quarter).exists():
        return False
    transaction.on_commit(partial(queue.round_open, year=year, quarter=quarter, by_id=by.pk))
    return True
