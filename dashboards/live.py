"""The live figures (the stars settlements hold now, the current round's work), kept by a task.

``live_counts_refresh`` counts every scope (the county and each township) in four grouped
queries whatever the county's size and stores one LiveCount row per scope. It runs in
``dashboards.tasks.live_counts_refresh``: queued on commit whenever a self-assessment,
rating or rectification order is saved or deleted (``connect()``; at most one task per
transaction) and every minute by beat (the date moves work into "overdue", and bulk writes
such as a round's opening send no signal). Pages only read the rows, with the time they
were counted, so no reader's request ever counts (README, "Performance").
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from core.queueing import BROKER_ERRORS
from ratings.models import (
    AssessmentStatus,
    Rating,
    RatingStatus,
    Rectification,
    Round,
    SelfAssessment,
)
from ratings.signals import ratings_rewritten
from ratings.states import NOT_SUBMITTED
from settlements.models import Settlement

from .models import LiveCount
from .timeliness import on_time_q
from .versions import bump_on_commit

logger = logging.getLogger(__name__)

TOWNSHIP = "settlement__village__township_id"


def assessment_summary(
    by_status: Counter[str], on_time: int, rated: Counter[str]
) -> dict[str, int]:
    """The figures pages show, from the round's self-assessments and ratings by status.

    Every finalised review has made a rating (a rating overturned on objection reopens its
    review), so the reviews still due are the submitted self-assessments without a rating
    in notice or in effect; counting ratings by status avoids joining 35,000 reviews.
    """
    submitted = by_status[AssessmentStatus.SUBMITTED]
    return {
        "expected": sum(by_status.values()),
        "not_submitted": sum(by_status[x] for x in NOT_SUBMITTED),
        "returned": by_status[AssessmentStatus.RETURNED],
        "overdue": by_status[AssessmentStatus.OVERDUE],
        "submitted": submitted,
        "on_time": on_time,
        "reviews_due": max(
            0, submitted - rated[RatingStatus.NOTICE] - rated[RatingStatus.EFFECTIVE]
        ),
        "in_notice": rated[RatingStatus.NOTICE],
    }


class _Scope:
    """What one scope's row is made of, added up as the grouped rows come in."""

    def __init__(self) -> None:
        self.stars: Counter[tuple[int, int]] = Counter()  # (class, stars) -> settlements
        self.by_status: Counter[str] = Counter()
        self.on_time = 0
        self.rated: Counter[str] = Counter()
        self.overdue = 0

    def add(self, other: _Scope) -> None:
        self.stars.update(other.stars)
        self.by_status.update(other.by_status)
        self.on_time += other.on_time
        self.rated.update(other.rated)
        self.overdue += other.overdue

    def row(self, scope: int, current: Round | None, now: dt.datetime) -> LiveCount:
        return LiveCount(
            scope=scope,
            round=current,
            settlements=sum(self.stars.values()),
            five_star=sum(n for (_klass, stars), n in self.stars.items() if stars == 5),
            stars=[[klass, stars, n] for (klass, stars), n in sorted(self.stars.items())],
            assessments=(
                assessment_summary(self.by_status, self.on_time, self.rated)
                if current is not None
                else {}
            ),
            rectifications_overdue=self.overdue,
            counted_at=now,
        )


