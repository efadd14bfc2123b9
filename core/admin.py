"""Admin pieces every app's ModelAdmin shares; they know no model of the project.

- ``ScopedAdminMixin``: the list comes from ``scoped_queryset`` (a scoped selector),
  foreign-key choices are the registered scoped choices (core.scoping), and an object
  outside the scope is a plain 404.
- ``ScopedHistoryAdmin``: the same with history shown and never reverted.
- ``ReadOnlyAdminMixin`` / ``ReadOnlyInline``: records that change only through services.
- ``choice_filter``: a list filter with fixed choices that refuses unknown values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from .scoping import scoped_choices


def choice_filter(
    *,
    title: Any,
    parameter_name: str,
    path: str,
    choices: Callable[[], Iterable[tuple[str, Any]]],
    convert: Callable[[str], Any] = int,
) -> type[admin.SimpleListFilter]:
    """A filter over ``path`` offering ``choices()`` (value as text, label); no DISTINCT
    over the table, and a value not offered matches nothing."""

    class ChoiceFilter(admin.SimpleListFilter):
        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
            return list(choices())

        def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
            value = self.value()
            if not value:
                return queryset
            if value not in {v for v, _label in choices()}:
                return queryset.none()
            return queryset.filter(**{path: convert(value)})

    ChoiceFilter.title = title
    ChoiceFilter.parameter_name = parameter_name
    return ChoiceFilter


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
        if "queryset" not in kwargs:
            choices = scoped_choices(db_field.related_model, request.user)
            if choices is not None:
                kwargs["queryset"] = choices
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
