"""今日考评: the county's on-site review on a phone, offline first.

The page is an app shell the service worker keeps; the data comes as JSON and lives in
the phone's IndexedDB (static/js/field.js). Uploads come back to two JSON endpoints,
each carrying an id the phone made, so a retry stores nothing twice. Finalising stays
on the online review page.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ratings import selectors, services
from ratings.models import Evidence, Review, ReviewStatus, RubricItem, SelfAssessment
from settlements.http import AuthenticatedHttpRequest
from settlements.permissions import is_official
from settlements.roles import sees_all_settlements

from ._common import (
    _assessment_queryset,
    _review_lock_reason,
    _rubric_items,
    review_deadline_passed,
)

Draft = TypeVar("Draft", Review, SelfAssessment)


def _error(code: str, message: str, status: int, **extra: Any) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, **extra}, status=status)


def _county_only(request: HttpRequest) -> JsonResponse | None:
    if not services.is_county(request.user):
        return _error("not_county", _("只有县考评组成员可以使用今日考评。"), 403)
    return None


def _review_state(review: Review | None) -> dict[str, Any] | None:
    if review is None:
        return None
    return {
        "version": review.version,
        "status": review.status,
        "visit_date": review.visit_date.isoformat() if review.visit_date else "",
        "team_members": review.team_members,
        "notes": review.notes,
        "total_gap_reason": review.total_gap_reason,
        "assessor": str(review.assessor),
        "updated_at": review.updated_at.isoformat(),
        "items": {
            str(row.item_id): {"occ": row.occurrences, "note": row.note, "gap": row.gap_reason}
            for row in review.items.all()
        },
    }


def _evidence_json(ev: Evidence) -> dict[str, Any]:
    return {
        "id": ev.pk,
        "url": ev.get_absolute_url(),
        "name": ev.original_name,
        "image": ev.is_image,
        "flags": ev.flag_labels,
    }


def settlement_json(assessment: SelfAssessment) -> dict[str, str]:
    settlement = assessment.settlement
    return {
        "name": settlement.name,
        "code": settlement.code,
        "township": settlement.village.township.name,
        "village": settlement.village.name,
    }


def candidate_rows(assessments: Iterable[SelfAssessment]) -> list[dict[str, Any]]:
    """What the picker lists for each self-assessment a phone may take offline."""
    return [
        {"assessment": sa.pk, **settlement_json(sa), "status": sa.get_status_display()}
        for sa in assessments
    ]


# ------------------------------------------------------------------------------ pages


@login_required
@require_GET
def field_home(request: HttpRequest) -> HttpResponse:
    """The shell: the same HTML for every assessor and every visit, so the phone can keep it."""
    if is_official(request.user):  # the home-screen icon opens here: an official's is 离线自评
        return redirect("ratings:field_self")
    if not sees_all_settlements(request.user):
        raise PermissionDenied(_("只有县考评组成员可以使用今日考评。"))
    return render(request, "ratings/field.html")


@never_cache
@login_required
@require_GET
def field_session(request: HttpRequest) -> JsonResponse:
    """Fresh CSRF token before an upload (the shell the phone kept may be days old)."""
    if not (services.is_county(request.user) or is_official(request.user)):
        return _error("not_field_user", _("只有县考评组成员和乡镇干部可以离线填报。"), 403)
    return JsonResponse({"csrf": get_token(request), "user": str(request.user)})


@never_cache
@login_required
@require_GET
def field_candidates(request: HttpRequest) -> JsonResponse:
    """The current round's settlements the county may review now, to pick a day's visits from."""
    denied = _county_only(request)
    if denied:
        return denied
    round_ = selectors.current_round()
    if round_ is None:
        return JsonResponse({"round": None, "settlements": []})
    qs = (
        selectors.review_queue(request.user, round=round_)
        .filter(status__in=services.REVIEWABLE)
        .exclude(review__status=ReviewStatus.FINAL)
    )
    return JsonResponse({"round": str(round_), "settlements": candidate_rows(qs)})


@never_cache
@login_required
@require_GET
def field_pack(request: HttpRequest, pk: int) -> JsonResponse:
    """Everything one visit needs offline: rubric, the township's entries and photos, the draft."""
    denied = _county_only(request)
    if denied:
        return denied
    assessment = get_object_or_404(
        _assessment_queryset(request.user)
        .select_related("review__assessor")
        .prefetch_related("items", "evidence__item", "review__items", "review_reopenings"),
        pk=pk,
    )
    items = _rubric_items(assessment)
    review = getattr(assessment, "review", None)
    final = bool(review and review.status == ReviewStatus.FINAL)
    deadline = services.review_deadline_of(assessment)
    reviewable = (
        assessment.status in services.REVIEWABLE
        and not final
        and deadline.is_open(timezone.localdate())
    )
    self_rows = {row.item_id: row for row in assessment.items.all()}
    evidence: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for ev in assessment.evidence.all():
        per_item = evidence.setdefault(str(ev.item_id or ""), {"self": [], "county": []})
        per_item["county" if ev.side == Evidence.SIDE_COUNTY else "self"].append(_evidence_json(ev))
    return JsonResponse(
        {
            "assessment": assessment.pk,
            "settlement": settlement_json(assessment),
            "round": str(assessment.round),
            "self_status": assessment.get_status_display(),
            "self_score": str(assessment.score) if assessment.score is not None else "",
            "reviewable": reviewable,
            "lock_reason": "" if reviewable else _review_lock_reason(assessment, final, deadline),
            # The last day it may be saved, and why not after: the phone locks the form
            # itself when its date passes offline (static/js/field_core.js).
            "closes": deadline.date.isoformat(),
            "closed_reason": review_deadline_passed(deadline.date),
            "review_url": reverse("ratings:review", args=[assessment.pk]),
            "rubric": [_item_json(item) for item in items],
            "self_items": {
                str(item_id): {"occ": row.occurrences, "points": str(row.points), "note": row.note}
                for item_id, row in self_rows.items()
            },
            "evidence": evidence,
            "review": _review_state(review),
        }
    )


