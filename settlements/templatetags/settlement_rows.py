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
from settlements.models import SettlementClass

register = template.Library()


def settlement_rows_html(rows: Iterable[dict[str, Any]]) -> str:
    """One <tr> per row of ``settlements.selectors.settlement_page``: code, linked name,
    township, class, households, star."""
    code, name, township, klass, households, star = (
        escape(label)
        for label in (_("代码"), _("名称"), _("乡镇"), _("类别"), _("户数"), _("当前星级"))
    )
    classes = {value: escape(str(label)) for value, label in SettlementClass.choices}
    link = pk_link("settlements:detail")

    def row(r: dict[str, Any]) -> str:
        stars = f"{int(r['current_star'])}★" if r["current_star"] else "—"
        return (
            f'<tr><td data-label="{code}">{escape(r["code"])}</td>'
            f'<td data-label="{name}"><a href="{link(r["pk"])}">{escape(r["name"])}</a></td>'
            f'<td data-label="{township}">{escape(r["township"])}</td>'
            f'<td data-label="{klass}">{classes[r["klass"]]}</td>'
            f'<td data-label="{households}">{int(r["households"])}</td>'
            f'<td data-label="{star}">{stars}</td></tr>'
        )

    return "\n".join(row(r) for r in rows)


@register.simple_tag
def settlement_rows(rows: Iterable[dict[str, Any]]) -> SafeString:
    return mark_safe(settlement_rows_html(rows))  # noqa: S308 - every text escaped above
