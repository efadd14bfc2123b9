"""Celery tasks of settlements: thin doors into its services."""

from __future__ import annotations

from celery import shared_task

from core.tasks import RETRYING

from .governance import services


@shared_task(name="settlements.tasks.governance_gaps_rebuild", **RETRYING)
def governance_gaps_rebuild() -> int:
    """Nightly: recompute every settlement's stored governance gaps (catches any write that
    did not refresh them, e.g. a bulk write). Idempotent."""
    return services.settlement_gaps_rebuild()
