"""A county review's deadline, and the explicit reopenings that move it (SPEC §4).

After its deadline a review can no longer be saved or finalised (``review_lock``, asked
by every service that writes it). Its deadline is the round's review deadline, moved
only by a recorded reopening (``ratings.models.ReviewReopening``): the Party secretary
extends one review with a reason (``review_deadline_extend``; a whole round through
``round_deadlines_change``), and an upheld objection reopens its review for the county's
set number of days (``review_reopen_for_objection``, called by ``objection_decide``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from settlements.county import county_settings
from settlements.models import User

from .. import rules
from ..models import (
    Objection,
    ReopeningKind,
    Review,
    ReviewReopening,
    ReviewStatus,
    SelfAssessment,
)
from ..permissions import may_extend_review_deadline
from ._common import _lock_assessment, _required_text, _today
from .errors import Refusal, WorkflowError, WorkflowPermissionDenied


@dataclasses.dataclass(frozen=True)
class ReviewDeadline:
    """A review's last day, and the reopening that set it (None: the round's own deadline)."""

    date: dt.date
    reopening: ReviewReopening | None

    def is_open(self, today: dt.date) -> bool:
        return rules.review_open(today, deadline=self.date)


def review_deadline_of(assessment: SelfAssessment) -> ReviewDeadline:
    """The deadline of the county review of ``assessment``.

    Reads ``assessment.round`` and ``assessment.review_reopenings`` (prefetch them, with
    ``by``, on a page: then it costs no query).
    """
    round_deadline = assessment.round.review_deadline
    rows = list(assessment.review_reopenings.all())
    date = rules.review_deadline(round_deadline, (row.open_until for row in rows))
    latest = max(rows, key=lambda row: (row.open_until, row.at, row.pk), default=None)
    if latest is None or latest.open_until <= round_deadline:
        return ReviewDeadline(date=date, reopening=None)
    return ReviewDeadline(date=date, reopening=latest)


def review_lock(assessment: SelfAssessment, today: dt.date) -> WorkflowError | None:
    """Why the county review of ``assessment`` may not be saved or finalised on ``today``, or None."""
    deadline = review_deadline_of(assessment)
    if deadline.is_open(today):
        return None
    return WorkflowError(
        _(
            "县级考评截止日期（%(date)s）已过，不能再保存或定分。"
            "须由党组织书记在管理后台延长截止日期，或公示异议成立后重新开放。"
        )
        % {"date": deadline.date.isoformat()},
        code=Refusal.REVIEW_DEADLINE_PASSED,
    )


def check_review_open(assessment: SelfAssessment, today: dt.date) -> None:
    lock = review_lock(assessment, today)
    if lock is not None:
        raise lock


@transaction.atomic
def review_deadline_extend(
    *,
    assessment: SelfAssessment,
    open_until: dt.date,
    reason: str,
    by: User,
    today: dt.date | None = None,
) -> ReviewReopening:
    """The Party secretary gives one county review a later deadline, with a reason (recorded).

    The new day must be later than the review's current deadline and not in the past;
    a finalised review is not reopened this way (only an upheld objection reopens it).
    Posting the same extension again returns the stored one.
    """
    if not may_extend_review_deadline(by):
        raise WorkflowPermissionDenied(
            _("只有党组织书记可以延长县级考评截止日期。"), code=Refusal.NOT_SECRETARY
        )
    text = _required_text(reason, _("请填写延长原因。"), field="reason", limit=500)
    sa = _lock_assessment(assessment)
    same = ReviewReopening.objects.filter(
        self_assessment=sa, kind=ReopeningKind.EXTENSION, open_until=open_until, reason=text
    ).first()
    if same is not None:
        return same  # the same form posted twice
    if Review.objects.filter(self_assessment=sa, status=ReviewStatus.FINAL).exists():
        raise WorkflowError(
            _("县级考评已定分，不能延长截止日期；如有异议，异议成立后会重新开放考评。"),
            code=Refusal.REVIEW_FINAL,
        )
    if open_until < _today(today):
        raise WorkflowError(
            {"open_until": _("新的截止日期不能早于今天。")}, code=Refusal.DEADLINE_IN_PAST
        )
    current = review_deadline_of(sa).date
    if open_until <= current:
        raise WorkflowError(
            {
                "open_until": _("新的截止日期须晚于现在的截止日期（%(date)s）。")
                % {"date": current.isoformat()}
            },
            code=Refusal.REVIEW_EXTENSION_NOT_LATER,
        )
    return ReviewReopening.objects.create(
        self_assessment=sa,
        kind=ReopeningKind.EXTENSION,
        open_until=open_until,
        reason=text,
        by=by,
    )


def review_reopen_for_objection(
    *, objection: Objection, review: Review, by: User, today: dt.date
) -> ReviewReopening:
    """An upheld objection reopens its review for the county's set days from the hearing.

    Called inside ``objection_decide``'s transaction; one reopening per objection.
    """
    existing = ReviewReopening.objects.filter(objection=objection).first()
    if existing is not None:
        return existing
    days = county_settings().objection_review_days
    return ReviewReopening.objects.create(
        self_assessment_id=review.self_assessment_id,
        kind=ReopeningKind.OBJECTION,
        objection=objection,
        open_until=today + dt.timedelta(days=days),
        reason=objection.reasons,
        by=by,
    )
