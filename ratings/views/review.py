"""The county's review queue, its on-site review form, and send-backs."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import lists
from ratings import rules, selectors, services
from ratings.forms import QueueFilterForm, ReviewForm, SendBackForm, add_service_error
from ratings.models import (
    AssessmentStatus,
    ReviewReopening,
    ReviewStatus,
    Round,
    SelfAssessment,
)
from ratings.permissions import may_extend_review_deadline
from settlements.county import county_settings
from settlements.governance.facts import organisation_facts
from settlements.http import AuthenticatedHttpRequest
from settlements.permissions import sees_all_settlements
from settlements.selectors import township_options, townships_visible_to

from ._common import (
    QUEUE_PAGE_SIZE,
    _assessment_queryset,
    _days,
    _prefetched_assessment,
    _refusal_status,
    _require_county,
    _review_lock_reason,
    _rubric_items,
    attach_fields,
    build_rows,
    score_of,
)

# ------------------------------------------------------------------------------ queue


@login_required
def queue(request: AuthenticatedHttpRequest, pk: int | None = None) -> HttpResponse:
    """The county's review queue for a round: filterable, with self-scores, paginated."""
    if not sees_all_settlements(request.user):
        raise PermissionDenied(_("只有县考评组和管理员可以查看考评队列。"))
    round_ = selectors.current_round() if pk is None else get_object_or_404(Round, pk=pk)
    filters = QueueFilterForm(
        request.GET or None,
        townships=townships_visible_to(request.user),
        options=partial(township_options, request.user),
    )
    if round_ is None:
        return render(
            request, "ratings/queue.html", {"round": None, "filters": filters, "page": None}
        )
    cd = filters.cleaned_data if filters.is_valid() else {}
    qs = selectors.review_queue(
        request.user,
        round=round_,
        township_id=cd["township"].pk if cd.get("township") else None,
        settlement_class=cd.get("klass"),
        status=cd.get("status") or None,
    ).select_related("review__assessor")
    qs = selectors.search_settlement(qs, cd.get("q", ""))
    if cd.get("star") is not None:
        qs = qs.filter(star_applied=cd["star"])
    if cd.get("review") == "todo":
        qs = qs.filter(review__isnull=True)
    elif cd.get("review") in (ReviewStatus.DRAFT, ReviewStatus.FINAL):
        qs = qs.filter(review__status=cd["review"])
    if lists.wants_xlsx(request):
        return lists.xlsx_response(
            filename=_("考评队列"),
            title=str(round_),
            headers=[
                _("代码"),
                _("聚居点"),
                _("乡镇"),
                _("类别"),
                _("自评状态"),
                _("自评得分"),
                _("申报星级"),
                _("县级考评"),
                _("县级得分"),
                _("考评人"),
            ],
            rows=(_queue_row(a) for a in qs[: lists.EXPORT_MAX]),
        )
    page = lists.page_of(request, qs, QUEUE_PAGE_SIZE)
    return render(
        request,
        "ratings/queue.html",
        {
            "round": round_,
            "filters": filters,
            "page": page,
            "query": lists.list_query(request),
            "printing": lists.wants_print(request),
        },
    )


def _queue_row(a: Any) -> list[Any]:
    review = getattr(a, "review", None)  # reverse one-to-one: AttributeError when there is none
    return [
        a.settlement.code,
        a.settlement.name,
        a.settlement.village.township.name,
        a.get_settlement_class_display(),
        a.get_status_display(),
        a.score,
        a.star_applied or None,
        review.get_status_display() if review else _("未考评"),
        review.score if review else None,
        str(review.assessor) if review and review.assessor_id else "",
    ]


# ----------------------------------------------------------------------- county review


