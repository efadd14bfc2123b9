"""Who may do what in the rating workflow: asked by the services (to refuse), the views (to
offer a form or answer 403) and the templates (through context values the views compute
with these same predicates), so a page never offers what the service would refuse.

Role predicates come from ``settlements.permissions``; the ones here add the workflow's
own standing. Named permissions (``rules.has_perm("ratings.hear_objection", user, o)``)
are registered at the bottom. State questions (is the self-assessment still open?) are the
services' (``self_assessment_lock``); these predicates only combine them with who asks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import rules
from django.utils import timezone

from settlements.permissions import (
    is_county,
    is_official,
    is_official_of_township,
    is_secretary,
    permission,
)

from .models import AssessmentStatus, Objection, Rating, Review, SelfAssessment

__all__ = [
    "is_county",
    "is_official_of_township",
    "may_answer_rectification",
    "may_edit_self_assessment",
    "may_extend_review_deadline",
    "may_file_objection",
    "may_hear_objection",
    "may_manage_rounds",
    "may_review",
    "objection_excluded_hearers",
    "self_assessment_editable_ids",
]


@rules.predicate
def may_review(user: Any) -> bool:
    """County work: reviews, send-backs, objections decided, rectifications issued and checked."""
    return bool(is_county(user))


@rules.predicate
def may_manage_rounds(user: Any) -> bool:
    """Opening rounds and loading rubric versions: the secretaries (a system job passes no user)."""
    return bool(is_secretary(user))


@rules.predicate
def may_extend_review_deadline(user: Any) -> bool:
    """Extending one county review's deadline with a reason (a round's: ``may_manage_rounds``)."""
    return bool(is_secretary(user))


def _today(today: dt.date | None) -> dt.date:
    return today if today is not None else timezone.localdate()


def self_assessment_editable_ids(
    *, assessment: SelfAssessment, by: Any, item_ids: Iterable[int], today: dt.date | None = None
) -> set[int]:
    """Which of ``item_ids`` ``by`` may change now: the township's own officials, while the
    self-assessment is open; every item of a draft, only the returned ones while it is
    returned (退回). The page offers exactly these fields; the services refuse the rest.

    Reads ``assessment.items`` (prefetch it) and ``assessment.settlement.village``.
    """
    from .services._common import self_assessment_lock  # the state rule lives with the services

    if not is_official_of_township(by, assessment):
        return set()
    if self_assessment_lock(assessment, _today(today)) is not None:
        return set()
    wanted = set(item_ids)
    if assessment.status == AssessmentStatus.RETURNED:
        return {row.item_id for row in assessment.items.all() if row.returned} & wanted
    if assessment.status in (AssessmentStatus.NOT_STARTED, AssessmentStatus.DRAFT):
        return wanted
    return set()


@rules.predicate
def may_edit_self_assessment(user: Any, assessment: SelfAssessment) -> bool:
    """The township's own officials, while the self-assessment is open (not submitted, not
    overdue, deadline not passed). Which items: ``self_assessment_editable_ids``."""
    from .services._common import self_assessment_lock

    return bool(is_official_of_township(user, assessment)) and (
        self_assessment_lock(assessment, timezone.localdate()) is None
    )


def objection_excluded_hearers(rating: Rating) -> set[int]:
    """Who may never hear an objection to this rating: everyone who saved or finalised its
    review (from the review's history), the review's assessor and whoever decided the score.

    Reads ``rating.review`` (select it) and one query of the review's history, once per
    rating object: the answer is kept on it, so asking for every objection costs no more.
    """
    cached = getattr(rating, "_excluded_hearers", None)
    if cached is not None:
        return cached
    users = set(
        Review.history.filter(id=rating.review_id, history_user__isnull=False).values_list(
            "history_user_id", flat=True
        )
    )
    users.add(rating.review.assessor_id)
    if rating.decided_by_id is not None:
        users.add(rating.decided_by_id)
    rating._excluded_hearers = users  # type: ignore[attr-defined]
    return users


@rules.predicate
def may_hear_objection(user: Any, objection: Objection) -> bool:
    """The county hears an objection, but never anyone who took part in the rating's review
    (``objection_excluded_hearers``) nor the reviewer it was filed against."""
    if not is_county(user):
        return False
    if user.pk == objection.reviewed_by_id:
        return False
    return user.pk not in objection_excluded_hearers(objection.rating)


@rules.predicate
def may_file_objection(user: Any, rating: Rating) -> bool:
    """The county records residents' objections for any settlement; an official for their own."""
    return bool(is_county(user) or is_official_of_township(user, rating))


@rules.predicate
def may_answer_rectification(user: Any, rectification: Any) -> bool:
    """A rectification notice is answered by the settlement's own township officials.
    Without an object: whether the user is an official at all (the page's first question)."""
    if rectification is None:
        return bool(is_official(user))
    return bool(is_official_of_township(user, rectification))


permission("ratings.review", may_review)
permission("ratings.manage_rounds", may_manage_rounds)
permission("ratings.extend_review_deadline", may_extend_review_deadline)
permission("ratings.edit_self_assessment", may_edit_self_assessment)
permission("ratings.hear_objection", may_hear_objection)
permission("ratings.file_objection", may_file_objection)
permission("ratings.answer_rectification", may_answer_rectification)
