"""Files behind a login: evidence and certificates (page and PDF)."""

from __future__ import annotations

import mimetypes
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ratings import selectors, services
from settlements.county import county_settings
from settlements.http import AuthenticatedHttpRequest

# ---------------------------------------------------------------------------- evidence


@login_required
def evidence_file(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """Media is never served directly: only a user who may see the settlement gets the file."""
    evidence = get_object_or_404(selectors.evidence_visible_to(request.user), pk=pk)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("文件不存在。")) from exc
    content_type = (
        evidence.content_type
        or mimetypes.guess_type(evidence.original_name)[0]
        or "application/octet-stream"
    )
    inline = content_type in ("image/jpeg", "image/png", "application/pdf")
    response = FileResponse(
        handle, content_type=content_type, as_attachment=not inline, filename=evidence.original_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=0"
    return response


@login_required
@require_POST
def evidence_remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Take back a wrongly uploaded file; the service says whether it is still allowed."""
    evidence = get_object_or_404(selectors.evidence_visible_to(request.user), pk=pk)
    if evidence.rectification_id is not None:
        back = reverse("ratings:rectification", args=[evidence.rectification_id])
    else:
        back = reverse("ratings:self_assessment", args=[evidence.assessment_id])
        if evidence.item_id is not None:
            back += f"#item-{evidence.item_id}"
    try:
        services.evidence_remove(evidence=evidence, by=request.user)
    except services.WorkflowError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("已删除文件 %(name)s。") % {"name": evidence.original_name})
    return redirect(back)


# -------------------------------------------------------------------------- certificates


def _certificate_queryset(user: Any):
    return selectors.certificates_visible_to(user).select_related(
        "settlement__village__township", "rating__round"
    )


def _certificate_context(cert: Any, user: Any) -> dict[str, Any]:
    # The signature names the county from its settings (全县设置).
    current = None
    if cert.revoked_at is not None:  # voided: point to what stands now, if anything
        current = (
            selectors.certificates_visible_to(user)
            .filter(settlement_id=cert.settlement_id, revoked_at__isnull=True)
            .first()
        )
    return {
        "certificate": cert,
        "settlement": cert.settlement,
        "issuer": county_settings().certificate_issuer,
        "current": current,
    }


@login_required
def certificate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    cert = get_object_or_404(_certificate_queryset(request.user), pk=pk)
    return render(request, "ratings/certificate.html", _certificate_context(cert, request.user))


@login_required
def certificate_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    from ratings.pdf import certificate_pdf_bytes

    cert = get_object_or_404(_certificate_queryset(request.user), pk=pk)
    if cert.revoked_at is not None:
        # A voided plaque is not printed again; the page says why.
        return render(
            request,
            "ratings/certificate.html",
            _certificate_context(cert, request.user),
            status=410,
        )
    response = HttpResponse(
        certificate_pdf_bytes(cert, request=request), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="certificate-{cert.number}.pdf"'
    return response
