"""限期整改 pages: the list, and each party's step on one page."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import lists
from ratings import reasons, selectors, services
from ratings.forms import (
    RectificationAnswerForm,
    RectificationCheckForm,
    RectificationDismissForm,
    RectificationFilterForm,
    RectificationIssueForm,
    add_service_error,
)
from ratings.models import Rectification, RectificationStatus
from ratings.permissions import may_answer_rectification, may_review
from ratings.states import rectification_is_overdue
from settlements.http import AuthenticatedHttpRequest
from settlements.roles import sees_all_settlements
from settlements.selectors import township_options, townships_visible_to

from ._common import QUEUE_PAGE_SIZE, _days, _refusal_status, _require_county

# ----------------------------------------------------------------------- rectifications


def _rectification_queryset(user: Any):
    return selectors.rectifications_visible_to(user).select_related(
        "settlement__village__township", "rating__round"
    )


@login_required
def rectification_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    county = sees_all_settlements(request.user)
    filters = RectificationFilterForm(
        request.GET or None,
        townships=townships_visible_to(request.user) if county else None,
        options=partial(township_options, request.user) if county else None,
    )
    qs = _rectification_queryset(request.user).with_overdue(today).order_by("-created_at", "-pk")
    cd = filters.cleaned_data if filters.is_valid() else {}
    wanted = cd.get("status", "")
    qs = selectors.search_settlement(qs, cd.get("q", ""))
    if cd.get("township"):
        qs = qs.filter(settlement__village__township=cd["township"])
    if cd.get("klass") is not None:
        qs = qs.filter(settlement__klass=cd["klass"])
    if cd.get("star") is not None:
        qs = qs.filter(rating__stars=cd["star"])
    if wanted == "overdue":
        qs = qs.overdue(today)
    elif wanted == "issued":
        qs = qs.open_in_time(today)
    elif wanted == "closed":
        qs = qs.filter(
            status__in=[
                RectificationStatus.PASSED,
                RectificationStatus.DOWNGRADED,
                RectificationStatus.REVOKED,
                RectificationStatus.DISMISSED,
            ]
        )
    elif wanted:
        qs = qs.filter(status=wanted)
    if lists.wants_xlsx(request):
        return lists.xlsx_response(
            filename=_("限期整改"),
            title=_("限期整改"),
            headers=[
                _("代码"),
                _("聚居点"),
                _("乡镇"),
                _("评定轮次"),
                _("评定星级"),
                _("状态"),
                _("整改期限"),
                _("触发原因"),
            ],
            rows=(
                [
                    r.settlement.code,
                    r.settlement.name,
                    r.settlement.village.township.name,
                    str(r.rating.round),
                    r.rating.stars,
                    _("逾期未整改")
                    if r.status == RectificationStatus.ISSUED and r.deadline and r.deadline < today
                    else r.get_status_display(),
                    r.deadline,
                    reasons.shown(r, "trigger"),
                ]
                for r in qs[: lists.EXPORT_MAX]
            ),
        )
    page = lists.page_of(request, qs, QUEUE_PAGE_SIZE)
    return render(
        request,
        "ratings/rectification_list.html",
        {
            "page": page,
            "filters": filters,
            "today": today,
            "query": lists.list_query(request),
            "printing": lists.wants_print(request),
        },
    )


@login_required
def rectification_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    rectification = get_object_or_404(_rectification_queryset(request.user), pk=pk)
    return _render_rectification(request, rectification)


def _render_rectification(
    request: AuthenticatedHttpRequest, rectification: Any, *, form: Any = None, status: int = 200
) -> HttpResponse:
    """Each party sees the form for the step that is theirs now; the services check it again."""
    user = request.user
    today = timezone.localdate()
    county = may_review(user)
    overdue = rectification_is_overdue(rectification, today)
    own_township = may_answer_rectification(user, rectification)

    def pick(cls: type, make: Callable[[], Any]) -> Any:
        return form if isinstance(form, cls) else make()

    forms_: dict[str, Any] = {}
    if county and rectification.status == RectificationStatus.PROPOSED:
        forms_["issue"] = pick(
            RectificationIssueForm,
            lambda: RectificationIssueForm(
                initial={
                    "deadline": today + _days(30),
                    "requirements": reasons.shown(rectification, "trigger"),
                }
            ),
        )
        forms_["dismiss"] = pick(RectificationDismissForm, RectificationDismissForm)
    if (
        own_township
        and rectification.status in (RectificationStatus.ISSUED, RectificationStatus.ANSWERED)
        and not overdue
    ):
        forms_["answer"] = pick(
            RectificationAnswerForm,
            lambda: RectificationAnswerForm(initial={"answer": rectification.answer}),
        )
    if county and (rectification.status == RectificationStatus.ANSWERED or overdue):
        forms_["check"] = pick(RectificationCheckForm, RectificationCheckForm)
    return render(
        request,
        "ratings/rectification.html",
        {
            "rectification": rectification,
            "settlement": rectification.settlement,
            "evidence": list(rectification.evidence.order_by("uploaded_at")),
            "overdue": overdue,
            **{f"{k}_form": v for k, v in forms_.items()},
        },
        status=status,
    )


def _post_step(
    request: AuthenticatedHttpRequest,
    rectification: Rectification,
    form: forms.Form,
    step: Callable[[dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """One rectification step posted: the form checked, one service called, the page again."""
    if form.is_valid():
        try:
            step(form.cleaned_data)
        except services.WorkflowError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, done)
            return redirect(rectification.get_absolute_url())
    return _render_rectification(request, rectification, form=form, status=_refusal_status(form))


@login_required
@require_POST
def rectification_issue(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    rectification = get_object_or_404(_rectification_queryset(request.user), pk=pk)
    _require_county(request.user)
    return _post_step(
        request,
        rectification,
        RectificationIssueForm(request.POST),
        lambda data: services.rectification_issue(
            rectification=rectification,
            by=request.user,
            deadline=data["deadline"],
            requirements=data["requirements"],
        ),
        _("整改通知已下达。"),
    )


@login_required
@require_POST
def rectification_dismiss(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    rectification = get_object_or_404(_rectification_queryset(request.user), pk=pk)
    _require_county(request.user)
    return _post_step(
        request,
        rectification,
        RectificationDismissForm(request.POST),
        lambda data: services.rectification_dismiss(
            rectification=rectification, by=request.user, reason=data["reason"]
        ),
        _("已决定不予下达整改。"),
    )


@login_required
@require_POST
def rectification_answer(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    rectification = get_object_or_404(_rectification_queryset(request.user), pk=pk)
    if not may_answer_rectification(request.user, None):
        raise PermissionDenied(_("只有本乡镇干部可以答复整改通知。"))
    return _post_step(
        request,
        rectification,
        RectificationAnswerForm(request.POST, request.FILES),
        lambda data: services.rectification_answer(
            rectification=rectification,
            by=request.user,
            answer=data["answer"],
            evidence=data["evidence"],
        ),
        _("整改情况已提交，等待县考评组复查。"),
    )


@login_required
@require_POST
def rectification_check(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    rectification = get_object_or_404(_rectification_queryset(request.user), pk=pk)
    _require_county(request.user)
    return _post_step(
        request,
        rectification,
        RectificationCheckForm(request.POST),
        lambda data: services.rectification_check(
            rectification=rectification,
            by=request.user,
            outcome=data["outcome"],
            notes=data["notes"],
        ),
        _("复查结果已记录。"),
    )
