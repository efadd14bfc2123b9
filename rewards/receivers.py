"""Receivers of ratings' signals, connected in RewardsConfig.ready(): they only queue a task.

ratings sends its signals from on_commit already; queuing through on_commit again keeps
the task from reading uncommitted state should a sender ever fire inside a transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction


def queue_proposal(sender: Any, rating_id: int, **kwargs: Any) -> None:
    from core.queueing import enqueue

    from .tasks import propose_for_rating

    # A broker outage does not fail the request: the daily catch-up proposes it later.
    transaction.on_commit(lambda: enqueue(propose_for_rating, rating_id))
