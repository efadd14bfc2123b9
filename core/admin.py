"""Admin pieces every app's ModelAdmin shares; they know no model of the project.

- ``ScopedAdminMixin``: the list comes from ``scoped_queryset`` (a scoped selector),
  foreign-key choices are the registered scoped choices (core.scoping), and an object
  outside the scope is a plain 404.
- ``ScopedHistoryAdmin``: the same with history shown and never reverted.
- ``ReadOnlyAdminMixin`` / ``ReadOnlyInline``: records that change only through services.
- ``choice_filter``: a list filter with fixed choices that refuses unknown values.
- ``VersionedAdminMixin``: optimistic locking of the change form (core.locking): a form
  opened before someone else saved is refused, the person's input shown again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from .locking import Conflict, EditConflict, check_current, version_field
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

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
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

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
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


class VersionedAdminForm(forms.ModelForm):
    """Compares the version the change form was opened at with the stored one, locking
    the row: the admin validates and saves inside one transaction, so nobody can save
    between this check and the save (``VersionedAdminMixin.save_model``)."""

    lock_field = "version"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # ModelForm.clean returns cleaned_data
        raw = cleaned.get(self.lock_field)
        # What the save must write; the typed value is never written as is.
        cleaned[self.lock_field] = getattr(self.instance, self.lock_field)
        try:
            self.next_version = check_current(
                type(self.instance), self.instance.pk, raw, field=self.lock_field
            )
        except EditConflict as exc:
            self.add_error(None, exc)
        return cleaned

    def save(self, commit: bool = True) -> Any:
        # The admin (and an inline formset) saves through form.save(commit=False).
        if hasattr(self, "next_version"):
            setattr(self.instance, self.lock_field, self.next_version)
        return super().save(commit)


def _refused_as_stale(form: Any) -> bool:
    return any(
        isinstance(e, EditConflict) or e.code in set(Conflict)
        for e in form.errors.as_data().get("__all__", [])
    )


class VersionedAdminMixin:
    """Optimistic locking for a ModelAdmin's change form.

    The change form carries the record's ``lock_field`` as a hidden field; a stale or
    tampered value is refused with a non-field error (code ``core.locking.Conflict``),
    the typed values kept on the page, nothing saved. A saved change moves it on by one.
    """

    lock_field = "version"

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        # Wherever the model's field would be listed, it goes: only the hidden one remains.
        fieldsets = [
            (name, {**opts, "fields": [f for f in opts["fields"] if f != self.lock_field]})
            for name, opts in super().get_fieldsets(request, obj)  # type: ignore[misc]
        ]
        if obj is None:
            return fieldsets
        return [*fieldsets, (None, {"fields": [self.lock_field], "classes": ("hidden",)})]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        # ``change`` is passed on by keyword: django.contrib.auth's UserAdmin takes it in **kwargs.
        form = super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]
        if obj is None or self.lock_field not in form.base_fields:
            return form
        attrs = {"lock_field": self.lock_field, "__module__": form.__module__}
        return type(form.__name__, (VersionedAdminForm, form), attrs)

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == self.lock_field:
            field = version_field()
            field.label = db_field.verbose_name
            return field
        return super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: Any = None,
    ) -> HttpResponse:
        response = super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        adminform = (getattr(response, "context_data", None) or {}).get("adminform")
        if request.method == "POST" and adminform is not None and _refused_as_stale(adminform.form):
            response.status_code = 409  # as the workflow pages answer a stale form
        return response


class VersionedInlineMixin:
    """The same for the rows of an inline: each existing row carries its own version, so an
    edit of the row elsewhere (its own change form) is not overwritten from here."""

    lock_field = "version"

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = [f for f in super().get_fields(request, obj) if f != self.lock_field]  # type: ignore[misc]
        return [*fields, self.lock_field]

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)  # type: ignore[misc]
        form = formset.form
        attrs = {"lock_field": self.lock_field, "__module__": form.__module__}
        formset.form = type(form.__name__, (_VersionedRowForm, form), attrs)
        return formset

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == self.lock_field:
            return version_field()
        return super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]


class _VersionedRowForm(VersionedAdminForm):
    """An inline row: new rows (no pk yet) have nothing to compare."""

    def clean(self) -> dict[str, Any]:
        if self.instance.pk is None:
            cleaned = super(VersionedAdminForm, self).clean()
            assert cleaned is not None  # ModelForm.clean returns cleaned_data
            cleaned.pop(self.lock_field, None)
            return cleaned
        return super().clean()
