"""Work handed to the Celery worker, sent by task name.

Services schedule it with ``transaction.on_commit(partial(queue.round_open, ...))``.
Sending by name keeps the dependency one way: ``ratings.tasks`` imports the services,
and neither the services nor this module import the tasks. A test checks that every
name here is a task the worker knows.
"""

from __future__ import annotations

from core.queueing import enqueue

ROUND_OPEN_TASK = "ratings.tasks.round_open_task"


def round_open(*, year: int, quarter: int, by_id: int | None, allow_early: bool = False) -> None:
    """Open the (year, quarter) round in the worker, as the user ``by_id``."""
    # A broker outage does not fail the request: the daily job opens a missed round.
    enqueue(ROUND_OPEN_TASK, year, quarter, by_id, allow_early)
