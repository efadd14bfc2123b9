"""A rating in public notice: objections filed and heard, stars lowered or revoked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ratings import rules, selectors, services
from ratings.forms import (
    ObjectionDecideForm,
    ObjectionFileForm,
    RatingChangeForm,
    add_service_error,
)
from ratings.models import ObjectionOutcome, RatingStatus
from ratings.permissions import may_file_objection, may_hear_objection, may_review
from ratings.states import rating_open_for_objection
from settlements.http import AuthenticatedHttpRequest

from ._common import _refusal_status, _require_county

# ----------------------------------------------------------- rating, notice, objections


def _rating_queryset(user: Any):
    return selectors.ratings_visible_to(user).select_related(
        "round", "settlement__village__township", "review__self_assessment", "decided_by"
    )


@login_required
def rating_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    rating = get_object_or_404(_rating_queryset(request.user), pk=pk)
    return _render_rating(request, rating)


def _render_rating(
    request: AuthenticatedHttpRequest,
    rating: Any,
    *,
    forms_: Mapping[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    forms_ = dict(forms_ or {})
    user = request.user
    objections = list(
        rating.objections.select_related("heard_by", "recorded_by").order_by("filed_at")
    )
    county = may_review(user)
    pending = [o for o in objections if o.outcome == ObjectionOutcome.PENDING]
    # Whoever took part in the review never hears an objection to it: the service's predicate
    # (the objections share this rating object, which keeps the hearers read once).
    may_hear = {o.pk: may_hear_objection(user, o) for o in pending}
    if may_file_objection(user, rating) and rating.status == RatingStatus.NOTICE:
        forms_.setdefault("file", ObjectionFileForm())
    decide_forms = {}
    for objection in objections:
        if may_hear.get(objection.pk):
            decide_forms[objection.pk] = forms_.get(
                f"decide_{objection.pk}"
            ) or ObjectionDecideForm(prefix=f"o{objection.pk}")
    if county and rating.status == RatingStatus.EFFECTIVE and rating.stars > 0:
        forms_.setdefault("change", RatingChangeForm(initial={"expected_stars": rating.stars}))
    reopened = (
        _reopened_review(rating, objections) if rating.status == RatingStatus.OVERTURNED else None
    )
    changes = list(rating.changes.select_related("by", "rating__round").order_by("-at", "-pk"))
    rectifications = list(rating.rectifications.order_by("-created_at"))
    # The rating's current certificate (a reissue after a downgrade), else its latest voided one.
    certificate = (
        selectors.certificates_visible_to(user)
        .filter(rating=rating)
        .order_by(F("revoked_at").desc(nulls_first=True), "-pk")
        .first()
    )
    return render(
        request,
        "ratings/rating.html",
        {
            "rating": rating,
            "settlement": rating.settlement,
            "objections": [(o, decide_forms.get(o.pk)) for o in objections],
            "pending_for_reviewer": county and not all(may_hear.values()),
            "file_form": forms_.get("file"),
            "change_form": forms_.get("change"),
            "changes": changes,
            "rectifications": rectifications,
            "certificate": certificate,
            "next_star": rules.points_to_next_star(rating.score),
            # "No objection received" only once nobody can file one any more.
            "objection_window_open": rating_open_for_objection(
                rating.status, rating.notice_ends_on, timezone.localdate()
            ),
            "reopened": reopened,
            # The review page is the county's; others read what happens without the link.
            "review_link": county,
        },
        status=status,
    )


def _reopened_review(rating: Any, objections: list[Any]) -> dict[str, Any] | None:
    """What happens after an upheld objection: the review reopened, and until when."""
    if not any(o.outcome == ObjectionOutcome.UPHELD for o in objections):
        return None
    assessment = rating.review.self_assessment
    return {"deadline": services.review_deadline_of(assessment), "assessment_id": assessment.pk}


@login_required
@require_POST
def objection_file(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    # The county and the settlement's own township may record one (the service checks which).
    rating = get_object_or_404(_rating_queryset(request.user), pk=pk)
    form = ObjectionFileForm(request.POST)
    if form.is_valid():
        try:
            services.objection_file(
                rating=rating,
                by=request.user,
                filed_by_name=form.cleaned_data["filed_by_name"],
                text=form.cleaned_data["text"],
            )
        except services.WorkflowError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("异议已登记，将由未参与考评的考评组成员处理。"))
            return redirect("ratings:rating", pk=rating.pk)
    return _render_rating(request, rating, forms_={"file": form}, status=_refusal_status(form))


@login_required
@require_POST
def objection_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    objection = get_object_or_404(selectors.objections_visible_to(request.user), pk=pk)
    _require_county(request.user)
    form = ObjectionDecideForm(request.POST, prefix=f"o{objection.pk}")
    if form.is_valid():
        try:
            services.objection_decide(
                objection=objection,
                by=request.user,
                outcome=form.cleaned_data["outcome"],
                reasons=form.cleaned_data["reasons"],
            )
        except services.WorkflowError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("异议处理结果已记录。"))
            return redirect("ratings:rating", pk=objection.rating_id)
    rating = get_object_or_404(_rating_queryset(request.user), pk=objection.rating_id)
    return _render_rating(
        request, rating, forms_={f"decide_{objection.pk}": form}, status=_refusal_status(form)
    )


@login_required
@require_POST
def rating_change(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Direct downgrade or revocation (a major problem allows it at once)."""
    rating = get_object_or_404(_rating_queryset(request.user), pk=pk)
    _require_county(request.user)
    form = RatingChangeForm(request.POST)
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        try:
            if form.cleaned_data["action"] == "downgrade":
                services.rating_downgrade(
                    rating=rating,
                    by=request.user,
                    reason=reason,
                    expected_stars=form.cleaned_data["expected_stars"],
                )
            else:
                # Revoking twice ends in the same place (no star): nothing to guard.
                services.rating_revoke(rating=rating, by=request.user, reason=reason)
        except services.WorkflowError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("星级已调整，变动已记入评定历史。"))
            return redirect("ratings:rating", pk=rating.pk)
    return _render_rating(request, rating, forms_={"change": form}, status=_refusal_status(form))
