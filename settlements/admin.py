"""Django admin for places, settlements and users; the scoping every project admin shares.

Every queryset here goes through the scoped selectors (``settlements_visible_to`` and
friends): a township official with staff access sees only their township in lists,
filters, choices and imports, and another township's object is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import admin_county  # noqa: F401  (registers the county's calendar and settings)
from .models import GAP_LABELS, Settlement, SettlementClass, Township, User, Village
from .resources import SettlementResource
from .roles import OFFICIAL, sees_all_settlements
from .selectors import settlements_visible_to, townships_visible_to, villages_visible_to
from .spreadsheets import SpreadsheetAdminMixin

# ---------------------------------------------------------------------- shared pieces

# Choices offered in admin forms, per related model: only what the user may see.
SCOPED_CHOICES = {
    Township: townships_visible_to,
    Village: villages_visible_to,
    Settlement: settlements_visible_to,
}


def scoped_by_settlement(queryset: QuerySet, user: Any, path: str = "settlement") -> QuerySet:
    """Rows whose settlement (at ``path``) the user may see."""
    if sees_all_settlements(user):
        return queryset  # no semi-join against every settlement for the county
    return queryset.filter(**{f"{path}__in": settlements_visible_to(user).values("pk")})


def township_filter(path: str) -> type[admin.SimpleListFilter]:
    """A 乡镇 filter over ``path`` (e.g. ``village__township``) offering only visible townships."""

    class TownshipFilter(admin.SimpleListFilter):
        title = _("乡镇")
        parameter_name = "township"

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[Any, str]]:
            return list(townships_visible_to(request.user).values_list("pk", "name"))

        def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
            value = self.value()
            if not value:
                return queryset
            if not value.isdigit():
                return queryset.none()
            return queryset.filter(**{f"{path}_id": int(value)})

    return TownshipFilter


def class_filter(path: str) -> type[admin.SimpleListFilter]:
    """A 类别 filter: ``klass`` on Settlement, the frozen ``settlement_class`` elsewhere."""

    class ClassFilter(admin.SimpleListFilter):
        title = _("类别")
        parameter_name = "class"

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[Any, str]]:
            return [(str(value), label) for value, label in SettlementClass.choices]

        def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
            value = self.value()
            if not value:
                return queryset
            if value not in {str(v) for v in SettlementClass.values}:
                return queryset.none()
            return queryset.filter(**{path: int(value)})

    return ClassFilter


def star_filter(path: str) -> type[admin.SimpleListFilter]:
    """A 星级 filter with fixed choices: no DISTINCT over every settlement or rating."""

    class StarFilter(admin.SimpleListFilter):
        title = _("星级")
        parameter_name = "star"

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
            return [("0", _("无星级")), ("3", _("三星")), ("4", _("四星")), ("5", _("五星"))]

        def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
            value = self.value()
            if not value:
                return queryset
            if value not in {"0", "3", "4", "5"}:
                return queryset.none()
            return queryset.filter(**{path: int(value)})

    return StarFilter


class ScopedAdminMixin:
    """get_queryset from a scoped selector, scoped FK choices, 404 outside the scope."""

    # One COUNT per list page, not a second one of the whole table (national scale).
    show_full_result_count = False

    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = self.scoped_queryset(request)
        ordering = self.get_ordering(request)  # type: ignore[attr-defined]
        if ordering:
            qs = qs.order_by(*ordering)
        return qs

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        selector = SCOPED_CHOICES.get(db_field.related_model)
        if selector is not None and "queryset" not in kwargs:
            kwargs["queryset"] = selector(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if obj is None:
            # Django's admin would redirect with "does not exist"; the project's rule is a
            # plain 404 for another township's object, as on every other page.
            raise Http404
        return obj


class ScopedHistoryAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """History visible, never reverted from the admin (writes go through services/forms)."""

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        self.get_object(request, object_id)  # 404 outside the user's scope
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        self.get_object(request, object_id)
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyAdminMixin:
    """Workflow records change only through the services; the admin shows them and their history."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# ------------------------------------------------------------------------- places


@admin.register(Township)
class TownshipAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")

    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        return townships_visible_to(request.user)


