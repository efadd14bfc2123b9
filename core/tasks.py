"""Celery options shared by the tasks of every app.

Every task of the project is idempotent (a re-run does nothing twice), so ``acks_late``
is safe: a task lost with its worker simply runs again. A dropped database connection
or a lock timeout (OperationalError) is retried with backoff; anything else is a bug or
a refusal and is logged by the task, not retried.

Use: ``@shared_task(name="app.tasks.job", **RETRYING)``.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import OperationalError

RETRYING: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": 10,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 6,
}


# ----------------------------------------------------------------- spreadsheet imports
# Thin doors into core.imports.services; each is a no-op when its job has moved on, so
# a redelivered message does nothing twice. Not retried: a failure is recorded on the job.


@shared_task(name="core.tasks.import_preview", acks_late=True)
def import_preview(job_id: int) -> None:
    from core.imports import services

    services.import_job_preview(job_id=job_id)


@shared_task(name="core.tasks.import_apply", acks_late=True)
def import_apply(job_id: int) -> None:
    from core.imports import services

    services.import_job_apply(job_id=job_id)


@shared_task(name="core.tasks.import_files_purge", acks_late=True)
def import_files_purge() -> None:
    """Daily: the stored files of finished or abandoned imports (personal data) go."""
    from core.imports import services

    services.import_files_purge()
