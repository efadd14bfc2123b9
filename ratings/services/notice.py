"""Public notice (公示) and objections to a rating (SPEC §4)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from settlements.models import User
from settlements.roles import is_assessor, is_secretary

from .. import reasons as system_reasons
from .. import signals
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
from ..reasons import Reason
from ._common import (
    _announce,
    _require_county,
    _require_official_of,
    _required_text,
    _save,
    _today,
    is_county,
)
from .errors import Refusal, WorkflowError, WorkflowPermissionDenied

# ------------------------------------------------------------- notice and objections


def objection_excluded_hearers(rating: Rating) -> set[int]:
    """Who may never hear an objection to this rating: everyone who saved or finalised its
    review (from the review's history), the review's assessor and whoever decided the score.

    Reads ``rating.review`` (select it) and one query of the review's history.
    """
    users = set(
        Review.history.filter(id=rating.review_id, history_user__isnull=False).values_list(
            "history_user_id", flat=True
        )
    )
    users.add(rating.review.assessor_id)
    if rating.decided_by_id is not None:
        users.add(rating.decided_by_id)
    return users


def may_hear_objection(*, by: User, objection: Objection, excluded: set[int]) -> bool:
    """The county hears an objection, but never someone in ``excluded``
    (``objection_excluded_hearers`` of its rating) nor the reviewer it was filed against.
    The rating page offers the form to exactly these users; ``objection_decide`` refuses the rest.
    """
    return is_county(by) and by.pk not in excluded and by.pk != objection.reviewed_by_id


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
    if not (is_assessor(by) or is_secretary(by)):
        _require_official_of(by, rating.settlement.village.township_id)
    if rating.status != RatingStatus.NOTICE:
        raise WorkflowError(_("该评定不在公示期，不能提出异议。"), code=Refusal.NOT_IN_NOTICE)
    if (filed_on or _today(today)) > rating.notice_ends_on:
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
def objection_decide(*, objection: Objection, by: User, outcome: str, reasons: str) -> Objection:
    """Hear an objection: ``upheld`` overturns the rating and reopens the review; ``rejected`` keeps it."""
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
    if not may_hear_objection(
        by=by, objection=objection, excluded=objection_excluded_hearers(rating)
    ):
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
        _save(review, by, "异议成立，重新考评")
    return objection
