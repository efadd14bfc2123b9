"""Django admin for places, settlements and users.

The shared admin bases are in core.admin, the place filters in settlements.admin_filters. Every queryset here goes through the scoped
selectors (``settlements_visible_to`` and friends): a township official with staff
access sees only their township in lists, filters, choices and imports, and another
township's object is a 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.admin import ScopedAdminMixin, ScopedHistoryAdmin, VersionedAdminMixin
from core.spreadsheets.admin import SpreadsheetAdminMixin

from . import admin_county  # noqa: F401  (registers the county's calendar and settings)
from .admin_filters import class_filter, star_filter, township_filter
from .governance import admin as governance_admin  # noqa: F401  (registers the governance models)
from .governance import services as governance_services
from .models import GAP_LABELS, Settlement, SettlementClass, Township, User, Village
from .permissions import sees_all_settlements
from .resources import SettlementResource
from .roles import OFFICIAL, group_label
from .selectors import settlements_visible_to, townships_visible_to, villages_visible_to

if TYPE_CHECKING:
    from django.contrib.auth.models import Group
    from django_stubs_ext import StrOrPromise

# ------------------------------------------------------------------------- places


@admin.register(Township)
class TownshipAdmin(VersionedAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")

    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        return townships_visible_to(request.user)


@admin.register(Village)
class VillageAdmin(VersionedAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "township")
    list_filter = (township_filter("township"),)
    list_select_related = ("township",)
    search_fields = ("code", "name", "township__name")

    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        return villages_visible_to(request.user)


@admin.register(Settlement)
class SettlementAdmin(VersionedAdminMixin, SpreadsheetAdminMixin, ScopedHistoryAdmin):
    resource_classes = [SettlementResource]
    import_kind = "settlements"  # settlements.importers.SettlementImporter, as a background job
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
        (
            _("规模"),
            {
                "fields": (
                    "households",
                    "residents",
                    "party_members",
                    "moved_in_on",
                    "class_display",
                )
            },
        ),
        (_("组织覆盖"), {"fields": ("party_org", "self_management", "gaps")}),
        (_("位置"), {"fields": ("latitude", "longitude")}),
        (_("星级"), {"fields": ("current_star", "current_score")}),
    )

    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        return settlements_visible_to(request.user)

    def save_model(self, request: HttpRequest, obj: Settlement, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # Households, Party members and forms are gap facts: the stored gaps follow them.
        governance_services.settlement_gaps_refresh(settlement_ids=[obj.pk])

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
        return str(SettlementClass(obj.klass).label)

    @admin.display(description=_("组织短板"))
    def gaps(self, obj: Settlement) -> str:
        if obj.pk is None:
            return "—"
        return str(_("；")).join(str(GAP_LABELS[g]) for g in obj.organisation_gaps) or str(_("无"))


# -------------------------------------------------------------------------- users


class OfficialNeedsTownshipMixin:
    """An official without a township would see nothing at all: say so when saving."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()  # type: ignore[misc]
        groups = cleaned.get("groups")
        if (
            groups is not None
            and any(g.name == OFFICIAL for g in groups)
            and not cleaned.get("township")
        ):
            self.add_error("township", _("乡镇干部必须指定所属乡镇。"))  # type: ignore[attr-defined]
        return cleaned


class GroupFilter(admin.RelatedFieldListFilter):
    """The role filter in the reader's language."""

    def field_choices(
        self, field: Any, request: HttpRequest, model_admin: Any
    ) -> list[tuple[str, StrOrPromise]]:
        # The labels are the groups' names (str(group)).
        return [
            (pk, group_label(str(name)))
            for pk, name in super().field_choices(field, request, model_admin)
        ]


class GroupChoiceField(forms.ModelMultipleChoiceField):
    """The group picker reads in the page's language, like the rest of the admin."""

    def label_from_instance(self, obj: Group) -> str:
        return group_label(obj.name)


class ProjectUserChangeForm(OfficialNeedsTownshipMixin, UserChangeForm):
    class Meta(UserChangeForm.Meta):  # type: ignore[name-defined]  # django-stubs omits this Meta
        model = User


class ProjectUserCreationForm(OfficialNeedsTownshipMixin, AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):  # type: ignore[name-defined]  # django-stubs omits this Meta
        model = User
        fields = ("username",)


@admin.register(User)
class UserAdmin(VersionedAdminMixin, ScopedAdminMixin, BaseUserAdmin):
    form = ProjectUserChangeForm
    add_form = ProjectUserCreationForm
    list_display = (
        "username",
        "display_name",
        "township",
        "roles",
        "is_staff",
        "is_active",
        "last_login",
    )
    list_filter = (("groups", GroupFilter), township_filter("township"), "is_staff", "is_active")
    list_select_related = ("township",)
    search_fields = ("username", "display_name", "email")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("display_name", "email")}),
        (
            _("角色与范围"),
            {"fields": ("groups", "township", "is_active", "is_staff", "is_superuser")},
        ),
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
        return _("、").join(group_label(g.name) for g in obj.groups.all())

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "groups":
            kwargs.setdefault("form_class", GroupChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)
