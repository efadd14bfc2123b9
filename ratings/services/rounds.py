"""Opening a quarter's round (SPEC §3)."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from settlements.county import county_settings
from settlements.models import Settlement, User

from .. import queue, rules
from ..models import AssessmentStatus, Round, Rubric, SelfAssessment
from ..permissions import may_manage_rounds
from ._common import _insert_history, _insert_select, _required_text, _save, _today
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
    allow_early: bool = False,
) -> tuple[Round, bool]:
    """Open the (year, quarter) round: freeze the current rubric, one self-assessment per settlement.

    Returns (round, created). An existing round is returned untouched with False, also
    when another worker opens it at the same moment (the unique constraint decides).
    Deadlines and notice days not given come from the county's settings. A person
    opening a round before its quarter has ended is refused unless ``allow_early``
    (the admin's explicit confirmation); the scheduled jobs open only ended quarters.
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
    quarter_ends = rules.round_dates(year, quarter) - dt.timedelta(days=1)
    if by is not None and opened_on <= quarter_ends and not allow_early:
        raise WorkflowError(
            _("%(year)s年第%(quarter)s季度到%(end)s才结束，提前开启须勾选确认。")
            % {"year": year, "quarter": quarter, "end": quarter_ends.isoformat()},
            code=Refusal.ROUND_QUARTER_NOT_ENDED,
        )
    county = county_settings()  # the county's own defaults (admin: 全县设置)
    self_deadline = self_deadline or opened_on + dt.timedelta(days=county.self_assessment_days)
    review_deadline = review_deadline or opened_on + dt.timedelta(days=county.county_review_days)
    if not opened_on <= self_deadline <= review_deadline:
        raise WorkflowError(
            _("截止日期须依次为：开启日期 ≤ 自评截止 ≤ 县级考评截止。"),
            code=Refusal.BAD_ROUND_DEADLINES,
        )
    notice_days = county.notice_working_days if notice_working_days is None else notice_working_days
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
def round_open_queue(*, year: int, quarter: int, by: User, allow_early: bool = False) -> bool:
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
    if not allow_early and timezone.localdate() < rules.round_dates(year, quarter):
        # Refused here, where the secretary sees it, not later in the worker.
        raise WorkflowError(
            _("%(year)s年第%(quarter)s季度尚未结束，提前开启须勾选确认。")
            % {"year": year, "quarter": quarter},
            code=Refusal.ROUND_QUARTER_NOT_ENDED,
        )
    transaction.on_commit(
        partial(queue.round_open, year=year, quarter=quarter, by_id=by.pk, allow_early=allow_early)
    )
    return True


@transaction.atomic
def round_deadlines_change(
    *,
    round: Round,  # noqa: A002
    self_deadline: dt.date,
    review_deadline: dt.date,
    reason: str,
    by: User,
    today: dt.date | None = None,
) -> Round:
    """The secretary moves a round's deadlines, with a reason; history keeps who, when, old and new.

    Self-assessments still on the round's old deadline move with it (a send-back keeps its
    own); when the new self deadline is still ahead, those marked 逾期未报 without a county
    review reopen as drafts, and a step whose deadline moves ahead is unlocked so the daily
    job locks it again at the new date.
    """
    if not may_manage_rounds(by):
        raise WorkflowPermissionDenied(
            _("只有党组织书记可以修改轮次截止日期。"), code=Refusal.NOT_SECRETARY
        )
    text = _required_text(reason, _("请填写修改原因。"), field="reason")
    rnd = Round.objects.select_for_update().get(pk=round.pk)
    if not rnd.opened_on <= self_deadline <= review_deadline:
        raise WorkflowError(
            _("截止日期须依次为：开启日期 ≤ 自评截止 ≤ 县级考评截止。"),
            code=Refusal.ROUND_DEADLINES_ORDER,
        )
    if (rnd.self_deadline, rnd.review_deadline) == (self_deadline, review_deadline):
        return rnd
    today = _today(today)
    old_self = rnd.self_deadline
    on_old = SelfAssessment.objects.filter(round=rnd, deadline=old_self).exclude(
        status=AssessmentStatus.SUBMITTED
    )
    # Only the review deadline moved (an extension of the county's step): no assessment changes.
    moved = list(on_old.values_list("pk", flat=True)) if self_deadline != old_self else []
    now = timezone.now()
    if moved:
        SelfAssessment.objects.filter(pk__in=moved).update(deadline=self_deadline, updated_at=now)
        if self_deadline >= today:
            SelfAssessment.objects.filter(
                pk__in=moved, status=AssessmentStatus.OVERDUE, review__isnull=True
            ).update(status=AssessmentStatus.DRAFT, version=F("version") + 1, updated_at=now)
        _insert_history(
            SelfAssessment.objects.filter(pk__in=moved),
            by=by,
            reason=f"轮次截止日期修改：{text}",
            history_type="~",
            now=now,
        )
    rnd.self_deadline, rnd.review_deadline = self_deadline, review_deadline
    if self_deadline >= today:
        rnd.self_locked_at = None
    if review_deadline >= today:
        rnd.review_locked_at = None
    _save(rnd, by, f"修改截止日期：{text}")
    return rnd
