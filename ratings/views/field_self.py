"""离线自评: a township official's self-assessments of the open round, offline first.

The same machinery as the county's 今日考评 (ratings.views.field, static/js/field_core.js):
an app shell the service worker keeps, packs of JSON kept in the phone's IndexedDB, and
uploads under ids made on the phone. Here the pack is one of the official's own
township's self-assessments that may still be changed (a draft, or sent back), the
draft is saved by ``services.self_assessment_draft_sync`` with the online form's checks,
and submitting stays on the online self-assessment page.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ratings import selectors, services
from ratings.models import AssessmentStatus, Evidence, SelfAssessment
from settlements.http import AuthenticatedHttpRequest
from settlements.permissions import is_official

from ._common import (
    _assessment_queryset,
    _lock_reason,
    _rubric_items,
    self_deadline_passed,
    self_editable_ids,
)
from .field import (
    _error,
    _evidence_json,
    _item_json,
    _text,
    candidate_rows,
    draft_answer,
    photo_upload,
    read_draft_upload,
    settlement_json,
)


def _official_only(request: HttpRequest) -> JsonResponse | None:
    if not is_official(request.user):
        return _error("not_official", _("只有乡镇干部可以使用离线自评。"), 403)
    return None


def _self_state(assessment: SelfAssessment) -> dict[str, Any]:
    """What the server holds now; reads ``assessment.items`` (prefetch it)."""
    return {
        "version": assessment.version,
        "status": assessment.status,
        "status_label": assessment.get_status_display(),
        "star_applied": assessment.star_applied,
        "score": str(assessment.score) if assessment.score is not None else "",
        "vetoed": assessment.vetoed,
        "updated_at": assessment.updated_at.isoformat(),
        "items": {
            str(row.item_id): {"occ": row.occurrences, "note": row.note}
            for row in assessment.items.all()
        },
    }


def _server_self(assessment_pk: int) -> dict[str, Any]:
    return _self_state(SelfAssessment.objects.prefetch_related("items").get(pk=assessment_pk))


# ------------------------------------------------------------------------------ pages


@login_required
@require_GET
def field_self_home(request: HttpRequest) -> HttpResponse:
    """The shell, the same for every official of every township, so the phone can keep it."""
    if not is_official(request.user):
        raise PermissionDenied(_("只有乡镇干部可以使用离线自评。"))
    return render(request, "ratings/field_self.html")


@never_cache
@login_required
@require_GET
def field_self_candidates(request: HttpRequest) -> JsonResponse:
    """The open round's self-assessments of the official's township that may still be filled in."""
    denied = _official_only(request)
    if denied:
        return denied
    round_ = selectors.current_round()
    if round_ is None:
        return JsonResponse({"round": None, "settlements": []})
    qs = (
        selectors.self_assessments_visible_to(request.user)
        .filter(round=round_, status__in=services.SELF_EDITABLE)
        .filter(deadline__gte=timezone.localdate())
        .order_by("settlement__code")
    )
    return JsonResponse({"round": str(round_), "settlements": candidate_rows(qs)})


@never_cache
@login_required
@require_GET
def field_self_pack(request: HttpRequest, pk: int) -> JsonResponse:
    """Everything filling one self-assessment needs offline: rubric, entries, evidence thumbnails."""
    denied = _official_only(request)
    if denied:
        return denied
    assessment = get_object_or_404(
        _assessment_queryset(request.user).prefetch_related("items", "evidence"), pk=pk
    )
    items = _rubric_items(assessment)
    editable = self_editable_ids(assessment, items, request.user)
    evidence: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for ev in assessment.evidence.all():
        if ev.side == Evidence.SIDE_SELF:
            evidence.setdefault(str(ev.item_id or ""), {"self": []})["self"].append(
                _evidence_json(ev)
            )
    return JsonResponse(
        {
            "assessment": assessment.pk,
            "settlement": settlement_json(assessment),
            "round": str(assessment.round),
            "deadline": assessment.deadline.isoformat(),
            # The last day it may be edited, and why not after: the phone locks the form
            # itself when its date passes offline (static/js/field_core.js).
            "closes": assessment.deadline.isoformat(),
            "closed_reason": self_deadline_passed(assessment.deadline),
            "editable": bool(editable),
            "editable_items": sorted(editable),
            "returned": assessment.status == AssessmentStatus.RETURNED,
            "return_reason": assessment.return_reason,
            "lock_reason": _lock_reason(assessment, editable),
            "form_url": reverse("ratings:self_assessment", args=[assessment.pk]),
            "rubric": [_item_json(item) for item in items],
            "evidence": evidence,
            "self": _self_state(assessment),
        }
    )


# ----------------------------------------------------------------------------- uploads


@login_required
@require_POST
def field_self_sync_draft(request: AuthenticatedHttpRequest) -> JsonResponse:
    """A self-assessment draft filled offline. 200 saved (or already saved), 409 the server's
    version differs, 404 another township's, 400 refused (submitted, past its deadline…)."""
    denied = _official_only(request)
    if denied:
        return denied
    upload = read_draft_upload(request)
    if isinstance(upload, JsonResponse):
        return upload
    body, client_id, assessment = upload
    raw = body.get("items")
    raw_items: dict[Any, Any] = raw if isinstance(raw, dict) else {}
    items: dict[int, tuple[Any, str]] = {}
    for key, entry in raw_items.items():
        if not str(key).isdigit() or not isinstance(entry, dict):
            return _error("bad_item_entry", _("条目的填报格式无效。"), 400)
        items[int(key)] = (entry.get("occ"), _text(entry.get("note")))
    try:
        star_applied = int(body.get("star_applied") or 0)
        base_version = int(body.get("base_version") or 0)
    except (TypeError, ValueError):
        return _error("bad_json", _("上传内容无法读取。"), 400)
    return draft_answer(
        request,
        model=SelfAssessment,
        client_id=client_id,
        assessment=assessment,
        key="self",
        state=_server_self,
        run=lambda: services.self_assessment_draft_sync(
            client_id=client_id,
            assessment=assessment,
            by=request.user,
            base_version=base_version,
            items=items,
            star_applied=star_applied,
        ),
    )


@login_required
@require_POST
def field_self_sync_photo(request: AuthenticatedHttpRequest) -> JsonResponse:
    """An evidence photo taken offline for the township's own self-assessment (自评佐证)."""
    return _official_only(request) or photo_upload(request, side=Evidence.SIDE_SELF)
