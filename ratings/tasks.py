"""Celery tasks for the county's calendar: thin doors into ratings.services (and its ``cycle``).

The beat schedule (config/settings.py, CELERY_BEAT_SCHEDULE) names these tasks. Each
takes plain values (a date string, ids), loads, and calls one service. Every job is
idempotent, so ``acks_late`` is safe: a task lost with its worker simply runs again.
A dropped database connection or a lock timeout (OperationalError) is retried with
backoff; anything else is a bug or a refusal and is logged, not retried.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone

from core.tasks import RETRYING
from settlements.models import User

from . import services
from .services import cycle

logger = logging.getLogger(__name__)


def _today(day: str | None) -> dt.date:
    # Beat sends no date: the job runs for today in the county's time (Asia/Shanghai),
    # so the 00:05 run on 1 April opens Q1 although it is still 31 March in UTC.
    return dt.date.fromisoformat(day) if day else timezone.localdate()


def _log(report: cycle.OpenReport | cycle.DailyReport) -> None:
    for line in report.lines():
        logger.info("%s", line)


@shared_task(name="ratings.tasks.quarterly_job", **RETRYING)
def quarterly_job(day: str | None = None) -> None:
    _log(cycle.quarterly_job(today=_today(day)))


@shared_task(name="ratings.tasks.semiannual_job", **RETRYING)
def semiannual_job(day: str | None = None) -> None:
    _log(cycle.semiannual_job(today=_today(day)))


@shared_task(name="ratings.tasks.annual_job", **RETRYING)
def annual_job(day: str | None = None) -> None:
    _log(cycle.annual_job(today=_today(day)))


@shared_task(name="ratings.tasks.daily_job", **RETRYING)
def daily_job(day: str | None = None) -> None:
    _log(cycle.daily_job(today=_today(day)))


@shared_task(name="ratings.tasks.round_open_task", **RETRYING)
def round_open_task(
    year: int, quarter: int, by_id: int | None = None, allow_early: bool = False
) -> None:
    """Open a round queued from the admin (ratings.services.round_open_queue)."""
    by = User.objects.get(pk=by_id) if by_id is not None else None
    rnd, created = services.round_open(year=year, quarter=quarter, by=by, allow_early=allow_early)
    logger.info("round_open %s: %s", rnd, "opened" if created else "already open")
