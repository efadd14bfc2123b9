"""The public face (no login): the 公示 board, residents' objections, certificate checks;
and the county's queue of residents' objections (login).

Public views never touch the session or the user: their templates extend
``public/_base.html`` (no user menu, no language form) and are rendered without the
request's context processors, so an anonymous visitor gets no session cookie and the
board costs no session or user query. The board's pages are cached (``selectors``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from ratings.states import rating_open_for_objection
from settlements.http import AuthenticatedHttpRequest
from settlements.models import Township
from settlements.permissions import is_county

from . import rules, selectors, services
from .forms import DeclineForm, ObjectionForm, StatusForm
from .models import ResidentObjectionStatus
from .tokens import certificate_id_from_token, certificate_token


def _public_page(
    template: str, context: dict[str, Any], *, status: int = 200, max_age: int = 60
) -> HttpResponse:
    """Rendered without the request: no context processor reads the session or the user."""
    response = HttpResponse(render_to_string(template, context), status=status)
    patch_cache_control(response, public=True, max_age=max_age)
    return response


def _township_filter(request: HttpRequest) -> int | None:
    value = request.GET.get("township", "")
    return int(value) if value.isdigit() else None


def _board_page(request: HttpRequest, *, round_id: int | None) -> HttpResponse:
    today = timezone.localdate()
    township_id = _township_filter(request)
    key = "public:board:{gen}:{lang}:{today}:{round}:{township}".format(
        gen=selectors.board_generation(),
        lang=translation.get_language(),
        today=today.isoformat(),
        round=round_id or "now",
        township=township_id or "all",
    )
    html = cache.get(key)
    if html is None:
        html = _render_board(today=today, round_id=round_id, township_id=township_id)
        if html is None:
            raise Http404
        cache.set(key, html, selectors.BOARD_TTL)
    response = HttpResponse(html)
    patch_cache_control(response, public=True, max_age=60)
    return response


def _render_board(*, today: dt.date, round_id: int | None, township_id: int | None) -> str | None:
    township = (
        Township.objects.filter(pk=township_id).values_list("name", flat=True).first()
        if township_id
        else None
    )
    if township_id and township is None:
        return None
    if round_id is None:
        rnd = None
        groups = selectors.board_now(today=today, township_id=township_id)
    else:
        rnd = selectors.archive_round(round_id=round_id, today=today)
        if rnd is None:
            return None
        groups = selectors.board_round(round_id=round_id, today=today, township_id=township_id)
    return render_to_string(
        "public/board.html",
        {
            "round": rnd,
            "groups": groups,
            "township": township,
            "township_id": township_id,
            "today": today,
            "archive": selectors.archive_rounds(today=today) if township_id is None else [],
            "count": sum(g.count for g in groups),
        },
    )


def board(request: HttpRequest) -> HttpResponse:
    """公示栏: the ratings in notice now, by township and class (?township= for one township's sheet)."""
    return _board_page(request, round_id=None)


def board_round(request: HttpRequest, round_id: int) -> HttpResponse:
    """A past round's notice: every rating it noticed and what became of it."""
    return _board_page(request, round_id=round_id)


# ------------------------------------------------------------------------ objections


def _limited(request: HttpRequest, group: str, rate: str, key: Any = "ip") -> bool:
    return is_ratelimited(request, group=group, key=key, rate=rate, method="POST", increment=True)


def _too_many(request: HttpRequest) -> HttpResponse:
    return _public_page("public/429.html", {}, status=429, max_age=0)


@require_http_methods(["GET", "POST"])
def objection_new(request: HttpRequest, rating_id: int) -> HttpResponse:
    """Anyone files an objection to a rating in notice (rate-limited per IP and per phone)."""
    rating = selectors.rating_in_board(rating_id=rating_id)
    if rating is None:
        raise Http404
    today = timezone.localdate()
    context: dict[str, Any] = {
        "rating": rating,
        "settlement": rating.settlement,
        "today": today,
        "window_open": rating_open_for_objection(rating.status, rating.notice_ends_on, today),
        "max_text": rules.MAX_OBJECTION_TEXT,
    }
    form = ObjectionForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if _limited(request, "public.objection.ip", settings.PUBLIC_OBJECTION_RATE_IP):
            return _too_many(request)
        phone = rules.normalise_phone(request.POST.get("phone", "")) or ""
        if phone and _limited(
            request,
            "public.objection.phone",
            settings.PUBLIC_OBJECTION_RATE_PHONE,
            key=lambda _g, _r: phone,
        ):
            return _too_many(request)
        if form.is_valid():
            try:
                filed = services.resident_objection_file(
                    rating=rating,
                    name=form.cleaned_data["name"],
                    phone=form.cleaned_data["phone"],
                    text=form.cleaned_data["text"],
                    photo=form.cleaned_data.get("photo"),
                    today=today,
                )
            except services.ResidentObjectionRefused as exc:
                form.add_error(exc.field, exc.messages[0])
                context["refusal"] = exc.code
            else:
                return redirect("public:objection_filed", reference=filed.reference)
    context["form"] = form
    status = 400 if request.method == "POST" else 200
    return render(request, "public/objection_new.html", context, status=status)


def objection_filed(request: HttpRequest, reference: str) -> HttpResponse:
    """The reference number to keep; nothing personal (anyone holding the number may see this)."""
    found = selectors.resident_objection_by_reference(reference)
    if found is None:
        raise Http404
    return _public_page(
        "public/objection_filed.html",
        {
            "reference": found.reference,
            "settlement": found.rating.settlement,
            "round": found.rating.round,
        },
        max_age=0,
    )


@require_http_methods(["GET", "POST"])
def objection_status(request: HttpRequest) -> HttpResponse:
    """受理编号 + the phone's last four digits → 受理中 / 不予受理 (reason) / 已处理 (outcome)."""
    form = StatusForm(request.POST or None, initial={"reference": request.GET.get("reference", "")})
    context: dict[str, Any] = {"form": form}
    if request.method == "POST":
        if _limited(request, "public.status.ip", settings.PUBLIC_STATUS_RATE_IP):
            return _too_many(request)
        if form.is_valid():
            reference = rules.normalise_reference(form.cleaned_data["reference"])
            found = selectors.resident_objection_by_reference(reference) if reference else None
            if found is None or not rules.last_four_matches(
                found.phone, form.cleaned_data["last_four"]
            ):
                context["not_found"] = True
            else:
                outcome = found.objection.outcome if found.objection else None
                context.update(
                    found=found,
                    settlement=found.rating.settlement,
                    state=rules.resident_status(status=found.status, objection_outcome=outcome),
                )
    return render(request, "public/objection_status.html", context)


# ------------------------------------------------------------------- certificates


def certificate(request: HttpRequest, token: str) -> HttpResponse:
    """A certificate's live status, for whoever scans its QR code."""
    pk = certificate_id_from_token(token)
    cert = selectors.certificate_for_check(pk=pk) if pk is not None else None
    if cert is None:
        raise Http404
    newer = selectors.newer_certificate(cert)
    # valid, or why it was voided: downgraded (reissued at the new star), revoked, replaced.
    state = "valid" if cert.revoked_at is None else cert.revoked_kind
    return _public_page(
        "public/certificate.html",
        {
            "certificate": cert,
            "settlement": cert.settlement,
            "state": state,
            "rating": cert.rating,
            "newer": newer,
            "newer_token": certificate_token(newer.pk) if newer else "",
        },
    )


# ------------------------------------------------------------------- county queue


def _require_county(request: HttpRequest) -> None:
    if not is_county(request.user):
        raise PermissionDenied


@login_required
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """待受理 residents' objections first, then the latest decided ones (names and phones masked)."""
    _require_county(request)
    visible = selectors.resident_objections_visible_to(request.user)
    pending = list(
        visible.filter(status=ResidentObjectionStatus.PENDING).order_by("filed_at", "pk")
    )
    decided = list(
        visible.exclude(status=ResidentObjectionStatus.PENDING).order_by("-decided_at", "-pk")[:50]
    )
    return render(request, "public/queue.html", {"pending": pending, "decided": decided})


@login_required
@require_http_methods(["GET", "POST"])
def queue_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The objection's own page for the county: the only page with the resident's name and phone."""
    row = get_object_or_404(selectors.resident_objections_visible_to(request.user), pk=pk)
    decline_form = DeclineForm(request.POST if request.POST.get("action") == "decline" else None)
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "accept":
                services.resident_objection_accept(resident_objection=row, by=request.user)
                return redirect("public:queue_detail", pk=row.pk)
            if request.POST.get("action") == "decline" and decline_form.is_valid():
                services.resident_objection_decline(
                    resident_objection=row,
                    by=request.user,
                    reason=decline_form.cleaned_data["reason"],
                )
                return redirect("public:queue_detail", pk=row.pk)
        except services.ResidentObjectionRefused as exc:
            error = exc.messages[0]
        row.refresh_from_db()
    outcome = row.objection.outcome if row.objection else None
    return render(
        request,
        "public/queue_detail.html",
        {
            "row": row,
            "rating": row.rating,
            "settlement": row.rating.settlement,
            "decline_form": decline_form,
            "error": error,
            "state": rules.resident_status(status=row.status, objection_outcome=outcome),
        },
        status=400 if error else 200,
    )


@login_required
def queue_photo(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    row = get_object_or_404(selectors.resident_objections_visible_to(request.user), pk=pk)
    if not row.photo:
        raise Http404
    response = FileResponse(row.photo.open("rb"), content_type=row.photo_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
