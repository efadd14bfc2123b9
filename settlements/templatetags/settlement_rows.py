"""The settlement list's rows, written with escaped f-strings.

Fifty rows of seven cells with their phone labels were ~800 template lookups, most of the
list page's rendering at national scale; here they are one pass in Python (as the
dashboards' number grids are, dashboards/templatetags/dashboard_format.py). Every text is
escaped; the markup is the one ``templates/settlements/list.html`` had.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from core.lists import pk_link

register = template.Library()


def settlement_rows_html(settlements: Iterable[Any]) -> str:
    """One <tr> per settlement: code, linked name, township, class, households, star."""
    code, name, township, klass, households, star = (
        escape(label)
        for label in (_("代码"), _("名称"), _("乡镇"), _("类别"), _("户数"), _("当前星级"))
    )
    link = pk_link("settlements:detail")
    return "\n".join(
        f'<tr><td data-label="{code}">{escape(s.code)}</td>'
        f'<td data-label="{name}"><a href="{link(s.pk)}">{escape(s.name)}</a></td>'
        f'<td data-label="{township}">{escape(s.village.township.name)}</td>'
        f'<td data-label="{klass}">{escape(s.class_label)}</td>'
        f'<td data-label="{households}">{int(s.households)}</td>'
        f'<td data-label="{star}">{f"{int(s.current_star)}★" if s.current_star else "—"}</td></tr>'
        for s in settlements
    )


@register.simple_tag
def settlement_rows(settlements: Iterable[Any]) -> SafeString:
    return mark_safe(settlement_rows_html(settlements))  # noqa: S308 - every text escaped above
