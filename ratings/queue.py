"""Work handed to the Celery worker, sent by task name.

Services schedule it with ``transaction.on_commit(partial(queue.round_open, ...))``.
Sending by name keeps the dependency one way: ``ratings.tasks`` imports the services,
and neither the services nor this module import the tasks. A test checks that every
name here is a task the worker knows.
"""

from __future__ import annotations

from celery import current_app

ROUND_OPEN_TASK = "ratings.tasks.round_open_task"


def round_open(*, year: int, quarter: int, by_id: int | None, allow_early: bool = False) -> None:
    """Open the (year, quarter) round in the worker, as the user ``by_id``."""
    current_app.send_task(ROUND_OPEN_TASK, args=(year, quarter, by_id, allow_early))