@admin.register(Village)
class VillageAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "township")
    list_filter = (township_filter("township"),)
    list_select_related = ("township",)
    search_fields = ("code", "name", "township__name")

    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        return villages_visible_to(request.user)


@admin.register(Settlement)
class SettlementAdmin(SpreadsheetAdminMixin, ScopedHistoryAdmin):
    resource_classes = [SettlementResource]
    list_display = (
        "code",
        "name",
        "township_name",
        "village_name",
        "households",
        "class_display",
        "party_org",
        "self_management",
        "gaps",
        "current_star",
        "current_score",
    )
    list_filter = (
        township_filter("village__township"),
        class_filter("klass"),
        "party_org",
        "self_management",
        star_filter("current_star"),
    )
    list_select_related = ("village__township",)
    search_fields = ("code", "name", "village__name", "village__township__name")
    readonly_fields = ("class_display", "gaps", "current_star", "current_score")
    fieldsets = (
        (None, {"fields": ("code", "name", "village")}),
        (_("规模"), {"fields": ("households", "residents", "party_members", "moved_in_on", "class_display")}),
        (_("组织覆盖"), {"fields": ("party_org", "self_management", "gaps")}),
        (_("位置"), {"fields": ("latitude", "longitude")}),
        (_("星级"), {"fields": ("current_star", "current_score")}),
    )

    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        return settlements_visible_to(request.user)

    @admin.display(description=_("乡镇"), ordering="village__township__name")
    def township_name(self, obj: Settlement) -> str:
        return obj.village.township.name

    @admin.display(description=_("村"), ordering="village__name")
    def village_name(self, obj: Settlement) -> str:
        return obj.village.name

    @admin.display(description=_("类别"), ordering="klass")
    def class_display(self, obj: Settlement) -> str:
        # ``klass`` is computed by the database on save: an unsaved settlement has none yet.
        if obj.pk is None or obj.klass is None:
            return "—"
        return SettlementClass(obj.klass).label

    @admin.display(description=_("组织短板"))
    def gaps(self, obj: Settlement) -> str:
        if obj.pk is None:
            return "—"
        return "；".join(str(GAP_LABELS[g]) for g in obj.organisation_gaps) or _("无")


# -------------------------------------------------------------------------- users


class OfficialNeedsTownshipMixin:
    """An official without a township would see nothing at all: say so when saving."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()  # type: ignore[misc]
        groups = cleaned.get("groups")
        if groups is not None and any(g.name == OFFICIAL for g in groups) and not cleaned.get("township"):
            self.add_error("township", _("乡镇干部必须指定所属乡镇。"))  # type: ignore[attr-defined]
        return cleaned


class ProjectUserChangeForm(OfficialNeedsTownshipMixin, UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


class ProjectUserCreationForm(OfficialNeedsTownshipMixin, AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username",)


@admin.register(User)
class UserAdmin(ScopedAdminMixin, BaseUserAdmin):
    form = ProjectUserChangeForm
    add_form = ProjectUserCreationForm
    list_display = ("username", "display_name", "township", "roles", "is_staff", "is_active", "last_login")
    list_filter = ("groups", township_filter("township"), "is_staff", "is_active")
    list_select_related = ("township",)
    search_fields = ("username", "display_name", "email")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("display_name", "email")}),
        (_("角色与范围"), {"fields": ("groups", "township", "is_active", "is_staff", "is_superuser")}),
        (_("单独授予的权限"), {"classes": ("collapse",), "fields": ("user_permissions",)}),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "display_name", "usable_password", "password1", "password2"),
            },
        ),
        (_("角色与范围"), {"fields": ("groups", "township", "is_staff")}),
    )

    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        qs = User.objects.select_related("township").prefetch_related("groups")
        if sees_all_settlements(request.user):
            return qs
        # Outside the county roles, only the people of one's own township.
        return qs.filter(township__in=townships_visible_to(request.user))

    @admin.display(description=_("角色"))
    def roles(self, obj: User) -> str:
        return "、".join(g.name for g in obj.groups.all())


from . import admin_governance  # noqa: E402,F401
