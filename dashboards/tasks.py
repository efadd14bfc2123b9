"""Celery tasks: thin doors into dashboards.stats and dashboards.live. They take ids, load,
and call one service.

All are idempotent (a table already built and not stale is left alone), so ``acks_late``
is safe. A dropped connection or a lock timeout (OperationalError) is retried with backoff.
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from ratings.models import Round

from . import live, stats

RETRYING = {
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": 10,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task(name="dashboards.tasks.league_refresh", **RETRYING)
def league_refresh(round_id: int) -> int:
    """Rebuild the round's stale or missing league tables (queued on commit by a recount)."""
    rnd = Round.objects.filter(pk=round_id).first()
    if rnd is None:
        return 0
    return stats.round_leagues_build(round=rnd)


@shared_task(name="dashboards.tasks.leagues_catch_up", **RETRYING)
def leagues_catch_up() -> int:
    """Daily: build any league table a lost task left stale or missing."""
    return stats.leagues_catch_up()


@shared_task(name="dashboards.tasks.live_counts_refresh", **RETRYING)
def live_counts_refresh() -> int:
    """Recount the live figures (queued on commit of a change; every minute by beat)."""
    return live.live_counts_refresh()
