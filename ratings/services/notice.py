"""Public notice (公示) and objections to a rating (SPEC §4)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from settlements.calendar import CalendarYearUnknown, WorkingCalendar, working_calendar
from settlements.models import User

from .. import reasons as system_reasons
from .. import rules, signals
from ..models import (
    Objection,
    ObjectionOutcome,
    Rating,
    RatingStatus,
    Review,
    ReviewStatus,
    StarChange,
    StarChangeKind,
)
from ..permissions import may_file_objection, may_hear_objection
from ..reasons import Reason
from ._common import (
    _announce,
    _record_history,
    _require_county,
    _require_official_of,
    _required_text,
    _save,
    _today,
)
from .errors import Refusal, WorkflowError, WorkflowPermissionDenied
from .review_deadline import review_reopen_for_objection

# ------------------------------------------------------------- notice and objections


def notice_end(
    finalised_on: dt.date, working_days: int, calendar: WorkingCalendar | None = None
) -> dt.date | None:
    """The public notice's last day in China's working days, or None while a year it runs into is unknown.

    An unknown year is never guessed: the rating stays in notice with its end pending
    (objections stay open) until the county enters that year's holiday arrangement;
    the daily job then sets the end date counted from the day of finalising, and the
    rating takes effect after it as usual (``ratings_notice_ends_fill``).
    """
    calendar = calendar or working_calendar()
    try:
        return rules.add_working_days(
            finalised_on, working_days, is_working_day=calendar.is_working_day
        )
    except CalendarYearUnknown:
        return None


def notice_until_text(rating: Rating) -> str:
    if rating.notice_ends_on is None:
        return _("公示截止日期待定（节假日安排尚未录入）")
    return _("公示至 %(date)s") % {"date": rating.notice_ends_on.isoformat()}


def ratings_notice_ends_fill() -> int:
    """Set the end of every notice left pending by an unknown year the calendar now knows; returns how many."""
    pending = list(
        Rating.objects.filter(status=RatingStatus.NOTICE, notice_ends_on__isnull=True)
        .select_related("round", "review")
        .order_by("pk")
    )
    if not pending:
        return 0
    calendar = working_calendar()
    filled = 0
    for rating in pending:
        finalised_on = rating.finalised_on or timezone.localdate(
            rating.review.finalised_at or rating.created_at
        )
        ends = notice_end(finalised_on, rating.round.notice_working_days, calendar)
        if ends is None:
            continue
        with transaction.atomic():
            updated = Rating.objects.filter(pk=rating.pk, notice_ends_on__isnull=True).update(
                notice_ends_on=ends
            )
            if updated == 1:
                rating.notice_ends_on = ends
                _record_history([rating], None, "节假日安排已录入，确定公示截止日期")
                filled += 1
    return filled


@transaction.atomic
def objection_file(
    *,
    rating: Rating,
    by: User,
    filed_by_name: str,
    text: str,
    today: dt.date | None = None,
    filed_on: dt.date | None = None,
) -> Objection:
    """异议: record an objection filed during the public notice.

    ``filed_on``: the day a resident filed it, when the county records it later (the
    window is judged on that day; the rating is held back meanwhile).
    """
    rating = (
        Rating.objects.select_for_update(of=("self",))
        .select_related("settlement__village", "review")
        .get(pk=rating.pk)
    )
    if not may_file_objection(by, rating):
        _require_official_of(by, rating.settlement.village.township_id)
    if rating.status != RatingStatus.NOTICE:
        raise WorkflowError(_("该评定不在公示期，不能提出异议。"), code=Refusal.NOT_IN_NOTICE)
    # A pending end date (unknown calendar year) keeps the window open: see notice_end.
    if rating.notice_ends_on is not None and (filed_on or _today(today)) > rating.notice_ends_on:
        raise WorkflowError(
            _("公示期已于 %(date)s 结束，不能再提出异议。")
            % {"date": rating.notice_ends_on.isoformat()},
            code=Refusal.NOTICE_OVER,
        )
    name = _required_text(filed_by_name, _("请填写异议人。"), field="filed_by_name", limit=64)
    body = _required_text(text, _("请填写异议内容。"), field="text")
    same = Objection.objects.filter(
        rating=rating, filed_by_name=name, text=body, outcome=ObjectionOutcome.PENDING
    ).first()
    if same is not None:
        return same  # the same form posted twice
    objection = Objection(
        rating=rating,
        filed_by_name=name,
        text=body,
        recorded_by=by,
        reviewed_by_id=rating.review.assessor_id,
    )
    _save(objection, by, "登记异议")
    _announce(signals.objection_filed, Objection, objection_id=objection.pk)
    return objection


@transaction.atomic
def objection_decide(
    *, objection: Objection, by: User, outcome: str, reasons: str, today: dt.date | None = None
) -> Objection:
    """Hear an objection: ``upheld`` overturns the rating and reopens the review; ``rejected`` keeps it.

    The reopened review gets its own deadline, recorded as a ``ReviewReopening``: the
    county's set days (全县设置) from the hearing, or the round's if that is later.
    """
    _require_county(by)
    objection = Objection.objects.select_for_update(of=("self",)).get(pk=objection.pk)
    if outcome not in (ObjectionOutcome.UPHELD, ObjectionOutcome.REJECTED):
        raise WorkflowError(
            {"outcome": _("处理结果只能是“异议成立”或“异议不成立”。")}, code=Refusal.BAD_OUTCOME
        )
    if objection.outcome != ObjectionOutcome.PENDING:
        if objection.outcome == outcome:
            return objection
        raise WorkflowError(
            _("该异议已处理（%(outcome)s），不能更改。")
            % {"outcome": objection.get_outcome_display()},
            code=Refusal.ALREADY_DECIDED,
        )
    rating = (
        Rating.objects.select_for_update(of=("self",))
        .select_related("review", "settlement")
        .get(pk=objection.rating_id)
    )
    objection.rating = rating  # the locked row: who reviewed it is read from it
    if not may_hear_objection(by, objection):
        raise WorkflowPermissionDenied(
            _("异议须由未参与该聚居点现场考评的考评人员处理，请由其他考评组成员处理。"),
            code=Refusal.REVIEWER_MAY_NOT_HEAR,
        )
    reasons = _required_text(reasons, _("请填写处理理由。"), field="reasons")

    objection.outcome = outcome
    objection.reasons = reasons
    objection.heard_by = by
    objection.decided_at = timezone.now()
    _save(objection, by, "异议处理")
    _announce(signals.objection_decided, Objection, objection_id=objection.pk)

    if outcome == ObjectionOutcome.UPHELD and rating.status == RatingStatus.NOTICE:
        rating.status = RatingStatus.OVERTURNED
        _save(rating, by, "异议成立，撤销评定")
        StarChange.objects.create(
            settlement=rating.settlement,
            rating=rating,
            kind=StarChangeKind.OBJECTION,
            from_stars=rating.stars,
            to_stars=rating.settlement.current_star,
            by=by,
            **system_reasons.stored(
                "reason", system_reasons.entry(Reason.OBJECTION_UPHELD, reasons=reasons)
            ),
        )
        review = Review.objects.select_for_update().get(pk=rating.review_id)
        review.status = ReviewStatus.DRAFT
        review.finalised_at = None
        review.version += 1
        reopening = review_reopen_for_objection(
            objection=objection, review=review, by=by, today=_today(today)
        )
        _save(review, by, f"异议成立，重新考评（至{reopening.open_until.isoformat()}）")
    return objection
