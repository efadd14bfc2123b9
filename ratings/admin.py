"""Django admin for the rubric, rounds and the workflow records.

The rubric is edited here until a round uses it; then it is frozen (read-only, here and
in the model layer) and changes go into a copy ("复制为新版本"). Rounds are opened here
through ``ratings.services.round_open``. Workflow records (self-assessments, reviews,
ratings, objections, rectifications, certificates, star changes) only change through
the services and their pages: the admin shows them, scoped to the user, with history.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import (
    ReadOnlyAdminMixin,
    ScopedHistoryAdmin,
    VersionedAdminMixin,
    VersionedInlineMixin,
)
from core.spreadsheets.admin import SpreadsheetAdminMixin
from core.spreadsheets.forms import SpreadsheetUploadForm
from settlements.http import acting_user

from . import rules
from .models import (
    Round,
    Rubric,
    RubricFrozen,
    RubricItem,
    Stage,
)
from .resources import RubricItemResource
from .rubric_loader import rubric_make_current, rubric_new_version

# ------------------------------------------------------------------------- rubric


def _refuse_frozen_delete(
    modeladmin: Any, request: HttpRequest, queryset: QuerySet, frozen: QuerySet
) -> Any:
    if frozen.exists():
        modeladmin.message_user(
            request,
            _("所选内容包含已被使用（冻结）的评分细则版本，不能删除；没有删除任何内容。"),
            messages.ERROR,
        )
        return None
    return delete_selected(modeladmin, request, queryset)


class RubricItemInline(VersionedInlineMixin, admin.TabularInline):
    model = RubricItem
    extra = 0
    fields = ("position", "area", "code", "text", "kind", "points", "cap", "flagged")
    ordering = ("position", "code")

    # ``obj`` is the rubric: a frozen version's items are read-only, none added or removed.
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not (obj is not None and obj.is_frozen) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not (obj is not None and obj.is_frozen) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not (obj is not None and obj.is_frozen) and super().has_delete_permission(
            request, obj
        )


class RubricForm(forms.ModelForm):
    class Meta:
        model = Rubric
        fields = ("version", "name", "bonus_cap")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if (
            self.instance.pk
            and Rubric.objects.filter(pk=self.instance.pk, frozen_at__isnull=False).exists()
        ):
            raise ValidationError(
                _("这个版本刚刚被考评轮次使用并已冻结，不能再修改；请“复制为新版本”。")
            )
        return cleaned


@admin.register(Rubric)
class RubricAdmin(VersionedAdminMixin, admin.ModelAdmin):
    form = RubricForm
    lock_field = "edit_version"  # ``version`` is the rubric's own number
    inlines = [RubricItemInline]
    list_display = (
        "version",
        "name",
        "is_current",
        "is_frozen_display",
        "item_count",
        "bonus_cap",
        "created_at",
    )
    list_filter = ("is_current",)
    search_fields = ("name",)
    readonly_fields = ("is_current", "frozen_at", "created_at")
    fields = ("version", "name", "bonus_cap", "is_current", "frozen_at", "created_at")
    actions = ["copy_as_new_version", "make_current", "delete_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(item_total=Count("items"))

    @admin.display(description=_("已冻结"), boolean=True, ordering="frozen_at")
    def is_frozen_display(self, obj: Rubric) -> bool:
        return obj.is_frozen

    @admin.display(description=_("条目数"), ordering="item_total")
    def item_count(self, obj: Rubric) -> int:
        return obj.item_total  # type: ignore[attr-defined]  # annotated by get_queryset

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_frozen:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_frozen:
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description=_("复制为新版本"), permissions=["add"])
    def copy_as_new_version(self, request: HttpRequest, queryset: QuerySet) -> None:
        for rubric in queryset.order_by("version"):
            new = rubric_new_version(rubric=rubric, by=acting_user(request))
            self.message_user(
                request,
                _(
                    "可编辑的新版本：%(new)s（复制自第%(old)s版，%(count)s 个条目）。修改完成后用“设为当前版本”启用。"
                )
                % {"new": new, "old": rubric.version, "count": new.items.count()},
                messages.SUCCESS,
            )

    @admin.action(description=_("设为当前版本"), permissions=["change"])
    def make_current(self, request: HttpRequest, queryset: QuerySet) -> None:
        if queryset.count() != 1:
            self.message_user(request, _("请只选择一个版本设为当前版本。"), messages.ERROR)
            return
        try:
            rubric = rubric_make_current(rubric=queryset.get(), by=acting_user(request))
        except ValidationError as exc:
            self.message_user(request, str(_("；")).join(exc.messages), messages.ERROR)
            return
        self.message_user(
            request,
            _("当前评分细则版本为：%(rubric)s。下一个考评轮次将使用它。") % {"rubric": rubric},
        )

    @admin.action(description=_("删除所选的评分细则版本"), permissions=["delete"])
    def delete_selected(self, request: HttpRequest, queryset: QuerySet) -> Any:
        return _refuse_frozen_delete(
            self, request, queryset, queryset.filter(frozen_at__isnull=False)
        )


class RubricItemUploadForm(SpreadsheetUploadForm):
    rubric = forms.ModelChoiceField(
        queryset=Rubric.objects.filter(frozen_at__isnull=True),
        label=_("导入到评分细则版本"),
        help_text=_("只能导入到尚未被使用（未冻结）的版本；已冻结的版本请先“复制为新版本”。"),
    )
    field_order = ["rubric", "file"]


@admin.register(RubricItem)
class RubricItemAdmin(VersionedAdminMixin, SpreadsheetAdminMixin, admin.ModelAdmin):
    resource_classes = [RubricItemResource]
    import_kind = "rubric_items"  # ratings.importers.RubricItemImporter, as a background job
    upload_form_class = RubricItemUploadForm
    list_display = (
        "code",
        "text",
        "area",
        "kind",
        "points",
        "cap",
        "flagged",
        "position",
        "rubric",
    )
    list_filter = ("rubric", "area", "kind", "flagged")
    list_select_related = ("rubric",)
    search_fields = ("code", "text")
    ordering = ("rubric", "position", "code")
    actions = ["delete_selected"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.rubric.is_frozen:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.rubric.is_frozen:
            return False
        return super().has_delete_permission(request, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "rubric":
            kwargs["queryset"] = Rubric.objects.filter(frozen_at__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: RubricItem, form: Any, change: bool) -> None:
        try:
            super().save_model(request, obj, form, change)
        except RubricFrozen as exc:  # frozen between showing the form and saving it
            raise PermissionDenied(str(_("；")).join(exc.messages)) from exc

    @admin.action(description=_("删除所选的评分条目"), permissions=["delete"])
    def delete_selected(self, request: HttpRequest, queryset: QuerySet) -> Any:
        return _refuse_frozen_delete(
            self, request, queryset, queryset.filter(rubric__frozen_at__isnull=False)
        )

    # -- import into a chosen, unfrozen version ------------------------------------

    def get_import_params(self, request: HttpRequest, form: Any) -> dict[str, Any]:
        return {"rubric": form.cleaned_data["rubric"].pk}


# ------------------------------------------------------------------------- rounds


def _quarter_just_ended(today: dt.date) -> tuple[int, int]:
    quarter = (today.month - 1) // 3 + 1
    return (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)


class RoundOpenForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label=_("季度"),
        coerce=int,
        choices=[
            (q, _("第%(q)s季度（%(stage)s）") % {"q": q, "stage": Stage(stage).label})
            for q, stage in rules.DEFAULT_STAGE_BY_QUARTER.items()
        ],
    )
    self_deadline = forms.DateField(
        label=_("自评截止日期"), required=False, help_text=_("留空按全县设置的自评期限计算。")
    )
    review_deadline = forms.DateField(
        label=_("县级考评截止日期"),
        required=False,
        help_text=_("留空按全县设置的县级考评期限计算。"),
    )
    notice_working_days = forms.IntegerField(
        label=_("公示期（工作日）"),
        required=False,
        min_value=1,
        max_value=30,
        help_text=_("留空按全县设置。"),
    )
    confirm_early = forms.BooleanField(
        label=_("确认在季度结束前提前开启"),
        required=False,
        help_text=_("该季度尚未结束时，须勾选此项才能开启。"),
    )


class RoundDeadlinesForm(forms.Form):
    self_deadline = forms.DateField(label=_("自评截止日期"))
    review_deadline = forms.DateField(label=_("县级考评截止日期"))
    reason = forms.CharField(
        label=_("修改原因"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500
    )


@admin.register(Round)
class RoundAdmin(ReadOnlyAdminMixin, ScopedHistoryAdmin):
    list_display = (
        "__str__",
        "year",
        "quarter",
        "stage",
        "opened_on",
        "self_deadline",
        "review_deadline",
        "notice_working_days",
        "rubric",
        "deadlines_link",
    )
    list_filter = ("year", "quarter", "stage")
    list_select_related = ("rubric",)
    change_list_template = "admin/ratings/round/change_list.html"

    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        return Round.objects.select_related("rubric", "opened_by")

    def has_open_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("ratings.add_round")

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = super().get_list_display(request)
        # Only the secretary may move deadlines: others do not see the link.
        return (
            shown
            if self.has_open_permission(request)
            else [f for f in shown if f != "deadlines_link"]
        )

    @admin.display(description=_("截止日期"))
    def deadlines_link(self, obj: Round) -> str:
        info = self.model._meta.app_label, self.model._meta.model_name
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:{}_{}_deadlines".format(*info), args=[obj.pk]),
            _("修改截止日期"),
        )

    def deadlines_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The secretary moves a round's deadlines with a reason (ratings.services.round_deadlines_change)."""
        if not self.has_open_permission(request):
            raise PermissionDenied
        rnd = get_object_or_404(self.scoped_queryset(request), pk=pk)
        form = RoundDeadlinesForm(
            request.POST or None,
            initial={"self_deadline": rnd.self_deadline, "review_deadline": rnd.review_deadline},
        )
        if request.method == "POST" and form.is_valid():
            from .services import round_deadlines_change

            try:
                round_deadlines_change(round=rnd, by=acting_user(request), **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                self.message_user(
                    request, _("已修改%(round)s的截止日期。") % {"round": rnd}, messages.SUCCESS
                )
                info = self.model._meta.app_label, self.model._meta.model_name
                return HttpResponseRedirect(
                    reverse("admin:{}_{}_change".format(*info), args=[rnd.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("修改截止日期：%(round)s") % {"round": rnd},
            "form": form,
            "opts": self.model._meta,
            "intro": _(
                "修改原因与修改前后的日期记入轮次的历史记录。仍按原截止日期的自评随之调整，退回修改的自评保留各自的截止日期。"
            ),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/ratings/round/open.html", context)

    def get_urls(self) -> list[Any]:
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "open/",
                self.admin_site.admin_view(self.open_round_view),
                name="{}_{}_open".format(*info),
            ),
            path(
                "<int:pk>/deadlines/",
                self.admin_site.admin_view(self.deadlines_view),
                name="{}_{}_deadlines".format(*info),
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "has_open_round_permission": self.has_open_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def open_round_view(self, request: HttpRequest) -> HttpResponse:
        """Open a quarter's round now (the beat schedule does it on the calendar)."""
        if not self.has_open_permission(request):
            raise PermissionDenied
        year, quarter = _quarter_just_ended(timezone.localdate())
        form = RoundOpenForm(request.POST or None, initial={"year": year, "quarter": quarter})
        if request.method == "POST" and form.is_valid():
            from .services import round_open  # the workflow's one door for opening a round

            try:
                cd = form.cleaned_data
                rnd, created = round_open(
                    year=cd["year"],
                    quarter=cd["quarter"],
                    by=acting_user(request),
                    self_deadline=cd["self_deadline"],
                    review_deadline=cd["review_deadline"],
                    notice_working_days=cd["notice_working_days"],
                    allow_early=cd["confirm_early"],
                )
            except ValidationError as exc:  # WorkflowError: a Chinese message for the user
                form.add_error(None, exc.messages)
            else:
                if created:
                    self.message_user(
                        request,
                        _(
                            "已开启%(round)s，使用评分细则“%(rubric)s”（已冻结），生成 %(count)s 份乡镇自评表。"
                        )
                        % {
                            "round": rnd,
                            "rubric": rnd.rubric,
                            "count": rnd.self_assessments.count(),
                        },
                        messages.SUCCESS,
                    )
                else:
                    self.message_user(
                        request,
                        _("%(round)s 此前已经开启，没有重复创建。") % {"round": rnd},
                        messages.WARNING,
                    )
                info = self.model._meta.app_label, self.model._meta.model_name
                return HttpResponseRedirect(
                    reverse("admin:{}_{}_change".format(*info), args=[rnd.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("开启考评轮次"),
            "form": form,
            "opts": self.model._meta,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/ratings/round/open.html", context)


# ------------------------------------------------------------- workflow, read-only


# The read-only workflow records are registered by their own module.
from . import admin_records  # noqa: E402, F401
