"""An import job by its signed id, seen only by its creator or a supervisor (else 404)."""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.http import Http404

from core.models import ImportJob

from .base import supervises_imports

SALT = "core.imports.job"


def job_token(job: ImportJob) -> str:
    """The job's id as pages carry it: signed, so ids cannot be guessed or walked."""
    return signing.Signer(salt=SALT).sign(str(job.pk))


def import_job_visible_to(user: Any, token: str) -> ImportJob:
    try:
        pk = int(signing.Signer(salt=SALT).unsign(token))
    except (signing.BadSignature, ValueError) as exc:
        raise Http404 from exc
    # The plan and the problem list stay out of the status poll's row.
    job = ImportJob.objects.filter(pk=pk).select_related("created_by").first()
    if job is None or not (job.created_by_id == user.pk or supervises_imports(user)):
        raise Http404
    return job
