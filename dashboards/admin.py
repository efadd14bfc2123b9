"""Admin for the dashboards: the five-star target is configuration; the statistics are read-only
(`manage.py stats_rebuild` recounts them).

The models moved here from ratings with their tables; the admin moved with them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from core.admin import VersionedAdminMixin

from .admin_county import CountySettingsAdmin  # noqa: F401  (registers 全县设置 with the five-star target)
from .models import AssessorRoundStat, CountyRoundStat, FiveStarTarget, RoundStat


@admin.register(FiveStarTarget)
class FiveStarTargetAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    """One row for the county: the target date and the share of five-star settlements (SPEC §5)."""

    list_display = ("deadline", "share")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not FiveStarTarget.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CountyRoundStat)
class CountyRoundStatAdmin(_ReadOnly):
    list_display = ("round", "settlement_class", "stars", "count")
    list_filter = ("round", "settlement_class", "stars")
    list_select_related = ("round",)


@admin.register(RoundStat)
class RoundStatAdmin(_ReadOnly):
    list_display = ("round", "township", "settlement_class", "stars", "count")
    list_filter = ("round", "settlement_class", "stars")
    list_select_related = ("round", "township")
    search_fields = ("township__name",)


@admin.register(AssessorRoundStat)
class AssessorRoundStatAdmin(_ReadOnly):
    list_display = ("round", "township", "assessor", "reviews", "gap_sum", "gap_square_sum")
    list_filter = ("round",)
    list_select_related = ("round", "township", "assessor")
