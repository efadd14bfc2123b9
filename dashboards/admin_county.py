"""全县设置: the county's own settings and its five-star target on one admin page (secretary only).

The settings row lives in ``settlements`` (every app reads it); the five-star target
is ``dashboards.FiveStarTarget`` and is edited here beside them, both with history.
Imported once from dashboards/admin.py.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin import VersionedAdminMixin
from settlements.models import CountySettings

from .models import FiveStarTarget


def _target() -> FiveStarTarget:
    return FiveStarTarget.objects.filter(scope="county").first() or FiveStarTarget()


class CountySettingsForm(forms.ModelForm):
    target_share = forms.DecimalField(
        label=_("五星占比目标"),
        min_value=Decimal("0.01"),
        max_value=Decimal("1"),
        decimal_places=2,
        help_text=_("0 到 1 之间的小数，0.40 即 40%。"),
    )
    target_deadline = forms.DateField(label=_("五星目标日期"))

    class Meta:
        model = CountySettings
        fields = [
            "county_name",
            "self_assessment_days",
            "county_review_days",
            "notice_working_days",
            "reminder_days",
            "objection_review_days",
            "item_gap_needs_reason",
            "total_gap_needs_reason",
            "photo_max_distance_km",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        target = _target()
        self.fields["target_share"].initial = target.share
        self.fields["target_deadline"].initial = target.deadline


@admin.register(CountySettings)
class CountySettingsAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    """One row for the county: the list shows it, created with the defaults on first visit."""

    form = CountySettingsForm
    fieldsets = (
        (_("证书"), {"fields": ("county_name",)}),
        (
            _("考评期限"),
            {
                "fields": (
                    "self_assessment_days",
                    "county_review_days",
                    "notice_working_days",
                    "reminder_days",
                    "objection_review_days",
                )
            },
        ),
        (_("差异说明"), {"fields": ("item_gap_needs_reason", "total_gap_needs_reason")}),
        (_("现场照片核查"), {"fields": ("photo_max_distance_km",)}),
        (_("五星目标"), {"fields": ("target_share", "target_deadline")}),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the one row is created on first visit

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    list_display = (
        "__str__",
        "county_name",
        "self_assessment_days",
        "county_review_days",
        "notice_working_days",
    )

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if self.has_change_permission(request):
            CountySettings.objects.get_or_create(singleton=1)
        return super().changelist_view(request, extra_context)

    def save_model(
        self, request: HttpRequest, obj: CountySettings, form: Any, change: bool
    ) -> None:
        # The admin's change view is one transaction: the settings and the target save together.
        super().save_model(request, obj, form, change)
        target = _target()
        share, deadline = form.cleaned_data["target_share"], form.cleaned_data["target_deadline"]
        if target.pk is None or (target.share, target.deadline) != (share, deadline):
            target.share, target.deadline = share, deadline
            target._change_reason = "全县设置页修改"  # type: ignore[attr-defined]
            target.save()
