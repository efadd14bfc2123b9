"""The job page (progress, then the preview summary and confirm), its JSON status for
the progress bar (static/js/import_progress.js polls it), and the refused rows as xlsx.
Thin: fetch through the scoped selector (someone else's job is a 404), call a service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.models import ImportStatus

from . import services
from .base import importer_for
from .selectors import import_job_visible_to, job_token


@login_required
@require_GET
def job_page(request: HttpRequest, token: str) -> HttpResponse:
    job = import_job_visible_to(request.user, token)
    importer = importer_for(job.kind)
    return render(
        request,
        "core/import_job.html",
        {
            "job": job,
            "token": token,
            "title": importer.title if importer else job.kind,
            "summary": services.summary_of(job),
            "can_confirm": job.status == ImportStatus.PREVIEWED
            and job.created_by_id == request.user.pk,
            "back_url": importer.back_url(job.params) if importer else "",
        },
    )


@login_required
@require_GET
def job_status(request: HttpRequest, token: str) -> JsonResponse:
    job = import_job_visible_to(request.user, token)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "running": job.is_running,
            "rows_read": job.rows_read,
            "rows_checked": job.rows_checked,
            "rows_written": job.rows_written,
            "new": job.new_count,
            "changed": job.changed_count,
            "unchanged": job.unchanged_count,
            "refused": job.refused_count,
        }
    )


@login_required
@require_POST
def job_confirm(request: HttpRequest, token: str) -> HttpResponse:
    job = import_job_visible_to(request.user, token)
    if job.created_by_id != request.user.pk:
        raise Http404
    if services.import_job_confirm(job=job, by=request.user):
        messages.info(request, _("已确认，正在写入。"))
    else:
        messages.info(request, _("这次导入已经确认过，不会重复写入。"))
    return redirect("imports:job", token=job_token(job))


@login_required
@require_GET
def job_refused(request: HttpRequest, token: str) -> FileResponse:
    job = import_job_visible_to(request.user, token)
    if not job.refused_file:
        raise Http404
    return FileResponse(
        job.refused_file.open("rb"),
        as_attachment=True,
        filename=_("未通过的行-%(id)s.xlsx") % {"id": job.pk},
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