@transaction.atomic
def live_counts_refresh(*, today: dt.date | None = None) -> int:
    """Count the live figures of the county and every township; store one row each.

    Four grouped queries whatever the county's size, then one upsert. Idempotent; returns
    the number of rows written. Bumps the stats version on commit, so cached dashboard
    parts show the new figures from then on.
    """
    today = today or timezone.localdate()
    current = Round.objects.order_by("-year", "-quarter").first()
    scopes: dict[int, _Scope] = defaultdict(_Scope)
    for township_id, klass, stars, n in (
        Settlement.objects.values("village__township_id", "klass", "current_star")
        .annotate(n=Count("pk"))
        .values_list("village__township_id", "klass", "current_star", "n")
        .order_by()
    ):
        scopes[township_id].stars[(klass, stars)] += n
    if current is not None:
        for township_id, status, n, timely in (
            SelfAssessment.objects.filter(round=current)
            .values(TOWNSHIP, "status")
            .annotate(n=Count("pk"), timely=Count("pk", filter=on_time_q(current)))
            .values_list(TOWNSHIP, "status", "n", "timely")
            .order_by()
        ):
            scopes[township_id].by_status[status] += n
            scopes[township_id].on_time += timely
        for township_id, status, n in (
            Rating.objects.filter(round=current)
            .values(TOWNSHIP, "status")
            .annotate(n=Count("pk"))
            .values_list(TOWNSHIP, "status", "n")
            .order_by()
        ):
            scopes[township_id].rated[status] += n
    for township_id, n in (
        Rectification.objects.overdue(today)
        .values(TOWNSHIP)
        .annotate(n=Count("pk"))
        .values_list(TOWNSHIP, "n")
        .order_by()
    ):
        scopes[township_id].overdue += n
    now = timezone.now()
    county = _Scope()
    rows = []
    for township_id in sorted(scopes):
        county.add(scopes[township_id])
        rows.append(scopes[township_id].row(township_id, current, now))
    rows.append(county.row(LiveCount.COUNTY, current, now))
    before = {row[0]: row[1:] for row in LiveCount.objects.values_list(*_FIGURES)}
    changed = before != {row.scope: _figures(row) for row in rows}
    LiveCount.objects.exclude(scope__in=[row.scope for row in rows]).delete()
    LiveCount.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["scope"],
        update_fields=[
            "round",
            "settlements",
            "five_star",
            "stars",
            "assessments",
            "rectifications_overdue",
            "counted_at",
        ],
    )
    if changed:
        # Cached dashboard parts show the new figures from the commit on; a recount that
        # found the same figures leaves them cached (they say when they were counted).
        bump_on_commit()
    return len(rows)


_FIGURES = (
    "scope",
    "round_id",
    "settlements",
    "five_star",
    "stars",
    "assessments",
    "rectifications_overdue",
)


def _figures(row: LiveCount) -> tuple[Any, ...]:
    return tuple(getattr(row, name) for name in _FIGURES[1:])


def _queue() -> None:
    from .tasks import live_counts_refresh as task

    try:
        task.delay()
    except BROKER_ERRORS as exc:
        # Nothing to tell the person: beat recounts within the minute once the broker is back.
        logger.warning("Could not queue the live counts' recount: %s", exc)


def queue_refresh(**kwargs: Any) -> None:
    """Queue one recount on commit of the current transaction (at most one per transaction)."""
    # Entries are (savepoint ids, callback, robust); the stubs know only two of them.
    if any(entry[1] is _queue for entry in connection.run_on_commit):
        return
    transaction.on_commit(_queue)


def _on_ratings_rewritten(**kwargs: Any) -> None:
    # A bulk writer (the demo's history, seed commands) rewrote whole rounds inside its own
    # transaction: recount from the rows just written, so a seeded county has its figures
    # without waiting for a worker. Never sent by a reader's request.
    live_counts_refresh()


def connect() -> None:
    """A save or delete of a submission, a review outcome (rating) or an order queues a
    recount; called from DashboardsConfig.ready(). Rounds and settlements are left to the
    minute's run: they are written in bulk (no signal) or alongside a rating (which queues).
    A bulk rewrite of ratings (``ratings_rewritten``) recounts at once."""
    for model in (SelfAssessment, Rating, Rectification):
        uid = f"dashboards.live.{model._meta.label_lower}"
        post_save.connect(queue_refresh, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(queue_refresh, sender=model, dispatch_uid=f"{uid}.delete")
    ratings_rewritten.connect(_on_ratings_rewritten, dispatch_uid="dashboards.live.rewritten")


__all__ = ["assessment_summary", "connect", "live_counts_refresh", "queue_refresh"]