@login_required
def review(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    if not sees_all_settlements(request.user):
        # An official of this township may see the settlement but never the county's form;
        # another township's assessment stays a 404.
        get_object_or_404(selectors.self_assessments_visible_to(request.user), pk=pk)
        raise PermissionDenied(_("只有县考评组成员可以进行现场考评。"))
    assessment = _prefetched_assessment(request.user, pk)
    items = _rubric_items(assessment)
    existing = getattr(assessment, "review", None)
    final = bool(existing and existing.status == ReviewStatus.FINAL)
    deadline = _review_deadline(assessment)
    locked = (
        final
        or assessment.status not in services.REVIEWABLE
        or not deadline.is_open(timezone.localdate())
    )
    stored = {row.item_id: row for row in existing.items.all()} if existing else {}
    initial = {
        "version": existing.version if existing else 0,
        "visit_date": existing.visit_date if existing else timezone.localdate(),
        "team_members": existing.team_members if existing else "",
        "notes": existing.notes if existing else "",
        "total_gap_reason": existing.total_gap_reason if existing else "",
    }
    status = 200
    if request.method == "POST":
        _require_county(request.user)
        form = ReviewForm(
            request.POST, request.FILES, items=items, stored=stored, locked=locked, initial=initial
        )
        if locked:
            form.add_error(None, _review_lock_reason(assessment, final, deadline))
        if form.is_valid():
            finalise = request.POST.get("action") == "finalise"
            cd = form.cleaned_data
            try:
                _saved, rating = services.review_record(
                    assessment=assessment,
                    by=request.user,
                    items=form.items_payload(),
                    visit_date=cd["visit_date"],
                    team_members=cd["team_members"],
                    notes=cd["notes"],
                    total_gap_reason=cd["total_gap_reason"],
                    expected_version=cd["version"],
                    uploads=form.uploads(),
                    finalise=finalise,
                )
            except services.WorkflowError as exc:
                add_service_error(form, exc, field_for_key=form.field_for_service_key())
            else:
                if rating is not None:
                    messages.success(
                        request,
                        _("已定分：%(score)s 分，进入公示，%(until)s。")
                        % {"score": rating.score, "until": services.notice_until_text(rating)},
                    )
                    return redirect("ratings:rating", pk=rating.pk)
                messages.success(request, _("考评记录已保存。"))
                return redirect("ratings:review", pk=assessment.pk)
        status = _refusal_status(form)
        assessment = _prefetched_assessment(request.user, pk)
        deadline = _review_deadline(assessment)
    else:
        form = ReviewForm(items=items, stored=stored, locked=locked, initial=initial)

    groups, rows = build_rows(assessment, items, with_county=True)
    attach_fields(
        rows,
        form,
        {"occ": "county_occ_", "note": "county_note_", "gap": "gap_reason_", "photos": "photos_"},
    )
    existing = getattr(assessment, "review", None)
    county_occurrences = {item_id: (row.county_occurrences or 0) for item_id, row in rows.items()}
    preview, preview_veto = score_of(items, county_occurrences, assessment.rubric.bonus_cap)
    rating = (
        selectors.ratings_visible_to(request.user).filter(review=existing).first()
        if existing
        else None
    )
    send_back = None
    if assessment.status == AssessmentStatus.SUBMITTED and not locked:
        send_back = SendBackForm(items=items, initial={"deadline": timezone.localdate() + _days(5)})
    return render(
        request,
        "ratings/review.html",
        {
            "assessment": assessment,
            "settlement": assessment.settlement,
            "review": existing,
            "rating": rating,
            "form": form,
            "groups": groups,
            "locked": locked,
            "lock_reason": _review_lock_reason(assessment, final, deadline) if locked else "",
            "deadline": deadline,
            "may_extend": may_extend_review_deadline(request.user) and not final,
            "send_back": send_back,
            "bonus_cap": assessment.rubric.bonus_cap,
            "self_score": assessment.score,
            "total_gap_limit": county_settings().total_gap_needs_reason,
            "preview": preview,
            "preview_veto": preview_veto,
            "preview_stars": rules.stars_awarded(score=preview, vetoed=preview_veto),
            # The organisation gaps beside the 组织建设 items, so the assessor scores with them in view.
            "organisation_facts": organisation_facts(assessment.settlement),
        },
        status=status,
    )


def _review_deadline(assessment: SelfAssessment) -> services.ReviewDeadline:
    """The review's deadline, its reopenings read with who made them (one query)."""
    prefetch_related_objects(
        [assessment],
        Prefetch("review_reopenings", queryset=ReviewReopening.objects.select_related("by")),
    )
    return services.review_deadline_of(assessment)


@login_required
@require_POST
def send_back(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assessment = get_object_or_404(_assessment_queryset(request.user), pk=pk)
    _require_county(request.user)
    items = _rubric_items(assessment)
    form = SendBackForm(request.POST, items=items)
    if form.is_valid():
        try:
            services.self_assessment_send_back(
                assessment=assessment,
                by=request.user,
                item_ids=form.item_ids(),
                reason=form.cleaned_data["reason"],
                deadline=form.cleaned_data["deadline"],
            )
        except services.WorkflowError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("已退回 %(n)d 个条目，乡镇可在新的截止日期前修改。")
                % {"n": len(form.item_ids())},
            )
            return redirect("ratings:review", pk=assessment.pk)
    for error in form.errors.values():
        for message in error:
            messages.error(request, str(message))
    return redirect("ratings:review", pk=assessment.pk)
