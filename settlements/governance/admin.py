"""Admin for settlement governance (SPEC §2, §8), imported by settlements/admin.py.

Point categories are configuration and are edited here. Everything else is shown
read-only with its history: organisation, team and points change through the
governance pages and their services, so the ledger stays insert-only and every change
carries its user. Rows are limited to the settlements whose people the user may see,
and ID numbers are masked in lists.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ReadOnlyAdminMixin, ReadOnlyInline, ScopedHistoryAdmin, VersionedAdminMixin
from core.scoping import restrict_to

from ..admin_filters import township_filter
from ..models import (
    CommitteeMember,
    HonourList,
    HonourListRow,
    Household,
    PointCategory,
    PointEntry,
    SettlementOrganisation,
    TeamMember,
)
from ..permissions import is_secretary
from .selectors import settlements_editable_by


def _own(queryset: QuerySet, user: Any, path: str = "settlement") -> QuerySet:
    """Rows of the settlements whose governance the user may edit (secretaries: all)."""
    return restrict_to(
        queryset, path, None if is_secretary(user) else settlements_editable_by(user)
    )


@admin.register(PointCategory)
class PointCategoryAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    list_display = ("name", "description", "is_active", "position")
    list_editable = ("is_active", "position")
    search_fields = ("name",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Entries point at their category for good: retire a category by switching it off.
        return False


class ReadOnlyGovernanceAdmin(ReadOnlyAdminMixin, ScopedHistoryAdmin):
    settlement_path = "settlement"

    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        qs = self.model._default_manager.select_related(*self.list_select_related or ())
        return _own(qs, request.user, self.settlement_path)


@admin.register(SettlementOrganisation)
class SettlementOrganisationAdmin(ReadOnlyGovernanceAdmin):
    list_display = (
        "settlement",
        "party_leader_name",
        "dispatched_member_name",
        "executor_name",
        "updated_at",
    )
    list_select_related = ("settlement",)
    list_filter = (township_filter("settlement__village__township"),)
    search_fields = ("settlement__name", "settlement__code")


@admin.register(CommitteeMember)
class CommitteeMemberAdmin(ReadOnlyGovernanceAdmin):
    list_display = ("settlement", "post", "name", "phone")
    list_select_related = ("settlement",)
    list_filter = ("post", township_filter("settlement__village__township"))
    search_fields = ("settlement__name", "settlement__code", "name")


@admin.register(TeamMember)
class TeamMemberAdmin(ReadOnlyGovernanceAdmin):
    list_display = ("settlement", "role", "name", "phone")
    list_select_related = ("settlement",)
    list_filter = ("role", township_filter("settlement__village__township"))
    search_fields = ("settlement__name", "settlement__code", "name")


@admin.register(Household)
class HouseholdAdmin(ReadOnlyGovernanceAdmin):
    list_display = ("head_name", "masked_id", "settlement", "members", "base_score", "created_at")
    list_select_related = ("settlement",)
    list_filter = (township_filter("settlement__village__township"),)
    search_fields = ("head_name", "settlement__name", "settlement__code")
    exclude = ("id_number",)
    readonly_fields = ("masked_id",)

    @admin.display(description=_("户主身份证号"))
    def masked_id(self, obj: Household) -> str:
        return obj.masked_id_number


@admin.register(PointEntry)
class PointEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "occurred_on",
        "household",
        "category",
        "points",
        "reason",
        "recorded_by",
        "recorded_at",
        "reverses",
    )
    list_select_related = ("household", "category", "recorded_by", "reverses")
    list_filter = ("category", township_filter("household__settlement__village__township"))
    search_fields = ("household__head_name", "reason")
    date_hierarchy = "occurred_on"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request).select_related(*self.list_select_related)
        return _own(qs, request.user, "household__settlement")


class HonourListRowInline(ReadOnlyInline):
    model = HonourListRow
    fields = ("kind", "rank", "head_name", "points")


@admin.register(HonourList)
class HonourListAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "settlement",
        "period_start",
        "period_end",
        "size",
        "published_by",
        "published_at",
    )
    list_select_related = ("settlement", "published_by")
    list_filter = (township_filter("settlement__village__township"),)
    inlines = (HonourListRowInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return _own(super().get_queryset(request), request.user)
