"""Celery tasks: thin doors into rewards.services. They take ids, load, and call one service.

Both are idempotent (a re-run proposes nothing twice), so ``acks_late`` is safe: a task
lost with its worker simply runs again. A dropped connection or a lock timeout
(OperationalError) is retried with backoff; a refusal (RewardsError, e.g. a year without
a reward schedule) is logged and left to the daily catch-up once it is fixed.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone

from core.tasks import RETRYING
from ratings.models import Rating

from . import services

logger = logging.getLogger(__name__)


@shared_task(name="rewards.tasks.propose_for_rating", **RETRYING)
def propose_for_rating(rating_id: int) -> int:
    """A rating took effect or its stars changed: propose what its settlement's year now owes."""
    found = Rating.objects.filter(pk=rating_id).values_list("settlement_id", "round__year").first()
    if found is None:
        logger.warning("rewards: rating %s no longer exists; nothing to propose", rating_id)
        return 0
    settlement_id, year = found
    try:
        rows = services.disbursements_propose(
            settlement_id=settlement_id, year=year, rating_id=rating_id
        )
    except services.RewardsError as exc:
        logger.warning("rewards: rating %s: %s", rating_id, " ".join(exc.messages))
        return 0
    return len(rows)


@shared_task(name="rewards.tasks.catch_up", **RETRYING)
def catch_up(day: str | None = None) -> int:
    """The daily job: propose whatever a lost signal or task left out."""
    today = dt.date.fromisoformat(day) if day else timezone.localdate()
    created = services.disbursements_catch_up(today=today)
    logger.info("rewards catch-up %s: %d row(s) proposed", today, created)
    return created
