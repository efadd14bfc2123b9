"""The Party secretary extends one county review's deadline in the admin, with a reason.

A page of the self-assessment admin (a review is the county's step of one settlement's
self-assessment, and may not exist yet when it is late). The page is a thin door into
``ratings.services.review_deadline_extend``; the extension is recorded as a
``ReviewReopening`` (who, when, the new day, why). A whole round's deadlines move on the
round's own page (修改截止日期).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from settlements.http import acting_user

from .models import SelfAssessment
from .permissions import may_extend_review_deadline


class ReviewDeadlineForm(forms.Form):
    open_until = forms.DateField(label=_("新的县级考评截止日期"))
    reason = forms.CharField(
        label=_("延长原因"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500
    )


class ReviewDeadlineAdminMixin:
    """On the self-assessment admin: a 延长考评截止日期 link per row (the secretary only) and its page."""

    def may_extend(self, request: HttpRequest) -> bool:
        return bool(may_extend_review_deadline(request.user))

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = list(super().get_list_display(request))  # type: ignore[misc]
        return [*shown, "review_deadline_link"] if self.may_extend(request) else shown

    @admin.display(description=_("县级考评截止日期"))
    def review_deadline_link(self, obj: SelfAssessment) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:ratings_selfassessment_review_deadline", args=[obj.pk]),
            _("延长"),
        )

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/review-deadline/",
                self.admin_site.admin_view(self.review_deadline_view),  # type: ignore[attr-defined]
                name="ratings_selfassessment_review_deadline",
            ),
            *super().get_urls(),  # type: ignore[misc]
        ]

    def review_deadline_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        from .services import review_deadline_extend, review_deadline_of

        # Another township's assessment is a 404 (the scoped list), then only the secretary.
        assessment = get_object_or_404(
            self.get_queryset(request)  # type: ignore[attr-defined]
            .select_related("round")
            .prefetch_related("review_reopenings"),
            pk=pk,
        )
        if not self.may_extend(request):
            raise PermissionDenied
        deadline = review_deadline_of(assessment)
        form = ReviewDeadlineForm(request.POST or None, initial={"open_until": deadline.date})
        if request.method == "POST" and form.is_valid():
            try:
                review_deadline_extend(
                    assessment=assessment, by=acting_user(request), **form.cleaned_data
                )
            except ValidationError as exc:  # WorkflowError: a Chinese message per field
                form.add_error(None, exc)
            else:
                self.message_user(  # type: ignore[attr-defined]
                    request,
                    _("已将%(assessment)s的县级考评截止日期延长至 %(date)s。")
                    % {
                        "assessment": assessment,
                        "date": form.cleaned_data["open_until"].isoformat(),
                    },
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:ratings_selfassessment_change", args=[assessment.pk])
                )
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "title": _("延长县级考评截止日期：%(assessment)s") % {"assessment": assessment},
            "form": form,
            "opts": SelfAssessment._meta,
            "intro": _(
                "本轮县级考评截止日期 %(round)s，这份考评现在的截止日期 %(current)s。"
                "延长后考评组可在新的截止日期前继续保存和定分；延长原因、操作人和时间记入“县级考评重新开放”记录。"
                "整轮延长请在考评轮次中修改截止日期。"
            )
            % {
                "round": assessment.round.review_deadline.isoformat(),
                "current": deadline.date.isoformat(),
            },
        }
        request.current_app = self.admin_site.name  # type: ignore[attr-defined]
        return TemplateResponse(request, "admin/ratings/round/open.html", context)
