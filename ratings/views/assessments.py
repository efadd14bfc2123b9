"""The round page, the township's self-assessment form, and the result page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from core import lists
from ratings import rules, selectors, services
from ratings.forms import STAR_CHOICES, RoundListForm, SelfAssessmentForm, add_service_error
from ratings.models import AssessmentStatus, ReviewStatus, Round
from settlements.governance.facts import organisation_facts
from settlements.http import AuthenticatedHttpRequest
from settlements.permissions import is_official

from ._common import (
    ROUND_PAGE_SIZE,
    _has_final_review,
    _lock_reason,
    _prefetched_assessment,
    _refusal_status,
    _rubric_items,
    _selected_star,
    attach_fields,
    build_rows,
    score_of,
    self_editable_ids,
)

# --------------------------------------------------------------------------- round page


@login_required
def round_page(request: AuthenticatedHttpRequest, pk: int | None = None) -> HttpResponse:
    """The township's settlements in a round, with status and days left."""
    # Rounds are county-wide facts, not scoped; what is inside them is.
    round_ = selectors.current_round() if pk is None else get_object_or_404(Round, pk=pk)
    if round_ is None:
        return render(request, "ratings/round.html", {"round": None, "page": None})
    filters = RoundListForm(request.GET or None)
    cd = filters.cleaned_data if filters.is_valid() else {}
    qs = (
        selectors.self_assessments_visible_to(request.user)
        .filter(round=round_)
        .select_related("settlement__village__township", "review")
        .order_by(*ROUND_ORDER[cd.get("sort") or "code"])
    )
    qs = selectors.search_settlement(qs, cd.get("q", ""))
    if cd.get("status"):
        qs = qs.filter(status=cd["status"])
    if lists.wants_xlsx(request):
        return lists.xlsx_response(
            filename=_("本轮自评"),
            title=str(round_),
            headers=[
                _("代码"),
                _("聚居点"),
                _("乡镇"),
                _("类别"),
                _("状态"),
                _("截止日期"),
                _("自评得分"),
                _("申报星级"),
                _("县级得分"),
            ],
            rows=(_round_row(a) for a in qs[: lists.EXPORT_MAX]),
        )
    page = lists.page_of(request, qs, ROUND_PAGE_SIZE)
    return render(
        request,
        "ratings/round.html",
        {
            "round": round_,
            "page": page,
            "today": timezone.localdate(),
            "is_official": is_official(request.user),
            "filters": filters,
            "query": lists.list_query(request),
            "printing": lists.wants_print(request),
            "sort": cd.get("sort") or "code",
        },
    )


# The official's round list, sortable; settlement code breaks ties so pages are stable.
ROUND_ORDER = {
    "code": ("settlement__code",),
    "name": ("settlement__name", "settlement__code"),
    "status": ("status", "settlement__code"),
    "deadline": ("deadline", "settlement__code"),
    "-score": (F("score").desc(nulls_last=True), "settlement__code"),
}


def _round_row(a: Any) -> list[Any]:
    review = getattr(a, "review", None)
    final_score = (
        review.score if review is not None and review.status == ReviewStatus.FINAL else None
    )
    return [
        a.settlement.code,
        a.settlement.name,
        a.settlement.village.township.name,
        a.get_settlement_class_display(),
        a.get_status_display(),
        a.deadline,
        a.score,
        a.star_applied or None,
        final_score,
    ]


# --------------------------------------------------------------------- self-assessment


@login_required
def self_assessment(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assessment = _prefetched_assessment(request.user, pk, with_review=False)
    items = _rubric_items(assessment)
    editable = self_editable_ids(assessment, items, request.user)
    stored = {row.item_id: row for row in assessment.items.all()}
    status = 200

    if request.method == "POST":
        form = SelfAssessmentForm(
            request.POST,
            request.FILES,
            items=items,
            stored=stored,
            editable_ids=editable,
            initial={"version": assessment.version, "star_applied": assessment.star_applied},
        )
        if not editable:
            form.add_error(None, _lock_reason(assessment, editable))
        if form.is_valid():
            submit = request.POST.get("action") == "submit"
            try:
                services.self_assessment_update(
                    assessment=assessment,
                    by=request.user,
                    items=form.items_payload(),
                    star_applied=form.cleaned_data["star_applied"] or 0,
                    expected_version=form.cleaned_data["version"],
                    uploads=form.uploads(),
                    submit=submit,
                )
            except services.WorkflowError as exc:
                add_service_error(
                    form, exc, field_for_key={str(i.pk): f"occ_{i.pk}" for i in items}
                )
            else:
                messages.success(
                    request,
                    _("自评已提交，等待县考评组现场考评。") if submit else _("草稿已保存。"),
                )
                return redirect(assessment.get_absolute_url())
        status = _refusal_status(form)
        # Show what is stored now next to what the user typed.
        assessment = _prefetched_assessment(request.user, pk, with_review=False)
    else:
        form = SelfAssessmentForm(
            items=items,
            stored=stored,
            editable_ids=editable,
            initial={"version": assessment.version, "star_applied": assessment.star_applied},
        )

    groups, rows = build_rows(assessment, items, with_county=False, editable_ids=editable)
    attach_fields(rows, form, {"occ": "occ_", "note": "note_", "evidence": "evidence_"})
    occurrences = {row.item_id: row.occurrences for row in assessment.items.all()}
    preview, preview_veto = score_of(items, occurrences, assessment.rubric.bonus_cap)
    max_star = rules.max_star_applicable(preview, vetoed=preview_veto)
    context = {
        "assessment": assessment,
        "settlement": assessment.settlement,
        "form": form,
        "groups": groups,
        "editable": bool(editable),
        "returned_only": assessment.status == AssessmentStatus.RETURNED,
        "lock_reason": _lock_reason(assessment, editable),
        "preview": preview,
        "preview_veto": preview_veto,
        "preview_stars": rules.stars_awarded(score=preview, vetoed=preview_veto),
        "star_options": [(value, label, value > max_star) for value, label in STAR_CHOICES],
        "selected_star": _selected_star(form),
        "bonus_cap": assessment.rubric.bonus_cap,
        "has_result": _has_final_review(assessment),
        # The organisation gaps beside the 组织建设 items, so the official scores with them in view.
        "organisation_facts": organisation_facts(assessment.settlement),
    }
    return render(request, "ratings/self_assessment.html", context, status=status)


# -------------------------------------------------------------------------- result page


@login_required
def result(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The county's result item by item beside the township's own, with what it means."""
    assessment = _prefetched_assessment(request.user, pk)
    items = _rubric_items(assessment)
    review = getattr(assessment, "review", None)
    final = bool(review and review.status == ReviewStatus.FINAL)
    groups, rows = build_rows(assessment, items, with_county=final)
    rating = None
    next_star = None
    if final and review is not None:
        rating = (
            selectors.ratings_visible_to(request.user)
            .filter(review=review)
            .select_related("round")
            .prefetch_related("objections")
            .first()
        )
        next_star = rules.points_to_next_star(review.score) if review.score is not None else None
    return render(
        request,
        "ratings/result.html",
        {
            "assessment": assessment,
            "settlement": assessment.settlement,
            "review": review if final else None,
            "rating": rating,
            "groups": groups,
            "next_star": next_star,
            "total_gap": (
                review.score - assessment.score
                if final and review is not None and assessment.score is not None
                else None
            ),
        },
    )
