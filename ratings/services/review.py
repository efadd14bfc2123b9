"""The county's on-site review and its final score (SPEC §4)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from settlements.county import county_settings
from settlements.models import Settlement, User

from .. import reasons, rules
from ..models import (
    AssessmentStatus,
    Evidence,
    Rating,
    RatingStatus,
    Review,
    ReviewItem,
    ReviewStatus,
    SelfAssessment,
    StarChange,
    StarChangeKind,
)
from ..reasons import Reason
from ._common import (
    REVIEWABLE,
    _check_version,
    _lock_assessment,
    _occurrences,
    _optional_text,
    _parse_item_keys,
    _require_county,
    _rubric_items,
    _save,
    _score_rows,
    _today,
)
from .errors import Refusal, WorkflowError
from .evidence import Uploads, evidence_add_many, removes_files_on_failure
from .notice import notice_end
from .review_deadline import check_review_open

# -------------------------------------------------------------------- county review


@transaction.atomic
def review_save(
    *,
    assessment: SelfAssessment,
    by: User,
    items: Mapping[int, tuple[int, str, str]],
    visit_date: dt.date | None,
    team_members: str,
    notes: str,
    total_gap_reason: str,
    expected_version: int,
    today: dt.date | None = None,
) -> Review:
    """The county's on-site scores: item id -> (occurrences, note, gap reason).

    The first save creates the review (expected_version 0). Gap reasons are required at
    finalising, not here, so a draft can be saved half-done.
    """
    _require_county(by)
    sa = _lock_assessment(assessment)
    if sa.status == AssessmentStatus.RETURNED:
        raise WorkflowError(
            _("自评已退回乡镇修改，待重新提交后再考评。"), code=Refusal.SELF_RETURNED
        )
    if sa.status not in REVIEWABLE:
        raise WorkflowError(
            _("乡镇尚未提交自评，自评截止前不能进行现场考评。"), code=Refusal.NOT_SUBMITTED
        )
    review = Review.objects.select_for_update().filter(self_assessment=sa).first()
    if review is None:
        _check_version(0, expected_version)
        review = Review(self_assessment=sa, assessor=by)
    else:
        if review.status == ReviewStatus.FINAL:
            raise WorkflowError(_("县级考评已定分，不能再修改。"), code=Refusal.REVIEW_FINAL)
        _check_version(review.version, expected_version)
    today = _today(today)
    check_review_open(sa, today)  # after its deadline only a recorded reopening opens it
    if visit_date is not None:
        if visit_date > today:
            raise WorkflowError(
                {"visit_date": _("现场考评日期不能晚于今天。")}, code=Refusal.VISIT_DATE_IN_FUTURE
            )
        if visit_date < sa.round.opened_on:
            raise WorkflowError(
                {"visit_date": _("现场考评日期不能早于本轮考评开启日期。")},
                code=Refusal.VISIT_DATE_BEFORE_ROUND,
            )

    rubric_items = _rubric_items(sa.rubric_id)
    wanted = _parse_item_keys(items, rubric_items)
    stored = {row.item_id: row for row in review.items.all()} if review.pk else {}
    rows: list[ReviewItem] = []
    to_create: list[ReviewItem] = []
    to_update: list[ReviewItem] = []
    for item_id, item in rubric_items.items():
        row = stored.get(item_id)
        if item_id in wanted:
            try:
                raw_occurrences, raw_note, raw_reason = wanted[item_id]
            except (TypeError, ValueError):
                raise WorkflowError(
                    _("条目 %(code)s 的填报格式无效。") % {"code": item.code},
                    code=Refusal.BAD_ITEM_ENTRY,
                ) from None
            values = (
                _occurrences(raw_occurrences, item),
                _optional_text(raw_note),
                _optional_text(raw_reason),
            )
        elif row is not None:
            values = (row.occurrences, row.note, row.gap_reason)
        else:
            values = (0, "", "")
        if row is None:
            row = ReviewItem(
                item_id=item_id, occurrences=values[0], note=values[1], gap_reason=values[2]
            )
            to_create.append(row)
        elif (row.occurrences, row.note, row.gap_reason) != values:
            row.occurrences, row.note, row.gap_reason = values
            to_update.append(row)
        rows.append(row)
    score, vetoed = _score_rows(rows, rubric_items, sa.rubric.bonus_cap)

    review.visit_date = visit_date
    review.team_members = _optional_text(team_members, limit=200)
    review.notes = _optional_text(notes)
    review.total_gap_reason = _optional_text(total_gap_reason)
    review.score, review.vetoed = score, vetoed
    review.version += 1
    _save(review, by, "现场考评保存")
    for row in to_create:
        row.review = review
    if to_create:
        bulk_create_with_history(
            to_create, ReviewItem, default_user=by, default_change_reason="现场考评"
        )
    if to_update:
        bulk_update_with_history(
            to_update,
            ReviewItem,
            ["occurrences", "points", "note", "gap_reason"],
            default_user=by,
            default_change_reason="现场考评",
        )
    return review


def _gap_errors(review: Review, sa: SelfAssessment) -> dict[Any, str]:
    """Fields needing a reason: rubric item ids with a gap ≥ 5, and the total with a gap ≥ 10."""
    if sa.status != AssessmentStatus.SUBMITTED or sa.score is None:
        return {}  # nothing submitted to compare with
    self_points = dict(sa.items.values_list("item_id", "points"))
    county = county_settings()  # the gaps that need a reason are the county's to set
    errors: dict[Any, str] = {}
    for row in review.items.select_related("item").order_by("item__position", "item__code"):
        own = self_points.get(row.item_id, Decimal(0))
        needs = rules.gap_needs_reason(own, row.points, limit=county.item_gap_needs_reason)
        if needs and not row.gap_reason.strip():
            errors[row.item_id] = _(
                "条目 %(code)s 自评 %(self)s 分、县级 %(county)s 分，相差 %(limit)s 分及以上，请填写差异说明。"
            ) % {
                "code": row.item.code,
                "self": own,
                "county": row.points,
                "limit": county.item_gap_needs_reason,
            }
    if (
        review.score is not None
        and rules.gap_needs_reason(sa.score, review.score, limit=county.total_gap_needs_reason)
        and not review.total_gap_reason.strip()
    ):
        errors["total_gap_reason"] = _(
            "总分自评 %(self)s 分、县级 %(county)s 分，相差 %(limit)s 分及以上，请填写总分差异说明。"
        ) % {"self": sa.score, "county": review.score, "limit": county.total_gap_needs_reason}
    return errors


@transaction.atomic
def review_finalise(*, review: Review, by: User, today: dt.date | None = None) -> Rating:
    """定分: the county score decides; the rating enters public notice (公示)."""
    _require_county(by)
    review = Review.objects.select_for_update(of=("self",)).get(pk=review.pk)
    if review.status == ReviewStatus.FINAL:
        return Rating.objects.get(review=review)
    sa = _lock_assessment(review.self_assessment)
    if sa.status not in REVIEWABLE:
        raise WorkflowError(
            _("自评已退回乡镇修改，待重新提交后才能定分。"), code=Refusal.SELF_RETURNED
        )
    today = _today(today)
    check_review_open(sa, today)
    if review.score is None:
        raise WorkflowError(_("请先保存现场考评打分。"), code=Refusal.REVIEW_NOT_SAVED)
    if review.visit_date is None:
        raise WorkflowError({"visit_date": _("请填写现场考评日期。")}, code=Refusal.REQUIRED)
    errors = _gap_errors(review, sa)
    if errors:
        raise WorkflowError(errors, code=Refusal.GAP_REASON_MISSING)

    settlement = Settlement.objects.select_for_update().get(pk=sa.settlement_id)
    stars = rules.stars_awarded(score=review.score, vetoed=review.vetoed)
    values = {
        "score": review.score,
        "vetoed": review.vetoed,
        "awarded_stars": stars,
        "stars": stars,
        "stage": sa.round.stage,
        "rubric_id": sa.rubric_id,
        "settlement_class": sa.settlement_class,
        "status": RatingStatus.NOTICE,
        "notice_ends_on": notice_end(today, sa.round.notice_working_days),
        "finalised_on": today,
        "effective_at": None,
        "decided_by": by,
    }
    rating = Rating.objects.select_for_update().filter(review=review).first()
    if rating is None:
        rating = Rating(settlement=settlement, round=sa.round, review=review, **values)
        reason = "县级定分，进入公示"
    elif rating.status == RatingStatus.OVERTURNED:
        for name, value in values.items():
            setattr(rating, name, value)
        rating.review = review  # the locked row, finalised below
        reason = "异议成立后重新定分，重新公示"
    else:
        raise WorkflowError(_("该考评已有评定结果。"), code=Refusal.ALREADY_RATED)
    _save(rating, by, reason)
    StarChange.objects.create(
        settlement=settlement,
        rating=rating,
        kind=StarChangeKind.RATED,
        from_stars=settlement.current_star,
        to_stars=stars,
        by=by,
        **reasons.stored(
            "reason",
            reasons.entry(
                Reason.RATED_VETO if review.vetoed else Reason.RATED,
                score=review.score,
                date=rating.notice_ends_on.isoformat(),
            )
            if rating.notice_ends_on is not None
            else reasons.entry(
                Reason.RATED_VETO_PENDING if review.vetoed else Reason.RATED_PENDING,
                score=review.score,
            ),
        ),
    )
    review.status = ReviewStatus.FINAL
    review.finalised_at = timezone.now()
    review.version += 1
    _save(review, by, "定分")
    return rating


@removes_files_on_failure
@transaction.atomic
def review_record(
    *,
    assessment: SelfAssessment,
    by: User,
    items: Mapping[int, tuple[int, str, str]],
    visit_date: dt.date | None,
    team_members: str,
    notes: str,
    total_gap_reason: str,
    expected_version: int,
    uploads: Uploads = (),
    finalise: bool = False,
    today: dt.date | None = None,
) -> tuple[Review, Rating | None]:
    """One press of the county's form: save the scores, attach the photos, finalise if asked.

    All or nothing: a refused photo (reported under its upload key) or a refused
    finalisation (a missing gap reason…) leaves the scores unsaved too. Returns the
    review and, when finalised, the rating now in public notice.
    """
    saved = review_save(
        assessment=assessment,
        by=by,
        items=items,
        visit_date=visit_date,
        team_members=team_members,
        notes=notes,
        total_gap_reason=total_gap_reason,
        expected_version=expected_version,
        today=today,
    )
    evidence_add_many(
        by=by, uploads=uploads, side=Evidence.SIDE_COUNTY, assessment=assessment, today=today
    )
    if not finalise:
        return saved, None
    rating = review_finalise(review=saved, by=by, today=today)
    return rating.review, rating
