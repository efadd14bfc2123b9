"""Admin for the county's own configuration: the holiday calendar (节假日安排).

Only the Party secretary holds these permissions (settlements.roles gives the secretary
every settlements permission, the other roles none of these).
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin import VersionedAdminMixin

from .models import CalendarDay


@admin.register(CalendarDay)
class CalendarDayAdmin(VersionedAdminMixin, SimpleHistoryAdmin):
    """Days of the State Council's arrangement; they override the built-in calendar.

    For a year the built-in calendar does not know, enter every holiday (休息日) and
    make-up working day (调休上班日): other days count Monday–Friday.
    """

    list_display = ("date", "kind", "note")
    list_filter = ("kind", ("date", admin.DateFieldListFilter))
    date_hierarchy = "date"
    search_fields = ("note",)
    ordering = ("date",)
    fieldsets = (
        (
            None,
            {
                "fields": ("date", "kind", "note"),
                "description": _(
                    "国务院公布下一年度节假日安排后，请逐日录入休息日（含工作日放假）和调休上班日（周末上班）。"
                    "内置日历不含的年度，只要录入了任何一天即视为已公布，其余日子按周一至周五上班计算。"
                ),
            },
        ),
    )
