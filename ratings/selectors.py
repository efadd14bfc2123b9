"""Reads of the workflow scoped to the user, already joined for the pages that list them.

Scope comes from ``settlements.selectors.settlements_visible_to``: assessors and
secretaries see every settlement's records, a township official only their township's,
anyone else nothing. Joins are ``select_related`` so a list renders without N+1 queries.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Q, QuerySet

from settlements.permissions import sees_all_settlements
from settlements.selectors import scoped_by_settlement

from .models import (
    AssessmentStatus,
    Certificate,
    Evidence,
    Objection,
    Rating,
    Rectification,
    Round,
    SelfAssessment,
)

# Rows of the user's settlements: the one scoping rule (settlements.selectors).
_scoped = scoped_by_settlement

_QS = TypeVar("_QS", bound=QuerySet[Any])


def current_round() -> Round | None:
    """The most recent round (by year and quarter), or None before the first one opens."""
    return Round.objects.select_related("rubric").order_by("-year", "-quarter").first()


def self_assessments_visible_to(user: Any) -> QuerySet[SelfAssessment]:
    """Self-assessments with settlement, township, round, rubric, review and rating joined."""
    qs = SelfAssessment.objects.select_related(
        "settlement__village__township", "round", "rubric", "review", "review__rating"
    )
    return _scoped(qs, user)


def review_queue(
    user: Any,
    *,
    round: Round,  # noqa: A002 - the domain's word
    township_id: int | None = None,
    settlement_class: int | None = None,
    status: str | None = None,
) -> QuerySet[SelfAssessment]:
    """The county's queue for a round, filterable by township, class and status.

    Officials get an empty queue: reviewing is the county's job.
    """
    if not sees_all_settlements(user):
        return SelfAssessment.objects.none()
    qs = self_assessments_visible_to(user).filter(round=round).order_by("settlement__code")
    if township_id:
        qs = qs.filter(settlement__village__township_id=township_id)
    if settlement_class:
        qs = qs.filter(settlement_class=settlement_class)
    if status:
        if status not in AssessmentStatus.values:
            return qs.none()
        qs = qs.filter(status=status)
    return qs


def search_settlement(qs: _QS, q: str, path: str = "settlement") -> _QS:
    """Rows whose settlement's name or code contains ``q`` (the lists' search box)."""
    q = (q or "").strip()
    if not q:
        return qs
    return qs.filter(Q(**{f"{path}__name__icontains": q}) | Q(**{f"{path}__code__icontains": q}))


def ratings_visible_to(user: Any) -> QuerySet[Rating]:
    return _scoped(
        Rating.objects.select_related("settlement__village__township", "round", "rubric"), user
    )


def objections_visible_to(user: Any) -> QuerySet[Objection]:
    return _scoped(
        Objection.objects.select_related(
            "rating__settlement__village__township", "rating__round", "heard_by", "recorded_by"
        ),
        user,
        "rating__settlement",
    )


def rectifications_visible_to(user: Any) -> QuerySet[Rectification]:
    return _scoped(
        Rectification.objects.select_related("settlement__village__township", "rating__round"), user
    )


def certificates_visible_to(user: Any) -> QuerySet[Certificate]:
    return _scoped(
        Certificate.objects.select_related("settlement__village__township", "rating__round"), user
    )


def evidence_visible_to(user: Any) -> QuerySet[Evidence]:
    return _scoped(
        Evidence.objects.select_related("settlement__village__township", "item", "uploaded_by"),
        user,
    )


def flagged_evidence_visible_to(user: Any, *, flag: str | None = None) -> QuerySet[Evidence]:
    """Photos the server's checks flagged, newest first, with what a list row shows joined."""
    qs = (
        evidence_visible_to(user)
        .filter(flagged=True)
        .select_related("assessment__round", "rectification__rating__round")
        .order_by("-uploaded_at", "-pk")
    )
    if flag:
        # The quoted code inside the stored JSON list (works on SQLite and PostgreSQL alike).
        qs = qs.filter(flags__icontains=f'"{flag}"')
    return qs
