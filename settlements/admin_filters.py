"""Admin list filters over places (乡镇, 类别, 星级) that every app's admin offers.

Only visible townships are offered; a value not offered matches nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.admin import choice_filter

from .models import SettlementClass
from .selectors import townships_visible_to


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
    return choice_filter(
        title=_("类别"),
        parameter_name="class",
        path=path,
        choices=lambda: [(str(value), label) for value, label in SettlementClass.choices],
    )


def star_filter(path: str) -> type[admin.SimpleListFilter]:
    """A 星级 filter with fixed choices: no DISTINCT over every settlement or rating."""
    return choice_filter(
        title=_("星级"),
        parameter_name="star",
        path=path,
        choices=lambda: [("0", _("无星级")), ("3", _("三星")), ("4", _("四星")), ("5", _("五星"))],
    )