def _item_json(item: RubricItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "code": item.code,
        "text": item.text,
        "kind": item.kind,
        "kind_label": item.get_kind_display(),
        "area": item.get_area_display(),
        "points": str(item.points),
        "cap": str(item.cap),
    }


# ----------------------------------------------------------------------------- uploads
# Shared by both kinds of field draft (this module's county review, field_self's
# self-assessment): the JSON body, the phone's id, the scoped assessment, the answers.


def _client_id(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _pk(value: Any) -> int:
    """An id from a phone's upload; 0 (found nowhere, so a 404) when it is not one."""
    text = str(value or "")
    return int(text) if text.isdigit() else 0


def read_draft_upload(
    request: AuthenticatedHttpRequest,
) -> tuple[dict[str, Any], uuid.UUID, SelfAssessment] | JsonResponse:
    """(body, client id, the user's own assessment) of a draft upload, or the refusal to send.

    The assessment comes through the user's scope: another township's is a 404.
    """
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return _error("bad_json", _("上传内容无法读取。"), 400)
    if not isinstance(body, dict):
        return _error("bad_json", _("上传内容无法读取。"), 400)
    client_id = _client_id(body.get("client_id"))
    if client_id is None:
        return _error("bad_client_id", _("缺少上传标识。"), 400)
    assessment = get_object_or_404(
        _assessment_queryset(request.user), pk=_pk(body.get("assessment"))
    )
    return body, client_id, assessment


def draft_answer(
    request: AuthenticatedHttpRequest,
    *,
    model: type[Draft],
    client_id: uuid.UUID,
    assessment: SelfAssessment,
    key: str,
    state: Callable[[int], dict[str, Any] | None],
    run: Callable[[], services.SyncResult[Draft]],
) -> JsonResponse:
    """Run a draft's sync and answer: 200 saved (or already saved), 409 with the server's
    version (``state`` of the assessment) when it moved on, 400 with the refusal's code."""
    try:
        result = run()
    except services.StaleVersion as exc:
        repeated = services.draft_sync_repeated(client_id=client_id, by=request.user, model=model)
        if repeated is None:
            return _error(str(exc.code), exc.messages[0], 409, server=state(assessment.pk))
        result = repeated  # the same upload raced itself and the other one won
    except services.WorkflowError as exc:
        return _error(str(exc.code or "refused"), "；".join(exc.messages), 400)
    return JsonResponse(
        {
            "status": "repeated" if result.repeated else "saved",
            "version": result.version,
            key: state(assessment.pk),
        }
    )


def _server_review(assessment_pk: int) -> dict[str, Any] | None:
    return _review_state(
        Review.objects.filter(self_assessment_id=assessment_pk)
        .select_related("assessor")
        .prefetch_related("items")
        .first()
    )


@login_required
@require_POST
def field_sync_review(request: AuthenticatedHttpRequest) -> JsonResponse:
    """A review draft typed offline. 200 saved (or already saved), 409 the server's version differs."""
    denied = _county_only(request)
    if denied:
        return denied
    upload = read_draft_upload(request)
    if isinstance(upload, JsonResponse):
        return upload
    body, client_id, assessment = upload
    raw = body.get("items")
    raw_items: dict[Any, Any] = raw if isinstance(raw, dict) else {}
    items: dict[int, tuple[Any, str, str]] = {}
    for key, entry in raw_items.items():
        if not str(key).isdigit() or not isinstance(entry, dict):
            return _error("bad_item_entry", _("条目的填报格式无效。"), 400)
        items[int(key)] = (entry.get("occ"), _text(entry.get("note")), _text(entry.get("gap")))
    visit_date = None
    if body.get("visit_date"):
        try:
            visit_date = dt.date.fromisoformat(str(body["visit_date"]))
        except ValueError:
            return _error("bad_visit_date", _("考评日期无效。"), 400)
    return draft_answer(
        request,
        model=Review,
        client_id=client_id,
        assessment=assessment,
        key="review",
        state=_server_review,
        run=lambda: services.review_draft_sync(
            client_id=client_id,
            assessment=assessment,
            by=request.user,
            base_version=int(body.get("base_version") or 0),
            items=items,
            visit_date=visit_date,
            team_members=_text(body.get("team_members")),
            notes=_text(body.get("notes")),
            total_gap_reason=_text(body.get("total_gap_reason")),
        ),
    )


def photo_upload(request: AuthenticatedHttpRequest, *, side: str) -> JsonResponse:
    """A photo taken offline, for ``side``. 201 stored, 200 already stored under this client id."""
    client_id = _client_id(request.POST.get("client_id"))
    if client_id is None:
        return _error("bad_client_id", _("缺少上传标识。"), 400)
    assessment = get_object_or_404(
        _assessment_queryset(request.user), pk=_pk(request.POST.get("assessment"))
    )
    item = None
    if request.POST.get("item"):
        item = RubricItem.objects.filter(
            pk=_pk(request.POST["item"]), rubric_id=assessment.rubric_id
        ).first()
        if item is None:
            raise Http404
    upload = request.FILES.get("file")
    if upload is None:
        return _error("file_missing", _("没有收到照片。"), 400)
    try:
        evidence, created = services.evidence_add_once(
            client_id=client_id,
            by=request.user,
            file=upload,
            side=side,
            assessment=assessment,
            item=item,
        )
    except services.WorkflowError as exc:
        return _error(str(exc.code or "refused"), "；".join(exc.messages), 400)
    return JsonResponse(
        {"status": "saved" if created else "repeated", "evidence": _evidence_json(evidence)},
        status=201 if created else 200,
    )


@login_required
@require_POST
def field_sync_photo(request: AuthenticatedHttpRequest) -> JsonResponse:
    """A county photo taken offline (现场照片)."""
    return _county_only(request) or photo_upload(request, side=Evidence.SIDE_COUNTY)


# ------------------------------------------------------------------- installable site


# What the phone keeps for offline use; the cache is renewed when any of them changes.
SHELL_STATIC = (
    "css/app.css",
    "js/field_core.js",
    "js/field.js",
    "js/field_self.js",
    "js/pwa.js",
    "icons/icon-192.png",
    "icons/icon-512.png",
)


@functools.cache
def shell_version() -> str:
    digest = hashlib.sha256()
    for name in SHELL_STATIC:
        path = finders.find(name)
        if path:
            with open(path, "rb") as fh:
                digest.update(fh.read())
    return digest.hexdigest()[:12]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """From the site root so it may control every page; never cached, so updates reach phones."""
    response = HttpResponse(
        render_to_string("pwa/sw.js", {"version": shell_version()}),
        content_type="application/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        render_to_string("pwa/manifest.webmanifest"),
        content_type="application/manifest+json; charset=utf-8",
    )
