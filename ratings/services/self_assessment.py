"""The township's self-assessment: save, submit, send back, close when late (SPEC §3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from settlements.models import User

from .. import rules, signals
from ..models import (
    AssessmentStatus,
    Evidence,
    Review,
    ReviewStatus,
    Round,
    SelfAssessment,
    SelfAssessmentItem,
)
from ._common import (
    BATCH_SIZE,
    SELF_OPEN,
    _announce,
    _check_self_editable,
    _check_version,
    _insert_history,
    _lock_assessment,
    _occurrences,
    _optional_text,
    _parse_item_keys,
    _require_county,
    _require_official_of,
    _required_text,
    _rubric_items,
    _save,
    _score_rows,
    _today,
)
from .errors import Refusal, WorkflowError
from .evidence import Uploads, evidence_add_many, removes_files_on_failure
from .review_deadline import review_deadline_of


@transaction.atomic
def self_assessment_save(
    *,
    assessment: SelfAssessment,
    by: User,
    items: Mapping[int, tuple[int, str]],
    star_applied: int,
    expected_version: int,
    today: dt.date | None = None,
) -> SelfAssessment:
    """Save the township's scores: item id -> (occurrences, note), and the star applied for.

    Items not in ``items`` keep what is stored (0 when new). While the assessment is
    returned (退回), only the returned items may change. Returns the saved assessment
    (a fresh instance with the new version).
    """
    sa = _lock_assessment(assessment)
    _require_official_of(by, sa.settlement.village.township_id)
    _check_self_editable(sa, _today(today))
    _check_version(sa.version, expected_version)

    rubric_items = _rubric_items(sa.rubric_id)
    wanted = _parse_item_keys(items, rubric_items)
    stored = {row.item_id: row for row in sa.items.all()}
    rows: list[SelfAssessmentItem] = []
    to_create: list[SelfAssessmentItem] = []
    to_update: list[SelfAssessmentItem] = []
    for item_id, item in rubric_items.items():
        row = stored.get(item_id)
        if item_id in wanted:
            try:
                raw_occurrences, raw_note = wanted[item_id]
            except (TypeError, ValueError):
                raise WorkflowError(
                    _("条目 %(code)s 的填报格式无效。") % {"code": item.code},
                    code=Refusal.BAD_ITEM_ENTRY,
                ) from None
            occurrences = _occurrences(raw_occurrences, item)
            note = _optional_text(raw_note)
        elif row is not None:
            occurrences, note = row.occurrences, row.note
        else:
            occurrences, note = 0, ""
        if row is None:
            row = SelfAssessmentItem(
                assessment=sa, item_id=item_id, occurrences=occurrences, note=note
            )
            to_create.append(row)
        elif (row.occurrences, row.note) != (occurrences, note):
            if sa.status == AssessmentStatus.RETURNED and not row.returned:
                raise WorkflowError(
                    {
                        item_id: _("条目 %(code)s 未被退回，不能修改；只有退回的条目可以修改。")
                        % {"code": item.code}
                    },
                    code=Refusal.ITEM_NOT_RETURNED,
                )
            row.occurrences, row.note = occurrences, note
            to_update.append(row)
        rows.append(row)

    score, vetoed = _score_rows(rows, rubric_items, sa.rubric.bonus_cap)
    if star_applied not in rules.STAR_LEVELS:
        raise WorkflowError(
            {"star_applied": _("申报星级只能是无、三星、四星或五星。")},
            code=Refusal.BAD_STAR_APPLIED,
        )
    allowed = rules.max_star_applicable(score, vetoed=vetoed)
    if star_applied > allowed:
        raise WorkflowError(
            {
                "star_applied": _(
                    "申报星级不能高于自评得分对应的星级：%(score)s 分最高可申报 %(stars)s。"
                )
                % {"score": score, "stars": _star_label(allowed)}
            },
            code=Refusal.STAR_ABOVE_SCORE,
        )

    if to_create:
        bulk_create_with_history(
            to_create, SelfAssessmentItem, default_user=by, default_change_reason="自评填报"
        )
    if to_update:
        bulk_update_with_history(
            to_update,
            SelfAssessmentItem,
            ["occurrences", "points", "note"],
            default_user=by,
            default_change_reason="自评填报",
        )
    sa.score, sa.vetoed, sa.star_applied = score, vetoed, star_applied
    if sa.status == AssessmentStatus.NOT_STARTED:
        sa.status = AssessmentStatus.DRAFT
    sa.version += 1
    _save(sa, by, "自评保存")
    return sa


def _star_label(stars: int) -> str:
    return {0: _("无星级"), 3: _("三星"), 4: _("四星"), 5: _("五星")}[stars]


@transaction.atomic
def self_assessment_submit(
    *,
    assessment: SelfAssessment,
    by: User,
    expected_version: int | None = None,
    today: dt.date | None = None,
) -> SelfAssessment:
    """Submit (locks it); a resubmission after a send-back clears the returned flags."""
    sa = _lock_assessment(assessment)
    _require_official_of(by, sa.settlement.village.township_id)
    if sa.status == AssessmentStatus.SUBMITTED:
        return sa
    if sa.status == AssessmentStatus.NOT_STARTED or sa.score is None:
        raise WorkflowError(_("请先填写并保存自评，再提交。"), code=Refusal.SELF_NOT_SAVED)
    _check_self_editable(sa, _today(today))
    if expected_version is not None:
        _check_version(sa.version, expected_version)
    if sa.star_applied > rules.max_star_applicable(sa.score, vetoed=sa.vetoed):
        raise WorkflowError(
            {"star_applied": _("申报星级高于自评得分对应的星级，请修改后再提交。")},
            code=Refusal.STAR_ABOVE_SCORE,
        )

    returned = list(sa.items.filter(returned=True))
    for row in returned:
        row.returned = False
    if returned:
        bulk_update_with_history(
            returned,
            SelfAssessmentItem,
            ["returned"],
            default_user=by,
            default_change_reason="重新提交",
        )
    sa.status = AssessmentStatus.SUBMITTED
    sa.submitted_at = timezone.now()
    sa.submitted_by = by
    sa.version += 1
    _save(sa, by, "自评提交")
    return sa


@removes_files_on_failure
@transaction.atomic
def self_assessment_update(
    *,
    assessment: SelfAssessment,
    by: User,
    items: Mapping[int, tuple[int, str]],
    star_applied: int,
    expected_version: int,
    uploads: Uploads = (),
    submit: bool = False,
    today: dt.date | None = None,
) -> SelfAssessment:
    """One press of the township's form: save the scores, attach the files, submit if asked.

    All or nothing: a refused file (reported under its upload key) or a refused
    submission leaves the scores unsaved too.
    """
    saved = self_assessment_save(
        assessment=assessment,
        by=by,
        items=items,
        star_applied=star_applied,
        expected_version=expected_version,
        today=today,
    )
    evidence_add_many(
        by=by, uploads=uploads, side=Evidence.SIDE_SELF, assessment=saved, today=today
    )
    if submit:
        saved = self_assessment_submit(
            assessment=saved, by=by, expected_version=saved.version, today=today
        )
    return saved


@transaction.atomic
def self_assessment_send_back(
    *,
    assessment: SelfAssessment,
    by: User,
    item_ids: Iterable[int],
    reason: str,
    deadline: dt.date,
    today: dt.date | None = None,
) -> SelfAssessment:
    """退回: reopen the chosen items of a submitted self-assessment with a reason and a new deadline."""
    _require_county(by)
    sa = _lock_assessment(assessment)
    try:
        wanted = {int(pk) for pk in item_ids}
    except (TypeError, ValueError):
        raise WorkflowError({"items": _("退回条目无效。")}, code=Refusal.BAD_ITEMS) from None
    if sa.status == AssessmentStatus.RETURNED:
        already = set(sa.items.filter(returned=True).values_list("item_id", flat=True))
        if already == wanted and sa.deadline == deadline:
            return sa
        raise WorkflowError(
            _("该自评已退回，正等待乡镇修改后重新提交。"), code=Refusal.ALREADY_RETURNED
        )
    if sa.status != AssessmentStatus.SUBMITTED:
        raise WorkflowError(_("只有已提交的自评才能退回。"), code=Refusal.NOT_SUBMITTED)
    review = Review.objects.filter(self_assessment=sa).first()
    if review is not None and review.status == ReviewStatus.FINAL:
        raise WorkflowError(_("县级考评已定分，不能再退回自评。"), code=Refusal.REVIEW_FINAL)
    if not wanted:
        raise WorkflowError({"items": _("请至少选择一个退回条目。")}, code=Refusal.NO_ITEMS_CHOSEN)
    reason = _required_text(reason, _("请填写退回原因。"), field="reason")
    if not isinstance(deadline, dt.date) or deadline < _today(today):
        raise WorkflowError(
            {"deadline": _("新的截止日期不能早于今天。")}, code=Refusal.DEADLINE_IN_PAST
        )
    review_deadline = review_deadline_of(sa).date  # the round's, or a reopening's later one
    if deadline >= review_deadline:
        # The county must still be able to review the corrected items within its own deadline.
        raise WorkflowError(
            {
                "deadline": _("新的截止日期须早于县级考评截止日期（%(date)s）。")
                % {"date": review_deadline.isoformat()}
            },
            code=Refusal.SEND_BACK_AFTER_REVIEW_DEADLINE,
        )
    rows = list(sa.items.filter(item_id__in=wanted))
    if len(rows) != len(wanted):
        raise WorkflowError({"items": _("退回条目不属于该自评。")}, code=Refusal.BAD_ITEMS)

    for row in rows:
        row.returned = True
    bulk_update_with_history(
        rows, SelfAssessmentItem, ["returned"], default_user=by, default_change_reason=reason
    )
    sa.status = AssessmentStatus.RETURNED
    sa.return_reason = reason
    sa.deadline = deadline
    sa.version += 1
    _save(sa, by, "退回修改")
    _announce(signals.self_assessment_sent_back, SelfAssessment, assessment_id=sa.pk)
    return sa


@transaction.atomic
def self_assessments_mark_overdue(*, round: Round, today: dt.date) -> int:  # noqa: A002
    """逾期未报: close every unsubmitted self-assessment of the round past its deadline.

    Guarded bulk updates in batches (a second run, or a concurrent one, marks nothing
    again); each marked row gets a history entry. Returns how many were marked.
    """
    candidates = SelfAssessment.objects.past_deadline(today).filter(round=round)
    marked = 0
    while True:
        # Lock a batch; PostgreSQL re-checks the status of a row another run just changed.
        ids = list(
            candidates.select_for_update().order_by("pk").values_list("pk", flat=True)[:BATCH_SIZE]
        )
        if not ids:
            return marked
        now = timezone.now()
        marked += SelfAssessment.objects.filter(pk__in=ids, status__in=SELF_OPEN).update(
            status=AssessmentStatus.OVERDUE, version=F("version") + 1, updated_at=now
        )
        _insert_history(
            SelfAssessment.objects.filter(pk__in=ids),
            by=None,
            reason="逾期未报",
            history_type="~",
            now=now,
        )
