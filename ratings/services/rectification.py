"""限期整改: proposals issued or dismissed, answered by the township, re-checked (SPEC §5)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from settlements.models import User

from .. import reasons, rules, signals
from ..models import Evidence, Rectification, RectificationStatus, StarChangeKind
from ..reasons import Reason
from ._common import (
    CHECK_OUTCOMES,
    _announce,
    _check_answerable,
    _lock_rectification,
    _require_county,
    _require_official_of,
    _required_text,
    _save,
    _today,
)
from .effect import _change_stars, _lock_effective_rating
from .errors import Refusal, WorkflowError
from .evidence import evidence_add_many, removes_files_on_failure


@transaction.atomic
def rectification_issue(
    *,
    rectification: Rectification,
    by: User,
    deadline: dt.date,
    requirements: str,
    today: dt.date | None = None,
) -> Rectification:
    """下达: the county turns a proposal into an order with requirements and a deadline."""
    _require_county(by)
    rect = _lock_rectification(rectification)
    if rect.status == RectificationStatus.ISSUED and rect.deadline == deadline:
        return rect
    if rect.status != RectificationStatus.PROPOSED:
        raise WorkflowError(
            _("只有系统建议的整改才能下达（当前：%(s)s）。") % {"s": rect.get_status_display()},
            code=Refusal.RECTIFICATION_NOT_PROPOSED,
        )
    if not isinstance(deadline, dt.date):
        raise WorkflowError({"deadline": _("请填写整改期限。")}, code=Refusal.REQUIRED)
    if deadline <= _today(today):
        raise WorkflowError({"deadline": _("整改期限须晚于今天。")}, code=Refusal.DEADLINE_IN_PAST)
    rect.requirements = _required_text(requirements, _("请填写整改要求。"), field="requirements")
    system_requirements = rect.system_text.get("requirements")
    if system_requirements and rect.requirements != reasons.render_chinese(system_requirements):
        # The county wrote its own: that is what is shown now, as written.
        rect.system_text = {k: v for k, v in rect.system_text.items() if k != "requirements"}
    rect.deadline = deadline
    rect.status = RectificationStatus.ISSUED
    rect.issued_by = by
    rect.issued_at = timezone.now()
    _save(rect, by, "下达限期整改")
    _announce(signals.rectification_issued, Rectification, rectification_id=rect.pk)
    return rect


@transaction.atomic
def rectification_dismiss(*, rectification: Rectification, by: User, reason: str) -> Rectification:
    """不予下达: the county rejects the system's proposal, with a reason."""
    _require_county(by)
    rect = _lock_rectification(rectification)
    if rect.status == RectificationStatus.DISMISSED:
        return rect
    if rect.status != RectificationStatus.PROPOSED:
        raise WorkflowError(
            _("只有系统建议的整改才能不予下达。"), code=Refusal.RECTIFICATION_NOT_PROPOSED
        )
    rect.check_notes = _required_text(reason, _("请填写不予下达的理由。"), field="reason")
    rect.status = RectificationStatus.DISMISSED
    rect.checked_by = by
    rect.checked_at = timezone.now()
    _save(rect, by, "不予下达")
    return rect


@removes_files_on_failure
@transaction.atomic
def rectification_answer(
    *,
    rectification: Rectification,
    by: User,
    answer: str,
    evidence: Sequence[Any] = (),
    today: dt.date | None = None,
) -> Rectification:
    """The township reports what it did, with photos (may be corrected until the county re-checks).

    All or nothing: a refused file (reported under ``evidence``) leaves the answer unsaved.
    The same answer again with no files is a no-op.
    """
    rect = _lock_rectification(rectification)
    _require_official_of(by, rect.settlement.village.township_id)
    _check_answerable(rect, _today(today))
    text = _required_text(answer, _("请填写整改情况。"), field="answer")
    if not (rect.status == RectificationStatus.ANSWERED and rect.answer == text):
        rect.answer = text
        rect.status = RectificationStatus.ANSWERED
        rect.answered_by = by
        rect.answered_at = timezone.now()
        _save(rect, by, "提交整改情况")
    evidence_add_many(
        by=by,
        uploads=[(None, "evidence", evidence)] if evidence else [],
        side=Evidence.SIDE_RECTIFICATION,
        rectification=rect,
        today=today,
    )
    return rect


@transaction.atomic
def rectification_check(
    *,
    rectification: Rectification,
    by: User,
    outcome: str,
    notes: str,
    today: dt.date | None = None,
) -> Rectification:
    """复查: passed, downgraded one star, or revoked. Possible once answered, or unanswered after the deadline."""
    _require_county(by)
    rect = _lock_rectification(rectification)
    if outcome not in CHECK_OUTCOMES:
        raise WorkflowError(
            {"outcome": _("复查结果只能是通过、降低星级或取消星级。")}, code=Refusal.BAD_OUTCOME
        )
    if rect.status in CHECK_OUTCOMES:
        if rect.status == outcome:
            return rect
        raise WorkflowError(
            _("该整改已复查（%(s)s），不能更改。") % {"s": rect.get_status_display()},
            code=Refusal.ALREADY_DECIDED,
        )
    today = _today(today)
    late_without_answer = (
        rect.status == RectificationStatus.ISSUED
        and rect.deadline is not None
        and today > rect.deadline
    )
    if rect.status != RectificationStatus.ANSWERED and not late_without_answer:
        if rect.status == RectificationStatus.ISSUED:
            raise WorkflowError(
                _("乡镇尚未提交整改情况，整改期限届满前不能复查。"),
                code=Refusal.RECTIFICATION_NOT_ANSWERED,
            )
        raise WorkflowError(_("该整改尚未下达，不能复查。"), code=Refusal.RECTIFICATION_NOT_ISSUED)
    notes = _required_text(notes, _("请填写复查意见。"), field="notes")
    if outcome != RectificationStatus.PASSED:
        rating = _lock_effective_rating(rect.rating, by)
        if rating.stars == 0:
            raise WorkflowError(
                {"outcome": _("该评定已无星级，复查结果只能为通过。")}, code=Refusal.NO_STARS
            )
        system = reasons.entry(Reason.RECTIFICATION_CHECK, notes=notes)
        reason = reasons.render_chinese([system])
        if outcome == RectificationStatus.DOWNGRADED:
            _change_stars(
                rating,
                by,
                rules.one_star_lower(rating.stars),
                StarChangeKind.DOWNGRADED,
                reason,
                system,
            )
        else:
            _change_stars(rating, by, 0, StarChangeKind.REVOKED, reason, system)
    rect.status = outcome
    rect.check_notes = notes
    rect.checked_by = by
    rect.checked_at = timezone.now()
    _save(rect, by, "整改复查")
    _announce(signals.rectification_checked, Rectification, rectification_id=rect.pk)
    return rect
